package model

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/tcdse/tcdse/model/onnxpb"
)

// ONNX converters for the operators beyond LeNet: broadcasting arithmetic, activations,
// BatchNormalization without a layer to fold into, non-last-axis Softmax, and the data-movement
// and reduction operators. Axes in ONNX count the batch dimension (axis 0), which must never be
// moved, sliced or reduced; the IR's axes are per sample (ONNX axis − 1).

func init() {
	onnxOps["Sub"] = moreBinaryOf(OpSub)
	onnxOps["Mul"] = moreBinaryOf(OpMul)
	onnxOps["Div"] = moreBinaryOf(OpDiv)
	onnxOps["BatchNormalization"] = (*onnxImporter).moreBatchNorm
	onnxOps["Clip"] = (*onnxImporter).moreClip
	onnxOps["LeakyRelu"] = (*onnxImporter).moreLeakyRelu
	onnxOps["HardSigmoid"] = (*onnxImporter).moreHardSigmoid
	onnxOps["Sigmoid"] = moreUnaryOf(OpSigmoid)
	onnxOps["Tanh"] = moreUnaryOf(OpTanh)
	onnxOps["HardSwish"] = moreUnaryOf(OpHardSwish)
	onnxOps["Softmax"] = (*onnxImporter).moreSoftmax
	onnxOps["Concat"] = (*onnxImporter).moreConcat
	onnxOps["Pad"] = (*onnxImporter).morePad
	onnxOps["Transpose"] = (*onnxImporter).moreTranspose
	onnxOps["Gather"] = (*onnxImporter).moreGather
	onnxOps["Slice"] = (*onnxImporter).moreSlice
	onnxOps["Squeeze"] = (*onnxImporter).moreSqueeze
	onnxOps["Unsqueeze"] = (*onnxImporter).moreUnsqueeze
	onnxOps["ReduceMean"] = (*onnxImporter).moreReduceMean
	moreRegisterFolding() // after the converters it wraps
}

// moreBinaryOf returns the converter of a broadcasting binary operator that becomes op.
func moreBinaryOf(op Op) func(*onnxImporter, *onnxpb.NodeProto, string) error {
	return func(imp *onnxImporter, n *onnxpb.NodeProto, name string) error {
		return imp.moreBinary(n, name, op)
	}
}

// moreUnaryOf returns the converter of a one-input operator without attributes that becomes op.
func moreUnaryOf(op Op) func(*onnxImporter, *onnxpb.NodeProto, string) error {
	return func(imp *onnxImporter, n *onnxpb.NodeProto, name string) error {
		return imp.unary(n, name, op)
	}
}

// moreAdd converts Add (listed in onnxOps in onnx_import.go).
func (imp *onnxImporter) moreAdd(n *onnxpb.NodeProto, name string) error {
	return imp.moreBinary(n, name, OpAdd)
}

