package model

import "math"

// Backpropagation through time for the recurrent operators RNN, LSTM and GRU (see
// RecurrentGates for their equations and gate orders).
//
// Activations keep only a recurrent node's output, so the backward pass runs the layer
// forward again, sample by sample, in float64, keeping every step's gates and states, and then
// walks the steps backwards. Per sample it accumulates the gradients of W [G·H, I],
// R [G·H, H] and B [2·G·H] (the input biases, then the recurrence biases) and writes the input
// gradient [T, I]. The initial states are constants of the layer: they get no gradient.
//
// Clipping follows the forward pass: an LSTM gate pre-activation outside [−GateClip, GateClip]
// or a cell state outside [−CellClip, CellClip] was replaced by the bound, so no gradient
// passes through it (a value exactly at the bound passes, as torch.clamp's does).
//
// Samples are split into at most trainBlocks fixed blocks that run concurrently; the blocks'
// parameter gradients are added in block order, so the result does not depend on GOMAXPROCS.

func init() {
	for _, op := range []Op{OpRNN, OpLSTM, OpGRU} {
		trainBackwards[op] = trainRecurrentBackward
	}
}

// trainRNN holds a recurrent layer's parameters in float64 for one backward pass.
type trainRNN struct {
	op           Op
	t, in, h, gh int
	w, r         []float64 // W [G·H, I], R [G·H, H]
	wb, rb       []float64 // input and recurrence biases [G·H] (zeros when the layer has none)
	h0, c0       []float64 // initial states [H]
	lbr, every   bool
	cellClip     float64
	gateClip     float64
}

// trainRNNGrads accumulates one block's parameter gradients.
type trainRNNGrads struct{ w, r, wb, rb []float64 }

// trainRNNTape is one sample's forward pass: for each step, the gates after their activation
// functions, the hidden state before it, and for LSTM the cell state before and after the step
// and the unclipped pre-activations; for GRU the recurrence part of the candidate (lbr) or
// r ⊙ h (without lbr).
type trainRNNTape struct {
	x     []float64 // [T, I]
	hs    []float64 // [T+1, H]: h before step 0, after step 0, ...
	cs    []float64 // LSTM [T+1, H]
	cpre  []float64 // LSTM [T, H]: f ⊙ c + i ⊙ c̃ before the cell clip
	pre   []float64 // [T, G·H] gate pre-activations (GRU candidate: the full argument of tanh)
	gates []float64 // [T, G·H] gate values
	aux   []float64 // GRU [T, H]: hRh + Rbh (lbr) or r ⊙ h (without lbr)
}

