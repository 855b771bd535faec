package model

// The direct convolution paths for machines with AVX-512 (fast_avx512_amd64.go) or AVX2
// (fast_avx2_amd64.go): a depthwise kernel that reads the unpadded input planes through lane
// masks, and a matrix product of 8×32 blocks that reads its right-hand side in place (the input
// itself for 1×1 convolutions, a per-sample im2col matrix otherwise). Both add the bias and,
// when the interpreter fuses a following Relu into the convolution, clamp at zero as they
// store. They sum every output in the order of the im2col path (weights in (channel, ky, kx)
// order from zero, each product rounded, then the bias), so their results are the same bits as
// runConv's.

// fastIm2colMaxFloats bounds the per-sample im2col matrix of fastConvDirect (floats).
const fastIm2colMaxFloats = 1 << 18

// fastIm2colMinRows is the fewest output channels per group for which fastConvDirect gathers an
// im2col matrix: with fewer, the gather costs more than the product gains over runConv's
// implicit path (LeNet's 6 and 16 channels run faster there).
const fastIm2colMinRows = 32

// fastConvDirectApplies reports whether fastConvDirect computes the convolution n of a
// per-sample input shape in into out: on machines with AVX-512 or AVX2, a depthwise convolution
// with stride 1 whose output rows are as wide as its input rows, or a convolution of dense
// weights (sparse ones keep runConv's zero-skipping paths) that is 1×1 or has at least
// fastIm2colMinRows output channels per group and a small per-sample im2col matrix.
func fastConvDirectApplies(n *Node, in, out []int) bool {
	return fastDirectMachine() && fastConvDirectFits(n, in, out)
}

// fastConvDirectFits is fastConvDirectApplies without the machine check: whether the direct
// paths can compute the convolution at all.
func fastConvDirectFits(n *Node, in, out []int) bool {
	if n.Weight == nil || len(n.Weight.Shape) < 3 {
		return false
	}
	c, h, w, ok1 := conv1DPlane(in)
	m, oh, ow, ok2 := conv1DPlane(out)
	strides, pads, dil := n.ConvGeometry()
	groups := n.Groups()
	if !ok1 || !ok2 || len(strides) != 2 || len(pads) != 4 || len(dil) != 2 || groups < 1 ||
		c%groups != 0 || m%groups != 0 || h*w <= 0 || oh*ow <= 0 {
		return false
	}
	cg, mg := c/groups, m/groups
	kh, kw := conv1DKernel(n.Weight)
	if n.Weight.Shape[0] != m || n.Weight.Shape[1] != cg || len(n.Weight.Data) != m*cg*kh*kw ||
		(n.Bias != nil && len(n.Bias.Data) != m) {
		return false
	}
	if cg == 1 && mg < 4 && kh*kw > 1 { // runConv's depthwise case
		return strides[0] == 1 && strides[1] == 1 && ow == w && oh <= h+pads[0]+pads[2]
	}
	k := cg * kh * kw
	if !fastIsPointwise(kh, kw, strides, pads, h, w, oh, ow) && (mg < fastIm2colMinRows || k*oh*ow > fastIm2colMaxFloats) {
		return false
	}
	for g := 0; g < groups; g++ {
		if gemmIsSparse(mg, k, n.Weight.Data[g*mg*k:], k) {
			return false
		}
	}
	return true
}

// fastIsPointwise reports whether a convolution is 1×1 with stride 1 and no padding.
func fastIsPointwise(kh, kw int, strides, pads []int, h, w, oh, ow int) bool {
	return kh == 1 && kw == 1 && strides[0] == 1 && strides[1] == 1 && pads[0] == 0 && pads[1] == 0 &&
		oh == h && ow == w
}

// fastConvDirect computes the convolution n of x into y (every element of y is written), then
// max(·, 0) when relu is set, for a node that fastConvDirectApplies accepted and checkParams
// passed.
func fastConvDirect(n *Node, x, y *Tensor, in, out []int, relu bool) {
	c, _, _, _ := conv1DPlane(in)
	m, _, _, _ := conv1DPlane(out)
	if c/n.Groups() == 1 && m/n.Groups() < 4 {
		kh, kw := conv1DKernel(n.Weight)
		if kh*kw > 1 {
			fastDepthwiseConv(n, x, y, in, out, relu)
			return
		}
	}
	fastGemmConv(n, x, y, in, out, relu)
}

