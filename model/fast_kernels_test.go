package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// fastRandMatrix returns n random values, about four in five of them zero when sparse is set.
func fastRandMatrix(rng *rand.Rand, n int, sparse bool) []float32 {
	v := make([]float32, n)
	for i := range v {
		if sparse && rng.IntN(5) > 0 {
			continue
		}
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// TestGemmSumsInFixedOrder checks gemm, on the dense kernel and on the zero-skipping path, over
// shapes with every kind of edge block, against the plain loop it promises to equal bit for
// bit: each element summed over k in increasing order from zero, each product rounded first.
func TestGemmSumsInFixedOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 60; trial++ {
		m, n, k := 1+rng.IntN(13), 1+rng.IntN(40), rng.IntN(30)
		lda, ldb, ldc := k+rng.IntN(3), n+rng.IntN(3), n+rng.IntN(3)
		sparse := trial%3 == 0
		a := fastRandMatrix(rng, max(1, m*lda), sparse)
		b := fastRandMatrix(rng, max(1, k*ldb), false)
		c := fastRandMatrix(rng, m*ldc, false) // stale contents must be overwritten
		gemm(m, n, k, a, lda, b, ldb, c, ldc)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var want float32
				for l := 0; l < k; l++ {
					want += float32(a[i*lda+l] * b[l*ldb+j])
				}
				if got := c[i*ldc+j]; math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("m=%d n=%d k=%d sparse=%v: C[%d,%d] = %v, want %v", m, n, k, sparse, i, j, got, want)
				}
			}
		}
	}
}

// TestFastKernelsMatchPortable checks that the kernels the machine runs (AVX2 assembly on
// amd64 when available) give the same bits as their portable Go forms.
func TestFastKernelsMatchPortable(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, k := range []int{0, 1, 7, 64, 333} {
		lda, ldb, ldc := k+3, 21, 19
		a := fastRandMatrix(rng, 4*lda, false)
		b := fastRandMatrix(rng, max(1, k)*ldb, false)
		ap, bp := gemmPackA(4, k, a, lda), make([]float32, 16*k)
		for l := 0; l < k; l++ {
			copy(bp[l*16:l*16+16], b[l*ldb:])
		}
		got, want := make([]float32, 4*ldc), make([]float32, 4*ldc)
		fastKernel4x16Packed(k, ap, bp, got, ldc)
		fastKernel4x16PackedGo(k, ap, bp, want, ldc)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("fastKernel4x16Packed k=%d: element %d = %v, portable %v", k, i, got[i], want[i])
			}
		}
	}
	for _, k := range []int{0, 1, 25, 150} {
		offs := make([]int, k)
		for i := range offs {
			offs[i] = rng.IntN(200)
		}
		a := fastRandMatrix(rng, 4*k, true)
		b := fastRandMatrix(rng, 216, false)
		got, want := make([]float32, 4*20), make([]float32, 4*20)
		fastKernel4x16Offs(k, a, b, offs, 199, got, 20)
		fastKernel4x16OffsGo(k, a, b, offs, want, 20)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("fastKernel4x16Offs k=%d: element %d = %v, portable %v", k, i, got[i], want[i])
			}
		}
	}
	for _, ntaps := range []int{0, 1, 9, 40} {
		n := 96
		offs := make([]int, ntaps)
		for i := range offs {
			offs[i] = rng.IntN(50)
		}
		ws := fastRandMatrix(rng, ntaps, false)
		src := fastRandMatrix(rng, n+50, false)
		got, want := make([]float32, n), make([]float32, n)
		fastTaps(got, src, offs, ws)
		fastTapsGo(want, src, offs, ws)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("fastTaps %d taps: element %d = %v, portable %v", ntaps, i, got[i], want[i])
			}
		}
	}
}

