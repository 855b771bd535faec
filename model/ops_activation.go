package model

import "math"

// Elementwise activations: Clip (Relu6), LeakyRelu, Sigmoid, Tanh, HardSwish and HardSigmoid.
// Sigmoid and Tanh are computed in float64 and rounded once.

// OpHardSigmoid is max(0, min(1, Attrs.Alpha·x + Attrs.Beta)), elementwise.
const OpHardSigmoid Op = "HardSigmoid"

func init() {
	RegisterOp(OpClip, actKernel(func(n *Node) func(float32) float32 {
		lo, hi := n.Attrs.Min, n.Attrs.Max
		return func(v float32) float32 { return min(max(v, lo), hi) }
	}))
	RegisterOp(OpLeakyRelu, actKernel(func(n *Node) func(float32) float32 {
		alpha := n.Attrs.Alpha
		return func(v float32) float32 {
			if v < 0 {
				return alpha * v
			}
			return v
		}
	}))
	RegisterOp(OpSigmoid, actKernel(func(*Node) func(float32) float32 { return actSigmoid }))
	RegisterOp(OpTanh, actKernel(func(*Node) func(float32) float32 {
		return func(v float32) float32 { return float32(math.Tanh(float64(v))) }
	}))
	RegisterOp(OpHardSwish, actKernel(func(*Node) func(float32) float32 { return actHardSwish }))
	RegisterOp(OpHardSigmoid, actKernel(func(n *Node) func(float32) float32 {
		alpha, beta := n.Attrs.Alpha, n.Attrs.Beta
		return func(v float32) float32 { return max(0, min(1, alpha*v+beta)) }
	}))
}

// actKernel returns the OpKernel of an elementwise activation; fn builds the scalar function
// from the node's attributes.
func actKernel(fn func(n *Node) func(float32) float32) OpKernel {
	return OpKernel{Inputs: 1, Infer: inferUnary, InPlace: true, Run: func(n *Node, a RunArgs) error {
		if a.IsConst[0] {
			return errNode(n, "the input is a constant")
		}
		f := fn(n)
		x, y := a.Ins[0].Data, a.Y.Data
		parallelFor(len(x), 1, 8*len(x), func(lo, hi int) {
			for i, v := range x[lo:hi] {
				y[lo+i] = f(v)
			}
		})
		return nil
	}}
}

// actSigmoid is 1 / (1 + e^−v).
func actSigmoid(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)))) }

// actHardSwish is v · min(max(v + 3, 0), 6) / 6.
func actHardSwish(v float32) float32 { return v * min(max(v+3, 0), 6) / 6 }
