package model

// Data-movement operators: Concat, Pad, Transpose, Gather and Slice. Their axes and attributes
// are per sample; the batch dimension is never touched. A constant operand (Concat only) is
// shared by every sample.

func init() {
	RegisterOp(OpConcat, OpKernel{Inputs: -1, Infer: inferConcat, Run: runConcat})
	RegisterOp(OpPad, OpKernel{Inputs: 1, Infer: inferPad, Run: shapeOnActivation(runPad)})
	RegisterOp(OpTranspose, OpKernel{Inputs: 1, Infer: inferTranspose, Run: shapeOnActivation(runTranspose)})
	RegisterOp(OpGather, OpKernel{Inputs: 1, Infer: inferGather, Run: shapeOnActivation(runGather)})
	RegisterOp(OpSlice, OpKernel{Inputs: 1, Infer: inferSlice, Run: shapeOnActivation(runSlice)})
}

// shapeOnActivation wraps a one-input kernel so that a constant input gives an error.
func shapeOnActivation(run func(n *Node, a RunArgs) error) func(n *Node, a RunArgs) error {
	return func(n *Node, a RunArgs) error {
		if a.IsConst[0] {
			return errNode(n, "the input is a constant")
		}
		return run(n, a)
	}
}

// shapeStrides returns the row-major element strides of shape.
func shapeStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// shapeGather fills dst, laid out row-major with shape out, from src: the element at output
// index (i0, i1, ...) is src[base + Σ i_k·st[k]].
func shapeGather(dst, src []float32, base int, out, st []int) {
	if len(dst) == 0 {
		return
	}
	r := len(out)
	if r == 0 {
		dst[0] = src[base]
		return
	}
	idx := make([]int, r)
	last, lastStride := out[r-1], st[r-1]
	off := base
	for i := 0; i < len(dst); i += last {
		row := dst[i : i+last]
		if lastStride == 1 {
			copy(row, src[off:off+last])
		} else {
			for j := range row {
				row[j] = src[off+j*lastStride]
			}
		}
		for ax := r - 2; ax >= 0; ax-- {
			idx[ax]++
			off += st[ax]
			if idx[ax] < out[ax] {
				break
			}
			off -= st[ax] * out[ax]
			idx[ax] = 0
		}
	}
}

// shapeForSamples runs fn(s) for every sample of the batch, spread over goroutines.
func shapeForSamples(a RunArgs, fn func(s int)) {
	parallelFor(a.Batch, 1, len(a.Y.Data), func(lo, hi int) {
		for s := lo; s < hi; s++ {
			fn(s)
		}
	})
}

func inferConcat(n *Node, ins [][]int) ([]int, error) {
	r := len(ins[0])
	ax := n.Attrs.Axis
	if ax < 0 || ax >= r {
		return nil, errNode(n, "axis %d is outside the per-sample rank %d", ax, r)
	}
	out := cloneInts(ins[0])
	for i, s := range ins[1:] {
		if len(s) != r {
			return nil, errNode(n, "input %d has shape %v, input 0 has %v", i+1, s, ins[0])
		}
		for j := range s {
			if j != ax && s[j] != out[j] {
				return nil, errNode(n, "input %d has shape %v, input 0 has %v: only axis %d may differ", i+1, s, ins[0], ax)
			}
		}
		out[ax] += s[ax]
	}
	return out, nil
}

func runConcat(n *Node, a RunArgs) error {
	ax := n.Attrs.Axis
	outer := 1
	for _, d := range a.Out[:ax] {
		outer *= d
	}
	inner := 1
	for _, d := range a.Out[ax+1:] {
		inner *= d
	}
	per := len(a.Y.Data) / a.Batch
	chunk := make([]int, len(a.Ins)) // elements each input contributes per outer index
	size := make([]int, len(a.Ins))  // elements per sample of each input (0 for constants)
	for i, s := range a.InShape {
		chunk[i] = s[ax] * inner
		if !a.IsConst[i] {
			size[i] = outer * chunk[i]
		}
	}
	shapeForSamples(a, func(s int) {
		dst := a.Y.Data[s*per : (s+1)*per]
		o := 0
		for q := 0; q < outer; q++ {
			for i, in := range a.Ins {
				src := in.Data[s*size[i]+q*chunk[i]:]
				o += copy(dst[o:o+chunk[i]], src[:chunk[i]])
			}
		}
	})
	return nil
}

