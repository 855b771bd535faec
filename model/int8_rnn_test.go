package model

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// q8RNNTestGraph returns a small int8 recurrent graph: input [T=5, I=3] int8, hidden 4,
// random symmetric weights, every step as output.
func q8RNNTestGraph(op Op) *Graph {
	rng := rand.New(rand.NewPCG(1, uint64(len(op))))
	g, h, in := RecurrentGates(op), 4, 3
	ints := func(n int) []int8 {
		v := make([]int8, n)
		for i := range v {
			v[i] = int8(rng.IntN(255) - 127)
		}
		return v
	}
	floats := func(q []int8, s float32) []float32 {
		out := make([]float32, len(q))
		for i, v := range q {
			out[i] = s * float32(v)
		}
		return out
	}
	w, r := ints(g*h*in), ints(g*h*h)
	n := &Node{Name: "rec", Op: op, Inputs: []string{"x"}, Outputs: []string{"y"},
		Weight:    &Tensor{Shape: []int{g * h, in}, Data: floats(w, 0.01)},
		Recurrent: &Tensor{Shape: []int{g * h, h}, Data: floats(r, 0.01)},
		QWeight:   &QTensor{Shape: []int{g * h, in}, Data: w, Quant: QuantParams{Scale: []float32{0.01}, ZeroPoint: []int32{0}}},
		QBias:     make([]int32, g*h),
		RecurrentQuant: &RecurrentQuant{Recurrent: &QTensor{Shape: []int{g * h, h}, Data: r,
			Quant: QuantParams{Scale: []float32{0.01}, ZeroPoint: []int32{0}}}},
		Attrs: Attrs{Hidden: h, Sequence: true, LinearBeforeReset: op == OpGRU,
			Quant: &QuantParams{Scale: []float32{1.0 / 128}, ZeroPoint: []int32{0}}}}
	for i := range n.QBias {
		n.QBias[i] = int32(rng.IntN(2001) - 1000)
	}
	if op == OpLSTM {
		n.RecurrentQuant.CellIntBits = 2
	}
	return &Graph{Name: "q8rnn", Inputs: []Value{{Name: "x", Shape: []int{5, in}}}, Outputs: []Value{{Name: "y"}},
		Nodes: []*Node{n}, Quant: []ValueQuant{{Name: "x", Params: &QuantParams{Scale: []float32{0.02}, ZeroPoint: []int32{3}}},
			{Name: "y", Params: n.Attrs.Quant.Clone()}}}
}

// q8RNNTestInput returns a batch of int8 inputs.
func q8RNNTestInput(batch int) *Tensor {
	rng := rand.New(rand.NewPCG(2, 3))
	x := NewTensor(batch, 5, 3)
	for i := range x.Data {
		x.Data[i] = float32(rng.IntN(256) - 128)
	}
	return x
}

func TestInt8RecurrentRunsAndClones(t *testing.T) {
	for _, op := range []Op{OpRNN, OpLSTM, OpGRU} {
		g := q8RNNTestGraph(op)
		out, err := g.Run(q8RNNTestInput(7))
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		distinct := map[float32]bool{}
		for _, v := range out[0].Data {
			if v != float32(int8(v)) {
				t.Fatalf("%s: output %v is not an int8 value", op, v)
			}
			distinct[v] = true
		}
		if len(distinct) < 10 {
			t.Errorf("%s: only %d distinct output values; the kernel computes nothing useful", op, len(distinct))
		}
		c := g.Clone()
		c.Nodes[0].RecurrentQuant.Recurrent.Data[0]++
		c.Nodes[0].RecurrentQuant.CellIntBits = 5
		if g.Nodes[0].RecurrentQuant.Recurrent.Data[0] == c.Nodes[0].RecurrentQuant.Recurrent.Data[0] || g.Nodes[0].RecurrentQuant.CellIntBits == 5 {
			t.Errorf("%s: Clone shares RecurrentQuant with the original", op)
		}
	}
}

func TestInt8RecurrentErrors(t *testing.T) {
	cases := []struct {
		op     Op
		name   string
		mutate func(n *Node)
		want   string
	}{
		{OpLSTM, "no RecurrentQuant", func(n *Node) { n.RecurrentQuant = nil }, "no RecurrentQuant"},
		{OpLSTM, "no QWeight", func(n *Node) { n.QWeight = nil }, "no QWeight"},
		{OpLSTM, "R shape", func(n *Node) { n.RecurrentQuant.Recurrent.Shape = []int{4, 16} }, "RecurrentQuant.Recurrent has shape"},
		{OpGRU, "asymmetric W", func(n *Node) { n.QWeight.Quant.ZeroPoint = []int32{2} }, "symmetric"},
		{OpRNN, "row scales", func(n *Node) { n.QWeight.Quant.Scale = []float32{1, 2} }, "want 1 or 4 along axis 0"},
		{OpLSTM, "cell bits", func(n *Node) { n.RecurrentQuant.CellIntBits = 7 }, "CellIntBits is 7"},
		{OpGRU, "cell bits on GRU", func(n *Node) { n.RecurrentQuant.CellIntBits = 1 }, "only an LSTM has a cell state"},
		{OpLSTM, "gate bits count", func(n *Node) { n.RecurrentQuant.GateIntBits = []int{3, 3} }, "GateIntBits has 2 entries, want 4"},
		{OpGRU, "gate bits range", func(n *Node) { n.RecurrentQuant.GateIntBits = []int{3, 9, 3} }, "GateIntBits[1] is 9"},
		{OpRNN, "bias length", func(n *Node) { n.QBias = n.QBias[:2] }, "QBias has 2 elements, want 4"},
		{OpGRU, "recurrence bias length", func(n *Node) { n.RecurrentQuant.RecurrentBias = []int32{1} }, "RecurrentBias has 1 elements"},
		{OpGRU, "tiny hidden scale", func(n *Node) { n.Attrs.Quant.Scale[0] = 1e-6 }, "below 2^-14"},
		{OpLSTM, "per-channel output", func(n *Node) { n.Attrs.Quant.Scale = []float32{1, 1} }, "per-tensor"},
	}
	for _, c := range cases {
		g := q8RNNTestGraph(c.op)
		c.mutate(g.Nodes[0])
		_, err := g.Run(q8RNNTestInput(2))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `"rec"`) {
			t.Errorf("%s %s: error %v, want one naming node \"rec\" and containing %q", c.op, c.name, err, c.want)
		}
	}
}

// TestInt8RecurrentCellClip checks the quantized cell clip: with a clip below every cell value
// reached, the LSTM's output must change, and the cell state must be held at the truncated
// bound (tested through the hidden state h = o·tanh(c) ≤ tanh(clip)).
func TestInt8RecurrentCellClip(t *testing.T) {
	g := q8RNNTestGraph(OpLSTM)
	x := q8RNNTestInput(16)
	free, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	g.Nodes[0].Attrs.CellClip = 0.05
	clipped, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(free[0].Data, clipped[0].Data) {
		t.Fatal("a cell clip of 0.05 changes nothing")
	}
	bound := float32(0.0500) * 128 // |h| ≤ tanh(0.05) < 0.05, in steps of 1/128
	for i, v := range clipped[0].Data {
		if v > bound+1 || v < -bound-1 {
			t.Fatalf("output %d is %v steps, beyond tanh(cell clip) ≈ %.1f steps", i, v, bound)
		}
	}
}