// TestConvFastPathsMatchIm2col runs depthwise (multipliers 1 and 2, strides 1 and 2, dense and
// pruned 3×3 kernels, a dilated 5×3 one), pointwise (1 and 2 groups) and other stride-1
// convolutions (LeNet's, padded, dilated, grouped, pruned, 1D) and strided ones (DS-CNN's first
// layer) through runConv, which takes the
// direct paths, and compares every output bit for bit with the im2col
// path they replace, which sums in the same order.
func TestConvFastPathsMatchIm2col(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	type geom struct {
		c, m, groups, kh, kw, h, w int
		strides, pads, dil         []int
		pruned                     bool
	}
	cases := []geom{
		{c: 8, m: 8, groups: 8, kh: 3, kw: 3, h: 25, w: 5, strides: []int{1, 1}, pads: []int{1, 1, 1, 1}, dil: []int{1, 1}},
		{c: 8, m: 8, groups: 8, kh: 3, kw: 3, h: 25, w: 5, strides: []int{1, 1}, pads: []int{1, 1, 1, 1}, dil: []int{1, 1}, pruned: true},
		{c: 4, m: 8, groups: 4, kh: 3, kw: 3, h: 11, w: 13, strides: []int{2, 2}, pads: []int{1, 0, 0, 1}, dil: []int{1, 1}},
		{c: 4, m: 8, groups: 4, kh: 3, kw: 3, h: 9, w: 7, strides: []int{2, 1}, pads: []int{1, 1, 1, 1}, dil: []int{1, 1}, pruned: true},
		{c: 3, m: 3, groups: 3, kh: 5, kw: 3, h: 12, w: 9, strides: []int{1, 1}, pads: []int{2, 0, 1, 2}, dil: []int{2, 1}},
		{c: 16, m: 12, groups: 1, kh: 1, kw: 1, h: 7, w: 9, strides: []int{1, 1}, pads: []int{0, 0, 0, 0}, dil: []int{1, 1}},
		{c: 16, m: 12, groups: 2, kh: 1, kw: 1, h: 5, w: 5, strides: []int{1, 1}, pads: []int{0, 0, 0, 0}, dil: []int{1, 1}, pruned: true},
		{c: 1, m: 6, groups: 1, kh: 5, kw: 5, h: 28, w: 28, strides: []int{1, 1}, pads: []int{0, 0, 0, 0}, dil: []int{1, 1}},
		{c: 6, m: 16, groups: 1, kh: 5, kw: 5, h: 12, w: 12, strides: []int{1, 1}, pads: []int{2, 1, 0, 3}, dil: []int{1, 1}, pruned: true},
		{c: 6, m: 10, groups: 2, kh: 3, kw: 2, h: 9, w: 11, strides: []int{1, 1}, pads: []int{1, 1, 1, 1}, dil: []int{2, 3}},
		{c: 2, m: 5, groups: 1, kh: 1, kw: 3, h: 1, w: 30, strides: []int{1, 1}, pads: []int{0, 1, 0, 1}, dil: []int{1, 1}},
		{c: 1, m: 8, groups: 1, kh: 10, kw: 4, h: 49, w: 10, strides: []int{2, 2}, pads: []int{5, 1, 5, 1}, dil: []int{1, 1}},
		{c: 4, m: 6, groups: 2, kh: 3, kw: 3, h: 13, w: 14, strides: []int{3, 2}, pads: []int{1, 2, 0, 1}, dil: []int{2, 1}, pruned: true},
		{c: 3, m: 4, groups: 1, kh: 1, kw: 5, h: 1, w: 40, strides: []int{1, 3}, pads: []int{0, 2, 0, 2}, dil: []int{1, 2}},
	}
	for i, g := range cases {
		n := &Node{Name: "conv", Op: OpConv,
			Weight: &Tensor{Shape: []int{g.m, g.c / g.groups, g.kh, g.kw}, Data: fastRandMatrix(rng, g.m*g.c/g.groups*g.kh*g.kw, g.pruned)},
			Bias:   &Tensor{Shape: []int{g.m}, Data: fastRandMatrix(rng, g.m, false)},
			Attrs:  Attrs{Strides: g.strides, Pads: g.pads, Dilations: g.dil, Group: g.groups}}
		oh := (g.h+g.pads[0]+g.pads[2]-g.dil[0]*(g.kh-1)-1)/g.strides[0] + 1
		ow := (g.w+g.pads[1]+g.pads[3]-g.dil[1]*(g.kw-1)-1)/g.strides[1] + 1
		batch := 3
		x := &Tensor{Shape: []int{batch, g.c, g.h, g.w}, Data: fastRandMatrix(rng, batch*g.c*g.h*g.w, false)}
		in, out := []int{g.c, g.h, g.w}, []int{g.m, oh, ow}
		got := &Tensor{Shape: []int{batch, g.m, oh, ow}, Data: make([]float32, batch*g.m*oh*ow)}
		want := &Tensor{Shape: got.Shape, Data: make([]float32, len(got.Data))}
		runConv(n, x, got, in, out)
		runConvIm2col(n, x, want, in, out)
		for j := range want.Data {
			if math.Float32bits(got.Data[j]) != math.Float32bits(want.Data[j]) {
				t.Fatalf("case %d (%+v): element %d = %v, im2col %v", i, g, j, got.Data[j], want.Data[j])
			}
		}
	}
}

// TestGemmTakesBothPaths makes sure the matrices of TestGemmSumsInFixedOrder exercise both the
// dense kernel and the zero-skipping path.
func TestGemmTakesBothPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	if a := fastRandMatrix(rng, 400, true); !gemmIsSparse(20, 20, a, 20) {
		t.Error("a sparse random matrix does not take the zero-skipping path")
	}
	if a := fastRandMatrix(rng, 400, false); gemmIsSparse(20, 20, a, 20) {
		t.Error("a dense random matrix takes the zero-skipping path")
	}
}
