package model

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/tcdse/tcdse/model/onnxpb"
)

// ONNX import of QuantizeLinear, DequantizeLinear, QLinearConv and QLinearMatMul.
//
// The IR computes in int8. ONNX uint8 tensors are mapped to int8 by subtracting 128 from the
// data and the zero point: real = s·(q − zp) is unchanged, and so is every result of these
// operators (their arithmetic only sees q − zp, and saturation to [0, 255] becomes saturation to
// [−128, 127]). A caller feeding uint8 data to an imported graph input, or reading a uint8
// graph output, subtracts or adds 128.
//
// Imported nodes set Attrs.FloatRequant: QuantizeLinear rounds half to even, and QLinearConv and
// QLinearMatMul requantize their int32 accumulator with the float32 scale s_x·s_w/s_y and
// rounding half to even, as the ONNX reference does (TFLite instead uses a fixed-point
// multiplier and rounds half away from zero).
//
// DequantizeLinear of a constant (QDQ models' weights) is folded into a float constant, so that
// the float operator consuming it imports as usual. Limitations: ONNX graph inputs must still
// be declared FLOAT (int8 values are then fed as floats); a DequantizeLinear without zero point
// of a graph input assumes int8; QLinearMatMul needs [batch, K] × [K, N].

func init() {
	onnxOps["QuantizeLinear"] = (*onnxImporter).q8QuantizeLinear
	onnxOps["DequantizeLinear"] = (*onnxImporter).q8DequantizeLinear
	onnxOps["QLinearConv"] = (*onnxImporter).q8QLinearConv
	onnxOps["QLinearMatMul"] = (*onnxImporter).q8QLinearMatMul
}

// q8ONNXParams reads a scale input and an optional zero-point input of node n as IR quantization
// parameters along per-sample axis (used only when per channel). A uint8 zero point (or an
// absent one when defaultUnsigned) is shifted into int8.
func (imp *onnxImporter) q8ONNXParams(n *onnxpb.NodeProto, si, zi int, what string, defaultUnsigned bool) (*QuantParams, bool, error) {
	sc, err := imp.floatConst(n, si, what+" scale", false)
	if err != nil {
		return nil, false, err
	}
	if len(sc.Dims) > 1 || len(sc.F) == 0 {
		return nil, false, fmt.Errorf("%s scale %q has shape %v, want a scalar or a vector", what, n.GetInput()[si], sc.Dims)
	}
	q := &QuantParams{Scale: append([]float32(nil), sc.F...)}
	for i, s := range q.Scale {
		if !(s > 0) {
			return nil, false, fmt.Errorf("%s scale %d is %v, want positive", what, i, s)
		}
	}
	zc, err := imp.constInput(n, zi, what+" zero point", true)
	if err != nil {
		return nil, false, err
	}
	unsigned := defaultUnsigned
	q.ZeroPoint = make([]int32, len(q.Scale))
	if zc != nil {
		switch zc.DataType {
		case onnxpb.TensorProto_UINT8:
			unsigned = true
		case onnxpb.TensorProto_INT8:
			unsigned = false
		default:
			return nil, false, fmt.Errorf("%s zero point %q has type %v; only INT8 and UINT8 are supported", what, n.GetInput()[zi], zc.DataType)
		}
		if len(zc.I) != len(q.Scale) {
			return nil, false, fmt.Errorf("%s zero point %q has %d values for %d scales", what, n.GetInput()[zi], len(zc.I), len(q.Scale))
		}
		for i, z := range zc.I {
			q.ZeroPoint[i] = int32(z)
		}
	}
	if unsigned {
		for i := range q.ZeroPoint {
			q.ZeroPoint[i] -= 128
		}
	}
	return q, unsigned, nil
}

// q8ONNXInts returns an int8 or uint8 constant input as int8 values (uint8 shifted by −128).
func (imp *onnxImporter) q8ONNXInts(n *onnxpb.NodeProto, i int, what string) (*onnxConst, []int8, error) {
	c, err := imp.constInput(n, i, what, false)
	if err != nil {
		return nil, nil, err
	}
	shift := int64(0)
	switch c.DataType {
	case onnxpb.TensorProto_UINT8:
		shift = 128
	case onnxpb.TensorProto_INT8:
	default:
		return nil, nil, fmt.Errorf("%s %q has type %v; only INT8 and UINT8 are supported", what, n.GetInput()[i], c.DataType)
	}
	out := make([]int8, len(c.I))
	for j, v := range c.I {
		out[j] = int8(v - shift)
	}
	return c, out, nil
}

