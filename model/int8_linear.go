package model

import (
	"math"
	"slices"
)

// Int8 convolution (including depthwise, as a grouped convolution) and fully connected layers,
// with the arithmetic of TFLite's reference_integer_ops::ConvPerChannel,
// DepthwiseConvPerChannel and FullyConnected: an int32 accumulator of
// (w − w_zp)·(x − x_zp) over the in-bounds window (padding contributes nothing, as if padded
// with the input zero point), plus the int32 bias, requantized per output channel with
// MultiplyByQuantizedMultiplier(acc, M_c, shift_c), M_c·2^shift_c ≈ s_x·s_w[c]/s_y computed in
// double precision, plus the output zero point, clamped to int8. Nodes with
// Attrs.FloatRequant requantize as ONNX's QLinearConv/QLinearMatMul reference instead.

func init() {
	RegisterInt8(OpConv, q8RunConv)
	RegisterInt8(OpDense, q8RunDense)
}

// q8OutStage requantizes int32 accumulators to the int8 output, per output channel.
type q8OutStage struct {
	multiplier []int32
	shift      []int
	real       []float64 // FloatRequant: the float32 scale s_x·s_w[c]/s_y, widened
	zp         int32
	onnx       bool
}

// newQ8OutStage prepares the requantization of m output channels for an input quantization,
// the weight's (per tensor or per channel along axis 0) and the node's output.
func newQ8OutStage(n *Node, in q8Affine, w *QTensor, m int) (*q8OutStage, error) {
	out, err := q8Output(n)
	if err != nil {
		return nil, err
	}
	ws := w.Quant.Scale
	if len(ws) != 1 && len(ws) != m {
		return nil, errNode(n, "weight has %d scales, want 1 or %d (one per output channel)", len(ws), m)
	}
	if len(ws) > 1 && w.Quant.Axis != 0 {
		return nil, errNode(n, "weight is quantized per channel along axis %d, want 0 (output channels)", w.Quant.Axis)
	}
	o := &q8OutStage{zp: out.zp, onnx: n.Attrs.FloatRequant,
		multiplier: make([]int32, m), shift: make([]int, m), real: make([]float64, m)}
	for c := 0; c < m; c++ {
		s := ws[0]
		if len(ws) > 1 {
			s = ws[c]
		}
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return nil, errNode(n, "weight scale %d is %v, want a positive finite number", c, s)
		}
		o.multiplier[c], o.shift[c] = QuantizeMultiplier(float64(in.scale) * float64(s) / float64(out.scale))
		o.real[c] = float64(in.scale * s / out.scale)
	}
	return o, nil
}

// apply returns the int8 output of channel c for accumulator acc.
func (o *q8OutStage) apply(acc int32, c int) int32 {
	if o.onnx {
		r := float64(acc)*o.real[c] + float64(o.zp)
		return int32(q8RoundHalfEven(min(max(r, q8Min), q8Max)))
	}
	return q8Clamp(MultiplyByQuantizedMultiplier(acc, o.multiplier[c], o.shift[c])+o.zp, q8Min, q8Max)
}

// q8WeightZeroPoints returns the weight zero point of each of m output channels.
func q8WeightZeroPoints(n *Node, w *QTensor, m int) ([]int32, error) {
	zp := make([]int32, m)
	switch len(w.Quant.ZeroPoint) {
	case 0:
	case 1:
		for i := range zp {
			zp[i] = w.Quant.ZeroPoint[0]
		}
	case m:
		copy(zp, w.Quant.ZeroPoint)
	default:
		return nil, errNode(n, "weight has %d zero points, want 0, 1 or %d", len(w.Quant.ZeroPoint), m)
	}
	return zp, nil
}

// q8CheckParams checks the node's int8 weight against its float weight's shape and its int32
// bias against the output channels.
func q8CheckParams(n *Node) error {
	w := n.QWeight
	if w == nil {
		return errNode(n, "computes in int8 but has no QWeight")
	}
	if k, err := NumElements(w.Shape); err != nil || k != len(w.Data) {
		return errNode(n, "QWeight shape %v does not match its %d elements", w.Shape, len(w.Data))
	}
	if n.Weight != nil && !slices.Equal(n.Weight.Shape, w.Shape) {
		return errNode(n, "QWeight shape %v differs from the weight shape %v", w.Shape, n.Weight.Shape)
	}
	if len(w.Shape) == 0 {
		return errNode(n, "QWeight has no shape")
	}
	if n.QBias != nil && len(n.QBias) != w.Shape[0] {
		return errNode(n, "QBias has %d elements, want %d", len(n.QBias), w.Shape[0])
	}
	return nil
}

