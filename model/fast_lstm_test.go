package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFastLSTMActivations compares fastExp32, fastSigmoid32 and fastTanh32 with float64
// references over a dense sweep of [−100, 100] and the points around the branch and clamp
// bounds, to 4 ulp-sized relative errors (absolute near zero for the logistic function's tiny
// values).
func TestFastLSTMActivations(t *testing.T) {
	var xs []float32
	for x := -100.0; x <= 100; x += 0.0137 {
		xs = append(xs, float32(x))
	}
	for _, b := range []float32{fastTanhSm, -fastTanhSm, fastExpLo, fastExpHi, 0, 1e-30, -1e-30, 1e-6, 44, -44} {
		xs = append(xs, b, math.Nextafter32(b, 200), math.Nextafter32(b, -200))
	}
	for _, x := range xs {
		v := float64(x)
		if w := math.Tanh(v); math.Abs(float64(fastTanh32(x))-w) > 3e-7*math.Abs(w) {
			t.Fatalf("fastTanh32(%v) = %v, want %v", x, fastTanh32(x), w)
		}
		if w := 1 / (1 + math.Exp(-v)); math.Abs(float64(fastSigmoid32(x))-w) > 3e-7*w+1e-37 {
			t.Fatalf("fastSigmoid32(%v) = %v, want %v", x, fastSigmoid32(x), w)
		}
		if v >= fastExpLo && v <= fastExpHi {
			if w := math.Exp(v); math.Abs(float64(fastExp32(x))-w) > 3e-7*w {
				t.Fatalf("fastExp32(%v) = %v, want %v", x, fastExp32(x), w)
			}
		}
	}
	if !math.IsNaN(float64(fastTanh32(float32(math.NaN())))) || !math.IsNaN(float64(fastSigmoid32(float32(math.NaN())))) {
		t.Fatal("NaN in, not NaN out")
	}
}

// TestFastLSTMCellMatchesPortable runs fastLSTMCell (the AVX2 kernel on machines that have it)
// against fastLSTMCellGo bit for bit, for hidden sizes around the 8-column blocks, with and
// without clips, on pre-activations from small to saturating, and checks the step against the
// float64 equations.
func TestFastLSTMCellMatchesPortable(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, h := range []int{1, 7, 8, 9, 32, 45} {
		for _, clip := range [][2]float32{{0, 0}, {3, 0}, {0, 0.5}} {
			for _, scale := range []float64{1e-3, 1, 8, 120} {
				xs, rs := make([]float32, 4*h), make([]float32, 4*h)
				c, hh := make([]float32, h), make([]float32, h)
				for i := range xs {
					xs[i] = float32(rng.NormFloat64() * scale)
					rs[i] = float32(rng.NormFloat64() * scale)
				}
				for i := range c {
					c[i] = float32(rng.NormFloat64() * scale)
				}
				c2, hh2 := append([]float32(nil), c...), make([]float32, h)
				c0 := append([]float32(nil), c...)
				fastLSTMCell(xs, rs, c, hh, h, clip[0], clip[1])
				fastLSTMCellGo(xs, rs, c2, hh2, h, 0, clip[0], clip[1])
				for j := 0; j < h; j++ {
					if math.Float32bits(c[j]) != math.Float32bits(c2[j]) || math.Float32bits(hh[j]) != math.Float32bits(hh2[j]) {
						t.Fatalf("h=%d clip=%v scale=%v column %d: c %v h %v, portable c %v h %v", h, clip, scale, j, c[j], hh[j], c2[j], hh2[j])
					}
					pre := func(g int) float64 {
						v := float64(xs[g*h+j] + rs[g*h+j])
						if clip[0] > 0 {
							v = math.Max(-float64(clip[0]), math.Min(float64(clip[0]), v))
						}
						return v
					}
					sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
					wc := sig(pre(2))*float64(c0[j]) + sig(pre(0))*math.Tanh(pre(3))
					if clip[1] > 0 {
						wc = math.Max(-float64(clip[1]), math.Min(float64(clip[1]), wc))
					}
					wh := sig(pre(1)) * math.Tanh(wc)
					if math.Abs(float64(c[j])-wc) > 1e-6*(1+math.Abs(wc)) || math.Abs(float64(hh[j])-wh) > 1e-6 {
						t.Fatalf("h=%d clip=%v scale=%v column %d: c %v h %v, float64 c %v h %v", h, clip, scale, j, c[j], hh[j], wc, wh)
					}
				}
			}
		}
	}
}
