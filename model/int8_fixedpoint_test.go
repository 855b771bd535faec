package model

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// refSRDHM is SaturatingRoundingDoublingHighMul written independently: ⌊(a·b + 2^30) / 2^31⌋ in
// exact integer arithmetic (the nudge-and-truncate of the C++ rounds ties toward +∞), with the
// one overflowing case saturated.
func refSRDHM(a, b int32) int32 {
	if a == math.MinInt32 && b == math.MinInt32 {
		return math.MaxInt32
	}
	p := new(big.Int).Mul(big.NewInt(int64(a)), big.NewInt(int64(b)))
	p.Add(p, big.NewInt(1<<30))
	q := new(big.Int).Div(p, big.NewInt(1<<31)) // Euclidean: floor for a positive divisor
	return int32(q.Int64())
}

// refRoundDivPOT rounds x / 2^e to nearest with ties away from zero, exactly.
func refRoundDivPOT(x int32, e int) int32 {
	r := new(big.Rat).SetFrac(big.NewInt(int64(x)), new(big.Int).Lsh(big.NewInt(1), uint(e)))
	f, _ := r.Float64() // exact: |x| < 2^31 fits a float64 mantissa, and so does x/2^e
	return int32(math.Round(f))
}

func TestQ8SaturatingRoundingDoublingHighMul(t *testing.T) {
	cases := []struct{ a, b, want int32 }{
		{math.MinInt32, math.MinInt32, math.MaxInt32}, // the only overflow saturates
		{math.MinInt32, math.MaxInt32, -2147483647},
		{math.MaxInt32, math.MaxInt32, 2147483646},
		{1 << 30, 1 << 30, 1 << 29},
		{3, 1 << 30, 2},   // 1.5 → 2
		{-3, 1 << 30, -1}, // −1.5 → −1: ties go toward +∞
		{5, 1 << 30, 3},   // 2.5 → 3
		{-5, 1 << 30, -2}, // −2.5 → −2
		{0, math.MinInt32, 0},
		{math.MinInt32, 1, -1}, // −0.5 → −1: ⌊(−2^31 + 2^30) / 2^31⌋
	}
	for _, c := range cases {
		if got := q8SaturatingRoundingDoublingHighMul(c.a, c.b); got != c.want {
			t.Errorf("SRDHM(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
		}
		if ref := refSRDHM(c.a, c.b); ref != c.want {
			t.Errorf("reference SRDHM(%d, %d) = %d, want %d (hand value wrong?)", c.a, c.b, ref, c.want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		a, b := int32(r.Uint32()), int32(r.Uint32())
		if i%3 == 0 {
			b = int32(r.IntN(1<<31-1<<30) + 1<<30) // typical multipliers in [2^30, 2^31)
			a = int32(r.IntN(1<<20) - 1<<19)
		}
		if got, want := q8SaturatingRoundingDoublingHighMul(a, b), refSRDHM(a, b); got != want {
			t.Fatalf("SRDHM(%d, %d) = %d, want %d", a, b, got, want)
		}
	}
}

func TestQ8RoundingDivideByPOT(t *testing.T) {
	cases := []struct {
		x    int32
		e    int
		want int32
	}{
		{5, 1, 3}, {-5, 1, -3}, {4, 1, 2}, {-4, 1, -2}, {7, 2, 2}, {-6, 2, -2}, {-7, 2, -2},
		{math.MinInt32, 0, math.MinInt32}, {math.MaxInt32, 0, math.MaxInt32}, {-1, 0, -1},
		{math.MinInt32, 31, -1}, {math.MaxInt32, 31, 1}, {1 << 30, 31, 1}, {-(1 << 30), 31, -1},
		{1<<30 - 1, 31, 0}, {-(1 << 30) + 1, 31, 0}, {math.MinInt32, 30, -2},
	}
	for _, c := range cases {
		if got := q8RoundingDivideByPOT(c.x, c.e); got != c.want {
			t.Errorf("RoundingDivideByPOT(%d, %d) = %d, want %d", c.x, c.e, got, c.want)
		}
		if ref := refRoundDivPOT(c.x, c.e); ref != c.want {
			t.Errorf("reference(%d, %d) = %d, want %d (hand value wrong?)", c.x, c.e, ref, c.want)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200000; i++ {
		x, e := int32(r.Uint32()), r.IntN(32)
		if got, want := q8RoundingDivideByPOT(x, e), refRoundDivPOT(x, e); got != want {
			t.Fatalf("RoundingDivideByPOT(%d, %d) = %d, want %d", x, e, got, want)
		}
	}
}

func TestQuantizeMultiplier(t *testing.T) {
	cases := []struct {
		real  float64
		mult  int32
		shift int
	}{
		{0, 0, 0},
		{0.5, 1 << 30, 0},
		{1, 1 << 30, 1},
		{0.75, 1610612736, 0},
		{3, 1610612736, 2},
		{1 - math.Ldexp(1, -40), 1 << 30, 1}, // the mantissa rounds up to 2^31 and is renormalised
		{math.Ldexp(1, -32), 1 << 30, -31},   // the smallest shift kept
		{math.Ldexp(1, -33), 0, 0},           // flushed to zero
		{0.0041, 1126999418, -7},             // 0.0041·2^7 = 0.5248; 0.5248·2^31 = 1126999418.47
	}
	for _, c := range cases {
		m, s := QuantizeMultiplier(c.real)
		if m != c.mult || s != c.shift {
			t.Errorf("QuantizeMultiplier(%g) = (%d, %d), want (%d, %d)", c.real, m, s, c.mult, c.shift)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 10000; i++ {
		real := math.Exp(r.Float64()*30 - 20) // about 2e-9 … 2e4
		m, s := QuantizeMultiplier(real)
		if m < 1<<30 || m > math.MaxInt32 {
			t.Fatalf("QuantizeMultiplier(%g) multiplier %d outside [2^30, 2^31)", real, m)
		}
		if got := math.Ldexp(float64(m), s-31); math.Abs(got-real) > real*math.Ldexp(1, -30) {
			t.Fatalf("QuantizeMultiplier(%g) = %d·2^(%d−31) = %g", real, m, s, got)
		}
	}
}

// refMBQM is MultiplyByQuantizedMultiplier written from its definition: wrap x·2^left to int32,
// SRDHM, then round the right shift half away from zero.
func refMBQM(x, m int32, shift int) int32 {
	left, right := max(shift, 0), max(-shift, 0)
	xl := int32(uint32(x) << left)
	return refRoundDivPOT(refSRDHM(xl, m), right)
}

func TestMultiplyByQuantizedMultiplier(t *testing.T) {
	cases := []struct {
		x, m  int32
		shift int
		want  int32
	}{
		{100, 1 << 30, 0, 50},
		{3, 1 << 30, 0, 2},   // 1.5 → 2
		{-3, 1 << 30, 0, -1}, // −1.5 → −1 (SRDHM's ties go up)
		{3, 1 << 30, -1, 1},  // 0.75
		{-3, 1 << 30, -1, -1},
		{5, 1 << 30, -1, 2}, // 1.25 → 2: the double rounding (2.5 → 3, then 1.5 → 2)
		{1, 1 << 30, 1, 1},
		{7, 1 << 30, 3, 28},
		{math.MaxInt32, math.MaxInt32, -31, 1},
		{math.MinInt32, 1 << 30, -31, -1}, // SRDHM gives −2^30; −2^30/2^31 = −0.5 rounds away to −1
	}
	for _, c := range cases {
		if got := MultiplyByQuantizedMultiplier(c.x, c.m, c.shift); got != c.want {
			t.Errorf("MBQM(%d, %d, %d) = %d, want %d", c.x, c.m, c.shift, got, c.want)
		}
		if ref := refMBQM(c.x, c.m, c.shift); ref != c.want {
			t.Errorf("reference MBQM(%d, %d, %d) = %d, want %d (hand value wrong?)", c.x, c.m, c.shift, ref, c.want)
		}
	}
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 200000; i++ {
		x := int32(r.IntN(1<<24) - 1<<23)
		m := int32(r.IntN(1<<30) + 1<<30)
		shift := r.IntN(40) - 31
		if shift > 7 {
			shift = 0
		}
		if got, want := MultiplyByQuantizedMultiplier(x, m, shift), refMBQM(x, m, shift); got != want {
			t.Fatalf("MBQM(%d, %d, %d) = %d, want %d", x, m, shift, got, want)
		}
	}
}

// fixedToFloat converts a raw fixed-point value with intBits integer bits to float64.
func fixedToFloat(raw int32, intBits int) float64 { return math.Ldexp(float64(raw), intBits-31) }

func TestQ8GemmlowpTranscendentals(t *testing.T) {
	if got := q8ExpOnNegativeValues(0, 5); got != math.MaxInt32 {
		t.Errorf("exp(0) = %d, want INT32_MAX", got)
	}
	if got := q8Logistic(0, 4); got != 1<<30 {
		t.Errorf("logistic(0) = %d, want 2^30", got)
	}
	if got := q8Tanh(0, 4); got != 0 {
		t.Errorf("tanh(0) = %d, want 0", got)
	}
	const tol = 2e-6 // the gemmlowp approximations are good to a few ulps of Q0.31 ·1000
	for _, bitsIn := range []int{4, 5} {
		for raw := int32(-(1 << 31) + 1); raw < 0; raw += 1 << 19 {
			x := fixedToFloat(raw, bitsIn)
			if d := math.Abs(fixedToFloat(q8ExpOnNegativeValues(raw, bitsIn), 0) - math.Exp(x)); d > tol {
				t.Fatalf("exp(%g) off by %g", x, d)
			}
		}
	}
	for raw := int32(-(1 << 31) + 1); raw < (1<<31)-(1<<20); raw += 1 << 20 {
		x := fixedToFloat(raw, 4)
		if d := math.Abs(fixedToFloat(q8Logistic(raw, 4), 0) - 1/(1+math.Exp(-x))); d > tol {
			t.Fatalf("logistic(%g) off by %g", x, d)
		}
		if d := math.Abs(fixedToFloat(q8Tanh(raw, 4), 0) - math.Tanh(x)); d > tol {
			t.Fatalf("tanh(%g) off by %g", x, d)
		}
	}
	for raw := int32(1); raw < (1<<31)-(1<<20); raw += 1 << 20 {
		x := fixedToFloat(raw, 0)
		if d := math.Abs(fixedToFloat(q8OneOverOnePlusX(raw), 0) - 1/(1+x)); d > tol {
			t.Fatalf("1/(1+%g) off by %g", x, d)
		}
	}
	for _, sum := range []int32{1 << 19, 3 << 19, 1000000, 1 << 30} {
		recip, over := q8GetReciprocal(sum, 12)
		got := math.Ldexp(fixedToFloat(recip, 0), -over)
		if want := 1 / fixedToFloat(sum, 12); math.Abs(got-want) > tol*want {
			t.Errorf("GetReciprocal(%d) = %g, want %g", sum, got, want)
		}
	}
}
