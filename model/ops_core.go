package model

// The operators every importer produces: convolution, dense, ReLU, pooling, Add, Softmax and
// Reshape.
func init() {
	RegisterOp(OpConv, OpKernel{Inputs: 1, Infer: inferConv, Run: func(n *Node, a RunArgs) error {
		runConv(n, a.Ins[0], a.Y, a.InShape[0], a.Out)
		return nil
	}})
	RegisterOp(OpDense, OpKernel{Inputs: 1, Infer: inferDense, Run: func(n *Node, a RunArgs) error {
		runDense(n, a.Ins[0], a.Y)
		return nil
	}})
	RegisterOp(OpRelu, OpKernel{Inputs: 1, Infer: inferUnary, InPlace: true, Run: func(n *Node, a RunArgs) error {
		x, y := a.Ins[0], a.Y
		parallelFor(len(x.Data), 1, len(x.Data), func(lo, hi int) {
			src, dst := x.Data[lo:hi], y.Data[lo:hi]
			for i, v := range src {
				dst[i] = max(v, 0)
			}
		})
		return nil
	}})
	pool := OpKernel{Inputs: 1, Infer: inferPool, Run: func(n *Node, a RunArgs) error {
		runPool(n, a.Ins[0], a.Y, a.InShape[0], a.Out)
		return nil
	}}
	RegisterOp(OpMaxPool, pool)
	RegisterOp(OpAvgPool, pool)
	RegisterOp(OpAdd, elemBinaryKernel(elemAdd)) // broadcasting, see ops_elementwise.go
	RegisterOp(OpSoftmax, OpKernel{Inputs: 1, Infer: inferUnary, Run: func(n *Node, a RunArgs) error {
		runSoftmax(a.Ins[0], a.Y, a.InShape[0][len(a.InShape[0])-1])
		return nil
	}})
	RegisterOp(OpReshape, OpKernel{Inputs: 1, Infer: inferReshape, InPlace: true, Run: func(n *Node, a RunArgs) error {
		copy(a.Y.Data, a.Ins[0].Data)
		return nil
	}})
}
