package model

import (
	"errors"
	"fmt"
)

// Validate checks that the graph is well formed (every input defined before use, one producer per
// value, weights of the right rank) and infers the per-sample shape of every value into g.Shapes.
// All problems found are reported together.
func (g *Graph) Validate() error {
	shapes := make(map[string][]int)
	var errs []error
	for _, in := range g.Inputs {
		if _, err := NumElements(in.Shape); err != nil || len(in.Shape) == 0 {
			errs = append(errs, fmt.Errorf("graph input %q: bad shape %v", in.Name, in.Shape))
			continue
		}
		shapes[in.Name] = cloneInts(in.Shape)
	}
	for _, c := range g.Consts {
		if c.Tensor == nil {
			errs = append(errs, fmt.Errorf("constant %q has no tensor", c.Name))
			continue
		}
		if k, err := NumElements(c.Tensor.Shape); err != nil || k != len(c.Tensor.Data) {
			errs = append(errs, fmt.Errorf("constant %q: shape %v does not match its %d elements", c.Name, c.Tensor.Shape, len(c.Tensor.Data)))
			continue
		}
		if _, dup := shapes[c.Name]; dup {
			errs = append(errs, fmt.Errorf("constant %q has the name of another value", c.Name))
			continue
		}
		shapes[c.Name] = cloneInts(c.Tensor.Shape)
	}
	for _, n := range g.Nodes {
		ins := make([][]int, len(n.Inputs))
		missing := false
		for i, name := range n.Inputs {
			s, ok := shapes[name]
			if !ok {
				errs = append(errs, errNode(n, "input %q is not produced by any earlier node or graph input", name))
				missing = true
			}
			ins[i] = s
		}
		if missing {
			continue
		}
		out, err := inferNode(n, ins)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(n.Outputs) != 1 {
			errs = append(errs, errNode(n, "has %d outputs, want 1", len(n.Outputs)))
			continue
		}
		if _, dup := shapes[n.Outputs[0]]; dup {
			errs = append(errs, errNode(n, "output %q is already defined", n.Outputs[0]))
			continue
		}
		if _, err := NumElements(out); err != nil {
			errs = append(errs, errNode(n, "output shape: %v", err))
			continue
		}
		shapes[n.Outputs[0]] = out
	}
	for i, out := range g.Outputs {
		s, ok := shapes[out.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("graph output %q is not produced by any node", out.Name))
			continue
		}
		g.Outputs[i].Shape = cloneInts(s)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	g.Shapes = shapes
	return nil
}

func inferNode(n *Node, ins [][]int) ([]int, error) {
	k, err := kernelOf(n)
	if err != nil {
		return nil, err
	}
	if (k.Inputs >= 0 && len(ins) != k.Inputs) || len(ins) == 0 {
		want := fmt.Sprint(k.Inputs)
		if k.Inputs < 0 {
			want = "at least 1"
		}
		return nil, errNode(n, "has %d inputs, want %s", len(ins), want)
	}
	return k.Infer(n, ins)
}

func inferDense(n *Node, ins [][]int) ([]int, error) {
	x := ins[0]
	if n.Weight == nil || len(n.Weight.Shape) != 2 {
		return nil, errNode(n, "weight must be [N, K]")
	}
	k, _ := NumElements(x)
	if n.Weight.Shape[1] != k {
		return nil, errNode(n, "input has %d elements %v, weight expects %d", k, x, n.Weight.Shape[1])
	}
	if n.Bias != nil && n.Bias.Len() != n.Weight.Shape[0] {
		return nil, errNode(n, "bias has %d elements, want %d", n.Bias.Len(), n.Weight.Shape[0])
	}
	return []int{n.Weight.Shape[0]}, nil
}

func inferPool(n *Node, ins [][]int) ([]int, error) {
	x := ins[0]
	c, h, w, ok := conv1DPlane(x)
	if !ok {
		return nil, errNode(n, "input shape %v, want [C,H,W] or [C,L]", x)
	}
	if len(n.Attrs.Kernel) != 2 {
		return nil, errNode(n, "kernel %v, want [kH,kW] ([1,k] in 1D)", n.Attrs.Kernel)
	}
	if p := n.Attrs.Pads; len(p) == 4 && (p[0] >= n.Attrs.Kernel[0] || p[2] >= n.Attrs.Kernel[0] || p[1] >= n.Attrs.Kernel[1] || p[3] >= n.Attrs.Kernel[1]) {
		return nil, errNode(n, "pads %v must be smaller than the kernel %v (a window would hold only padding)", p, n.Attrs.Kernel)
	}
	oh, ow, err := window(n, h, w, n.Attrs.Kernel[0], n.Attrs.Kernel[1], []int{1, 1})
	if err != nil {
		return nil, err
	}
	return conv1DOut(x, c, oh, ow), nil
}

