package model

import (
	"fmt"
	"slices"
	"sort"

	"github.com/tcdse/tcdse/model/tflitefb"
)

// TFLite operators that move or reduce data: RESHAPE, MEAN, PAD and CONCATENATION, with their
// axes remapped from NHWC to the IR's NCHW.

// reshape imports RESHAPE with the output tensor's static shape. Rank-4 values pass through
// NHWC order so that the element order is TFLite's.
func (imp *tflImporter) reshape(op *tflOp) error {
	x, xt, ti, ot, q, err := imp.actInOut(op)
	if err != nil {
		return err
	}
	shape, nchw, err := tflPerSample(ot.shape)
	if err != nil {
		return fmt.Errorf("output %q: %w", ot.name, err)
	}
	a, _ := NumElements(x.shape)
	if b, _ := NumElements(shape); a != b {
		return fmt.Errorf("cannot reshape %q %v to %q %v", xt.name, xt.shape, ot.name, ot.shape)
	}
	in := x.name
	if x.nchw {
		in = imp.uniqueName(x.name + "/nhwc")
		imp.relayout(x.name, in, x.shape, []int{1, 2, 0}, q)
	}
	target := cloneInts(ot.shape[1:]) // TFLite order
	if !nchw {
		return imp.finish(op, &Node{Op: OpReshape, Inputs: []string{in}, Attrs: Attrs{Shape: target}}, ti, shape, false, tflitefb.ActivationFunctionTypeNONE, q)
	}
	hwc := imp.uniqueName(imp.tensors[ti].name + "/nhwc")
	n := &Node{Op: OpReshape, Inputs: []string{in}, Outputs: []string{hwc}, Attrs: Attrs{Shape: target, Quant: q.Clone()}}
	imp.emit(op.nodeBase(), n)
	imp.expect[hwc] = target
	imp.noteQuant(hwc, q)
	out := imp.tensorValueName(ti)
	imp.relayout(hwc, out, target, []int{2, 0, 1}, q)
	imp.setValue(ti, out, shape, true, q)
	return nil
}

// tflAxis maps a TFLite axis of a tensor of rank r (with batch) to the IR per-sample axis.
func tflAxis(a, r int, nchw bool) (int, error) {
	if a < 0 {
		a += r
	}
	if a <= 0 || a >= r {
		return 0, fmt.Errorf("axis %d of a rank-%d tensor: only non-batch axes are supported", a, r)
	}
	if nchw {
		return [4]int{-1, 1, 2, 0}[a], nil
	}
	return a - 1, nil
}

// mean imports MEAN with constant axes.
func (imp *tflImporter) mean(op *tflOp) error {
	x, xt, ti, ot, q, err := imp.actInOut(op)
	if err != nil {
		return err
	}
	axes, _, err := imp.constInts(op, 1)
	if err != nil {
		return fmt.Errorf("axes: %w", err)
	}
	keep := false
	if t, err := imp.options(op, tflitefb.BuiltinOptionsReducerOptions); err != nil {
		return err
	} else if t != nil {
		var o tflitefb.ReducerOptions
		o.Init(t.Bytes, t.Pos)
		keep = o.KeepDims()
	}
	if len(axes) == 0 {
		return fmt.Errorf("no axes to reduce")
	}
	red := map[int]bool{}
	for _, a := range axes {
		ax, err := tflAxis(a, len(xt.shape), x.nchw)
		if err != nil {
			return err
		}
		red[ax] = true
	}
	ir := make([]int, 0, len(red))
	for a := range red {
		ir = append(ir, a)
	}
	sort.Ints(ir)
	n := &Node{Op: OpMean, Inputs: []string{x.name}, Attrs: Attrs{Axes: ir}}
	shape, nchw, err := tflPerSample(ot.shape)
	if err != nil {
		return fmt.Errorf("output %q: %w", ot.name, err)
	}
	if keep {
		kept := cloneInts(x.shape)
		for a := range red {
			kept[a] = 1
		}
		n.Attrs.Shape = kept
		return imp.finish(op, n, ti, kept, x.nchw, tflitefb.ActivationFunctionTypeNONE, q)
	}
	if x.nchw {
		// The IR keeps the remaining axes in C,H,W order, TFLite in H,W,C order: the axes
		// larger than 1 must come in the same order in both.
		var irOrder, tfOrder []int
		for _, a := range []int{0, 1, 2} {
			if !red[a] && x.shape[a] > 1 {
				irOrder = append(irOrder, a)
			}
		}
		for _, a := range []int{1, 2, 0} {
			if !red[a] && x.shape[a] > 1 {
				tfOrder = append(tfOrder, a)
			}
		}
		if !slices.Equal(irOrder, tfOrder) {
			return fmt.Errorf("mean over axes %v of a 4D tensor without keep_dims reorders the data; not supported", axes)
		}
		var irOut []int
		for a, d := range x.shape {
			if !red[a] {
				irOut = append(irOut, d)
			}
		}
		if nchw || len(irOut) == 0 {
			return fmt.Errorf("output %q has shape %v, want rank 2 or 3", ot.name, ot.shape)
		}
		if !slices.Equal(irOut, shape) {
			// Same data, other dimension order of size-1 axes: reshape to TFLite's shape.
			tmp := imp.uniqueName(ot.name + "/mean")
			n.Outputs = []string{tmp}
			n.Attrs.Quant = q.Clone()
			imp.emit(op.nodeBase(), n)
			imp.expect[tmp] = irOut
			imp.noteQuant(tmp, q)
			n = &Node{Op: OpReshape, Inputs: []string{tmp}, Attrs: Attrs{Shape: cloneInts(shape)}}
		}
	}
	return imp.finish(op, n, ti, shape, nchw, tflitefb.ActivationFunctionTypeNONE, q)
}

