package model

import (
	"errors"
	"fmt"

	"github.com/tcdse/tcdse/model/onnxpb"
)

// Constant folding in the ONNX importer. PyTorch exports computations on constants that its own
// folding leaves in the graph; F.pad, for one, becomes ConstantOfShape, Concat, Reshape, Slice,
// Transpose and Cast applied to the padding amounts. When every input of such a node is a
// constant, the importer computes its output and records it as a constant; the IR never sees
// the node. Axes here are the constant's own (there is no batch dimension).

// moreRegisterFolding adds ConstantOfShape and Cast, and wraps the converters of Concat,
// Reshape, Slice, Squeeze, Unsqueeze and Gather so that they fold constant inputs. It is called
// from the init function of onnx_more_ops.go once those converters are registered.
func moreRegisterFolding() {
	onnxOps["ConstantOfShape"] = (*onnxImporter).moreConstantOfShape
	onnxOps["Cast"] = (*onnxImporter).moreCast
	for _, op := range []string{"Concat", "Reshape", "Slice", "Squeeze", "Unsqueeze", "Gather"} {
		onnxOps[op] = moreFoldOr(onnxOps[op])
	}
}

// moreFoldMaxElements bounds the constants the importer computes, which can be far larger than
// the file that describes them (ConstantOfShape, Gather with repeated indices). Folded constants
// are shapes and paddings in practice.
const moreFoldMaxElements = 1 << 22

// moreFoldOr returns a converter that folds the node when all its inputs are constants and
// calls conv otherwise.
func moreFoldOr(conv func(*onnxImporter, *onnxpb.NodeProto, string) error) func(*onnxImporter, *onnxpb.NodeProto, string) error {
	return func(imp *onnxImporter, n *onnxpb.NodeProto, name string) error {
		if len(n.GetInput()) == 0 {
			return conv(imp, n, name)
		}
		for _, in := range n.GetInput() {
			if in != "" && !imp.isConst(in) {
				return conv(imp, n, name)
			}
		}
		return imp.moreFold(n)
	}
}

// moreFold computes a node whose inputs are all constants.
func (imp *onnxImporter) moreFold(n *onnxpb.NodeProto) error {
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	ins := make([]*onnxConst, len(n.GetInput()))
	for i, in := range n.GetInput() {
		if in != "" {
			if ins[i], err = imp.constInput(n, i, "input", false); err != nil {
				return err
			}
		}
	}
	if ins[0] == nil {
		return errors.New("input 0 is missing")
	}
	var c *onnxConst
	switch n.GetOpType() {
	case "Concat":
		c, err = moreFoldConcat(n, ins)
	case "Reshape":
		c, err = imp.moreFoldReshape(n, ins)
	case "Slice":
		c, err = imp.moreFoldSlice(n, ins)
	case "Squeeze", "Unsqueeze":
		c, err = imp.moreFoldSqueeze(n, ins)
	case "Gather":
		c, err = moreFoldGather(n, ins)
	default:
		err = errors.New("cannot be computed at import time")
	}
	if err != nil {
		return fmt.Errorf("constant folding: %w", err)
	}
	imp.consts[out] = c
	return nil
}

// morePick returns the constant of shape dims whose element i is c's element src[i].
func morePick(c *onnxConst, dims, src []int) *onnxConst {
	t := &onnxConst{Dims: dims}
	if c.isFloat() {
		t.F = make([]float32, len(src))
		for i, o := range src {
			t.F[i] = c.F[o]
		}
		return t
	}
	t.I = make([]int64, len(src))
	for i, o := range src {
		t.I[i] = c.I[o]
	}
	return t
}

// moreConstAxis normalises an axis attribute against a constant of rank r.
func moreConstAxis(a onnxAttrs, def int64, r int) (int, error) {
	ax, err := a.int("axis", def)
	if err != nil {
		return 0, err
	}
	if ax < -int64(r) || ax >= int64(r) {
		return 0, fmt.Errorf("axis %d is outside the rank %d", ax, r)
	}
	if ax < 0 {
		ax += int64(r)
	}
	return int(ax), nil
}

