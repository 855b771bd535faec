package model

import (
	"math"
	"slices"
)

// Int8 recurrent layers (RNN, LSTM, GRU) in the integer scheme of TFLite's full-integer LSTM
// ("8x8_16", tensorflow/lite/kernels/lstm_eval.cc, LstmStepInteger8x8_16, without peepholes,
// projection, layer normalisation or CIFG):
//
//   - the input x and the hidden state h are int8 with per-tensor affine parameters: x has
//     its value's Graph.Quant entry, h the node's output quantization Attrs.Quant (the hidden
//     state is the output);
//   - the weights W (Node.QWeight) and R (RecurrentQuant.Recurrent) are symmetric int8, one
//     scale per tensor or per row (TFLite has one per gate tensor, a special case); the biases
//     are int32, Wb (Node.QBias) at scale s_x·s_W[row] and Rb (RecurrentQuant.RecurrentBias)
//     at s_h·s_R[row]; a zero point z is folded into an effective bias b − z·Σ_j w[row, j] as
//     TFLite's PrecomputeZeroPointTimesWeightWithBias does;
//   - each gate pre-activation is an int16 Qk.(15−k) value, k = GateIntBits[gate] (TFLite
//     without layer normalisation: k = 3, Q3.12). It is built as TFLite's
//     MatrixBatchVectorMultiplyAccumulate does: the input part
//     clamp16(MultiplyByQuantizedMultiplier(Wb' + Σ w·x, M_x[row])) with M_x = s_x·s_W/2^(k−15),
//     then the recurrent part MultiplyByQuantizedMultiplier(Rb' + Σ r·h, M_h[row]) added to it
//     and clamped to int16 again;
//   - gate activations are gemmlowp's 16-bit logistic and tanh (Int16Sigmoid, Int16Tanh), with
//     a Q0.15 result;
//   - LSTM: the cell state is int16 with the power-of-two scale 2^(CellIntBits−15).
//     c = RoundingDivideByPOT(f·c, 15) + RoundingDivideByPOT(i·g, 15+CellIntBits), saturated
//     to int16 (TFLite's CwiseMul and CwiseAdd), then clipped to the quantized cell_clip
//     (truncated toward zero, as TFLite does); h = clamp8(MultiplyByQuantizedMultiplier(
//     o·tanh(c), 2^−30/s_h) + z_h), tanh taking the cell in Q(CellIntBits).(15−CellIntBits).
//     TFLite's PortableCwiseMul subtracted the output zero point before tensorflow PR 56493
//     ("Fix zero-point addition in PortableCwiseMul", 2022); this adds it, as fixed.
//
// TFLite has no integer kernel for GRU or simple RNN. Their scheme here uses the same parts:
//
//   - RNN: the single gate pre-activation as above, h = clamp8(MultiplyByQuantizedMultiplier(
//     tanh(pre), 2^−15/s_h) + z_h).
//   - GRU: z and r are sigmoid gates as above. With linear_before_reset (PyTorch) the candidate
//     pre-activation is clamp16(xh + RoundingDivideByPOT(r·rh, 15)), where xh and rh are the
//     input and recurrent parts of the h gate each rescaled to Q(k_h) and clamped; without it,
//     r ⊙ h is first requantized to int8 with h's parameters,
//     clamp8(RoundingDivideByPOT(r·(h − z_h), 15) + z_h), and multiplied by R_h like h. Then
//     ĥ = tanh(pre) in Q0.15 and h' = (1 − z)·ĥ + z·h is formed in units of s_h/2^15:
//     u = RoundingDivideByPOT((32768 − z)·ĥ, 15), acc = MultiplyByQuantizedMultiplier(u, 1/s_h)
//     + z·(h − z_h), h' = clamp8(RoundingDivideByPOT(acc, 15) + z_h). This needs s_h ≥ 2^−14.
//
// Attrs.GateClip (ONNX clip) clamps every gate pre-activation to the quantized bound. The
// initial states InitialH and InitialC are quantized when the node runs (h with the output
// parameters, c with the cell scale), rounding half away from zero.
//
// Every sample is computed independently, in a fixed order, so results do not depend on the
// goroutine count.

