package model

import "math"

// The 16-bit fixed-point logistic and tanh of TFLite's integer LSTM
// (tensor_utils::PortableApplySigmoid and PortableApplyTanh), which evaluate gemmlowp's
// logistic and tanh templates on FixedPoint<int16_t, k>. They are the int32 algorithms of
// int8_fixedpoint.go on 16-bit raw values: every intermediate is an int16 (products are
// formed in int32, then narrowed as the C++ does), and every gemmlowp constant, written as a
// 32-bit fixed-point value, is rounded to 16 bits by RoundingDivideByPOT(c, 16)
// (gemmlowp's RescaleConstantInitializer).
//
// A Qk.(15−k) number is an int16 raw value r standing for r / 2^(15−k).

// Int16Sigmoid returns the logistic function of x, a Qk.(15−k) value with k = intBits, as a
// Q0.15 value (0 … 32767 for 0 … 1). TFLite's LSTM applies it with intBits 3 (Q3.12) to every
// sigmoid gate. intBits must be in [0, 12]; values outside are clamped.
func Int16Sigmoid(x int16, intBits int) int16 {
	intBits = min(max(intBits, 0), 12)
	if x == 0 {
		return q16Const(1 << 30) // one half
	}
	abs := x
	if x < 0 {
		abs = -x // wraps for −32768, as the C++ does; the value then stays negative
	}
	positive := q16OneOverOnePlusX(q16ExpOnNegativeValues(-abs, intBits))
	if x > 0 {
		return positive
	}
	return math.MaxInt16 - positive
}

// Int16Tanh returns tanh(x) for x a Qk.(15−k) value with k = intBits, as a Q0.15 value
// (−32767 … 32767). TFLite's LSTM applies it with intBits 3 to the cell gate and with
// 15 + cell_state_scale (0 … 6) to the cell state. intBits must be in [0, 11]; values outside
// are clamped.
func Int16Tanh(x int16, intBits int) int16 {
	intBits = min(max(intBits, 0), 11)
	if x == 0 {
		return 0
	}
	n := x // n = −|x|
	if x > 0 {
		n = -x
	}
	t := q16OneMinusXOverOnePlusX(q16ExpOnNegativeValues(n, intBits+1)) // ExactMulByPot<1>
	if x < 0 {
		return -t
	}
	return t
}

// q16Const is gemmlowp's RescaleConstantInitializer<int16_t>: a constant written as a 32-bit
// fixed-point raw value, rounded to 16 bits.
func q16Const(c32 int32) int16 { return int16(q8RoundingDivideByPOT(c32, 16)) }

// q16SaturatingRoundingMultiplyByPOT is gemmlowp's SaturatingRoundingMultiplyByPOT for int16:
// a rounding right shift (q8RoundingDivideByPOT16) for a negative exponent, a saturating left
// shift (q8SaturatingLeftShift16, the same clamp as gemmlowp's threshold test) for a positive one.
func q16SaturatingRoundingMultiplyByPOT(x int16, exponent int) int16 {
	if exponent < 0 {
		return q8RoundingDivideByPOT16(x, -exponent)
	}
	return q8SaturatingLeftShift16(x, exponent)
}

// q16Rescale changes the number of integer bits of a 16-bit fixed-point raw value.
func q16Rescale(x int16, src, dst int) int16 { return q16SaturatingRoundingMultiplyByPOT(x, src-dst) }

// q16RoundingHalfSum is gemmlowp's RoundingHalfSum for int16.
func q16RoundingHalfSum(a, b int16) int16 {
	sum := int32(a) + int32(b)
	sign := int32(1)
	if sum < 0 {
		sign = -1
	}
	return int16((sum + sign) / 2)
}

// q16ExpQuarter is exp(a) for a in [−1/4, 0), Q0.15 in and out.
func q16ExpQuarter(a int16) int16 {
	constantTerm := q16Const(1895147668) // exp(−1/8)
	oneThird := q16Const(715827883)
	x := a + q16Const(1<<28) // a + 1/8
	x2 := q8SaturatingRoundingDoublingHighMul16(x, x)
	x3 := q8SaturatingRoundingDoublingHighMul16(x2, x)
	x4 := q8SaturatingRoundingDoublingHighMul16(x2, x2)
	x4Over4 := q16SaturatingRoundingMultiplyByPOT(x4, -2)
	poly := q16SaturatingRoundingMultiplyByPOT(q8SaturatingRoundingDoublingHighMul16(x4Over4+x3, oneThird)+x2, -1)
	return constantTerm + q8SaturatingRoundingDoublingHighMul16(constantTerm, x+poly)
}

// q16ExpOnNegativeValues is gemmlowp's exp_on_negative_values on int16: exp(a) for a ≤ 0 with
// intBits integer bits (at most 13), result Q0.15.
func q16ExpOnNegativeValues(a int16, intBits int) int16 {
	frac := 15 - intBits
	oneQuarter := int16(1) << (frac - 2)
	mask := oneQuarter - 1
	aModQuarterMinusQuarter := (a & mask) - oneQuarter
	result := q16ExpQuarter(q16Rescale(aModQuarterMinusQuarter, intBits, 0))
	remainder := aModQuarterMinusQuarter - a
	for _, b := range q8ExpBarrel {
		if intBits > b.exponent && remainder&(int16(1)<<(frac+b.exponent)) != 0 {
			result = q8SaturatingRoundingDoublingHighMul16(result, q16Const(b.multiplier))
		}
	}
	if intBits > 5 && a < q16Const(-(int32(1)<<(36-intBits))) { // below −32
		result = 0
	}
	if a == 0 {
		result = math.MaxInt16
	}
	return result
}

// q16NewtonReciprocal is the Newton-Raphson division of gemmlowp's one_over_one_plus_x and
// one_minus_x_over_one_plus_x on int16: 2/(1+a) in Q2.13 for a in Q0.15.
func q16NewtonReciprocal(a int16) int16 {
	c48Over17 := q16Const(1515870810)
	cNeg32Over17 := q16Const(-1010580540)
	const one2 = 1 << 13 // 1 in Q2.13
	halfDenominator := q16RoundingHalfSum(a, math.MaxInt16)
	x := c48Over17 + q8SaturatingRoundingDoublingHighMul16(halfDenominator, cNeg32Over17)
	for i := 0; i < 3; i++ {
		halfDenominatorTimesX := q8SaturatingRoundingDoublingHighMul16(halfDenominator, x)
		oneMinus := one2 - halfDenominatorTimesX
		x = x + q16Rescale(q8SaturatingRoundingDoublingHighMul16(x, oneMinus), 4, 2)
	}
	return x
}

// q16OneOverOnePlusX is 1/(1+a) in Q0.15.
func q16OneOverOnePlusX(a int16) int16 { return q16Rescale(q16NewtonReciprocal(a), 1, 0) }

// q16OneMinusXOverOnePlusX is (1−a)/(1+a) in Q0.15.
func q16OneMinusXOverOnePlusX(a int16) int16 {
	return q16Rescale(q16NewtonReciprocal(a)-(1<<13), 2, 0)
}
