package codegen

import (
	"strings"
)

// C sources of the kernels. Each is emitted only when a layer uses it (an unused static function
// would be a -Wunused-function error). CSR variants are instantiated from templates by
// substituting IDX_T / PTR_T / SUFFIX.

const cTypedefs = `typedef struct {
    int32_t c, h, w;        /* input channels, height, width */
    int32_t m, oh, ow;      /* output channels, height, width */
    int32_t kh, kw;         /* kernel height, width */
    int32_t sh, sw;         /* strides */
    int32_t dh, dw;         /* dilations */
    int32_t pt, pl;         /* top and left padding */
    int32_t groups;
    int32_t relu;           /* nonzero: apply max(x, 0) to the outputs */
    int32_t oy_lo, oy_hi;   /* output rows whose kernel window lies inside the input */
    int32_t ox_lo, ox_hi;   /* output columns whose kernel window lies inside the input */
    int32_t ph, pw;         /* stored (pooled) output height, width */
    int32_t pkh, pkw;       /* max-pool window over the conv outputs (1 x 1: no pooling) */
    int32_t psh, psw;       /* max-pool strides */
    int32_t ppt, ppl;       /* max-pool top and left padding */
} conv_geom_t;

typedef struct {
    int32_t c, h, w;        /* channels, input height, width */
    int32_t oh, ow;         /* output height, width */
    int32_t kh, kw;         /* window height, width */
    int32_t sh, sw;         /* strides */
    int32_t pt, pl;         /* top and left padding */
    int32_t relu;
    int32_t reserved0, reserved1;
} pool_geom_t;

typedef struct {
    int32_t n;              /* outputs */
    int32_t k;              /* inputs */
    int32_t relu;
} dense_geom_t;
`

