package explore

import (
	"fmt"
	"math"

	"github.com/tcdse/tcdse/model"
)

// quantWeightMax is the largest magnitude of a symmetric int8 weight (TFLite's [−127, 127]).
const quantWeightMax = 127

// quantWeights sets QWeight and QBias of an int8 Conv or Dense node whose input has scale
// inScale: symmetric weights (zero point 0) with one scale max|w|/127 per output channel (axis
// 0), or one for the whole tensor when perTensor, and an int32 bias of scale inScale·w_scale.
// Weight and Bias are replaced by their dequantized values, so a weight that was 0 stays
// exactly 0. A channel whose weights are all zero gets the layer's largest scale (any positive
// scale represents it).
func quantWeights(n *model.Node, inScale float32, perTensor bool) error {
	w := n.Weight
	if w == nil || len(w.Shape) < 2 || w.Shape[0] == 0 {
		return fmt.Errorf("quantize: node %q (%s) has no weight to quantize", n.Name, n.Op)
	}
	m := w.Shape[0]
	per := len(w.Data) / m
	maxAbs := make([]float64, m)
	var layerMax float64
	for i, v := range w.Data {
		a := math.Abs(float64(v))
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return fmt.Errorf("quantize: node %q (%s): weight %d is %v", n.Name, n.Op, i, v)
		}
		maxAbs[i/per] = math.Max(maxAbs[i/per], a)
		layerMax = math.Max(layerMax, a)
	}
	if perTensor {
		for c := range maxAbs {
			maxAbs[c] = layerMax
		}
	}
	if layerMax == 0 {
		layerMax = quantWeightMax // all weights zero: scale 1
	}
	scales := make([]float32, m)
	for c, a := range maxAbs {
		if a == 0 {
			a = layerMax
		}
		scales[c] = float32(a / quantWeightMax)
	}
	q := &model.QTensor{Shape: append([]int(nil), w.Shape...), Data: make([]int8, len(w.Data))}
	deq := &model.Tensor{Shape: append([]int(nil), w.Shape...), Data: make([]float32, len(w.Data))}
	for i, v := range w.Data {
		s := scales[i/per]
		r := math.Round(float64(v) / float64(s))
		r = math.Min(math.Max(r, -quantWeightMax), quantWeightMax)
		q.Data[i] = int8(r)
		deq.Data[i] = float32(float64(s) * r)
	}
	if perTensor {
		q.Quant = model.QuantParams{Scale: scales[:1], ZeroPoint: []int32{0}}
	} else {
		q.Quant = model.QuantParams{Scale: scales, ZeroPoint: make([]int32, m), Axis: 0}
	}
	n.QWeight, n.Weight = q, deq
	n.QBias = nil
	if n.Bias == nil {
		return nil
	}
	if n.Bias.Len() != m {
		return fmt.Errorf("quantize: node %q (%s): bias has %d elements, want %d", n.Name, n.Op, n.Bias.Len(), m)
	}
	n.QBias = make([]int32, m)
	bias := &model.Tensor{Shape: []int{m}, Data: make([]float32, m)}
	for c, b := range n.Bias.Data {
		s := float64(inScale) * float64(scales[c])
		r := math.Round(float64(b) / s)
		if math.IsNaN(r) {
			return fmt.Errorf("quantize: node %q (%s): bias %d is %v", n.Name, n.Op, c, b)
		}
		r = math.Min(math.Max(r, math.MinInt32), math.MaxInt32)
		n.QBias[c] = int32(r)
		bias.Data[c] = float32(s * r)
	}
	n.Bias = bias
	return nil
}

// quantConst returns an int8 copy of a constant with per-tensor asymmetric parameters from its
// own range, and those parameters.
func quantConst(t *model.Tensor) (*model.Tensor, *model.QuantParams) {
	r := quantRange{lo: math.Inf(1), hi: math.Inf(-1)}
	for _, v := range t.Data {
		r.lo, r.hi = math.Min(r.lo, float64(v)), math.Max(r.hi, float64(v))
	}
	if len(t.Data) == 0 {
		r = quantRange{}
	}
	p := quantActivationParams(r)
	out := &model.Tensor{Shape: append([]int(nil), t.Shape...), Data: make([]float32, len(t.Data))}
	for i, v := range t.Data {
		out.Data[i] = float32(quantRealToInt8(float64(v), p))
	}
	return out, p
}

// quantRealToInt8 quantizes one real value with per-tensor parameters, rounding half away from
// zero and saturating.
func quantRealToInt8(v float64, p *model.QuantParams) int32 {
	r := math.Round(v/float64(p.Scale[0])) + float64(p.ZeroPoint[0])
	return int32(math.Min(math.Max(r, -128), 127))
}