func inferPad(n *Node, ins [][]int) ([]int, error) {
	x, p := ins[0], n.Attrs.Pads
	if len(p) != 2*len(x) {
		return nil, errNode(n, "pads %v: want %d values (begins then ends of %d axes)", p, 2*len(x), len(x))
	}
	out := make([]int, len(x))
	for i, d := range x {
		out[i] = d + p[i] + p[len(x)+i]
		if out[i] < 0 {
			return nil, errNode(n, "pads %v remove more than the %d elements of axis %d", p, d, i)
		}
	}
	return out, nil
}

// runPad fills the output with Attrs.Value and copies the input into it, shifted by the begin
// pads; negative pads crop.
func runPad(n *Node, a RunArgs) error {
	in, out, p := a.InShape[0], a.Out, n.Attrs.Pads
	r := len(in)
	nIn, _ := NumElements(in)
	per := len(a.Y.Data) / a.Batch
	ost := shapeStrides(out)
	shapeForSamples(a, func(s int) {
		src, dst := a.Ins[0].Data[s*nIn:(s+1)*nIn], a.Y.Data[s*per:(s+1)*per]
		for i := range dst {
			dst[i] = n.Attrs.Value
		}
		if nIn == 0 {
			return
		}
		if r == 0 {
			dst[0] = src[0]
			return
		}
		// copy the input row by row along the last axis
		last := in[r-1]
		lo, hi := max(0, -p[r-1]), min(last, out[r-1]-p[r-1]) // input range that lands in the output
		idx := make([]int, r)
		for off := 0; off < nIn; off += last {
			o, inside := 0, true
			for ax := 0; ax < r-1; ax++ {
				j := idx[ax] + p[ax]
				if j < 0 || j >= out[ax] {
					inside = false
					break
				}
				o += j * ost[ax]
			}
			if inside && lo < hi {
				copy(dst[o+lo+p[r-1]:o+hi+p[r-1]], src[off+lo:off+hi])
			}
			for ax := r - 2; ax >= 0; ax-- {
				idx[ax]++
				if idx[ax] < in[ax] {
					break
				}
				idx[ax] = 0
			}
		}
	})
	return nil
}

func inferTranspose(n *Node, ins [][]int) ([]int, error) {
	x, perm := ins[0], n.Attrs.Perm
	if len(perm) != len(x) {
		return nil, errNode(n, "perm %v does not have the %d axes of the input %v", perm, len(x), x)
	}
	seen := make([]bool, len(x))
	out := make([]int, len(x))
	for i, p := range perm {
		if p < 0 || p >= len(x) || seen[p] {
			return nil, errNode(n, "perm %v is not a permutation of the per-sample axes 0..%d", perm, len(x)-1)
		}
		seen[p] = true
		out[i] = x[p]
	}
	return out, nil
}

func runTranspose(n *Node, a RunArgs) error {
	in, perm := a.InShape[0], n.Attrs.Perm
	ist := shapeStrides(in)
	st := make([]int, len(perm))
	for i, p := range perm {
		st[i] = ist[p]
	}
	per := len(a.Y.Data) / a.Batch
	shapeForSamples(a, func(s int) {
		shapeGather(a.Y.Data[s*per:(s+1)*per], a.Ins[0].Data, s*per, a.Out, st)
	})
	return nil
}

