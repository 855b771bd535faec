package codegen

// q8ConvKernels are the C sources of the int8 convolution kernels, dense and sparse (see q8Kernels).
var q8ConvKernels = map[string]string{
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