func trainRecurrentBackward(a trainBackArgs) ([]*Tensor, *LayerGrad, error) {
	n := a.n
	if a.isConst[0] {
		return nil, nil, errNode(n, "input %q is a constant; a recurrent layer needs an activation", n.Inputs[0])
	}
	l, err := trainNewRNN(n, a.inShapes[0])
	if err != nil {
		return nil, nil, err
	}
	batch := a.batch

	blocks := min(batch, trainBlocks)
	per := (batch + blocks - 1) / blocks
	blocks = (batch + per - 1) / per
	partial := make([]trainRNNGrads, blocks)
	dx := NewTensor(a.ins[0].Shape...)
	x := a.ins[0].Data
	dyPer := len(a.dy.Data) / batch
	xPer := l.t * l.in
	parallelFor(blocks, 1, batch*l.t*l.gh*(l.in+l.h)*4, func(lo, hi int) {
		tape := l.newTape()
		dxs := make([]float64, xPer)
		for blk := lo; blk < hi; blk++ {
			g := trainRNNGrads{w: make([]float64, len(l.w)), r: make([]float64, len(l.r)),
				wb: make([]float64, l.gh), rb: make([]float64, l.gh)}
			for s := blk * per; s < min(batch, (blk+1)*per); s++ {
				for i, v := range x[s*xPer : (s+1)*xPer] {
					tape.x[i] = float64(v)
				}
				l.forward(tape)
				clear(dxs)
				l.backward(tape, a.dy.Data[s*dyPer:(s+1)*dyPer], &g, dxs)
				trainRound(dx.Data[s*xPer:(s+1)*xPer], dxs)
			}
			partial[blk] = g
		}
	})
	sum := trainRNNGrads{w: make([]float64, len(l.w)), r: make([]float64, len(l.r)),
		wb: make([]float64, l.gh), rb: make([]float64, l.gh)}
	for _, p := range partial {
		trainAddTo(sum.w, p.w)
		trainAddTo(sum.r, p.r)
		trainAddTo(sum.wb, p.wb)
		trainAddTo(sum.rb, p.rb)
	}
	lg := &LayerGrad{Weight: NewTensor(n.Weight.Shape...), Recurrent: NewTensor(n.Recurrent.Shape...)}
	trainRound(lg.Weight.Data, sum.w)
	trainRound(lg.Recurrent.Data, sum.r)
	if n.Bias != nil {
		lg.Bias = NewTensor(n.Bias.Shape...)
		trainRound(lg.Bias.Data[:l.gh], sum.wb)
		trainRound(lg.Bias.Data[l.gh:], sum.rb)
	}
	return []*Tensor{dx}, lg, nil
}

// trainNewRNN checks a recurrent node against its per-sample input shape [T, I] and returns
// its parameters in float64.
func trainNewRNN(n *Node, inShape []int) (*trainRNN, error) {
	if _, err := inferRecurrent(n, [][]int{inShape}); err != nil {
		return nil, err
	}
	l := &trainRNN{op: n.Op, t: inShape[0], in: inShape[1], h: n.Attrs.Hidden,
		lbr: n.Attrs.LinearBeforeReset, every: n.Attrs.Sequence,
		cellClip: float64(n.Attrs.CellClip), gateClip: float64(n.Attrs.GateClip)}
	l.gh = RecurrentGates(n.Op) * l.h
	l.w, l.r = trainF64(n.Weight.Data), trainF64(n.Recurrent.Data)
	l.wb, l.rb = make([]float64, l.gh), make([]float64, l.gh)
	if n.Bias != nil {
		b := trainF64(n.Bias.Data)
		l.wb, l.rb = b[:l.gh], b[l.gh:]
	}
	l.h0, l.c0 = make([]float64, l.h), make([]float64, l.h)
	if n.InitialH != nil {
		l.h0 = trainF64(n.InitialH.Data)
	}
	if n.InitialC != nil {
		l.c0 = trainF64(n.InitialC.Data)
	}
	return l, nil
}

// trainF64 returns v converted to float64.
func trainF64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// trainAddTo adds src to dst elementwise.
func trainAddTo(dst, src []float64) {
	for i, v := range src {
		dst[i] += v
	}
}

func (l *trainRNN) newTape() *trainRNNTape {
	tp := &trainRNNTape{x: make([]float64, l.t*l.in), hs: make([]float64, (l.t+1)*l.h),
		pre: make([]float64, l.t*l.gh), gates: make([]float64, l.t*l.gh)}
	if l.op == OpLSTM {
		tp.cs, tp.cpre = make([]float64, (l.t+1)*l.h), make([]float64, l.t*l.h)
	}
	if l.op == OpGRU {
		tp.aux = make([]float64, l.t*l.h)
	}
	return tp
}

