package model

import (
	"fmt"
	"math"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/tcdse/tcdse/model/tflitefb"
)

// tflOps lists the TFLite builtin operators that ImportTFLite normalises into the IR.
var tflOps = map[tflitefb.BuiltinOperator]func(*tflImporter, *tflOp) error{
	tflitefb.BuiltinOperatorCONV_2D:                      (*tflImporter).conv,
	tflitefb.BuiltinOperatorDEPTHWISE_CONV_2D:            (*tflImporter).conv,
	tflitefb.BuiltinOperatorFULLY_CONNECTED:              (*tflImporter).fullyConnected,
	tflitefb.BuiltinOperatorAVERAGE_POOL_2D:              (*tflImporter).pool,
	tflitefb.BuiltinOperatorMAX_POOL_2D:                  (*tflImporter).pool,
	tflitefb.BuiltinOperatorRESHAPE:                      (*tflImporter).reshape,
	tflitefb.BuiltinOperatorSOFTMAX:                      (*tflImporter).softmax,
	tflitefb.BuiltinOperatorADD:                          (*tflImporter).binary,
	tflitefb.BuiltinOperatorSUB:                          (*tflImporter).binary,
	tflitefb.BuiltinOperatorMUL:                          (*tflImporter).binary,
	tflitefb.BuiltinOperatorRELU:                         (*tflImporter).unary,
	tflitefb.BuiltinOperatorRELU6:                        (*tflImporter).unary,
	tflitefb.BuiltinOperatorRELU_N1_TO_1:                 (*tflImporter).unary,
	tflitefb.BuiltinOperatorLOGISTIC:                     (*tflImporter).unary,
	tflitefb.BuiltinOperatorTANH:                         (*tflImporter).unary,
	tflitefb.BuiltinOperatorLEAKY_RELU:                   (*tflImporter).unary,
	tflitefb.BuiltinOperatorHARD_SWISH:                   (*tflImporter).unary,
	tflitefb.BuiltinOperatorMEAN:                         (*tflImporter).mean,
	tflitefb.BuiltinOperatorPAD:                          (*tflImporter).pad,
	tflitefb.BuiltinOperatorCONCATENATION:                (*tflImporter).concat,
	tflitefb.BuiltinOperatorQUANTIZE:                     (*tflImporter).quantize,
	tflitefb.BuiltinOperatorDEQUANTIZE:                   (*tflImporter).dequantize,
	tflitefb.BuiltinOperatorUNIDIRECTIONAL_SEQUENCE_LSTM: (*tflImporter).lstm,
}

// options returns the operator's builtin options table, or nil when the operator has none. It
// fails when the options are of another type than want.
func (imp *tflImporter) options(op *tflOp, want tflitefb.BuiltinOptions) (*flatbuffers.Table, error) {
	got := op.op.BuiltinOptionsType()
	if got == tflitefb.BuiltinOptionsNONE {
		return nil, nil
	}
	if got != want {
		return nil, fmt.Errorf("has builtin options of type %d, want %s", got, tflitefb.EnumNamesBuiltinOptions[want])
	}
	t := new(flatbuffers.Table)
	if !op.op.BuiltinOptions(t) {
		return nil, nil
	}
	if err := tflTable(t.Bytes, int(t.Pos), "builtin options"); err != nil {
		return nil, err
	}
	return t, nil
}

// requireOptions is options for operators whose options are mandatory.
func (imp *tflImporter) requireOptions(op *tflOp, want tflitefb.BuiltinOptions) (*flatbuffers.Table, error) {
	t, err := imp.options(op, want)
	if err == nil && t == nil {
		err = fmt.Errorf("has no %s", tflitefb.EnumNamesBuiltinOptions[want])
	}
	return t, err
}

// nodeBase returns the base name of the nodes made from an operator, e.g. "CONV_2D_3".
func (op *tflOp) nodeBase() string { return fmt.Sprintf("%s_%d", tflOpName(op.code), op.index) }