func init() {
	for _, op := range []Op{OpRNN, OpLSTM, OpGRU} {
		RegisterInt8(op, q8RunRecurrent)
	}
}

// RecurrentQuant is the quantization an int8 RNN, LSTM or GRU node needs beyond QWeight (the
// int8 input weights W), QBias (the int32 input biases Wb) and Attrs.Quant (the int8 hidden
// state and output). See int8_rnn.go for the arithmetic.
type RecurrentQuant struct {
	// Recurrent is the int8 recurrence weight R [G·H, H], symmetric (zero points 0), with one
	// scale or one per row.
	Recurrent *QTensor
	// RecurrentBias is the int32 recurrence bias Rb [G·H] at scale s_h·s_R[row]; nil is zero.
	RecurrentBias []int32 `json:",omitempty"`
	// GateIntBits gives, per gate in the node's gate order, the integer bits k of the int16
	// Qk.(15−k) gate pre-activations, 0 … 8; nil means 3 for every gate (Q3.12, TFLite's
	// format without layer normalisation).
	GateIntBits []int `json:",omitempty"`
	// CellIntBits (LSTM) gives the int16 cell state's scale 2^(CellIntBits−15), 0 … 6 (TFLite:
	// cell_state_scale = CellIntBits − 15; ApplyTanh accepts 0 … 6 integer bits).
	CellIntBits int `json:",omitempty"`
}

// Clone returns a deep copy.
func (q *RecurrentQuant) Clone() *RecurrentQuant {
	if q == nil {
		return nil
	}
	c := *q
	c.Recurrent = q.Recurrent.Clone()
	c.RecurrentBias = slices.Clone(q.RecurrentBias)
	c.GateIntBits = slices.Clone(q.GateIntBits)
	return &c
}

// DefaultGateIntBits is the integer bits of TFLite's int16 LSTM gate pre-activations without
// layer normalisation (Q3.12).
const DefaultGateIntBits = 3

// MaxGateIntBits and MaxCellIntBits bound RecurrentQuant.GateIntBits and CellIntBits.
const (
	MaxGateIntBits = 8
	MaxCellIntBits = 6
)

// q8RNNLayer is what every sample shares while an int8 recurrent node runs.
type q8RNNLayer struct {
	op              Op
	t, in, h, g     int
	x, hid          q8Affine
	w, r            []int32 // W [G·H, I] and R [G·H, H]
	bx, bh          []int32 // effective biases [G·H]
	mx, mh          []int32 // per-row multipliers to the gate format
	sx, sh          []int
	gateBits        []int   // per gate
	gateClip        []int16 // per gate, 0 for none
	cellBits        int
	cellClip        int16 // 0 for none
	outMul          int32 // LSTM 2^−30/s_h, RNN 2^−15/s_h, GRU 1/s_h
	outShift        int
	h0              []int32 // initial hidden state (int8 values)
	c0              []int16 // initial cell state
	lbr, every      bool
	resetBeforeMult bool // GRU without linear_before_reset
}

// q8RunRecurrent computes an int8 RNN, LSTM or GRU node.
func q8RunRecurrent(n *Node, a RunArgs) error {
	if a.IsConst[0] {
		return errNode(n, "input %q is a constant; a recurrent layer needs an activation", n.Inputs[0])
	}
	if _, err := inferRecurrent(n, a.InShape[:1]); err != nil {
		return err
	}
	l, err := newQ8RNNLayer(n, a)
	if err != nil {
		return err
	}
	x, y := a.Ins[0].Data, a.Y.Data
	per := len(y) / a.Batch
	parallelFor(a.Batch, 1, a.Batch*l.t*l.g*l.h*(l.in+l.h), func(lo, hi int) {
		for s := lo; s < hi; s++ {
			l.runSample(x[s*l.t*l.in:(s+1)*l.t*l.in], y[s*per:(s+1)*per])
		}
	})
	return nil
}

