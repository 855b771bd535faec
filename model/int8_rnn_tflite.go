package model

import (
	"fmt"
	"math"

	"github.com/tcdse/tcdse/model/tflitefb"
)

// q8RNNTFLiteLSTM completes the import of a full-integer UNIDIRECTIONAL_SEQUENCE_LSTM (int8
// input, output and weights, int32 biases, int8 output state, int16 cell state) into the
// OpLSTM node n, whose float Weight, Recurrent and Bias (dequantized) the caller has set. It
// sets QWeight, QBias and RecurrentQuant, and returns the output quantization:
//
//   - the per-gate weight tensors are stacked in ONNX gate order, keeping each gate's scale
//     on its rows (one scale per row, or one per tensor when the four are equal); they must be
//     symmetric (zero point 0);
//   - the gate biases, int32 at input scale × gate weight scale, become QBias; TFLite has no
//     recurrence bias;
//   - the output state (input 18) is the hidden state: its quantization must be the output's,
//     and so must the fifth intermediate tensor's (effective_hidden_scale_intermediate) when
//     it has one;
//   - the cell state (input 19) must be INT16 with a power-of-two scale 2^(k−15), k in
//     [0, MaxCellIntBits], which becomes RecurrentQuant.CellIntBits;
//   - the gate intermediates 0 … 3 only matter with layer normalisation, which the importer
//     rejects; without it TFLite computes the gates in Q3.12, the kernel's default.
func (imp *tflImporter) q8RNNTFLiteLSTM(op *tflOp, n *Node, xt, ot *tflTensor) (*QuantParams, error) {
	if !xt.isInt8() || !ot.isInt8() {
		return nil, fmt.Errorf("input %q is %s and output %q is %s: an integer LSTM needs both quantized INT8",
			xt.name, tflitefb.EnumNamesTensorType[xt.typ], ot.name, tflitefb.EnumNamesTensorType[ot.typ])
	}
	out := ot.quant.Clone()
	h := n.Attrs.Hidden
	in := n.Weight.Shape[1]
	w, err := imp.q8RNNTFLiteGates(op, tflLSTMInputWeights, h, in)
	if err != nil {
		return nil, err
	}
	r, err := imp.q8RNNTFLiteGates(op, tflLSTMRecWeights, h, h)
	if err != nil {
		return nil, err
	}
	bias := make([]int32, 0, 4*h)
	for _, tg := range tflToONNXGates {
		_, bt, err := imp.tensorOf(op, tflLSTMBias+tg)
		if err != nil {
			return nil, err
		}
		if bt.typ != tflitefb.TensorTypeINT32 || bt.data == nil {
			return nil, fmt.Errorf("gate bias %q of an integer LSTM must be an INT32 constant, got %s", bt.name, tflitefb.EnumNamesTensorType[bt.typ])
		}
		if _, err := bt.checkData(); err != nil {
			return nil, err
		}
		for _, v := range bt.ints() {
			bias = append(bias, int32(v))
		}
	}
	if len(bias) != 4*h {
		return nil, fmt.Errorf("gate biases hold %d values, want %d", len(bias), 4*h)
	}
	same := func(q *QuantParams) bool {
		return q != nil && len(q.Scale) == 1 && q.Scale[0] == out.Scale[0] && q8RNNZeroPoint(q) == q8RNNZeroPoint(out)
	}
	if _, st, err := imp.tensorOf(op, tflLSTMOutputState); err == nil && st.quant != nil && !same(st.quant) {
		return nil, fmt.Errorf("output state %q has quantization %+v, but the output %q has %+v; the IR keeps one hidden-state quantization",
			st.name, *st.quant, ot.name, *out)
	}
	if k := op.op.IntermediatesLength(); k >= 5 {
		ti := op.op.Intermediates(4)
		if ti >= 0 && int(ti) < len(imp.tensors) {
			if it := &imp.tensors[ti]; it.quant != nil && !same(it.quant) {
				return nil, fmt.Errorf("hidden intermediate %q has quantization %+v, but the output %q has %+v; the IR keeps one hidden-state quantization",
					it.name, *it.quant, ot.name, *out)
			}
		}
	}
	_, ct, err := imp.tensorOf(op, tflLSTMCellState)
	if err != nil {
		return nil, fmt.Errorf("cell state: %w", err)
	}
	if ct.typ != tflitefb.TensorTypeINT16 || ct.quant == nil || len(ct.quant.Scale) != 1 {
		return nil, fmt.Errorf("cell state %q must be INT16 with one scale, got %s", ct.name, tflitefb.EnumNamesTensorType[ct.typ])
	}
	cellBits, ok := q8RNNPowerOfTwoBits(ct.quant.Scale[0])
	if !ok {
		return nil, fmt.Errorf("cell state %q has scale %v, want a power of two 2^(k−15) with k in [0, %d]", ct.name, ct.quant.Scale[0], MaxCellIntBits)
	}
	n.QWeight, n.QBias = w, bias
	n.RecurrentQuant = &RecurrentQuant{Recurrent: r, CellIntBits: cellBits}
	return out, nil
}

