package codegen

import (
	"strconv"
	"strings"

	"github.com/tcdse/tcdse/model"
)

// Register-blocked dense-weight kernels. Output rows (Dense) or output channels within one
// group (Conv) are taken in blocks of 8, then at most one block of 4, then single rows
// (blockSizes). A block of R rows starting at row r is stored as a panel: for every column i,
// the R weights W[r..r+R)[i] side by side. The inner loop therefore reads one input value, the
// next R weights in address order and updates R accumulators that live in registers; gcc -O2
// turns the fixed-length loop over R into SIMD multiplies and adds (SLP), and a scalar core
// such as TriCore keeps the 8 accumulators in data registers. Every output is still the bias
// plus its terms added in column order, the same order as the CSR kernels.

// blockRows are the block heights, largest first; the partition of n rows is
// n/8 blocks of 8, one block of 4 when n%8 >= 4, then single rows.
var blockRows = []int{8, 4, 1}

// blockSizes returns the heights of the blocks that cover n rows, in order.
func blockSizes(n int) []int {
	var out []int
	r := 0
	for ; r+8 <= n; r += 8 {
		out = append(out, 8)
	}
	if r+4 <= n {
		out = append(out, 4)
		r += 4
	}
	for ; r < n; r++ {
		out = append(out, 1)
	}
	return out
}

// panelize reorders a row-major rows x cols matrix into the block panel layout, treating every
// run of groupRows consecutive rows (one convolution group) as its own set of blocks.
func panelize(data []float32, rows, cols, groupRows int) []float32 {
	out := make([]float32, 0, len(data))
	for g0 := 0; g0 < rows; g0 += groupRows {
		r := g0
		for _, h := range blockSizes(groupRows) {
			for i := 0; i < cols; i++ {
				for j := 0; j < h; j++ {
					out = append(out, data[(r+j)*cols+i])
				}
			}
			r += h
		}
	}
	return out
}

const cDenseRows = `/* @R@ rows of y = W x + b from one panel (wp[i * @R@ + j] = W[row j][i]); the @R@
 * accumulators stay in registers over the whole input. */
static void k_dense_rows@R@(const float *restrict x, float *restrict y, const float *restrict wp,
                           const float *restrict b, int32_t k, int32_t relu)
{
    float acc[@R@];
    for (int32_t j = 0; j < @R@; ++j) {
        acc[j] = (b != NULL) ? b[j] : 0.0f;
    }
    for (int32_t i = 0; i < k; ++i) {
        const float xi = x[i];
        for (int32_t j = 0; j < @R@; ++j) {
            acc[j] += wp[j] * xi;
        }
        wp += @R@;
    }
    for (int32_t j = 0; j < @R@; ++j) {
        y[j] = (relu != 0 && acc[j] < 0.0f) ? 0.0f : acc[j];
    }
}
`

const cDense = `/* y = W x + b, W stored as row panels of 8, then 4, then single rows. */
static void k_dense(const float *restrict x, float *restrict y, const float *restrict w,
                    const float *restrict b, const dense_geom_t *restrict g)
{
    int32_t r = 0;
    for (; r + 8 <= g->n; r += 8) {
        k_dense_rows8(x, y + r, w + (size_t)r * (size_t)g->k, (b != NULL) ? b + r : NULL, g->k, g->relu);
    }
    if (r + 4 <= g->n) {
        k_dense_rows4(x, y + r, w + (size_t)r * (size_t)g->k, (b != NULL) ? b + r : NULL, g->k, g->relu);
        r += 4;
    }
    for (; r < g->n; ++r) {
        k_dense_rows1(x, y + r, w + (size_t)r * (size_t)g->k, (b != NULL) ? b + r : NULL, g->k, g->relu);
    }
}
`

