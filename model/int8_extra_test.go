package model_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// extraAll256 is a [256] batch-of-one input holding every int8 value.
func extraAll256() *model.Tensor {
	x := model.NewTensor(1, 256)
	for i := range x.Data {
		x.Data[i] = float32(i - 128)
	}
	return x
}

// extraRoundShift is x / 2^e rounded to nearest, ties away from zero, written out in int64.
func extraRoundShift(x int64, e int) int64 {
	if e == 0 {
		return x
	}
	half := int64(1) << (e - 1)
	if x < 0 {
		return -((-x + half) >> e)
	}
	return (x + half) >> e
}

// extraMBQM is TFLite's MultiplyByQuantizedMultiplier written out in int64: left shift, then
// round(x·m / 2^31) with ties away from zero, then a rounding right shift.
func extraMBQM(x int64, m int32, shift int) int64 {
	if shift > 0 {
		x = int64(int32(x << shift)) // the C++ wraps in 32 bits
	}
	p := x * int64(m)
	var hi int64
	if p >= 0 {
		hi = (p + 1<<30) >> 31
	} else {
		hi = -((-p + 1<<30 - 1) >> 31) // ties away from zero: (p + 1 − 2^30) / 2^31 truncated
	}
	if shift < 0 {
		return extraRoundShift(hi, -shift)
	}
	return hi
}

func extraClamp8(v int64) int64 { return min(max(v, -128), 127) }

// extraLeakyReluRef is QuantizeLeakyRelu over int64 with TFLite's LeakyReluPrepare multipliers.
func extraLeakyReluRef(q int64, sx, sy, alpha float32, zx, zy int32) int64 {
	x := q - int64(zx)
	real := float64(sx / sy)
	if x < 0 {
		real = float64(float32(sx*alpha) / sy)
	}
	m, s := model.QuantizeMultiplier(real)
	return extraClamp8(int64(zy) + extraMBQM(x, m, s))
}

// extraSat16 saturates to int16.
func extraSat16(v int64) int64 { return min(max(v, math.MinInt16), math.MaxInt16) }

// extraRoundingMul16 is round(a·b / 2^15), ties away from zero, saturating (SQRDMULH).
func extraRoundingMul16(a, b int64) int64 {
	p := a * b
	if p >= 0 {
		return extraSat16((p + 1<<14) >> 15)
	}
	return -((-p + 1<<14 - 1) >> 15)
}

// extraTruncMul16 is a·b / 2^15 truncated toward zero, saturating (SQDMULH).
func extraTruncMul16(a, b int64) int64 {
	p := a * b
	if p >= 0 {
		return extraSat16(p >> 15)
	}
	return -(-p >> 15)
}

// extraMultiplier16 is the top 15 bits of a 31-bit multiplier, rounded.
func extraMultiplier16(real float32) (int64, int) {
	m, e := model.QuantizeMultiplier(float64(real))
	if int64(m)+1<<15 > math.MaxInt32 {
		return math.MaxInt16, e
	}
	return (int64(m) + 1<<15) >> 16, e
}

// extraHardSwishRef is TFLite's int8 HardSwish written out in int64 for right-shifting
// output exponents below 16.
func extraHardSwishRef(q int64, sx, sy float32, zx, zy int32) int64 {
	hiresScale := sx / 128
	om, oe := extraMultiplier16(hiresScale / sy)
	rm, re := extraMultiplier16(hiresScale / (3.0 / 32768))
	hires := (q - int64(zx)) * 128
	onOut := extraRoundingMul16(hires, om)
	r := hires
	if re > 0 {
		r = extraSat16(r << (re - 1))
	}
	r = extraRoundingMul16(r, rm)
	if re > 0 {
		r = extraSat16(r << 1)
	}
	if re < 0 {
		r = extraRoundShift(r, -re)
	}
	r = (r + 32768) >> 1
	return extraClamp8(extraRoundShift(extraTruncMul16(r, onOut), -oe) + int64(zy))
}

// extraRun runs a one-node int8 graph of op over every int8 input value.
func extraRun(t *testing.T, op model.Op, alpha float32, inQ, outQ *model.QuantParams) []float32 {
	t.Helper()
	n := &model.Node{Name: "act", Op: op, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: model.Attrs{Alpha: alpha, Quant: outQ}}
	return q8RunOne(t, n, []int{256}, inQ, extraAll256()).Data
}