// newQ8RNNLayer checks an int8 recurrent node's quantization and derives its fixed-point
// parameters.
func newQ8RNNLayer(n *Node, a RunArgs) (*q8RNNLayer, error) {
	rq := n.RecurrentQuant
	if rq == nil || rq.Recurrent == nil {
		return nil, errNode(n, "computes in int8 but has no RecurrentQuant with the int8 recurrence weights")
	}
	if n.QWeight == nil {
		return nil, errNode(n, "computes in int8 but has no QWeight")
	}
	l := &q8RNNLayer{op: n.Op, t: a.InShape[0][0], in: a.InShape[0][1], h: n.Attrs.Hidden, g: RecurrentGates(n.Op),
		lbr: n.Attrs.LinearBeforeReset, every: n.Attrs.Sequence}
	l.resetBeforeMult = n.Op == OpGRU && !l.lbr
	gh := l.g * l.h
	var err error
	if l.x, err = q8Input(n, a, 0); err != nil {
		return nil, err
	}
	if l.hid, err = q8Output(n); err != nil {
		return nil, err
	}
	wScale, err := q8RNNWeight(n, "QWeight", n.QWeight, gh, l.in)
	if err != nil {
		return nil, err
	}
	rScale, err := q8RNNWeight(n, "RecurrentQuant.Recurrent", rq.Recurrent, gh, l.h)
	if err != nil {
		return nil, err
	}
	for _, b := range []struct {
		name string
		v    []int32
	}{{"QBias", n.QBias}, {"RecurrentQuant.RecurrentBias", rq.RecurrentBias}} {
		if b.v != nil && len(b.v) != gh {
			return nil, errNode(n, "%s has %d elements, want %d (gates × hidden)", b.name, len(b.v), gh)
		}
	}
	l.gateBits = make([]int, l.g)
	for i := range l.gateBits {
		l.gateBits[i] = DefaultGateIntBits
	}
	if rq.GateIntBits != nil {
		if len(rq.GateIntBits) != l.g {
			return nil, errNode(n, "RecurrentQuant.GateIntBits has %d entries, want %d (one per gate)", len(rq.GateIntBits), l.g)
		}
		for i, k := range rq.GateIntBits {
			if k < 0 || k > MaxGateIntBits {
				return nil, errNode(n, "RecurrentQuant.GateIntBits[%d] is %d, want 0 … %d", i, k, MaxGateIntBits)
			}
		}
		copy(l.gateBits, rq.GateIntBits)
	}
	if n.Op == OpLSTM {
		if rq.CellIntBits < 0 || rq.CellIntBits > MaxCellIntBits {
			return nil, errNode(n, "RecurrentQuant.CellIntBits is %d, want 0 … %d", rq.CellIntBits, MaxCellIntBits)
		}
		l.cellBits = rq.CellIntBits
		if c := n.Attrs.CellClip; c > 0 {
			// TFLite truncates: static_cast<int16_t>(clamp(cell_clip / cell_scale)).
			v := float64(c / float32(math.Ldexp(1, l.cellBits-15)))
			l.cellClip = int16(math.Trunc(min(max(v, math.MinInt16), math.MaxInt16)))
		}
	} else if rq.CellIntBits != 0 {
		return nil, errNode(n, "RecurrentQuant.CellIntBits is set, but only an LSTM has a cell state")
	}
	l.w, l.r = q8RNNInts(n.QWeight.Data), q8RNNInts(rq.Recurrent.Data)
	l.bx = q8RNNEffectiveBias(n.QBias, l.w, gh, l.in, l.x.zp)
	l.bh = q8RNNEffectiveBias(rq.RecurrentBias, l.r, gh, l.h, l.hid.zp)
	l.mx, l.sx = make([]int32, gh), make([]int, gh)
	l.mh, l.sh = make([]int32, gh), make([]int, gh)
	l.gateClip = make([]int16, l.g)
	// Effective scales are computed in float32, as TFLite's PopulateQuantizedLstmParams8x8_16
	// does (weight scale × input scale / intermediate scale, then QuantizeMultiplier).
	for gate := 0; gate < l.g; gate++ {
		unit := float32(math.Ldexp(1, l.gateBits[gate]-15)) // real value of one gate LSB
		if c := n.Attrs.GateClip; c > 0 {
			l.gateClip[gate] = max(q8RNNInt16(float64(c/unit)), 1)
		}
		for j := 0; j < l.h; j++ {
			row := gate*l.h + j
			l.mx[row], l.sx[row] = QuantizeMultiplier(float64(wScale(row) * l.x.scale / unit))
			l.mh[row], l.sh[row] = QuantizeMultiplier(float64(rScale(row) * l.hid.scale / unit))
		}
	}
	sh := l.hid.scale
	const q15 = float32(1.0 / 32768)
	switch n.Op {
	case OpLSTM: // TFLite: effective_hidden_scale = 2^−15 / hidden scale · 2^−15
		l.outMul, l.outShift = QuantizeMultiplier(float64(q15 / sh * q15))
	case OpRNN:
		l.outMul, l.outShift = QuantizeMultiplier(float64(q15 / sh))
	case OpGRU:
		if float64(sh) < math.Ldexp(1, -14) {
			return nil, errNode(n, "hidden state scale %g is below 2^-14, too small for the int8 GRU's fixed-point update", sh)
		}
		l.outMul, l.outShift = QuantizeMultiplier(float64(1 / sh))
	}
	l.h0 = make([]int32, l.h)
	for j := range l.h0 {
		l.h0[j] = l.hid.zp
		if n.InitialH != nil {
			l.h0[j] = q8QuantizeValue(n.InitialH.Data[j], l.hid.scale, l.hid.zp, false)
		}
	}
	if n.Op == OpLSTM {
		l.c0 = make([]int16, l.h)
		if n.InitialC != nil {
			for j, v := range n.InitialC.Data {
				l.c0[j] = q8RNNInt16(float64(v) * math.Ldexp(1, 15-l.cellBits))
			}
		}
	}
	return l, nil
}