var cKernels = map[string]string{
	"valid_range": `/* First index o >= 0 with o * s + off >= 0. */
static int32_t range_lo(int32_t off, int32_t s)
{
    return (off >= 0) ? 0 : (-off + s - 1) / s;
}

/* One past the last index o < on with o * s + off < n (0 when there is none). */
static int32_t range_hi(int32_t off, int32_t s, int32_t n, int32_t on)
{
    const int32_t last = n - 1 - off;
    int32_t hi;
    if (last < 0) {
        return 0;
    }
    hi = last / s + 1;
    return (hi < on) ? hi : on;
}
`,
	"conv2d_csr": `/* Convolution with sparse (CSR or relative-index CSR) weights: row m = output channel,
 * column = (ci * kh + ky) * kw + kx.
 * Each stored weight is scattered over the output positions it touches, in column order, so
 * every output accumulates the same terms in the same order as k_conv2d. */
static void k_conv2d_SUFFIX(const float *restrict x, float *restrict y,
                                const float *restrict val, const IDX_T *restrict col,
                                const PTR_T *restrict rowptr, const float *restrict b,
                                const conv_geom_t *restrict g)
{
    const int32_t cpg = g->c / g->groups;
    const int32_t mpg = g->m / g->groups;
    const int32_t khw = g->kh * g->kw;
    const int32_t plane = g->oh * g->ow;
    for (int32_t m = 0; m < g->m; ++m) {
        const float *restrict xg = x + (size_t)(m / mpg) * (size_t)(cpg * g->h * g->w);
        float *restrict ym = y + (size_t)m * (size_t)plane;
        const float bias = (b != NULL) ? b[m] : 0.0f;
        const int32_t end = (int32_t)rowptr[m + 1];
        @COLINIT@
        for (int32_t i = 0; i < plane; ++i) {
            ym[i] = bias;
        }
        for (int32_t j = (int32_t)rowptr[m]; j < end; ++j) {
            @COLSTEP@
            const int32_t ci = c / khw;
            const int32_t ky = (c - ci * khw) / g->kw;
            const int32_t kx = c - ci * khw - ky * g->kw;
            const int32_t offy = ky * g->dh - g->pt;
            const int32_t offx = kx * g->dw - g->pl;
            const int32_t oy0 = range_lo(offy, g->sh), oy1 = range_hi(offy, g->sh, g->h, g->oh);
            const int32_t ox0 = range_lo(offx, g->sw), ox1 = range_hi(offx, g->sw, g->w, g->ow);
            const float wv = val[j];
            const float *restrict xc = xg + (size_t)ci * (size_t)(g->h * g->w);
            for (int32_t oy = oy0; oy < oy1; ++oy) {
                const int32_t row = (oy * g->sh + offy) * g->w + offx;
                float *restrict yr = ym + oy * g->ow;
                for (int32_t ox = ox0; ox < ox1; ++ox) {
                    yr[ox] += wv * xc[row + ox * g->sw];
                }
            }
        }
        if (g->relu != 0) {
            for (int32_t i = 0; i < plane; ++i) {
                if (ym[i] < 0.0f) {
                    ym[i] = 0.0f;
                }
            }
        }
    }
}
`,
	"dense_csr": `/* y = W x + b with W in CSR or relative-index CSR form (row n = output n). */
static void k_dense_SUFFIX(const float *restrict x, float *restrict y,
                               const float *restrict val, const IDX_T *restrict col,
                               const PTR_T *restrict rowptr, const float *restrict b,
                               const dense_geom_t *restrict g)
{
    for (int32_t n = 0; n < g->n; ++n) {
        const int32_t end = (int32_t)rowptr[n + 1];
        float acc = (b != NULL) ? b[n] : 0.0f;
        @COLINIT@
        for (int32_t j = (int32_t)rowptr[n]; j < end; ++j) {
            @COLSTEP@
            acc += val[j] * x[c];
        }
        y[n] = (g->relu != 0 && acc < 0.0f) ? 0.0f : acc;
    }
}
`,
	"maxpool": `/* Max pooling; padded positions are ignored. */
static void k_maxpool(const float *restrict x, float *restrict y, const pool_geom_t *restrict g)
{
    for (int32_t c = 0; c < g->c; ++c) {
        const float *restrict xc = x + (size_t)c * (size_t)(g->h * g->w);
        float *restrict yc = y + (size_t)c * (size_t)(g->oh * g->ow);
        for (int32_t oy = 0; oy < g->oh; ++oy) {
            for (int32_t ox = 0; ox < g->ow; ++ox) {
                float best = -INFINITY;
                for (int32_t ky = 0; ky < g->kh; ++ky) {
                    const int32_t iy = oy * g->sh - g->pt + ky;
                    if (iy < 0 || iy >= g->h) {
                        continue;
                    }
                    for (int32_t kx = 0; kx < g->kw; ++kx) {
                        const int32_t ix = ox * g->sw - g->pl + kx;
                        if (ix >= 0 && ix < g->w && xc[iy * g->w + ix] > best) {
                            best = xc[iy * g->w + ix];
                        }
                    }
                }
                yc[oy * g->ow + ox] = (g->relu != 0 && best < 0.0f) ? 0.0f : best;
            }
        }
    }
}
`,
	"avgpool": `/* Average pooling over the in-bounds elements of each window (count_include_pad = 0). */
static void k_avgpool(const float *restrict x, float *restrict y, const pool_geom_t *restrict g)
{
    for (int32_t c = 0; c < g->c; ++c) {
        const float *restrict xc = x + (size_t)c * (size_t)(g->h * g->w);
        float *restrict yc = y + (size_t)c * (size_t)(g->oh * g->ow);
        for (int32_t oy = 0; oy < g->oh; ++oy) {
            for (int32_t ox = 0; ox < g->ow; ++ox) {
                float sum = 0.0f;
                int32_t count = 0;
                float avg;
                for (int32_t ky = 0; ky < g->kh; ++ky) {
                    const int32_t iy = oy * g->sh - g->pt + ky;
                    if (iy < 0 || iy >= g->h) {
                        continue;
                    }
                    for (int32_t kx = 0; kx < g->kw; ++kx) {
                        const int32_t ix = ox * g->sw - g->pl + kx;
                        if (ix >= 0 && ix < g->w) {
                            sum += xc[iy * g->w + ix];
                            ++count;
                        }
                    }
                }
                avg = (count > 0) ? sum / (float)count : 0.0f;
                yc[oy * g->ow + ox] = (g->relu != 0 && avg < 0.0f) ? 0.0f : avg;
            }
        }
    }
}
`,
	"add": `/* y = a + b elementwise. a and b may be the same buffer; y is distinct from both. */
static void k_add(const float *a, const float *b, float *restrict y, int32_t n, int32_t relu)
{
    for (int32_t i = 0; i < n; ++i) {
        const float s = a[i] + b[i];
        y[i] = (relu != 0 && s < 0.0f) ? 0.0f : s;
    }
}
`,
	"relu": `/* y = max(x, 0). */
static void k_relu(const float *restrict x, float *restrict y, int32_t n)
{
    for (int32_t i = 0; i < n; ++i) {
        y[i] = (x[i] < 0.0f) ? 0.0f : x[i];
    }
}
`,
	"relu_inplace": `/* x = max(x, 0) in place. */
static void k_relu_inplace(float *x, int32_t n)
{
    for (int32_t i = 0; i < n; ++i) {
        if (x[i] < 0.0f) {
            x[i] = 0.0f;
        }
    }
}
`,
	"softmax": `/* Softmax over the last axis: rows of len elements. */
static void k_softmax(const float *restrict x, float *restrict y, int32_t rows, int32_t len)
{
    for (int32_t r = 0; r < rows; ++r) {
        const float *restrict xr = x + (size_t)r * (size_t)len;
        float *restrict yr = y + (size_t)r * (size_t)len;
        float top = xr[0];
        float sum = 0.0f;
        for (int32_t i = 1; i < len; ++i) {
            if (xr[i] > top) {
                top = xr[i];
            }
        }
        for (int32_t i = 0; i < len; ++i) {
            yr[i] = expf(xr[i] - top);
            sum += yr[i];
        }
        for (int32_t i = 0; i < len; ++i) {
            yr[i] = yr[i] / sum;
        }
    }
}
`,
	"copy": `/* y = x for a Reshape that cannot alias (input buffer to output buffer). */
static void k_copy(const float *restrict x, float *restrict y, int32_t n)
{
    memcpy(y, x, (size_t)n * sizeof(float));
}
`,
}

