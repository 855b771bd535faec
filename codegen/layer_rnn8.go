package codegen

import (
	"fmt"
	"math"

	"github.com/tcdse/tcdse/model"
)

// Int8 RNN, LSTM and GRU layers, bit for bit with the interpreter's int8 recurrent kernels
// (model/int8_rnn.go and model/int8_rnn_fixed16.go: TFLite's integer LSTM scheme, int8 input,
// hidden state and weights, int16 gate pre-activations and cell state, gemmlowp's 16-bit
// logistic and tanh). Every fixed-point parameter is computed here as the interpreter computes
// it and stored next to the weights:
//
//   - <prefix>_<id>_w and _r: the int8 weights W [G·H, I] and R [G·H, H], row-major;
//   - <prefix>_<id>_rows: six int32 per gate row: the effective input bias (Wb with the input
//     zero point folded in), the input multiplier and shift to the gate format, then the same
//     three for the recurrent part (Rb with the hidden zero point folded in);
//   - <prefix>_<id>_h0 (int8) and _c0 (int16): the quantized initial states, when the node has
//     them (else the kernel starts from the hidden zero point and a zero cell).
//
// The kernel's state lives in an arena buffer (the node's "#scratch", live only at the node):
// the hidden state and the step's new hidden state (int8, H each), plus the int16 cell state
// (LSTM) or the requantized r ⊙ h and the update gates (GRU without linear_before_reset). The
// arena is byte-addressed here; the int16 entries are read and written with memcpy, so the
// float-typed arena is never accessed through an int16 lvalue.
//
// The C holds int16 values in int32_t and wraps with q8r_wrap16 where the reference's
// arithmetic is int16; every product and sum that is int32 in the reference is shown in
// range, or wraps through q8_wrap_add as the reference does. Every accumulation W·x + b is
// checked at generation time to fit int32, so C's exact sum equals the reference's wrapping one.

