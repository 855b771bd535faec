package codegen

// q8ElementwiseKernels are the C sources of the int8 kernels that map elements (or reduce a trailing run): boundaries, quantize and dequantize, copy, clamp, add/sub, mul, mean (see q8Kernels).
var q8ElementwiseKernels = map[string]string{
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
}
