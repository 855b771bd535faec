package codegen

import (
	"fmt"

	"github.com/tcdse/tcdse/model"
)

// Simple RNN and GRU (model.OpRNN, model.OpGRU: forward, ONNX gate order, default
// activations; see model/rnn_kernels.go). Like k_lstm, each time step runs the register-blocked
// dense kernel twice or three times on weights stored as row panels, then the gate equations;
// the scratch is an arena buffer live only during the node, and the output is every hidden
// state [T, H] (Attrs.Sequence) or the last one [H].
//
//   - RNN: gx = W x_t + (Wb + Rb) (the two biases summed at generation), a = R h + gx,
//     h = tanh(a). Scratch gx, a and h: 3H floats.
//   - GRU, gate order z, r, h: gx = W x_t + Wb and gr = R h + Rb (biases stored as in the IR,
//     Wb then Rb), z = σ(gx_z + gr_z), r = σ(gx_r + gr_r). With Attrs.LinearBeforeReset
//     (PyTorch) the candidate is tanh(gx_h + r ⊙ gr_h), one product over all 3H rows of R;
//     without it the candidate is tanh(gx_h + Rh (r ⊙ h) + Rb_h), so R is stored as two panel
//     sets, the z and r rows (2H) and the candidate rows (H), and the second product runs
//     after r is known. h' = (1 − z) ⊙ ĥ + z ⊙ h. Scratch gx, gr (3H each), h and r ⊙ h: 8H
//     floats.

// cRNN needs k_dense and dense_geom_t.
const cRNN = `typedef struct {
    int32_t t, i, h;        /* time steps, input features, hidden size */
    int32_t sequence;       /* nonzero: output every hidden state [t][h], else the last [h] */
    dense_geom_t wx, rh;    /* h x i and h x h dense products */
} rnn_geom_t;

/* Forward simple RNN with tanh. scratch holds 3 * h floats. */
static void k_rnn(const float *restrict x, float *restrict y, const float *restrict w,
                  const float *restrict r, const float *restrict b, const float *restrict h0,
                  float *restrict scratch, const rnn_geom_t *restrict g)
{
    const int32_t nh = g->h;
    float *restrict gx = scratch;
    float *restrict a = scratch + nh;
    float *restrict h = scratch + 2 * nh;
    for (int32_t j = 0; j < nh; ++j) {
        h[j] = (h0 != NULL) ? h0[j] : 0.0f;
    }
    for (int32_t t = 0; t < g->t; ++t) {
        k_dense(x + (size_t)t * (size_t)g->i, gx, w, b, &g->wx);
        k_dense(h, a, r, gx, &g->rh);
        for (int32_t j = 0; j < nh; ++j) {
            h[j] = tanhf(a[j]);
        }
        if (g->sequence != 0) {
            memcpy(y + (size_t)t * (size_t)nh, h, (size_t)nh * sizeof(float));
        }
    }
    if (g->sequence == 0) {
        memcpy(y, h, (size_t)nh * sizeof(float));
    }
}
`

// cGRU needs k_dense and dense_geom_t.
const cGRU = `typedef struct {
    int32_t t, i, h;        /* time steps, input features, hidden size */
    int32_t sequence;       /* nonzero: output every hidden state [t][h], else the last [h] */
    int32_t lbr;            /* nonzero: linear_before_reset */
    dense_geom_t wx;        /* 3h x i */
    dense_geom_t rg;        /* lbr: 3h x h (every gate); else 2h x h (z and r) */
    dense_geom_t rc;        /* h x h: the candidate's product without lbr */
} gru_geom_t;

static float gru_sigmoid(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

/* Forward GRU, ONNX gate order z, r, h. b is Wb [3h] then Rb [3h], or NULL. r holds the z and
 * r rows as one panel set, then (without lbr) the candidate rows as another. scratch holds
 * 8 * h floats. */
static void k_gru(const float *restrict x, float *restrict y, const float *restrict w,
                  const float *restrict r, const float *restrict b, const float *restrict h0,
                  float *restrict scratch, const gru_geom_t *restrict g)
{
    const int32_t nh = g->h;
    float *restrict gx = scratch;
    float *restrict gr = scratch + 3 * nh;
    float *restrict h = scratch + 6 * nh;
    float *restrict rh = scratch + 7 * nh;
    const float *restrict wb = b;
    const float *restrict rb = (b != NULL) ? b + 3 * nh : NULL;
    for (int32_t j = 0; j < nh; ++j) {
        h[j] = (h0 != NULL) ? h0[j] : 0.0f;
    }
    for (int32_t t = 0; t < g->t; ++t) {
        k_dense(x + (size_t)t * (size_t)g->i, gx, w, wb, &g->wx);
        k_dense(h, gr, r, rb, &g->rg);
        if (g->lbr != 0) {
            for (int32_t j = 0; j < nh; ++j) {
                const float z = gru_sigmoid(gx[j] + gr[j]);
                const float rr = gru_sigmoid(gx[nh + j] + gr[nh + j]);
                const float c = tanhf(gx[2 * nh + j] + rr * gr[2 * nh + j]);
                h[j] = (1.0f - z) * c + z * h[j];
            }
        } else {
            for (int32_t j = 0; j < nh; ++j) {
                rh[j] = gru_sigmoid(gx[nh + j] + gr[nh + j]) * h[j];
            }
            k_dense(rh, gr + 2 * nh, r + (size_t)(2 * nh) * (size_t)nh, (rb != NULL) ? rb + 2 * nh : NULL, &g->rc);
            for (int32_t j = 0; j < nh; ++j) {
                const float z = gru_sigmoid(gx[j] + gr[j]);
                const float c = tanhf(gx[2 * nh + j] + gr[2 * nh + j]);
                h[j] = (1.0f - z) * c + z * h[j];
            }
        }
        if (g->sequence != 0) {
            memcpy(y + (size_t)t * (size_t)nh, h, (size_t)nh * sizeof(float));
        }
    }
    if (g->sequence == 0) {
        memcpy(y, h, (size_t)nh * sizeof(float));
    }
}
`

