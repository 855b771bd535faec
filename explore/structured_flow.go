package explore

import (
	"fmt"
	"slices"

	"github.com/tcdse/tcdse/model"
)

// Structured pruning follows channels through the graph as a data flow. Every layer that can
// lose output channels (an ungrouped Conv, a Dense, an RNN/LSTM/GRU) opens a channel space:
// its M output channels (filters, neurons, hidden units). Every activation that carries
// channels of some space records, along one of its axes, which channel of which space sits at
// each position (a chanRef). Operators that act per channel pass the positions on; a depthwise
// convolution passes them on and loses the matching filters; Concat lays them side by side;
// Add, Sub and Mul of two activations tie the spaces of their operands together, so that they
// are cut with one keep-set (a channel group). Anything that cannot follow a change in channel
// count pins the spaces it reads: a pinned group is never cut.

// chanRef names channel ch of channel space sp; sp < 0 marks a position no space owns.
type chanRef struct{ sp, ch int }

// untracked is the chanRef of a position no prunable layer produces.
var untracked = chanRef{sp: -1}

// chanLayout says where the channel positions of a value are. Its flat elements (per sample,
// row-major) are indexed (o·L + p)·inner + r for position p in [0, L), L = len(refs).
type chanLayout struct {
	shape        []int
	axis         int // the axis of shape holding the positions; -1 when they are merged into dim
	dim          int // with axis −1: the axis of shape the positions are merged into
	outer, inner int
	refs         []chanRef
}

// layoutOnAxis returns the layout of a value of the given shape whose positions are axis.
func layoutOnAxis(shape []int, axis int, refs []chanRef) *chanLayout {
	l := &chanLayout{shape: slices.Clone(shape), axis: axis, outer: 1, inner: 1, refs: refs}
	for _, d := range shape[:axis] {
		l.outer *= d
	}
	for _, d := range shape[axis+1:] {
		l.inner *= d
	}
	return l
}

// chanSpace is the output channel set of one prunable layer.
type chanSpace struct {
	producer *model.Node
	size     int
	parent   int    // union-find parent
	pinned   string // why the channels cannot shrink; empty when they can
}

// chanFlow is the result of following every channel space through a graph.
type chanFlow struct {
	g        *model.Graph
	consts   map[string]*model.Tensor
	constUse map[string]int // how many node inputs read each constant
	spaces   []chanSpace
	source   map[string]int         // prunable layer name -> its space
	layout   map[string]*chanLayout // value name -> where its channel positions are (tracked values only)
	// constCut lists the constants that hold one entry per channel position of the value a
	// binary operator computes from them.
	constCut map[string]constCut
}

// constCut records that a constant's axis holds one entry per channel position of value.
type constCut struct {
	axis  int
	value string
}

// find returns the root space of sp's group.
func (f *chanFlow) find(sp int) int {
	for f.spaces[sp].parent != sp {
		f.spaces[sp].parent = f.spaces[f.spaces[sp].parent].parent
		sp = f.spaces[sp].parent
	}
	return sp
}

// union ties the groups of a and b together; spaces of different sizes are pinned instead.
func (f *chanFlow) union(a, b int, at *model.Node) {
	ra, rb := f.find(a), f.find(b)
	if ra == rb {
		return
	}
	if f.spaces[ra].size != f.spaces[rb].size {
		f.pin([]chanRef{{ra, 0}, {rb, 0}}, fmt.Sprintf("node %q combines channels of layers %q (%d) and %q (%d) position by position, and their counts differ",
			at.Name, f.spaces[a].producer.Name, f.spaces[a].size, f.spaces[b].producer.Name, f.spaces[b].size))
		return
	}
	f.spaces[rb].parent = ra
	if f.spaces[ra].pinned == "" {
		f.spaces[ra].pinned = f.spaces[rb].pinned
	}
}

// pin marks the spaces of refs as unable to shrink, for the given reason.
func (f *chanFlow) pin(refs []chanRef, reason string) {
	for _, r := range refs {
		if r.sp < 0 {
			continue
		}
		if root := f.find(r.sp); f.spaces[root].pinned == "" {
			f.spaces[root].pinned = reason
		}
	}
}