const cConvRows = `/* Direct convolution (no im2col) of @R@ output channels of one group, with the weights as a
 * panel wp[((ci * kh + ky) * kw + kx) * @R@ + j]. Every stored output (py, px) is the maximum
 * over the conv outputs in its max-pool window (a 1 x 1 window when the layer is not fused
 * with pooling), so a fused Conv + MaxPool never stores the conv output. Output positions whose
 * kernel window lies inside the input (rows [oy_lo, oy_hi), columns [ox_lo, ox_hi)) use the
 * full kernel; only the border computes the valid kernel range. The innermost loop walks one
 * kernel row over contiguous input and updates @R@ register accumulators. */
static void k_conv2d_rows@R@(const float *restrict x, float *restrict y, const float *restrict wp,
                            const float *restrict b, const conv_geom_t *restrict g)
{
    const int32_t cpg = g->c / g->groups;
    const int32_t hw = g->h * g->w;
    const int32_t wrow = g->kw * @R@;
    const int32_t wchan = g->kh * wrow;
    const int32_t pplane = g->ph * g->pw;
    for (int32_t py = 0; py < g->ph; ++py) {
        const int32_t oyb = py * g->psh - g->ppt;
        const int32_t wy0 = (oyb < 0) ? -oyb : 0;
        const int32_t wy1 = (oyb + g->pkh > g->oh) ? g->oh - oyb : g->pkh;
        for (int32_t px = 0; px < g->pw; ++px) {
            const int32_t oxb = px * g->psw - g->ppl;
            const int32_t wx0 = (oxb < 0) ? -oxb : 0;
            const int32_t wx1 = (oxb + g->pkw > g->ow) ? g->ow - oxb : g->pkw;
            float best[@R@];
            int32_t first = 1;
            for (int32_t j = 0; j < @R@; ++j) {
                best[j] = 0.0f;
            }
            for (int32_t wy = wy0; wy < wy1; ++wy) {
                const int32_t oy = oyb + wy;
                const int32_t iy0 = oy * g->sh - g->pt;
                int32_t ky0 = 0, ky1 = g->kh;
                if (oy < g->oy_lo || oy >= g->oy_hi) {
                    ky0 = range_lo(iy0, g->dh);
                    ky1 = range_hi(iy0, g->dh, g->h, g->kh);
                }
                for (int32_t wx = wx0; wx < wx1; ++wx) {
                    const int32_t ox = oxb + wx;
                    const int32_t ix0 = ox * g->sw - g->pl;
                    int32_t kx0 = 0, kx1 = g->kw;
                    float acc[@R@];
                    if (ox < g->ox_lo || ox >= g->ox_hi) {
                        kx0 = range_lo(ix0, g->dw);
                        kx1 = range_hi(ix0, g->dw, g->w, g->kw);
                    }
                    for (int32_t j = 0; j < @R@; ++j) {
                        acc[j] = (b != NULL) ? b[j] : 0.0f;
                    }
                    if (wchan == @R@) {
                        /* 1 x 1 kernel: one tap per input channel, a single flat loop. */
                        if (ky0 < ky1 && kx0 < kx1) {
                            size_t xi = (size_t)(iy0 * g->w + ix0);
                            for (int32_t ci = 0; ci < cpg; ++ci) {
                                const float xv = x[xi];
                                for (int32_t j = 0; j < @R@; ++j) {
                                    acc[j] += wp[ci * @R@ + j] * xv;
                                }
                                xi += (size_t)hw;
                            }
                        }
                    } else {
                        for (int32_t ci = 0; ci < cpg; ++ci) {
                            const float *restrict xc = x + (size_t)ci * (size_t)hw;
                            const float *restrict wc = wp + (size_t)ci * (size_t)wchan;
                            for (int32_t ky = ky0; ky < ky1; ++ky) {
                                const int32_t row = (iy0 + ky * g->dh) * g->w + ix0;
                                const float *restrict wr = wc + ky * wrow;
                                for (int32_t kx = kx0; kx < kx1; ++kx) {
                                    const float xv = xc[row + kx * g->dw];
                                    for (int32_t j = 0; j < @R@; ++j) {
                                        acc[j] += wr[kx * @R@ + j] * xv;
                                    }
                                }
                            }
                        }
                    }
                    for (int32_t j = 0; j < @R@; ++j) {
                        best[j] = (first != 0 || acc[j] > best[j]) ? acc[j] : best[j];
                    }
                    first = 0;
                }
            }
            for (int32_t j = 0; j < @R@; ++j) {
                y[j * pplane + py * g->pw + px] = (g->relu != 0 && best[j] < 0.0f) ? 0.0f : best[j];
            }
        }
    }
}
`