// cRNN8Common is the shared part of the int8 recurrent kernels: the parameter table, the int16
// fixed-point logistic and tanh, and the gate pre-activations. It needs cQ8Helpers.
const cRNN8Common = `/* Int8 RNN, LSTM and GRU (TFLite's integer LSTM scheme, model/int8_rnn.go). */
typedef struct {
    int32_t t, i, h;        /* time steps, input features, hidden size */
    int32_t sequence;       /* nonzero: output every hidden state [t][h], else the last [h] */
    int32_t hz;             /* zero point of the hidden state (the output) */
    int32_t out_m, out_s;   /* hidden state multiplier and shift (LSTM 2^-30/s_h, RNN 2^-15/s_h, GRU 1/s_h) */
    int32_t cell_bits;      /* LSTM: integer bits of the int16 cell state */
    int32_t cell_clip;      /* LSTM: > 0 clamps the cell state to [-cell_clip, cell_clip] */
    int32_t lbr;            /* GRU: linear_before_reset */
    int32_t gate_bits[4];   /* integer bits k of each gate's int16 Qk.(15-k) pre-activation */
    int32_t gate_clip[4];   /* > 0 clamps a gate's pre-activation to [-clip, clip] */
} q8_rnn_geom_t;

/* The int16 value of v's low 16 bits, as a conversion to int16_t wraps in the reference. */
static inline int32_t q8r_wrap16(int32_t v)
{
    return (int32_t)(((uint32_t)v & 0xffffu) ^ 0x8000u) - 0x8000;
}

static inline int32_t q8r_sat16(int32_t v)
{
    return q8_clamp(v, -32768, 32767);
}

/* gemmlowp's SaturatingRoundingDoublingHighMul on int16: round(a * b / 2^15), ties away from
 * zero; INT16_MIN^2 saturates. The product fits int32 and the result int16. */
static inline int32_t q8r_srdhm16(int32_t a, int32_t b)
{
    int32_t ab;
    if (a == b && a == -32768) {
        return 32767;
    }
    ab = a * b;
    return (ab + ((ab >= 0) ? (1 << 14) : (1 - (1 << 14)))) / (1 << 15);
}

/* gemmlowp's SaturatingRoundingMultiplyByPOT on int16, e in [-15, 14]: a rounding right shift
 * for e <= 0 (q8_rdbp agrees with the int16 version on sign-extended values), else a saturating
 * left shift. */
static inline int32_t q8r_smbp16(int32_t x, int32_t e)
{
    int32_t thr;
    if (e <= 0) {
        return q8_rdbp(x, -e);
    }
    thr = (1 << (15 - e)) - 1;
    if (x > thr) {
        return 32767;
    }
    if (x < -thr) {
        return -32768;
    }
    return x * (1 << e);
}

/* exp(a) for a in [-1/4, 0), Q0.15 in and out. The constants are gemmlowp's 32-bit ones
 * rounded to 16 bits (RescaleConstantInitializer): exp(-1/8) 1895147668, 1/3 715827883,
 * 1/8 2^28. */
static int32_t q8r_exp_quarter16(int32_t a)
{
    const int32_t constant_term = 28918;
    const int32_t one_third = 10923;
    const int32_t x = q8r_wrap16(a + 4096);
    const int32_t x2 = q8r_srdhm16(x, x);
    const int32_t x3 = q8r_srdhm16(x2, x);
    const int32_t x4 = q8r_srdhm16(x2, x2);
    const int32_t x4_over_4 = q8_rdbp(x4, 2);
    const int32_t poly = q8_rdbp(q8r_wrap16(q8r_srdhm16(q8r_wrap16(x4_over_4 + x3), one_third) + x2), 1);
    return q8r_wrap16(constant_term + q8r_srdhm16(constant_term, q8r_wrap16(x + poly)));
}

/* gemmlowp's exp_on_negative_values on int16: exp(a) for a <= 0 with bits integer bits (1 to
 * 12), Q0.15 result. The barrel multipliers exp(-2^e), e = -2 ... 4, are gemmlowp's 32-bit
 * constants rounded to 16 bits. */
static int32_t q8r_exp_neg16(int32_t a, int32_t bits)
{
    static const int32_t barrel[7] = {25520, 19875, 12055, 4435, 600, 11, 0};
    const int32_t frac = 15 - bits;
    const int32_t one_quarter = 1 << (frac - 2);
    const int32_t a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter;
    const int32_t rem = q8r_wrap16(a_mod_quarter_minus_quarter - a);
    int32_t result = q8r_exp_quarter16(q8r_smbp16(a_mod_quarter_minus_quarter, bits));
    for (int32_t k = 0; k < 7; ++k) {
        const int32_t e = k - 2;
        if (bits > e && (rem & (1 << (frac + e))) != 0) {
            result = q8r_srdhm16(result, barrel[k]);
        }
    }
    if (bits > 5 && a < -(1 << (20 - bits))) { /* below -32 */
        result = 0;
    }
    if (a == 0) {
        result = 32767;
    }
    return result;
}

/* The Newton-Raphson division of gemmlowp's one_over_one_plus_x and
 * one_minus_x_over_one_plus_x on int16: 2 / (1 + a) in Q2.13 for a in Q0.15 (constants 48/17
 * 1515870810 and -32/17 -1010580540 rounded to 16 bits). */
static int32_t q8r_newton16(int32_t a)
{
    const int32_t sum = a + 32767;
    const int32_t half_denominator = (sum + ((sum < 0) ? -1 : 1)) / 2;
    int32_t x = q8r_wrap16(23130 + q8r_srdhm16(half_denominator, -15420));
    for (int32_t k = 0; k < 3; ++k) {
        const int32_t one_minus = q8r_wrap16(8192 - q8r_srdhm16(half_denominator, x));
        x = q8r_wrap16(x + q8r_smbp16(q8r_srdhm16(x, one_minus), 2));
    }
    return x;
}

/* tanh(x) for x a Qk.(15-k) value with k = bits, as a Q0.15 value (model.Int16Tanh). */
static int32_t q8r_tanh16(int32_t x, int32_t bits)
{
    int32_t t;
    bits = q8_clamp(bits, 0, 11);
    if (x == 0) {
        return 0;
    }
    t = q8r_exp_neg16((x > 0) ? -x : x, bits + 1);
    t = q8r_smbp16(q8r_wrap16(q8r_newton16(t) - 8192), 2);
    return (x < 0) ? q8r_wrap16(-t) : t;
}

/* Reads and writes entry j of an int16 array kept in the byte-addressed arena. */
static inline int32_t q8r_load16(const int8_t *restrict base, int32_t j)
{
    int16_t v;
    memcpy(&v, base + 2 * (size_t)j, sizeof v);
    return v;
}

static inline void q8r_store16(int8_t *restrict base, int32_t j, int32_t v)
{
    const int16_t s = (int16_t)v;
    memcpy(base + 2 * (size_t)j, &s, sizeof s);
}

/* The input part of gate row row, in the gate format and saturated to int16: the effective
 * bias plus W[row] x, rescaled (p holds six int32 per row: input bias, multiplier, shift, then
 * the recurrent ones). */
static inline int32_t q8r_input(const int8_t *restrict w, const int32_t *restrict p, const int8_t *restrict x,
                                int32_t row, int32_t n)
{
    const int32_t *restrict q = p + 6 * (size_t)row;
    return q8r_sat16(q8_mbqm(q[0] + q8_dot(w + (size_t)row * (size_t)n, x, n), q[1], q[2]));
}

/* The recurrent part of gate row row for the int8 vector h, in the gate format (not
 * saturated). */
static inline int32_t q8r_recurrent(const int8_t *restrict r, const int32_t *restrict p, const int8_t *restrict h,
                                    int32_t row, int32_t n)
{
    const int32_t *restrict q = p + 6 * (size_t)row;
    return q8_mbqm(q[3] + q8_dot(r + (size_t)row * (size_t)n, h, n), q[4], q[5]);
}

/* v limited to [-clip, clip]; a zero clip leaves v unchanged. */
static inline int32_t q8r_clip(int32_t v, int32_t clip)
{
    return (clip > 0) ? q8_clamp(v, -clip, clip) : v;
}

/* The pre-activation of gate gate, unit j: the recurrent part plus the saturated input part
 * (an int32 sum that wraps as in the reference), saturated to int16, then the gate clip. */
static inline int32_t q8r_pre(const int8_t *restrict w, const int8_t *restrict r, const int32_t *restrict p,
                              const int8_t *restrict x, const int8_t *restrict h, int32_t gate, int32_t j,
                              const q8_rnn_geom_t *restrict g)
{
    const int32_t row = gate * g->h + j;
    const int32_t v = q8_wrap_add(q8r_recurrent(r, p, h, row, g->h), q8r_input(w, p, x, row, g->i));
    return q8r_clip(q8r_sat16(v), g->gate_clip[gate]);
}

/* Starts the hidden state from h0, or from the zero point when h0 is NULL. */
static inline void q8r_init_h(int8_t *restrict h, const int8_t *restrict h0, const q8_rnn_geom_t *restrict g)
{
    for (int32_t j = 0; j < g->h; ++j) {
        h[j] = (h0 != NULL) ? h0[j] : (int8_t)g->hz;
    }
}

/* Ends step t: the new state hn becomes h and, for a sequence output, row t of y. */
static inline void q8r_end_step(int8_t *restrict h, const int8_t *restrict hn, int8_t *restrict y, int32_t t,
                                const q8_rnn_geom_t *restrict g)
{
    memcpy(h, hn, (size_t)g->h);
    if (g->sequence != 0) {
        memcpy(y + (size_t)t * (size_t)g->h, h, (size_t)g->h);
    }
}
`

