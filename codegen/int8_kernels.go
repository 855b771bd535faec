package codegen

import "strings"

// C sources of the int8 kernels. They reproduce the Go interpreter's int8 kernels
// (model/int8_*.go, after TFLite's reference integer kernels and gemmlowp) bit for bit. The
// fixed-point helpers follow CMSIS-NN's arm_nn_* style: fixed-width types, 64-bit products,
// and no undefined behaviour: operations that may wrap in the reference (left shifts, sums of
// raw fixed-point values) go through uint32_t, and every shift count is in [0, 31]. Right shifts
// of negative values are arithmetic (implementation-defined in C99; true of GCC, Clang and
// TASKING for TriCore), as CMSIS-NN also assumes.

const cQ8Helpers = `typedef struct {
    int32_t c, h, w;        /* input channels, height, width */
    int32_t m, oh, ow;      /* output channels, height, width */
    int32_t kh, kw;         /* kernel height, width */
    int32_t sh, sw;         /* strides */
    int32_t dh, dw;         /* dilations */
    int32_t pt, pl;         /* top and left padding */
    int32_t groups;
    int32_t oy_lo, oy_hi;   /* output rows whose kernel window lies inside the input */
    int32_t ox_lo, ox_hi;   /* output columns whose kernel window lies inside the input */
    int32_t per_channel;    /* nonzero: one multiplier and shift per output channel */
    int32_t xz, yz;         /* input and output zero points */
    int32_t qlo, qhi;       /* output clamp */
} q8_conv_geom_t;

typedef struct {
    int32_t n, k;           /* outputs, inputs */
    int32_t per_channel;
    int32_t yz;             /* output zero point (the input's is folded into the bias) */
    int32_t qlo, qhi;
} q8_dense_geom_t;

typedef struct {
    int32_t n;              /* elements (Mean: outputs) */
    int32_t count;          /* Mean: inputs per output; Softmax: row length */
    int32_t xz, x2z, yz;    /* zero points of the inputs and the output */
    int32_t m1, s1;         /* multipliers and shifts (positive: left) */
    int32_t m2, s2;
    int32_t m3, s3;
    int32_t qlo, qhi;       /* output clamp; Softmax: qlo is diff_min; Logistic/Tanh: radius */
    int32_t requant;        /* Relu/Clip: input and output quantizations differ */
    float scale;            /* Quantize/Dequantize */
} q8_elem_t;

/* Fixed-point helpers (TFLite common.h, gemmlowp fixedpoint.h). */
static inline int32_t q8_wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t q8_wrap_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* x * 2^e for e in [0, 31], wrapping like the reference's int32 multiplication. */
static inline int32_t q8_shl(int32_t x, int32_t e)
{
    return (int32_t)((uint32_t)x << e);
}

static inline int32_t q8_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return (v < lo) ? lo : ((v > hi) ? hi : v);
}

/* SaturatingRoundingDoublingHighMul: round(a * b / 2^31), ties away from zero; INT32_MIN^2
 * saturates to INT32_MAX. */
static inline int32_t q8_srdhm(int32_t a, int32_t b)
{
    int64_t ab;
    int64_t nudge;
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    ab = (int64_t)a * (int64_t)b;
    nudge = (ab >= 0) ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero, e in [0, 31]. */
static inline int32_t q8_rdbp(int32_t x, int32_t e)
{
    const int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
    const int32_t rem = x & mask;
    const int32_t thr = (mask >> 1) + ((x < 0) ? 1 : 0);
    return (x >> e) + ((rem > thr) ? 1 : 0);
}

/* MultiplyByQuantizedMultiplier (TFLite's default double rounding): x * m * 2^(s - 31). */
static inline int32_t q8_mbqm(int32_t x, int32_t m, int32_t s)
{
    return q8_rdbp(q8_srdhm(q8_shl(x, (s > 0) ? s : 0), m), (s > 0) ? 0 : -s);
}

/* Dot product of two int8 vectors in int32 (exact: callers bound the sum). The fixed 16-lane
 * inner loop keeps 16 partial sums that gcc -O2 turns into SIMD on x86; integer addition is
 * associative, so the order does not change the result. */
static inline int32_t q8_dot(const int8_t *restrict a, const int8_t *restrict b, int32_t n)
{
    int32_t part[16] = {0};
    int32_t acc = 0;
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int32_t j = 0; j < 16; ++j) {
            part[j] += (int32_t)a[i + j] * (int32_t)b[i + j];
        }
    }
    for (; i < n; ++i) {
        acc += (int32_t)a[i] * (int32_t)b[i];
    }
    for (int32_t j = 0; j < 16; ++j) {
        acc += part[j];
    }
    return acc;
}

/* Gathers the kernel window of output (oy, ox) over one group's input channels xg into patch,
 * in weight-column order (ci, ky, kx); taps outside the input take the input zero point. */
static inline void q8_gather(const int8_t *restrict xg, int8_t *restrict patch, int32_t oy, int32_t ox,
                             const q8_conv_geom_t *restrict g)
{
    const int32_t cpg = g->c / g->groups;
    const int32_t hw = g->h * g->w;
    const int32_t iy0 = oy * g->sh - g->pt;
    const int32_t ix0 = ox * g->sw - g->pl;
    const int32_t cols_inside = (ix0 >= 0 && ix0 + (g->kw - 1) * g->dw < g->w);
    const int8_t pad = (int8_t)g->xz;
    int8_t *restrict pp = patch;
    for (int32_t ci = 0; ci < cpg; ++ci) {
        for (int32_t ky = 0; ky < g->kh; ++ky) {
            const int32_t iy = iy0 + ky * g->dh;
            if (iy < 0 || iy >= g->h) {
                for (int32_t kx = 0; kx < g->kw; ++kx) {
                    pp[kx] = pad;
                }
            } else if (cols_inside) {
                const int8_t *restrict xr = xg + (size_t)(ci * hw + iy * g->w + ix0);
                for (int32_t kx = 0; kx < g->kw; ++kx) {
                    pp[kx] = xr[kx * g->dw];
                }
            } else {
                const int8_t *restrict xr = xg + (size_t)(ci * hw + iy * g->w);
                for (int32_t kx = 0; kx < g->kw; ++kx) {
                    const int32_t ix = ix0 + kx * g->dw;
                    pp[kx] = (ix >= 0 && ix < g->w) ? xr[ix] : pad;
                }
            }
            pp += g->kw;
        }
    }
}

/* (acc +- count/2) / count: division rounding half away from zero. */
static inline int32_t q8_rounded_div(int32_t acc, int32_t count)
{
    return (acc > 0) ? (acc + count / 2) / count : (acc - count / 2) / count;
}
`

