package model

import (
	"fmt"
	"math"
)

// Quantization parameters as the int8 kernels need them, and the Quantize and Dequantize
// operators.
//
// Int8 values live in ordinary float32 tensors holding the integers −128…127 exactly. ONNX uint8
// tensors are stored the same way after subtracting 128 from the data and the zero point, which
// leaves every real value, and every result, unchanged (see int8_onnx.go).

// q8Min and q8Max bound the int8 domain.
const (
	q8Min = math.MinInt8
	q8Max = math.MaxInt8
)

// q8Affine is a per-tensor quantization: real = scale·(q − zp).
type q8Affine struct {
	scale float32
	zp    int32
}

// q8PerTensor returns the single scale and zero point of q, or an error naming what it
// quantizes.
func q8PerTensor(n *Node, q *QuantParams, what string) (q8Affine, error) {
	if q == nil {
		return q8Affine{}, errNode(n, "%s has no quantization parameters", what)
	}
	if len(q.Scale) != 1 || len(q.ZeroPoint) > 1 {
		return q8Affine{}, errNode(n, "%s needs per-tensor quantization, got %d scales and %d zero points", what, len(q.Scale), len(q.ZeroPoint))
	}
	s := q.Scale[0]
	if !(s > 0) || math.IsInf(float64(s), 0) {
		return q8Affine{}, errNode(n, "%s has scale %v, want a positive finite number", what, s)
	}
	a := q8Affine{scale: s}
	if len(q.ZeroPoint) == 1 {
		a.zp = q.ZeroPoint[0]
	}
	if a.zp < q8Min || a.zp > q8Max {
		return q8Affine{}, errNode(n, "%s has zero point %d outside the int8 range", what, a.zp)
	}
	return a, nil
}

// q8Output returns the node's output quantization (Attrs.Quant).
func q8Output(n *Node) (q8Affine, error) { return q8PerTensor(n, n.Attrs.Quant, "the output") }

// q8Unary returns the per-tensor quantization of a one-input node's input and output.
func q8Unary(n *Node, a RunArgs) (in, out q8Affine, err error) {
	if in, err = q8Input(n, a, 0); err != nil {
		return in, out, err
	}
	out, err = q8Output(n)
	return in, out, err
}

// q8Input returns the quantization of input i, found by the interpreter in Graph.Quant.
func q8Input(n *Node, a RunArgs, i int) (q8Affine, error) {
	var q *QuantParams
	if i < len(a.InQuant) {
		q = a.InQuant[i]
	}
	if q == nil {
		return q8Affine{}, errNode(n, "input %d (%q) is not an int8 value: Graph.Quant has no entry for it", i, n.Inputs[i])
	}
	return q8PerTensor(n, q, "input "+n.Inputs[i])
}

// q8Clamp limits v to [lo, hi].
func q8Clamp(v, lo, hi int32) int32 { return min(max(v, lo), hi) }

// q8Requant maps an int8 value of one quantization to another as TFLite's Requantize does:
// out = zpOut + MultiplyByQuantizedMultiplier(q − zpIn, M, shift), M·2^shift ≈ sIn/sOut,
// clamped to int8. It is the identity when both quantizations are equal.
type q8Requant struct {
	in, out    q8Affine
	multiplier int32
	shift      int
	identity   bool
}

func newQ8Requant(in, out q8Affine) q8Requant {
	r := q8Requant{in: in, out: out, identity: in == out}
	r.multiplier, r.shift = QuantizeMultiplier(float64(in.scale) / float64(out.scale))
	return r
}

func (r q8Requant) apply(q int32) int32 {
	if r.identity {
		return q
	}
	return q8Clamp(r.out.zp+MultiplyByQuantizedMultiplier(q-r.in.zp, r.multiplier, r.shift), q8Min, q8Max)
}

// q8RoundHalfEven rounds to nearest, ties to even (numpy's rint, ONNX's rounding).
func q8RoundHalfEven(v float64) float64 { return math.RoundToEven(v) }

// q8QuantizeValue quantizes one real value: TFLite's reference rounds v/scale (a float32
// division) half away from zero; ONNX (onnx true) rounds half to even. The result saturates to
// int8.
func q8QuantizeValue(v, scale float32, zp int32, onnx bool) int32 {
	d := v / scale
	var r float64
	if onnx {
		r = q8RoundHalfEven(float64(d))
	} else {
		r = q8RoundHalfAway(d)
	}
	if math.IsNaN(r) {
		return q8Clamp(zp, q8Min, q8Max)
	}
	r += float64(zp)
	return int32(min(max(r, q8Min), q8Max))
}

// q8Channels describes how a possibly per-channel quantization applies to a tensor of a given
// (per-sample) shape: element i uses channel (i / inner) % count.
type q8Channels struct {
	scale []float32
	zp    []int32
	inner int
	count int
}

func q8ChannelsOf(n *Node, q *QuantParams, shape []int, what string) (q8Channels, error) {
	if q == nil || len(q.Scale) == 0 {
		return q8Channels{}, errNode(n, "%s has no quantization parameters", what)
	}
	c := q8Channels{scale: q.Scale, zp: q.ZeroPoint, inner: 1, count: 1}
	if len(q.ZeroPoint) > 1 && len(q.ZeroPoint) != len(q.Scale) {
		return q8Channels{}, errNode(n, "%s has %d scales but %d zero points", what, len(q.Scale), len(q.ZeroPoint))
	}
	if len(q.Scale) > 1 {
		if q.Axis < 0 || q.Axis >= len(shape) || shape[q.Axis] != len(q.Scale) {
			return q8Channels{}, errNode(n, "%s: %d per-channel scales along axis %d do not fit shape %v", what, len(q.Scale), q.Axis, shape)
		}
		c.count = len(q.Scale)
		for _, d := range shape[q.Axis+1:] {
			c.inner *= d
		}
	}
	for i, s := range q.Scale {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return q8Channels{}, errNode(n, "%s: scale %d is %v, want a positive finite number", what, i, s)
		}
	}
	for i, z := range q.ZeroPoint {
		if z < q8Min || z > q8Max {
			return q8Channels{}, errNode(n, "%s: zero point %d is %d, outside the int8 range", what, i, z)
		}
	}
	return c, nil
}