// isSource reports whether n can lose output channels, and the channel count.
func isSource(n *model.Node) (int, bool) {
	switch n.Op {
	case model.OpConv:
		if n.Groups() == 1 && n.Weight != nil {
			return n.Weight.Shape[0], true
		}
	case model.OpDense:
		if n.Weight != nil {
			return n.Weight.Shape[0], true
		}
	case model.OpRNN, model.OpLSTM, model.OpGRU:
		if n.Weight != nil && n.Recurrent != nil {
			return n.Attrs.Hidden, true
		}
	}
	return 0, false
}

// isDepthwise reports whether n is a convolution with one group per input channel.
func isDepthwise(n *model.Node, in []int) bool {
	return n.Op == model.OpConv && n.Groups() > 1 && len(in) > 0 && n.Groups() == in[0] && n.Weight != nil && n.Weight.Shape[1] == 1
}

// channelwiseUnary lists the elementwise operators of one activation operand that structured
// pruning follows; the zeroed model's constants pass through them (see unaryConsts).
var channelwiseUnary = map[model.Op]bool{
	model.OpRelu: true, model.OpClip: true, model.OpLeakyRelu: true, model.OpSigmoid: true,
	model.OpTanh: true, model.OpHardSwish: true, model.OpHardSigmoid: true,
}

// followChannels runs the channel flow over g (validated, shapes filled).
func followChannels(g *model.Graph) *chanFlow {
	f := &chanFlow{g: g, consts: map[string]*model.Tensor{}, constUse: map[string]int{}, source: map[string]int{},
		layout: map[string]*chanLayout{}, constCut: map[string]constCut{}}
	for _, c := range g.Consts {
		f.consts[c.Name] = c.Tensor
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if _, ok := f.consts[in]; ok {
				f.constUse[in]++
			}
		}
	}
	for _, n := range g.Nodes {
		f.step(n)
	}
	for _, o := range g.Outputs {
		if l := f.layout[o.Name]; l != nil {
			f.pin(l.refs, fmt.Sprintf("value %q is a graph output, its size cannot change", o.Name))
		}
	}
	return f
}