// fastDepthwisePlan is how fastDepthwisePlane computes one output plane of a depthwise
// convolution with stride 1 and output rows as wide as the input's: output p = oy·w+ox reads
// input p+offs[t] for tap t wherever that lies inside the input (elsewhere the padding adds a
// zero product, which never changes a sum that started from +0).
type fastDepthwisePlan struct {
	offs   []int    // per tap (ky, kx), row-major: the input offset from the output position
	masks  []uint16 // [groups][taps][8]: lane i of vector v reads the input where bit i is set
	store  []uint16 // [groups][8]: lane i of vector v is an output where bit i is set
	groups int      // blocks of 128 outputs
	outLen int      // outputs per plane

	// The same masks for the AVX2 kernel, one int32 per lane (−1 in, 0 out), by blocks of 64
	// outputs: masks8 [groups8][taps][64], store8 [groups8][64]; built only when that kernel runs.
	masks8, store8 []int32
	groups8        int
}

// newFastDepthwisePlan plans a kh×kw kernel with dilations (dy, dx) and top/left padding
// (py, px) over [h, w] input planes and [oh, w] output planes.
func newFastDepthwisePlan(h, w, oh, kh, kw, dy, dx, py, px int) *fastDepthwisePlan {
	p := &fastDepthwisePlan{outLen: oh * w}
	p.groups = (p.outLen + 127) / 128
	taps := kh * kw
	for t := 0; t < taps; t++ {
		ky, kx := t/kw, t%kw
		p.offs = append(p.offs, (ky*dy-py)*w+kx*dx-px)
	}
	p.masks = make([]uint16, p.groups*taps*8)
	p.store = make([]uint16, p.groups*8)
	avx2 := fastDirectMachine() && !fastHaveAVX512
	if avx2 {
		p.groups8 = (p.outLen + 63) / 64
		p.masks8 = make([]int32, p.groups8*taps*64)
		p.store8 = make([]int32, p.groups8*64)
	}
	for o := 0; o < p.outLen; o++ {
		g, v, lane := o/128, o%128/16, uint(o%16)
		p.store[g*8+v] |= 1 << lane
		if avx2 {
			p.store8[o] = -1
		}
		oy, ox := o/w, o%w
		for t := 0; t < taps; t++ {
			iy, ix := oy+t/kw*dy-py, ox+t%kw*dx-px
			if iy >= 0 && iy < h && ix >= 0 && ix < w {
				p.masks[(g*taps+t)*8+v] |= 1 << lane
				if avx2 {
					p.masks8[(o/64*taps+t)*64+o%64] = -1
				}
			}
		}
	}
	return p
}

// fastDepthwiseGo is the portable form of fastDepthwisePlane: y[o] = Σ_t w[t]·x[o+offs[t]] over
// the taps whose mask admits o, in order from zero, each product rounded, plus bias, then
// max(·, 0) when relu.
func fastDepthwiseGo(p *fastDepthwisePlan, x, y, w []float32, bias float32, relu bool) {
	taps := len(p.offs)
	for o := 0; o < p.outLen; o++ {
		g, v, bit := o/128, o%128/16, uint16(1)<<uint(o%16)
		var acc float32
		for t := 0; t < taps && t < len(w); t++ {
			if p.masks[(g*taps+t)*8+v]&bit != 0 {
				acc += float32(w[t] * x[o+p.offs[t]])
			}
		}
		v2 := acc + bias
		if relu {
			v2 = max(v2, 0)
		}
		y[o] = v2
	}
}

// fastDepthwiseConv computes a depthwise convolution (M/C output channels per input channel)
// that fastConvDirectApplies accepted, one output plane at a time.
func fastDepthwiseConv(n *Node, x, y *Tensor, in, out []int, relu bool) {
	batch := x.Shape[0]
	c, h, w, _ := conv1DPlane(in)
	m, oh, _, _ := conv1DPlane(out)
	mult := m / c
	kh, kw := conv1DKernel(n.Weight)
	_, pads, dil := n.ConvGeometry()
	plan := newFastDepthwisePlan(h, w, oh, kh, kw, dil[0], dil[1], pads[0], pads[1])
	taps, plane, outPlane := kh*kw, h*w, plan.outLen
	planes := batch * m
	parallelFor(planes, 1, planes*outPlane*taps, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			s, oc := pl/m, pl%m
			ic := s*c + oc/mult
			var b float32
			if n.Bias != nil {
				b = n.Bias.Data[oc]
			}
			fastDepthwisePlane(plan, x.Data[ic*plane:(ic+1)*plane], y.Data[pl*outPlane:(pl+1)*outPlane],
				n.Weight.Data[oc*taps:(oc+1)*taps], b, relu)
		}
	})
}