// at returns the scale and zero point of per-sample element i.
func (c q8Channels) at(i int) (float32, int32) {
	ch := 0
	if c.count > 1 {
		ch = (i / c.inner) % c.count
	}
	var zp int32
	switch len(c.zp) {
	case 0:
	case 1:
		zp = c.zp[0]
	default:
		zp = c.zp[ch]
	}
	return c.scale[ch], zp
}

func init() {
	RegisterOp(OpQuantize, OpKernel{Inputs: 1, Infer: inferUnary, Run: q8RunQuantize})
	RegisterOp(OpDequantize, OpKernel{Inputs: 1, Infer: inferUnary, Run: q8RunDequantize})
}

// q8RunQuantize converts float32 to int8 with Attrs.Quant (per tensor or per channel). When the
// input is itself int8 (it has a Graph.Quant entry), it requantizes instead, as TFLite's
// QUANTIZE operator does for int8 inputs.
func q8RunQuantize(n *Node, a RunArgs) error {
	if len(a.InQuant) > 0 && a.InQuant[0] != nil {
		in, err := q8Input(n, a, 0)
		if err != nil {
			return err
		}
		out, err := q8Output(n)
		if err != nil {
			return err
		}
		r := newQ8Requant(in, out)
		for i, v := range a.Ins[0].Data[:len(a.Y.Data)] {
			a.Y.Data[i] = float32(r.apply(int32(v)))
		}
		return nil
	}
	ch, err := q8ChannelsOf(n, n.Attrs.Quant, a.Out, "the output")
	if err != nil {
		return err
	}
	per, _ := NumElements(a.Out)
	x := q8SampleData(a, 0, len(a.Y.Data))
	for i, v := range x {
		s, zp := ch.at(i % per)
		a.Y.Data[i] = float32(q8QuantizeValue(v, s, zp, n.Attrs.FloatRequant))
	}
	return nil
}

// q8RunDequantize converts int8 to float32 with the input's quantization: scale·(q − zp),
// computed in double precision and rounded once to float32 as TFLite's reference does (for
// int8 operands this equals the float32 product ONNX specifies).
func q8RunDequantize(n *Node, a RunArgs) error {
	var q *QuantParams
	if len(a.InQuant) > 0 {
		q = a.InQuant[0]
	}
	ch, err := q8ChannelsOf(n, q, a.InShape[0], "input "+n.Inputs[0])
	if err != nil {
		return err
	}
	per, _ := NumElements(a.Out)
	x := q8SampleData(a, 0, len(a.Y.Data))
	for i, v := range x {
		s, zp := ch.at(i % per)
		a.Y.Data[i] = float32(float64(s) * (float64(v) - float64(zp)))
	}
	return nil
}

// q8SampleData returns input i's data for the whole batch: a constant input (no batch
// dimension) is repeated for every sample.
func q8SampleData(a RunArgs, i, total int) []float32 {
	x := a.Ins[i].Data
	if !a.IsConst[i] || len(x) == total {
		return x[:total]
	}
	out := make([]float32, 0, total)
	for len(out) < total {
		out = append(out, x...)
	}
	return out
}

// QuantizeReals converts real values to the int8 codes an int8 graph input holds, in place,
// with the per-tensor quantization q as TFLite's reference does (v/scale in float32, rounded
// half away from zero, plus the zero point, saturated). The codes stay float32 values, as the
// interpreter stores int8 data.
func QuantizeReals(x []float32, q *QuantParams) error {
	scale, zp, err := perTensor(q)
	if err != nil {
		return err
	}
	for i, v := range x {
		x[i] = float32(q8QuantizeValue(v, scale, zp, false))
	}
	return nil
}

// DequantizeCodes converts int8 codes (an int8 graph output) to real values, in place:
// scale·(code − zero point), computed in double precision and rounded once.
func DequantizeCodes(x []float32, q *QuantParams) error {
	scale, zp, err := perTensor(q)
	if err != nil {
		return err
	}
	for i, v := range x {
		x[i] = float32(float64(scale) * (float64(v) - float64(zp)))
	}
	return nil
}

// perTensor returns a per-tensor quantization's scale and zero point.
func perTensor(q *QuantParams) (float32, int32, error) {
	switch {
	case q == nil || len(q.Scale) != 1 || len(q.ZeroPoint) > 1:
		return 0, 0, fmt.Errorf("quantization %+v is not per tensor (one scale, at most one zero point)", q)
	case !(q.Scale[0] > 0) || math.IsInf(float64(q.Scale[0]), 0):
		return 0, 0, fmt.Errorf("quantization scale %v, want a positive finite number", q.Scale[0])
	}
	var zp int32
	if len(q.ZeroPoint) == 1 {
		zp = q.ZeroPoint[0]
	}
	if zp < q8Min || zp > q8Max {
		return 0, 0, fmt.Errorf("quantization zero point %d is outside int8", zp)
	}
	return q.Scale[0], zp, nil
}