// step follows the channels through one node.
func (f *chanFlow) step(n *model.Node) {
	out := n.Outputs[0]
	outShape := f.g.Shapes[out]
	var in *chanLayout
	if len(n.Inputs) > 0 {
		in = f.layout[n.Inputs[0]]
	}
	refuse := func(why string) {
		for _, v := range n.Inputs {
			if l := f.layout[v]; l != nil {
				f.pin(l.refs, why)
			}
		}
	}
	cannot := fmt.Sprintf("it is read by node %q (%s), which cannot follow a change in channel count", n.Name, n.Op)
	if m, ok := isSource(n); ok {
		if in != nil {
			switch n.Op {
			case model.OpConv:
				if in.axis != 0 {
					refuse(fmt.Sprintf("it reaches Conv %q on an axis other than the channel axis", n.Name))
				}
			case model.OpRNN, model.OpLSTM, model.OpGRU:
				if in.axis != 1 || len(in.shape) != 2 {
					refuse(fmt.Sprintf("it reaches %s %q on an axis other than the feature axis", n.Op, n.Name))
				}
			}
		}
		sp := len(f.spaces)
		f.spaces = append(f.spaces, chanSpace{producer: n, size: m, parent: sp})
		f.source[n.Name] = sp
		refs := make([]chanRef, m)
		for i := range refs {
			refs[i] = chanRef{sp, i}
		}
		axis := 0
		if len(outShape) == 2 && (n.Op == model.OpRNN || n.Op == model.OpLSTM || n.Op == model.OpGRU) {
			axis = 1
		}
		f.layout[out] = layoutOnAxis(outShape, axis, refs)
		return
	}
	if len(n.Outputs) != 1 {
		refuse(cannot)
		return
	}
	switch {
	case n.Op == model.OpConv:
		if in == nil {
			return
		}
		if !isDepthwise(n, f.g.Shapes[n.Inputs[0]]) || in.axis != 0 {
			refuse(fmt.Sprintf("it is read by node %q, a grouped convolution (%d groups) whose groups would break", n.Name, n.Groups()))
			return
		}
		mult := n.Weight.Shape[0] / n.Groups()
		refs := make([]chanRef, n.Weight.Shape[0])
		for o := range refs {
			refs[o] = in.refs[o/mult]
		}
		f.layout[out] = layoutOnAxis(outShape, 0, refs)
	case channelwiseUnary[n.Op]:
		if in == nil {
			return
		}
		l := *in
		l.shape = slices.Clone(outShape)
		f.layout[out] = &l
	case n.Op == model.OpMaxPool || n.Op == model.OpAvgPool:
		if in == nil {
			return
		}
		if in.axis != 0 {
			refuse(cannot)
			return
		}
		f.layout[out] = layoutOnAxis(outShape, 0, in.refs)
	case n.Op == model.OpPad:
		if in == nil {
			return
		}
		r := len(in.shape)
		if in.axis < 0 || n.Attrs.Pads[in.axis] != 0 || n.Attrs.Pads[r+in.axis] != 0 {
			refuse(fmt.Sprintf("node %q (Pad) pads the channel axis", n.Name))
			return
		}
		f.layout[out] = layoutOnAxis(outShape, in.axis, in.refs)
	case n.Op == model.OpMean:
		if in == nil {
			return
		}
		axes := n.Attrs.Axes
		if len(axes) == 0 || in.axis < 0 || slices.Contains(axes, in.axis) {
			refuse(fmt.Sprintf("node %q (Mean) averages over the channel axis", n.Name))
			return
		}
		axis := in.axis
		if n.Attrs.Shape == nil {
			for _, a := range axes {
				if a < in.axis {
					axis--
				}
			}
		}
		f.layout[out] = layoutOnAxis(outShape, axis, in.refs)
	case n.Op == model.OpTranspose:
		if in == nil {
			return
		}
		if in.axis < 0 {
			refuse(cannot)
			return
		}
		f.layout[out] = layoutOnAxis(outShape, slices.Index(n.Attrs.Perm, in.axis), in.refs)
	case n.Op == model.OpReshape:
		if in == nil {
			return
		}
		l := reshapeLayout(in, outShape)
		if l == nil {
			refuse(fmt.Sprintf("node %q reshapes it to %v, which splits the channel positions", n.Name, outShape))
			return
		}
		f.layout[out] = l
	case n.Op == model.OpGather || n.Op == model.OpSlice:
		if in == nil {
			return
		}
		axes := n.Attrs.Axes
		if n.Op == model.OpGather {
			axes = []int{n.Attrs.Axis}
		} else if axes == nil {
			for i := range n.Attrs.Starts {
				axes = append(axes, i)
			}
		}
		if in.axis < 0 || slices.Contains(axes, in.axis) || slices.Contains(axes, in.axis-len(in.shape)) {
			refuse(fmt.Sprintf("node %q (%s) selects along the channel axis", n.Name, n.Op))
			return
		}
		f.layout[out] = layoutOnAxis(outShape, in.axis, in.refs)
	case n.Op == model.OpAdd || n.Op == model.OpSub || n.Op == model.OpMul:
		f.binary(n, outShape)
	case n.Op == model.OpConcat:
		f.concat(n, outShape)
	default:
		refuse(cannot)
	}
}

// reshapeLayout keeps the flat positions of in and finds them in the new shape: on an axis of
// their own, or merged into one axis together with neighbouring elements. It returns nil when
// the positions are spread over several axes.
func reshapeLayout(in *chanLayout, shape []int) *chanLayout {
	L := len(in.refs)
	pre := 1
	for d, s := range shape {
		post := 1
		for _, t := range shape[d+1:] {
			post *= t
		}
		switch {
		case pre == in.outer && s == L && post == in.inner:
			return layoutOnAxis(shape, d, in.refs)
		case pre > 0 && post > 0 && in.outer%pre == 0 && in.inner%post == 0 && (in.outer/pre)*L*(in.inner/post) == s:
			return &chanLayout{shape: slices.Clone(shape), axis: -1, dim: d, outer: in.outer, inner: in.inner, refs: in.refs}
		}
		pre *= s
	}
	return nil
}