// trainDot returns Σ a[i]·b[i].
func trainDot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// trainSig is the logistic function.
func trainSig(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

// trainClip limits v to [−bound, bound] (bound 0: no limit).
func trainClip(v, bound float64) float64 {
	if bound == 0 {
		return v
	}
	return min(max(v, -bound), bound)
}

// trainInside reports whether v passed trainClip unchanged (bound 0: always).
func trainInside(v, bound float64) bool { return bound == 0 || (v >= -bound && v <= bound) }

// forward runs one sample (tape.x) through the layer, filling the tape.
func (l *trainRNN) forward(tp *trainRNNTape) {
	h, gh, in := l.h, l.gh, l.in
	copy(tp.hs[:h], l.h0)
	if l.op == OpLSTM {
		copy(tp.cs[:h], l.c0)
	}
	for t := 0; t < l.t; t++ {
		x := tp.x[t*in : (t+1)*in]
		hp := tp.hs[t*h : (t+1)*h]
		hn := tp.hs[(t+1)*h : (t+2)*h]
		pre := tp.pre[t*gh : (t+1)*gh]
		gt := tp.gates[t*gh : (t+1)*gh]
		// input and recurrence projections of every gate row (GRU candidate: handled below)
		for k := 0; k < gh; k++ {
			pre[k] = trainDot(l.w[k*in:(k+1)*in], x) + l.wb[k]
			if l.op != OpGRU || k < 2*h {
				pre[k] += trainDot(l.r[k*h:(k+1)*h], hp) + l.rb[k]
			}
		}
		switch l.op {
		case OpRNN:
			for j := range hn {
				gt[j] = math.Tanh(pre[j])
				hn[j] = gt[j]
			}
		case OpLSTM:
			cp, cn := tp.cs[t*h:(t+1)*h], tp.cs[(t+1)*h:(t+2)*h]
			cpre := tp.cpre[t*h : (t+1)*h]
			gc := l.gateClip
			for j := range hn {
				i := trainSig(trainClip(pre[j], gc))
				o := trainSig(trainClip(pre[h+j], gc))
				f := trainSig(trainClip(pre[2*h+j], gc))
				g := math.Tanh(trainClip(pre[3*h+j], gc))
				gt[j], gt[h+j], gt[2*h+j], gt[3*h+j] = i, o, f, g
				cpre[j] = f*cp[j] + i*g
				cn[j] = trainClip(cpre[j], l.cellClip)
				hn[j] = o * math.Tanh(cn[j])
			}
		case OpGRU:
			aux := tp.aux[t*h : (t+1)*h]
			for j := 0; j < 2*h; j++ {
				gt[j] = trainSig(pre[j])
			}
			if l.lbr {
				for j := range aux {
					aux[j] = trainDot(l.r[(2*h+j)*h:(2*h+j+1)*h], hp) + l.rb[2*h+j]
					pre[2*h+j] += gt[h+j] * aux[j]
				}
			} else {
				for j := range aux {
					aux[j] = gt[h+j] * hp[j]
				}
				for j := 0; j < h; j++ {
					pre[2*h+j] += trainDot(l.r[(2*h+j)*h:(2*h+j+1)*h], aux) + l.rb[2*h+j]
				}
			}
			for j := range hn {
				z := gt[j]
				c := math.Tanh(pre[2*h+j])
				gt[2*h+j] = c
				hn[j] = (1-z)*c + z*hp[j]
			}
		}
	}
}

// backward walks the tape's steps backwards from the output gradient dy ([T, H] or [H]),
// adding parameter gradients to g and writing the input gradient to dx [T, I].
func (l *trainRNN) backward(tp *trainRNNTape, dy []float32, g *trainRNNGrads, dx []float64) {
	h, gh, in := l.h, l.gh, l.in
	dh := make([]float64, h)   // gradient of the hidden state after the current step
	dc := make([]float64, h)   // LSTM: gradient of the cell state after the current step
	da := make([]float64, gh)  // gradient of the gate pre-activations (rows of W)
	dra := make([]float64, gh) // gradient of the recurrence projections (rows of R)
	dhp := make([]float64, h)  // gradient of the hidden state before the step
	var drh []float64          // GRU without lbr: gradient of r ⊙ h
	if l.op == OpGRU && !l.lbr {
		drh = make([]float64, h)
	}
	if !l.every {
		for j, v := range dy {
			dh[j] = float64(v)
		}
	}
	for t := l.t - 1; t >= 0; t-- {
		if l.every {
			for j, v := range dy[t*h : (t+1)*h] {
				dh[j] += float64(v)
			}
		}
		x := tp.x[t*in : (t+1)*in]
		hp := tp.hs[t*h : (t+1)*h]
		hn := tp.hs[(t+1)*h : (t+2)*h]
		pre := tp.pre[t*gh : (t+1)*gh]
		gt := tp.gates[t*gh : (t+1)*gh]
		clear(dhp)
		switch l.op {
		case OpRNN:
			for j := range dh {
				da[j] = dh[j] * (1 - hn[j]*hn[j])
			}
			copy(dra, da)
		case OpLSTM:
			cp, cn := tp.cs[t*h:(t+1)*h], tp.cs[(t+1)*h:(t+2)*h]
			cpre := tp.cpre[t*h : (t+1)*h]
			for j := range dh {
				i, o, f, c := gt[j], gt[h+j], gt[2*h+j], gt[3*h+j]
				tc := math.Tanh(cn[j])
				dcn := dc[j] + dh[j]*o*(1-tc*tc)
				if !trainInside(cpre[j], l.cellClip) {
					dcn = 0
				}
				da[j] = dcn * c * i * (1 - i)
				da[h+j] = dh[j] * tc * o * (1 - o)
				da[2*h+j] = dcn * cp[j] * f * (1 - f)
				da[3*h+j] = dcn * i * (1 - c*c)
				dc[j] = dcn * f
			}
			for k := range da {
				if !trainInside(pre[k], l.gateClip) {
					da[k] = 0
				}
			}
			copy(dra, da)
		case OpGRU:
			aux := tp.aux[t*h : (t+1)*h]
			for j := range dh {
				z, r, c := gt[j], gt[h+j], gt[2*h+j]
				dhp[j] = dh[j] * z
				dz := dh[j] * (hp[j] - c)
				dcand := dh[j] * (1 - z) * (1 - c*c) // gradient of the candidate's tanh argument
				da[j] = dz * z * (1 - z)
				da[2*h+j] = dcand
				if l.lbr {
					dra[2*h+j] = dcand * r
					da[h+j] = dcand * aux[j] * r * (1 - r)
				} else {
					dra[2*h+j] = dcand
				}
			}
			if !l.lbr {
				// d(r ⊙ h) = Rhᵀ·dcand; then split over r and h
				clear(drh)
				for j := 0; j < h; j++ {
					trainAxpy(da[2*h+j], l.r[(2*h+j)*h:(2*h+j+1)*h], drh)
				}
				for j := range drh {
					r := gt[h+j]
					da[h+j] = drh[j] * hp[j] * r * (1 - r)
					dhp[j] += drh[j] * r
				}
			}
			copy(dra[:2*h], da[:2*h])
		}
		// parameter gradients and the gradients of x and of the previous hidden state
		dxt := dx[t*in : (t+1)*in]
		for k := 0; k < gh; k++ {
			if d := da[k]; d != 0 {
				trainAxpy(d, x, g.w[k*in:(k+1)*in])
				trainAxpy(d, l.w[k*in:(k+1)*in], dxt)
				g.wb[k] += d
			}
			if d := dra[k]; d != 0 {
				src := hp
				if l.op == OpGRU && !l.lbr && k >= 2*h {
					src = tp.aux[t*h : (t+1)*h] // the candidate's recurrence reads r ⊙ h
				} else {
					trainAxpy(d, l.r[k*h:(k+1)*h], dhp)
				}
				trainAxpy(d, src, g.r[k*h:(k+1)*h])
				g.rb[k] += d
			}
		}
		dh, dhp = dhp, dh
	}
}

// trainAxpy adds a·x to y.
func trainAxpy(a float64, x, y []float64) {
	for i, v := range x {
		y[i] += a * v
	}
}
