package model

import (
	"math"
)

// runDense computes y[b] = W·x[b] + bias for every sample, as the product of the batch [B,K]
// with Wᵀ [K,N]. The work is split into tiles of samples × output neurons.
func runDense(n *Node, x, y *Tensor) {
	batch := x.Shape[0]
	nOut, k := n.Weight.Shape[0], n.Weight.Shape[1]
	wt := make([]float32, k*nOut) // Wᵀ, so that each output row is updated by contiguous AXPYs
	for i := 0; i < nOut; i++ {
		for j, v := range n.Weight.Data[i*k : (i+1)*k] {
			wt[j*nOut+i] = v
		}
	}
	cols := min(nOut, max(16, gemmBlockBytes/(4*max(k, 1))/16*16)) // whole 16-column kernel blocks
	colTiles := (nOut + cols - 1) / cols
	rows := min(batch, 16)
	rowTiles := (batch + rows - 1) / rows
	parallelFor(rowTiles*colTiles, 1, batch*nOut*k, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			r0, c0 := (t/colTiles)*rows, (t%colTiles)*cols
			r1, c1 := min(batch, r0+rows), min(nOut, c0+cols)
			gemm(r1-r0, c1-c0, k, x.Data[r0*k:], k, wt[c0:], nOut, y.Data[r0*nOut+c0:], nOut)
			if n.Bias != nil {
				for r := r0; r < r1; r++ {
					out := y.Data[r*nOut+c0 : r*nOut+c1]
					for i, b := range n.Bias.Data[c0:c1] {
						out[i] += b
					}
				}
			}
		}
	})
}

// runConv computes a 2D convolution (a 1D one as height 1). Depthwise layers (one input
// channel per group, up to 3 output channels each) run directly (runDepthwiseConv), 1×1 layers
// with stride 1 and no padding as one matrix product per sample (runPointwiseConv), and all
// others as an implicit matrix product on a padded copy of the input (runConvImplicit), or, for
// images too large for that, by im2col (runConvIm2col). Every path sums each output over the weights in the same
// order, so the choice does not change the result.
func runConv(n *Node, x, y *Tensor, in, out []int) {
	c, h, w, _ := conv1DPlane(in)
	m, oh, ow, _ := conv1DPlane(out)
	groups := n.Groups()
	cg, mg := c/groups, m/groups
	kh, kw := conv1DKernel(n.Weight)
	strides, pads, _ := n.ConvGeometry()
	switch {
	case cg == 1 && mg < 4 && kh*kw > 1: // a GEMM of 1 to 3 rows per group would waste the kernel
		runDepthwiseConv(n, x, y, in, out)
	case kh == 1 && kw == 1 && strides[0] == 1 && strides[1] == 1 && pads[0] == 0 && pads[1] == 0 &&
		oh == h && ow == w:
		runPointwiseConv(n, x, y, in, out)
	default:
		if !runConvImplicit(n, x, y, in, out) {
			runConvIm2col(n, x, y, in, out)
		}
	}
}

// runConvIm2col computes a convolution by im2col. The output pixels of the whole batch form the
// columns of one long matrix; for a chunk of columns (several small samples, or part of a large
// one) it gathers the input values each weight meets into a patch matrix
// [C/group·kH·kW, columns], multiplies the weight rows of each group [M/group, C/group·kH·kW] by
// it, and scatters the result, plus bias, into the output. Chunks are sized so that the patch
// matrix stays in cache, and depend only on the layer's shape and the batch size.
func runConvIm2col(n *Node, x, y *Tensor, in, out []int) {
	batch := x.Shape[0]
	c, h, w, _ := conv1DPlane(in)
	m, oh, ow, _ := conv1DPlane(out)
	groups := n.Groups()
	cg, mg := c/groups, m/groups
	kh, kw := conv1DKernel(n.Weight)
	k := cg * kh * kw
	pixels := oh * ow
	columns := batch * pixels
	chunk := max(1, min(columns, gemmBlockBytes/(4*max(k, 1))))
	chunks := (columns + chunk - 1) / chunk
	strides, pads, dil := n.ConvGeometry()
	geo := im2colGeometry{c: cg, h: h, w: w, kh: kh, kw: kw, oh: oh, ow: ow,
		sy: strides[0], sx: strides[1], py: pads[0], px: pads[1], dy: dil[0], dx: dil[1]}
	parallelFor(chunks, 1, columns*m*k, func(lo, hi int) {
		patches := make([]float32, chunk*k)
		prod := make([]float32, chunk*mg)
		for u := lo; u < hi; u++ {
			q0 := u * chunk
			q1 := min(columns, q0+chunk)
			nq := q1 - q0
			for g := 0; g < groups; g++ {
				geo.gather(patches[:k*nq], x.Data, c*h*w, g*cg*h*w, q0, q1)
				gemm(mg, nq, k, n.Weight.Data[g*mg*k:], k, patches, nq, prod, nq)
				scatterConv(y.Data, prod[:mg*nq], n.Bias, g*mg, mg, m, pixels, q0, q1)
			}
		}
	})
}