// q8PerSampleAxis converts an ONNX axis attribute (default 1, counting the batch) of a tensor
// of the given per-sample rank into a per-sample axis.
func q8PerSampleAxis(n *onnxpb.NodeProto, rank int) (int, error) {
	ax, err := attrsOf(n).int("axis", 1)
	if err != nil {
		return 0, err
	}
	full := int64(rank + 1)
	if ax < 0 {
		ax += full
	}
	if ax < 1 || ax >= full {
		return 0, fmt.Errorf("axis %d: per-channel quantization must be along a non-batch axis of a rank-%d tensor", ax, full)
	}
	return int(ax - 1), nil
}

// q8SetValueQuant records the quantization of an IR value, or checks it against the one
// recorded already.
func (imp *onnxImporter) q8SetValueQuant(value string, q *QuantParams) error {
	for _, vq := range imp.g.Quant {
		if vq.Name != value {
			continue
		}
		if !q8SameParams(vq.Params, q) {
			return fmt.Errorf("value %q is quantized as %+v by its producer but read as %+v", value, *vq.Params, *q)
		}
		return nil
	}
	imp.g.Quant = append(imp.g.Quant, ValueQuant{Name: value, Params: q})
	return nil
}

// q8SameParams reports whether two quantizations are identical.
func q8SameParams(a, b *QuantParams) bool {
	if len(a.Scale) != len(b.Scale) || len(a.ZeroPoint) != len(b.ZeroPoint) || (len(a.Scale) > 1 && a.Axis != b.Axis) {
		return false
	}
	for i := range a.Scale {
		if a.Scale[i] != b.Scale[i] {
			return false
		}
	}
	for i := range a.ZeroPoint {
		if a.ZeroPoint[i] != b.ZeroPoint[i] {
			return false
		}
	}
	return true
}