func moreFoldConcat(n *onnxpb.NodeProto, ins []*onnxConst) (*onnxConst, error) {
	if len(ins) == 0 || ins[0] == nil {
		return nil, errors.New("no inputs")
	}
	r := len(ins[0].Dims)
	ax, err := moreConstAxis(attrsOf(n), 0, r)
	if err != nil {
		return nil, err
	}
	out := &onnxConst{Dims: cloneInts(ins[0].Dims)}
	out.Dims[ax] = 0
	if !ins[0].isFloat() {
		out.I = []int64{}
	}
	for _, c := range ins {
		if c == nil || len(c.Dims) != r || c.isFloat() != ins[0].isFloat() {
			return nil, errors.New("inputs differ in rank or element type")
		}
		for i := range c.Dims {
			if i != ax && c.Dims[i] != ins[0].Dims[i] {
				return nil, fmt.Errorf("shapes %v and %v differ outside axis %d", ins[0].Dims, c.Dims, ax)
			}
		}
		out.Dims[ax] += c.Dims[ax]
	}
	outer, _ := NumElements(out.Dims[:ax])
	for q := 0; q < outer; q++ {
		for _, c := range ins {
			chunk, _ := NumElements(c.Dims[ax:])
			if c.isFloat() {
				out.F = append(out.F, c.F[q*chunk:(q+1)*chunk]...)
			} else {
				out.I = append(out.I, c.I[q*chunk:(q+1)*chunk]...)
			}
		}
	}
	if out.isFloat() && out.F == nil {
		out.F = []float32{}
	}
	return out, nil
}

// moreFoldReshape reshapes a constant: 0 copies a dimension (unless allowzero), -1 is inferred.
func (imp *onnxImporter) moreFoldReshape(n *onnxpb.NodeProto, ins []*onnxConst) (*onnxConst, error) {
	if len(ins) < 2 || ins[1] == nil || ins[1].isFloat() {
		return nil, errors.New("needs a constant integer shape")
	}
	c, target := ins[0], ins[1].I
	allowZero, err := attrsOf(n).int("allowzero", 0)
	if err != nil {
		return nil, err
	}
	count, _ := NumElements(c.Dims)
	dims := make([]int, len(target))
	infer, known := -1, 1
	for i, v := range target {
		switch {
		case v == 0 && allowZero == 0:
			if i >= len(c.Dims) {
				return nil, fmt.Errorf("shape %v copies dimension %d of %v", target, i, c.Dims)
			}
			dims[i] = c.Dims[i]
		case v == -1 && infer < 0:
			infer = i
			continue
		case v < 0 || v > MaxElements:
			return nil, fmt.Errorf("shape %v has an invalid dimension %d", target, v)
		default:
			dims[i] = int(v)
		}
		known *= max(dims[i], 1)
	}
	if infer >= 0 {
		dims[infer] = count / known
	}
	if k, err := NumElements(dims); err != nil || k != count {
		return nil, fmt.Errorf("cannot reshape %v to %v", c.Dims, target)
	}
	return &onnxConst{Dims: dims, F: c.F, I: c.I}, nil
}

func (imp *onnxImporter) moreFoldSlice(n *onnxpb.NodeProto, ins []*onnxConst) (*onnxConst, error) {
	if imp.opset < 10 || len(ins) < 3 {
		return nil, errors.New("needs constant starts and ends inputs (opset 10 or later)")
	}
	c := ins[0]
	ints := make([][]int, 4)
	for i := 1; i < len(ins) && i <= 4; i++ {
		if ins[i] == nil {
			continue
		}
		if ins[i].isFloat() && len(ins[i].F) > 0 {
			return nil, fmt.Errorf("input %d holds floating-point values", i)
		}
		for _, v := range ins[i].I {
			if i == 3 && v < 0 {
				v += int64(len(c.Dims))
			}
			ints[i-1] = append(ints[i-1], int(moreClampInt(v)))
		}
	}
	probe := &Node{Name: "constant", Op: OpSlice, Attrs: Attrs{Starts: ints[0], Ends: ints[1], Axes: ints[2], Steps: ints[3]}}
	w, err := ResolveSlice(probe, c.Dims)
	if err != nil {
		return nil, err
	}
	src := moreOffsets(w.Counts, w.Strides)
	for i := range src {
		src[i] += w.First
	}
	return morePick(c, w.Counts, src), nil
}

