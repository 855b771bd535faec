package model

import (
	"fmt"
	"math"
	"slices"

	"github.com/tcdse/tcdse/model/tflitefb"
)

// The inputs of TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM, by position. Gate tensors come in the
// order input, forget, cell, output.
const (
	tflLSTMInput        = 0
	tflLSTMInputWeights = 1  // 1..4: input-to-gate weights [H, I]
	tflLSTMRecWeights   = 5  // 5..8: recurrent-to-gate weights [H, H]
	tflLSTMPeephole     = 9  // 9..11: peephole weights (unsupported)
	tflLSTMBias         = 12 // 12..15: gate biases [H]
	tflLSTMProjection   = 16 // 16..17: projection weights and bias (unsupported)
	tflLSTMOutputState  = 18 // initial hidden state [1, H] (a variable)
	tflLSTMCellState    = 19 // initial cell state [1, H] (a variable)
	tflLSTMLayerNorm    = 20 // 20..23: layer normalisation coefficients (unsupported)
)

// tflToONNXGates maps the ONNX gate order i, o, f, c to TFLite's gate index (i, f, c, o).
var tflToONNXGates = [4]int{0, 3, 1, 2}

// lstm imports a float, hybrid (int8-weight) or full-integer (int8 activations, int16 cell
// state; see q8RNNTFLiteLSTM) UNIDIRECTIONAL_SEQUENCE_LSTM, batch-major,
// without peepholes, projection or layer normalisation, as an OpLSTM node that outputs every
// step ([T, H] per sample). The per-gate TFLite tensors are stacked in ONNX gate order
// i, o, f, c into W [4H, I], R [4H, H] and B [8H] (input biases, then zero recurrence
// biases). A cell_clip becomes Attrs.CellClip (Keras' converter writes cell_clip 10).
func (imp *tflImporter) lstm(op *tflOp) error {
	x, xt, err := imp.act(op, tflLSTMInput)
	if err != nil {
		return err
	}
	ti, ot, err := imp.outTensor(op)
	if err != nil {
		return err
	}
	t, err := imp.requireOptions(op, tflitefb.BuiltinOptionsUnidirectionalSequenceLSTMOptions)
	if err != nil {
		return err
	}
	var o tflitefb.UnidirectionalSequenceLSTMOptions
	o.Init(t.Bytes, t.Pos)
	switch {
	case o.TimeMajor():
		return fmt.Errorf("time-major LSTM is not supported")
	case o.ProjClip() != 0:
		return fmt.Errorf("projection clipping is not supported (proj_clip %v)", o.ProjClip())
	case !(o.CellClip() >= 0) || math.IsInf(float64(o.CellClip()), 0):
		return fmt.Errorf("cell_clip %v, want a finite value ≥ 0", o.CellClip())
	case o.FusedActivationFunction() != tflitefb.ActivationFunctionTypeTANH:
		return fmt.Errorf("activation %s is not supported (want TANH)", tflitefb.EnumNamesActivationFunctionType[o.FusedActivationFunction()])
	case o.DiagonalRecurrentTensors():
		return fmt.Errorf("diagonal recurrent tensors are not supported")
	}
	present := func(i int) bool { return i < len(op.inputs) && op.inputs[i] >= 0 }
	for _, r := range [][2]int{{tflLSTMPeephole, 3}, {tflLSTMProjection, 2}, {tflLSTMLayerNorm, 4}} {
		for i := r[0]; i < r[0]+r[1]; i++ {
			if present(i) {
				return fmt.Errorf("input %d is set: peephole, projection and layer normalisation are not supported", i)
			}
		}
	}
	if !present(tflLSTMInputWeights) {
		return fmt.Errorf("coupled input and forget gates (CIFG) are not supported")
	}
	if len(x.shape) != 2 {
		return fmt.Errorf("input %q has shape %v, want [1, T, I]", xt.name, xt.shape)
	}
	steps, in := x.shape[0], x.shape[1]
	w0, err := imp.constFloat(op, tflLSTMInputWeights)
	if err != nil {
		return err
	}
	if len(w0.Shape) != 2 || w0.Shape[1] != in {
		return fmt.Errorf("input weights %v, want [H, %d]", w0.Shape, in)
	}
	h := w0.Shape[0]
	// Read and check every gate tensor before allocating the stacked ones.
	var gates [3][4]*Tensor
	for p, part := range []struct {
		first int
		shape []int
	}{{tflLSTMInputWeights, []int{h, in}}, {tflLSTMRecWeights, []int{h, h}}, {tflLSTMBias, []int{h}}} {
		for tg := 0; tg < 4; tg++ {
			c, err := imp.constFloat(op, part.first+tg)
			if err != nil {
				return err
			}
			if !slices.Equal(c.Shape, part.shape) {
				return fmt.Errorf("input %d has shape %v, want %v", part.first+tg, c.Shape, part.shape)
			}
			gates[p][tg] = c
		}
	}
	w := &Tensor{Shape: []int{4 * h, in}, Data: make([]float32, 0, 4*h*in)}
	r := &Tensor{Shape: []int{4 * h, h}, Data: make([]float32, 0, 4*h*h)}
	b := &Tensor{Shape: []int{8 * h}, Data: make([]float32, 0, 8*h)}
	for _, tg := range tflToONNXGates {
		w.Data = append(w.Data, gates[0][tg].Data...)
		r.Data = append(r.Data, gates[1][tg].Data...)
		b.Data = append(b.Data, gates[2][tg].Data...)
	}
	b.Data = append(b.Data, make([]float32, 4*h)...) // zero recurrence biases
	n := &Node{Op: OpLSTM, Inputs: []string{x.name}, Weight: w, Recurrent: r, Bias: b,
		Attrs: Attrs{Hidden: h, Sequence: true, CellClip: o.CellClip()}}
	for _, s := range []struct {
		i   int
		dst **Tensor
	}{{tflLSTMOutputState, &n.InitialH}, {tflLSTMCellState, &n.InitialC}} {
		if !present(s.i) || !imp.isConst(op.inputs[s.i]) {
			continue // a variable without data starts at zero
		}
		c, err := imp.constFloat(op, s.i)
		if err != nil {
			return err
		}
		if c.Len() != h {
			return fmt.Errorf("input %d (initial state) has %d elements, want %d", s.i, c.Len(), h)
		}
		if c.CountZeros() != c.Len() {
			*s.dst = &Tensor{Shape: []int{h}, Data: c.Data}
		}
	}
	shape, _, err := tflPerSample(ot.shape)
	if err != nil || !slices.Equal(shape, []int{steps, h}) {
		return fmt.Errorf("output %q has shape %v, want [1, %d, %d]", ot.name, ot.shape, steps, h)
	}
	var q *QuantParams
	if xt.isInt8() || ot.isInt8() { // full-integer LSTM: see int8_rnn_tflite.go
		if q, err = imp.q8RNNTFLiteLSTM(op, n, xt, ot); err != nil {
			return err
		}
	}
	return imp.finish(op, n, ti, shape, false, tflitefb.ActivationFunctionTypeNONE, q)
}
