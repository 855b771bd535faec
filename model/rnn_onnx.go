package model

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tcdse/tcdse/model/onnxpb"
)

// ONNX import of RNN, LSTM and GRU, after rnnNormalize (rnn_layout.go) has made their input
// batch first and folded the layout operators after their output.
//
// Supported: forward direction, default activations, clip on LSTM only (Attrs.GateClip), LSTM
// without peepholes (P) or input_forget, GRU with or without linear_before_reset; constant W, R
// and B; absent, constant or zero (ConstantOfShape) initial states whose rows are the same for
// every sample;
// sequence_lens absent or a constant equal to T for every sample; exactly one of Y and Y_h
// used. Everything else is an error that names the node.
func init() {
	for name := range rnnOps {
		onnxOps[name] = (*onnxImporter).rnnLayer
	}
}

// rnnKnownAttrs lists the attributes the converter reads; any other is an error.
var rnnKnownAttrs = map[string]bool{
	"activation_alpha": true, "activation_beta": true, "activations": true, "clip": true,
	"direction": true, "hidden_size": true, "layout": true, "linear_before_reset": true,
	"input_forget": true, rnnOutLayout: true,
}

func (imp *onnxImporter) rnnLayer(n *onnxpb.NodeProto, name string) error {
	op := rnnOps[n.GetOpType()]
	gates := RecurrentGates(op)
	node := &Node{Name: name, Op: op}
	a := attrsOf(n)
	if err := rnnCheckAttrs(n, a, op, &node.Attrs); err != nil {
		return err
	}
	lab, err := a.string(rnnOutLayout, "")
	if err != nil || lab == "" {
		return errors.New("internal error: the recurrent layer was not normalised before conversion")
	}
	if len(n.GetInput()) < 3 {
		return errors.New("needs inputs X, W and R")
	}
	x, xs, err := imp.activation(n.GetInput()[0])
	if err != nil {
		return err
	}
	if len(xs) != 2 {
		return fmt.Errorf("input X %q has per-sample shape %v, want [T, I]", n.GetInput()[0], xs)
	}
	t, in := xs[0], xs[1]
	w, err := imp.floatConst(n, 1, "W", false)
	if err != nil {
		return err
	}
	r, err := imp.floatConst(n, 2, "R", false)
	if err != nil {
		return err
	}
	if len(r.Dims) != 3 || r.Dims[0] != 1 || r.Dims[2] < 1 || r.Dims[1] != gates*r.Dims[2] {
		return fmt.Errorf("R %q has shape %v, want [1, %d·H, H]", n.GetInput()[2], r.Dims, gates)
	}
	h := r.Dims[2]
	if hs, err := a.int("hidden_size", int64(h)); err != nil {
		return err
	} else if hs != int64(h) {
		return fmt.Errorf("hidden_size %d disagrees with R %q of shape %v", hs, n.GetInput()[2], r.Dims)
	}
	if !slices.Equal(w.Dims, []int{1, gates * h, in}) {
		return fmt.Errorf("W %q has shape %v, want [1, %d, %d] (num_directions, %d·H, I)", n.GetInput()[1], w.Dims, gates*h, in, gates)
	}
	node.Attrs.Hidden = h
	node.Weight = &Tensor{Shape: []int{gates * h, in}, Data: append([]float32(nil), w.F...)}
	node.Recurrent = &Tensor{Shape: []int{gates * h, h}, Data: append([]float32(nil), r.F...)}
	b, err := imp.floatConst(n, 3, "B", true)
	if err != nil {
		return err
	}
	if b != nil {
		if !slices.Equal(b.Dims, []int{1, 2 * gates * h}) {
			return fmt.Errorf("B %q has shape %v, want [1, %d]", n.GetInput()[3], b.Dims, 2*gates*h)
		}
		node.Bias = &Tensor{Shape: []int{2 * gates * h}, Data: append([]float32(nil), b.F...)}
	}
	if err := imp.rnnSequenceLens(n, t); err != nil {
		return err
	}
	if node.InitialH, err = imp.rnnInitialState(n, 5, "initial_h", h); err != nil {
		return err
	}
	if op == OpLSTM {
		if node.InitialC, err = imp.rnnInitialState(n, 6, "initial_c", h); err != nil {
			return err
		}
		if len(n.GetInput()) > 7 && n.GetInput()[7] != "" {
			return fmt.Errorf("peephole weights P %q are not supported", n.GetInput()[7])
		}
	}
	out := ""
	for i, o := range n.GetOutput() {
		if o != "" {
			out, node.Attrs.Sequence = o, i == 0
		}
	}
	if out == "" {
		return errors.New("internal error: no output left after normalisation")
	}
	node.Inputs = []string{x}
	want := rnnPerSample(lab, t, h)
	natural := []int{h}
	if node.Attrs.Sequence {
		natural = []int{t, h}
	}
	if slices.Equal(want, natural) {
		node.Outputs = []string{out}
		return imp.emit(node)
	}
	inner := out + "/" + string(op)
	node.Outputs = []string{inner}
	if err := imp.emit(node); err != nil {
		return err
	}
	return imp.emit(&Node{Name: name + "/reshape", Op: OpReshape, Inputs: []string{inner}, Outputs: []string{out}, Attrs: Attrs{Shape: want}})
}

