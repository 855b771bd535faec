package explore

import (
	"fmt"
	"math"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// Post-training quantization of recurrent layers (RNN, LSTM, GRU) for the int8 kernels of
// model/int8_rnn.go (TFLite's integer LSTM scheme: int8 input, hidden state and weights, int16
// gates and cell state, int32 biases):
//
//   - the input W and recurrence R weights get symmetric int8 scales, one per row (per gate
//     unit; TFLite uses one per gate tensor) or one per layer with PerTensor; the biases Wb and
//     Rb become int32 at s_x·s_W[row] and s_h·s_R[row]; Weight, Recurrent and Bias keep the
//     dequantized values;
//   - the hidden state (which is the node's output) gets asymmetric int8 parameters from the
//     range of every step's hidden state and the initial state, observed by running the float
//     layer step by step on the calibration inputs (a node that outputs only its last step
//     still carries every step's state into the next one);
//   - each gate's int16 pre-activation format Qk.(15−k) takes k = ⌈log2 m⌉ integer bits, m the
//     largest magnitude of the gate's input part, recurrent part and sum seen in calibration,
//     but never fewer than TFLite's 3 (Q3.12; σ and tanh are flat beyond ±8, and each part is
//     saturated separately, so a narrower format gains little and risks clipping a part) nor
//     more than model.MaxGateIntBits;
//   - the LSTM cell state gets TFLite's power-of-two int16 scale 2^(k−15), k = ⌈log2 max|c|⌉
//     in [0, model.MaxCellIntBits].
//
// Calibration of the internals always uses the observed minimum and maximum, whatever
// QuantizeOptions.Calibration says.

// quantRecurrent are the recurrent operators Quantize computes in int8.
var quantRecurrent = map[model.Op]bool{model.OpRNN: true, model.OpLSTM: true, model.OpGRU: true}

// quantCalibrateRecurrent runs the float graph g on the first calibration samples and returns
// the internal ranges of every recurrent node not kept float, by node name.
func quantCalibrateRecurrent(g *model.Graph, calib *dataset.Dataset, o QuantizeOptions, isFloat map[string]bool) (map[string]*model.RecurrentRanges, error) {
	var nodes []*model.Node
	for _, n := range g.Nodes {
		if quantRecurrent[n.Op] && !isFloat[n.Name] {
			nodes = append(nodes, n)
		}
	}
	if len(nodes) == 0 {
		return nil, nil
	}
	probe := g.Clone()
	probe.Outputs = probe.Outputs[:0]
	out := make(map[string]*model.RecurrentRanges, len(nodes))
	for _, n := range nodes {
		probe.Outputs = append(probe.Outputs, model.Value{Name: n.Inputs[0]})
		out[n.Name] = model.NewRecurrentRanges(n)
	}
	if err := probe.Validate(); err != nil {
		return nil, fmt.Errorf("quantize: recurrent calibration graph: %w", err)
	}
	total := min(o.Samples, calib.Len())
	for from := 0; from < total; from += calibrationBatch {
		to := min(from+calibrationBatch, total)
		b, err := calib.Batch(from, to)
		if err != nil {
			return nil, fmt.Errorf("quantize: calibration data: %w", err)
		}
		ins, err := probe.Run(b.X)
		if err != nil {
			return nil, fmt.Errorf("quantize: calibrating the recurrent layers of graph %q on samples [%d,%d): %w", g.Name, from, to, err)
		}
		for i, n := range nodes {
			if err := out[n.Name].Observe(n, ins[i]); err != nil {
				return nil, fmt.Errorf("quantize: calibrating: %w", err)
			}
		}
	}
	return out, nil
}

// quantizeRecurrent quantizes an RNN, LSTM or GRU node whose input is already int8.
func (r *quantRewriter) quantizeRecurrent(n *model.Node) error {
	rr := r.recurrent[n.Name]
	if rr == nil {
		return fmt.Errorf("quantize: node %q (%s): no calibrated internal ranges", n.Name, n.Op)
	}
	in := r.params[n.Inputs[0]]
	hid := quantActivationParams(quantRange{lo: rr.HiddenMin, hi: rr.HiddenMax})
	n.Attrs.Quant = hid
	r.params[n.Outputs[0]] = hid.Clone()

	gh := model.RecurrentGates(n.Op) * n.Attrs.Hidden
	bias := n.Bias
	n.Bias = nil
	if err := quantWeights(n, in.Scale[0], r.opts.PerTensor); err != nil {
		return err
	}
	rec := &model.Node{Name: n.Name, Op: n.Op, Weight: n.Recurrent}
	if err := quantWeights(rec, hid.Scale[0], r.opts.PerTensor); err != nil {
		return err
	}
	n.Recurrent = rec.Weight
	rq := &model.RecurrentQuant{Recurrent: rec.QWeight, GateIntBits: make([]int, len(rr.GateAbsMax))}
	for gate, m := range rr.GateAbsMax {
		rq.GateIntBits[gate] = quantIntBits(m, model.DefaultGateIntBits, model.MaxGateIntBits)
	}
	if n.Op == model.OpLSTM {
		rq.CellIntBits = quantIntBits(rr.CellAbsMax, 0, model.MaxCellIntBits)
	}
	if bias != nil {
		deq := &model.Tensor{Shape: append([]int(nil), bias.Shape...), Data: make([]float32, len(bias.Data))}
		var err error
		n.QBias, err = quantRecurrentBias(n, bias.Data[:gh], in.Scale[0], n.QWeight, deq.Data[:gh])
		if err != nil {
			return err
		}
		rq.RecurrentBias, err = quantRecurrentBias(n, bias.Data[gh:], hid.Scale[0], rq.Recurrent, deq.Data[gh:])
		if err != nil {
			return err
		}
		n.Bias = deq
	}
	n.RecurrentQuant = rq
	return nil
}

// quantRecurrentBias returns the int32 bias b[row]/(inScale·s_w[row]) and writes its
// dequantized values to deq.
func quantRecurrentBias(n *model.Node, b []float32, inScale float32, w *model.QTensor, deq []float32) ([]int32, error) {
	q := make([]int32, len(b))
	for row, v := range b {
		ws := w.Quant.Scale[0]
		if len(w.Quant.Scale) > 1 {
			ws = w.Quant.Scale[row]
		}
		s := float64(inScale) * float64(ws)
		x := math.Round(float64(v) / s)
		if math.IsNaN(x) {
			return nil, fmt.Errorf("quantize: node %q (%s): bias %d is %v", n.Name, n.Op, row, v)
		}
		x = math.Min(math.Max(x, math.MinInt32), math.MaxInt32)
		q[row] = int32(x)
		deq[row] = float32(s * x)
	}
	return q, nil
}

// quantIntBits returns ⌈log2 m⌉ limited to [lo, hi]: the integer bits of a power-of-two
// int16 format holding magnitudes up to m.
func quantIntBits(m float64, lo, hi int) int {
	if !(m > 0) {
		return lo
	}
	k := int(math.Ceil(math.Log2(m)))
	return min(max(k, lo), hi)
}
