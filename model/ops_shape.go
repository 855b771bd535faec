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
	outer, inner := AxisSplit(a.Out, ax)
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
	ost := RowMajorStrides(out)
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
			if o, inside := shapePadOffset(idx[:r-1], p, out, ost); inside && lo < hi {
				copy(dst[o+lo+p[r-1]:o+hi+p[r-1]], src[off+lo:off+hi])
			}
			shapeNextIndex(idx[:r-1], in)
		}
	})
	return nil
}

// shapePadOffset returns the output element offset (strides ost) of the input index idx moved
// by the begin pads p, and whether it lies inside the output shape out; only the first len(idx)
// axes are read, so a row start is placed by passing the index without its last axis.
func shapePadOffset(idx, p, out, ost []int) (int, bool) {
	o := 0
	for ax, i := range idx {
		j := i + p[ax]
		if j < 0 || j >= out[ax] {
			return 0, false
		}
		o += j * ost[ax]
	}
	return o, true
}

// shapeNextIndex advances the row-major index idx over the first len(idx) axes of shape by one,
// wrapping to all zeros after the last.
func shapeNextIndex(idx, shape []int) {
	for ax := len(idx) - 1; ax >= 0; ax-- {
		idx[ax]++
		if idx[ax] < shape[ax] {
			return
		}
		idx[ax] = 0
	}
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
	st := TransposeStrides(a.InShape[0], n.Attrs.Perm)
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
	outer, inner := AxisSplit(in, ax)
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

func inferSlice(n *Node, ins [][]int) ([]int, error) {
	w, err := ResolveSlice(n, ins[0])
	if err != nil {
		return nil, err
	}
	return w.Counts, nil
}

func runSlice(n *Node, a RunArgs) error {
	in := a.InShape[0]
	w, err := ResolveSlice(n, in)
	if err != nil {
		return err
	}
	nIn, _ := NumElements(in)
	per := len(a.Y.Data) / a.Batch
	shapeForSamples(a, func(s int) {
		shapeGather(a.Y.Data[s*per:(s+1)*per], a.Ins[0].Data, s*nIn+w.First, a.Out, w.Strides)
	})
	return nil
}