// q8RunConv computes an int8 2D (or 1D) convolution with groups.
func q8RunConv(n *Node, a RunArgs) error {
	if err := q8CheckParams(n); err != nil {
		return err
	}
	in, err := q8Input(n, a, 0)
	if err != nil {
		return err
	}
	w := n.QWeight
	if len(w.Shape) != 4 && len(w.Shape) != 3 {
		return errNode(n, "QWeight shape %v, want [M, C/group, kH, kW] or [M, C/group, k]", w.Shape)
	}
	c, h, iw, ok := conv1DPlane(a.InShape[0])
	m, oh, ow, ok2 := conv1DPlane(a.Out)
	if !ok || !ok2 {
		return errNode(n, "input %v or output %v is not [C,H,W] or [C,L]", a.InShape[0], a.Out)
	}
	kh, kw := 1, w.Shape[2]
	if len(w.Shape) == 4 {
		kh, kw = w.Shape[2], w.Shape[3]
	}
	groups := n.Groups()
	if m != w.Shape[0] || c%groups != 0 || m%groups != 0 || w.Shape[1]*groups != c {
		return errNode(n, "QWeight %v does not fit input channels %d, output channels %d, group %d", w.Shape, c, m, groups)
	}
	stage, err := newQ8OutStage(n, in, w, m)
	if err != nil {
		return err
	}
	wzp, err := q8WeightZeroPoints(n, w, m)
	if err != nil {
		return err
	}
	strides, pads, dil := n.ConvGeometry()
	sy, sx, py, px, dy, dx := strides[0], strides[1], pads[0], pads[1], dil[0], dil[1]
	cg, mg := c/groups, m/groups
	k := cg * kh * kw
	x := q8Offset(a.Ins[0].Data, in.zp)
	wt := q8WeightInts(w.Data, wzp, cg*kh*kw)
	y := a.Y.Data
	inSize, outSize, pixels := c*h*iw, m*oh*ow, oh*ow
	parallelFor(a.Batch*m, 1, a.Batch*outSize*k, func(lo, hi int) {
		acc := make([]int32, pixels)
		for t := lo; t < hi; t++ {
			s, oc := t/m, t%m
			g := oc / mg
			xs := x[s*inSize+g*cg*h*iw : s*inSize+(g+1)*cg*h*iw]
			ws := wt[oc*k : (oc+1)*k]
			clear(acc)
			for ic := 0; ic < cg; ic++ {
				plane := xs[ic*h*iw : (ic+1)*h*iw]
				for ky := 0; ky < kh; ky++ {
					for kx := 0; kx < kw; kx++ {
						wv := ws[(ic*kh+ky)*kw+kx]
						if wv == 0 {
							continue // adds nothing; pruned weights are free
						}
						// output columns whose input column ox·sx − px + kx·dx is in bounds
						off := kx*dx - px
						oxa, oxb := q8CeilDiv(-off, sx), q8CeilDiv(iw-off, sx)
						oxa, oxb = max(oxa, 0), min(oxb, ow)
						for oy := 0; oy < oh; oy++ {
							iy := oy*sy - py + ky*dy
							if iy < 0 || iy >= h {
								continue
							}
							row, dst := plane[iy*iw:(iy+1)*iw], acc[oy*ow:(oy+1)*ow]
							for ox := oxa; ox < oxb; ox++ {
								dst[ox] += wv * row[ox*sx+off]
							}
						}
					}
				}
			}
			dst := y[s*outSize+oc*pixels : s*outSize+(oc+1)*pixels]
			for i, v := range acc {
				if n.QBias != nil {
					v += n.QBias[oc]
				}
				dst[i] = float32(stage.apply(v, oc))
			}
		}
	})
	return nil
}

// q8CeilDiv returns ⌈a/b⌉ for b > 0.
func q8CeilDiv(a, b int) int {
	if a >= 0 {
		return (a + b - 1) / b
	}
	return -((-a) / b)
}

// q8Offset returns int8 values as int32 minus the zero point (x − zp), ready to multiply.
func q8Offset(x []float32, zp int32) []int32 {
	out := make([]int32, len(x))
	for i, v := range x {
		out[i] = int32(v) - zp
	}
	return out
}

// q8WeightInts returns the weights as int32 minus each output channel's zero point; each
// channel has per consecutive weights.
func q8WeightInts(w []int8, zp []int32, per int) []int32 {
	out := make([]int32, len(w))
	for i, v := range w {
		out[i] = int32(v) - zp[i/per]
	}
	return out
}

// q8RunDense computes an int8 fully connected layer over the flattened input.
func q8RunDense(n *Node, a RunArgs) error {
	if err := q8CheckParams(n); err != nil {
		return err
	}
	in, err := q8Input(n, a, 0)
	if err != nil {
		return err
	}
	w := n.QWeight
	if len(w.Shape) != 2 {
		return errNode(n, "QWeight shape %v, want [N, K]", w.Shape)
	}
	nOut, k := w.Shape[0], w.Shape[1]
	if kin, _ := NumElements(a.InShape[0]); kin != k {
		return errNode(n, "input has %d elements, QWeight expects %d", kin, k)
	}
	stage, err := newQ8OutStage(n, in, w, nOut)
	if err != nil {
		return err
	}
	wzp, err := q8WeightZeroPoints(n, w, nOut)
	if err != nil {
		return err
	}
	x, y := q8Offset(a.Ins[0].Data[:a.Batch*k], in.zp), a.Y.Data
	wt := q8WeightInts(w.Data, wzp, k)
	parallelFor(a.Batch*nOut, 1, a.Batch*nOut*k, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			s, o := t/nOut, t%nOut
			xs, ws := x[s*k:(s+1)*k], wt[o*k:(o+1)*k]
			var acc int32
			for i, wv := range ws {
				acc += wv * xs[i]
			}
			if n.QBias != nil {
				acc += n.QBias[o]
			}
			y[s*nOut+o] = float32(stage.apply(acc, o))
		}
	})
	return nil
}