// q8RNNTFLiteGates stacks the four int8 gate weight tensors [rows, cols] starting at input
// first in ONNX gate order, with one scale per row (or one when the gates share it).
func (imp *tflImporter) q8RNNTFLiteGates(op *tflOp, first, rows, cols int) (*QTensor, error) {
	q := &QTensor{Shape: []int{4 * rows, cols}, Data: make([]int8, 0, 4*rows*cols)}
	var scales []float32
	for _, tg := range tflToONNXGates {
		_, t, err := imp.tensorOf(op, first+tg)
		if err != nil {
			return nil, err
		}
		if !t.isInt8() || t.data == nil {
			return nil, fmt.Errorf("weight %q of an integer LSTM must be a quantized INT8 constant", t.name)
		}
		if _, err := t.checkData(); err != nil {
			return nil, err
		}
		if len(t.quant.Scale) != 1 || q8RNNZeroPoint(t.quant) != 0 {
			return nil, fmt.Errorf("weight %q must be quantized per tensor and symmetric, got %d scales and zero point %d", t.name, len(t.quant.Scale), q8RNNZeroPoint(t.quant))
		}
		if len(t.data) != rows*cols {
			return nil, fmt.Errorf("weight %q has %d elements, want %d×%d", t.name, len(t.data), rows, cols)
		}
		for _, b := range t.data {
			q.Data = append(q.Data, int8(b))
		}
		for i := 0; i < rows; i++ {
			scales = append(scales, t.quant.Scale[0])
		}
	}
	q.Quant = QuantParams{Scale: scales, ZeroPoint: make([]int32, len(scales))}
	if s := scales[0]; scales[rows] == s && scales[2*rows] == s && scales[3*rows] == s {
		q.Quant = QuantParams{Scale: []float32{s}, ZeroPoint: []int32{0}}
	}
	return q, nil
}

// q8RNNZeroPoint returns the single zero point of per-tensor parameters (0 when absent).
func q8RNNZeroPoint(q *QuantParams) int32 {
	if len(q.ZeroPoint) == 0 {
		return 0
	}
	return q.ZeroPoint[0]
}

// q8RNNPowerOfTwoBits returns k when scale = 2^(k−15) with k in [0, MaxCellIntBits], accepting
// a relative error of about 1e-3 in the exponent as TFLite's CheckedLog2 does.
func q8RNNPowerOfTwoBits(scale float32) (int, bool) {
	if !(scale > 0) || math.IsInf(float64(scale), 0) {
		return 0, false
	}
	l := math.Log2(float64(scale))
	e := math.Round(l)
	if math.Abs(l-e) >= 1e-3 {
		return 0, false
	}
	k := int(e) + 15
	return k, k >= 0 && k <= MaxCellIntBits
}