// cQ8FixedPoint are gemmlowp's transcendental functions, needed by Softmax, Logistic and Tanh.
const cQ8FixedPoint = `/* SaturatingRoundingMultiplyByPOT: saturating x * 2^e for e > 0, rounding for e < 0. */
static inline int32_t q8_smbp(int32_t x, int32_t e)
{
    int32_t thr;
    if (e == 0) {
        return x;
    }
    if (e < 0) {
        return q8_rdbp(x, -e);
    }
    thr = (int32_t)(((int64_t)1 << (31 - e)) - 1);
    if (x > thr) {
        return INT32_MAX;
    }
    if (x < -thr) {
        return INT32_MIN;
    }
    return q8_shl(x, e);
}

/* RoundingHalfSum: (a + b) / 2 rounded away from zero. */
static inline int32_t q8_rhs(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + ((sum >= 0) ? 1 : -1)) / 2);
}

/* exp(a) for a in [-1/4, 0), Q0.31. */
static int32_t q8_exp_quarter(int32_t a)
{
    const int32_t constant_term = 1895147668;
    const int32_t one_third = 715827883;
    const int32_t x = q8_wrap_add(a, (int32_t)1 << 28);
    const int32_t x2 = q8_srdhm(x, x);
    const int32_t x3 = q8_srdhm(x2, x);
    const int32_t x4 = q8_srdhm(x2, x2);
    const int32_t x4_over_4 = q8_smbp(x4, -2);
    const int32_t poly = q8_smbp(q8_wrap_add(q8_srdhm(q8_wrap_add(x4_over_4, x3), one_third), x2), -1);
    return q8_wrap_add(constant_term, q8_srdhm(constant_term, q8_wrap_add(x, poly)));
}

/* exp(a) for a <= 0 with int_bits integer bits; Q0.31 result. */
static int32_t q8_exp_neg(int32_t a, int32_t int_bits)
{
    static const int32_t barrel_exp[7] = {-2, -1, 0, 1, 2, 3, 4};
    static const int32_t barrel_mult[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t frac = 31 - int_bits;
    const int32_t one_quarter = (int32_t)1 << (frac - 2);
    const int32_t a_mod = q8_wrap_sub(a & (one_quarter - 1), one_quarter);
    const int32_t remainder = q8_wrap_sub(a_mod, a);
    int32_t result = q8_exp_quarter(q8_smbp(a_mod, int_bits));
    for (int32_t i = 0; i < 7; ++i) {
        if (int_bits > barrel_exp[i] && (remainder & (int32_t)((uint32_t)1 << (frac + barrel_exp[i]))) != 0) {
            result = q8_srdhm(result, barrel_mult[i]);
        }
    }
    if (int_bits > 5 && a < -((int32_t)1 << (36 - int_bits))) {
        result = 0;
    }
    if (a == 0) {
        result = INT32_MAX;
    }
    return result;
}

/* Newton-Raphson 2 / (1 + a) in Q2.29 for a in Q0.31, (0, 1). */
static int32_t q8_newton(int32_t a)
{
    const int32_t half_den = q8_rhs(a, INT32_MAX);
    int32_t x = q8_wrap_add(1515870810, q8_srdhm(half_den, -1010580540));
    for (int32_t i = 0; i < 3; ++i) {
        const int32_t one_minus = q8_wrap_sub((int32_t)1 << 29, q8_srdhm(half_den, x));
        x = q8_wrap_add(x, q8_smbp(q8_srdhm(x, one_minus), 2));
    }
    return x;
}

static inline int32_t q8_one_over_one_plus_x(int32_t a)
{
    return q8_smbp(q8_newton(a), 1);
}

static inline int32_t q8_one_minus_x_over_one_plus_x(int32_t a)
{
    return q8_smbp(q8_wrap_sub(q8_newton(a), (int32_t)1 << 29), 2);
}

static inline int32_t q8_clz(uint32_t x)
{
    int32_t n = 0;
    if (x == 0u) {
        return 32;
    }
    while ((x & 0x80000000u) == 0u) {
        x <<= 1;
        ++n;
    }
    return n;
}
`