// quantMode returns the output quantization when the operator computes in int8 (its activation
// input and output are int8), nil when it computes in float, or an error when it mixes them.
func quantMode(in, out *tflTensor) (*QuantParams, error) {
	if in.isInt8() != out.isInt8() {
		return nil, fmt.Errorf("input %q is %s but output %q is %s: mixed int8/float operators are not supported",
			in.name, tflitefb.EnumNamesTensorType[in.typ], out.name, tflitefb.EnumNamesTensorType[out.typ])
	}
	if out.isInt8() {
		return out.quant.Clone(), nil
	}
	return nil, nil
}

// actInOut returns what most one-input operators start from: the IR value of activation
// input 0 and its tensor, the single output tensor and its index, and the quantization the
// operator computes in (see quantMode).
func (imp *tflImporter) actInOut(op *tflOp) (x *tflValue, xt *tflTensor, ti int32, ot *tflTensor, q *QuantParams, err error) {
	if x, xt, err = imp.act(op, 0); err != nil {
		return nil, nil, -1, nil, nil, err
	}
	if ti, ot, err = imp.outTensor(op); err != nil {
		return nil, nil, -1, nil, nil, err
	}
	if q, err = quantMode(xt, ot); err != nil {
		return nil, nil, -1, nil, nil, err
	}
	return x, xt, ti, ot, q, nil
}

// finish emits node n computing TFLite tensor ti, followed by the node of a fused activation.
// shape is the IR per-sample shape of the output; q its int8 quantization or nil.
func (imp *tflImporter) finish(op *tflOp, n *Node, ti int32, shape []int, nchw bool, act tflitefb.ActivationFunctionType, q *QuantParams) error {
	actNode, err := tflFusedActivation(act, q)
	if err != nil {
		return err
	}
	out := imp.tensorValueName(ti)
	n.Attrs.Quant = q.Clone()
	if actNode == nil {
		n.Outputs = []string{out}
		imp.emit(op.nodeBase(), n)
		imp.setValue(ti, out, shape, nchw, q)
		return nil
	}
	pre := imp.uniqueName(out + "/preact")
	n.Outputs = []string{pre}
	imp.emit(op.nodeBase(), n)
	imp.expect[pre] = cloneInts(shape)
	imp.noteQuant(pre, q)
	actNode.Inputs, actNode.Outputs = []string{pre}, []string{out}
	actNode.Attrs.Quant = q.Clone()
	imp.emit(op.nodeBase()+"_"+tflitefb.EnumNamesActivationFunctionType[act], actNode)
	imp.setValue(ti, out, shape, nchw, q)
	return nil
}

// tflFusedActivation returns the node of a fused activation function (without inputs and
// outputs), or nil when there is nothing to compute. With int8 output parameters q, a RELU,
// RELU6 or RELU_N1_TO_1 whose clamp the int8 range already implies is dropped.
func tflFusedActivation(act tflitefb.ActivationFunctionType, q *QuantParams) (*Node, error) {
	lo, hi := float32(0), float32(0)
	switch act {
	case tflitefb.ActivationFunctionTypeNONE:
		return nil, nil
	case tflitefb.ActivationFunctionTypeTANH:
		return &Node{Op: OpTanh}, nil
	case tflitefb.ActivationFunctionTypeRELU:
		lo, hi = 0, float32(math.Inf(1))
	case tflitefb.ActivationFunctionTypeRELU6:
		lo, hi = 0, 6
	case tflitefb.ActivationFunctionTypeRELU_N1_TO_1:
		lo, hi = -1, 1
	default:
		return nil, fmt.Errorf("fused activation %s is not supported", tflitefb.EnumNamesActivationFunctionType[act])
	}
	if q != nil && tflQuantize(lo, q) <= math.MinInt8 && tflQuantize(hi, q) >= math.MaxInt8 {
		return nil, nil
	}
	if act == tflitefb.ActivationFunctionTypeRELU {
		return &Node{Op: OpRelu}, nil
	}
	return &Node{Op: OpClip, Attrs: Attrs{Min: lo, Max: hi}}, nil
}

// tflQuantize returns round(x/scale)+zero point (unclamped) for per-tensor parameters.
func tflQuantize(x float32, q *QuantParams) float64 {
	if math.IsInf(float64(x), 0) {
		return float64(x)
	}
	return math.Round(float64(x)/float64(q.Scale[0])) + float64(q.ZeroPoint[0])
}

