package codegen

import (
	"fmt"
	"math"

	"github.com/tcdse/tcdse/model"
)

// Int8 LeakyRelu and HardSwish, bit for bit with model/int8_extra.go (TFLite's
// reference_ops::QuantizeLeakyRelu and reference_ops::HardSwish). The parameters are computed
// here exactly as the interpreter computes them and passed in a q8_elem_t:
//
//	LeakyRelu: m1, s1 = multiplier and shift for inputs >= zp (s_x/s_y), m2, s2 for inputs
//	           below (alpha·s_x/s_y in float32).
//	HardSwish: m1, s1 = the 16-bit output multiplier and its exponent, m2, s2 = the 16-bit
//	           "reluish" multiplier and its exponent.

func init() {
	q8Kernels["q8_leaky_relu"] = `/* LeakyRelu (TFLite reference_ops::QuantizeLeakyRelu): inputs at or above the zero point are
 * requantized with (m1, s1), those below with (m2, s2) = alpha * s_x / s_y. */
static void k_q8_leaky_relu(const int8_t *restrict x, int8_t *restrict y, const q8_elem_t *restrict p)
{
    for (int32_t i = 0; i < p->n; ++i) {
        const int32_t v = (int32_t)x[i] - p->xz;
        const int32_t r = (v >= 0) ? q8_mbqm(v, p->m1, p->s1) : q8_mbqm(v, p->m2, p->s2);
        y[i] = (int8_t)q8_clamp(q8_wrap_add(p->yz, r), -128, 127);
    }
}
`
	q8Kernels["q8_hard_swish"] = `/* int16 gemmlowp helpers of HardSwish. Rounding doubling high multiply: round(a * b / 2^15),
 * ties away from zero; INT16_MIN^2 saturates. */
static inline int32_t q8_srdhm16(int32_t a, int32_t b)
{
    int32_t ab;
    if (a == b && a == -32768) {
        return 32767;
    }
    ab = a * b;
    return (ab + ((ab >= 0) ? (1 << 14) : (1 - (1 << 14)))) / (1 << 15);
}

/* Doubling high multiply truncated toward zero: a * b / 2^15. */
static inline int32_t q8_sdhm16(int32_t a, int32_t b)
{
    if (a == b && a == -32768) {
        return 32767;
    }
    return (a * b) / (1 << 15);
}

/* Saturating left shift of an int16 value, e in [0, 31]. */
static inline int32_t q8_sls16(int32_t v, int32_t e)
{
    const int64_t r = (int64_t)v * ((int64_t)1 << e);
    return (r < -32768) ? -32768 : ((r > 32767) ? 32767 : (int32_t)r);
}

/* RoundingDivideByPOT on int16, including gemmlowp's behaviour for exponents of 16 or more
 * (the mask truncated to 16 bits). */
static inline int32_t q8_rdbp16(int32_t x, int32_t e)
{
    const int32_t mask = (e >= 16) ? -1 : ((1 << e) - 1);
    const int32_t rem = x & mask;
    const int32_t thr = (mask >> 1) + ((x < 0) ? 1 : 0);
    return (x >> ((e > 31) ? 31 : e)) + ((rem > thr) ? 1 : 0);
}

/* Wraps an int32 value to int16 like a C++ int16_t conversion. */
static inline int32_t q8_wrap16(int32_t v)
{
    const int32_t u = (int32_t)((uint32_t)v & 0xffffu);
    return (u >= 32768) ? u - 65536 : u;
}

/* HardSwish (TFLite reference_ops::HardSwish): x * relu6(x + 3) / 6 in 16-bit fixed point.
 * m1, s1: output multiplier and exponent (s1 <= 0); m2, s2: reluish multiplier and exponent. */
static void k_q8_hard_swish(const int8_t *restrict x, int8_t *restrict y, const q8_elem_t *restrict p)
{
    for (int32_t i = 0; i < p->n; ++i) {
        const int32_t hires = ((int32_t)x[i] - p->xz) * 128;
        const int32_t preshift_out = q8_srdhm16(hires, p->m1);
        int32_t reluish = hires;
        int32_t v;
        if (p->s2 > 0) {
            reluish = q8_sls16(reluish, p->s2 - 1);
        }
        reluish = q8_srdhm16(reluish, p->m2);
        if (p->s2 > 0) {
            reluish = q8_sls16(reluish, 1);
        }
        if (p->s2 < 0) {
            reluish = q8_rdbp16(reluish, -p->s2);
        }
        reluish = (reluish + 32768) >> 1;
        v = q8_rdbp16(q8_sdhm16(reluish, preshift_out), -p->s1);
        y[i] = (int8_t)q8_clamp(q8_wrap16(v + p->yz), -128, 127);
    }
}
`
	kernelCodeBytes["q8_leaky_relu"] = 160
	kernelCodeBytes["q8_hard_swish"] = 300
}

// planQ8Unary precomputes the parameters of an int8 LeakyRelu or HardSwish node.
func planQ8Unary(ls *layerState) error {
	n, q, lp := ls.node, ls.q8, ls.plan
	lp.Kind = KindElementwise
	lp.Ops = lp.Outputs
	fail := func(format string, args ...any) error {
		return fmt.Errorf("codegen: node %q (%s, int8): %s", n.Name, n.Op, fmt.Sprintf(format, args...))
	}
	switch n.Op {
	case model.OpLeakyRelu:
		if a := float64(n.Attrs.Alpha); math.IsNaN(a) || math.IsInf(a, 0) {
			return fail("alpha %v has no C kernel", n.Attrs.Alpha)
		}
		alphaReal := float32(q.in.scale*n.Attrs.Alpha) / q.out.scale
		ma, sa := model.QuantizeMultiplier(float64(alphaReal))
		mi, si := model.QuantizeMultiplier(float64(q.in.scale / q.out.scale))
		q.mult, q.shift = []int32{mi}, []int32{int32(si)}
		q.mult2, q.shift2 = ma, int32(sa)
		for _, s := range []int{si, sa} {
			if s < -31 || s > 31 {
				return fail("requantization shift %d outside [-31, 31]", s)
			}
		}
	case model.OpHardSwish:
		hiresInScale := float32(1.0/128.0) * q.in.scale
		const reluishScale = float32(3.0 / 32768.0)
		m, e := model.QuantizeMultiplier(float64(hiresInScale / q.out.scale))
		if e > 0 {
			return fail("int8 HardSwish needs output scale >= input scale/256 (TFLite's limit), got input %v, output %v", q.in.scale, q.out.scale)
		}
		q.mult, q.shift = []int32{int32(q8DownScale16(m))}, []int32{int32(e)}
		m, e = model.QuantizeMultiplier(float64(hiresInScale / reluishScale))
		if e > 32 || e < -31 {
			return fail("reluish exponent %d outside [-31, 32]", e)
		}
		q.mult2, q.shift2 = int32(q8DownScale16(m)), int32(e)
	default:
		return fail("operator has no int8 C kernel")
	}
	return nil
}

// q8DownScale16 is TFLite's DownScaleInt32ToInt16Multiplier (model/int8_extra.go): the 31-bit
// fixed-point multiplier rounded to its top 15 bits.
func q8DownScale16(m int32) int16 {
	const roundingOffset = 1 << 15
	if m >= math.MaxInt32-roundingOffset {
		return math.MaxInt16
	}
	return int16((m + roundingOffset) >> 16)
}