// fastGemmConv computes a convolution of dense weights that fastConvDirectApplies accepted as
// one matrix product per sample and group: weights [M/g, C/g·kH·kW] times the input [C/g, H·W]
// itself for 1×1 convolutions, else times the sample's im2col matrix, gathered through a table
// of input offsets made once per call.
func fastGemmConv(n *Node, x, y *Tensor, in, out []int, relu bool) {
	batch := x.Shape[0]
	c, h, w, _ := conv1DPlane(in)
	m, oh, ow, _ := conv1DPlane(out)
	groups := n.Groups()
	cg, mg := c/groups, m/groups
	kh, kw := conv1DKernel(n.Weight)
	k := cg * kh * kw
	pixels := oh * ow
	strides, pads, dil := n.ConvGeometry()
	var gather []int32 // per im2col element, its offset in the group's input channels, or −1
	if !fastIsPointwise(kh, kw, strides, pads, h, w, oh, ow) {
		gather = make([]int32, k*pixels)
		for l := 0; l < k; l++ {
			ch, ky, kx := l/(kh*kw), l/kw%kh, l%kw
			for p := 0; p < pixels; p++ {
				iy := p/ow*strides[0] - pads[0] + ky*dil[0]
				ix := p%ow*strides[1] - pads[1] + kx*dil[1]
				gather[l*pixels+p] = -1
				if iy >= 0 && iy < h && ix >= 0 && ix < w {
					gather[l*pixels+p] = int32((ch*h+iy)*w + ix)
				}
			}
		}
	}
	// The weights of each group, packed by blocks of 8 rows ([k][8], zero rows past mg), and the
	// bias by the same blocks.
	blocks := (mg + 7) / 8
	packed := make([]float32, groups*blocks*8*k)
	bias := make([]float32, groups*blocks*8)
	for g := 0; g < groups; g++ {
		for r := 0; r < mg; r++ {
			blk := packed[(g*blocks+r/8)*8*k:]
			for l, v := range n.Weight.Data[(g*mg+r)*k : (g*mg+r+1)*k] {
				blk[l*8+r%8] = v
			}
			if n.Bias != nil {
				bias[g*blocks*8+r] = n.Bias.Data[g*mg+r]
			}
		}
	}
	parallelFor(batch*groups, 1, batch*pixels*m*k, func(lo, hi int) {
		var cols []float32
		if gather != nil {
			cols = make([]float32, k*pixels)
		}
		var tmp [8 * 32]float32 // a block past the last full 8 rows
		for u := lo; u < hi; u++ {
			s, g := u/groups, u%groups
			src := x.Data[(s*c+g*cg)*h*w : (s*c+(g+1)*cg)*h*w]
			if gather != nil {
				for i, off := range gather {
					if off >= 0 {
						cols[i] = src[off]
					} else {
						cols[i] = 0
					}
				}
				src = cols
			}
			dst := y.Data[(s*m+g*mg)*pixels : (s*m+(g+1)*mg)*pixels]
			for j := 0; j < pixels; j += 32 {
				nj := min(32, pixels-j)
				for i := 0; i < mg; i += 8 {
					a := packed[(g*blocks+i/8)*8*k : (g*blocks+i/8+1)*8*k]
					bb := bias[g*blocks*8+i : g*blocks*8+i+8]
					if i+8 <= mg {
						fastGemm8x32(k, nj, a, src[j:], pixels, dst[i*pixels+j:], pixels, bb, relu)
						continue
					}
					fastGemm8x32(k, nj, a, src[j:], pixels, tmp[:], 32, bb, relu)
					for r := 0; r < mg-i; r++ {
						copy(dst[(i+r)*pixels+j:(i+r)*pixels+j+nj], tmp[r*32:r*32+nj])
					}
				}
			}
		}
	})
}

// fastLaneMasks returns the masks of columns [0, nj) of a 32-column block (1 ≤ nj ≤ 32) as two
// 16-lane halves.
func fastLaneMasks(nj int) (lo, hi int) {
	return 1<<min(nj, 16) - 1, 1<<max(0, nj-16) - 1
}

// fastGemm8x32Go is the portable form of fastGemm8x32: C[r, j] = Σ_l A[r, l]·B[l, j] over l < k
// in increasing order from zero, each product rounded before it is added, plus bias[r], then
// max(·, 0) when relu, for r < 8 and j < nj; A is packed as [k][8].
func fastGemm8x32Go(k, nj int, a, b []float32, ldb int, c []float32, ldc int, bias []float32, relu bool) {
	for r := 0; r < 8; r++ {
		for j := 0; j < nj; j++ {
			var acc float32
			for l := 0; l < k; l++ {
				acc += float32(a[l*8+r] * b[l*ldb+j])
			}
			v := acc + bias[r]
			if relu {
				v = max(v, 0)
			}
			c[r*ldc+j] = v
		}
	}
}
