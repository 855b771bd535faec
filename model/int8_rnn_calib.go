package model

import (
	"fmt"
	"math"
	"slices"
)

// RecurrentRanges records the ranges of a float recurrent node's internal values, from which
// post-training quantization chooses the int16 gate and cell formats and the int8 hidden state
// parameters of the int8 kernel (int8_rnn.go).
type RecurrentRanges struct {
	// GateAbsMax is, per gate in the node's gate order, the largest magnitude of the gate's
	// input part (xW + Wb), recurrent part (hR + Rb, or (r ⊙ h)R + Rb) and pre-activation.
	GateAbsMax []float64
	// HiddenMin and HiddenMax bound every step's hidden state and the initial one.
	HiddenMin, HiddenMax float64
	// CellAbsMax (LSTM) is the largest magnitude of the cell state.
	CellAbsMax float64
}

// NewRecurrentRanges returns empty ranges for a recurrent node, which Observe widens.
func NewRecurrentRanges(n *Node) *RecurrentRanges {
	return &RecurrentRanges{GateAbsMax: make([]float64, RecurrentGates(n.Op)), HiddenMin: math.Inf(1), HiddenMax: math.Inf(-1)}
}

// Observe runs the float recurrent node n (validated, with its float parameters) on x
// [B, T, I] and widens the ranges by every internal value. It computes the same equations as
// the interpreter's float kernel, one sample and one step at a time.
func (r *RecurrentRanges) Observe(n *Node, x *Tensor) error {
	g := RecurrentGates(n.Op)
	if g == 0 {
		return errNode(n, "is not a recurrent node")
	}
	if len(x.Shape) != 3 {
		return errNode(n, "calibration input shape %v, want [B, T, I]", x.Shape)
	}
	if _, err := inferRecurrent(n, [][]int{x.Shape[1:]}); err != nil {
		return err
	}
	if len(r.GateAbsMax) != g {
		return fmt.Errorf("recurrent ranges have %d gates, node %q (%s) has %d", len(r.GateAbsMax), n.Name, n.Op, g)
	}
	b, t, in, h := x.Shape[0], x.Shape[1], x.Shape[2], n.Attrs.Hidden
	gh := g * h
	w, rw := n.Weight.Data, n.Recurrent.Data
	wb, rb := make([]float32, gh), make([]float32, gh)
	if n.Bias != nil {
		copy(wb, n.Bias.Data[:gh])
		copy(rb, n.Bias.Data[gh:])
	}
	dot := func(m []float32, row int, v []float32) float32 {
		var s float32
		for j, a := range m[row*len(v) : (row+1)*len(v)] {
			s += a * v[j]
		}
		return s
	}
	see := func(gate int, vs ...float32) {
		for _, v := range vs {
			r.GateAbsMax[gate] = math.Max(r.GateAbsMax[gate], math.Abs(float64(v)))
		}
	}
	seeH := func(v float32) {
		r.HiddenMin, r.HiddenMax = math.Min(r.HiddenMin, float64(v)), math.Max(r.HiddenMax, float64(v))
	}
	xp, rp := make([]float32, gh), make([]float32, gh)
	hs, next, rh := make([]float32, h), make([]float32, h), make([]float32, h)
	cs := make([]float32, h)
	for s := 0; s < b; s++ {
		clear(hs)
		clear(cs)
		if n.InitialH != nil {
			copy(hs, n.InitialH.Data)
		}
		if n.InitialC != nil {
			copy(cs, n.InitialC.Data)
		}
		for _, v := range hs {
			seeH(v)
		}
		for step := 0; step < t; step++ {
			xs := x.Data[(s*t+step)*in : (s*t+step+1)*in]
			for row := 0; row < gh; row++ {
				xp[row] = dot(w, row, xs) + wb[row]
				rp[row] = dot(rw, row, hs) + rb[row]
			}
			switch n.Op {
			case OpRNN:
				for j := range next {
					see(0, xp[j], rp[j], xp[j]+rp[j])
					next[j] = rnnTanh(xp[j] + rp[j])
				}
			case OpLSTM:
				gc := n.Attrs.GateClip
				for j := range next {
					var v [4]float32
					for gate := range v {
						row := gate*h + j
						v[gate] = rnnClip(xp[row]+rp[row], gc)
						see(gate, xp[row], rp[row], v[gate])
					}
					c := rnnClip(rnnSigmoid(v[2])*cs[j]+rnnSigmoid(v[0])*rnnTanh(v[3]), n.Attrs.CellClip)
					cs[j] = c
					r.CellAbsMax = math.Max(r.CellAbsMax, math.Abs(float64(c)))
					next[j] = rnnSigmoid(v[1]) * rnnTanh(c)
				}
			case OpGRU:
				for j := range next {
					zv, rv := xp[j]+rp[j], xp[h+j]+rp[h+j]
					see(0, xp[j], rp[j], zv)
					see(1, xp[h+j], rp[h+j], rv)
					rh[j] = rnnSigmoid(rv) * hs[j]
				}
				for j := range next {
					row := 2*h + j
					var pre, rec float32
					if n.Attrs.LinearBeforeReset {
						rec = rp[row]
						pre = xp[row] + rnnSigmoid(xp[h+j]+rp[h+j])*rec
					} else {
						rec = dot(rw, row, rh) + rb[row]
						pre = xp[row] + rec
					}
					see(2, xp[row], rec, pre)
					z := rnnSigmoid(xp[j] + rp[j])
					next[j] = (1-z)*rnnTanh(pre) + z*hs[j]
				}
			}
			copy(hs, next)
			for _, v := range hs {
				seeH(v)
			}
		}
	}
	if slices.ContainsFunc(r.GateAbsMax, math.IsNaN) || math.IsNaN(r.CellAbsMax) || math.IsNaN(r.HiddenMin) || math.IsNaN(r.HiddenMax) {
		return errNode(n, "calibration produced NaN inside the recurrent layer")
	}
	return nil
}