// cRNN8Sigmoid is the int16 logistic function, which the LSTM and GRU kernels use.
const cRNN8Sigmoid = `/* The logistic function of x, a Qk.(15-k) value with k = bits, as a Q0.15 value (TFLite's
 * PortableApplySigmoid for k = 3; model.Int16Sigmoid). */
static int32_t q8r_sigmoid16(int32_t x, int32_t bits)
{
    int32_t abs_x;
    int32_t positive;
    bits = q8_clamp(bits, 0, 12);
    if (x == 0) {
        return 16384;
    }
    abs_x = (x < 0) ? q8r_wrap16(-x) : x; /* -INT16_MIN wraps and stays negative */
    positive = q8r_smbp16(q8r_newton16(q8r_exp_neg16(q8r_wrap16(-abs_x), bits)), 1);
    return (x > 0) ? positive : q8r_wrap16(32767 - positive);
}
`

// cQ8LSTM is the int8 LSTM kernel (gate order i, o, f, c).
const cQ8LSTM = `/* Int8 LSTM, gate order i, o, f, c. scratch: h and the new h (int8, h each), then the int16
 * cell state (2h bytes). */
static void k_q8_lstm(const int8_t *restrict x, int8_t *restrict y, const int8_t *restrict w,
                      const int8_t *restrict r, const int32_t *restrict p, const int8_t *restrict h0,
                      const int16_t *restrict c0, int8_t *restrict scratch, const q8_rnn_geom_t *restrict g)
{
    const int32_t nh = g->h;
    int8_t *restrict h = scratch;
    int8_t *restrict hn = scratch + nh;
    int8_t *restrict cell = scratch + 2 * nh;
    q8r_init_h(h, h0, g);
    for (int32_t j = 0; j < nh; ++j) {
        q8r_store16(cell, j, (c0 != NULL) ? c0[j] : 0);
    }
    for (int32_t t = 0; t < g->t; ++t) {
        const int8_t *restrict xt = x + (size_t)t * (size_t)g->i;
        for (int32_t j = 0; j < nh; ++j) {
            /* Gate values are Q0.15 in [-32767, 32767]: every product below fits int32. */
            const int32_t ig = q8r_sigmoid16(q8r_pre(w, r, p, xt, h, 0, j, g), g->gate_bits[0]);
            const int32_t og = q8r_sigmoid16(q8r_pre(w, r, p, xt, h, 1, j, g), g->gate_bits[1]);
            const int32_t fg = q8r_sigmoid16(q8r_pre(w, r, p, xt, h, 2, j, g), g->gate_bits[2]);
            const int32_t cg = q8r_tanh16(q8r_pre(w, r, p, xt, h, 3, j, g), g->gate_bits[3]);
            const int32_t fc = q8r_wrap16(q8_rdbp(fg * q8r_load16(cell, j), 15));
            const int32_t ic = q8r_wrap16(q8_rdbp(ig * cg, 15 + g->cell_bits));
            const int32_t c = q8r_clip(q8r_sat16(fc + ic), g->cell_clip);
            const int32_t o = q8_mbqm(og * q8r_tanh16(c, g->cell_bits), g->out_m, g->out_s);
            q8r_store16(cell, j, c);
            hn[j] = (int8_t)q8_clamp(q8_wrap_add(o, g->hz), -128, 127);
        }
        q8r_end_step(h, hn, y, t, g);
    }
    if (g->sequence == 0) {
        memcpy(y, h, (size_t)nh);
    }
}
`