func init() {
	cKernels["rnn"] = cRNN
	cKernels["gru"] = cGRU
	// Assumed TriCore code sizes (see codesize.go), plus expf and tanhf from the C library.
	kernelCodeBytes["rnn"] = 260
	kernelCodeBytes["gru"] = 560
}

// isRecurrentOp reports whether op is a recurrent operator with a C kernel.
func isRecurrentOp(op model.Op) bool {
	return op == model.OpLSTM || op == model.OpGRU || op == model.OpRNN
}

// recurrentUsesDense reports whether a kernel set contains a recurrent kernel, which calls
// k_dense.
func recurrentUsesDense(kernels map[string]bool) bool {
	return kernels["lstm"] || kernels["gru"] || kernels["rnn"]
}

// recurrentScratchBytes is the arena scratch of a recurrent node, 0 for any other node.
func recurrentScratchBytes(n *model.Node) int {
	switch n.Op {
	case model.OpLSTM:
		return lstmScratchBytes(n)
	case model.OpGRU:
		return 8 * n.Attrs.Hidden * floatBytes
	case model.OpRNN:
		return 3 * n.Attrs.Hidden * floatBytes
	}
	return 0
}

// planRecurrent checks an RNN or GRU node and counts its work and weights.
func planRecurrent(ls *layerState) error {
	n, lp := ls.node, ls.plan
	gates := model.RecurrentGates(n.Op)
	if n.Recurrent == nil || n.Weight == nil {
		return fmt.Errorf("codegen: node %q (%s): weights or recurrence weights missing", n.Name, n.Op)
	}
	for _, c := range []struct {
		what string
		t    *model.Tensor
	}{{"weight", n.Weight}, {"recurrence weight", n.Recurrent}, {"bias", n.Bias}, {"initial h", n.InitialH}} {
		if c.t == nil {
			continue
		}
		if err := c.t.CheckFinite(); err != nil {
			return fmt.Errorf("codegen: node %q (%s) %s: %v", n.Name, n.Op, c.what, err)
		}
	}
	if n.InitialC != nil || n.Attrs.CellClip != 0 || n.Attrs.GateClip != 0 {
		return fmt.Errorf("codegen: node %q (%s): initial cell state and clipping are LSTM attributes", n.Name, n.Op)
	}
	if n.Attrs.LinearBeforeReset && n.Op != model.OpGRU {
		return fmt.Errorf("codegen: node %q (%s): LinearBeforeReset is a GRU attribute", n.Name, n.Op)
	}
	hid := n.Attrs.Hidden
	if len(ls.inShape) != 2 || hid <= 0 || n.Weight.Len() != gates*hid*ls.inShape[1] || n.Recurrent.Len() != gates*hid*hid {
		return fmt.Errorf("codegen: node %q (%s): input %v, hidden %d, weight %v, recurrence %v do not fit [T, I], [%dH, I], [%dH, H]",
			n.Name, n.Op, ls.inShape, hid, n.Weight.Shape, n.Recurrent.Shape, gates, gates)
	}
	if n.Bias != nil && n.Bias.Len() != 2*gates*hid {
		return fmt.Errorf("codegen: node %q (%s): bias has %d elements, want %dH = %d", n.Name, n.Op, n.Bias.Len(), 2*gates, 2*gates*hid)
	}
	if n.InitialH != nil && n.InitialH.Len() != hid {
		return fmt.Errorf("codegen: node %q (%s): initial h has %d elements, want H = %d", n.Name, n.Op, n.InitialH.Len(), hid)
	}
	steps, in := ls.inShape[0], ls.inShape[1]
	lp.Kind = KindRecurrent
	lp.Format = FormatDense
	lp.MACs = steps * gates * hid * (in + hid)
	lp.EffectiveMACs = lp.MACs
	lp.Ops = steps * hid * gates // sigmoid and tanh calls
	lp.Rows, lp.Cols = gates*hid, in+hid
	params := n.Weight.Len() + n.Recurrent.Len()
	lp.NNZ = params - n.Weight.CountZeros() - n.Recurrent.CountZeros()
	stored := params
	for _, t := range []*model.Tensor{n.Bias, n.InitialH} {
		if t != nil {
			params += t.Len()
			stored += t.Len()
		}
	}
	if n.Bias != nil && n.Op == model.OpRNN {
		stored -= hid // the two biases are summed into one
	}
	lp.Params = params
	lp.WeightBytes = stored * floatBytes
	lp.DenseWeightBytes = lp.WeightBytes
	return nil
}

