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

var q8Kernels = map[string]string{
	"q8_in": `/* Caller floats holding int8 values -> int8 (truncating like the interpreter). */
static void k_q8_in(const float *restrict x, int8_t *restrict y, const q8_elem_t *restrict p)
{
    for (int32_t i = 0; i < p->n; ++i) {
        float v = x[i];
        if (!(v >= -128.0f)) {
            v = -128.0f;
        }
        if (v > 127.0f) {
            v = 127.0f;
        }
        y[i] = (int8_t)(int32_t)v;
    }
}
`,
	"q8_out": `/* int8 -> caller floats holding the integer values. */
static void k_q8_out(const int8_t *restrict x, float *restrict y, const q8_elem_t *restrict p)
{
    for (int32_t i = 0; i < p->n; ++i) {
        y[i] = (float)x[i];
    }
}
`,
	"q8_quantize": `/* Quantize: zp + round(x / scale) (float division, ties away from zero), saturated; NaN -> zp. */
static void k_q8_quantize(const float *restrict x, int8_t *restrict y, const q8_elem_t *restrict p)
{
    for (int32_t i = 0; i < p->n; ++i) {
        const float d = x[i] / p->scale;
        int32_t q = p->yz;
        if (d == d) {
            /* Exact in float for |r| < 2^24; larger values saturate either way. */
            const float r = roundf(d) + (float)p->yz;
            q = (r < -128.0f) ? -128 : ((r > 127.0f) ? 127 : (int32_t)r);
        }
        y[i] = (int8_t)q8_clamp(q, -128, 127);
    }
}
`,
	"q8_dequantize": `/* Dequantize: scale * (x - zp). x - zp is an exact integer of at most 9 bits, so the float
 * product is the exact product rounded once: what the interpreter's double computation gives. */
static void k_q8_dequantize(const int8_t *restrict x, float *restrict y, const q8_elem_t *restrict p)
{
    for (int32_t i = 0; i < p->n; ++i) {
        y[i] = p->scale * (float)((int32_t)x[i] - p->xz);
    }
}
`,
	"q8_copy": `/* y = x for an int8 Reshape that cannot alias. */
static void k_q8_copy(const int8_t *restrict x, int8_t *restrict y, const q8_elem_t *restrict p)
{
    memcpy(y, x, (size_t)p->n);
}
`,
	"q8_clamp": `/* Relu / Clip: requantize to the output when needed, clamp to [qlo, qhi]. */
static void k_q8_clamp(const int8_t *restrict x, int8_t *restrict y, const q8_elem_t *restrict p)
{
    for (int32_t i = 0; i < p->n; ++i) {
        int32_t v = x[i];
        if (p->requant != 0) {
            v = q8_clamp(q8_wrap_add(p->yz, q8_mbqm(v - p->xz, p->m1, p->s1)), -128, 127);
        }
        y[i] = (int8_t)q8_clamp(v, p->qlo, p->qhi);
    }
}
`,
	"q8_addsub": `/* Add / Sub (TFLite integer_ops/add.h): operands shifted left by 20 bits, rescaled to twice
 * the larger input scale, summed, rescaled to the output. */
static void k_q8_addsub(const int8_t *restrict a, const int8_t *restrict b, int8_t *restrict y,
                        const q8_elem_t *restrict p, int32_t sub)
{
    for (int32_t i = 0; i < p->n; ++i) {
        const int32_t va = q8_mbqm(((int32_t)a[i] - p->xz) * (1 << 20), p->m1, p->s1);
        const int32_t vb = q8_mbqm(((int32_t)b[i] - p->x2z) * (1 << 20), p->m2, p->s2);
        const int32_t raw = (sub != 0) ? q8_wrap_sub(va, vb) : q8_wrap_add(va, vb);
        y[i] = (int8_t)q8_clamp(q8_wrap_add(q8_mbqm(raw, p->m3, p->s3), p->yz), p->qlo, p->qhi);
    }
}
`,
	"q8_mul": `/* Mul (TFLite integer_ops/mul.h). */
static void k_q8_mul(const int8_t *restrict a, const int8_t *restrict b, int8_t *restrict y,
                     const q8_elem_t *restrict p)
{
    for (int32_t i = 0; i < p->n; ++i) {
        const int32_t prod = ((int32_t)a[i] - p->xz) * ((int32_t)b[i] - p->x2z);
        y[i] = (int8_t)q8_clamp(q8_wrap_add(p->yz, q8_mbqm(prod, p->m1, p->s1)), p->qlo, p->qhi);
    }
}
`,
	"q8_mean": `/* Mean over a trailing run of count inputs per output (TFLite integer_ops/mean.h). */
static void k_q8_mean(const int8_t *restrict x, int8_t *restrict y, const q8_elem_t *restrict p)
{
    for (int32_t o = 0; o < p->n; ++o) {
        const int8_t *restrict xo = x + (size_t)o * (size_t)p->count;
        int32_t acc = 0;
        for (int32_t i = 0; i < p->count; ++i) {
            acc += (int32_t)xo[i] - p->xz;
        }
        acc = q8_rounded_div(q8_mbqm(acc, p->m1, p->s1), p->count);
        y[o] = (int8_t)q8_clamp(q8_wrap_add(acc, p->yz), -128, 127);
    }
}
`,
	"q8_maxpool": `/* int8 max pooling; an empty window gives the zero point (input and output share it). */
static void k_q8_maxpool(const int8_t *restrict x, int8_t *restrict y, const pool_geom_t *restrict g,
                         int32_t zp)
{
    for (int32_t c = 0; c < g->c; ++c) {
        const int8_t *restrict xc = x + (size_t)c * (size_t)(g->h * g->w);
        int8_t *restrict yc = y + (size_t)c * (size_t)(g->oh * g->ow);
        for (int32_t oy = 0; oy < g->oh; ++oy) {
            const int32_t y0 = oy * g->sh - g->pt;
            const int32_t ya = (y0 > 0) ? y0 : 0;
            const int32_t yb = (y0 + g->kh < g->h) ? y0 + g->kh : g->h;
            for (int32_t ox = 0; ox < g->ow; ++ox) {
                const int32_t x0 = ox * g->sw - g->pl;
                const int32_t xa = (x0 > 0) ? x0 : 0;
                const int32_t xb = (x0 + g->kw < g->w) ? x0 + g->kw : g->w;
                int32_t acc = -128;
                if (ya >= yb || xa >= xb) {
                    acc = zp;
                }
                for (int32_t iy = ya; iy < yb; ++iy) {
                    for (int32_t ix = xa; ix < xb; ++ix) {
                        const int32_t v = xc[iy * g->w + ix];
                        acc = (v > acc) ? v : acc;
                    }
                }
                yc[oy * g->ow + ox] = (int8_t)acc;
            }
        }
    }
}
`,
	"q8_avgpool": `/* int8 average pooling: the in-bounds sum divided by the in-bounds count, rounding half away
 * from zero; an empty window gives the zero point. */
static void k_q8_avgpool(const int8_t *restrict x, int8_t *restrict y, const pool_geom_t *restrict g,
                         int32_t zp)
{
    for (int32_t c = 0; c < g->c; ++c) {
        const int8_t *restrict xc = x + (size_t)c * (size_t)(g->h * g->w);
        int8_t *restrict yc = y + (size_t)c * (size_t)(g->oh * g->ow);
        for (int32_t oy = 0; oy < g->oh; ++oy) {
            const int32_t y0 = oy * g->sh - g->pt;
            const int32_t ya = (y0 > 0) ? y0 : 0;
            const int32_t yb = (y0 + g->kh < g->h) ? y0 + g->kh : g->h;
            for (int32_t ox = 0; ox < g->ow; ++ox) {
                const int32_t x0 = ox * g->sw - g->pl;
                const int32_t xa = (x0 > 0) ? x0 : 0;
                const int32_t xb = (x0 + g->kw < g->w) ? x0 + g->kw : g->w;
                int32_t acc = 0;
                if (ya >= yb || xa >= xb) {
                    yc[oy * g->ow + ox] = (int8_t)zp;
                    continue;
                }
                for (int32_t iy = ya; iy < yb; ++iy) {
                    for (int32_t ix = xa; ix < xb; ++ix) {
                        acc += xc[iy * g->w + ix];
                    }
                }
                acc = q8_rounded_div(acc, (yb - ya) * (xb - xa));
                yc[oy * g->ow + ox] = (int8_t)q8_clamp(acc, -128, 127);
            }
        }
    }
}
`,
	"q8_softmax": `/* Softmax over rows of count values (TFLite reference_ops::Softmax for int8, beta 1, output
 * scale 1/256 and zero point -128): exp of (x - max) in gemmlowp fixed point with 5 integer
 * bits, summed with 12, reciprocal by Newton-Raphson. */
static void k_q8_softmax(const int8_t *restrict x, int8_t *restrict y, const q8_elem_t *restrict p)
{
    for (int32_t r = 0; r < p->n; ++r) {
        const int8_t *restrict src = x + (size_t)r * (size_t)p->count;
        int8_t *restrict dst = y + (size_t)r * (size_t)p->count;
        int32_t max_in = -128;
        int32_t sum = 0;
        int32_t headroom, bits_over_unit, recip;
        for (int32_t i = 0; i < p->count; ++i) {
            max_in = (src[i] > max_in) ? src[i] : max_in;
        }
        for (int32_t i = 0; i < p->count; ++i) {
            const int32_t diff = (int32_t)src[i] - max_in;
            if (diff >= p->qlo) {
                const int32_t e = q8_exp_neg(q8_srdhm(q8_shl(diff, p->s1), p->m1), 5);
                sum = q8_wrap_add(sum, q8_smbp(e, -12));
            }
        }
        headroom = q8_clz((uint32_t)sum);
        bits_over_unit = 12 - headroom;
        recip = q8_one_over_one_plus_x((int32_t)(((uint32_t)sum << headroom) - 0x80000000u));
        for (int32_t i = 0; i < p->count; ++i) {
            const int32_t diff = (int32_t)src[i] - max_in;
            int32_t v = -128;
            if (diff >= p->qlo) {
                const int32_t e = q8_exp_neg(q8_srdhm(q8_shl(diff, p->s1), p->m1), 5);
                v = q8_clamp(q8_wrap_sub(q8_rdbp(q8_srdhm(recip, e), bits_over_unit + 31 - 8), 128), -128, 127);
            }
            dst[i] = (int8_t)v;
        }
    }
}
`,
	"q8_logistic": `/* Logistic (TFLite integer_ops/logistic.h): output scale 1/256, zero point -128. */
static void k_q8_logistic(const int8_t *restrict x, int8_t *restrict y, const q8_elem_t *restrict p)
{
    for (int32_t i = 0; i < p->n; ++i) {
        const int32_t v = (int32_t)x[i] - p->xz;
        int32_t out;
        if (v <= -p->qlo) {
            out = -128;
        } else if (v >= p->qlo) {
            out = 127;
        } else {
            const int32_t a = q8_mbqm(v, p->m1, p->s1);
            int32_t q0 = (int32_t)1 << 30;
            if (a != 0) {
                const int32_t abs_a = (a < 0) ? q8_wrap_sub(0, a) : a;
                const int32_t pos = q8_one_over_one_plus_x(q8_exp_neg(q8_wrap_sub(0, abs_a), 4));
                q0 = (a > 0) ? pos : q8_wrap_sub(INT32_MAX, pos);
            }
            out = q8_clamp(q8_wrap_sub(q8_rdbp(q0, 23), 128), -128, 127);
        }
        y[i] = (int8_t)out;
    }
}
`,
	"q8_tanh": `/* Tanh (TFLite integer_ops/tanh.h): output scale 1/128, zero point 0. */
static void k_q8_tanh(const int8_t *restrict x, int8_t *restrict y, const q8_elem_t *restrict p)
{
    for (int32_t i = 0; i < p->n; ++i) {
        const int32_t v = (int32_t)x[i] - p->xz;
        int32_t out;
        if (v <= -p->qlo) {
            out = -128;
        } else if (v >= p->qlo) {
            out = 127;
        } else {
            const int32_t a = q8_mbqm(v, p->m1, p->s1);
            int32_t q0 = 0;
            if (a != 0) {
                const int32_t n = (a < 0) ? a : q8_wrap_sub(0, a);
                const int32_t t = q8_one_minus_x_over_one_plus_x(q8_exp_neg(n, 5));
                q0 = (a < 0) ? q8_wrap_sub(0, t) : t;
            }
            out = q8_clamp(q8_rdbp(q0, 24), -128, 127);
        }
        y[i] = (int8_t)out;
    }
}
`,
	"q8_dense": `/* int8 fully connected: acc = bias' + sum_i w[n][i] * x[i], with the input zero point
 * folded into bias' = bias - zp_x * sum_i w[n][i]; requantized per output (channel). */
static void k_q8_dense(const int8_t *restrict x, int8_t *restrict y, const int8_t *restrict w,
                       const int32_t *restrict b, const int32_t *restrict mult,
                       const int32_t *restrict shift, const q8_dense_geom_t *restrict g)
{
    for (int32_t n = 0; n < g->n; ++n) {
        const int32_t c = (g->per_channel != 0) ? n : 0;
        const int32_t acc = b[n] + q8_dot(w + (size_t)n * (size_t)g->k, x, g->k);
        y[n] = (int8_t)q8_clamp(q8_wrap_add(q8_mbqm(acc, mult[c], shift[c]), g->yz), g->qlo, g->qhi);
    }
}
`,
	"q8_dense_csr": `/* int8 fully connected with sparse weights (CSR or relative-index CSR, int8 values; relative
 * fillers are zeros): acc = bias' + sum over stored entries, then requantized. */
static void k_q8_dense_SUFFIX(const int8_t *restrict x, int8_t *restrict y,
                                  const int8_t *restrict val, const IDX_T *restrict col,
                                  const PTR_T *restrict rowptr, const int32_t *restrict b,
                                  const int32_t *restrict mult, const int32_t *restrict shift,
                                  const q8_dense_geom_t *restrict g)
{
    for (int32_t n = 0; n < g->n; ++n) {
        const int32_t end = (int32_t)rowptr[n + 1];
        const int32_t pc = (g->per_channel != 0) ? n : 0;
        int32_t acc = b[n];
        int32_t j = (int32_t)rowptr[n];
        @COLINIT@
        for (; j + 4 <= end; j += 4) {
@STEP4@
        }
        for (; j < end; ++j) {
@STEP1@
        }
        y[n] = (int8_t)q8_clamp(q8_wrap_add(q8_mbqm(acc, mult[pc], shift[pc]), g->yz), g->qlo, g->qhi);
    }
}
`,
	"q8_dense_rcsr4": `/* int8 fully connected with 4-bit relative-index CSR weights (two gaps per byte, low nibble
 * first): both nibbles of a byte are decoded per iteration. */
static void k_q8_dense_SUFFIX(const int8_t *restrict x, int8_t *restrict y,
                                  const int8_t *restrict val, const uint8_t *restrict col,
                                  const PTR_T *restrict rowptr, const int32_t *restrict b,
                                  const int32_t *restrict mult, const int32_t *restrict shift,
                                  const q8_dense_geom_t *restrict g)
{
    for (int32_t n = 0; n < g->n; ++n) {
        const int32_t end = (int32_t)rowptr[n + 1];
        const int32_t pc = (g->per_channel != 0) ? n : 0;
        int32_t j = (int32_t)rowptr[n];
        int32_t c = -1;
        int32_t acc = b[n];
        if ((j & 1) != 0 && j < end) {
            c += (int32_t)(col[j >> 1] >> 4) + 1;
            acc += (int32_t)val[j] * (int32_t)x[c];
            ++j;
        }
        for (; j + 4 <= end; j += 4) {
            const uint32_t four = (uint32_t)col[j >> 1] | ((uint32_t)col[(j >> 1) + 1] << 8);
            c += (int32_t)(four & 15u) + 1;
            acc += (int32_t)val[j] * (int32_t)x[c];
            c += (int32_t)((four >> 4) & 15u) + 1;
            acc += (int32_t)val[j + 1] * (int32_t)x[c];
            c += (int32_t)((four >> 8) & 15u) + 1;
            acc += (int32_t)val[j + 2] * (int32_t)x[c];
            c += (int32_t)(four >> 12) + 1;
            acc += (int32_t)val[j + 3] * (int32_t)x[c];
        }
        for (; j + 2 <= end; j += 2) {
            const uint32_t two = col[j >> 1];
            c += (int32_t)(two & 15u) + 1;
            acc += (int32_t)val[j] * (int32_t)x[c];
            c += (int32_t)(two >> 4) + 1;
            acc += (int32_t)val[j + 1] * (int32_t)x[c];
        }
        if (j < end) {
            c += (int32_t)(col[j >> 1] & 15u) + 1;
            acc += (int32_t)val[j] * (int32_t)x[c];
        }
        y[n] = (int8_t)q8_clamp(q8_wrap_add(q8_mbqm(acc, mult[pc], shift[pc]), g->yz), g->qlo, g->qhi);
    }
}
`,
	"q8_conv_csr": `/* int8 convolution with sparse weights (CSR or relative-index CSR, int8 values): per output
 * position the kernel window is gathered into patch as in k_q8_conv, then every output channel
 * of the group sums its stored entries against the patch. */
static void k_q8_conv_SUFFIX(const int8_t *restrict x, int8_t *restrict y,
                                 const int8_t *restrict val, const IDX_T *restrict col,
                                 const PTR_T *restrict rowptr, const int32_t *restrict b,
                                 const int32_t *restrict mult, const int32_t *restrict shift,
                                 int8_t *restrict patch, const q8_conv_geom_t *restrict g)
{
    const int32_t cpg = g->c / g->groups;
    const int32_t mpg = g->m / g->groups;
    const int32_t hw = g->h * g->w;
    const int32_t plane = g->oh * g->ow;
    for (int32_t grp = 0; grp < g->groups; ++grp) {
        const int8_t *restrict xg = x + (size_t)grp * (size_t)(cpg * hw);
        for (int32_t oy = 0; oy < g->oh; ++oy) {
            for (int32_t ox = 0; ox < g->ow; ++ox) {
                const int8_t *restrict xp = patch;
                q8_gather(xg, patch, oy, ox, g);
                for (int32_t m = grp * mpg; m < (grp + 1) * mpg; ++m) {
                    const int32_t end = (int32_t)rowptr[m + 1];
                    const int32_t pc = (g->per_channel != 0) ? m : 0;
                    int32_t acc = b[m];
                    int32_t j = (int32_t)rowptr[m];
                    @COLINIT@
                    for (; j + 4 <= end; j += 4) {
@STEP4@
                    }
                    for (; j < end; ++j) {
@STEP1@
                    }
                    y[(size_t)m * (size_t)plane + (size_t)(oy * g->ow + ox)] =
                        (int8_t)q8_clamp(q8_wrap_add(q8_mbqm(acc, mult[pc], shift[pc]), g->yz), g->qlo, g->qhi);
                }
            }
        }
    }
}
`,
	"q8_conv": `/* int8 convolution with groups (depthwise included), per-channel requantization. For each
 * output position the kernel window of one group is gathered into patch, taps outside the
 * input set to the input zero point (so they add nothing, as in TFLite), and every output
 * channel of the group is one dot product with its weight row:
 * acc = b' + sum w * patch, with b' = bias - zp_x * sum w folded at generation. */
static void k_q8_conv(const int8_t *restrict x, int8_t *restrict y, const int8_t *restrict w,
                        const int32_t *restrict b, const int32_t *restrict mult,
                        const int32_t *restrict shift, int8_t *restrict patch,
                        const q8_conv_geom_t *restrict g)
{
    const int32_t cpg = g->c / g->groups;
    const int32_t mpg = g->m / g->groups;
    const int32_t kk = cpg * g->kh * g->kw;
    const int32_t hw = g->h * g->w;
    const int32_t plane = g->oh * g->ow;
    for (int32_t grp = 0; grp < g->groups; ++grp) {
        const int8_t *restrict xg = x + (size_t)grp * (size_t)(cpg * hw);
        for (int32_t oy = 0; oy < g->oh; ++oy) {
            for (int32_t ox = 0; ox < g->ow; ++ox) {
                q8_gather(xg, patch, oy, ox, g);
                for (int32_t m = grp * mpg; m < (grp + 1) * mpg; ++m) {
                    const int32_t pc = (g->per_channel != 0) ? m : 0;
                    const int32_t acc = b[m] + q8_dot(w + (size_t)m * (size_t)kk, patch, kk);
                    y[(size_t)m * (size_t)plane + (size_t)(oy * g->ow + ox)] =
                        (int8_t)q8_clamp(q8_wrap_add(q8_mbqm(acc, mult[pc], shift[pc]), g->yz), g->qlo, g->qhi);
                }
            }
        }
    }
}
`,
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

func init() {
	// Code size assumptions (see codesize.go), TriCore -O2 guesses, helpers included once per
	// kernel that inlines them.
	for k, v := range map[string]int{
		"q8_in": 60, "q8_out": 40, "q8_quantize": 120, "q8_dequantize": 60, "q8_copy": 40,
		"q8_clamp": 140, "q8_addsub": 260, "q8_mul": 180, "q8_mean": 200, "q8_maxpool": 260,
		"q8_avgpool": 300, "q8_softmax": 1100, "q8_logistic": 900, "q8_tanh": 900,
		"q8_dense": 420, "q8_dense_csr": 220, "q8_dense_rcsr": 240, "q8_conv": 600, "q8_conv_csr": 520, "q8_conv_rcsr": 540,
	} {
		kernelCodeBytes[k] = v
	}
}
