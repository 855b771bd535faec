package model

import (
	"fmt"
)

// Op names an IR operator.
type Op string

// The IR operators. Shapes in the comments are per sample (no batch dimension).
const (
	// OpConv is a 2D convolution. Input [C,H,W]; Weight [M, C/Group, kH, kW]; Bias [M] or nil;
	// output [M,oH,oW]. Attrs: Strides, Pads, Dilations, Group. A 1D convolution has input [C,L],
	// Weight [M, C/Group, k] and output [M,oL]; its attributes keep the 2D form with a unit first
	// axis (Strides [1,s], Pads [0,begin,0,end], Dilations [1,d]).
	OpConv Op = "Conv"
	// OpDense is y = W·x + b. The input is read as a flat vector of K elements whatever its
	// shape; Weight [N, K]; Bias [N] or nil; output [N].
	OpDense Op = "Dense"
	// OpRelu is max(x, 0), elementwise.
	OpRelu Op = "Relu"
	// OpMaxPool and OpAvgPool pool 2D windows. Input [C,H,W]. Attrs: Kernel, Strides, Pads.
	// OpAvgPool divides by the number of in-bounds elements (ONNX count_include_pad=0). 1D pools
	// take [C,L] with Kernel [1,k], Strides [1,s], Pads [0,begin,0,end].
	OpMaxPool Op = "MaxPool"
	OpAvgPool Op = "AveragePool"
	// OpAdd adds elementwise with numpy broadcasting over per-sample shapes (aligned to the
	// right); either operand may be a graph constant. Two activations must have the same rank.
	OpAdd Op = "Add"
	// OpSoftmax normalises the last axis.
	OpSoftmax Op = "Softmax"
	// OpReshape reinterprets the input as Attrs.Shape; the data is unchanged.
	OpReshape Op = "Reshape"

	// Operators registered by their own files (see RegisterOp). Semantics follow ONNX unless
	// the comment says otherwise; axes are per sample.
	OpClip       Op = "Clip"      // min(max(x, Attrs.Min), Attrs.Max); Relu6 is Clip 0..6
	OpLeakyRelu  Op = "LeakyRelu" // x < 0 ? Attrs.Alpha·x : x
	OpSigmoid    Op = "Sigmoid"
	OpTanh       Op = "Tanh"
	OpHardSwish  Op = "HardSwish"
	OpSub        Op = "Sub"        // broadcasting, numpy rules, operands may be constants
	OpMul        Op = "Mul"        // broadcasting
	OpConcat     Op = "Concat"     // along Attrs.Axis
	OpPad        Op = "Pad"        // constant padding, Attrs.Pads (begins then ends), Attrs.Value
	OpTranspose  Op = "Transpose"  // Attrs.Perm over per-sample axes
	OpGather     Op = "Gather"     // constant Attrs.Indices along Attrs.Axis
	OpSlice      Op = "Slice"      // Attrs.Starts, Ends, Axes, Steps
	OpMean       Op = "Mean"       // mean over Attrs.Axes (none: all); removed, or kept as 1 when Attrs.Shape is the kept shape
	OpRNN        Op = "RNN"        // forward simple RNN; see Node.Weight, Recurrent, Bias
	OpLSTM       Op = "LSTM"       // forward LSTM, ONNX gate order i, o, f, c
	OpGRU        Op = "GRU"        // forward GRU, ONNX gate order z, r, h
	OpQuantize   Op = "Quantize"   // float32 -> int8 with Attrs.Quant
	OpDequantize Op = "Dequantize" // int8 (input's ValueQuant) -> float32
)

// Attrs holds operator attributes. Unused fields are zero. Axes count per-sample dimensions
// (axis 0 is the first dimension after the batch).
type Attrs struct {
	Kernel    []int `json:",omitempty"` // pooling window [kH, kW]
	Strides   []int `json:",omitempty"` // [sH, sW]
	Pads      []int `json:",omitempty"` // [top, left, bottom, right], ONNX order; Pad: begins then ends per axis
	Dilations []int `json:",omitempty"` // [dH, dW]
	Group     int   `json:",omitempty"` // Conv groups; 0 means 1
	Shape     []int `json:",omitempty"` // Reshape target, per sample

	Axis    int     `json:",omitempty"` // Concat, Gather, Softmax (when not the last axis)
	Axes    []int   `json:",omitempty"` // Mean, Slice
	Perm    []int   `json:",omitempty"` // Transpose, per-sample permutation
	Starts  []int   `json:",omitempty"` // Slice
	Ends    []int   `json:",omitempty"` // Slice
	Steps   []int   `json:",omitempty"` // Slice
	Indices []int   `json:",omitempty"` // Gather with constant indices
	Alpha   float32 `json:",omitempty"` // LeakyRelu slope; HardSigmoid alpha
	Beta    float32 `json:",omitempty"` // HardSigmoid beta
	Min     float32 `json:",omitempty"` // Clip lower bound
	Max     float32 `json:",omitempty"` // Clip upper bound
	Value   float32 `json:",omitempty"` // Pad constant
	Hidden  int     `json:",omitempty"` // RNN, LSTM, GRU hidden size
	// Sequence makes a recurrent node output every step [T, H] instead of the last hidden
	// state [H].
	Sequence bool `json:",omitempty"`
	// LinearBeforeReset is ONNX GRU's linear_before_reset (PyTorch's GRU sets it).
	LinearBeforeReset bool `json:",omitempty"`
	// CellClip (LSTM, TFLite's cell_clip) limits the cell state to [−CellClip, CellClip] after
	// every update, before h = o ⊙ tanh(c) and the next step use it. 0 means no clipping.
	CellClip float32 `json:",omitempty"`
	// GateClip (LSTM, ONNX's clip as ONNX Runtime computes it) limits every gate
	// pre-activation (the inputs of σ and of the candidate's tanh) to [−GateClip, GateClip];
	// the cell state is not clipped. 0 means no clipping.
	GateClip    float32  `json:",omitempty"`
	Activations []string `json:",omitempty"` // recurrent activation functions, ONNX names
	// Quant holds the output's quantization when a node computes in int8 (see quant.go).
	Quant *QuantParams `json:",omitempty"`
	// FloatRequant makes an int8 node requantize as ONNX's reference does (real scale in
	// floating point, rounding half to even) instead of with TFLite's fixed-point multiplier
	// (see int8_onnx.go). Nodes imported from ONNX QLinear*/QuantizeLinear set it.
	FloatRequant bool `json:",omitempty"`
}

