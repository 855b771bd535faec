package model

import (
	"fmt"
	"slices"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/tcdse/tcdse/model/tflitefb"
)

// TFLite elementwise operators: activations, SOFTMAX, ADD/SUB/MUL with broadcasting,
// QUANTIZE and DEQUANTIZE.

// softmax imports SOFTMAX over the last axis with beta 1.
func (imp *tflImporter) softmax(op *tflOp) error {
	x, xt, ti, _, q, err := imp.actInOut(op)
	if err != nil {
		return err
	}
	t, err := imp.requireOptions(op, tflitefb.BuiltinOptionsSoftmaxOptions)
	if err != nil {
		return err
	}
	var o tflitefb.SoftmaxOptions
	o.Init(t.Bytes, t.Pos)
	if o.Beta() != 1 {
		return fmt.Errorf("beta %v is not supported (want 1)", o.Beta())
	}
	if x.nchw {
		return fmt.Errorf("softmax over the channels of a 4D tensor %q is not supported", xt.name)
	}
	return imp.finish(op, &Node{Op: OpSoftmax, Inputs: []string{x.name}}, ti, x.shape, false, tflitefb.ActivationFunctionTypeNONE, q)
}

// unary imports elementwise activations.
func (imp *tflImporter) unary(op *tflOp) error {
	x, _, ti, _, q, err := imp.actInOut(op)
	if err != nil {
		return err
	}
	n := &Node{Inputs: []string{x.name}}
	switch op.code {
	case tflitefb.BuiltinOperatorRELU:
		n.Op = OpRelu
	case tflitefb.BuiltinOperatorRELU6:
		n.Op, n.Attrs.Min, n.Attrs.Max = OpClip, 0, 6
	case tflitefb.BuiltinOperatorRELU_N1_TO_1:
		n.Op, n.Attrs.Min, n.Attrs.Max = OpClip, -1, 1
	case tflitefb.BuiltinOperatorLOGISTIC:
		n.Op = OpSigmoid
	case tflitefb.BuiltinOperatorTANH:
		n.Op = OpTanh
	case tflitefb.BuiltinOperatorHARD_SWISH:
		n.Op = OpHardSwish
	case tflitefb.BuiltinOperatorLEAKY_RELU:
		t, err := imp.requireOptions(op, tflitefb.BuiltinOptionsLeakyReluOptions)
		if err != nil {
			return err
		}
		var o tflitefb.LeakyReluOptions
		o.Init(t.Bytes, t.Pos)
		n.Op, n.Attrs.Alpha = OpLeakyRelu, o.Alpha()
	}
	return imp.finish(op, n, ti, x.shape, x.nchw, tflitefb.ActivationFunctionTypeNONE, q)
}

// tflActivationOptions is an options table with a fused activation, such as AddOptions.
type tflActivationOptions[T any] interface {
	*T
	Init(buf []byte, i flatbuffers.UOffsetT)
	FusedActivationFunction() tflitefb.ActivationFunctionType
}

// tflOptionsActivation returns the fused activation in the operator's options table of type
// want (of Go type T), or NONE when the operator has no options.
func tflOptionsActivation[T any, P tflActivationOptions[T]](imp *tflImporter, op *tflOp, want tflitefb.BuiltinOptions) (tflitefb.ActivationFunctionType, error) {
	t, err := imp.options(op, want)
	if err != nil || t == nil {
		return tflitefb.ActivationFunctionTypeNONE, err
	}
	o := P(new(T))
	o.Init(t.Bytes, t.Pos)
	return o.FusedActivationFunction(), nil
}

// binary imports ADD, SUB and MUL with broadcasting; a constant operand becomes a graph
// constant in the output's layout.
func (imp *tflImporter) binary(op *tflOp) error {
	ti, ot, err := imp.outTensor(op)
	if err != nil {
		return err
	}
	if len(op.inputs) != 2 {
		return fmt.Errorf("has %d inputs, want 2", len(op.inputs))
	}
	shape, nchw, err := tflPerSample(ot.shape)
	if err != nil {
		return fmt.Errorf("output %q: %w", ot.name, err)
	}
	var act tflitefb.ActivationFunctionType
	var irOp Op
	switch op.code {
	case tflitefb.BuiltinOperatorADD:
		irOp = OpAdd
		act, err = tflOptionsActivation[tflitefb.AddOptions](imp, op, tflitefb.BuiltinOptionsAddOptions)
	case tflitefb.BuiltinOperatorSUB:
		irOp = OpSub
		act, err = tflOptionsActivation[tflitefb.SubOptions](imp, op, tflitefb.BuiltinOptionsSubOptions)
	default:
		irOp = OpMul
		act, err = tflOptionsActivation[tflitefb.MulOptions](imp, op, tflitefb.BuiltinOptionsMulOptions)
	}
	if err != nil {
		return err
	}
	q := ot.quant.Clone()
	if !ot.isInt8() {
		q = nil
	}
	n := &Node{Op: irOp}
	acts := 0
	for i := 0; i < 2; i++ {
		ti, t, err := imp.tensorOf(op, i)
		if err != nil {
			return err
		}
		if v := imp.vals[ti]; v != nil {
			if (q != nil) != t.isInt8() {
				return fmt.Errorf("input %q and output %q mix int8 and float", t.name, ot.name)
			}
			if v.nchw != nchw || len(v.shape) != len(shape) {
				return fmt.Errorf("input %q %v and output %q %v have different ranks", t.name, t.shape, ot.name, ot.shape)
			}
			n.Inputs = append(n.Inputs, v.name)
			acts++
			continue
		}
		name, err := imp.binaryConst(op, i, len(ot.shape), q != nil)
		if err != nil {
			return err
		}
		n.Inputs = append(n.Inputs, name)
	}
	if acts == 0 {
		return fmt.Errorf("both operands are constants")
	}
	return imp.finish(op, n, ti, shape, nchw, act, q)
}

