package model

// 1D convolution and pooling reuse the 2D kernels with a height of 1. A 1D Conv or pool node has
// a per-sample input [C, L] and output [M, oL]; a 1D Conv's weight is [M, C/group, k]. The
// window attributes keep their 2D form with a unit first axis: Kernel [1, k], Strides [1, s],
// Pads [0, begin, 0, end], Dilations [1, d].

// conv1DPlane returns the channels, height and width of a Conv or pool input: [C,H,W] as is,
// [C,L] as C×1×L. ok is false for any other rank.
func conv1DPlane(x []int) (c, h, w int, ok bool) {
	switch len(x) {
	case 3:
		return x[0], x[1], x[2], true
	case 2:
		return x[0], 1, x[1], true
	}
	return 0, 0, 0, false
}

// conv1DKernel returns the kernel height and width of a Conv weight [M, C/g, kH, kW] or
// [M, C/g, k] (height 1).
func conv1DKernel(w *Tensor) (kh, kw int) {
	if len(w.Shape) == 3 {
		return 1, w.Shape[2]
	}
	return w.Shape[2], w.Shape[3]
}

// conv1DOut returns the output shape [m, oh, ow], or [m, ow] when the input is 1D.
func conv1DOut(x []int, m, oh, ow int) []int {
	if len(x) == 2 {
		return []int{m, ow}
	}
	return []int{m, oh, ow}
}

// window1DAs2D converts the strides [s], pads [begin, end] and dilations [d] of a 1D window
// operator to the 2D form with a unit first axis.
func window1DAs2D(strides, pads, dil []int) (s2, p2, d2 []int) {
	return []int{1, strides[0]}, []int{0, pads[0], 0, pads[1]}, []int{1, dil[0]}
}

// conv1DOnes returns n ones.
func conv1DOnes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = 1
	}
	return out
}
