package model

import (
	"fmt"
	"sort"
)

// OpKernel is what the IR knows about one operator: how many inputs it takes, how its output
// shape follows from its inputs, and how the float32 interpreter computes it. Each operator
// registers its OpKernel once, from an init function in the file that implements it, so that
// operators can be added without touching a central switch.
type OpKernel struct {
	// Inputs is the number of inputs; -1 means any number >= 1 (Concat).
	Inputs int
	// Infer returns the per-sample output shape from the per-sample input shapes.
	Infer func(n *Node, ins [][]int) ([]int, error)
	// Run computes y (already allocated with shape [batch, out...]) from the inputs (each
	// [batch, ...], or a constant's per-sample shape with no batch dimension when IsConst).
	Run func(n *Node, x RunArgs) error
	// InPlace says the float32 Run may be handed an output tensor that is its first input
	// (elementwise kernels that read x[i] before writing y[i]); the interpreter then reuses a
	// dead input's memory instead of allocating a cold buffer.
	InPlace bool
}

// RunArgs is what a kernel gets to run one node on a batch.
type RunArgs struct {
	Batch   int
	Ins     []*Tensor // the input tensors, in node order
	InShape [][]int   // per-sample shape of each input
	IsConst []bool    // whether input i is a graph constant (its tensor then has no batch dimension)
	Out     []int     // per-sample output shape
	Y       *Tensor   // the output, [batch, out...], zeroed
	// InQuant[i] is the quantization of input i when it holds int8 values (Graph.Quant), else nil.
	InQuant []*QuantParams
}

var kernels = map[Op]OpKernel{}

// Int8Kernel computes a node whose output is quantized (Attrs.Quant set): inputs and output hold
// int8 values stored exactly in float32 tensors, with the arithmetic of TFLite's reference
// kernels.
type Int8Kernel func(n *Node, a RunArgs) error

var int8Kernels = map[Op]Int8Kernel{}

// RegisterInt8 adds the int8 kernel of an operator. It panics on a duplicate.
func RegisterInt8(op Op, k Int8Kernel) {
	if _, dup := int8Kernels[op]; dup {
		panic(fmt.Sprintf("model: int8 kernel of %s registered twice", op))
	}
	int8Kernels[op] = k
}

// RegisterOp adds an operator to the IR. It panics on a duplicate, which is a programming error.
func RegisterOp(op Op, k OpKernel) {
	if _, dup := kernels[op]; dup {
		panic(fmt.Sprintf("model: operator %s registered twice", op))
	}
	kernels[op] = k
}

// KnownOps returns the registered operators, sorted.
func KnownOps() []Op {
	ops := make([]Op, 0, len(kernels))
	for op := range kernels {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i] < ops[j] })
	return ops
}

// kernelOf returns the operator's kernel or an error naming the node.
func kernelOf(n *Node) (OpKernel, error) {
	k, ok := kernels[n.Op]
	if !ok {
		return OpKernel{}, errNode(n, "unknown IR operator")
	}
	return k, nil
}