// binaryConst adds operand i of a binary operator as a graph constant broadcastable against an
// output of TFLite rank r, and returns its name. In int8 mode the constant holds the integer
// values and is listed in Graph.Quant.
func (imp *tflImporter) binaryConst(op *tflOp, i, r int, int8Mode bool) (string, error) {
	ti, t, _ := imp.tensorOf(op, i)
	if !imp.isConst(ti) {
		return "", fmt.Errorf("input %d (%q) is not computed by an earlier operator", i, t.name)
	}
	var data *Tensor
	if int8Mode {
		if !t.isInt8() || t.data == nil || t.quant.PerChannel() {
			return "", fmt.Errorf("constant %q of an int8 operator must be INT8 with per-tensor quantization", t.name)
		}
		if _, err := t.checkData(); err != nil {
			return "", err
		}
		data = &Tensor{Shape: cloneInts(t.shape)}
		for _, v := range t.ints() {
			data.Data = append(data.Data, float32(v))
		}
	} else {
		var err error
		if data, err = imp.constFloat(op, i); err != nil {
			return "", err
		}
	}
	if len(data.Shape) > r {
		return "", fmt.Errorf("constant %q has rank %d, more than the output's %d", t.name, len(data.Shape), r)
	}
	full := make([]int, r)
	for k := range full {
		full[k] = 1
	}
	copy(full[r-len(data.Shape):], data.Shape)
	if full[0] != 1 {
		return "", fmt.Errorf("constant %q %v varies along the batch dimension", t.name, t.shape)
	}
	c := &Tensor{Shape: cloneInts(full[1:]), Data: data.Data}
	if r == 4 {
		c = &Tensor{Shape: []int{full[3], full[1], full[2]}, Data: tflPermute(data.Data, full[1:], []int{2, 0, 1})}
	}
	name := imp.uniqueName(t.name)
	imp.g.Consts = append(imp.g.Consts, Const{Name: name, Tensor: c})
	if int8Mode {
		imp.noteQuant(name, t.quant)
	}
	return name, nil
}

// quantize imports QUANTIZE from float to int8.
func (imp *tflImporter) quantize(op *tflOp) error {
	x, xt, err := imp.act(op, 0)
	if err != nil {
		return err
	}
	ti, ot, err := imp.outTensor(op)
	if err != nil {
		return err
	}
	if xt.typ != tflitefb.TensorTypeFLOAT32 || !ot.isInt8() {
		return fmt.Errorf("only float32 to int8 quantization is supported (%q %s to %q %s)",
			xt.name, tflitefb.EnumNamesTensorType[xt.typ], ot.name, tflitefb.EnumNamesTensorType[ot.typ])
	}
	n := &Node{Op: OpQuantize, Inputs: []string{x.name}}
	return imp.finish(op, n, ti, x.shape, x.nchw, tflitefb.ActivationFunctionTypeNONE, ot.quant.Clone())
}

// dequantize imports DEQUANTIZE: of a constant, it folds into a float constant (hybrid
// models); of an int8 activation, it becomes OpDequantize.
func (imp *tflImporter) dequantize(op *tflOp) error {
	if len(op.outputs) != 1 || op.outputs[0] < 0 {
		return fmt.Errorf("has %d outputs, want 1", len(op.outputs))
	}
	ti := op.outputs[0]
	ot := &imp.tensors[ti]
	if ot.typ != tflitefb.TensorTypeFLOAT32 {
		return fmt.Errorf("output %q is %s, want FLOAT32", ot.name, tflitefb.EnumNamesTensorType[ot.typ])
	}
	xi, xt, err := imp.tensorOf(op, 0)
	if err != nil {
		return err
	}
	if imp.isConst(xi) {
		f, err := imp.constFloat(op, 0)
		if err != nil {
			return err
		}
		if !slices.Equal(f.Shape, ot.shape) {
			return fmt.Errorf("output %q shape %v differs from input %q %v", ot.name, ot.shape, xt.name, xt.shape)
		}
		imp.folded[ti] = f
		return nil
	}
	x, _, err := imp.act(op, 0)
	if err != nil {
		return err
	}
	if !xt.isInt8() {
		return fmt.Errorf("input %q is %s, want quantized INT8", xt.name, tflitefb.EnumNamesTensorType[xt.typ])
	}
	if _, _, err := imp.outTensor(op); err != nil {
		return err
	}
	return imp.finish(op, &Node{Op: OpDequantize, Inputs: []string{x.name}}, ti, x.shape, x.nchw, tflitefb.ActivationFunctionTypeNONE, nil)
}
