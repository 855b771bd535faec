package model

import (
	"math"
	"math/bits"
)

// Fixed-point arithmetic of TFLite's integer kernels (tensorflow/lite/kernels/internal/common.h,
// quantization_util.cc) and of gemmlowp's fixedpoint.h, which they use. Every function here
// reproduces the reference C++ bit for bit, including the wrap-around of 32-bit integer overflow
// and the default "double rounding" MultiplyByQuantizedMultiplier (TFLITE_SINGLE_ROUNDING unset):
// a saturating rounding doubling high multiply followed by a rounding right shift.
//
// A fixed-point number with k integer bits ("Qk.(31−k)") is an int32 raw value r standing for
// r / 2^(31−k).

// QuantizeMultiplier splits a positive real multiplier into a 31-bit fixed-point multiplier in
// [2^30, 2^31) and a power-of-two exponent, real ≈ multiplier·2^(shift−31), as TFLite's
// QuantizeMultiplier does: frexp, rounding half away from zero, renormalising a mantissa that
// rounds up to 2^31, and flushing multipliers below about 2^−31 to zero. A positive shift is a
// left shift. Zero gives (0, 0).
func QuantizeMultiplier(real float64) (multiplier int32, shift int) {
	if real == 0 {
		return 0, 0
	}
	q, exp := math.Frexp(real)
	fixed := int64(math.Round(q * (1 << 31)))
	if fixed == 1<<31 {
		fixed /= 2
		exp++
	}
	if exp < -31 {
		return 0, 0
	}
	return int32(fixed), exp
}

// MultiplyByQuantizedMultiplier returns x·multiplier·2^(shift−31) rounded to nearest, exactly as
// TFLite's default MultiplyByQuantizedMultiplier: the left part of the shift is applied first
// (wrapping on overflow, like the C++ on every real target), then a saturating rounding doubling
// high multiply, then a rounding right shift for the right part.
func MultiplyByQuantizedMultiplier(x, multiplier int32, shift int) int32 {
	left, right := 0, 0
	if shift > 0 {
		left = shift
	} else {
		right = -shift
	}
	return q8RoundingDivideByPOT(q8SaturatingRoundingDoublingHighMul(x*(1<<left), multiplier), right)
}

// q8SaturatingRoundingDoublingHighMul is gemmlowp's SaturatingRoundingDoublingHighMul (ARM
// VQRDMULH): round(a·b / 2^31) with ties away from zero, saturating INT32_MIN·INT32_MIN to
// INT32_MAX. The C++ divides with truncation toward zero after adding a signed nudge.
func q8SaturatingRoundingDoublingHighMul(a, b int32) int32 {
	if a == b && a == math.MinInt32 {
		return math.MaxInt32
	}
	ab := int64(a) * int64(b)
	nudge := int64(1 << 30)
	if ab < 0 {
		nudge = 1 - (1 << 30)
	}
	return int32((ab + nudge) / (1 << 31)) // Go's / truncates toward zero, as C++'s does
}

// q8RoundingDivideByPOT is gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded to nearest,
// ties away from zero, for exponent in [0, 31].
func q8RoundingDivideByPOT(x int32, exponent int) int32 {
	mask := int32((int64(1) << exponent) - 1)
	remainder := x & mask
	threshold := mask >> 1
	if x < 0 {
		threshold++
	}
	r := x >> exponent
	if remainder > threshold {
		r++
	}
	return r
}

// q8SaturatingRoundingMultiplyByPOT is gemmlowp's SaturatingRoundingMultiplyByPOT<exponent>: a
// saturating left shift for a positive exponent, a rounding right shift for a negative one.
func q8SaturatingRoundingMultiplyByPOT(x int32, exponent int) int32 {
	switch {
	case exponent == 0:
		return x
	case exponent < 0:
		return q8RoundingDivideByPOT(x, -exponent)
	}
	threshold := int32((1 << (31 - exponent)) - 1)
	if x > threshold {
		return math.MaxInt32
	}
	if x < -threshold {
		return math.MinInt32
	}
	return x << exponent
}

// q8Rescale is gemmlowp's Rescale: it changes the number of integer bits of a fixed-point raw
// value from src to dst.
func q8Rescale(x int32, src, dst int) int32 { return q8SaturatingRoundingMultiplyByPOT(x, src-dst) }

// q8RoundingHalfSum is gemmlowp's RoundingHalfSum for int32: (a+b)/2 rounded away from zero.
func q8RoundingHalfSum(a, b int32) int32 {
	sum := int64(a) + int64(b)
	sign := int64(1)
	if sum < 0 {
		sign = -1
	}
	return int32((sum + sign) / 2)
}

// q8One0 is the value 1 in Q0.31 (saturated: INT32_MAX).
const q8One0 = math.MaxInt32

// q8ExpQuarter is gemmlowp's exp_on_interval_between_negative_one_quarter_and_0_excl: exp(a)
// for a in [−1/4, 0), a and result in Q0.31.
func q8ExpQuarter(a int32) int32 {
	const constantTerm = 1895147668 // exp(−1/8)
	const oneThird = 715827883
	x := a + 1<<28 // a + 1/8
	x2 := q8SaturatingRoundingDoublingHighMul(x, x)
	x3 := q8SaturatingRoundingDoublingHighMul(x2, x)
	x4 := q8SaturatingRoundingDoublingHighMul(x2, x2)
	x4Over4 := q8SaturatingRoundingMultiplyByPOT(x4, -2)
	poly := q8SaturatingRoundingMultiplyByPOT(q8SaturatingRoundingDoublingHighMul(x4Over4+x3, oneThird)+x2, -1)
	return constantTerm + q8SaturatingRoundingDoublingHighMul(constantTerm, x+poly)
}

