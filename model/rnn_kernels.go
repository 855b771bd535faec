package model

import (
	"math"
	"slices"
	"strings"
)

func init() {
	for _, op := range []Op{OpRNN, OpLSTM, OpGRU} {
		RegisterOp(op, OpKernel{Inputs: 1, Infer: inferRecurrent, Run: runRecurrent})
	}
}

// RecurrentGates returns the number of gates of a recurrent operator (RNN 1, LSTM 4, GRU 3),
// or 0 for any other operator.
//
// The recurrent operators OpRNN, OpLSTM and OpGRU are defined as follows.
//
// # Layout
//
// A recurrent node reads one activation X, per sample [T, I] (T time steps of I features; the
// batch comes first, as everywhere in the IR), and writes either every hidden state, [T, H]
// (Attrs.Sequence true, ONNX Y), or only the last one, [H] (ONNX Y_h). It runs forward only,
// with ONNX's default activations. Its parameters are ONNX's without the num_directions
// dimension; G is the number of gates (RNN 1, LSTM 4, GRU 3) and H = Attrs.Hidden:
//
//   - Weight    W [G·H, I]: the input weights of the gates stacked by rows, in ONNX gate order.
//   - Recurrent R [G·H, H]: the recurrence weights, same order.
//   - Bias      B [2·G·H] or nil: the input biases Wb of all gates, then the recurrence biases
//     Rb, each in gate order. A layer with only one bias per gate puts it in Wb and zeros in Rb.
//   - InitialH, InitialC [H] or nil (zeros): the initial hidden and (LSTM) cell state, the same
//     for every sample.
//
// Gate orders and equations (σ is the logistic sigmoid, ⊙ the elementwise product, xW is
// x·Wᵀ of the gate's rows of W):
//
//   - RNN: h = tanh(xWi + Wbi + hRi + Rbi).
//   - LSTM, order i, o, f, c: i = σ(xWi + Wbi + hRi + Rbi), o and f alike with σ,
//     c̃ = tanh(xWc + Wbc + hRc + Rbc); c' = f ⊙ c + i ⊙ c̃; h' = o ⊙ tanh(c'). (PyTorch stores
//     i, f, g, o; its ONNX export reorders them.) No peepholes, no coupled input-forget gate.
//     Attrs.GateClip > 0 (ONNX clip) clamps each of the four gate pre-activations to
//     [−GateClip, GateClip] before σ or tanh; Attrs.CellClip > 0 (TFLite cell_clip) clamps c'
//     to [−CellClip, CellClip] before h' and the next step use it.
//   - GRU, order z, r, h: z = σ(xWz + Wbz + hRz + Rbz), r likewise; with
//     Attrs.LinearBeforeReset (PyTorch's GRU) ĥ = tanh(xWh + Wbh + r ⊙ (hRh + Rbh)), without it
//     ĥ = tanh(xWh + Wbh + (r ⊙ h)Rh + Rbh); h' = (1 − z) ⊙ ĥ + z ⊙ h.
//
// # From TFLite UNIDIRECTIONAL_SEQUENCE_LSTM
//
// TFLite keeps one tensor per gate: input_to_{input,forget,cell,output}_weights [H, I],
// recurrent_to_{input,forget,cell,output}_weights [H, H] and {input,forget,cell,output}_gate_bias
// [H] (no recurrence bias). The OpLSTM equivalent is
//
//	Weight    = rows of input_to_input, input_to_output, input_to_forget, input_to_cell  → [4H, I]
//	Recurrent = rows of recurrent_to_input, _output, _forget, _cell                      → [4H, H]
//	Bias      = input_gate_bias, output_gate_bias, forget_gate_bias, cell_gate_bias, then 4H zeros
//
// (note the order i, o, f, c, not TFLite's i, f, c, o). The TFLite input is [B, T, I] when
// time_major is false, which is the IR's layout; a time-major input must be transposed. The
// operator's fused activation must be TANH and proj_clip 0; cell_clip becomes Attrs.CellClip.
// CIFG (no input gate), peephole (cell_to_*), projection and layer-normalisation tensors have no
// OpLSTM equivalent.
// The initial states (TFLite variable tensors) are zero.
func RecurrentGates(op Op) int {
	switch op {
	case OpRNN:
		return 1
	case OpLSTM:
		return 4
	case OpGRU:
		return 3
	}
	return 0
}