// cQ8GRU is the int8 GRU kernel (gate order z, r, h).
const cQ8GRU = `/* The GRU update of unit j: h' = (1 - z) * cand + z * h in units of s_h / 2^15, requantized
 * to int8. z in [0, 32767] and cand in [-32768, 32767] keep every product in int32. */
static inline int8_t q8r_gru_update(int32_t z, int32_t cand, int32_t hj, const q8_rnn_geom_t *restrict g)
{
    const int32_t u = q8_rdbp((32768 - z) * cand, 15);
    const int32_t acc = q8_wrap_add(q8_mbqm(u, g->out_m, g->out_s), z * (hj - g->hz));
    return (int8_t)q8_clamp(q8_rdbp(acc, 15) + g->hz, -128, 127);
}

/* Int8 GRU, gate order z, r, h. scratch: h and the new h (int8, h each); without
 * linear_before_reset also r * h requantized to int8 (h bytes) and the update gates (int16, 2h
 * bytes). */
static void k_q8_gru(const int8_t *restrict x, int8_t *restrict y, const int8_t *restrict w,
                     const int8_t *restrict r, const int32_t *restrict p, const int8_t *restrict h0,
                     int8_t *restrict scratch, const q8_rnn_geom_t *restrict g)
{
    const int32_t nh = g->h;
    int8_t *restrict h = scratch;
    int8_t *restrict hn = scratch + nh;
    q8r_init_h(h, h0, g);
    for (int32_t t = 0; t < g->t; ++t) {
        const int8_t *restrict xt = x + (size_t)t * (size_t)g->i;
        if (g->lbr != 0) {
            for (int32_t j = 0; j < nh; ++j) {
                const int32_t z = q8r_sigmoid16(q8r_pre(w, r, p, xt, h, 0, j, g), g->gate_bits[0]);
                const int32_t rg = q8r_sigmoid16(q8r_pre(w, r, p, xt, h, 1, j, g), g->gate_bits[1]);
                const int32_t row = 2 * nh + j;
                const int32_t hr = q8r_sat16(q8r_recurrent(r, p, h, row, nh));
                const int32_t pre = q8r_sat16(q8r_input(w, p, xt, row, g->i) + q8_rdbp(rg * hr, 15));
                hn[j] = q8r_gru_update(z, q8r_tanh16(q8r_clip(pre, g->gate_clip[2]), g->gate_bits[2]), h[j], g);
            }
        } else {
            int8_t *restrict rh = scratch + 2 * nh;
            int8_t *restrict zs = scratch + 3 * nh;
            for (int32_t j = 0; j < nh; ++j) {
                const int32_t rg = q8r_sigmoid16(q8r_pre(w, r, p, xt, h, 1, j, g), g->gate_bits[1]);
                q8r_store16(zs, j, q8r_sigmoid16(q8r_pre(w, r, p, xt, h, 0, j, g), g->gate_bits[0]));
                rh[j] = (int8_t)q8_clamp(q8_rdbp(rg * ((int32_t)h[j] - g->hz), 15) + g->hz, -128, 127);
            }
            for (int32_t j = 0; j < nh; ++j) {
                const int32_t cand = q8r_tanh16(q8r_pre(w, r, p, xt, rh, 2, j, g), g->gate_bits[2]);
                hn[j] = q8r_gru_update(q8r_load16(zs, j), cand, h[j], g);
            }
        }
        q8r_end_step(h, hn, y, t, g);
    }
    if (g->sequence == 0) {
        memcpy(y, h, (size_t)nh);
    }
}
`