// tflPermute returns the row-major data of a tensor of the given shape transposed by perm
// (output axis i is input axis perm[i]).
func tflPermute[T any](src []T, shape, perm []int) []T {
	r := len(shape)
	outShape := make([]int, r)
	for i, p := range perm {
		outShape[i] = shape[p]
	}
	inStride := make([]int, r)
	s := 1
	for i := r - 1; i >= 0; i-- {
		inStride[i] = s
		s *= shape[i]
	}
	dst := make([]T, len(src))
	idx := make([]int, r)
	for o := range dst {
		off := 0
		for i := range idx {
			off += idx[i] * inStride[perm[i]]
		}
		dst[o] = src[off]
		for i := r - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < outShape[i] {
				break
			}
			idx[i] = 0
		}
	}
	return dst
}

// tflSamePads returns the [top, left, bottom, right] pads of a window as TFLite computes them:
// none for VALID; for SAME, the total (out−1)·stride + effective kernel − in, half before and
// the rest after.
func tflSamePads(padding tflitefb.Padding, h, w, kh, kw, sh, sw, dh, dw int) ([]int, error) {
	if sh < 1 || sw < 1 || dh < 1 || dw < 1 || kh < 1 || kw < 1 {
		return nil, fmt.Errorf("bad window: kernel %dx%d strides %dx%d dilations %dx%d", kh, kw, sh, sw, dh, dw)
	}
	switch padding {
	case tflitefb.PaddingVALID:
		return []int{0, 0, 0, 0}, nil
	case tflitefb.PaddingSAME:
	default:
		return nil, fmt.Errorf("unknown padding %d", padding)
	}
	total := func(in, k, s, d int) int {
		ek := (k-1)*d + 1
		out := (in + s - 1) / s
		return max((out-1)*s+ek-in, 0)
	}
	th, tw := total(h, kh, sh, dh), total(w, kw, sw, dw)
	return []int{th / 2, tw / 2, th - th/2, tw - tw/2}, nil
}

// conv imports CONV_2D and DEPTHWISE_CONV_2D.
func (imp *tflImporter) conv(op *tflOp) error {
	x, xt, ti, ot, q, err := imp.actInOut(op)
	if err != nil {
		return err
	}
	if !x.nchw {
		return fmt.Errorf("input %q has shape %v, want NHWC", xt.name, xt.shape)
	}
	depthwise := op.code == tflitefb.BuiltinOperatorDEPTHWISE_CONV_2D
	var padding tflitefb.Padding
	var sh, sw, dh, dw, mult int
	var act tflitefb.ActivationFunctionType
	if depthwise {
		t, err := imp.requireOptions(op, tflitefb.BuiltinOptionsDepthwiseConv2DOptions)
		if err != nil {
			return err
		}
		var o tflitefb.DepthwiseConv2DOptions
		o.Init(t.Bytes, t.Pos)
		padding, sh, sw, dh, dw = o.Padding(), int(o.StrideH()), int(o.StrideW()), int(o.DilationHFactor()), int(o.DilationWFactor())
		act, mult = o.FusedActivationFunction(), int(o.DepthMultiplier())
	} else {
		t, err := imp.requireOptions(op, tflitefb.BuiltinOptionsConv2DOptions)
		if err != nil {
			return err
		}
		var o tflitefb.Conv2DOptions
		o.Init(t.Bytes, t.Pos)
		padding, sh, sw, dh, dw = o.Padding(), int(o.StrideH()), int(o.StrideW()), int(o.DilationHFactor()), int(o.DilationWFactor())
		act = o.FusedActivationFunction()
	}
	w, err := imp.constFloat(op, 1)
	if err != nil {
		return fmt.Errorf("filter: %w", err)
	}
	if len(w.Shape) != 4 {
		return fmt.Errorf("filter shape %v, want rank 4", w.Shape)
	}
	c := x.shape[0]
	perm := []int{0, 3, 1, 2} // OHWI -> OIHW
	group := 1
	if depthwise {
		perm = []int{3, 0, 1, 2} // 1HWO -> O1HW
		m := w.Shape[3] / max(c, 1)
		if w.Shape[0] != 1 || m*c != w.Shape[3] || (mult > 0 && mult != m) {
			return fmt.Errorf("depthwise filter %v does not fit %d input channels (depth_multiplier %d)", w.Shape, c, mult)
		}
		group = c
	} else if w.Shape[3] != c {
		return fmt.Errorf("filter %v expects %d input channels, input %q has %d", w.Shape, w.Shape[3], xt.name, c)
	}
	kh, kw := w.Shape[1], w.Shape[2]
	pads, err := tflSamePads(padding, x.shape[1], x.shape[2], kh, kw, sh, sw, dh, dw)
	if err != nil {
		return err
	}
	n := &Node{Op: OpConv, Inputs: []string{x.name}, Attrs: Attrs{
		Strides: []int{sh, sw}, Pads: pads, Dilations: []int{dh, dw}, Group: group,
	}}
	if group == 1 {
		n.Attrs.Group = 0
	}
	outShape := []int{w.Shape[perm[0]], w.Shape[perm[1]], kh, kw}
	n.Weight = &Tensor{Shape: outShape, Data: tflPermute(w.Data, w.Shape, perm)}
	if err := imp.layerBias(op, n, w.Shape[perm[0]]); err != nil {
		return err
	}
	if q != nil {
		if err := imp.qWeight(op, n, perm, outShape); err != nil {
			return err
		}
	}
	shape, nchw, err := tflPerSample(ot.shape)
	if err != nil || !nchw {
		return fmt.Errorf("output %q has shape %v, want NHWC with batch 1", ot.name, ot.shape)
	}
	return imp.finish(op, n, ti, shape, true, act, q)
}

