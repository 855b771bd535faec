package model

// fastConvMaxBytes bounds the per-sample buffers of runConvImplicit (padded input and output).
const fastConvMaxBytes = 4 << 20

// fastConvBlock is one block of 4 output channels of a group for runConvImplicit: the weights
// that are nonzero in at least one of the 4 rows, packed as [len(offs)][4], and where each of
// them reads the zero-padded input of the group.
type fastConvBlock struct {
	a      []float32
	offs   []int
	maxOff int
}

// runConvImplicit computes a convolution as an implicit matrix product, without im2col. Each
// input channel of a group is copied, zero-padded, into sy·sx phase planes of width pw (phase
// (a, b) holds the padded positions (i·sy+a, j·sx+b) at (i, j)); then output (oy, ox) sits at
// p = oy·pw+ox, and the input that weight (ch, ky, kx) multiplies for it is one phase plane at p
// plus a fixed offset, so the patch matrix's rows are slices of the padded input, which the
// kernel reads in place (fastKernel4x16Offs). The columns past ow of each output row are
// computed and dropped. Each output is summed over the weights in (ch, ky, kx) order from zero,
// then the bias is added — the order of the im2col path; weights that are zero in all 4 output
// channels of a block are skipped (pruned models run faster). It reports false, doing nothing,
// when one sample's buffers would exceed fastConvMaxBytes (large images: im2col's chunks suit
// them better).
func runConvImplicit(n *Node, x, y *Tensor, in, out []int) bool {
	batch := x.Shape[0]
	c, h, w, _ := conv1DPlane(in)
	m, oh, ow, _ := conv1DPlane(out)
	groups := n.Groups()
	cg, mg := c/groups, m/groups
	kh, kw := conv1DKernel(n.Weight)
	k := cg * kh * kw
	strides, pads, dil := n.ConvGeometry()
	sy, sx, py, px, dy, dx := strides[0], strides[1], pads[0], pads[1], dil[0], dil[1]
	phases := sy * sx
	ph, pw := oh+(kh-1)*dy/sy, ow+(kw-1)*dx/sx
	plane := ph * pw
	// fill lists where each input element that some window reaches goes: input offset within
	// the group's channel, padded-buffer offset within the channel.
	var fillSrc, fillDst []int
	for iy := 0; iy < h; iy++ {
		a, i := (iy+py)%sy, (iy+py)/sy
		if i >= ph {
			break
		}
		for ix := 0; ix < w; ix++ {
			b, j := (ix+px)%sx, (ix+px)/sx
			if j >= pw {
				break
			}
			fillSrc = append(fillSrc, iy*w+ix)
			fillDst = append(fillDst, (a*sx+b)*plane+i*pw+j)
		}
	}
	tapOff := func(l int) int {
		ch, ky, kx := l/(kh*kw), l/kw%kh, l%kw
		a, qy := ky*dy%sy, ky*dy/sy
		b, qx := kx*dx%sx, kx*dx/sx
		return (ch*phases+a*sx+b)*plane + qy*pw + qx
	}
	lin := (oh*pw + 15) / 16 * 16
	mg4 := (mg + 3) / 4 * 4
	if 4*(cg*phases*plane+mg4*lin) > fastConvMaxBytes {
		return false
	}
	blocks := make([]fastConvBlock, groups*mg4/4)
	for g := 0; g < groups; g++ {
		for i := 0; i < mg4; i += 4 {
			blk := &blocks[g*mg4/4+i/4]
			for l := 0; l < k; l++ {
				nz := false
				for r := i; r < min(i+4, mg); r++ {
					nz = nz || n.Weight.Data[(g*mg+r)*k+l] != 0
				}
				if !nz {
					continue
				}
				blk.offs = append(blk.offs, tapOff(l))
			}
			kb := len(blk.offs)
			blk.a = make([]float32, 4*kb)
			j := 0
			for l := 0; l < k; l++ {
				if j == kb || blk.offs[j] != tapOff(l) {
					continue
				}
				for r := i; r < min(i+4, mg); r++ {
					blk.a[j*4+r-i] = n.Weight.Data[(g*mg+r)*k+l]
				}
				blk.maxOff = max(blk.maxOff, blk.offs[j])
				j++
			}
		}
	}
	parallelFor(batch*groups, 1, batch*oh*ow*m*k, func(lo, hi int) {
		// The borders stay zero: only the input rectangle of each plane is written. The slack
		// lets the last 16-column block read past the last window.
		pad := make([]float32, cg*phases*plane+16+pw)
		acc := make([]float32, mg4*lin)
		for u := lo; u < hi; u++ {
			s, g := u/groups, u%groups
			for ch := 0; ch < cg; ch++ {
				src := x.Data[(s*c+g*cg+ch)*h*w : (s*c+g*cg+ch+1)*h*w]
				dst := pad[ch*phases*plane : (ch+1)*phases*plane]
				for f, si := range fillSrc {
					dst[fillDst[f]] = src[si]
				}
			}
			for i := 0; i < mg4; i += 4 {
				blk := &blocks[g*mg4/4+i/4]
				kb := len(blk.offs)
				for j := 0; j < lin; j += 16 {
					if kb == 0 {
						for r := 0; r < 4; r++ {
							clear(acc[(i+r)*lin+j : (i+r)*lin+j+16])
						}
						continue
					}
					fastKernel4x16Offs(kb, blk.a, pad[j:], blk.offs, blk.maxOff, acc[i*lin+j:], lin)
				}
			}
			for r := 0; r < mg; r++ {
				oc := g*mg + r
				var b float32
				if n.Bias != nil {
					b = n.Bias.Data[oc]
				}
				dst := y.Data[(s*m+oc)*oh*ow : (s*m+oc+1)*oh*ow]
				for oy := 0; oy < oh; oy++ {
					row := dst[oy*ow : (oy+1)*ow]
					for ox, v := range acc[r*lin+oy*pw : r*lin+oy*pw+ow] {
						row[ox] = v + b
					}
				}
			}
		}
	})
	return true
}

// fastKernel4x16OffsGo is the portable form of fastKernel4x16Offs: C[0:4, 0:16] = Σ_l A[0:4, l]·
// b[offs[l] : offs[l]+16] over l < k in increasing order from zero (A packed as [k][4]), each
// product rounded to float32 before it is added.
func fastKernel4x16OffsGo(k int, a, b []float32, offs []int, c []float32, ldc int) {
	for r := 0; r < 4; r++ {
		var acc [16]float32
		for l := 0; l < k; l++ {
			av := a[l*4+r]
			brow := b[offs[l] : offs[l]+16]
			for j := range acc {
				acc[j] += float32(av * brow[j])
			}
		}
		copy(c[r*ldc:r*ldc+16], acc[:])
	}
}