// cQ8RNN is the int8 simple RNN kernel (tanh).
const cQ8RNN = `/* Int8 simple RNN (tanh). scratch: h and the new h (int8, h each). */
static void k_q8_rnn(const int8_t *restrict x, int8_t *restrict y, const int8_t *restrict w,
                     const int8_t *restrict r, const int32_t *restrict p, const int8_t *restrict h0,
                     int8_t *restrict scratch, const q8_rnn_geom_t *restrict g)
{
    const int32_t nh = g->h;
    int8_t *restrict h = scratch;
    int8_t *restrict hn = scratch + nh;
    q8r_init_h(h, h0, g);
    for (int32_t t = 0; t < g->t; ++t) {
        const int8_t *restrict xt = x + (size_t)t * (size_t)g->i;
        for (int32_t j = 0; j < nh; ++j) {
            const int32_t th = q8r_tanh16(q8r_pre(w, r, p, xt, h, 0, j, g), g->gate_bits[0]);
            hn[j] = (int8_t)q8_clamp(q8_wrap_add(q8_mbqm(th, g->out_m, g->out_s), g->hz), -128, 127);
        }
        q8r_end_step(h, hn, y, t, g);
    }
    if (g->sequence == 0) {
        memcpy(y, h, (size_t)nh);
    }
}
`

func init() {
	q8Kernels["q8_lstm"] = cQ8LSTM
	q8Kernels["q8_gru"] = cQ8GRU
	q8Kernels["q8_rnn"] = cQ8RNN
	// TriCore -O2 guesses (see codesize.go), each including the shared fixed-point logistic,
	// tanh and gate helpers (about 700 bytes), as the plan includes them once per kernel.
	kernelCodeBytes["q8_lstm"] = 1500
	kernelCodeBytes["q8_gru"] = 1700
	kernelCodeBytes["q8_rnn"] = 1100
}

// rnn8Kernel is the C kernel of an int8 recurrent operator, or "".
func rnn8Kernel(op model.Op) string {
	switch op {
	case model.OpLSTM:
		return "q8_lstm"
	case model.OpGRU:
		return "q8_gru"
	case model.OpRNN:
		return "q8_rnn"
	}
	return ""
}

// rnn8Helpers returns the shared C the plan's int8 recurrent kernels need (after cQ8Helpers),
// or "".
func rnn8Helpers(kernels []string) string {
	common, sigmoid := false, false
	for _, k := range kernels {
		switch k {
		case "q8_lstm", "q8_gru":
			common, sigmoid = true, true
		case "q8_rnn":
			common = true
		}
	}
	switch {
	case sigmoid:
		return cRNN8Common + "\n" + cRNN8Sigmoid
	case common:
		return cRNN8Common
	}
	return ""
}

// rnn8Params are the fixed-point parameters of an int8 recurrent node, computed as the
// interpreter's newQ8RNNLayer computes them.
type rnn8Params struct {
	steps, in, hidden, gates int
	w, r                     []int8
	// rows holds six int32 per gate row: effective input bias, input multiplier and shift,
	// effective recurrent bias, recurrent multiplier and shift.
	rows               []int32
	gateBits, gateClip [4]int32
	cellBits, cellClip int32
	outMul, outShift   int32
	h0                 []int8  // nil: start from the hidden zero point
	c0                 []int16 // nil: start from zero (LSTM)
}

// rnn8ScratchBytes is the arena scratch of an int8 recurrent layer: the hidden state and the
// step's new one (int8), plus the int16 cell state (LSTM), or r ⊙ h as int8 and the int16
// update gates (GRU without linear_before_reset).
func rnn8ScratchBytes(ls *layerState) int {
	h := ls.node.Attrs.Hidden
	switch {
	case ls.node.Op == model.OpLSTM:
		return 4 * h
	case ls.node.Op == model.OpGRU && !ls.node.Attrs.LinearBeforeReset:
		return 5 * h
	}
	return 2 * h
}