// q8RNNWeight checks an int8 recurrent weight [rows, cols] (symmetric, per tensor or per row)
// and returns its scale by row.
func q8RNNWeight(n *Node, what string, w *QTensor, rows, cols int) (func(int) float32, error) {
	if !slices.Equal(w.Shape, []int{rows, cols}) {
		return nil, errNode(n, "%s has shape %v, want [%d %d]", what, w.Shape, rows, cols)
	}
	if len(w.Data) != rows*cols {
		return nil, errNode(n, "%s shape %v does not match its %d elements", what, w.Shape, len(w.Data))
	}
	q := w.Quant
	if len(q.Scale) != 1 && (len(q.Scale) != rows || q.Axis != 0) {
		return nil, errNode(n, "%s has %d scales along axis %d, want 1 or %d along axis 0 (one per row)", what, len(q.Scale), q.Axis, rows)
	}
	for i, s := range q.Scale {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return nil, errNode(n, "%s scale %d is %v, want a positive finite number", what, i, s)
		}
	}
	for _, z := range q.ZeroPoint {
		if z != 0 {
			return nil, errNode(n, "%s has zero point %d; int8 recurrent weights must be symmetric (zero point 0)", what, z)
		}
	}
	if len(q.Scale) == 1 {
		s := q.Scale[0]
		return func(int) float32 { return s }, nil
	}
	return func(row int) float32 { return q.Scale[row] }, nil
}