// recurrentGeometryType is the C type of a recurrent node's geometry table, or "".
func recurrentGeometryType(op model.Op) string {
	switch op {
	case model.OpLSTM:
		return "lstm_geom_t"
	case model.OpGRU:
		return "gru_geom_t"
	case model.OpRNN:
		return "rnn_geom_t"
	}
	return ""
}

// recurrentGeometryInit is the initialiser of a recurrent node's geometry table.
func recurrentGeometryInit(ls *layerState) string {
	n := ls.node
	steps, in, hid, seq := ls.inShape[0], ls.inShape[1], n.Attrs.Hidden, b2i(n.Attrs.Sequence)
	switch n.Op {
	case model.OpLSTM:
		return lstmGeometryInit(ls)
	case model.OpGRU:
		rows := 2 * hid
		if n.Attrs.LinearBeforeReset {
			rows = 3 * hid
		}
		return fmt.Sprintf("%d, %d, %d, %d, %d, { %d, %d, 0 }, { %d, %d, 0 }, { %d, %d, 0 }", steps, in, hid, seq,
			b2i(n.Attrs.LinearBeforeReset), 3*hid, in, rows, hid, hid, hid)
	}
	return fmt.Sprintf("%d, %d, %d, %d, { %d, %d, 0 }, { %d, %d, 0 }", steps, in, hid, seq, hid, in, hid, hid)
}

// recurrentCall is the C call (without ';') of a recurrent node; x, y and scratch are pointer
// expressions, sym its weight arrays.
func recurrentCall(ls *layerState, x, y, scratch, id string, sym weightSymbols) string {
	orNull := func(s string) string {
		if s == "" {
			return "NULL"
		}
		return s
	}
	if ls.node.Op == model.OpLSTM {
		return fmt.Sprintf("k_lstm(%s, %s, %s, %s, %s, %s, %s, %s, &geom_%s)", x, y, sym.w, sym.r, orNull(sym.b),
			orNull(sym.h0), orNull(sym.c0), scratch, id)
	}
	return fmt.Sprintf("k_%s(%s, %s, %s, %s, %s, %s, %s, &geom_%s)", ls.plan.Kernel, x, y, sym.w, sym.r, orNull(sym.b),
		orNull(sym.h0), scratch, id)
}

// recurrentWeights returns the arrays of a recurrent node as stored: W and R as row panels (a
// GRU without linear_before_reset keeps R's z and r rows and its candidate rows as two panel
// sets) and the bias (RNN: Wb + Rb; GRU: Wb then Rb; LSTM: see lstmWeights).
func recurrentWeights(n *model.Node) (w, r, b []float32) {
	if n.Op == model.OpLSTM {
		return lstmWeights(n)
	}
	hid := n.Attrs.Hidden
	gh := model.RecurrentGates(n.Op) * hid
	w = panelize(n.Weight.Data, gh, n.Weight.Len()/gh, gh)
	if n.Op == model.OpGRU && !n.Attrs.LinearBeforeReset {
		r = append(panelize(n.Recurrent.Data[:2*hid*hid], 2*hid, hid, 2*hid), panelize(n.Recurrent.Data[2*hid*hid:], hid, hid, hid)...)
	} else {
		r = panelize(n.Recurrent.Data, gh, hid, gh)
	}
	if n.Bias != nil {
		if n.Op == model.OpGRU {
			b = append([]float32(nil), n.Bias.Data...)
		} else {
			b = make([]float32, hid)
			for k := range b {
				b[k] = n.Bias.Data[k] + n.Bias.Data[hid+k]
			}
		}
	}
	return w, r, b
}