// layerBias sets the float bias of a Conv or Dense node from optional input 2.
func (imp *tflImporter) layerBias(op *tflOp, n *Node, channels int) error {
	if len(op.inputs) < 3 || op.inputs[2] < 0 {
		return nil
	}
	b, err := imp.constFloat(op, 2)
	if err != nil {
		return fmt.Errorf("bias: %w", err)
	}
	if b.Len() != channels {
		return fmt.Errorf("bias has %d elements, want %d", b.Len(), channels)
	}
	n.Bias = &Tensor{Shape: []int{channels}, Data: b.Data}
	return nil
}

// qWeight sets QWeight (the int8 filter permuted by perm into shape) and QBias of an int8
// Conv or Dense node. The quantization channel axis of the result is 0.
func (imp *tflImporter) qWeight(op *tflOp, n *Node, perm, shape []int) error {
	_, wt, _ := imp.tensorOf(op, 1)
	if !wt.isInt8() || wt.data == nil {
		return fmt.Errorf("filter %q of an int8 operator must be a quantized INT8 constant", wt.name)
	}
	if _, err := wt.checkData(); err != nil {
		return err
	}
	qp := wt.quant.Clone()
	if qp.PerChannel() {
		if qp.Axis < 0 || qp.Axis >= len(perm) || perm[0] != qp.Axis {
			return fmt.Errorf("filter %q: per-channel quantization along axis %d is not the output channel axis", wt.name, qp.Axis)
		}
		if len(qp.Scale) != shape[0] {
			return fmt.Errorf("filter %q: %d scales for %d output channels", wt.name, len(qp.Scale), shape[0])
		}
		qp.Axis = 0
	}
	raw := make([]int8, len(wt.data))
	for i, b := range wt.data {
		raw[i] = int8(b)
	}
	n.QWeight = &QTensor{Shape: cloneInts(shape), Data: tflPermute(raw, wt.shape, perm), Quant: *qp}
	if len(op.inputs) < 3 || op.inputs[2] < 0 {
		return nil
	}
	_, bt, _ := imp.tensorOf(op, 2)
	if bt.typ != tflitefb.TensorTypeINT32 || bt.data == nil {
		return fmt.Errorf("bias %q of an int8 operator must be an INT32 constant", bt.name)
	}
	if _, err := bt.checkData(); err != nil {
		return err
	}
	for _, v := range bt.ints() {
		n.QBias = append(n.QBias, int32(v))
	}
	return nil
}