// RecurrentActivations returns ONNX's default activation functions of a recurrent operator, the
// only ones the IR computes.
func RecurrentActivations(op Op) []string {
	switch op {
	case OpRNN:
		return []string{"Tanh"}
	case OpLSTM:
		return []string{"Sigmoid", "Tanh", "Tanh"}
	case OpGRU:
		return []string{"Sigmoid", "Tanh"}
	}
	return nil
}

// inferRecurrent checks a recurrent node's parameters against its input [T, I] and returns
// [T, H] or [H].
func inferRecurrent(n *Node, ins [][]int) ([]int, error) {
	x := ins[0]
	if len(x) != 2 || x[0] < 1 || x[1] < 1 {
		return nil, errNode(n, "input shape %v, want [T, I] (time steps, features)", x)
	}
	t, in := x[0], x[1]
	g, h := RecurrentGates(n.Op), n.Attrs.Hidden
	if h < 1 {
		return nil, errNode(n, "hidden size %d, want at least 1", h)
	}
	if err := rnnCheckParam(n, "weight", n.Weight, g*h, in, true); err != nil {
		return nil, err
	}
	if err := rnnCheckParam(n, "recurrent weight", n.Recurrent, g*h, h, true); err != nil {
		return nil, err
	}
	if err := rnnCheckParam(n, "bias", n.Bias, 2*g*h, -1, false); err != nil {
		return nil, err
	}
	if err := rnnCheckParam(n, "initial hidden state", n.InitialH, h, -1, false); err != nil {
		return nil, err
	}
	if n.Op == OpLSTM {
		if err := rnnCheckParam(n, "initial cell state", n.InitialC, h, -1, false); err != nil {
			return nil, err
		}
	} else if n.InitialC != nil {
		return nil, errNode(n, "has an initial cell state, which only LSTM has")
	}
	for _, c := range []struct {
		name string
		v    float32
	}{{"CellClip", n.Attrs.CellClip}, {"GateClip", n.Attrs.GateClip}} {
		if c.v != 0 && n.Op != OpLSTM {
			return nil, errNode(n, "%s is an LSTM attribute", c.name)
		}
		if !(c.v >= 0) || math.IsInf(float64(c.v), 0) {
			return nil, errNode(n, "%s %v, want a positive finite bound or 0 (none)", c.name, c.v)
		}
	}
	if n.Attrs.LinearBeforeReset && n.Op != OpGRU {
		return nil, errNode(n, "LinearBeforeReset is a GRU attribute")
	}
	if acts := n.Attrs.Activations; acts != nil {
		def := RecurrentActivations(n.Op)
		ok := len(acts) == len(def)
		for i := 0; ok && i < len(acts); i++ {
			ok = strings.EqualFold(acts[i], def[i])
		}
		if !ok {
			return nil, errNode(n, "activations %v: only the defaults %v are supported", acts, def)
		}
	}
	if n.Attrs.Sequence {
		return []int{t, h}, nil
	}
	return []int{h}, nil
}

// rnnCheckParam checks that a parameter tensor is [rows, cols] (cols >= 0) or a vector of rows
// elements (cols < 0), holding as many elements as its shape says. A nil tensor is an error when
// required.
func rnnCheckParam(n *Node, what string, t *Tensor, rows, cols int, required bool) error {
	if t == nil {
		if required {
			return errNode(n, "has no %s", what)
		}
		return nil
	}
	want := []int{rows}
	if cols >= 0 {
		want = []int{rows, cols}
	}
	if !slices.Equal(t.Shape, want) {
		return errNode(n, "%s has shape %v, want %v", what, t.Shape, want)
	}
	if k, _ := NumElements(t.Shape); k != len(t.Data) {
		return errNode(n, "%s shape %v does not match its %d elements", what, t.Shape, len(t.Data))
	}
	return nil
}