// binary follows channels through Add, Sub and Mul. A constant operand with one entry per
// channel is cut with them; two activations carrying channels tie their spaces together.
func (f *chanFlow) binary(n *model.Node, outShape []int) {
	type operand struct {
		name  string
		shape []int
		l     *chanLayout
		konst bool
	}
	ops := make([]operand, len(n.Inputs))
	var tracked []int
	for i, v := range n.Inputs {
		ops[i] = operand{name: v, l: f.layout[v]}
		if c, ok := f.consts[v]; ok {
			ops[i].shape, ops[i].konst = c.Shape, true
		} else {
			ops[i].shape = f.g.Shapes[v]
		}
		if ops[i].l != nil {
			tracked = append(tracked, i)
		}
	}
	if len(tracked) == 0 {
		return
	}
	refuse := func(why string) {
		for _, i := range tracked {
			f.pin(ops[i].l.refs, why)
		}
	}
	r := len(outShape)
	first := ops[tracked[0]].l
	if first.axis < 0 {
		refuse(fmt.Sprintf("node %q (%s) reads the channels merged with other axes", n.Name, n.Op))
		return
	}
	axis := first.axis + r - len(first.shape) // the output axis of the positions
	L := len(first.refs)
	refs := slices.Clone(first.refs)
	for i, o := range ops {
		a := axis - (r - len(o.shape)) // o's axis aligned with the output's
		dim := 1
		if a >= 0 {
			dim = o.shape[a]
		}
		switch {
		case o.l != nil:
			if o.l.axis != a || len(o.l.refs) != L {
				refuse(fmt.Sprintf("node %q (%s) combines channel positions on different axes", n.Name, n.Op))
				return
			}
			if i == tracked[0] {
				continue
			}
			for p, b := range o.l.refs {
				x := refs[p]
				switch {
				case x.sp < 0 && b.sp < 0:
				case x.sp < 0 || b.sp < 0:
					f.pin([]chanRef{x, b}, fmt.Sprintf("node %q (%s) combines them with channels that no prunable layer produces (e.g. a graph input)", n.Name, n.Op))
				case x.ch != b.ch:
					f.pin([]chanRef{x, b}, fmt.Sprintf("node %q (%s) combines different channels of its operands", n.Name, n.Op))
				default:
					f.union(x.sp, b.sp, n)
				}
				if x.sp < 0 {
					refs[p] = b
				}
			}
		case dim == 1:
			// broadcast along the channel axis: nothing to cut
		case o.konst && dim == L:
			if f.constUse[o.name] > 1 {
				refuse(fmt.Sprintf("node %q (%s) reads constant %q, which other nodes read too", n.Name, n.Op, o.name))
				return
			}
			f.constCut[o.name] = constCut{axis: a, value: n.Outputs[0]}
		default:
			what := "value"
			if slices.ContainsFunc(f.g.Inputs, func(v model.Value) bool { return v.Name == o.name }) {
				what = "graph input"
			}
			refuse(fmt.Sprintf("node %q (%s) combines them with %s %q, which no prunable layer produces", n.Name, n.Op, what, o.name))
			return
		}
	}
	f.layout[n.Outputs[0]] = layoutOnAxis(outShape, axis, refs)
}

// concat follows channels through a Concat along their axis; untracked inputs contribute
// positions that are always kept.
func (f *chanFlow) concat(n *model.Node, outShape []int) {
	var refs []chanRef
	found := false
	for _, v := range n.Inputs {
		l := f.layout[v]
		if l == nil {
			s := f.g.Shapes[v]
			if c, ok := f.consts[v]; ok {
				s = c.Shape
			}
			for range s[n.Attrs.Axis] {
				refs = append(refs, untracked)
			}
			continue
		}
		found = true
		if l.axis != n.Attrs.Axis {
			for _, w := range n.Inputs {
				if l := f.layout[w]; l != nil {
					f.pin(l.refs, fmt.Sprintf("node %q concatenates along axis %d, not the channel axis", n.Name, n.Attrs.Axis))
				}
			}
			return
		}
		refs = append(refs, l.refs...)
	}
	if found {
		f.layout[n.Outputs[0]] = layoutOnAxis(outShape, n.Attrs.Axis, refs)
	}
}