const cDWConvRows = `/* Depthwise convolution (one input channel per output channel) of @R@ channels: the @R@
 * accumulators belong to @R@ neighbouring channels, each reading its own input plane, with the
 * weights as a panel wp[(ky * kw + kx) * @R@ + j]. Pooling, interior and border as in
 * k_conv2d_rows@R@. */
static void k_dwconv2d_rows@R@(const float *restrict x, float *restrict y, const float *restrict wp,
                            const float *restrict b, const conv_geom_t *restrict g)
{
    const int32_t hw = g->h * g->w;
    const int32_t wrow = g->kw * @R@;
    const int32_t pplane = g->ph * g->pw;
    for (int32_t py = 0; py < g->ph; ++py) {
        const int32_t oyb = py * g->psh - g->ppt;
        const int32_t wy0 = (oyb < 0) ? -oyb : 0;
        const int32_t wy1 = (oyb + g->pkh > g->oh) ? g->oh - oyb : g->pkh;
        for (int32_t px = 0; px < g->pw; ++px) {
            const int32_t oxb = px * g->psw - g->ppl;
            const int32_t wx0 = (oxb < 0) ? -oxb : 0;
            const int32_t wx1 = (oxb + g->pkw > g->ow) ? g->ow - oxb : g->pkw;
            float best[@R@];
            int32_t first = 1;
            for (int32_t j = 0; j < @R@; ++j) {
                best[j] = 0.0f;
            }
            for (int32_t wy = wy0; wy < wy1; ++wy) {
                const int32_t oy = oyb + wy;
                const int32_t iy0 = oy * g->sh - g->pt;
                int32_t ky0 = 0, ky1 = g->kh;
                if (oy < g->oy_lo || oy >= g->oy_hi) {
                    ky0 = range_lo(iy0, g->dh);
                    ky1 = range_hi(iy0, g->dh, g->h, g->kh);
                }
                for (int32_t wx = wx0; wx < wx1; ++wx) {
                    const int32_t ox = oxb + wx;
                    const int32_t ix0 = ox * g->sw - g->pl;
                    int32_t kx0 = 0, kx1 = g->kw;
                    float acc[@R@];
                    if (ox < g->ox_lo || ox >= g->ox_hi) {
                        kx0 = range_lo(ix0, g->dw);
                        kx1 = range_hi(ix0, g->dw, g->w, g->kw);
                    }
                    for (int32_t j = 0; j < @R@; ++j) {
                        acc[j] = (b != NULL) ? b[j] : 0.0f;
                    }
                    for (int32_t ky = ky0; ky < ky1; ++ky) {
                        const int32_t row = (iy0 + ky * g->dh) * g->w + ix0;
                        const float *restrict wr = wp + ky * wrow;
                        for (int32_t kx = kx0; kx < kx1; ++kx) {
                            const int32_t xi = row + kx * g->dw;
                            for (int32_t j = 0; j < @R@; ++j) {
                                acc[j] += wr[kx * @R@ + j] * x[j * hw + xi];
                            }
                        }
                    }
                    for (int32_t j = 0; j < @R@; ++j) {
                        best[j] = (first != 0 || acc[j] > best[j]) ? acc[j] : best[j];
                    }
                    first = 0;
                }
            }
            for (int32_t j = 0; j < @R@; ++j) {
                y[j * pplane + py * g->pw + px] = (g->relu != 0 && best[j] < 0.0f) ? 0.0f : best[j];
            }
        }
    }
}
`

