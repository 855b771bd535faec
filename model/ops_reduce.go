package model

import "slices"

// OpMean: the mean over some per-sample axes (ONNX ReduceMean, GlobalAveragePool).
//
// Attrs.Axes lists the reduced axes (empty: every per-sample axis). Without Attrs.Shape the
// reduced axes are removed from the output shape (ONNX keepdims=0); with it, Attrs.Shape must be
// the input shape with each reduced axis set to 1 (keepdims=1).

func init() {
	RegisterOp(OpMean, OpKernel{Inputs: 1, Infer: inferMean, Run: shapeOnActivation(runMean)})
}

// meanAxes returns which per-sample axes of x the node reduces.
func meanAxes(n *Node, x []int) ([]bool, error) {
	red := make([]bool, len(x))
	if len(n.Attrs.Axes) == 0 {
		for i := range red {
			red[i] = true
		}
		return red, nil
	}
	for _, ax := range n.Attrs.Axes {
		if ax < 0 || ax >= len(x) || red[ax] {
			return nil, errNode(n, "axes %v: axis %d is repeated or outside the per-sample rank %d", n.Attrs.Axes, ax, len(x))
		}
		red[ax] = true
	}
	return red, nil
}

func inferMean(n *Node, ins [][]int) ([]int, error) {
	x := ins[0]
	red, err := meanAxes(n, x)
	if err != nil {
		return nil, err
	}
	keep := make([]int, len(x))
	var removed []int
	for i, d := range x {
		keep[i] = d
		if red[i] {
			keep[i] = 1
			continue
		}
		removed = append(removed, d)
	}
	if n.Attrs.Shape == nil {
		if removed == nil {
			removed = []int{}
		}
		return removed, nil
	}
	if !slices.Equal(n.Attrs.Shape, keep) {
		return nil, errNode(n, "shape %v: want %v (the input %v with the reduced axes kept as 1) or none", n.Attrs.Shape, keep, x)
	}
	return keep, nil
}

// runMean sums in float64, in input order, and divides by the number of reduced elements.
func runMean(n *Node, a RunArgs) error {
	in := a.InShape[0]
	red, err := meanAxes(n, in)
	if err != nil {
		return err
	}
	if fastMeanTrailing(a, red) {
		return nil
	}
	// ost[i] is the output stride of input axis i (0 for reduced axes).
	ost := make([]int, len(in))
	count, s := 1, 1
	for i := len(in) - 1; i >= 0; i-- {
		if red[i] {
			count *= in[i]
			continue
		}
		ost[i] = s
		s *= in[i]
	}
	nIn, _ := NumElements(in)
	per := len(a.Y.Data) / a.Batch
	shapeForSamples(a, func(smp int) {
		src, dst := a.Ins[0].Data[smp*nIn:(smp+1)*nIn], a.Y.Data[smp*per:(smp+1)*per]
		acc := make([]float64, per)
		idx := make([]int, len(in))
		o := 0
		for _, v := range src {
			acc[o] += float64(v)
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
		for i, v := range acc {
			dst[i] = float32(v / float64(count))
		}
	})
	return nil
}