// q8QuantizeLinear imports QuantizeLinear(x, y_scale, y_zero_point) as OpQuantize.
func (imp *onnxImporter) q8QuantizeLinear(n *onnxpb.NodeProto, name string) error {
	if len(n.GetInput()) < 2 {
		return errors.New("needs inputs x and y_scale")
	}
	x, xs, err := imp.activation(n.GetInput()[0])
	if err != nil {
		return err
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	q, _, err := imp.q8ONNXParams(n, 1, 2, "y", true)
	if err != nil {
		return err
	}
	if len(q.Scale) > 1 {
		if q.Axis, err = q8PerSampleAxis(n, len(xs)); err != nil {
			return err
		}
	}
	node := &Node{Name: name, Op: OpQuantize, Inputs: []string{x}, Outputs: []string{out},
		Attrs: Attrs{Quant: q, FloatRequant: true}}
	if err := imp.emit(node); err != nil {
		return err
	}
	return imp.q8SetValueQuant(out, q.Clone())
}

// q8DequantizeLinear imports DequantizeLinear(x, x_scale, x_zero_point): OpDequantize of an
// activation, or a float constant when x is a constant.
func (imp *onnxImporter) q8DequantizeLinear(n *onnxpb.NodeProto, name string) error {
	if len(n.GetInput()) < 2 {
		return errors.New("needs inputs x and x_scale")
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	q, _, err := imp.q8ONNXParams(n, 1, 2, "x", false)
	if err != nil {
		return err
	}
	if imp.isConst(n.GetInput()[0]) {
		c, data, err := imp.q8ONNXInts(n, 0, "x")
		if err != nil {
			return err
		}
		if len(q.Scale) > 1 {
			// a constant has no batch dimension: its axis counts from 0
			ax, err := attrsOf(n).int("axis", 1)
			if err != nil {
				return err
			}
			if ax < 0 {
				ax += int64(len(c.Dims))
			}
			if ax < 0 || int(ax) >= len(c.Dims) {
				return fmt.Errorf("axis %d is outside the rank of constant %q", ax, n.GetInput()[0])
			}
			q.Axis = int(ax)
		}
		ch, err := q8ChannelsOf(&Node{Name: name, Op: OpDequantize}, q, c.Dims, "x")
		if err != nil {
			return err
		}
		f := make([]float32, len(data))
		for i, v := range data {
			s, zp := ch.at(i)
			f[i] = float32(float64(s) * (float64(v) - float64(zp)))
		}
		imp.consts[out] = &onnxConst{Dims: cloneInts(c.Dims), F: f, DataType: onnxpb.TensorProto_FLOAT}
		return nil
	}
	x, xs, err := imp.activation(n.GetInput()[0])
	if err != nil {
		return err
	}
	if len(q.Scale) > 1 {
		if q.Axis, err = q8PerSampleAxis(n, len(xs)); err != nil {
			return err
		}
	}
	if err := imp.q8SetValueQuant(x, q); err != nil {
		return err
	}
	return imp.emit(&Node{Name: name, Op: OpDequantize, Inputs: []string{x}, Outputs: []string{out}})
}

// q8QLinearConv imports QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B) as an
// int8 OpConv. The float weight and bias (dequantized) are set too, for shape inference,
// pruning statistics and float fallbacks; the int8 interpreter uses QWeight and QBias.
func (imp *onnxImporter) q8QLinearConv(n *onnxpb.NodeProto, name string) error {
	ins := n.GetInput()
	if len(ins) < 8 {
		return fmt.Errorf("has %d inputs, want 8 or 9", len(ins))
	}
	xq, _, err := imp.q8ONNXParams(n, 1, 2, "x", false)
	if err != nil {
		return err
	}
	wc, wdata, err := imp.q8ONNXInts(n, 3, "weight w")
	if err != nil {
		return err
	}
	if len(wc.Dims) < 3 {
		return fmt.Errorf("weight %q has shape %v, want [M, C/group, k...]", ins[3], wc.Dims)
	}
	m := wc.Dims[0]
	wq, _, err := imp.q8ONNXParams(n, 4, 5, "w", false)
	if err != nil {
		return err
	}
	yq, _, err := imp.q8ONNXParams(n, 6, 7, "y", false)
	if err != nil {
		return err
	}
	if len(xq.Scale) != 1 || len(yq.Scale) != 1 {
		return errors.New("x and y must be quantized per tensor")
	}
	if len(wq.Scale) != 1 && len(wq.Scale) != m {
		return fmt.Errorf("w has %d scales, want 1 or %d", len(wq.Scale), m)
	}
	qw := &QTensor{Shape: cloneInts(wc.Dims), Data: wdata, Quant: *wq}
	var qb []int32
	if len(ins) > 8 && ins[8] != "" {
		bc, err := imp.constInput(n, 8, "bias B", false)
		if err != nil {
			return err
		}
		if bc.DataType != onnxpb.TensorProto_INT32 || len(bc.I) != m {
			return fmt.Errorf("bias %q must be INT32 with %d values, has type %v shape %v", ins[8], m, bc.DataType, bc.Dims)
		}
		qb = make([]int32, m)
		for i, v := range bc.I {
			qb[i] = int32(v)
		}
	}
	wf, bf := q8DequantizeParams(qw, qb, xq.Scale[0])
	syn := &onnxpb.NodeProto{OpType: proto.String("Conv"), Name: n.Name, Output: n.GetOutput(), Attribute: n.GetAttribute(),
		Input: []string{ins[0], imp.q8SynthConst(name, "weight", wc.Dims, wf)}}
	if bf != nil {
		syn.Input = append(syn.Input, imp.q8SynthConst(name, "bias", []int{m}, bf))
	}
	return imp.q8EmitQuantized(syn, name, (*onnxImporter).conv, qw, qb, xq, yq)
}

// q8QLinearMatMul imports QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp)
// with a constant b [K, N] as an int8 OpDense.
func (imp *onnxImporter) q8QLinearMatMul(n *onnxpb.NodeProto, name string) error {
	ins := n.GetInput()
	if len(ins) != 8 {
		return fmt.Errorf("has %d inputs, want 8", len(ins))
	}
	aq, _, err := imp.q8ONNXParams(n, 1, 2, "a", false)
	if err != nil {
		return err
	}
	bc, bdata, err := imp.q8ONNXInts(n, 3, "b")
	if err != nil {
		return err
	}
	if len(bc.Dims) != 2 {
		return fmt.Errorf("b %q has shape %v, want [K, N]", ins[3], bc.Dims)
	}
	kk, nn := bc.Dims[0], bc.Dims[1]
	bq, _, err := imp.q8ONNXParams(n, 4, 5, "b", false)
	if err != nil {
		return err
	}
	yq, _, err := imp.q8ONNXParams(n, 6, 7, "y", false)
	if err != nil {
		return err
	}
	if len(aq.Scale) != 1 || len(yq.Scale) != 1 {
		return errors.New("a and y must be quantized per tensor")
	}
	if len(bq.Scale) != 1 && len(bq.Scale) != nn {
		return fmt.Errorf("b has %d scales, want 1 or %d (one per column)", len(bq.Scale), nn)
	}
	// the IR's Dense weight is bᵀ [N, K], quantized per row (axis 0)
	wt := make([]int8, len(bdata))
	for k := 0; k < kk; k++ {
		for i := 0; i < nn; i++ {
			wt[i*kk+k] = bdata[k*nn+i]
		}
	}
	qw := &QTensor{Shape: []int{nn, kk}, Data: wt, Quant: *bq}
	qw.Quant.Axis = 0
	wf, _ := q8DequantizeParams(qw, nil, aq.Scale[0])
	bf := make([]float32, len(wf)) // the float right operand [K, N] for the MatMul importer
	for k := 0; k < kk; k++ {
		for i := 0; i < nn; i++ {
			bf[k*nn+i] = wf[i*kk+k]
		}
	}
	syn := &onnxpb.NodeProto{OpType: proto.String("MatMul"), Name: n.Name, Output: n.GetOutput(),
		Input: []string{ins[0], imp.q8SynthConst(name, "b", []int{kk, nn}, bf)}}
	return imp.q8EmitQuantized(syn, name, (*onnxImporter).matMul, qw, nil, aq, yq)
}

// q8DequantizeParams returns the float weight s_w·(q − zp_w) and bias s_x·s_w·b of an int8
// layer (bias nil when qb is nil).
func q8DequantizeParams(w *QTensor, qb []int32, xScale float32) ([]float32, []float32) {
	m := w.Shape[0]
	per := len(w.Data) / max(m, 1)
	wf := make([]float32, len(w.Data))
	at := func(v []float32, i int) float32 {
		if len(v) == 1 {
			return v[0]
		}
		return v[i]
	}
	zp := func(i int) int32 {
		if len(w.Quant.ZeroPoint) == 0 {
			return 0
		}
		if len(w.Quant.ZeroPoint) == 1 {
			return w.Quant.ZeroPoint[0]
		}
		return w.Quant.ZeroPoint[i]
	}
	for i, v := range w.Data {
		c := i / max(per, 1)
		wf[i] = at(w.Quant.Scale, c) * float32(int32(v)-zp(c))
	}
	if qb == nil {
		return wf, nil
	}
	bf := make([]float32, m)
	for c, b := range qb {
		bf[c] = float32(float64(b) * float64(xScale) * float64(at(w.Quant.Scale, c)))
	}
	return wf, bf
}

// q8SynthConst adds a float constant for a synthesised float node and returns its name.
func (imp *onnxImporter) q8SynthConst(node, what string, dims []int, data []float32) string {
	name := node + "/q8_" + what
	for k := 1; ; k++ {
		if _, taken := imp.consts[name]; !taken {
			break
		}
		name = fmt.Sprintf("%s/q8_%s_%d", node, what, k)
	}
	imp.consts[name] = &onnxConst{Dims: cloneInts(dims), F: data, DataType: onnxpb.TensorProto_FLOAT}
	return name
}

// q8EmitQuantized imports the synthesised float node with the float importer, then turns the
// emitted IR node into its int8 form and records the quantization of its input and output.
func (imp *onnxImporter) q8EmitQuantized(syn *onnxpb.NodeProto, name string,
	floatImport func(*onnxImporter, *onnxpb.NodeProto, string) error,
	qw *QTensor, qb []int32, in, out *QuantParams) error {
	before := len(imp.g.Nodes)
	if err := floatImport(imp, syn, name); err != nil {
		return err
	}
	if len(imp.g.Nodes) != before+1 {
		return errors.New("the float importer did not emit exactly one node")
	}
	node := imp.g.Nodes[before]
	node.QWeight, node.QBias = qw, qb
	node.Attrs.Quant = out
	node.Attrs.FloatRequant = true
	if err := imp.q8SetValueQuant(node.Inputs[0], in); err != nil {
		return err
	}
	return imp.q8SetValueQuant(node.Outputs[0], out.Clone())
}