// scatterConv copies the product rows [mg, q1−q0] of output channels [m0, m0+mg) into the output
// [batch, m, pixels], adding the bias.
func scatterConv(y, prod []float32, bias *Tensor, m0, mg, m, pixels, q0, q1 int) {
	nq := q1 - q0
	for i := 0; i < mg; i++ {
		var b float32
		if bias != nil {
			b = bias.Data[m0+i]
		}
		row := prod[i*nq : (i+1)*nq]
		for q := q0; q < q1; {
			s, p := q/pixels, q%pixels
			run := min(pixels-p, q1-q)
			dst := y[(s*m+m0+i)*pixels+p : (s*m+m0+i)*pixels+p+run]
			for j, v := range row[q-q0 : q-q0+run] {
				dst[j] = v + b
			}
			q += run
		}
	}
}

// im2colGeometry describes the windows of one convolution group.
type im2colGeometry struct {
	c, h, w, kh, kw, oh, ow int // input channels (of the group), height, width; kernel; output size
	sy, sx, py, px, dy, dx  int // strides, top/left padding, dilations
}

// gather fills dst, a [c·kh·kw, q1−q0] matrix: row (ch, ky, kx) holds, for each output column q
// in [q0, q1) (sample q/pixels, pixel q%pixels), the input value that weight (ch, ky, kx)
// multiplies. x holds the whole batch, sampleSize floats per sample, and the group's channels
// start at offset off within a sample. Padding reads as zero.
func (g *im2colGeometry) gather(dst, x []float32, sampleSize, off, q0, q1 int) {
	nq := q1 - q0
	pixels := g.oh * g.ow
	r := 0
	for ch := 0; ch < g.c; ch++ {
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				row := dst[r*nq : (r+1)*nq]
				r++
				for q := q0; q < q1; {
					s, p := q/pixels, q%pixels
					oy, ox := p/g.ow, p%g.ow
					seg := row[q-q0 : q-q0+min(g.ow-ox, q1-q)]
					q += len(seg)
					iy := oy*g.sy - g.py + ky*g.dy
					if iy < 0 || iy >= g.h {
						clear(seg)
						continue
					}
					base := s*sampleSize + off + (ch*g.h+iy)*g.w
					line := x[base : base+g.w]
					ix := ox*g.sx - g.px + kx*g.dx
					if g.sx == 1 && ix >= 0 && ix+len(seg) <= g.w {
						copy(seg, line[ix:])
						continue
					}
					for t := range seg {
						if ix >= 0 && ix < g.w {
							seg[t] = line[ix]
						} else {
							seg[t] = 0
						}
						ix += g.sx
					}
				}
			}
		}
	}
}

// runPool computes max or average pooling over 2D windows (1D ones as height 1); padding
// positions are skipped (the average divides by the number of in-bounds elements).
func runPool(n *Node, x, y *Tensor, in, out []int) {
	batch := x.Shape[0]
	c, h, w, _ := conv1DPlane(in)
	_, oh, ow, _ := conv1DPlane(out)
	kh, kw := n.Attrs.Kernel[0], n.Attrs.Kernel[1]
	strides, pads, _ := n.ConvGeometry()
	isMax := n.Op == OpMaxPool
	planes := batch * c
	parallelFor(planes, 1, planes*oh*ow*kh*kw, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			src := x.Data[pl*h*w : (pl+1)*h*w]
			dst := y.Data[pl*oh*ow : (pl+1)*oh*ow]
			for oy := 0; oy < oh; oy++ {
				y0 := oy*strides[0] - pads[0]
				ya, yb := max(y0, 0), min(y0+kh, h)
				for ox := 0; ox < ow; ox++ {
					x0 := ox*strides[1] - pads[1]
					xa, xb := max(x0, 0), min(x0+kw, w)
					if isMax && ya+2 == yb && xa+2 == xb {
						// the common 2×2 window, unrolled
						r0, r1 := src[ya*w+xa:ya*w+xa+2], src[(ya+1)*w+xa:(ya+1)*w+xa+2]
						dst[oy*ow+ox] = max(r0[0], r0[1], r1[0], r1[1])
						continue
					}
					if isMax {
						m := float32(math.Inf(-1))
						for iy := ya; iy < yb; iy++ {
							for _, v := range src[iy*w+xa : iy*w+xb] {
								m = max(m, v)
							}
						}
						dst[oy*ow+ox] = m
						continue
					}
					var s float32
					for iy := ya; iy < yb; iy++ {
						for _, v := range src[iy*w+xa : iy*w+xb] {
							s += v
						}
					}
					if cnt := (yb - ya) * (xb - xa); cnt > 0 {
						s /= float32(cnt)
					}
					dst[oy*ow+ox] = s
				}
			}
		}
	})
}

// runSoftmax normalises every run of last consecutive elements: exp(v − max) / Σ exp(v − max),
// summed in float64.
func runSoftmax(x, y *Tensor, last int) {
	rows := len(x.Data) / last
	parallelFor(rows, 1, len(x.Data)*8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			src, dst := x.Data[r*last:(r+1)*last], y.Data[r*last:(r+1)*last]
			m := src[0]
			for _, v := range src {
				m = max(m, v)
			}
			var sum float64
			for _, v := range src {
				sum += math.Exp(float64(v) - float64(m))
			}
			for i, v := range src {
				dst[i] = float32(math.Exp(float64(v)-float64(m)) / sum)
			}
		}
	})
}
