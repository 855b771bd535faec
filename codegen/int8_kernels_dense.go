package codegen

// q8DenseKernels are the C sources of the int8 fully connected kernels, dense and sparse (see q8Kernels).
var q8DenseKernels = map[string]string{
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
}