// q8RNNInts widens int8 weights to int32.
func q8RNNInts(w []int8) []int32 {
	out := make([]int32, len(w))
	for i, v := range w {
		out[i] = int32(v)
	}
	return out
}

// q8RNNEffectiveBias returns b[row] − zp·Σ_j w[row, j] (b nil is zero), so that the raw int8
// operand can be multiplied without subtracting its zero point.
func q8RNNEffectiveBias(b, w []int32, rows, cols int, zp int32) []int32 {
	out := make([]int32, rows)
	for row := range out {
		var sum int32
		for _, v := range w[row*cols : (row+1)*cols] {
			sum += v
		}
		if b != nil {
			out[row] = b[row]
		}
		out[row] -= zp * sum
	}
	return out
}

// q8RNNInt16 rounds v half away from zero and saturates it to int16.
func q8RNNInt16(v float64) int16 {
	r := math.Round(v)
	if math.IsNaN(r) {
		return 0
	}
	return int16(min(max(r, math.MinInt16), math.MaxInt16))
}

// q8Clamp16 saturates v to int16.
func q8Clamp16(v int32) int16 { return int16(min(max(v, math.MinInt16), math.MaxInt16)) }

// q8RNNDot returns bias[row] + Σ_j m[row, j]·v[j] for the row-major m with len(v) columns.
func q8RNNDot(bias, m []int32, row int, v []int32) int32 {
	acc := bias[row]
	for j, w := range m[row*len(v) : (row+1)*len(v)] {
		acc += w * v[j]
	}
	return acc
}

// inputPart is the input contribution to gate row row, in the gate format, saturated.
func (l *q8RNNLayer) inputPart(row int, xs []int32) int16 {
	return q8Clamp16(MultiplyByQuantizedMultiplier(q8RNNDot(l.bx, l.w, row, xs), l.mx[row], l.sx[row]))
}

// recurrentPart is the recurrent contribution to gate row row for the int8 vector hs, in the
// gate format (not saturated).
func (l *q8RNNLayer) recurrentPart(row int, hs []int32) int32 {
	return MultiplyByQuantizedMultiplier(q8RNNDot(l.bh, l.r, row, hs), l.mh[row], l.sh[row])
}

// pre is the full pre-activation of gate row row: input part, then recurrent part, each
// saturated to int16 as TFLite's accumulation does, then the gate clip.
func (l *q8RNNLayer) pre(gate, j int, xs, hs []int32) int16 {
	row := gate*l.h + j
	return l.clipGate(gate, q8Clamp16(l.recurrentPart(row, hs)+int32(l.inputPart(row, xs))))
}

func (l *q8RNNLayer) clipGate(gate int, v int16) int16 {
	if c := l.gateClip[gate]; c > 0 {
		return min(max(v, -c), c)
	}
	return v
}

func (l *q8RNNLayer) sigmoid(gate int, v int16) int16 { return Int16Sigmoid(v, l.gateBits[gate]) }
func (l *q8RNNLayer) tanh(gate int, v int16) int16    { return Int16Tanh(v, l.gateBits[gate]) }

// runSample runs one sample: x [T, I] int8 values into y [T, H] or [H].
func (l *q8RNNLayer) runSample(x, y []float32) {
	h := l.h
	hs := slices.Clone(l.h0)  // int8 hidden state
	next := make([]int32, h)  // the step's new hidden state
	xs := make([]int32, l.in) // the step's input
	var cs []int16
	var gates []int16
	var rh []int32
	switch l.op {
	case OpLSTM:
		cs = slices.Clone(l.c0)
		gates = make([]int16, 4*h)
	case OpGRU:
		gates = make([]int16, 2*h)
		if l.resetBeforeMult {
			rh = make([]int32, h)
		}
	}
	for step := 0; step < l.t; step++ {
		for i, v := range x[step*l.in : (step+1)*l.in] {
			xs[i] = int32(v)
		}
		switch l.op {
		case OpRNN:
			for j := 0; j < h; j++ {
				t := Int16Tanh(l.pre(0, j, xs, hs), l.gateBits[0])
				next[j] = q8Clamp(MultiplyByQuantizedMultiplier(int32(t), l.outMul, l.outShift)+l.hid.zp, q8Min, q8Max)
			}
		case OpLSTM:
			l.lstmStep(xs, hs, cs, gates, next)
		case OpGRU:
			l.gruStep(xs, hs, rh, gates, next)
		}
		copy(hs, next)
		if l.every {
			for j, v := range hs {
				y[step*h+j] = float32(v)
			}
		}
	}
	if !l.every {
		for j, v := range hs {
			y[j] = float32(v)
		}
	}
}