func inferGather(n *Node, ins [][]int) ([]int, error) {
	x, ax := ins[0], n.Attrs.Axis
	if ax < 0 || ax >= len(x) {
		return nil, errNode(n, "axis %d is outside the per-sample rank %d", ax, len(x))
	}
	for _, i := range n.Attrs.Indices {
		if i < -x[ax] || i >= x[ax] {
			return nil, errNode(n, "index %d is outside axis %d of size %d", i, ax, x[ax])
		}
	}
	out := cloneInts(x)
	out[ax] = len(n.Attrs.Indices)
	return out, nil
}

// runGather copies the slices at Attrs.Indices (negative ones count from the end) along Axis.
func runGather(n *Node, a RunArgs) error {
	in, ax := a.InShape[0], n.Attrs.Axis
	outer, inner := 1, 1
	for _, d := range in[:ax] {
		outer *= d
	}
	for _, d := range in[ax+1:] {
		inner *= d
	}
	nIn := outer * in[ax] * inner
	per := len(a.Y.Data) / a.Batch
	shapeForSamples(a, func(s int) {
		src, dst := a.Ins[0].Data[s*nIn:(s+1)*nIn], a.Y.Data[s*per:(s+1)*per]
		o := 0
		for q := 0; q < outer; q++ {
			for _, i := range n.Attrs.Indices {
				if i < 0 {
					i += in[ax]
				}
				b := (q*in[ax] + i) * inner
				o += copy(dst[o:o+inner], src[b:b+inner])
			}
		}
	})
	return nil
}

// sliceAxis is the resolved slice of one axis: the first index, the step and the count.
type sliceAxis struct{ start, step, count int }

// sliceResolve applies ONNX Slice semantics (negative indices count from the end, out-of-range
// ones are clamped) and returns the slice of every per-sample axis of x.
func sliceResolve(n *Node, x []int) ([]sliceAxis, error) {
	a := n.Attrs
	axes := a.Axes
	if axes == nil {
		axes = make([]int, len(a.Starts))
		for i := range axes {
			axes[i] = i
		}
	}
	if len(a.Ends) != len(a.Starts) || len(axes) != len(a.Starts) || (a.Steps != nil && len(a.Steps) != len(a.Starts)) {
		return nil, errNode(n, "starts %v, ends %v, axes %v and steps %v differ in length", a.Starts, a.Ends, a.Axes, a.Steps)
	}
	res := make([]sliceAxis, len(x))
	for i, d := range x {
		res[i] = sliceAxis{0, 1, d}
	}
	seen := make([]bool, len(x))
	for k, ax := range axes {
		if ax < 0 || ax >= len(x) || seen[ax] {
			return nil, errNode(n, "axes %v: axis %d is repeated or outside the per-sample rank %d", axes, ax, len(x))
		}
		seen[ax] = true
		step := 1
		if a.Steps != nil {
			step = a.Steps[k]
		}
		if step == 0 {
			return nil, errNode(n, "step of axis %d is 0", ax)
		}
		d := x[ax]
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
		res[ax] = sliceAxis{start, step, count}
	}
	return res, nil
}

func inferSlice(n *Node, ins [][]int) ([]int, error) {
	res, err := sliceResolve(n, ins[0])
	if err != nil {
		return nil, err
	}
	out := make([]int, len(res))
	for i, r := range res {
		out[i] = r.count
	}
	return out, nil
}

func runSlice(n *Node, a RunArgs) error {
	in := a.InShape[0]
	res, err := sliceResolve(n, in)
	if err != nil {
		return err
	}
	ist := shapeStrides(in)
	st := make([]int, len(in))
	base := 0
	for i, r := range res {
		st[i] = r.step * ist[i]
		base += r.start * ist[i]
	}
	nIn, _ := NumElements(in)
	per := len(a.Y.Data) / a.Batch
	shapeForSamples(a, func(s int) {
		shapeGather(a.Y.Data[s*per:(s+1)*per], a.Ins[0].Data, s*nIn+base, a.Out, st)
	})
	return nil
}