// pad imports PAD with constant paddings, padding with zero (int8: the zero point).
func (imp *tflImporter) pad(op *tflOp) error {
	x, xt, ti, ot, q, err := imp.actInOut(op)
	if err != nil {
		return err
	}
	p, pshape, err := imp.constInts(op, 1)
	if err != nil {
		return fmt.Errorf("paddings: %w", err)
	}
	r := len(xt.shape)
	if len(pshape) != 2 || pshape[0] != r || pshape[1] != 2 {
		return fmt.Errorf("paddings shape %v, want [%d, 2]", pshape, r)
	}
	if p[0] != 0 || p[1] != 0 {
		return fmt.Errorf("padding the batch dimension is not supported")
	}
	pr := r - 1
	pads := make([]int, 2*pr)
	for a := 1; a < r; a++ {
		ax, _ := tflAxis(a, r, x.nchw)
		pads[ax], pads[pr+ax] = p[2*a], p[2*a+1]
		if p[2*a] < 0 || p[2*a+1] < 0 {
			return fmt.Errorf("negative paddings %v", p)
		}
	}
	// Value 0 is real zero; int8 kernels quantize it to the output zero point, as TFLite pads.
	n := &Node{Op: OpPad, Inputs: []string{x.name}, Attrs: Attrs{Pads: pads}}
	shape, nchw, err := tflPerSample(ot.shape)
	if err != nil {
		return fmt.Errorf("output %q: %w", ot.name, err)
	}
	return imp.finish(op, n, ti, shape, nchw, tflitefb.ActivationFunctionTypeNONE, q)
}

// concat imports CONCATENATION of activations.
func (imp *tflImporter) concat(op *tflOp) error {
	ti, ot, err := imp.outTensor(op)
	if err != nil {
		return err
	}
	t, err := imp.requireOptions(op, tflitefb.BuiltinOptionsConcatenationOptions)
	if err != nil {
		return err
	}
	var o tflitefb.ConcatenationOptions
	o.Init(t.Bytes, t.Pos)
	shape, nchw, err := tflPerSample(ot.shape)
	if err != nil {
		return fmt.Errorf("output %q: %w", ot.name, err)
	}
	ax, err := tflAxis(int(o.Axis()), len(ot.shape), nchw)
	if err != nil {
		return err
	}
	n := &Node{Op: OpConcat, Attrs: Attrs{Axis: ax}}
	var q *QuantParams
	if ot.isInt8() {
		q = ot.quant.Clone()
	}
	for i := range op.inputs {
		x, xt, err := imp.act(op, i)
		if err != nil {
			return err
		}
		if _, err := quantMode(xt, ot); err != nil {
			return err
		}
		if x.nchw != nchw || len(x.shape) != len(shape) {
			return fmt.Errorf("input %q %v and output %q %v have different ranks", xt.name, xt.shape, ot.name, ot.shape)
		}
		if q != nil && (xt.quant.Scale[0] != q.Scale[0] || xt.quant.ZeroPoint[0] != q.ZeroPoint[0]) {
			return fmt.Errorf("int8 input %q has other quantization than the output: requantizing concatenation is not supported", xt.name)
		}
		n.Inputs = append(n.Inputs, x.name)
	}
	return imp.finish(op, n, ti, shape, nchw, o.FusedActivationFunction(), q)
}