// fullyConnected imports FULLY_CONNECTED as OpDense. The input is read as one vector of K
// elements per sample, in TFLite's (NHWC) order.
func (imp *tflImporter) fullyConnected(op *tflOp) error {
	x, xt, ti, ot, q, err := imp.actInOut(op)
	if err != nil {
		return err
	}
	var act tflitefb.ActivationFunctionType
	if t, err := imp.options(op, tflitefb.BuiltinOptionsFullyConnectedOptions); err != nil {
		return err
	} else if t != nil {
		var o tflitefb.FullyConnectedOptions
		o.Init(t.Bytes, t.Pos)
		if o.WeightsFormat() != tflitefb.FullyConnectedOptionsWeightsFormatDEFAULT {
			return fmt.Errorf("weights format %s is not supported", tflitefb.EnumNamesFullyConnectedOptionsWeightsFormat[o.WeightsFormat()])
		}
		act = o.FusedActivationFunction()
	}
	w, err := imp.constFloat(op, 1)
	if err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	if len(w.Shape) != 2 {
		return fmt.Errorf("weights shape %v, want [N, K]", w.Shape)
	}
	k, _ := NumElements(x.shape)
	if k != w.Shape[1] {
		return fmt.Errorf("input %q has %d elements per sample %v, weights %v expect %d (only one row per sample is supported)", xt.name, k, xt.shape, w.Shape, w.Shape[1])
	}
	in := x.name
	if x.nchw {
		in = imp.uniqueName(x.name + "/nhwc")
		imp.relayout(x.name, in, x.shape, []int{1, 2, 0}, imp.valueQuant(op.inputs[0]))
	}
	n := &Node{Op: OpDense, Inputs: []string{in}, Weight: w}
	if err := imp.layerBias(op, n, w.Shape[0]); err != nil {
		return err
	}
	if q != nil {
		if err := imp.qWeight(op, n, []int{0, 1}, w.Shape); err != nil {
			return err
		}
	}
	shape, nchw, err := tflPerSample(ot.shape)
	if err != nil {
		return fmt.Errorf("output %q: %w", ot.name, err)
	}
	if p, _ := NumElements(shape); nchw || p != w.Shape[0] {
		return fmt.Errorf("output %q has shape %v, want [1, %d]", ot.name, ot.shape, w.Shape[0])
	}
	if len(shape) != 1 {
		return fmt.Errorf("output %q has shape %v: keep_num_dims with more than 2 dimensions is not supported", ot.name, ot.shape)
	}
	return imp.finish(op, n, ti, shape, false, act, q)
}

// pool imports AVERAGE_POOL_2D and MAX_POOL_2D.
func (imp *tflImporter) pool(op *tflOp) error {
	x, xt, ti, ot, q, err := imp.actInOut(op)
	if err != nil {
		return err
	}
	if !x.nchw {
		return fmt.Errorf("input %q has shape %v, want NHWC", xt.name, xt.shape)
	}
	t, err := imp.requireOptions(op, tflitefb.BuiltinOptionsPool2DOptions)
	if err != nil {
		return err
	}
	var o tflitefb.Pool2DOptions
	o.Init(t.Bytes, t.Pos)
	kh, kw, sh, sw := int(o.FilterHeight()), int(o.FilterWidth()), int(o.StrideH()), int(o.StrideW())
	pads, err := tflSamePads(o.Padding(), x.shape[1], x.shape[2], kh, kw, sh, sw, 1, 1)
	if err != nil {
		return err
	}
	irOp := OpAvgPool
	if op.code == tflitefb.BuiltinOperatorMAX_POOL_2D {
		irOp = OpMaxPool
	}
	n := &Node{Op: irOp, Inputs: []string{x.name}, Attrs: Attrs{Kernel: []int{kh, kw}, Strides: []int{sh, sw}, Pads: pads}}
	shape, nchw, err := tflPerSample(ot.shape)
	if err != nil || !nchw {
		return fmt.Errorf("output %q has shape %v, want NHWC with batch 1", ot.name, ot.shape)
	}
	return imp.finish(op, n, ti, shape, true, o.FusedActivationFunction(), q)
}