// rnnLayer holds what every chunk of samples shares while a recurrent node runs.
type rnnLayer struct {
	op         Op
	t, in, h   int
	gh         int       // G·H, the width of one step's gate pre-activations
	wt, rt     []float32 // Wᵀ [I, G·H] and Rᵀ [H, G·H], so that gemm updates gate rows by AXPYs
	wb, rb     []float32 // input and recurrence biases [G·H], or nil
	h0, c0     []float32 // initial states [H], or nil
	lbr, every bool      // GRU linear_before_reset; output every step
	cellClip   float32   // LSTM cell state bound, 0 for none
	gateClip   float32   // LSTM gate pre-activation bound, 0 for none
}

// runRecurrent runs a recurrent node on a batch. Samples are split into chunks over goroutines;
// for a chunk, the input projections of all its samples and steps are one GEMM, then each step
// multiplies the chunk's hidden states by Rᵀ (one GEMM) and applies the gate equations. Every
// row of a GEMM is summed in the same order whatever the chunk, so results do not depend on the
// goroutine count.
func runRecurrent(n *Node, a RunArgs) error {
	if a.IsConst[0] {
		return errNode(n, "input %q is a constant; a recurrent layer needs an activation", n.Inputs[0])
	}
	if _, err := inferRecurrent(n, a.InShape[:1]); err != nil {
		return err
	}
	l := &rnnLayer{op: n.Op, t: a.InShape[0][0], in: a.InShape[0][1], h: n.Attrs.Hidden,
		lbr: n.Attrs.LinearBeforeReset, every: n.Attrs.Sequence, cellClip: n.Attrs.CellClip, gateClip: n.Attrs.GateClip}
	l.gh = RecurrentGates(n.Op) * l.h
	l.wt = rnnTranspose(n.Weight.Data, l.gh, l.in)
	l.rt = rnnTranspose(n.Recurrent.Data, l.gh, l.h)
	if n.Bias != nil {
		l.wb, l.rb = n.Bias.Data[:l.gh], n.Bias.Data[l.gh:]
	}
	if n.InitialH != nil {
		l.h0 = n.InitialH.Data
	}
	if n.InitialC != nil {
		l.c0 = n.InitialC.Data
	}
	x := a.Ins[0].Data
	work := a.Batch * l.t * l.gh * (l.in + l.h)
	parallelFor(a.Batch, 1, work, func(lo, hi int) {
		l.runChunk(x[lo*l.t*l.in:hi*l.t*l.in], a.Y.Data[lo*len(a.Y.Data)/a.Batch:hi*len(a.Y.Data)/a.Batch], hi-lo)
	})
	return nil
}

// rnnTranspose returns the transpose [cols, rows] of the row-major matrix m [rows, cols].
func rnnTranspose(m []float32, rows, cols int) []float32 {
	t := make([]float32, rows*cols)
	for r := 0; r < rows; r++ {
		for c, v := range m[r*cols : (r+1)*cols] {
			t[c*rows+r] = v
		}
	}
	return t
}

