package codegen

// q8PoolKernels are the C sources of the int8 pooling kernels (see q8Kernels).
var q8PoolKernels = map[string]string{
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
}