var q8Kernels = mergeKernels(q8ElementwiseKernels, q8PoolKernels, q8ActivationKernels, q8DenseKernels, q8ConvKernels)

// mergeKernels joins kernel source tables, one per kernel family and file.
func mergeKernels(tables ...map[string]string) map[string]string {
	all := map[string]string{}
	for _, t := range tables {
		for name, src := range t {
			all[name] = src
		}
	}
	return all
}

// q8SparseSteps returns the unrolled (4 entries) and single-entry loop bodies of the sparse
// kernels for absolute indices (bits "") or 8-bit or 4-bit gaps, reading the dense operand x
// and indented by indent.
func q8SparseSteps(bits, x, indent string) (step4, step1 string) {
	one := func(k string) string {
		j := "j" + k
		switch bits {
		case "8":
			return indent + "c += (int32_t)col[" + j + "] + 1;\n" + indent + "acc += (int32_t)val[" + j + "] * (int32_t)" + x + "[c];\n"
		case "4":
			return indent + "c += (int32_t)((col[(" + j + ") >> 1] >> (4 * ((" + j + ") & 1))) & 15u) + 1;\n" +
				indent + "acc += (int32_t)val[" + j + "] * (int32_t)" + x + "[c];\n"
		}
		return indent + "acc += (int32_t)val[" + j + "] * (int32_t)" + x + "[col[" + j + "]];\n"
	}
	step4 = one("") + one(" + 1") + one(" + 2") + one(" + 3")
	return strings.TrimSuffix(step4, "\n"), strings.TrimSuffix(one(""), "\n")
}

// q8KernelSource returns the C source of an int8 kernel variant, such as "q8_dense",
// "q8_dense_rcsr4_u16" or "q8_conv_csr_u8_u16".
func q8KernelSource(name string) (string, bool) {
	for _, base := range []string{"dense", "conv"} {
		x, indent := "x", "            "
		if base == "conv" {
			x, indent = "xp", "                        "
		}
		if suffix, ok := strings.CutPrefix(name, "q8_"+base+"_csr_"); ok {
			idx, ptr, found := strings.Cut(suffix, "_")
			if !found {
				return "", false
			}
			s4, s1 := q8SparseSteps("", x, indent)
			return strings.NewReplacer("SUFFIX", "csr_"+suffix, "IDX_T", cTypeOfSuffix(idx), "PTR_T", cTypeOfSuffix(ptr),
				"@COLINIT@", "/* absolute column indices */", "@STEP4@", s4, "@STEP1@", s1).Replace(q8Kernels["q8_"+base+"_csr"]), true
		}
		for _, bits := range []string{"4", "8"} {
			if ptr, ok := strings.CutPrefix(name, "q8_"+base+"_rcsr"+bits+"_"); ok {
				s4, s1 := q8SparseSteps(bits, x, indent)
				tmpl := q8Kernels["q8_"+base+"_csr"]
				if bits == "4" && base == "dense" {
					tmpl = q8Kernels["q8_dense_rcsr4"]
				}
				return strings.NewReplacer("SUFFIX", "rcsr"+bits+"_"+ptr, "IDX_T", "uint8_t", "PTR_T", cTypeOfSuffix(ptr),
					"@COLINIT@", colRelInit, "@STEP4@", s4, "@STEP1@", s1).Replace(tmpl), true
			}
		}
	}
	src, ok := q8Kernels[name]
	return src, ok
}

// q8NeedsFixedPoint reports whether a kernel uses the transcendental fixed-point helpers.
func q8NeedsFixedPoint(name string) bool {
	return name == "q8_softmax" || name == "q8_logistic" || name == "q8_tanh"
}