// q8ExpBarrel lists the multipliers exp(−2^e) in Q0.31 of gemmlowp's exp barrel shifter, for
// e = −2 … 4.
var q8ExpBarrel = [...]struct {
	exponent   int
	multiplier int32
}{{-2, 1672461947}, {-1, 1302514674}, {0, 790015084}, {1, 290630308}, {2, 39332535}, {3, 720401}, {4, 242}}

// q8ExpOnNegativeValues is gemmlowp's exp_on_negative_values: exp(a) for a ≤ 0 given with
// intBits integer bits; the result is Q0.31.
func q8ExpOnNegativeValues(a int32, intBits int) int32 {
	frac := 31 - intBits
	oneQuarter := int32(1) << (frac - 2)
	mask := oneQuarter - 1
	aModQuarterMinusQuarter := (a & mask) - oneQuarter
	result := q8ExpQuarter(q8Rescale(aModQuarterMinusQuarter, intBits, 0))
	remainder := aModQuarterMinusQuarter - a
	for _, b := range q8ExpBarrel {
		if intBits > b.exponent && remainder&(int32(1)<<(frac+b.exponent)) != 0 {
			result = q8SaturatingRoundingDoublingHighMul(result, b.multiplier)
		}
	}
	if intBits > 5 {
		clamp := -(int32(1) << (36 - intBits)) // −32
		if a < clamp {
			result = 0
		}
	}
	if a == 0 {
		result = q8One0
	}
	return result
}

// q8NewtonReciprocal runs gemmlowp's Newton-Raphson division shared by
// one_over_one_plus_x_for_x_in_0_1 and one_minus_x_over_one_plus_x_for_x_in_0_1: for a in Q0.31
// in (0, 1) it returns x ≈ 1/((1+a)/2) = 2/(1+a) in Q2.29.
func q8NewtonReciprocal(a int32) int32 {
	const c48Over17 = 1515870810     // 48/17 in Q2.29
	const cNeg32Over17 = -1010580540 // −32/17 in Q2.29
	const one2 = 1 << 29             // 1 in Q2.29
	halfDenominator := q8RoundingHalfSum(a, q8One0)
	x := c48Over17 + q8SaturatingRoundingDoublingHighMul(halfDenominator, cNeg32Over17)
	for i := 0; i < 3; i++ {
		halfDenominatorTimesX := q8SaturatingRoundingDoublingHighMul(halfDenominator, x)
		oneMinus := one2 - halfDenominatorTimesX
		x = x + q8Rescale(q8SaturatingRoundingDoublingHighMul(x, oneMinus), 4, 2)
	}
	return x
}

// q8OneOverOnePlusX is gemmlowp's one_over_one_plus_x_for_x_in_0_1: 1/(1+a) in Q0.31.
func q8OneOverOnePlusX(a int32) int32 {
	return q8Rescale(q8NewtonReciprocal(a), 1, 0) // ExactMulByPot<−1> then Rescale<0>
}

// q8OneMinusXOverOnePlusX is gemmlowp's one_minus_x_over_one_plus_x_for_x_in_0_1 in Q0.31.
func q8OneMinusXOverOnePlusX(a int32) int32 {
	return q8Rescale(q8NewtonReciprocal(a)-(1<<29), 2, 0)
}

// q8Logistic is gemmlowp's logistic: 1/(1+exp(−a)) for a with intBits integer bits, in Q0.31.
func q8Logistic(a int32, intBits int) int32 {
	if a == 0 {
		return 1 << 30
	}
	abs := a
	if a < 0 {
		abs = -a
	}
	positive := q8OneOverOnePlusX(q8ExpOnNegativeValues(-abs, intBits))
	if a > 0 {
		return positive
	}
	return q8One0 - positive
}

// q8Tanh is gemmlowp's tanh for a with intBits integer bits, in Q0.31.
func q8Tanh(a int32, intBits int) int32 {
	if a == 0 {
		return 0
	}
	n := -a // n = −|a|, computed as the C++ does (wrapping for INT32_MIN)
	if a < 0 {
		n = a
	}
	t := q8OneMinusXOverOnePlusX(q8ExpOnNegativeValues(n, intBits+1)) // ExactMulByPot<1>
	if a < 0 {
		return -t
	}
	return t
}

// q8GetReciprocal is TFLite's GetReciprocal: for x > 0 with intDigits integer bits it returns
// 1/x as a Q0.31 value scaled by 2^numBitsOverUnit.
func q8GetReciprocal(x int32, intDigits int) (recip int32, numBitsOverUnit int) {
	headroomPlusOne := bits.LeadingZeros32(uint32(x))
	numBitsOverUnit = intDigits - headroomPlusOne
	shiftedSumMinusOne := int32((uint32(x) << headroomPlusOne) - (1 << 31))
	return q8OneOverOnePlusX(shiftedSumMinusOne), numBitsOverUnit
}

// q8CalculateInputRadius is TFLite's CalculateInputRadius with 31 total signed bits: the largest
// input difference that the fixed-point rescaling by 2^leftShift cannot saturate.
func q8CalculateInputRadius(intBits, leftShift int) int32 {
	maxInputRescaled := 1.0 * float64(int64(1)<<intBits-1) * float64(int64(1)<<(31-intBits)) / float64(int64(1)<<leftShift)
	return int32(math.Floor(maxInputRescaled))
}

// q8RoundHalfAway rounds like C's std::round / TfLiteRound on a float32 value.
func q8RoundHalfAway(v float32) float64 { return math.Round(float64(v)) }