// Column decoding of the sparse kernels: absolute indices, or relative gaps (gap - 1 stored in
// a byte or in a nibble, low nibble first) accumulated from column -1 at the start of a row.
const (
	colAbsoluteStep = "const int32_t c = (int32_t)col[j];"
	colRelInit      = "int32_t c = -1;"
	colRel8Step     = "c += (int32_t)col[j] + 1;"
	colRel4Step     = "c += (int32_t)((col[j >> 1] >> (4 * (j & 1))) & 15u) + 1;"
)

// kernelSource returns the C source of a kernel variant name such as "dense_csr_u8_u16" or
// "conv2d_rcsr4_u16".
func kernelSource(name string) (string, bool) {
	if strings.HasPrefix(name, "q8_") {
		return q8KernelSource(name)
	}
	for _, base := range []string{"conv2d", "dense"} {
		if suffix, ok := strings.CutPrefix(name, base+"_csr_"); ok {
			idx, ptr, found := strings.Cut(suffix, "_")
			if !found {
				return "", false
			}
			return strings.NewReplacer("SUFFIX", "csr_"+suffix, "IDX_T", cTypeOfSuffix(idx), "PTR_T", cTypeOfSuffix(ptr),
				"@COLINIT@", "/* absolute column indices */", "@COLSTEP@", colAbsoluteStep).Replace(cKernels[base+"_csr"]), true
		}
		for bits, step := range map[string]string{"4": colRel4Step, "8": colRel8Step} {
			if ptr, ok := strings.CutPrefix(name, base+"_rcsr"+bits+"_"); ok {
				tmpl := cKernels[base+"_csr"]
				if special, ok := cKernels[base+"_rcsr"+bits]; ok {
					tmpl = special
				}
				return strings.NewReplacer("SUFFIX", "rcsr"+bits+"_"+ptr, "IDX_T", "uint8_t", "PTR_T", cTypeOfSuffix(ptr),
					"@COLINIT@", colRelInit, "@COLSTEP@", step).Replace(tmpl), true
			}
		}
	}
	src, ok := cKernels[name]
	return src, ok
}

// cTypeOfSuffix maps "u8" / "u16" / "u32" to the C type.
func cTypeOfSuffix(s string) string {
	return strings.Replace(s, "u", "uint", 1) + "_t"
}
