package explore

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/tcdse/tcdse/model"
)

// structuredApply carries the second pass of structured pruning: with the keep-sets chosen, it
// walks the graph again, cutting every node that holds or reads removed channels, and tracks
// what the removed positions of every value hold in the zeroed model (a constant, or NaN when
// it is not one constant), so that readers can fold non-zero constants into their bias.
type structuredApply struct {
	f     *chanFlow
	keep  map[int][]bool
	konst map[string][]float64 // value -> per position: the zeroed model's constant there
}

// removed reports whether the channel at r is cut.
func (a *structuredApply) removed(r chanRef) bool {
	if r.sp < 0 {
		return false
	}
	m, ok := a.keep[a.f.find(r.sp)]
	return ok && !m[r.ch]
}

// removedMask returns, per position of l, whether it is cut, and how many are kept.
func (a *structuredApply) removedMask(l *chanLayout) ([]bool, int) {
	mask := make([]bool, len(l.refs))
	kept := 0
	for p, r := range l.refs {
		mask[p] = a.removed(r)
		if !mask[p] {
			kept++
		}
	}
	return mask, kept
}

// apply cuts out (a clone of f.g, nodes in the same order) to the keep-sets.
func (f *chanFlow) apply(out *model.Graph, keep map[int][]bool) error {
	a := &structuredApply{f: f, keep: keep, konst: map[string][]float64{}}
	outConsts := map[string]*model.Const{}
	for i := range out.Consts {
		outConsts[out.Consts[i].Name] = &out.Consts[i]
	}
	var errs []error
	for i, n := range f.g.Nodes {
		c := out.Nodes[i]
		if err := a.node(n, c, outConsts); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// node cuts one node: first what it reads, then what it produces.
func (a *structuredApply) node(n, c *model.Node, outConsts map[string]*model.Const) error {
	f := a.f
	outName := n.Outputs[0]
	ol := f.layout[outName]
	var in *chanLayout
	if len(n.Inputs) > 0 {
		in = f.layout[n.Inputs[0]]
	}
	if _, ok := isSource(n); ok {
		if in != nil {
			if err := a.cutReader(n, c, in, a.konst[n.Inputs[0]]); err != nil {
				return err
			}
		}
		mask, kept := a.removedMask(ol)
		a.konst[outName] = make([]float64, len(mask))
		if kept == len(mask) {
			return nil
		}
		keepMask := make([]bool, len(mask))
		for p := range mask {
			keepMask[p] = !mask[p]
		}
		if n.Op == model.OpConv || n.Op == model.OpDense {
			var rows []int
			for p, k := range keepMask {
				if k {
					rows = append(rows, p)
				}
			}
			c.Weight = keepRows(c.Weight, rows)
			if c.Bias != nil {
				c.Bias = keepRows1D(c.Bias, rows)
			}
		} else {
			cutRecurrentUnits(c, keepMask)
		}
		return nil
	}
	if ol == nil {
		return nil
	}
	mask, kept := a.removedMask(ol)
	switch {
	case n.Op == model.OpConv: // depthwise
		a.konst[outName] = depthwiseConsts(n, a.konst[n.Inputs[0]])
		var rows []int
		for o, r := range mask {
			if !r {
				rows = append(rows, o)
			}
		}
		if kept < len(mask) {
			mult := n.Weight.Shape[0] / n.Groups()
			c.Weight = keepRows(c.Weight, rows)
			if c.Bias != nil {
				c.Bias = keepRows1D(c.Bias, rows)
			}
			c.Attrs.Group = kept / mult
		}
	case channelwiseUnary[n.Op]:
		a.konst[outName] = unaryConsts(n, a.konst[n.Inputs[0]])
	case n.Op == model.OpPad:
		k := slices.Clone(a.konst[n.Inputs[0]])
		padded := slices.ContainsFunc(n.Attrs.Pads, func(p int) bool { return p != 0 })
		for p, v := range k {
			if padded && float32(v) != n.Attrs.Value {
				k[p] = math.NaN()
			}
		}
		a.konst[outName] = k
	case n.Op == model.OpMean:
		a.konst[outName] = a.konst[n.Inputs[0]]
		if c.Attrs.Shape != nil {
			c.Attrs.Shape[ol.axis] = kept
		}
	case n.Op == model.OpReshape:
		a.konst[outName] = a.konst[n.Inputs[0]]
		if ol.axis >= 0 {
			c.Attrs.Shape[ol.axis] = kept
		} else {
			c.Attrs.Shape[ol.dim] = c.Attrs.Shape[ol.dim] / len(mask) * kept
		}
	case n.Op == model.OpAdd || n.Op == model.OpSub || n.Op == model.OpMul:
		a.konst[outName] = a.binaryConsts(n, ol)
		for _, v := range n.Inputs {
			cc, ok := f.constCut[v]
			if !ok || cc.value != outName || kept == len(mask) {
				continue
			}
			oc := outConsts[v]
			oc.Tensor = cutAxis(oc.Tensor, cc.axis, mask)
		}
	case n.Op == model.OpConcat:
		var k []float64
		for _, v := range n.Inputs {
			if l := f.layout[v]; l != nil {
				k = append(k, a.konst[v]...)
				continue
			}
			s := f.g.Shapes[v]
			if t, ok := f.consts[v]; ok {
				s = t.Shape
			}
			for range s[n.Attrs.Axis] {
				k = append(k, math.NaN())
			}
		}
		a.konst[outName] = k
	default: // pools, Transpose
		a.konst[outName] = a.konst[n.Inputs[0]]
	}
	return nil
}

// cutReader removes from a Conv, Dense or recurrent node c (n before the cut) the inputs that
// read removed positions of layout in, first folding into c's bias whatever non-zero constant
// those positions hold in the zeroed model.
func (a *structuredApply) cutReader(n, c *model.Node, in *chanLayout, konst []float64) error {
	mask, kept := a.removedMask(in)
	if kept == len(mask) {
		return nil
	}
	// the input column (Dense, recurrent) or channel (Conv) -> its position
	var cols int
	var pos func(j int) int
	switch n.Op {
	case model.OpConv:
		cols, pos = n.Weight.Shape[1], func(j int) int { return j }
	case model.OpDense:
		cols, pos = n.Weight.Shape[1], func(j int) int { return (j / in.inner) % len(mask) }
	default:
		cols, pos = n.Weight.Shape[1], func(j int) int { return j }
	}
	rows := c.Weight.Shape[0]
	per := c.Weight.Len() / (rows * cols) // kernel elements per input channel (1 for Dense)
	for j := range cols {
		p := pos(j)
		if !mask[p] || konst[p] == 0 {
			continue
		}
		k := konst[p]
		if math.IsNaN(k) || (n.Op == model.OpConv && slices.ContainsFunc(n.Attrs.Pads, func(v int) bool { return v != 0 })) {
			r := in.refs[p]
			why := "does not hold one constant there"
			if !math.IsNaN(k) {
				why = fmt.Sprintf("holds the constant %g there and %q pads its input", k, n.Name)
			}
			return fmt.Errorf("structured pruning: the output channels of %q: with channel %d zeroed, the value %q that node %q reads %s, so the cut would change the result",
				a.f.spaces[r.sp].producer.Name, r.ch, n.Inputs[0], n.Name, why)
		}
		if c.Bias == nil {
			size := rows
			if n.Op == model.OpRNN || n.Op == model.OpLSTM || n.Op == model.OpGRU {
				size = 2 * rows
			}
			c.Bias = model.NewTensor(size)
		}
		for o := range rows {
			var s float64
			for _, w := range c.Weight.Data[(o*cols+j)*per : (o*cols+j+1)*per] {
				s += float64(w)
			}
			c.Bias.Data[o] += float32(k * s)
		}
	}
	if n.Op == model.OpConv {
		c.Weight = cutAxis(c.Weight, 1, mask)
		return nil
	}
	c.Weight = keepCols(c.Weight, func(j int) bool { return !mask[pos(j)] })
	return nil
}

// cutAxis returns t without the entries along axis whose mask is true.
func cutAxis(t *model.Tensor, axis int, mask []bool) *model.Tensor {
	outer, inner := 1, 1
	for _, d := range t.Shape[:axis] {
		outer *= d
	}
	for _, d := range t.Shape[axis+1:] {
		inner *= d
	}
	L := t.Shape[axis]
	shape := slices.Clone(t.Shape)
	shape[axis] = 0
	for _, r := range mask {
		if !r {
			shape[axis]++
		}
	}
	out := &model.Tensor{Shape: shape, Data: make([]float32, 0, outer*shape[axis]*inner)}
	for o := range outer {
		for p := range L {
			if !mask[p] {
				out.Data = append(out.Data, t.Data[(o*L+p)*inner:(o*L+p+1)*inner]...)
			}
		}
	}
	return out
}

// depthwiseConsts returns what the channels of a depthwise convolution hold when its input
// channels hold the constants k: the bias for a zero input, k·Σw + bias without padding, NaN
// otherwise.
func depthwiseConsts(n *model.Node, k []float64) []float64 {
	m := n.Weight.Shape[0]
	mult := m / n.Groups()
	per := n.Weight.Len() / m
	padded := slices.ContainsFunc(n.Attrs.Pads, func(v int) bool { return v != 0 })
	out := make([]float64, m)
	for o := range out {
		b := 0.0
		if n.Bias != nil {
			b = float64(n.Bias.Data[o])
		}
		x := k[o/mult]
		switch {
		case math.IsNaN(x):
			out[o] = math.NaN()
		case x == 0:
			out[o] = b
		case padded:
			out[o] = math.NaN()
		default:
			var s float64
			for _, w := range n.Weight.Data[o*per : (o+1)*per] {
				s += float64(w)
			}
			out[o] = x*s + b
		}
	}
	return out
}

// unaryConsts applies an elementwise activation node to constants by running it in the
// interpreter, so that its exact definition is used; NaN stays NaN.
func unaryConsts(n *model.Node, k []float64) []float64 {
	out := make([]float64, len(k))
	x := model.NewTensor(1, len(k))
	for i, v := range k {
		if !math.IsNaN(v) {
			x.Data[i] = float32(v)
		}
	}
	node := n.Clone()
	node.Inputs, node.Outputs = []string{"x"}, []string{"y"}
	g := &model.Graph{Name: "constant", Inputs: []model.Value{{Name: "x", Shape: []int{len(k)}}},
		Outputs: []model.Value{{Name: "y"}}, Nodes: []*model.Node{node}}
	y, err := g.Run(x)
	for i, v := range k {
		switch {
		case err != nil || math.IsNaN(v):
			out[i] = math.NaN()
		default:
			out[i] = float64(y[0].Data[i])
		}
	}
	return out
}

// binaryConsts computes Add, Sub or Mul on the constants the removed positions hold.
func (a *structuredApply) binaryConsts(n *model.Node, ol *chanLayout) []float64 {
	L := len(ol.refs)
	r := len(ol.shape)
	vals := make([][]float64, len(n.Inputs))
	for i, v := range n.Inputs {
		if a.f.layout[v] != nil {
			vals[i] = a.konst[v]
			continue
		}
		vals[i] = make([]float64, L)
		t, ok := a.f.consts[v]
		if !ok {
			for p := range vals[i] {
				vals[i][p] = math.NaN()
			}
			continue
		}
		ax := ol.axis - (r - len(t.Shape))
		for p := range vals[i] {
			vals[i][p] = uniformSlice(t, ax, p)
		}
	}
	out := make([]float64, L)
	for p := range out {
		x, y := vals[0][p], vals[1][p]
		switch n.Op {
		case model.OpAdd:
			out[p] = x + y
		case model.OpSub:
			out[p] = x - y
		default:
			if x == 0 || y == 0 {
				out[p] = 0
			} else {
				out[p] = x * y
			}
		}
	}
	return out
}

// uniformSlice returns the value of the constant t at index p of axis (the whole tensor when
// axis is negative or of size 1) if that slice holds one value throughout, else NaN.
func uniformSlice(t *model.Tensor, axis, p int) float64 {
	if axis < 0 || t.Shape[axis] == 1 {
		axis, p = -1, 0
	}
	outer, inner, L := 1, t.Len(), 1
	if axis >= 0 {
		outer, inner, L = 1, 1, t.Shape[axis]
		for _, d := range t.Shape[:axis] {
			outer *= d
		}
		for _, d := range t.Shape[axis+1:] {
			inner *= d
		}
	}
	v := math.NaN()
	first := true
	for o := range outer {
		for _, x := range t.Data[(o*L+p)*inner : (o*L+p+1)*inner] {
			if first {
				v, first = float64(x), false
			} else if float64(x) != v {
				return math.NaN()
			}
		}
	}
	return v
}
