package codegen

import "github.com/tcdse/tcdse/model"

// 1D convolution and pooling (temporal convolutional networks: dilated causal Conv1d, strides,
// padding, groups and depthwise). The IR keeps a 1D window node in 2D form with a unit first
// axis (model/ops_conv1d.go): per-sample input [C, L] and output [M, oL], Conv weight
// [M, C/group, k], and Kernel [1, k], Strides [1, s], Pads [0, begin, 0, end], Dilations [1, d].
// Code generation therefore runs such a node on the 2D kernels as a plane of height 1: the layer
// sees its input as [C, 1, L], its output as [M, 1, oL] and its weight as [M, C/group, 1, k].
// The weight data keep their order ([M, C/g, k] and [M, C/g, 1, k] are the same row-major
// array), so every weight format (dense panels, CSR, relative CSR, float or int8) applies
// unchanged: a sparse column (ci·kh + ky)·kw + kx with kh = 1 is ci·k + kx. The float and int8
// kernels then compute exactly what the interpreter's 1D path computes, which also runs its 2D
// kernels with height 1.

// conv1DAs2D rewrites a 1D Conv, MaxPool or AvgPool layer to its height-1 2D form: the layer's
// input and output shapes gain a unit height and its node becomes a shallow copy whose Weight
// and QWeight are [M, C/group, 1, k] views of the same data. The graph and the layer's
// LayerPlan (OutShape stays [M, oL]) are not changed. Any other layer is left as it is.
func conv1DAs2D(ls *layerState) {
	n := ls.node
	switch n.Op {
	case model.OpConv, model.OpMaxPool, model.OpAvgPool:
	default:
		return
	}
	if len(ls.inShape) != 2 || len(ls.outShape) != 2 {
		return
	}
	ls.inShape = []int{ls.inShape[0], 1, ls.inShape[1]}
	ls.outShape = []int{ls.outShape[0], 1, ls.outShape[1]}
	if n.Op != model.OpConv {
		return
	}
	cp := *n
	if w := n.Weight; w != nil && len(w.Shape) == 3 {
		cp.Weight = &model.Tensor{Shape: conv1DWeightShape(w.Shape), Data: w.Data}
	}
	if w := n.QWeight; w != nil && len(w.Shape) == 3 {
		cp.QWeight = &model.QTensor{Shape: conv1DWeightShape(w.Shape), Data: w.Data, Quant: w.Quant}
	}
	ls.node = &cp
}

// conv1DWeightShape returns [M, C/g, 1, k] for a 1D Conv weight shape [M, C/g, k].
func conv1DWeightShape(s []int) []int { return []int{s[0], s[1], 1, s[2]} }
