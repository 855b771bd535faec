package model

import (
	"math"
)

// Int8 LeakyRelu and HardSwish with the arithmetic of TFLite's reference integer kernels:
// reference_ops::QuantizeLeakyRelu (two requantizations, one for each sign of the input) and
// reference_ops::HardSwish (a 16-bit fixed-point evaluation of x·relu6(x+3)/6), with the
// parameters TFLite's LeakyReluPrepare and HardSwishPrepare compute.

func init() {
	RegisterInt8(OpLeakyRelu, q8RunLeakyRelu)
	RegisterInt8(OpHardSwish, q8RunHardSwish)
}

// q8RunLeakyRelu computes int8 LeakyRelu: an input q ≥ zp_x is requantized with the multiplier
// s_x/s_y, one below with α·s_x/s_y (computed in float32, as TFLite does; α may be negative or
// above 1), then the output zero point is added and the result clamped to int8.
func q8RunLeakyRelu(n *Node, a RunArgs) error {
	in, out, err := q8Unary(n, a)
	if err != nil {
		return err
	}
	if a.IsConst[0] {
		return errNode(n, "the input is a constant")
	}
	alphaReal := float32(in.scale*n.Attrs.Alpha) / out.scale
	ma, sa := QuantizeMultiplier(float64(alphaReal))
	mi, si := QuantizeMultiplier(float64(in.scale / out.scale))
	for i, v := range a.Ins[0].Data[:len(a.Y.Data)] {
		x := int32(v) - in.zp
		var y int32
		if x >= 0 {
			y = MultiplyByQuantizedMultiplier(x, mi, si)
		} else {
			y = MultiplyByQuantizedMultiplier(x, ma, sa)
		}
		a.Y.Data[i] = float32(q8Clamp(out.zp+y, q8Min, q8Max))
	}
	return nil
}

// q8HardSwishParams are TFLite's HardSwishParams: 16-bit fixed-point multipliers from the
// "high-resolution" input scale s_x/128 to the output scale and to the scale on which the real
// value 3 is 32768.
type q8HardSwishParams struct {
	inZP, outZP    int32
	outMultiplier  int16
	outExponent    int
	reluMultiplier int16
	reluExponent   int
}

// newQ8HardSwishParams computes the parameters as TFLite's HardSwishPrepare does, in float32.
// TFLite requires the output multiplier to need no left shift; so does this.
func newQ8HardSwishParams(n *Node, in, out q8Affine) (q8HardSwishParams, error) {
	p := q8HardSwishParams{inZP: in.zp, outZP: out.zp}
	hiresInScale := float32(1.0/128.0) * in.scale
	const reluishScale = float32(3.0 / 32768.0)
	m, e := QuantizeMultiplier(float64(hiresInScale / out.scale))
	p.outMultiplier, p.outExponent = q8DownScaleMultiplier16(m), e
	if p.outExponent > 0 {
		return p, errNode(n, "int8 HardSwish needs output scale ≥ input scale/256 (TFLite's limit), got input %v, output %v", in.scale, out.scale)
	}
	m, e = QuantizeMultiplier(float64(hiresInScale / reluishScale))
	p.reluMultiplier, p.reluExponent = q8DownScaleMultiplier16(m), e
	return p, nil
}

// q8DownScaleMultiplier16 is TFLite's DownScaleInt32ToInt16Multiplier: the 31-bit fixed-point
// multiplier rounded to its top 15 bits.
func q8DownScaleMultiplier16(m int32) int16 {
	const roundingOffset = 1 << 15
	if m >= math.MaxInt32-roundingOffset {
		return math.MaxInt16
	}
	return int16((m + roundingOffset) >> 16)
}

// q8SaturatingLeftShift16 is TFLite's SaturatingLeftShift for int16.
func q8SaturatingLeftShift16(v int16, amount int) int16 {
	r := int64(v) * (int64(1) << amount)
	return int16(min(max(r, math.MinInt16), math.MaxInt16))
}

// q8SaturatingRoundingDoublingHighMul16 is gemmlowp's SaturatingRoundingDoublingHighMul for
// int16 (ARM SQRDMULH): round(a·b / 2^15), ties away from zero.
func q8SaturatingRoundingDoublingHighMul16(a, b int16) int16 {
	if a == b && a == math.MinInt16 {
		return math.MaxInt16
	}
	ab := int32(a) * int32(b)
	nudge := int32(1 << 14)
	if ab < 0 {
		nudge = 1 - (1 << 14)
	}
	return int16((ab + nudge) / (1 << 15))
}

// q8SaturatingDoublingHighMul16 is TFLite's SaturatingDoublingHighMul (ARM SQDMULH): a·b / 2^15
// truncated toward zero.
func q8SaturatingDoublingHighMul16(a, b int16) int16 {
	if a == b && a == math.MinInt16 {
		return math.MaxInt16
	}
	return int16(int32(a) * int32(b) / (1 << 15))
}

// q8RoundingDivideByPOT16 is gemmlowp's RoundingDivideByPOT on int16, including the C++'s
// behaviour when the exponent is 16 or more (the mask truncated to 16 bits).
func q8RoundingDivideByPOT16(x int16, exponent int) int16 {
	mask := int16((int64(1) << exponent) - 1)
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

// apply is the per-element body of TFLite's reference_ops::HardSwish for an int8 value q.
func (p q8HardSwishParams) apply(q int32) int32 {
	x := int16(q - p.inZP)
	hires := x * (1 << 7)
	preshiftOut := q8SaturatingRoundingDoublingHighMul16(hires, p.outMultiplier)
	reluish := hires
	if p.reluExponent > 0 {
		reluish = q8SaturatingLeftShift16(reluish, p.reluExponent-1)
	}
	reluish = q8SaturatingRoundingDoublingHighMul16(reluish, p.reluMultiplier)
	if p.reluExponent > 0 {
		reluish = q8SaturatingLeftShift16(reluish, 1)
	}
	if p.reluExponent < 0 {
		reluish = q8RoundingDivideByPOT16(reluish, -p.reluExponent)
	}
	reluish = int16((int32(reluish) + (1 << 15)) >> 1) // [−1, 1] → [0, 1]
	preshift := q8SaturatingDoublingHighMul16(reluish, preshiftOut)
	y := q8RoundingDivideByPOT16(preshift, -p.outExponent)
	y = int16(int32(y) + p.outZP)
	return q8Clamp(int32(y), q8Min, q8Max)
}

// q8RunHardSwish computes int8 HardSwish as TFLite's reference kernel.
func q8RunHardSwish(n *Node, a RunArgs) error {
	in, out, err := q8Unary(n, a)
	if err != nil {
		return err
	}
	if a.IsConst[0] {
		return errNode(n, "the input is a constant")
	}
	p, err := newQ8HardSwishParams(n, in, out)
	if err != nil {
		return err
	}
	for i, v := range a.Ins[0].Data[:len(a.Y.Data)] {
		a.Y.Data[i] = float32(p.apply(int32(v)))
	}
	return nil
}
