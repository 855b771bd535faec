package model

import (
	"math"
)

// Int8 elementwise operators with the arithmetic of TFLite's reference integer kernels:
// Add and Sub (integer_ops/add.h, sub.h: both operands shifted left by 20 bits and rescaled to
// twice the larger input scale, summed, rescaled to the output), Mul (integer_ops/mul.h), ReLU
// and Clip (activations: requantize to the output, clamp to the quantized bounds), Sigmoid
// (integer_ops/logistic.h) and Tanh (integer_ops/tanh.h) in gemmlowp fixed point. Add, Sub and
// Mul broadcast like their float kernels.

func init() {
	RegisterInt8(OpAdd, func(n *Node, a RunArgs) error { return q8RunAddSub(n, a, false) })
	RegisterInt8(OpSub, func(n *Node, a RunArgs) error { return q8RunAddSub(n, a, true) })
	RegisterInt8(OpMul, q8RunMul)
	RegisterInt8(OpRelu, func(n *Node, a RunArgs) error {
		return q8RunClamp(n, a, 0, float32(math.Inf(1)))
	})
	RegisterInt8(OpClip, func(n *Node, a RunArgs) error {
		return q8RunClamp(n, a, n.Attrs.Min, n.Attrs.Max)
	})
	RegisterInt8(OpSigmoid, q8RunLogistic)
	RegisterInt8(OpTanh, q8RunTanh)
}

// q8AddLeftShift is the left shift TFLite applies to int8 Add and Sub operands.
const q8AddLeftShift = 20

// q8Binary runs a broadcasting binary int8 kernel f on the operands' integer values.
func q8Binary(n *Node, a RunArgs, f func(x, y int32) int32) error {
	if a.IsConst[0] && a.IsConst[1] {
		return errNode(n, "both operands are constants")
	}
	runBroadcast(a, func(x, y float32) float32 { return float32(f(int32(x), int32(y))) })
	return nil
}

// q8RunAddSub computes int8 Add, or Sub when sub is set.
func q8RunAddSub(n *Node, a RunArgs, sub bool) error {
	in1, err := q8Input(n, a, 0)
	if err != nil {
		return err
	}
	in2, err := q8Input(n, a, 1)
	if err != nil {
		return err
	}
	out, err := q8Output(n)
	if err != nil {
		return err
	}
	twiceMax := float64(2 * max(in1.scale, in2.scale))
	m1, s1 := QuantizeMultiplier(float64(in1.scale) / twiceMax)
	m2, s2 := QuantizeMultiplier(float64(in2.scale) / twiceMax)
	mo, so := QuantizeMultiplier(twiceMax / (float64(1<<q8AddLeftShift) * float64(out.scale)))
	return q8Binary(n, a, func(x, y int32) int32 {
		v1 := MultiplyByQuantizedMultiplier((x-in1.zp)*(1<<q8AddLeftShift), m1, s1)
		v2 := MultiplyByQuantizedMultiplier((y-in2.zp)*(1<<q8AddLeftShift), m2, s2)
		raw := v1 + v2
		if sub {
			raw = v1 - v2
		}
		return q8Clamp(MultiplyByQuantizedMultiplier(raw, mo, so)+out.zp, q8Min, q8Max)
	})
}

// q8RunMul computes int8 Mul: zp_y + MultiplyByQuantizedMultiplier((x−zp_x)(z−zp_z), M, shift)
// with M·2^shift ≈ s_x·s_z/s_y.
func q8RunMul(n *Node, a RunArgs) error {
	in1, err := q8Input(n, a, 0)
	if err != nil {
		return err
	}
	in2, err := q8Input(n, a, 1)
	if err != nil {
		return err
	}
	out, err := q8Output(n)
	if err != nil {
		return err
	}
	m, s := QuantizeMultiplier(float64(in1.scale) * float64(in2.scale) / float64(out.scale))
	return q8Binary(n, a, func(x, y int32) int32 {
		return q8Clamp(out.zp+MultiplyByQuantizedMultiplier((x-in1.zp)*(y-in2.zp), m, s), q8Min, q8Max)
	})
}

// q8ActivationBound quantizes a real clamp bound v with the output quantization as TFLite's
// CalculateActivationRangeQuantized does (zp + round(v/scale) in float32), limited to int8.
func q8ActivationBound(v float32, out q8Affine) int32 {
	if math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) {
		if v < 0 {
			return q8Min
		}
		return q8Max
	}
	r := q8RoundHalfAway(v/out.scale) + float64(out.zp)
	return int32(min(max(r, q8Min), q8Max))
}