// Node is one operator application. Inputs and Outputs name graph values (activations or
// constants). Learned parameters live on the node itself, so pruning and code generation find
// them without a lookup.
type Node struct {
	Name    string
	Op      Op
	Inputs  []string
	Outputs []string
	// Weight is the layer's main weight: Conv [M, C/group, kH, kW], Dense [N, K], recurrent
	// input weights W [gates*H, I].
	Weight *Tensor `json:",omitempty"`
	// Bias is Conv/Dense [M]; recurrent: the ONNX B, [2*gates*H] (input then recurrence bias).
	Bias *Tensor `json:",omitempty"`
	// Recurrent is the recurrence weight R [gates*H, H] of RNN, LSTM and GRU nodes.
	Recurrent *Tensor `json:",omitempty"`
	// InitialH and InitialC are a recurrent node's initial hidden and cell state [H]; nil is 0.
	InitialH *Tensor `json:",omitempty"`
	InitialC *Tensor `json:",omitempty"`
	// QWeight is the int8 form of Weight with its quantization, for nodes that compute in int8;
	// QBias is the matching int32 bias (scale = input scale × weight scale).
	QWeight *QTensor `json:",omitempty"`
	QBias   []int32  `json:",omitempty"`
	// RecurrentQuant holds the int8 recurrence weights and cell format of an int8 RNN, LSTM or
	// GRU node (see int8_rnn.go).
	RecurrentQuant *RecurrentQuant `json:",omitempty"`
	Attrs          Attrs
}

// Const is a named constant value, such as the second operand of a broadcasting Mul. Its
// tensor has no batch dimension.
type Const struct {
	Name   string
	Tensor *Tensor
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
	Consts  []Const `json:",omitempty"`
	// Quant gives the quantization of graph values computed in int8, by value name.
	Quant  []ValueQuant     `json:",omitempty"`
	Shapes map[string][]int `json:"-"`
}

// Clone returns a deep copy of the graph, including weights.
func (g *Graph) Clone() *Graph {
	c := &Graph{Name: g.Name}
	c.Inputs = cloneValues(g.Inputs)
	c.Outputs = cloneValues(g.Outputs)
	for _, n := range g.Nodes {
		c.Nodes = append(c.Nodes, n.Clone())
	}
	for _, k := range g.Consts {
		c.Consts = append(c.Consts, Const{Name: k.Name, Tensor: k.Tensor.Clone()})
	}
	for _, q := range g.Quant {
		c.Quant = append(c.Quant, ValueQuant{Name: q.Name, Params: q.Params.Clone()})
	}
	if g.Shapes != nil {
		c.Shapes = make(map[string][]int, len(g.Shapes))
		for k, v := range g.Shapes {
			c.Shapes[k] = cloneInts(v)
		}
	}
	return c
}

// Clone returns a deep copy of the node.
func (n *Node) Clone() *Node {
	m := *n
	m.Inputs = append([]string(nil), n.Inputs...)
	m.Outputs = append([]string(nil), n.Outputs...)
	m.Weight, m.Bias, m.Recurrent = n.Weight.Clone(), n.Bias.Clone(), n.Recurrent.Clone()
	m.InitialH, m.InitialC = n.InitialH.Clone(), n.InitialC.Clone()
	m.QWeight = n.QWeight.Clone()
	m.RecurrentQuant = n.RecurrentQuant.Clone()
	if n.QBias != nil {
		m.QBias = append([]int32(nil), n.QBias...)
	}
	a := n.Attrs
	m.Attrs = a
	for _, p := range []*[]int{&m.Attrs.Kernel, &m.Attrs.Strides, &m.Attrs.Pads, &m.Attrs.Dilations, &m.Attrs.Shape,
		&m.Attrs.Axes, &m.Attrs.Perm, &m.Attrs.Starts, &m.Attrs.Ends, &m.Attrs.Steps, &m.Attrs.Indices} {
		*p = cloneInts(*p)
	}
	if a.Activations != nil {
		m.Attrs.Activations = append([]string(nil), a.Activations...)
	}
	m.Attrs.Quant = a.Quant.Clone()
	return &m
}

// constMap returns the graph's constants by name.
func (g *Graph) constMap() map[string]*Tensor {
	if len(g.Consts) == 0 {
		return nil
	}
	m := make(map[string]*Tensor, len(g.Consts))
	for _, c := range g.Consts {
		m[c.Name] = c.Tensor
	}
	return m
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

// NumParams returns the number of learned parameters in the graph: the elements of every
// node's Weight, Recurrent and Bias. Initial states, constants and int8 copies are not counted.
func (g *Graph) NumParams() int {
	p := 0
	for _, n := range g.Nodes {
		for _, t := range []*Tensor{n.Weight, n.Recurrent, n.Bias} {
			if t != nil {
				p += t.Len()
			}
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