// moreFoldSqueeze changes a constant's shape by Squeeze or Unsqueeze; the data is unchanged.
func (imp *onnxImporter) moreFoldSqueeze(n *onnxpb.NodeProto, ins []*onnxConst) (*onnxConst, error) {
	c := ins[0]
	var axes []int64
	if imp.opset < 13 {
		var err error
		if axes, _, err = moreAttrInts(attrsOf(n), "axes"); err != nil {
			return nil, err
		}
	} else if len(ins) > 1 && ins[1] != nil {
		axes = ins[1].I
	}
	r := len(c.Dims)
	if n.GetOpType() == "Unsqueeze" {
		r += len(axes)
	}
	mark := make([]bool, r)
	for _, a := range axes {
		if a < -int64(r) || a >= int64(r) {
			return nil, fmt.Errorf("axis %d is outside the rank %d", a, r)
		}
		if a < 0 {
			a += int64(r)
		}
		mark[a] = true
	}
	var dims []int
	if n.GetOpType() == "Unsqueeze" {
		j := 0
		for i := 0; i < r; i++ {
			if mark[i] {
				dims = append(dims, 1)
			} else {
				dims = append(dims, c.Dims[j])
				j++
			}
		}
	} else {
		for i, d := range c.Dims {
			if (len(axes) == 0 && d == 1) || mark[i] {
				if d != 1 {
					return nil, fmt.Errorf("axis %d has size %d, not 1", i, d)
				}
				continue
			}
			dims = append(dims, d)
		}
	}
	if dims == nil {
		dims = []int{}
	}
	return &onnxConst{Dims: dims, F: c.F, I: c.I}, nil
}

func moreFoldGather(n *onnxpb.NodeProto, ins []*onnxConst) (*onnxConst, error) {
	if len(ins) != 2 {
		return nil, fmt.Errorf("has %d inputs, want 2", len(ins))
	}
	c, idx := ins[0], ins[1]
	if idx == nil || (idx.isFloat() && len(idx.F) > 0) {
		return nil, errors.New("needs integer indices")
	}
	ax, err := moreConstAxis(attrsOf(n), 0, len(c.Dims))
	if err != nil {
		return nil, err
	}
	d := c.Dims[ax]
	outer, _ := NumElements(c.Dims[:ax])
	inner, _ := NumElements(c.Dims[ax+1:])
	if outer*inner > 0 && len(idx.I) > moreFoldMaxElements/(outer*inner) {
		return nil, fmt.Errorf("the result is too large for a constant computed at import time (at most %d elements)", moreFoldMaxElements)
	}
	var src []int
	for q := 0; q < outer; q++ {
		for _, v := range idx.I {
			if v < -int64(d) || v >= int64(d) {
				return nil, fmt.Errorf("index %d is outside axis %d of size %d", v, ax, d)
			}
			if v < 0 {
				v += int64(d)
			}
			for k := 0; k < inner; k++ {
				src = append(src, (q*d+int(v))*inner+k)
			}
		}
	}
	dims := append(append(cloneInts(c.Dims[:ax]), idx.Dims...), c.Dims[ax+1:]...)
	return morePick(c, dims, src), nil
}