// planQ8Recurrent checks an int8 RNN, LSTM or GRU node, derives its fixed-point parameters and
// counts its work and weights. ls.q8.in and ls.q8.out are set.
func planQ8Recurrent(ls *layerState) error {
	n, lp, q := ls.node, ls.plan, ls.q8
	fail := func(format string, args ...any) error {
		return fmt.Errorf("codegen: node %q (%s, int8): %s", n.Name, n.Op, fmt.Sprintf(format, args...))
	}
	rq := n.RecurrentQuant
	if rq == nil || rq.Recurrent == nil {
		return fail("computes in int8 but has no RecurrentQuant with the int8 recurrence weights")
	}
	if n.QWeight == nil {
		return fail("computes in int8 but has no QWeight")
	}
	gates, hid := model.RecurrentGates(n.Op), n.Attrs.Hidden
	if len(ls.inShape) != 2 || ls.inShape[0] < 1 || ls.inShape[1] < 1 || hid < 1 {
		return fail("input shape %v and hidden size %d, want [T, I] and at least 1", ls.inShape, hid)
	}
	steps, in := ls.inShape[0], ls.inShape[1]
	wantOut := hid
	if n.Attrs.Sequence {
		wantOut = steps * hid
	}
	if lp.Outputs != wantOut {
		return fail("output %v has %d elements, want %d", ls.outShape, lp.Outputs, wantOut)
	}
	gh := gates * hid
	wScale, err := rnn8WeightScales(n.QWeight, gh, in)
	if err != nil {
		return fail("QWeight: %v", err)
	}
	rScale, err := rnn8WeightScales(rq.Recurrent, gh, hid)
	if err != nil {
		return fail("RecurrentQuant.Recurrent: %v", err)
	}
	for _, b := range []struct {
		name string
		v    []int32
	}{{"QBias", n.QBias}, {"RecurrentQuant.RecurrentBias", rq.RecurrentBias}} {
		if b.v != nil && len(b.v) != gh {
			return fail("%s has %d elements, want %d (gates × hidden)", b.name, len(b.v), gh)
		}
	}
	if n.InitialH != nil && n.InitialH.Len() != hid {
		return fail("initial hidden state has %d elements, want %d", n.InitialH.Len(), hid)
	}
	if n.InitialC != nil && (n.Op != model.OpLSTM || n.InitialC.Len() != hid) {
		return fail("initial cell state of %d elements; only an LSTM has one, of %d", n.InitialC.Len(), hid)
	}
	for _, c := range []float32{n.Attrs.GateClip, n.Attrs.CellClip} {
		if !(c >= 0) || math.IsInf(float64(c), 0) || (c > 0 && n.Op != model.OpLSTM) {
			return fail("gate clip %v and cell clip %v, want finite bounds ≥ 0 (LSTM only)", n.Attrs.GateClip, n.Attrs.CellClip)
		}
	}
	r := &rnn8Params{steps: steps, in: in, hidden: hid, gates: gates, w: n.QWeight.Data, r: rq.Recurrent.Data}
	for i := range gates {
		r.gateBits[i] = model.DefaultGateIntBits
	}
	if rq.GateIntBits != nil {
		if len(rq.GateIntBits) != gates {
			return fail("RecurrentQuant.GateIntBits has %d entries, want %d (one per gate)", len(rq.GateIntBits), gates)
		}
		for i, k := range rq.GateIntBits {
			if k < 0 || k > model.MaxGateIntBits {
				return fail("RecurrentQuant.GateIntBits[%d] is %d, want 0 … %d", i, k, model.MaxGateIntBits)
			}
			r.gateBits[i] = int32(k)
		}
	}
	if n.Op == model.OpLSTM {
		if rq.CellIntBits < 0 || rq.CellIntBits > model.MaxCellIntBits {
			return fail("RecurrentQuant.CellIntBits is %d, want 0 … %d", rq.CellIntBits, model.MaxCellIntBits)
		}
		r.cellBits = int32(rq.CellIntBits)
		if c := n.Attrs.CellClip; c > 0 { // truncated, as TFLite and the interpreter do
			v := float64(c / float32(math.Ldexp(1, rq.CellIntBits-15)))
			r.cellClip = int32(math.Trunc(min(max(v, math.MinInt16), math.MaxInt16)))
		}
	} else if rq.CellIntBits != 0 {
		return fail("RecurrentQuant.CellIntBits is set, but only an LSTM has a cell state")
	}
	bx := rnn8EffectiveBias(n.QBias, r.w, gh, in, q.in.zp)
	bh := rnn8EffectiveBias(rq.RecurrentBias, r.r, gh, hid, q.out.zp)
	// C sums W·x + b exactly; it equals the interpreter's wrapping int32 sum when the exact sum
	// cannot leave int32 (|w·x| ≤ 128·128).
	for row := range gh {
		if max(int64(bx[row]), -int64(bx[row]))+int64(in)*128*128 > math.MaxInt32 ||
			max(int64(bh[row]), -int64(bh[row]))+int64(hid)*128*128 > math.MaxInt32 {
			return fail("gate row %d: bias and %d inputs could overflow the int32 accumulator", row, in+hid)
		}
	}
	r.rows = make([]int32, 6*gh)
	for gate := range gates {
		unit := float32(math.Ldexp(1, int(r.gateBits[gate])-15)) // real value of one gate LSB
		if c := n.Attrs.GateClip; c > 0 {
			r.gateClip[gate] = max(int32(rnn8Int16(float64(c/unit))), 1)
		}
		for j := range hid {
			row := gate*hid + j
			// float32 products, as the interpreter (and TFLite) computes the effective scales
			mx, sx := model.QuantizeMultiplier(float64(wScale(row) * q.in.scale / unit))
			mh, sh := model.QuantizeMultiplier(float64(rScale(row) * q.out.scale / unit))
			for _, s := range []int{sx, sh} {
				if s < -31 || s > 31 {
					return fail("gate row %d: requantization shift %d outside [-31, 31]", row, s)
				}
			}
			copy(r.rows[6*row:], []int32{bx[row], mx, int32(sx), bh[row], mh, int32(sh)})
		}
	}
	hScale := q.out.scale
	const q15 = float32(1.0 / 32768)
	var outMul int32
	var outShift int
	switch n.Op {
	case model.OpLSTM:
		outMul, outShift = model.QuantizeMultiplier(float64(q15 / hScale * q15))
	case model.OpRNN:
		outMul, outShift = model.QuantizeMultiplier(float64(q15 / hScale))
	case model.OpGRU:
		if float64(hScale) < math.Ldexp(1, -14) {
			return fail("hidden state scale %g is below 2^-14, too small for the int8 GRU's fixed-point update", hScale)
		}
		outMul, outShift = model.QuantizeMultiplier(float64(1 / hScale))
	}
	if outShift < -31 || outShift > 31 {
		return fail("hidden state requantization shift %d outside [-31, 31]", outShift)
	}
	r.outMul, r.outShift = outMul, int32(outShift)
	if n.InitialH != nil {
		if err := n.InitialH.CheckFinite(); err != nil {
			return fail("initial hidden state: %v", err)
		}
		r.h0 = make([]int8, hid)
		for j, v := range n.InitialH.Data {
			r.h0[j] = rnn8QuantizeHidden(v, q.out)
		}
	}
	if n.InitialC != nil {
		if err := n.InitialC.CheckFinite(); err != nil {
			return fail("initial cell state: %v", err)
		}
		r.c0 = make([]int16, hid)
		for j, v := range n.InitialC.Data {
			r.c0[j] = rnn8Int16(float64(v) * math.Ldexp(1, 15-rq.CellIntBits))
		}
	}
	q.rnn = r
	q.weights = r.w // emitWeights writes a layer's arrays when it has int8 weights

	lp.Kind = KindRecurrent
	lp.Format = FormatDense
	lp.MACs = steps * gh * (in + hid)
	lp.EffectiveMACs = lp.MACs
	lp.Ops = steps * hid * rnn8Activations(n.Op)
	lp.Rows, lp.Cols = gh, in+hid
	nnz := 0
	for _, ws := range [][]int8{r.w, r.r} {
		for _, v := range ws {
			if v != 0 {
				nnz++
			}
		}
	}
	lp.NNZ = nnz
	lp.Params = len(r.w) + len(r.r) + len(n.QBias) + len(rq.RecurrentBias) + len(r.h0) + len(r.c0)
	lp.WeightBytes = len(r.w) + len(r.r) + 4*len(r.rows) + len(r.h0) + 2*len(r.c0)
	lp.DenseWeightBytes = lp.WeightBytes
	return nil
}

