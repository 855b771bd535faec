package model

import (
	"github.com/tcdse/tcdse/model/onnxpb"
)

// recurrent writes an RNN, LSTM or GRU node as the ONNX operator with layout=1 (X [B, T, I]).
// The IR's W [G·H, I], R [G·H, H] and B [2·G·H] are ONNX's with the num_directions axis added,
// in the same gate order (LSTM i, o, f, c; GRU z, r, h). A node that outputs every step uses Y
// [B, T, 1, H]; one that outputs the last step uses Y_h [B, 1, H]; a Squeeze of the
// num_directions axis gives the IR's value, which ImportONNX folds back into the node.
func (ex *onnxExporter) recurrent(n *Node) error {
	h := n.Attrs.Hidden
	gates := RecurrentGates(n.Op)
	in := ex.g.Shapes[n.Inputs[0]][1]
	inputs := []string{
		n.Inputs[0],
		ex.floats(n.Name+"/W", []int{1, gates * h, in}, n.Weight.Data),
		ex.floats(n.Name+"/R", []int{1, gates * h, h}, n.Recurrent.Data),
		"", "", "",
	}
	if n.Bias != nil {
		inputs[3] = ex.floats(n.Name+"/B", []int{1, 2 * gates * h}, n.Bias.Data)
	}
	// With layout=1 the initial states are [B, 1, H]; the exporter fixes the batch at 1 when a
	// node has one (see ExportONNX).
	if n.InitialH != nil {
		inputs[5] = ex.floats(n.Name+"/initial_h", []int{1, 1, h}, n.InitialH.Data)
	}
	if n.Op == OpLSTM && n.InitialC != nil {
		inputs = append(inputs, ex.floats(n.Name+"/initial_c", []int{1, 1, h}, n.InitialC.Data))
	}
	for len(inputs) > 3 && inputs[len(inputs)-1] == "" {
		inputs = inputs[:len(inputs)-1]
	}
	attrs := []*onnxpb.AttributeProto{onnxAttrInt("hidden_size", int64(h)), onnxAttrInt("layout", 1)}
	if n.Op == OpGRU {
		lbr := int64(0)
		if n.Attrs.LinearBeforeReset {
			lbr = 1
		}
		attrs = append(attrs, onnxAttrInt("linear_before_reset", lbr))
	}
	if n.Op == OpLSTM && n.Attrs.GateClip > 0 {
		attrs = append(attrs, onnxAttrFloat("clip", n.Attrs.GateClip))
	}
	raw := ex.fresh(n.Outputs[0] + "/" + string(n.Op))
	outs, dirAxis := []string{raw}, int64(2)
	if !n.Attrs.Sequence {
		outs, dirAxis = []string{"", raw}, 1
	}
	ex.node(string(n.Op), n.Name, inputs, outs, attrs...)
	ex.node("Squeeze", ex.fresh(n.Name+"/squeeze"), []string{raw, ex.int64s(n.Name+"/squeeze_axes", []int64{dirAxis})}, n.Outputs)
	return nil
}