// q8RunClamp computes int8 ReLU / ReLU6 / Clip [lo, hi]: the input is requantized to the output
// quantization (the identity when they agree, as for fused activations) and clamped to the
// quantized bounds.
func q8RunClamp(n *Node, a RunArgs, lo, hi float32) error {
	in, out, err := q8Unary(n, a)
	if err != nil {
		return err
	}
	qlo, qhi := q8ActivationBound(lo, out), q8ActivationBound(hi, out)
	r := newQ8Requant(in, out)
	for i, v := range a.Ins[0].Data[:len(a.Y.Data)] {
		a.Y.Data[i] = float32(q8Clamp(r.apply(int32(v)), qlo, qhi))
	}
	return nil
}

// q8FixedOutput checks that a node's output quantization is the fixed one TFLite's int8 kernel
// produces; if not, it reports false.
func q8FixedOutput(out q8Affine, scale float32, zp int32) bool {
	return out.scale == scale && out.zp == zp
}

// q8InputRescale returns TFLite's input multiplier, left shift and input radius for Logistic
// and Tanh (4 integer bits): frexp of s_x·2^27 without renormalisation.
func q8InputRescale(in q8Affine) (multiplier int32, shift int, radius int32) {
	q, exp := math.Frexp(float64(in.scale) * float64(int64(1)<<27))
	multiplier = int32(int64(math.Round(q * (1 << 31))))
	return multiplier, exp, q8CalculateInputRadius(4, exp)
}

// q8RunLogistic computes int8 Sigmoid as TFLite's reference_integer_ops::Logistic when the
// output has TFLite's fixed quantization (1/256, −128); any other output quantization falls
// back to dequantize → float sigmoid → quantize, which is not TFLite arithmetic.
func q8RunLogistic(n *Node, a RunArgs) error {
	in, out, err := q8Unary(n, a)
	if err != nil {
		return err
	}
	if !q8FixedOutput(out, 1.0/256, -128) {
		return q8FloatFallback(a, in, out, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) })
	}
	mult, shift, radius := q8InputRescale(in)
	for i, v := range a.Ins[0].Data[:len(a.Y.Data)] {
		x := int32(v) - in.zp
		var y int32
		switch {
		case x <= -radius:
			y = q8Min
		case x >= radius:
			y = q8Max
		default:
			q0 := q8Logistic(MultiplyByQuantizedMultiplier(x, mult, shift), 4)
			y = q8Clamp(q8RoundingDivideByPOT(q0, 31-8)-128, q8Min, q8Max)
		}
		a.Y.Data[i] = float32(y)
	}
	return nil
}

// q8RunTanh computes int8 Tanh as TFLite's reference_integer_ops::Tanh when the output has
// TFLite's fixed quantization (1/128, 0); otherwise it falls back to float like q8RunLogistic.
func q8RunTanh(n *Node, a RunArgs) error {
	in, out, err := q8Unary(n, a)
	if err != nil {
		return err
	}
	if !q8FixedOutput(out, 1.0/128, 0) {
		return q8FloatFallback(a, in, out, math.Tanh)
	}
	mult, shift, radius := q8InputRescale(in)
	for i, v := range a.Ins[0].Data[:len(a.Y.Data)] {
		x := int32(v) - in.zp
		var y int32
		switch {
		case x <= -radius:
			y = q8Min
		case x >= radius:
			y = q8Max
		default:
			q0 := q8Tanh(MultiplyByQuantizedMultiplier(x, mult, shift), 4)
			y = q8Clamp(q8RoundingDivideByPOT(q0, 31-7), q8Min, q8Max)
		}
		a.Y.Data[i] = float32(y)
	}
	return nil
}

// q8FloatFallback computes an elementwise function by dequantizing, applying f in float64 and
// quantizing with TFLite's rounding. It is used only where the int8 kernel of TFLite requires
// an output quantization the node does not have.
func q8FloatFallback(a RunArgs, in, out q8Affine, f func(float64) float64) error {
	for i, v := range a.Ins[0].Data[:len(a.Y.Data)] {
		real := f(float64(in.scale) * float64(int32(v)-in.zp))
		a.Y.Data[i] = float32(q8QuantizeValue(float32(real), out.scale, out.zp, false))
	}
	return nil
}
