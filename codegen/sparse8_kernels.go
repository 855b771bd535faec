package codegen

import (
	"fmt"
	"strings"
)

// C sources of the sparse8 kernels (format: sparse8_format.go). Both walk one entry stream
// with a pointer, a group of G entries per iteration (G values, then their G columns; G = 8
// in the one-block Dense kernel, 4 in the others, which trade a little speed for code size),
// then the remaining entries as groups of 4, 2 and 1 under one bit test each, so there is no
// per-entry branch and no row pointer. Terms are summed in int32 exactly (planQ8Weights
// bounds every partial sum), so their order does not change the result; the requantization
// is that of k_q8_dense and k_q8_conv.

// sparse8Steps returns the C code shared by both kernels, indented by indent: the entries of
// one row of the weight matrix summed into acc against xb[OFF(column)], block by block,
// advancing e (the entry stream) and k (the counts). base is the block's input pointer
// expression, ob the declaration of the block's offset table ("" for none) and group the
// entries per loop iteration (4 or 8).
func sparse8Steps(indent, base, ob string, blocked bool, group int, off func(string) string) string {
	// terms sums entries lo..hi-1 of a group of n: value j at e[j], its column at e[n+j].
	terms := func(n, lo, hi int) string {
		var t []string
		for i := lo; i < hi; i++ {
			t = append(t, fmt.Sprintf("(int32_t)e[%d] * (int32_t)xb[%s]", i, off(fmt.Sprintf("(uint8_t)e[%d]", n+i))))
		}
		var out []string
		for i := 0; i < len(t); i += 2 {
			out = append(out, strings.Join(t[i:min(i+2, len(t))], " + "))
		}
		return strings.Join(out, "\n"+indent+"             + ")
	}
	var b strings.Builder
	line := func(format string, args ...any) { b.WriteString(indent + fmt.Sprintf(format, args...) + "\n") }
	if !blocked {
		// One block: the same code without the block loop, one level less indented.
		inner := sparse8Steps(indent+"    ", base, ob, true, group, off)
		lines := strings.Split(inner, "\n")
		lines = lines[1 : len(lines)-1]
		for i, l := range lines {
			lines[i] = strings.Replace(l, indent+"    ", indent, 1)
		}
		return strings.Join(lines, "\n")
	}
	line("for (int32_t blk = 0; blk < blocks; ++blk) {")
	line("    const int8_t *restrict xb = %s;", base)
	if ob != "" {
		line("    %s", ob)
	}
	line("    const int32_t cnt = *k++;")
	line("    const int8_t *restrict end = e + 2 * (cnt & ~%d);", group-1)
	line("    for (; e < end; e += %d) {", 2*group)
	for i := 0; i < group; i += 4 {
		line("        acc += %s;", terms(group, i, i+4))
	}
	line("    }")
	for n := group / 2; n >= 1; n /= 2 {
		line("    if ((cnt & %d) != 0) {", n)
		line("        acc += %s;", terms(n, 0, n))
		line("        e += %d;", 2*n)
		line("    }")
	}
	line("}")
	return strings.TrimSuffix(b.String(), "\n")
}

// cSparse8Requant is each kernel's requantization (NAME: the kernel's name).
const cSparse8Requant = `/* q8_mbqm(acc, m, s) for m >= 0 (the generator checks it) with left = max(s, 0),
 * right = max(-s, 0) and round = right > 0 ? 2^(right-1) : 0, in fewer operations: without
 * saturation (m != INT32_MIN) gemmlowp's SaturatingRoundingDoublingHighMul is exactly
 * (x*m + 2^30) >> 31, and RoundingDivideByPOT by 2^right is (h + round - (h < 0)) >> right (right > 0). */
static inline int32_t NAME_rq(int32_t acc, int32_t m, int32_t left, int32_t right, int64_t round)
{
    const int64_t h = ((int64_t)q8_shl(acc, left) * (int64_t)m + ((int64_t)1 << 30)) >> 31;
    return (int32_t)((h + round - (int64_t)(((uint64_t)h >> 63) & (uint64_t)(round != 0))) >> right);
}

`

const cQ8DenseSparse8 = `@RQ@/* int8 fully connected, sparse8 weights: per row and block of 255 columns a count, then the
 * entries: int8 values and uint8 columns within the block (sparse8_format.go). acc = bias' + sum of the stored
 * w * x (the input zero point is folded into bias'), requantized per output (channel). */
static void k_q8_dense_sparse8(const int8_t *restrict x, int8_t *restrict y, const int8_t *restrict ent,
                               const uint8_t *restrict count,
                               const int32_t *restrict b, const int32_t *restrict mult,
                               const int32_t *restrict shift, const q8_dense_geom_t *restrict g)
{
@BLOCKS@    const int32_t blocks = (g->k + 254) / 255;
    const int8_t *restrict e = ent;
    const uint8_t *restrict k = count;
    const int32_t per_channel = g->per_channel, yz = g->yz, qlo = g->qlo, qhi = g->qhi;
    int32_t rq_m = mult[0];
    int32_t rq_left = (shift[0] > 0) ? shift[0] : 0;
    int32_t rq_right = (shift[0] > 0) ? 0 : -shift[0];
    int64_t rq_round = (rq_right > 0) ? ((int64_t)1 << (rq_right - 1)) : 0;
    for (int32_t n = 0; n < g->n; ++n) {
        int32_t acc = b[n];
        if (per_channel != 0) {
            rq_m = mult[n];
            rq_left = (shift[n] > 0) ? shift[n] : 0;
            rq_right = (shift[n] > 0) ? 0 : -shift[n];
            rq_round = (rq_right > 0) ? ((int64_t)1 << (rq_right - 1)) : 0;
        }
@STEPS@
        y[n] = (int8_t)q8_clamp(q8_wrap_add(k_q8_dense_sparse8_rq(acc, rq_m, rq_left, rq_right, rq_round), yz), qlo, qhi);
    }
}
`

