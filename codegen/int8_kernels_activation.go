package codegen

// q8ActivationKernels are the C sources of the int8 transcendental activations, on the fixed-point helpers (cQ8FixedPoint) (see q8Kernels).
var q8ActivationKernels = map[string]string{
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
}
