package model

// runPointwiseConv computes a 1×1 convolution with stride 1 and no padding as one matrix
// product per sample and group, without im2col: the output [M/g, H·W] of group g is the weight
// rows [M/g, C/g] times the input [C/g, H·W], plus the bias. The weights of each group are
// packed once for all samples; mostly-zero (pruned) weights go through gemm, which skips zeros.
func runPointwiseConv(n *Node, x, y *Tensor, in, out []int) {
	batch := x.Shape[0]
	c, h, w, _ := conv1DPlane(in)
	m, _, _, _ := conv1DPlane(out)
	groups := n.Groups()
	cg, mg := c/groups, m/groups
	pixels := h * w
	packed := make([][]float32, groups) // nil for a group whose weights are sparse
	for g := range packed {
		if !gemmIsSparse(mg, cg, n.Weight.Data[g*mg*cg:], cg) {
			packed[g] = gemmPackA(mg, cg, n.Weight.Data[g*mg*cg:], cg)
		}
	}
	parallelFor(batch*groups, 1, batch*pixels*m*cg, func(lo, hi int) {
		bp := make([]float32, 16*cg)
		for u := lo; u < hi; u++ {
			s, g := u/groups, u%groups
			src := x.Data[(s*c+g*cg)*pixels : (s*c+(g+1)*cg)*pixels]
			dst := y.Data[(s*m+g*mg)*pixels : (s*m+(g+1)*mg)*pixels]
			if packed[g] != nil {
				gemmPacked(mg, pixels, cg, packed[g], src, pixels, dst, pixels, bp)
			} else {
				gemm(mg, pixels, cg, n.Weight.Data[g*mg*cg:], cg, src, pixels, dst, pixels)
			}
			if n.Bias == nil {
				continue
			}
			for i, b := range n.Bias.Data[g*mg : (g+1)*mg] {
				row := dst[i*pixels : (i+1)*pixels]
				for j := range row {
					row[j] += b
				}
			}
		}
	})
}
