package model

import (
	"fmt"
)

// Op names an IR operator.
type Op string

// The IR operators. Shapes in the comments are per sample (no batch dimension).
const (
	// OpConv is a 2D convolution. Input [C,H,W]; Weight [M, C/Group, kH, kW]; Bias [M] or nil;
	// output [M,oH,oW]. Attrs: Strides, Pads, Dilations, Group.
	OpConv Op = "Conv"
	// OpDense is y = W·x + b. The input is read as a flat vector of K elements whatever its
	// shape; Weight [N, K]; Bias [N] or nil; output [N].
	OpDense Op = "Dense"
	// OpRelu is max(x, 0), elementwise.
	OpRelu Op = "Relu"
	// OpMaxPool and OpAvgPool pool 2D windows. Input [C,H,W]. Attrs: Kernel, Strides, Pads.
	// OpAvgPool divides by the number of in-bounds elements (ONNX count_include_pad=0).
	OpMaxPool Op = "MaxPool"
	OpAvgPool Op = "AveragePool"
	// OpAdd adds two tensors of the same shape elementwise.
	OpAdd Op = "Add"
	// OpSoftmax normalises the last axis.
	OpSoftmax Op = "Softmax"
	// OpReshape reinterprets the input as Attrs.Shape; the data is unchanged.
	OpReshape Op = "Reshape"
)

// Attrs holds operator attributes. Unused fields are zero.
type Attrs struct {
	Kernel    []int `json:",omitempty"` // pooling window [kH, kW]
	Strides   []int `json:",omitempty"` // [sH, sW]
	Pads      []int `json:",omitempty"` // [top, left, bottom, right], ONNX order
	Dilations []int `json:",omitempty"` // [dH, dW]
	Group     int   `json:",omitempty"` // Conv groups; 0 means 1
	Shape     []int `json:",omitempty"` // Reshape target, per sample
}

// Node is one operator application. Inputs and Outputs name graph values (activations).
// Learned parameters live on the node itself, so pruning and code generation find them without
// a lookup.
type Node struct {
	Name    string
	Op      Op
	Inputs  []string
	Outputs []string
	Weight  *Tensor `json:",omitempty"`
	Bias    *Tensor `json:",omitempty"`
	Attrs   Attrs
}

// Value is a named activation with its per-sample shape.
type Value struct {
	Name  string
	Shape []int
}

// Graph is a model: inputs, nodes in topological order, outputs. Shapes maps every value name to
// its per-sample shape; Validate fills it.
type Graph struct {
	Name    string
	Inputs  []Value
	Outputs []Value
	Nodes   []*Node
	Shapes  map[string][]int `json:"-"`
}

// Clone returns a deep copy of the graph, including weights.
func (g *Graph) Clone() *Graph {
	c := &Graph{Name: g.Name}
	c.Inputs = cloneValues(g.Inputs)
	c.Outputs = cloneValues(g.Outputs)
	for _, n := range g.Nodes {
		m := *n
		m.Inputs = append([]string(nil), n.Inputs...)
		m.Outputs = append([]string(nil), n.Outputs...)
		m.Weight = n.Weight.Clone()
		m.Bias = n.Bias.Clone()
		m.Attrs = Attrs{
			Kernel: cloneInts(n.Attrs.Kernel), Strides: cloneInts(n.Attrs.Strides),
			Pads: cloneInts(n.Attrs.Pads), Dilations: cloneInts(n.Attrs.Dilations),
			Group: n.Attrs.Group, Shape: cloneInts(n.Attrs.Shape),
		}
		c.Nodes = append(c.Nodes, &m)
	}
	if g.Shapes != nil {
		c.Shapes = make(map[string][]int, len(g.Shapes))
		for k, v := range g.Shapes {
			c.Shapes[k] = cloneInts(v)
		}
	}
	return c
}

// Node returns the node with the given name, or nil.
func (g *Graph) Node(name string) *Node {
	for _, n := range g.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// PrunableLayers returns the nodes that carry a weight tensor (Conv and Dense), in graph order.
func (g *Graph) PrunableLayers() []*Node {
	var out []*Node
	for _, n := range g.Nodes {
		if n.Weight != nil {
			out = append(out, n)
		}
	}
	return out
}

// NumParams returns the number of weight and bias elements in the graph.
func (g *Graph) NumParams() int {
	p := 0
	for _, n := range g.Nodes {
		if n.Weight != nil {
			p += n.Weight.Len()
		}
		if n.Bias != nil {
			p += n.Bias.Len()
		}
	}
	return p
}

func cloneValues(vs []Value) []Value {
	out := make([]Value, len(vs))
	for i, v := range vs {
		out[i] = Value{Name: v.Name, Shape: cloneInts(v.Shape)}
	}
	return out
}

func cloneInts(s []int) []int {
	if s == nil {
		return nil
	}
	return append([]int(nil), s...)
}

// group returns the effective group count of a Conv node.
func (a Attrs) group() int {
	if a.Group <= 0 {
		return 1
	}
	return a.Group
}

// errNode formats an error that names the node it concerns.
func errNode(n *Node, format string, args ...any) error {
	return fmt.Errorf("node %q (%s): %s", n.Name, n.Op, fmt.Sprintf(format, args...))
}
