package codegen

import (
	"fmt"
	"math"

	"github.com/tcdse/tcdse/model"
)

// KindRecurrent is the kernel class of LSTM nodes.
const KindRecurrent = "recurrent"

// LSTM (model.OpLSTM: forward, ONNX gate order i, o, f, c, default activations). Per time step
// the kernel computes gx = W x_t + (Wb + Rb) and gates = R h + gx with the register-blocked
// dense kernel (W and R stored as row panels, the two biases summed at generation), then the
// cell update. Its scratch, gx and gates (4H each), c and h (H each), is an arena buffer live
// only during the node. Attrs.GateClip clamps the gate pre-activations and Attrs.CellClip the
// cell state, as the interpreter does (0: no clipping).

// cLSTM needs k_dense and dense_geom_t.
const cLSTM = `typedef struct {
    int32_t t, i, h;        /* time steps, input features, hidden size */
    int32_t sequence;       /* nonzero: output every hidden state [t][h], else the last [h] */
    dense_geom_t wx, rh;    /* 4h x i and 4h x h dense products */
    float gate_clip;        /* > 0: clamp gate pre-activations to [-gate_clip, gate_clip] */
    float cell_clip;        /* > 0: clamp the cell state to [-cell_clip, cell_clip] */
} lstm_geom_t;

static float lstm_sigmoid(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

/* v limited to [-bound, bound]; a zero bound leaves v unchanged. */
static float lstm_clip(float v, float bound)
{
    if (bound > 0.0f) {
        v = (v < -bound) ? -bound : ((v > bound) ? bound : v);
    }
    return v;
}

/* Forward LSTM, ONNX gate order i, o, f, c. scratch holds 10 * h floats. */
static void k_lstm(const float *restrict x, float *restrict y, const float *restrict w,
                   const float *restrict r, const float *restrict b, const float *restrict h0,
                   const float *restrict c0, float *restrict scratch, const lstm_geom_t *restrict g)
{
    const int32_t nh = g->h;
    float *restrict gx = scratch;
    float *restrict gates = scratch + 4 * nh;
    float *restrict c = scratch + 8 * nh;
    float *restrict h = scratch + 9 * nh;
    for (int32_t j = 0; j < nh; ++j) {
        h[j] = (h0 != NULL) ? h0[j] : 0.0f;
        c[j] = (c0 != NULL) ? c0[j] : 0.0f;
    }
    for (int32_t t = 0; t < g->t; ++t) {
        k_dense(x + (size_t)t * (size_t)g->i, gx, w, b, &g->wx);
        k_dense(h, gates, r, gx, &g->rh);
        for (int32_t j = 0; j < nh; ++j) {
            const float ig = lstm_sigmoid(lstm_clip(gates[j], g->gate_clip));
            const float og = lstm_sigmoid(lstm_clip(gates[nh + j], g->gate_clip));
            const float fg = lstm_sigmoid(lstm_clip(gates[2 * nh + j], g->gate_clip));
            const float cc = tanhf(lstm_clip(gates[3 * nh + j], g->gate_clip));
            c[j] = lstm_clip(fg * c[j] + ig * cc, g->cell_clip);
            h[j] = og * tanhf(c[j]);
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

func init() { cKernels["lstm"] = cLSTM }

// lstmScratchBytes is the arena scratch of an LSTM node.
func lstmScratchBytes(n *model.Node) int { return 10 * n.Attrs.Hidden * floatBytes }

// scratchName is the arena buffer name of a node's scratch.
func scratchName(n *model.Node) string { return n.Name + "#scratch" }

// planLSTM checks an LSTM node and counts its work and weights.
func planLSTM(ls *layerState) error {
	n, lp := ls.node, ls.plan
	if n.Recurrent == nil || n.Weight == nil {
		return fmt.Errorf("codegen: node %q (LSTM): weights or recurrence weights missing", n.Name)
	}
	for what, t := range map[string]*model.Tensor{"weight": n.Weight, "recurrence weight": n.Recurrent, "bias": n.Bias, "initial h": n.InitialH, "initial c": n.InitialC} {
		if t == nil {
			continue
		}
		if err := t.CheckFinite(); err != nil {
			return fmt.Errorf("codegen: node %q (LSTM) %s: %v", n.Name, what, err)
		}
	}
	for _, c := range []struct {
		what string
		v    float32
	}{{"CellClip", n.Attrs.CellClip}, {"GateClip", n.Attrs.GateClip}} {
		if !(c.v >= 0) || math.IsInf(float64(c.v), 0) {
			return fmt.Errorf("codegen: node %q (LSTM): %s %v, want a finite bound ≥ 0", n.Name, c.what, c.v)
		}
	}
	hid := n.Attrs.Hidden
	if len(ls.inShape) != 2 || hid <= 0 || n.Weight.Len() != 4*hid*ls.inShape[1] || n.Recurrent.Len() != 4*hid*hid {
		return fmt.Errorf("codegen: node %q (LSTM): input %v, hidden %d, weight %v, recurrence %v do not fit [T, I], [4H, I], [4H, H]", n.Name, ls.inShape, hid, n.Weight.Shape, n.Recurrent.Shape)
	}
	if n.Bias != nil && n.Bias.Len() != 8*hid {
		return fmt.Errorf("codegen: node %q (LSTM): bias has %d elements, want 8H = %d", n.Name, n.Bias.Len(), 8*hid)
	}
	steps, in := ls.inShape[0], ls.inShape[1]
	lp.Kind = KindRecurrent
	lp.Format = FormatDense
	lp.MACs = steps * 4 * hid * (in + hid)
	lp.EffectiveMACs = lp.MACs
	lp.Ops = steps * hid * 5 // transcendental calls
	lp.Rows, lp.Cols = 4*hid, in+hid
	params := n.Weight.Len() + n.Recurrent.Len()
	lp.NNZ = params - n.Weight.CountZeros() - n.Recurrent.CountZeros()
	stored := params
	for _, t := range []*model.Tensor{n.Bias, n.InitialH, n.InitialC} {
		if t != nil {
			params += t.Len()
		}
	}
	if n.Bias != nil {
		stored += 4 * hid // the two biases are summed into one
	}
	if n.InitialH != nil {
		stored += hid
	}
	if n.InitialC != nil {
		stored += hid
	}
	lp.Params = params
	lp.WeightBytes = stored * floatBytes
	lp.DenseWeightBytes = lp.WeightBytes
	return nil
}

// lstmGeometryInit is the initialiser of the lstm_geom_t of a node.
func lstmGeometryInit(ls *layerState) string {
	hid := ls.node.Attrs.Hidden
	return fmt.Sprintf("%d, %d, %d, %d, { %d, %d, 0 }, { %d, %d, 0 }, %s, %s", ls.inShape[0], ls.inShape[1], hid,
		b2i(ls.node.Attrs.Sequence), 4*hid, ls.inShape[1], 4*hid, hid, cFloat(ls.node.Attrs.GateClip), cFloat(ls.node.Attrs.CellClip))
}

// lstmWeights returns the arrays of an LSTM node as stored: W and R as row panels, the summed
// bias, the initial states (nil when absent).
func lstmWeights(n *model.Node) (w, r, b []float32) {
	hid := n.Attrs.Hidden
	w = panelize(n.Weight.Data, 4*hid, n.Weight.Len()/(4*hid), 4*hid)
	r = panelize(n.Recurrent.Data, 4*hid, hid, 4*hid)
	if n.Bias != nil {
		b = make([]float32, 4*hid)
		for k := range b {
			b[k] = n.Bias.Data[k] + n.Bias.Data[4*hid+k]
		}
	}
	return w, r, b
}