// rnnCheckAttrs rejects attributes the IR cannot compute and sets LinearBeforeReset.
func rnnCheckAttrs(n *onnxpb.NodeProto, a onnxAttrs, op Op, attrs *Attrs) error {
	for name := range a {
		if !rnnKnownAttrs[name] {
			return fmt.Errorf("attribute %s is not supported", name)
		}
	}
	if dir, err := a.string("direction", "forward"); err != nil {
		return err
	} else if dir != "forward" {
		return fmt.Errorf("direction %q is not supported (only forward; no bidirectional or reverse layers)", dir)
	}
	if a.has("clip") {
		// ONNX clips "the input of activations"; ONNX Runtime clips the four gate
		// pre-activations and leaves the cell state unclipped, which is Attrs.GateClip. The
		// spec's clip on RNN and GRU is rejected below with an error naming the operator.
		if op != OpLSTM {
			return fmt.Errorf("clip is not supported on %s (only on LSTM)", op)
		}
		c, err := a.float("clip", 0)
		if err != nil {
			return err
		}
		if !(c > 0) || math.IsInf(float64(c), 0) {
			return fmt.Errorf("clip %v, want a positive finite threshold", c)
		}
		attrs.GateClip = c
	}
	if a.has("activation_alpha") || a.has("activation_beta") {
		return errors.New("activation_alpha/activation_beta are not supported (only the default activations)")
	}
	if p, ok := a["activations"]; ok {
		def := RecurrentActivations(op)
		got := p.GetStrings()
		same := len(got) == len(def)
		for i := 0; same && i < len(got); i++ {
			same = strings.EqualFold(string(got[i]), def[i])
		}
		if !same {
			names := make([]string, len(got))
			for i, s := range got {
				names[i] = string(s)
			}
			return fmt.Errorf("activations %v are not supported (only the defaults %v)", names, def)
		}
	}
	if v, err := a.int("input_forget", 0); err != nil {
		return err
	} else if v != 0 {
		return errors.New("input_forget=1 (coupled input and forget gates) is not supported")
	}
	if v, err := a.int("layout", 0); err != nil || v != 1 {
		return errors.New("internal error: the recurrent layer's layout was not normalised")
	}
	lbr, err := a.int("linear_before_reset", 0)
	if err != nil {
		return err
	}
	if lbr != 0 && op != OpGRU {
		return errors.New("linear_before_reset applies to GRU only")
	}
	attrs.LinearBeforeReset = lbr != 0
	return nil
}

// rnnSequenceLens accepts an absent sequence_lens or a constant one that equals T everywhere.
func (imp *onnxImporter) rnnSequenceLens(n *onnxpb.NodeProto, t int) error {
	c, err := imp.constInput(n, 4, "sequence_lens", true)
	if err != nil {
		return fmt.Errorf("%w; only sequences of the full length T are supported", err)
	}
	if c == nil {
		return nil
	}
	for _, v := range c.I {
		if v != int64(t) {
			return fmt.Errorf("sequence_lens %q holds %v; only sequences of the full length T=%d are supported", n.GetInput()[4], c.I, t)
		}
	}
	if c.isFloat() && len(c.F) > 0 {
		return fmt.Errorf("sequence_lens %q holds floating-point values", n.GetInput()[4])
	}
	return nil
}

// rnnInitialState reads input i, [1, batch, H], as one state [H] shared by every sample; nil when
// absent or zero.
func (imp *onnxImporter) rnnInitialState(n *onnxpb.NodeProto, i int, what string, h int) (*Tensor, error) {
	if i >= len(n.GetInput()) || n.GetInput()[i] == "" {
		return nil, nil
	}
	if !imp.isConst(n.GetInput()[i]) {
		return nil, fmt.Errorf("%s %q is computed at run time; only constant initial states are supported (in PyTorch omit it, or pass a registered buffer)", what, n.GetInput()[i])
	}
	c, err := imp.floatConst(n, i, what, false)
	if err != nil {
		return nil, err
	}
	if len(c.Dims) != 3 || c.Dims[0] != 1 || c.Dims[2] != h || c.Dims[1] < 1 {
		return nil, fmt.Errorf("%s %q has shape %v, want [1, batch, %d]", what, n.GetInput()[i], c.Dims, h)
	}
	state := c.F[:h]
	for b := 1; b < c.Dims[1]; b++ {
		for j, v := range c.F[b*h : (b+1)*h] {
			if v != state[j] {
				return nil, fmt.Errorf("%s %q differs between samples %d and 0; the IR has one initial state for every sample", what, n.GetInput()[i], b)
			}
		}
	}
	zero := true
	for _, v := range state {
		zero = zero && v == 0
	}
	if zero {
		return nil, nil
	}
	return &Tensor{Shape: []int{h}, Data: append([]float32(nil), state...)}, nil
}

// rnnPerSample returns the per-sample shape of a recurrent output value with layout letters lab:
// the dimensions after the batch (T, H, and 1 for D or a kept time axis). A value that is
// time-major in ONNX (only graph outputs and stacked layers' inputs) gets [T, H].
func rnnPerSample(lab string, t, h int) []int {
	b := strings.IndexByte(lab, 'B')
	if t0 := strings.IndexByte(lab, 'T'); t0 >= 0 && t0 < b {
		return []int{t, h}
	}
	var out []int
	for _, c := range lab[b+1:] {
		switch c {
		case 'T':
			out = append(out, t)
		case 'H':
			out = append(out, h)
		default:
			out = append(out, 1)
		}
	}
	return out
}
