//go:build amd64

package model

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkFastGemm8x32 times one 8×32 block with k = 64 on the AVX-512 and AVX2 kernels.
func BenchmarkFastGemm8x32(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	k, ldb := 64, 125
	a, bm, bias := fastRandMatrix(rng, 8*k, false), fastRandMatrix(rng, k*ldb, false), fastRandMatrix(rng, 8, false)
	c := make([]float32, 8*ldb)
	for _, avx512 := range []bool{true, false} {
		name := "avx2"
		if avx512 {
			name = "avx512"
		}
		b.Run(name, func(b *testing.B) {
			defer func(v bool) { fastHaveAVX512 = v }(fastHaveAVX512)
			fastHaveAVX512 = fastHaveAVX512 && avx512
			for range b.N {
				fastGemm8x32(k, 32, a, bm, ldb, c, ldb, bias, true)
			}
		})
	}
}

// BenchmarkDirectDSCNNAVX2 is BenchmarkDirectDSCNN with the AVX2 kernels forced.
func BenchmarkDirectDSCNNAVX2(b *testing.B) {
	if !fastHaveAVX2 {
		b.Skip("no AVX2")
	}
	defer func(v bool) { fastHaveAVX512 = v }(fastHaveAVX512)
	fastHaveAVX512 = false
	BenchmarkDirectDSCNN(b)
}
