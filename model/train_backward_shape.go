package model

// Backward passes of the data-movement operators (Concat, Pad, Transpose, Gather, Slice) and of
// Mean. Each routes every output gradient element back to the input element it came from
// (adding where one input element fed several outputs, as repeated Gather indices do); Mean
// spreads it evenly over the reduced elements.

func init() {
	trainBackwards[OpConcat] = trainConcatBackward
	trainBackwards[OpPad] = trainOneInput(trainPadBackward)
	trainBackwards[OpTranspose] = trainOneInput(trainTransposeBackward)
	trainBackwards[OpGather] = trainOneInput(trainGatherBackward)
	trainBackwards[OpSlice] = trainOneInput(trainSliceBackward)
	trainBackwards[OpMean] = trainOneInput(trainMeanBackward)
}

// trainOneInput wraps the backward pass of a one-input operator, which writes the input
// gradient dx (zeroed, shaped like the input) of sample s from dy; samples run in parallel.
// A constant input gets no gradient.
func trainOneInput(fn func(a trainBackArgs, dx []float32, s int) error) trainBackwardFunc {
	return func(a trainBackArgs) ([]*Tensor, *LayerGrad, error) {
		if a.isConst[0] {
			return []*Tensor{nil}, nil, nil
		}
		dx := NewTensor(a.ins[0].Shape...)
		per := len(dx.Data) / a.batch
		errs := make([]error, a.batch)
		parallelFor(a.batch, 1, len(dx.Data)+len(a.dy.Data), func(lo, hi int) {
			for s := lo; s < hi; s++ {
				errs[s] = fn(a, dx.Data[s*per:(s+1)*per], s)
			}
		})
		for _, err := range errs {
			if err != nil {
				return nil, nil, err
			}
		}
		return []*Tensor{dx}, nil, nil
	}
}

// trainSampleGrad returns sample s of the output gradient.
func (a trainBackArgs) trainSampleGrad(s int) []float32 {
	per := len(a.dy.Data) / a.batch
	return a.dy.Data[s*per : (s+1)*per]
}

// trainConcatBackward hands every activation input its slice of dy along the axis.
func trainConcatBackward(a trainBackArgs) ([]*Tensor, *LayerGrad, error) {
	ax := a.n.Attrs.Axis
	outer, inner := AxisSplit(a.outShape, ax)
	per := len(a.dy.Data) / a.batch
	dxs := make([]*Tensor, len(a.ins))
	chunk := make([]int, len(a.ins))
	for i, s := range a.inShapes {
		chunk[i] = s[ax] * inner
		if !a.isConst[i] {
			dxs[i] = NewTensor(a.ins[i].Shape...)
		}
	}
	parallelFor(a.batch, 1, len(a.dy.Data), func(lo, hi int) {
		for s := lo; s < hi; s++ {
			src := a.dy.Data[s*per : (s+1)*per]
			o := 0
			for q := 0; q < outer; q++ {
				for i, dx := range dxs {
					if dx != nil {
						size := outer * chunk[i]
						copy(dx.Data[s*size+q*chunk[i]:s*size+(q+1)*chunk[i]], src[o:o+chunk[i]])
					}
					o += chunk[i]
				}
			}
		}
	})
	return dxs, nil, nil
}

// trainPadBackward reads, for every input element that lands inside the output, the gradient
// at its padded position; cropped elements (negative pads) get zero.
func trainPadBackward(a trainBackArgs, dx []float32, s int) error {
	in, out, p := a.inShapes[0], a.outShape, a.n.Attrs.Pads
	g := a.trainSampleGrad(s)
	r := len(in)
	if len(dx) == 0 {
		return nil
	}
	if r == 0 {
		dx[0] = g[0]
		return nil
	}
	ost := RowMajorStrides(out)
	idx := make([]int, r)
	for i := range dx {
		if o, inside := shapePadOffset(idx, p, out, ost); inside {
			dx[i] = g[o]
		}
		shapeNextIndex(idx, in)
	}
	return nil
}

// trainTransposeBackward transposes dy back: input axis perm[k] is output axis k.
func trainTransposeBackward(a trainBackArgs, dx []float32, s int) error {
	perm := a.n.Attrs.Perm
	ost := RowMajorStrides(a.outShape)
	st := make([]int, len(perm))
	for k, p := range perm {
		st[p] = ost[k]
	}
	shapeGather(dx, a.trainSampleGrad(s), 0, a.inShapes[0], st)
	return nil
}

// trainGatherBackward adds each gathered slice's gradient to the slice it was taken from.
func trainGatherBackward(a trainBackArgs, dx []float32, s int) error {
	in, ax := a.inShapes[0], a.n.Attrs.Axis
	outer, inner := AxisSplit(in, ax)
	g := a.trainSampleGrad(s)
	o := 0
	for q := 0; q < outer; q++ {
		for _, i := range a.n.Attrs.Indices {
			if i < 0 {
				i += in[ax]
			}
			row := dx[(q*in[ax]+i)*inner : (q*in[ax]+i+1)*inner]
			for j, v := range g[o : o+inner] {
				row[j] += v
			}
			o += inner
		}
	}
	return nil
}

// trainSliceBackward writes each output gradient element to the input position it was read
// from (distinct positions, since no step is 0).
func trainSliceBackward(a trainBackArgs, dx []float32, s int) error {
	in := a.inShapes[0]
	w, err := ResolveSlice(a.n, in)
	if err != nil {
		return err
	}
	g := a.trainSampleGrad(s)
	if len(g) == 0 {
		return nil
	}
	st, off := w.Strides, w.First
	out := a.outShape
	idx := make([]int, len(out))
	for i, v := range g {
		dx[off] = v
		if i == len(g)-1 {
			break
		}
		for ax := len(out) - 1; ax >= 0; ax-- {
			idx[ax]++
			off += st[ax]
			if idx[ax] < out[ax] {
				break
			}
			off -= st[ax] * out[ax]
			idx[ax] = 0
		}
	}
	return nil
}

// trainMeanBackward gives every input element the gradient of its output element divided by
// the number of elements averaged.
func trainMeanBackward(a trainBackArgs, dx []float32, s int) error {
	in := a.inShapes[0]
	red, err := meanAxes(a.n, in)
	if err != nil {
		return err
	}
	ost := make([]int, len(in))
	count, st := 1, 1
	for i := len(in) - 1; i >= 0; i-- {
		if red[i] {
			count *= in[i]
			continue
		}
		ost[i] = st
		st *= in[i]
	}
	g := a.trainSampleGrad(s)
	idx := make([]int, len(in))
	o := 0
	for i := range dx {
		dx[i] = float32(float64(g[o]) / float64(count))
		for ax := len(in) - 1; ax >= 0; ax-- {
			idx[ax]++
			o += ost[ax]
			if idx[ax] < in[ax] {
				break
			}
			o -= ost[ax] * in[ax]
			idx[ax] = 0
		}
	}
	return nil
}