// rnn8Activations is the number of logistic and tanh evaluations per hidden unit and step.
func rnn8Activations(op model.Op) int {
	switch op {
	case model.OpLSTM:
		return 5 // four gates and the cell state
	case model.OpGRU:
		return 3
	}
	return 1
}

// rnn8WeightScales checks an int8 recurrent weight [rows, cols] (symmetric, one scale or one
// per row along axis 0) and returns its scale by row.
func rnn8WeightScales(w *model.QTensor, rows, cols int) (func(int) float32, error) {
	if len(w.Shape) != 2 || w.Shape[0] != rows || w.Shape[1] != cols || len(w.Data) != rows*cols {
		return nil, fmt.Errorf("shape %v with %d elements, want [%d %d]", w.Shape, len(w.Data), rows, cols)
	}
	q := w.Quant
	if len(q.Scale) != 1 && (len(q.Scale) != rows || q.Axis != 0) {
		return nil, fmt.Errorf("%d scales along axis %d, want 1 or %d along axis 0", len(q.Scale), q.Axis, rows)
	}
	for i, s := range q.Scale {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return nil, fmt.Errorf("scale %d is %v, want a positive finite number", i, s)
		}
	}
	for _, z := range q.ZeroPoint {
		if z != 0 {
			return nil, fmt.Errorf("zero point %d; int8 recurrent weights must be symmetric", z)
		}
	}
	if len(q.Scale) == 1 {
		return func(int) float32 { return q.Scale[0] }, nil
	}
	return func(row int) float32 { return q.Scale[row] }, nil
}

