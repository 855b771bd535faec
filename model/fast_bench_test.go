package model

import (
	"math/rand/v2"
	"testing"
)

// fastBenchConv times runConv on one DS-CNN or LeNet layer shape at batch 64.
func fastBenchConv(b *testing.B, c, m, groups, kh, kw, h, w, stride, pad int) {
	rng := rand.New(rand.NewPCG(1, 1))
	n := &Node{Name: "conv", Op: OpConv,
		Weight: &Tensor{Shape: []int{m, c / groups, kh, kw}, Data: fastRandMatrix(rng, m*c/groups*kh*kw, false)},
		Bias:   &Tensor{Shape: []int{m}, Data: fastRandMatrix(rng, m, false)},
		Attrs:  Attrs{Strides: []int{stride, stride}, Pads: []int{pad, pad, pad, pad}, Group: groups}}
	oh, ow := (h+2*pad-kh)/stride+1, (w+2*pad-kw)/stride+1
	batch := 64
	x := &Tensor{Shape: []int{batch, c, h, w}, Data: fastRandMatrix(rng, batch*c*h*w, false)}
	y := &Tensor{Shape: []int{batch, m, oh, ow}, Data: make([]float32, batch*m*oh*ow)}
	b.ResetTimer()
	for range b.N {
		runConv(n, x, y, []int{c, h, w}, []int{m, oh, ow})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/sample")
}

func BenchmarkConvDSCNNDepthwise(b *testing.B) { fastBenchConv(b, 64, 64, 64, 3, 3, 25, 5, 1, 1) }
func BenchmarkConvDSCNNPointwise(b *testing.B) { fastBenchConv(b, 64, 64, 1, 1, 1, 25, 5, 1, 0) }
func BenchmarkConvDSCNNFirst(b *testing.B)     { fastBenchConv(b, 1, 64, 1, 10, 4, 49, 10, 2, 5) }
func BenchmarkConvLeNet2(b *testing.B)         { fastBenchConv(b, 6, 16, 1, 5, 5, 12, 12, 1, 0) }

// BenchmarkGemmPointwise times gemm on one DS-CNN pointwise product (64×64 weights times 64
// channels × 125 pixels), with and without packing the weights on every call.
func BenchmarkGemmPointwise(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	m, n, k := 64, 125, 64
	a, bm, c := fastRandMatrix(rng, m*k, false), fastRandMatrix(rng, k*n, false), make([]float32, m*n)
	b.Run("gemm", func(b *testing.B) {
		for range b.N {
			gemm(m, n, k, a, k, bm, n, c, n)
		}
	})
	b.Run("prepacked", func(b *testing.B) {
		ap, bp := gemmPackA(m, k, a, k), make([]float32, 16*k)
		for range b.N {
			gemmPacked(m, n, k, ap, bm, n, c, n, bp)
		}
	})
}
