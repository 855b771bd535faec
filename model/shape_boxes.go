package model

// Index geometry of the data-movement operators, shared by the interpreter (ops_shape.go),
// the backward passes (train_backward_shape.go), ONNX constant folding and the C code
// generator, so that every one of them reads the same elements.

// RowMajorStrides returns the row-major element strides of shape: the last axis has stride 1,
// each other axis the product of the extents after it.
func RowMajorStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// TransposeStrides returns, for each output axis k of a Transpose with permutation perm of a
// row-major input of shape in, the input element stride along it (the stride of axis perm[k]).
// perm must be a permutation of the axes of in (inferTranspose checks it).
func TransposeStrides(in, perm []int) []int {
	ist := RowMajorStrides(in)
	st := make([]int, len(perm))
	for k, p := range perm {
		st[k] = ist[p]
	}
	return st
}

// SliceWindow is the part of a row-major input that a Slice node reads, as a strided box: the
// output element at index (i0, i1, ...) is input element First + Σ i_k·Strides[k].
type SliceWindow struct {
	First   int   // input element of output index (0, 0, ...)
	Counts  []int // elements read along each axis: the per-sample output shape
	Strides []int // input element stride between consecutive reads along each axis (step × row-major stride)
}

// ResolveSlice applies ONNX Slice semantics to the Starts, Ends, Axes and Steps attributes of n
// for a per-sample input of shape in: negative indices count from the end, out-of-range ones
// are clamped, omitted axes are read whole. It reports attribute lists of different lengths,
// repeated or out-of-range axes and zero steps.
func ResolveSlice(n *Node, in []int) (SliceWindow, error) {
	a := n.Attrs
	axes := a.Axes
	if axes == nil {
		axes = make([]int, len(a.Starts))
		for i := range axes {
			axes[i] = i
		}
	}
	if len(a.Ends) != len(a.Starts) || len(axes) != len(a.Starts) || (a.Steps != nil && len(a.Steps) != len(a.Starts)) {
		return SliceWindow{}, errNode(n, "starts %v, ends %v, axes %v and steps %v differ in length", a.Starts, a.Ends, a.Axes, a.Steps)
	}
	w := SliceWindow{Counts: append(make([]int, 0, len(in)), in...), Strides: RowMajorStrides(in)}
	seen := make([]bool, len(in))
	for k, ax := range axes {
		if ax < 0 || ax >= len(in) || seen[ax] {
			return SliceWindow{}, errNode(n, "axes %v: axis %d is repeated or outside the per-sample rank %d", axes, ax, len(in))
		}
		seen[ax] = true
		step := 1
		if a.Steps != nil {
			step = a.Steps[k]
		}
		if step == 0 {
			return SliceWindow{}, errNode(n, "step of axis %d is 0", ax)
		}
		d := in[ax]
		start, end := a.Starts[k], a.Ends[k]
		if start < 0 {
			start += d
		}
		if end < 0 {
			end += d
		}
		var count int
		if step > 0 {
			start, end = min(max(start, 0), d), min(max(end, 0), d)
			if end > start {
				count = (end - start + step - 1) / step
			}
		} else {
			start, end = min(max(start, 0), d-1), min(max(end, -1), d-1)
			if start > end {
				count = (start - end - step - 1) / -step
			}
		}
		w.First += start * w.Strides[ax]
		w.Counts[ax] = count
		w.Strides[ax] *= step
	}
	return w, nil
}

// AxisSplit returns the element counts around axis ax of a row-major shape: outer, the product
// of the extents before ax, and inner, the product of those after it. Slice i of axis ax in
// outer block q starts at element (q·shape[ax] + i)·inner. ax must be an axis of shape.
func AxisSplit(shape []int, ax int) (outer, inner int) {
	outer, inner = 1, 1
	for _, d := range shape[:ax] {
		outer *= d
	}
	for _, d := range shape[ax+1:] {
		inner *= d
	}
	return outer, inner
}

// BroadcastStrides returns, for an operand of per-sample shape in broadcast to out by numpy's
// rules (shapes aligned to the right), the element stride within the operand along each output
// axis: 0 where the operand is broadcast (an axis of extent 1, or one it lacks). ok is false
// when in has more axes than out or an axis whose extent is neither 1 nor out's.
func BroadcastStrides(in, out []int) (st []int, ok bool) {
	if len(in) > len(out) {
		return nil, false
	}
	st = make([]int, len(out))
	s := 1
	for i := len(out) - 1; i >= 0; i-- {
		j := i - (len(out) - len(in))
		if j < 0 {
			continue
		}
		switch in[j] {
		case 1:
		case out[i]:
			st[i] = s
		default:
			return nil, false
		}
		s *= in[j]
	}
	return st, true
}