func inferReshape(n *Node, ins [][]int) ([]int, error) {
	a, _ := NumElements(ins[0])
	b, err := NumElements(n.Attrs.Shape)
	if err != nil || a != b || len(n.Attrs.Shape) == 0 {
		return nil, errNode(n, "cannot reshape %v to %v", ins[0], n.Attrs.Shape)
	}
	return cloneInts(n.Attrs.Shape), nil
}

func inferUnary(n *Node, ins [][]int) ([]int, error) { return cloneInts(ins[0]), nil }

func inferConv(n *Node, ins [][]int) ([]int, error) {
	x := ins[0]
	c, h, iw, ok := conv1DPlane(x)
	if !ok {
		return nil, errNode(n, "input shape %v, want [C,H,W] or [C,L]", x)
	}
	w := n.Weight
	if w == nil || len(w.Shape) != len(x)+1 {
		return nil, errNode(n, "weight must be [M, C/group, kH, kW] ([M, C/group, k] for a [C,L] input)")
	}
	g := n.Attrs.group()
	if c%g != 0 || w.Shape[0]%g != 0 || w.Shape[1]*g != c {
		return nil, errNode(n, "input has %d channels, weight %v with group %d", c, w.Shape, g)
	}
	if n.Bias != nil && n.Bias.Len() != w.Shape[0] {
		return nil, errNode(n, "bias has %d elements, want %d", n.Bias.Len(), w.Shape[0])
	}
	dil := n.Attrs.Dilations
	if dil == nil {
		dil = []int{1, 1}
	}
	kh, kw := conv1DKernel(w)
	oh, ow, err := window(n, h, iw, kh, kw, dil)
	if err != nil {
		return nil, err
	}
	return conv1DOut(x, w.Shape[0], oh, ow), nil
}

// window computes the output height and width of a sliding window op.
func window(n *Node, h, w, kh, kw int, dil []int) (int, int, error) {
	s := n.Attrs.Strides
	if s == nil {
		s = []int{1, 1}
	}
	p := n.Attrs.Pads
	if p == nil {
		p = []int{0, 0, 0, 0}
	}
	if len(s) != 2 || len(p) != 4 || len(dil) != 2 || s[0] < 1 || s[1] < 1 || dil[0] < 1 || dil[1] < 1 || kh < 1 || kw < 1 {
		return 0, 0, errNode(n, "bad window attributes: strides %v pads %v dilations %v kernel %dx%d", s, p, dil, kh, kw)
	}
	for _, v := range p {
		if v < 0 {
			return 0, 0, errNode(n, "negative padding %v", p)
		}
	}
	ekh, ekw := (kh-1)*dil[0]+1, (kw-1)*dil[1]+1
	oh := (h+p[0]+p[2]-ekh)/s[0] + 1
	ow := (w+p[1]+p[3]-ekw)/s[1] + 1
	if h+p[0]+p[2] < ekh || w+p[1]+p[3] < ekw {
		return 0, 0, errNode(n, "window %dx%d larger than padded input %dx%d", ekh, ekw, h+p[0]+p[2], w+p[1]+p[3])
	}
	return oh, ow, nil
}

// ConvGeometry returns the effective strides, pads and dilations of a Conv or pooling node with
// defaults applied: strides [1,1], pads [0,0,0,0], dilations [1,1].
func (n *Node) ConvGeometry() (strides, pads, dilations []int) {
	strides, pads, dilations = n.Attrs.Strides, n.Attrs.Pads, n.Attrs.Dilations
	if strides == nil {
		strides = []int{1, 1}
	}
	if pads == nil {
		pads = []int{0, 0, 0, 0}
	}
	if dilations == nil {
		dilations = []int{1, 1}
	}
	return
}

// Groups returns the Conv group count (1 when unset).
func (n *Node) Groups() int { return n.Attrs.group() }