const cQ8ConvSparse8 = `@RQ@/* int8 convolution, sparse8 weights (row m = output channel, columns (ci, ky, kx) of one
 * group). Where the kernel window lies inside the input the entries read the input directly
 * at tap[column] from the window origin; elsewhere the window is gathered into patch (padding
 * = the input zero point) and read through ident, the identity (NULL when every window lies
 * inside). acc = bias' + sum of the stored w * x, requantized per output channel. */
static void k_q8_conv_sparse8(const int8_t *restrict x, int8_t *restrict y, const int8_t *restrict ent,
                              const uint8_t *restrict count,
                              const uint16_t *restrict tap, const uint16_t *restrict ident,
                              const int32_t *restrict b, const int32_t *restrict mult,
                              const int32_t *restrict shift, int8_t *restrict patch,
                              const q8_conv_geom_t *restrict g)
{
    const int32_t cpg = g->c / g->groups;
    const int32_t mpg = g->m / g->groups;
@BLOCKS@    const int32_t blocks = (cpg * g->kh * g->kw + 254) / 255;
    const int32_t hw = g->h * g->w;
    const int32_t plane = g->oh * g->ow;
    const int8_t *restrict eg = ent;
    const uint8_t *restrict kg = count;
    for (int32_t grp = 0; grp < g->groups; ++grp) {
        const int8_t *restrict xg = x + (size_t)grp * (size_t)(cpg * hw);
        const int8_t *restrict e = eg;
        const uint8_t *restrict k = kg;
        for (int32_t oy = 0; oy < g->oh; ++oy) {
            for (int32_t ox = 0; ox < g->ow; ++ox) {
                const int8_t *restrict base;
                const uint16_t *restrict off;
                if (oy >= g->oy_lo && oy < g->oy_hi && ox >= g->ox_lo && ox < g->ox_hi) {
                    base = xg + (size_t)((oy * g->sh - g->pt) * g->w + (ox * g->sw - g->pl));
                    off = tap;
                } else {
                    q8_gather(xg, patch, oy, ox, g);
                    base = patch;
                    off = ident;
                }
                e = eg;
                k = kg;
                for (int32_t m = grp * mpg; m < (grp + 1) * mpg; ++m) {
                    const int32_t pc = (g->per_channel != 0) ? m : 0;
                    const int32_t right = (shift[pc] > 0) ? 0 : -shift[pc];
                    int32_t acc = b[m];
@STEPS@
                    acc = k_q8_conv_sparse8_rq(acc, mult[pc], (shift[pc] > 0) ? shift[pc] : 0, right,
                                               (right > 0) ? ((int64_t)1 << (right - 1)) : 0);
                    y[(size_t)m * (size_t)plane + (size_t)(oy * g->ow + ox)] =
                        (int8_t)q8_clamp(q8_wrap_add(acc, g->yz), g->qlo, g->qhi);
                }
            }
        }
        eg = e;
        kg = k;
    }
}
`

// sparse8Blocks1 keeps the lines marked @BLOCKS@ (unmarked) in a blocked kernel and drops
// them from a one-block kernel.
func sparse8Blocks1(src string, blocked bool) string {
	lines := strings.Split(src, "\n")
	out := lines[:0]
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "@BLOCKS@"); ok {
			if !blocked {
				continue
			}
			l = rest
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func init() {
	rq := func(name string) string { return strings.ReplaceAll(cSparse8Requant, "NAME", name) }
	for _, blocked := range []bool{false, true} {
		dense, conv := "q8_dense_sparse8", "q8_conv_sparse8"
		denseBase, convBase, ob := "x", "base", "const uint16_t *restrict ob = off;"
		if blocked {
			dense, conv = dense+"_blocked", conv+"_blocked"
			denseBase, ob = "x + 255 * blk", "const uint16_t *restrict ob = off + 255 * blk;"
		}
		denseSteps := sparse8Steps("        ", denseBase, "", blocked, sparse8Group(false, blocked), func(c string) string { return c })
		convSteps := sparse8Steps("                    ", convBase, ob, blocked, sparse8Group(true, blocked),
			func(c string) string { return "ob[" + c + "]" })
		q8Kernels[dense] = sparse8Blocks1(strings.NewReplacer("@RQ@", rq("k_"+dense), "@STEPS@", denseSteps,
			"k_q8_dense_sparse8", "k_"+dense).Replace(cQ8DenseSparse8), blocked)
		q8Kernels[conv] = sparse8Blocks1(strings.NewReplacer("@RQ@", rq("k_"+conv), "@STEPS@", convSteps,
			"k_q8_conv_sparse8", "k_"+conv).Replace(cQ8ConvSparse8), blocked)
	}
	// Code size assumptions (codesize.go), TriCore -O2 guesses.
	kernelCodeBytes["q8_dense_sparse8"] = 300
	kernelCodeBytes["q8_dense_sparse8_blocked"] = 340
	kernelCodeBytes["q8_conv_sparse8"] = 620
	kernelCodeBytes["q8_conv_sparse8_blocked"] = 660
}