// lstmStep computes one LSTM step (gate order i, o, f, c) into next, updating the cell state.
func (l *q8RNNLayer) lstmStep(xs, hs []int32, cs, gates []int16, next []int32) {
	h := l.h
	for j := 0; j < h; j++ {
		gates[j] = l.sigmoid(0, l.pre(0, j, xs, hs))
		gates[h+j] = l.sigmoid(1, l.pre(1, j, xs, hs))
		gates[2*h+j] = l.sigmoid(2, l.pre(2, j, xs, hs))
		gates[3*h+j] = l.tanh(3, l.pre(3, j, xs, hs))
	}
	for j := 0; j < h; j++ {
		i, o, f, g := int32(gates[j]), int32(gates[h+j]), int32(gates[2*h+j]), int32(gates[3*h+j])
		fc := int16(q8RoundingDivideByPOT(f*int32(cs[j]), 15))
		ig := int16(q8RoundingDivideByPOT(i*g, 15+l.cellBits))
		c := q8Clamp16(int32(fc) + int32(ig))
		if l.cellClip > 0 {
			c = min(max(c, -l.cellClip), l.cellClip)
		}
		cs[j] = c
		t := int32(Int16Tanh(c, l.cellBits))
		next[j] = q8Clamp(MultiplyByQuantizedMultiplier(o*t, l.outMul, l.outShift)+l.hid.zp, q8Min, q8Max)
	}
}

// gruStep computes one GRU step (gate order z, r, h) into next.
func (l *q8RNNLayer) gruStep(xs, hs, rh []int32, gates []int16, next []int32) {
	h := l.h
	for j := 0; j < h; j++ {
		gates[j] = l.sigmoid(0, l.pre(0, j, xs, hs))
		gates[h+j] = l.sigmoid(1, l.pre(1, j, xs, hs))
	}
	if l.resetBeforeMult {
		for j := 0; j < h; j++ {
			v := q8RoundingDivideByPOT(int32(gates[h+j])*(hs[j]-l.hid.zp), 15) + l.hid.zp
			rh[j] = q8Clamp(v, q8Min, q8Max)
		}
	}
	for j := 0; j < h; j++ {
		row := 2*h + j
		var pre int16
		if l.resetBeforeMult {
			pre = l.clipGate(2, q8Clamp16(l.recurrentPart(row, rh)+int32(l.inputPart(row, xs))))
		} else {
			xh := int32(l.inputPart(row, xs))
			hr := int32(q8Clamp16(l.recurrentPart(row, hs)))
			pre = l.clipGate(2, q8Clamp16(xh+q8RoundingDivideByPOT(int32(gates[h+j])*hr, 15)))
		}
		cand := int32(l.tanh(2, pre))
		z := int32(gates[j])
		u := q8RoundingDivideByPOT((32768-z)*cand, 15)
		acc := MultiplyByQuantizedMultiplier(u, l.outMul, l.outShift) + z*(hs[j]-l.hid.zp)
		next[j] = q8Clamp(q8RoundingDivideByPOT(acc, 15)+l.hid.zp, q8Min, q8Max)
	}
}