// moreConstantOfShape fills a tensor of the constant shape with the value attribute (float 0 by
// default).
func (imp *onnxImporter) moreConstantOfShape(n *onnxpb.NodeProto, _ string) error {
	s, err := imp.constInput(n, 0, "shape", false)
	if err != nil {
		return err
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	if s.isFloat() && len(s.F) > 0 {
		return errors.New("shape holds floating-point values")
	}
	dims := make([]int, len(s.I))
	for i, v := range s.I {
		if v < 0 || v > MaxElements {
			return fmt.Errorf("shape %v has an invalid dimension", s.I)
		}
		dims[i] = int(v)
	}
	count, err := NumElements(dims)
	if err != nil || count > moreFoldMaxElements {
		return fmt.Errorf("shape %s is too large for a constant computed at import time (at most %d elements)", moreBrief(s.I), moreFoldMaxElements)
	}
	value := &onnxConst{F: []float32{0}}
	if p, ok := attrsOf(n)["value"]; ok {
		if value, err = decodeONNXTensor(p.GetT()); err != nil {
			return err
		}
		if max(len(value.F), len(value.I)) != 1 {
			return errors.New("value must hold one element")
		}
	}
	c := &onnxConst{Dims: dims}
	if value.isFloat() {
		c.F = make([]float32, count)
		for i := range c.F {
			c.F[i] = value.F[0]
		}
	} else {
		c.I = make([]int64, count)
		for i := range c.I {
			c.I[i] = value.I[0]
		}
	}
	imp.consts[out] = c
	return nil
}

// moreCast converts constants between floating-point and integer types; on an activation, only
// a cast to float (a no-op in the IR) is supported.
func (imp *onnxImporter) moreCast(n *onnxpb.NodeProto, _ string) error {
	if len(n.GetInput()) != 1 {
		return fmt.Errorf("has %d inputs, want 1", len(n.GetInput()))
	}
	to, err := attrsOf(n).int("to", -1)
	if err != nil {
		return err
	}
	out, err := imp.onlyOutput(n)
	if err != nil {
		return err
	}
	dt := onnxpb.TensorProto_DataType(to)
	toFloat := dt == onnxpb.TensorProto_FLOAT || dt == onnxpb.TensorProto_DOUBLE || dt == onnxpb.TensorProto_FLOAT16
	toInt := dt == onnxpb.TensorProto_INT64 || dt == onnxpb.TensorProto_INT32 || dt == onnxpb.TensorProto_INT16 ||
		dt == onnxpb.TensorProto_INT8 || dt == onnxpb.TensorProto_UINT8 || dt == onnxpb.TensorProto_BOOL
	if !toFloat && !toInt {
		return fmt.Errorf("cast to %v is not supported", dt)
	}
	if !imp.isConst(n.GetInput()[0]) {
		if !toFloat || dt == onnxpb.TensorProto_FLOAT16 {
			return fmt.Errorf("cast of an activation to %v is not supported (only to FLOAT)", dt)
		}
		x, _, err := imp.activation(n.GetInput()[0])
		if err != nil {
			return err
		}
		imp.alias[out] = x
		return nil
	}
	c, err := imp.constInput(n, 0, "input", false)
	if err != nil {
		return err
	}
	r := &onnxConst{Dims: cloneInts(c.Dims)}
	switch {
	case toFloat && c.isFloat():
		r.F = c.F
	case toFloat:
		r.F = make([]float32, len(c.I))
		for i, v := range c.I {
			r.F[i] = float32(v)
		}
	case c.isFloat():
		r.I = make([]int64, len(c.F))
		for i, v := range c.F {
			if dt == onnxpb.TensorProto_BOOL {
				r.I[i] = map[bool]int64{false: 0, true: 1}[v != 0]
			} else {
				r.I[i] = int64(v) // truncation toward zero
			}
		}
	default:
		r.I = c.I
		if dt == onnxpb.TensorProto_BOOL {
			r.I = make([]int64, len(c.I))
			for i, v := range c.I {
				r.I[i] = map[bool]int64{false: 0, true: 1}[v != 0]
			}
		}
	}
	if r.isFloat() && r.F == nil {
		r.F = []float32{}
	}
	imp.consts[out] = r
	return nil
}