const cDWConv = `/* Depthwise convolution (+ ReLU, + non-overlapping max pooling) with dense panel weights:
 * channels in blocks of 8, then 4, then single channels. */
static void k_dwconv2d(const float *restrict x, float *restrict y, const float *restrict w,
                       const float *restrict b, const conv_geom_t *restrict g)
{
    const size_t khw = (size_t)(g->kh * g->kw);
    const size_t hw = (size_t)(g->h * g->w);
    const size_t plane = (size_t)(g->ph * g->pw);
    int32_t m = 0;
    for (; m + 8 <= g->m; m += 8) {
        k_dwconv2d_rows8(x + (size_t)m * hw, y + (size_t)m * plane, w + (size_t)m * khw, (b != NULL) ? b + m : NULL, g);
    }
    if (m + 4 <= g->m) {
        k_dwconv2d_rows4(x + (size_t)m * hw, y + (size_t)m * plane, w + (size_t)m * khw, (b != NULL) ? b + m : NULL, g);
        m += 4;
    }
    for (; m < g->m; ++m) {
        k_dwconv2d_rows1(x + (size_t)m * hw, y + (size_t)m * plane, w + (size_t)m * khw, (b != NULL) ? b + m : NULL, g);
    }
}
`

const cConv = `/* Convolution (+ ReLU, + non-overlapping max pooling) with dense panel weights: per group,
 * output channels in blocks of 8, then 4, then single channels. */
static void k_conv2d(const float *restrict x, float *restrict y, const float *restrict w,
                     const float *restrict b, const conv_geom_t *restrict g)
{
    const int32_t cpg = g->c / g->groups;
    const int32_t mpg = g->m / g->groups;
    const size_t wchan = (size_t)cpg * (size_t)(g->kh * g->kw);
    const size_t xgroup = (size_t)cpg * (size_t)(g->h * g->w);
    const size_t plane = (size_t)(g->ph * g->pw);
    for (int32_t gi = 0; gi < g->groups; ++gi) {
        const float *restrict xg = x + (size_t)gi * xgroup;
        int32_t r = 0;
        for (; r + 8 <= mpg; r += 8) {
            const size_t m = (size_t)(gi * mpg + r);
            k_conv2d_rows8(xg, y + m * plane, w + m * wchan, (b != NULL) ? b + m : NULL, g);
        }
        if (r + 4 <= mpg) {
            const size_t m = (size_t)(gi * mpg + r);
            k_conv2d_rows4(xg, y + m * plane, w + m * wchan, (b != NULL) ? b + m : NULL, g);
            r += 4;
        }
        for (; r < mpg; ++r) {
            const size_t m = (size_t)(gi * mpg + r);
            k_conv2d_rows1(xg, y + m * plane, w + m * wchan, (b != NULL) ? b + m : NULL, g);
        }
    }
}
`

// isDepthwise reports whether a Conv node has one input and one output channel per group; its
// dense weights use the depthwise kernel, whose blocks run across groups.
func isDepthwise(n *model.Node, inChannels int) bool {
	g := n.Groups()
	return g > 1 && g == inChannels && g == n.Weight.Shape[0]
}

// blockedKernel instantiates the row-block functions of a kernel for every block height,
// followed by the dispatcher.
func blockedKernel(rows, dispatcher string) string {
	var b strings.Builder
	for _, r := range blockRows {
		b.WriteString(strings.ReplaceAll(rows, "@R@", strconv.Itoa(r)))
		b.WriteString("\n")
	}
	b.WriteString(dispatcher)
	return b.String()
}

func init() {
	cKernels["dense"] = blockedKernel(cDenseRows, cDense)
	cKernels["conv2d"] = blockedKernel(cConvRows, cConv)
	cKernels["dwconv2d"] = blockedKernel(cDWConvRows, cDWConv)
}