// runChunk computes bs samples: x [bs, T, I] into y [bs, T, H] or [bs, H].
func (l *rnnLayer) runChunk(x, y []float32, bs int) {
	t, h, gh := l.t, l.h, l.gh
	xp := make([]float32, bs*t*gh) // input projections xWᵀ + Wb of every sample and step
	gemm(bs*t, gh, l.in, x, l.in, l.wt, gh, xp, gh)
	if l.wb != nil {
		for r := 0; r < bs*t; r++ {
			row := xp[r*gh : (r+1)*gh]
			for i, b := range l.wb {
				row[i] += b
			}
		}
	}
	hs := make([]float32, bs*h) // hidden state of each sample
	var cs []float32            // LSTM cell state
	for s := 0; s < bs; s++ {
		if l.h0 != nil {
			copy(hs[s*h:], l.h0)
		}
	}
	if l.op == OpLSTM {
		cs = make([]float32, bs*h)
		for s := 0; s < bs; s++ {
			if l.c0 != nil {
				copy(cs[s*h:], l.c0)
			}
		}
	}
	rp := make([]float32, bs*gh) // recurrence projections hRᵀ + Rb of one step
	var rh []float32             // GRU without linear_before_reset: r ⊙ h
	if l.op == OpGRU && !l.lbr {
		rh = make([]float32, bs*h)
	}
	for step := 0; step < t; step++ {
		switch {
		case l.op == OpGRU && !l.lbr:
			l.gruResetStep(xp, hs, rp, rh, bs, step)
		default:
			l.project(hs, rp, bs, 0, gh)
			for s := 0; s < bs; s++ {
				xs := xp[(s*t+step)*gh : (s*t+step+1)*gh]
				rs := rp[s*gh : (s+1)*gh]
				hh := hs[s*h : (s+1)*h]
				switch l.op {
				case OpRNN:
					for j := range hh {
						hh[j] = rnnTanh(xs[j] + rs[j])
					}
				case OpLSTM: // in float32 (fast_lstm.go)
					fastLSTMCell(xs, rs, cs[s*h:(s+1)*h], hh, h, l.gateClip, l.cellClip)
				case OpGRU: // linear_before_reset
					for j := range hh {
						z := rnnSigmoid(xs[j] + rs[j])
						r := rnnSigmoid(xs[h+j] + rs[h+j])
						c := rnnTanh(xs[2*h+j] + r*rs[2*h+j])
						hh[j] = (1-z)*c + z*hh[j]
					}
				}
			}
		}
		if l.every {
			for s := 0; s < bs; s++ {
				copy(y[(s*t+step)*h:(s*t+step+1)*h], hs[s*h:(s+1)*h])
			}
		}
	}
	if !l.every {
		copy(y, hs)
	}
}

// project sets columns [c0, c1) of rp [bs, G·H] to hs·Rᵀ + Rb for those columns.
func (l *rnnLayer) project(hs, rp []float32, bs, c0, c1 int) {
	gemm(bs, c1-c0, l.h, hs, l.h, l.rt[c0:], l.gh, rp[c0:], l.gh)
	if l.rb != nil {
		for s := 0; s < bs; s++ {
			row := rp[s*l.gh+c0 : s*l.gh+c1]
			for i, b := range l.rb[c0:c1] {
				row[i] += b
			}
		}
	}
}

// gruResetStep is one GRU step without linear_before_reset, where the candidate state needs
// (r ⊙ h)·Rhᵀ: the z and r gates come first, then the product for the candidate.
func (l *rnnLayer) gruResetStep(xp, hs, rp, rh []float32, bs, step int) {
	t, h, gh := l.t, l.h, l.gh
	l.project(hs, rp, bs, 0, 2*h)
	for s := 0; s < bs; s++ {
		xs := xp[(s*t+step)*gh:]
		rs := rp[s*gh:]
		for j := 0; j < h; j++ {
			r := rnnSigmoid(xs[h+j] + rs[h+j])
			rh[s*h+j] = r * hs[s*h+j]
		}
	}
	l.project(rh, rp, bs, 2*h, 3*h)
	for s := 0; s < bs; s++ {
		xs := xp[(s*t+step)*gh:]
		rs := rp[s*gh:]
		hh := hs[s*h : (s+1)*h]
		for j := range hh {
			z := rnnSigmoid(xs[j] + rs[j])
			c := rnnTanh(xs[2*h+j] + rs[2*h+j])
			hh[j] = (1-z)*c + z*hh[j]
		}
	}
}

// rnnClip limits v to [−bound, bound]; a zero bound leaves v unchanged.
func rnnClip(v, bound float32) float32 {
	if bound == 0 {
		return v
	}
	return min(max(v, -bound), bound)
}

// rnnSigmoid is the logistic function, computed in float64 and rounded once.
func rnnSigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// rnnTanh is tanh, computed in float64 and rounded once.
func rnnTanh(x float32) float32 { return float32(math.Tanh(float64(x))) }