// moreBinary converts Add, Sub, Mul and Div. A constant added to the output of a Conv or Dense
// layer that nothing else reads is folded into its bias, as a constant per channel; otherwise
// the operation becomes a broadcasting IR node whose constant operands are graph constants.
func (imp *onnxImporter) moreBinary(n *onnxpb.NodeProto, name string, op Op) error {
	if len(n.GetInput()) != 2 {
		return fmt.Errorf("has %d inputs, want 2", len(n.GetInput()))
	}
	in := n.GetInput()
	c0, c1 := imp.isConst(in[0]), imp.isConst(in[1])
	if c0 && c1 {
		return errors.New("both operands are constants; constant folding is not supported")
	}
	if op == OpAdd && c0 != c1 {
		if folded, err := imp.moreFoldAdd(n); folded || err != nil {
			return err
		}
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	// the per-sample rank of the activations fixes where constants' batch dimension is
	act := in[0]
	if c0 {
		act = in[1]
	}
	_, as, err := imp.activation(act)
	if err != nil {
		return err
	}
	var ins [2]string
	for i := range ins {
		if !imp.isConst(in[i]) {
			var xs []int
			if ins[i], xs, err = imp.activation(in[i]); err != nil {
				return err
			}
			if len(xs) != len(as) {
				return fmt.Errorf("activations %q %v and %q %v differ in rank; their batch dimensions would not line up", act, as, in[i], xs)
			}
			continue
		}
		c, err := imp.floatConst(n, i, "operand", false)
		if err != nil {
			return err
		}
		if ins[i], err = imp.moreConstOperand(in[i], c, len(as)); err != nil {
			return err
		}
	}
	return imp.emit(&Node{Name: name, Op: op, Inputs: ins[:], Outputs: []string{out}})
}

// moreFoldAdd folds the Add of a per-channel constant into the bias of the Conv or Dense layer
// that computes the other operand, when that is possible. It reports whether it did.
func (imp *onnxImporter) moreFoldAdd(n *onnxpb.NodeProto) (bool, error) {
	ci := 1
	if imp.isConst(n.GetInput()[0]) {
		ci = 0
	}
	act := n.GetInput()[1-ci]
	p := imp.foldTarget(act)
	if p == nil {
		return false, nil
	}
	x, xs, err := imp.activation(act)
	if err != nil {
		return false, err
	}
	c, err := imp.floatConst(n, ci, "constant operand", false)
	if err != nil {
		return false, err
	}
	vec, err := channelVector(c, xs)
	if err != nil || len(vec) != p.Weight.Shape[0] {
		return false, nil // not one value per channel: a broadcasting Add instead
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return false, err
	}
	if p.Bias == nil {
		p.Bias = NewTensor(len(vec))
	}
	for i, v := range vec {
		p.Bias.Data[i] += v
	}
	imp.alias[out] = x
	return true, nil
}

// moreConstOperand registers an ONNX constant as an IR graph constant broadcast against
// activations of per-sample rank r, and returns its IR name. A constant of the full ONNX rank
// r+1 must have a leading (batch) dimension of 1, which is dropped.
func (imp *onnxImporter) moreConstOperand(onnxName string, c *onnxConst, r int) (string, error) {
	dims := c.Dims
	if len(dims) > r+1 {
		return "", fmt.Errorf("constant %q has shape %v, a higher rank than the activations [batch %d axes]", onnxName, dims, r)
	}
	if len(dims) == r+1 {
		if dims[0] != 1 {
			return "", fmt.Errorf("constant %q has shape %v, whose first dimension would broadcast over the batch; want 1", onnxName, dims)
		}
		dims = dims[1:]
	}
	return imp.moreAddConst(onnxName, &Tensor{Shape: cloneInts(dims), Data: append([]float32(nil), c.F...)}), nil
}

// moreAddConst adds t to the graph constants under a name derived from base that no ONNX value
// uses, reusing an identical constant added earlier, and returns the name.
func (imp *onnxImporter) moreAddConst(base string, t *Tensor) string {
	for k := 0; ; k++ {
		name := base + "_const"
		if k > 0 {
			name = fmt.Sprintf("%s_const%d", base, k)
		}
		for _, c := range imp.g.Consts {
			if c.Name == name && slices.Equal(c.Tensor.Shape, t.Shape) && moreSameData(c.Tensor.Data, t.Data) {
				return name
			}
		}
		if imp.moreNameFree(name) {
			imp.g.Consts = append(imp.g.Consts, Const{Name: name, Tensor: t})
			imp.shapes[name] = cloneInts(t.Shape)
			return name
		}
	}
}

// moreNameFree reports whether no value of the graph being imported uses name.
func (imp *onnxImporter) moreNameFree(name string) bool {
	if _, ok := imp.shapes[name]; ok {
		return false
	}
	if _, ok := imp.consts[name]; ok {
		return false
	}
	if _, ok := imp.alias[name]; ok {
		return false
	}
	for _, c := range imp.g.Consts {
		if c.Name == name {
			return false
		}
	}
	return true
}

// moreTemp returns an unused name for an intermediate value that one ONNX node expands into.
func (imp *onnxImporter) moreTemp(base string) string {
	for k := 0; ; k++ {
		name := base
		if k > 0 {
			name = fmt.Sprintf("%s_%d", base, k)
		}
		if imp.moreNameFree(name) && imp.uses[name] == 0 {
			return name
		}
	}
}

func moreSameData(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// moreBatchNorm folds BatchNormalization into the preceding Conv or Dense layer when there is
// one; otherwise it lowers it to a Mul and an Add by per-channel constants [C, 1, ...].
func (imp *onnxImporter) moreBatchNorm(n *onnxpb.NodeProto, name string) error {
	if len(n.GetInput()) == 5 && imp.foldTarget(n.GetInput()[0]) != nil {
		return imp.batchNorm(n, name)
	}
	eps, err := batchNormEpsilon(n)
	if err != nil {
		return err
	}
	x, xs, err := imp.activation(n.GetInput()[0])
	if err != nil {
		return err
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	var params [4]*onnxConst
	for i, what := range []string{"scale", "B", "mean", "var"} {
		if params[i], err = imp.floatConst(n, i+1, what, false); err != nil {
			return err
		}
		if len(params[i].F) != xs[0] {
			return fmt.Errorf("%s has shape %v, want [%d] channels", what, params[i].Dims, xs[0])
		}
	}
	cshape := make([]int, len(xs))
	for i := range cshape {
		cshape[i] = 1
	}
	cshape[0] = xs[0]
	scale, shift := NewTensor(cshape...), NewTensor(cshape...)
	for c := range scale.Data {
		inv := batchNormInvStd(params, c, eps)
		scale.Data[c] = float32(inv)
		shift.Data[c] = float32(float64(params[1].F[c]) - float64(params[2].F[c])*inv)
	}
	mid := imp.moreTemp(name + "_scaled")
	mul := &Node{Name: name + "_mul", Op: OpMul, Inputs: []string{x, imp.moreAddConst(name+"_scale", scale)}, Outputs: []string{mid}}
	if err := imp.emit(mul); err != nil {
		return err
	}
	return imp.emit(&Node{Name: name, Op: OpAdd, Inputs: []string{mid, imp.moreAddConst(name+"_shift", shift)}, Outputs: []string{out}})
}

// moreScalar reads optional input i of n as a constant scalar, or returns def.
func (imp *onnxImporter) moreScalar(n *onnxpb.NodeProto, i int, what string, def float32) (float32, error) {
	c, err := imp.floatConst(n, i, what, true)
	if err != nil || c == nil {
		return def, err
	}
	if len(c.F) != 1 {
		return 0, fmt.Errorf("%s %q has shape %v, want a scalar", what, n.GetInput()[i], c.Dims)
	}
	return c.F[0], nil
}

// moreClip converts Clip: bounds from attributes before opset 11, from constant inputs after.
// A missing bound is ±math.MaxFloat32 (finite, so that the graph encodes as JSON).
func (imp *onnxImporter) moreClip(n *onnxpb.NodeProto, name string) error {
	if len(n.GetInput()) < 1 || len(n.GetInput()) > 3 {
		return fmt.Errorf("has %d inputs, want 1 to 3", len(n.GetInput()))
	}
	lo, hi := float32(-math.MaxFloat32), float32(math.MaxFloat32)
	var err error
	if imp.opset < 11 {
		a := attrsOf(n)
		if lo, err = a.float("min", lo); err != nil {
			return err
		}
		if hi, err = a.float("max", hi); err != nil {
			return err
		}
	} else {
		if lo, err = imp.moreScalar(n, 1, "min", lo); err != nil {
			return err
		}
		if hi, err = imp.moreScalar(n, 2, "max", hi); err != nil {
			return err
		}
	}
	return imp.moreUnaryAttrs(n, name, OpClip, Attrs{Min: lo, Max: hi})
}

func (imp *onnxImporter) moreLeakyRelu(n *onnxpb.NodeProto, name string) error {
	alpha, err := attrsOf(n).float("alpha", 0.01)
	if err != nil {
		return err
	}
	return imp.moreUnaryAttrs(n, name, OpLeakyRelu, Attrs{Alpha: alpha})
}

func (imp *onnxImporter) moreHardSigmoid(n *onnxpb.NodeProto, name string) error {
	a := attrsOf(n)
	alpha, err := a.float("alpha", 0.2)
	if err != nil {
		return err
	}
	beta, err := a.float("beta", 0.5)
	if err != nil {
		return err
	}
	return imp.moreUnaryAttrs(n, name, OpHardSigmoid, Attrs{Alpha: alpha, Beta: beta})
}

// moreUnaryAttrs emits a node of op on input 0 with the given attributes.
func (imp *onnxImporter) moreUnaryAttrs(n *onnxpb.NodeProto, name string, op Op, attrs Attrs) error {
	x, _, err := imp.firstActivation(n)
	if err != nil {
		return err
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	return imp.emit(&Node{Name: name, Op: op, Inputs: []string{x}, Outputs: []string{out}, Attrs: attrs})
}

// moreAxis reads an axis attribute of a node whose input has per-sample rank r and returns it as
// a per-sample axis; the batch axis is an error.
func moreAxis(a onnxAttrs, attr string, def int64, r int) (int, error) {
	ax, err := a.int(attr, def)
	if err != nil {
		return 0, err
	}
	return moreSampleAxis(ax, r)
}

// moreSampleAxis converts ONNX axis ax of a tensor [batch, r axes] to a per-sample axis.
func moreSampleAxis(ax int64, r int) (int, error) {
	full := int64(r + 1)
	if ax < -full || ax >= full {
		return 0, fmt.Errorf("axis %d is outside the rank %d", ax, full)
	}
	if ax < 0 {
		ax += full
	}
	if ax == 0 {
		return 0, errors.New("axis 0 is the batch dimension, which cannot be changed")
	}
	return int(ax - 1), nil
}

// moreSoftmax converts Softmax over any non-batch axis. The last axis maps to OpSoftmax; an
// earlier one is moved last by a Transpose and back (opset 13 normalises one axis), or flattened
// with the axes after it by a Reshape (before opset 13, Softmax normalises all of them).
func (imp *onnxImporter) moreSoftmax(n *onnxpb.NodeProto, name string) error {
	x, xs, err := imp.soleActivation(n)
	if err != nil {
		return err
	}
	ax, err := moreAxis(attrsOf(n), "axis", imp.softmaxDefaultAxis(), len(xs))
	if err != nil {
		return err
	}
	if ax == len(xs)-1 {
		return imp.softmax(n, name)
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	var before, after Node
	if imp.opset < 13 {
		outer, _ := NumElements(xs[:ax])
		inner, _ := NumElements(xs[ax:])
		flat := []int{inner}
		if ax > 0 {
			flat = []int{outer, inner}
		}
		before = Node{Op: OpReshape, Attrs: Attrs{Shape: flat}}
		after = Node{Op: OpReshape, Attrs: Attrs{Shape: cloneInts(xs)}}
	} else {
		perm := make([]int, 0, len(xs))
		for i := range xs {
			if i != ax {
				perm = append(perm, i)
			}
		}
		perm = append(perm, ax)
		inv := make([]int, len(perm))
		for i, p := range perm {
			inv[p] = i
		}
		before = Node{Op: OpTranspose, Attrs: Attrs{Perm: perm}}
		after = Node{Op: OpTranspose, Attrs: Attrs{Perm: inv}}
	}
	t1, t2 := imp.moreTemp(name+"_in"), imp.moreTemp(name+"_last")
	before.Name, before.Inputs, before.Outputs = name+"_to_last", []string{x}, []string{t1}
	sm := &Node{Name: name, Op: OpSoftmax, Inputs: []string{t1}, Outputs: []string{t2}}
	after.Name, after.Inputs, after.Outputs = name+"_back", []string{t2}, []string{out}
	for _, nd := range []*Node{&before, sm, &after} {
		if err := imp.emit(nd); err != nil {
			return err
		}
	}
	return nil
}

func (imp *onnxImporter) moreConcat(n *onnxpb.NodeProto, name string) error {
	if len(n.GetInput()) < 1 {
		return errors.New("has no inputs")
	}
	var ins []string
	var r int
	for i, v := range n.GetInput() {
		if imp.isConst(v) {
			return fmt.Errorf("input %d %q is a constant; only activations can be concatenated", i, v)
		}
		x, xs, err := imp.activation(v)
		if err != nil {
			return err
		}
		ins, r = append(ins, x), len(xs)
	}
	if !attrsOf(n).has("axis") {
		return errors.New("attribute axis is missing")
	}
	ax, err := moreAxis(attrsOf(n), "axis", 0, r)
	if err != nil {
		return err
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	if len(ins) == 1 {
		imp.alias[out] = ins[0]
		return nil
	}
	return imp.emit(&Node{Name: name, Op: OpConcat, Inputs: ins, Outputs: []string{out}, Attrs: Attrs{Axis: ax}})
}

// moreInts reads input i of n as constant integers (absent and optional: nil).
func (imp *onnxImporter) moreInts(n *onnxpb.NodeProto, i int, what string, optional bool) ([]int64, bool, error) {
	c, err := imp.constInput(n, i, what, optional)
	if err != nil || c == nil {
		return nil, false, err
	}
	if c.isFloat() && len(c.F) > 0 {
		return nil, false, fmt.Errorf("%s %q holds floating-point values, want integers", what, n.GetInput()[i])
	}
	return c.I, true, nil
}

// moreAttrInts reads an INTS attribute as int64 values; ok is false when it is absent.
func moreAttrInts(a onnxAttrs, name string) ([]int64, bool, error) {
	p, ok := a[name]
	if !ok {
		return nil, false, nil
	}
	if p.GetType() != onnxpb.AttributeProto_INTS {
		return nil, false, fmt.Errorf("attribute %s has type %v, want INTS", name, p.GetType())
	}
	return p.GetInts(), true, nil
}

// morePad converts Pad in constant mode. ONNX pads include the batch axis, whose pads must be 0.
func (imp *onnxImporter) morePad(n *onnxpb.NodeProto, name string) error {
	if len(n.GetInput()) < 1 {
		return errors.New("has no input")
	}
	a := attrsOf(n)
	mode, err := a.string("mode", "constant")
	if err != nil {
		return err
	}
	if mode != "constant" {
		return fmt.Errorf("mode %q is not supported (only constant)", mode)
	}
	x, xs, err := imp.activation(n.GetInput()[0])
	if err != nil {
		return err
	}
	r := len(xs)
	var pads []int64
	value := float32(0)
	axes := make([]int64, r+1)
	for i := range axes {
		axes[i] = int64(i)
	}
	if imp.opset < 11 {
		if pads, _, err = moreAttrInts(a, "pads"); err != nil {
			return err
		}
		if value, err = a.float("value", 0); err != nil {
			return err
		}
	} else {
		if pads, _, err = imp.moreInts(n, 1, "pads", false); err != nil {
			return err
		}
		if value, err = imp.moreScalar(n, 2, "constant_value", 0); err != nil {
			return err
		}
		if ax, ok, err := imp.moreInts(n, 3, "axes", true); err != nil {
			return err
		} else if ok {
			axes = ax
		}
	}
	if len(pads) != 2*len(axes) {
		return fmt.Errorf("pads %s: want %d values (begins then ends of %d axes)", moreBrief(pads), 2*len(axes), len(axes))
	}
	full := make([]int64, 2*(r+1))
	for k, ax := range axes {
		if ax < 0 {
			ax += int64(r + 1)
		}
		if ax < 0 || ax > int64(r) {
			return fmt.Errorf("axes %s are outside the rank %d", moreBrief(axes), r+1)
		}
		full[ax], full[int64(r+1)+ax] = pads[k], pads[len(axes)+k]
	}
	if full[0] != 0 || full[r+1] != 0 {
		return fmt.Errorf("pads %s change the batch dimension", moreBrief(pads))
	}
	ps := make([]int, 2*r)
	for i := 0; i < r; i++ {
		ps[i], ps[r+i] = int(full[1+i]), int(full[r+2+i])
		if max(moreAbs64(full[1+i]), moreAbs64(full[r+2+i])) > MaxElements {
			return fmt.Errorf("pads %s are too large", moreBrief(pads))
		}
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	return imp.emit(&Node{Name: name, Op: OpPad, Inputs: []string{x}, Outputs: []string{out}, Attrs: Attrs{Pads: ps, Value: value}})
}

func moreAbs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// moreTranspose converts Transpose; the permutation must keep the batch axis first.
func (imp *onnxImporter) moreTranspose(n *onnxpb.NodeProto, name string) error {
	if len(n.GetInput()) != 1 {
		return fmt.Errorf("has %d inputs, want 1", len(n.GetInput()))
	}
	if imp.isConst(n.GetInput()[0]) {
		return imp.moreTransposeConst(n)
	}
	x, xs, err := imp.activation(n.GetInput()[0])
	if err != nil {
		return err
	}
	r := len(xs)
	perm, ok, err := moreAttrInts(attrsOf(n), "perm")
	if err != nil {
		return err
	}
	if !ok { // the default reverses the axes
		perm = make([]int64, r+1)
		for i := range perm {
			perm[i] = int64(r - i)
		}
	}
	if len(perm) != r+1 {
		return fmt.Errorf("perm %s does not have the %d axes of the input", moreBrief(perm), r+1)
	}
	if perm[0] != 0 {
		return fmt.Errorf("perm %v moves the batch axis 0, which must stay first", perm)
	}
	ps := make([]int, r)
	identity := true
	for i, p := range perm[1:] {
		if p < 1 || p > int64(r) {
			return fmt.Errorf("perm %v is not a permutation of 0..%d", perm, r)
		}
		ps[i] = int(p - 1)
		identity = identity && ps[i] == i
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	if identity {
		imp.alias[out] = x
		return nil
	}
	return imp.emit(&Node{Name: name, Op: OpTranspose, Inputs: []string{x}, Outputs: []string{out}, Attrs: Attrs{Perm: ps}})
}

// moreGather converts Gather of an activation with constant indices. Scalar indices remove the
// axis and multi-dimensional ones replace it with theirs: both add a Reshape after the
// IR Gather, which keeps the axis with one entry per index.
func (imp *onnxImporter) moreGather(n *onnxpb.NodeProto, name string) error {
	if len(n.GetInput()) != 2 {
		return fmt.Errorf("has %d inputs, want 2", len(n.GetInput()))
	}
	x, xs, err := imp.activation(n.GetInput()[0])
	if err != nil {
		return err
	}
	c, err := imp.constInput(n, 1, "indices", false)
	if err != nil {
		return err
	}
	if c.isFloat() && len(c.F) > 0 {
		return fmt.Errorf("indices %q hold floating-point values", n.GetInput()[1])
	}
	ax, err := moreAxis(attrsOf(n), "axis", 0, len(xs))
	if err != nil {
		return err
	}
	d := int64(xs[ax])
	idx := make([]int, len(c.I))
	for i, v := range c.I {
		if v < -d || v >= d {
			return fmt.Errorf("index %d is outside axis %d of size %d", v, ax+1, d)
		}
		if v < 0 {
			v += d
		}
		idx[i] = int(v)
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	shape := append(append(cloneInts(xs[:ax]), c.Dims...), xs[ax+1:]...)
	if len(c.Dims) == 1 {
		return imp.emit(&Node{Name: name, Op: OpGather, Inputs: []string{x}, Outputs: []string{out}, Attrs: Attrs{Axis: ax, Indices: idx}})
	}
	if len(shape) == 0 {
		return errors.New("the result would have no per-sample axes")
	}
	mid := imp.moreTemp(name + "_rows")
	if err := imp.emit(&Node{Name: name, Op: OpGather, Inputs: []string{x}, Outputs: []string{mid}, Attrs: Attrs{Axis: ax, Indices: idx}}); err != nil {
		return err
	}
	return imp.emit(&Node{Name: name + "_reshape", Op: OpReshape, Inputs: []string{mid}, Outputs: []string{out}, Attrs: Attrs{Shape: shape}})
}

// moreSlice converts Slice with constant starts, ends, axes and steps. The batch axis may only
// be "sliced" whole (start 0, step 1, end at least the batch size, such as INT64_MAX).
func (imp *onnxImporter) moreSlice(n *onnxpb.NodeProto, name string) error {
	x, xs, err := imp.firstActivation(n)
	if err != nil {
		return err
	}
	r := len(xs)
	var starts, ends, axes, steps []int64
	var hasAxes, hasSteps bool
	if imp.opset < 10 {
		a := attrsOf(n)
		if starts, _, err = moreAttrInts(a, "starts"); err != nil {
			return err
		}
		if ends, _, err = moreAttrInts(a, "ends"); err != nil {
			return err
		}
		if axes, hasAxes, err = moreAttrInts(a, "axes"); err != nil {
			return err
		}
	} else {
		if starts, _, err = imp.moreInts(n, 1, "starts", false); err != nil {
			return err
		}
		if ends, _, err = imp.moreInts(n, 2, "ends", false); err != nil {
			return err
		}
		if axes, hasAxes, err = imp.moreInts(n, 3, "axes", true); err != nil {
			return err
		}
		if steps, hasSteps, err = imp.moreInts(n, 4, "steps", true); err != nil {
			return err
		}
	}
	if !hasAxes {
		axes = make([]int64, len(starts))
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	if !hasSteps {
		steps = make([]int64, len(starts))
		for i := range steps {
			steps[i] = 1
		}
	}
	if len(ends) != len(starts) || len(axes) != len(starts) || len(steps) != len(starts) {
		return fmt.Errorf("starts %s, ends %s, axes %s and steps %s differ in length", moreBrief(starts), moreBrief(ends), moreBrief(axes), moreBrief(steps))
	}
	var at Attrs
	for k, a := range axes {
		if a < -int64(r+1) || a > int64(r) {
			return fmt.Errorf("axis %d is outside the rank %d", a, r+1)
		}
		if a < 0 {
			a += int64(r + 1)
		}
		if a == 0 {
			whole := starts[k] == 0 && steps[k] == 1 && (ends[k] >= math.MaxInt32 || (imp.declaredBatch > 0 && ends[k] >= imp.declaredBatch))
			if !whole {
				return fmt.Errorf("slices the batch axis (start %d, end %d, step %d)", starts[k], ends[k], steps[k])
			}
			continue
		}
		at.Axes = append(at.Axes, int(a-1))
		at.Starts = append(at.Starts, int(moreClampInt(starts[k])))
		at.Ends = append(at.Ends, int(moreClampInt(ends[k])))
		at.Steps = append(at.Steps, int(moreClampInt(steps[k])))
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	if len(at.Axes) == 0 {
		imp.alias[out] = x
		return nil
	}
	return imp.emit(&Node{Name: name, Op: OpSlice, Inputs: []string{x}, Outputs: []string{out}, Attrs: at})
}

// moreClampInt bounds an ONNX index to ±2·MaxElements, which clamps the same way against any
// dimension the IR allows and cannot overflow when a dimension is added.
func moreClampInt(v int64) int64 { return min(max(v, -2*MaxElements), 2*MaxElements) }

// moreAxesOf reads the axes of Squeeze, Unsqueeze or ReduceMean: an attribute before opset
// attrOpset, an optional input (index 1) from it on.
func (imp *onnxImporter) moreAxesOf(n *onnxpb.NodeProto, attrOpset int64) ([]int64, bool, error) {
	if imp.opset < attrOpset {
		return moreAttrInts(attrsOf(n), "axes")
	}
	return imp.moreInts(n, 1, "axes", true)
}

// moreSampleAxes converts ONNX axes of a tensor [batch, r axes] into sorted per-sample axes.
func moreSampleAxes(axes []int64, r int) ([]int, error) {
	out := make([]int, 0, len(axes))
	seen := map[int]bool{}
	for _, a := range axes {
		ax, err := moreSampleAxis(a, r)
		if err != nil {
			return nil, fmt.Errorf("axes %s: %w", moreBrief(axes), err)
		}
		if seen[ax] {
			return nil, fmt.Errorf("axes %s repeat axis %d", moreBrief(axes), ax+1)
		}
		seen[ax] = true
		out = append(out, ax)
	}
	sort.Ints(out)
	return out, nil
}

// moreSqueezeArgs returns the per-sample shape of the input of Squeeze or Unsqueeze and its
// axes (an attribute before opset 13, an input from it on), with whether they are given.
func (imp *onnxImporter) moreSqueezeArgs(n *onnxpb.NodeProto) (xs []int, axes []int64, ok bool, err error) {
	if _, xs, err = imp.firstActivation(n); err != nil {
		return nil, nil, false, err
	}
	if axes, ok, err = imp.moreAxesOf(n, 13); err != nil {
		return nil, nil, false, err
	}
	return xs, axes, ok, nil
}

func (imp *onnxImporter) moreSqueeze(n *onnxpb.NodeProto, name string) error {
	xs, axes, ok, err := imp.moreSqueezeArgs(n)
	if err != nil {
		return err
	}
	drop := make([]bool, len(xs))
	if ok {
		sa, err := moreSampleAxes(axes, len(xs))
		if err != nil {
			return err
		}
		for _, ax := range sa {
			if xs[ax] != 1 {
				return fmt.Errorf("axis %d has size %d, not 1", ax+1, xs[ax])
			}
			drop[ax] = true
		}
	} else {
		for i, d := range xs {
			drop[i] = d == 1 // the batch axis is never squeezed, whatever its size
		}
	}
	var shape []int
	for i, d := range xs {
		if !drop[i] {
			shape = append(shape, d)
		}
	}
	if len(shape) == 0 {
		return fmt.Errorf("squeezing %v would leave no per-sample axes", xs)
	}
	return imp.reshapeTo(n, name, shape)
}

func (imp *onnxImporter) moreUnsqueeze(n *onnxpb.NodeProto, name string) error {
	xs, axes, ok, err := imp.moreSqueezeArgs(n)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("axes are missing")
	}
	r := len(xs) + len(axes) // per-sample rank of the output
	sa, err := moreSampleAxes(axes, r)
	if err != nil {
		return err
	}
	shape := make([]int, 0, r)
	k, j := 0, 0
	for i := 0; i < r; i++ {
		if k < len(sa) && sa[k] == i {
			shape = append(shape, 1)
			k++
			continue
		}
		shape = append(shape, xs[j])
		j++
	}
	return imp.reshapeTo(n, name, shape)
}

// moreReduceMean converts ReduceMean over non-batch axes to OpMean; keepdims=1 sets
// Attrs.Shape to the kept shape.
func (imp *onnxImporter) moreReduceMean(n *onnxpb.NodeProto, name string) error {
	x, xs, err := imp.firstActivation(n)
	if err != nil {
		return err
	}
	a := attrsOf(n)
	keep, err := a.int("keepdims", 1)
	if err != nil {
		return err
	}
	axes, ok, err := imp.moreAxesOf(n, 18)
	if err != nil {
		return err
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	if !ok || len(axes) == 0 {
		noop, err := a.int("noop_with_empty_axes", 0)
		if err != nil {
			return err
		}
		if noop != 0 {
			imp.alias[out] = x
			return nil
		}
		return errors.New("reduces every axis, including the batch")
	}
	sa, err := moreSampleAxes(axes, len(xs))
	if err != nil {
		return err
	}
	node := &Node{Name: name, Op: OpMean, Inputs: []string{x}, Outputs: []string{out}, Attrs: Attrs{Axes: sa}}
	if keep != 0 {
		node.Attrs.Shape = cloneInts(xs)
		for _, ax := range sa {
			node.Attrs.Shape[ax] = 1
		}
	} else if len(sa) == len(xs) {
		return fmt.Errorf("keepdims=0 over every per-sample axis of %v would leave none", xs)
	}
	return imp.emit(node)
}

// moreTransposeConst transposes a constant at import time (PyTorch exports Linear layers as a
// Transpose of the weight followed by MatMul).
func (imp *onnxImporter) moreTransposeConst(n *onnxpb.NodeProto) error {
	c, err := imp.constInput(n, 0, "input", false)
	if err != nil {
		return err
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	r := len(c.Dims)
	perm, ok, err := moreAttrInts(attrsOf(n), "perm")
	if err != nil {
		return err
	}
	if !ok {
		perm = make([]int64, r)
		for i := range perm {
			perm[i] = int64(r - 1 - i)
		}
	}
	p := make([]int, len(perm))
	for i, v := range perm {
		p[i] = int(v)
	}
	probe := &Node{Name: n.GetName(), Op: OpTranspose, Attrs: Attrs{Perm: p}}
	dims, err := inferTranspose(probe, [][]int{c.Dims})
	if err != nil {
		return fmt.Errorf("constant %q: %w", n.GetInput()[0], err)
	}
	t := &onnxConst{Dims: dims}
	src := moreOffsets(dims, TransposeStrides(c.Dims, p))
	if c.isFloat() {
		t.F = make([]float32, len(src))
		for i, o := range src {
			t.F[i] = c.F[o]
		}
	} else {
		t.I = make([]int64, len(src))
		for i, o := range src {
			t.I[i] = c.I[o]
		}
	}
	imp.consts[out] = t
	return nil
}

// moreOffsets returns, for each element of a row-major tensor of shape out, the offset
// Σ i_k·st[k] of the source element it takes.
func moreOffsets(out, st []int) []int {
	n, _ := NumElements(out)
	offs := make([]int, n)
	idx := make([]int, len(out))
	o := 0
	for i := range offs {
		offs[i] = o
		for ax := len(out) - 1; ax >= 0; ax-- {
			idx[ax]++
			o += st[ax]
			if idx[ax] < out[ax] {
				break
			}
			o -= st[ax] * out[ax]
			idx[ax] = 0
		}
	}
	return offs
}

// moreBrief formats an integer list from a model file for an error message, eliding the middle
// of long ones.
func moreBrief(v []int64) string {
	if len(v) <= 12 {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("%v … %v (%d values)", v[:6], v[len(v)-3:], len(v))
}