// rnn8EffectiveBias returns b[row] − zp·Σ_j w[row, j] (b nil is zero) in wrapping int32
// arithmetic, as the interpreter computes it.
func rnn8EffectiveBias(b []int32, w []int8, rows, cols int, zp int32) []int32 {
	out := make([]int32, rows)
	for row := range out {
		var sum int32
		for _, v := range w[row*cols : (row+1)*cols] {
			sum += int32(v)
		}
		if b != nil {
			out[row] = b[row]
		}
		out[row] -= zp * sum
	}
	return out
}

// rnn8Int16 rounds v half away from zero and saturates it to int16 (NaN gives 0).
func rnn8Int16(v float64) int16 {
	r := math.Round(v)
	if math.IsNaN(r) {
		return 0
	}
	return int16(min(max(r, math.MinInt16), math.MaxInt16))
}

// rnn8QuantizeHidden quantizes an initial hidden state value as the interpreter does (TFLite's
// rounding: v/scale in float32, half away from zero, saturated to int8).
func rnn8QuantizeHidden(v float32, a q8Affine) int8 {
	r := math.Round(float64(v/a.scale)) + float64(a.zp)
	return int8(min(max(r, q8Min), q8Max))
}

// rnn8Symbols names an int8 recurrent layer's arrays ("" when absent).
type rnn8Symbols struct{ w, r, rows, h0, c0 string }

func rnn8WeightSymbols(prefix, id string, ls *layerState) rnn8Symbols {
	base := prefix + "_" + id + "_"
	s := rnn8Symbols{w: base + "w", r: base + "r", rows: base + "rows"}
	if ls.q8.rnn.h0 != nil {
		s.h0 = base + "h0"
	}
	if ls.q8.rnn.c0 != nil {
		s.c0 = base + "c0"
	}
	return s
}

// rnn8EmitWeights writes an int8 recurrent layer's arrays.
func rnn8EmitWeights(h, c *cWriter, prefix, id string, i int, ls *layerState) {
	r, n := ls.q8.rnn, ls.node
	sym := rnn8WeightSymbols(prefix, id, ls)
	c.f("\n/* layer %d %s (%s, int8): W %s, R %s, %d of %d nonzero; per gate row: input bias, multiplier, shift, recurrent bias, multiplier, shift */\n",
		i, cComment(n.Name), n.Op, shapeString(n.QWeight.Shape), shapeString(n.RecurrentQuant.Recurrent.Shape), ls.plan.NNZ, len(r.w)+len(r.r))
	type array struct {
		ctype, name string
		vals        []int
	}
	arrays := []array{{"int8_t", sym.w, q8Ints(r.w)}, {"int8_t", sym.r, q8Ints(r.r)}, {"int32_t", sym.rows, q8Int32s(r.rows)}}
	if sym.h0 != "" {
		arrays = append(arrays, array{"int8_t", sym.h0, q8Ints(r.h0)})
	}
	if sym.c0 != "" {
		c0 := make([]int, len(r.c0))
		for j, v := range r.c0 {
			c0[j] = int(v)
		}
		arrays = append(arrays, array{"int16_t", sym.c0, c0})
	}
	for _, a := range arrays {
		signedWeightArray(h, c, a.ctype, a.name, a.vals)
	}
}

// rnn8GeometryInit is the initialiser of an int8 recurrent layer's q8_rnn_geom_t.
func rnn8GeometryInit(ls *layerState) string {
	r := ls.q8.rnn
	return fmt.Sprintf("%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, { %d, %d, %d, %d }, { %d, %d, %d, %d }",
		r.steps, r.in, r.hidden, b2i(ls.node.Attrs.Sequence), ls.q8.out.zp, r.outMul, r.outShift, r.cellBits, r.cellClip,
		b2i(ls.node.Attrs.LinearBeforeReset), r.gateBits[0], r.gateBits[1], r.gateBits[2], r.gateBits[3],
		r.gateClip[0], r.gateClip[1], r.gateClip[2], r.gateClip[3])
}

// rnn8Call is the C statement (without ';') that runs an int8 recurrent layer.
func rnn8Call(p *Plan, prefix, id string, ls *layerState) string {
	n := ls.node
	sym := rnn8WeightSymbols(prefix, id, ls)
	orNull := func(s string) string {
		if s == "" {
			return "NULL"
		}
		return s
	}
	states := orNull(sym.h0)
	if n.Op == model.OpLSTM {
		states += ", " + orNull(sym.c0)
	}
	return fmt.Sprintf("k_%s(%s, %s, %s, %s, %s, %s, %s, &geom_%s)", rnn8Kernel(n.Op), valueExpr(p, n.Inputs[0]),
		valueExpr(p, n.Outputs[0]), sym.w, sym.r, sym.rows, states, valueExpr(p, scratchName(n)), id)
}