// extraCheckReal checks that every dequantized output is within one output step of the
// real-valued function, after limiting the real value to the output's int8 range.
func extraCheckReal(t *testing.T, y []float32, sx, sy float32, zx, zy int32, f func(float64) float64) {
	t.Helper()
	lo, hi := float64(sy)*float64(-128-zy), float64(sy)*float64(127-zy)
	for i, v := range y {
		xr := float64(sx) * float64(i-128-int(zx))
		want := min(max(f(xr), lo), hi)
		got := float64(sy) * (float64(v) - float64(zy))
		if math.Abs(got-want) > float64(sy)*1.0001 {
			t.Errorf("q=%d (x=%.5g): got %.5g, real %.5g, more than one step %g apart", i-128, xr, got, want, sy)
		}
	}
}

// TestInt8LeakyReluMatchesReference checks int8 LeakyRelu bit for bit against an int64
// evaluation of TFLite's QuantizeLeakyRelu over all 256 inputs, and against the real function.
func TestInt8LeakyReluMatchesReference(t *testing.T) {
	cases := []struct {
		alpha, sx, sy float32
		zx, zy        int32
	}{
		{0.1, 0.05, 0.05, 0, 0},
		{0.2, 0.031, 0.027, -17, -90},
		{0.01, 0.5, 0.4, 100, -128},
		{-0.5, 0.02, 0.03, 5, 20},
		{1.7, 0.01, 0.013, -128, 10},
		{0, 0.07, 0.02, 12, -128},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("alpha%v_s%v_%v", c.alpha, c.sx, c.sy), func(t *testing.T) {
			y := extraRun(t, model.OpLeakyRelu, c.alpha, q8P(c.sx, c.zx), q8P(c.sy, c.zy))
			for i, v := range y {
				if want := extraLeakyReluRef(int64(i-128), c.sx, c.sy, c.alpha, c.zx, c.zy); int64(v) != want {
					t.Errorf("q=%d: got %v, reference %d", i-128, v, want)
				}
			}
			extraCheckReal(t, y, c.sx, c.sy, c.zx, c.zy, func(x float64) float64 {
				if x > 0 {
					return x
				}
				return float64(c.alpha) * x
			})
		})
	}
}

// TestInt8HardSwishMatchesReference checks int8 HardSwish bit for bit against an int64
// evaluation of TFLite's 16-bit fixed-point kernel over all 256 inputs, at input scales that
// make the "reluish" rescaling shift left and right, and against the real function.
func TestInt8HardSwishMatchesReference(t *testing.T) {
	cases := []struct {
		sx, sy float32
		zx, zy int32
	}{
		{0.05, 0.04, -10, -100},
		{0.002, 0.0015, 5, -120},
		{0.1, 0.3, 0, -128},
		{0.02, 0.01, 127, -3},
		{0.047, 0.026, -40, -115},
		{0.8, 1.5, 30, -120},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("s%v_%v", c.sx, c.sy), func(t *testing.T) {
			y := extraRun(t, model.OpHardSwish, 0, q8P(c.sx, c.zx), q8P(c.sy, c.zy))
			for i, v := range y {
				if want := extraHardSwishRef(int64(i-128), c.sx, c.sy, c.zx, c.zy); int64(v) != want {
					t.Errorf("q=%d: got %v, reference %d", i-128, v, want)
				}
			}
			extraCheckReal(t, y, c.sx, c.sy, c.zx, c.zy, func(x float64) float64 { return x * min(max(x+3, 0), 6) / 6 })
		})
	}
}

// TestInt8HardSwishRejectsFineOutputScale checks TFLite's limit: an output scale finer than
// input scale/128 needs a left shift the kernel does not have.
func TestInt8HardSwishRejectsFineOutputScale(t *testing.T) {
	n := &model.Node{Name: "hs", Op: model.OpHardSwish, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: model.Attrs{Quant: q8P(0.005, 0)}}
	g := &model.Graph{Name: "hs", Inputs: []model.Value{{Name: "x", Shape: []int{256}}}, Outputs: []model.Value{{Name: "y"}}, Nodes: []*model.Node{n},
		Quant: []model.ValueQuant{{Name: "x", Params: q8P(1, 0)}, {Name: "y", Params: q8P(0.005, 0)}}}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	_, err := g.Run(extraAll256())
	if err == nil || !strings.Contains(err.Error(), "hs") {
		t.Fatalf("got error %v, want one naming node hs", err)
	}
}
