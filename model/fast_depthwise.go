package model

// fastDepthwiseTap is one nonzero weight of a depthwise kernel: its offset from the window's
// top-left corner in the zero-padded input plane and its value.
type fastDepthwiseTap struct {
	off int // (ky·dilation)·(padded plane width) + kx·dilation
	w   float32
}

// runDepthwiseConv computes a convolution whose groups have one input channel each (depthwise,
// with M/C output channels per input channel) directly, without im2col: every output pixel is
// the sum of its kernel's nonzero weights times the input values under them, taken in the
// kernel's row-major order from zero, each product rounded to float32, plus the bias — the order
// the im2col path sums in. Each input plane is first copied into a zero-padded one, so that no
// window needs bounds tests (a padding position adds a zero product, which never changes a sum
// that started from +0). With stride 1 the plane is one vectorised filter (fastTaps); otherwise
// a dense 3×3 kernel with dilation 1 is unrolled, and other kernels loop over their taps.
// Zero (pruned) weights are skipped on every path.
func runDepthwiseConv(n *Node, x, y *Tensor, in, out []int) {
	batch := x.Shape[0]
	c, h, w, _ := conv1DPlane(in)
	m, oh, ow, _ := conv1DPlane(out)
	mult := m / c
	kh, kw := conv1DKernel(n.Weight)
	strides, pads, dil := n.ConvGeometry()
	sy, sx, py, px, dy, dx := strides[0], strides[1], pads[0], pads[1], dil[0], dil[1]
	// The padded plane covers every window: rows [−py, ph−py) and columns [−px, pw−px).
	ph, pw := (oh-1)*sy+(kh-1)*dy+1, (ow-1)*sx+(kw-1)*dx+1
	rows, cols := max(0, min(h, ph-py)), max(0, min(w, pw-px)) // input rows and columns that windows reach
	taps := make([][]fastDepthwiseTap, m)
	for oc := range taps {
		for ky := 0; ky < kh; ky++ {
			for kx := 0; kx < kw; kx++ {
				if v := n.Weight.Data[(oc*kh+ky)*kw+kx]; v != 0 {
					taps[oc] = append(taps[oc], fastDepthwiseTap{off: ky*dy*pw + kx*dx, w: v})
				}
			}
		}
	}
	unroll3 := kh == 3 && kw == 3 && dy == 1 && dx == 1
	// With stride 1, output (oy, ox) sits at oy·pw+ox of a plane as wide as the padded one, and
	// every tap reads the padded plane at a fixed offset from there: the whole plane is one
	// vectorised filter over lin positions (the columns past ow are computed and dropped).
	stride1 := sy == 1 && sx == 1
	lin := (oh*pw + 31) / 32 * 32
	offs := make([][]int, m)
	ws := make([][]float32, m)
	for oc, t := range taps {
		for _, tp := range t {
			offs[oc] = append(offs[oc], tp.off)
			ws[oc] = append(ws[oc], tp.w)
		}
	}
	// fill[i] is where input element i of a plane goes in the padded plane (−1: no window
	// reaches it); unpad[o] is where output o sits in the stride-1 filter's result.
	fill := make([]int, h*w)
	for i := range fill {
		iy, ix := i/w, i%w
		fill[i] = -1
		if iy < rows && ix < cols {
			fill[i] = (iy+py)*pw + ix + px
		}
	}
	unpad := make([]int, oh*ow)
	for o := range unpad {
		unpad[o] = o/ow*pw + o%ow
	}
	planes := batch * m
	parallelFor(planes, 1, planes*oh*ow*kh*kw, func(lo, hi int) {
		// The border stays zero: only [py, py+rows)×[px, px+cols) is written. The slack lets
		// the stride-1 filter read past the last window.
		pad := make([]float32, ph*pw+32+pw)
		var acc []float32
		if stride1 {
			acc = make([]float32, lin)
		}
		for pl := lo; pl < hi; pl++ {
			s, oc := pl/m, pl%m
			src := x.Data[(s*c+oc/mult)*h*w : (s*c+oc/mult+1)*h*w]
			fastPadPlane(pad, src, fill)
			dst := y.Data[pl*oh*ow : (pl+1)*oh*ow]
			var b float32
			if n.Bias != nil {
				b = n.Bias.Data[oc]
			}
			t := taps[oc]
			if stride1 {
				fastTaps(acc, pad, offs[oc], ws[oc])
				fastUnpadPlane(dst, acc, unpad, b)
				continue
			}
			if unroll3 && len(t) == 9 {
				fastDepthwise3x3(dst, pad, t, b, oh, ow, pw, sy, sx)
				continue
			}
			for oy := 0; oy < oh; oy++ {
				row := dst[oy*ow : (oy+1)*ow]
				for ox := range row {
					base := oy*sy*pw + ox*sx
					var acc float32
					for _, tp := range t {
						acc += float32(tp.w * pad[base+tp.off])
					}
					row[ox] = acc + b
				}
			}
		}
	})
}

// fastDepthwise3x3 computes one output plane [oh, ow] of a dense 3×3 kernel (taps in row-major
// order, dilation 1) over a zero-padded input plane of row length pw.
func fastDepthwise3x3(dst, pad []float32, t []fastDepthwiseTap, b float32, oh, ow, pw, sy, sx int) {
	t = t[:9]
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := t[0].w, t[1].w, t[2].w, t[3].w, t[4].w, t[5].w, t[6].w, t[7].w, t[8].w
	for oy := 0; oy < oh; oy++ {
		row := dst[oy*ow : (oy+1)*ow]
		base := oy * sy * pw
		for ox := range row {
			i := base + ox*sx
			r0 := pad[i : i+3 : i+3]
			r1 := pad[i+pw : i+pw+3 : i+pw+3]
			r2 := pad[i+2*pw : i+2*pw+3 : i+2*pw+3]
			var acc float32
			acc += float32(w0 * r0[0])
			acc += float32(w1 * r0[1])
			acc += float32(w2 * r0[2])
			acc += float32(w3 * r1[0])
			acc += float32(w4 * r1[1])
			acc += float32(w5 * r1[2])
			acc += float32(w6 * r2[0])
			acc += float32(w7 * r2[1])
			acc += float32(w8 * r2[2])
			row[ox] = acc + b
		}
	}
}

// fastTapsGo sets dst[p] = Σ_t ws[t]·src[p+offs[t]] for every p < len(dst), the taps summed in
// order from zero, each product rounded to float32 before it is added.
func fastTapsGo(dst, src []float32, offs []int, ws []float32) {
	clear(dst)
	for t, w := range ws {
		s := src[offs[t] : offs[t]+len(dst)]
		for p := range dst {
			dst[p] += float32(w * s[p])
		}
	}
}

// fastPadPlane copies each element i of the plane src to pad[fill[i]], skipping those with
// fill[i] < 0.
func fastPadPlane(pad, src []float32, fill []int) {
	fill = fill[:len(src)]
	for i, v := range src {
		if f := fill[i]; f >= 0 {
			pad[f] = v
		}
	}
}

// fastUnpadPlane sets each dst[o] to acc[unpad[o]] + b.
func fastUnpadPlane(dst, acc []float32, unpad []int, b float32) {
	unpad = unpad[:len(dst)]
	for o := range dst {
		dst[o] = acc[unpad[o]] + b
	}
}
