package model_test

import (
	"math"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// The fixtures of these tests are written by testdata/train_torch_fixture.py (lstm.*, gru.*,
// rnn.*, act.*): PyTorch autograd gradients of a cross-entropy loss for a batch of 4.

func torchLabelsOf(t *testing.T, prefix string) []int {
	l := torchLoad(t, prefix+"labels")
	out := make([]int, len(l.Data))
	for i, v := range l.Data {
		out[i] = int(v)
	}
	return out
}

// torchRecurrentNet builds the fixture's recurrent network cell ("lstm", "gru" or "rnn") in
// the IR: the layer from non-zero initial states, then a Dense layer on every step's output
// (LSTM) or on the last hidden state.
func torchRecurrentNet(t *testing.T, cell string) *model.Graph {
	p := cell + "."
	op := map[string]model.Op{"lstm": model.OpLSTM, "gru": model.OpGRU, "rnn": model.OpRNN}[cell]
	rnn := &model.Node{Name: "rnn", Op: op, Inputs: []string{"x"}, Outputs: []string{"h"},
		Attrs:  model.Attrs{Hidden: 5, Sequence: cell == "lstm", LinearBeforeReset: cell == "gru"},
		Weight: torchLoad(t, p+"rnn.weight"), Recurrent: torchLoad(t, p+"rnn.recurrent"), Bias: torchLoad(t, p+"rnn.bias"),
		InitialH: torchLoad(t, p+"h0")}
	if cell == "lstm" {
		rnn.InitialC = torchLoad(t, p+"c0")
	}
	fc := &model.Node{Name: "fc", Op: model.OpDense, Inputs: []string{"h"}, Outputs: []string{"logits"},
		Weight: torchLoad(t, p+"fc.weight"), Bias: torchLoad(t, p+"fc.bias")}
	g := &model.Graph{Name: "torch-" + cell, Inputs: []model.Value{{Name: "x", Shape: []int{6, 3}}},
		Outputs: []model.Value{{Name: "logits"}}, Nodes: []*model.Node{rnn, fc}}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	return g
}

// torchCheckGradients compares the loss, every parameter gradient and the input gradient of g
// with the fixture's, to tol·(1 + |want|), and returns the largest absolute difference.
func torchCheckGradients(t *testing.T, g *model.Graph, prefix string, tol float64) float64 {
	t.Helper()
	x, labels := torchLoad(t, prefix+"x"), torchLabelsOf(t, prefix)
	tr := &model.Trainer{Graph: g, Loss: model.Loss{Kind: model.LossCrossEntropy}, Optimizer: &model.SGD{LR: 0.1}}
	loss, grads, err := tr.Gradients(x, labels, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := float64(torchLoad(t, prefix+"loss").Data[0]); math.Abs(loss-want) > 1e-6*(1+want) {
		t.Errorf("loss %v, PyTorch %v", loss, want)
	}
	worst := 0.0
	for _, n := range g.PrunableLayers() {
		lg := grads[n.Name]
		worst = math.Max(worst, torchClose(t, n.Name+".weight grad", lg.Weight.Data, torchLoad(t, prefix+n.Name+".weight_grad").Data, tol))
		worst = math.Max(worst, torchClose(t, n.Name+".bias grad", lg.Bias.Data, torchLoad(t, prefix+n.Name+".bias_grad").Data, tol))
		if n.Recurrent != nil {
			worst = math.Max(worst, torchClose(t, n.Name+".recurrent grad", lg.Recurrent.Data, torchLoad(t, prefix+n.Name+".recurrent_grad").Data, tol))
		}
	}
	act, err := g.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	_, dz, err := tr.Loss.Eval(act.Values["logits"], model.LossBatch{Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	_, dx, err := g.Backward(act, "logits", dz)
	if err != nil {
		t.Fatal(err)
	}
	return math.Max(worst, torchClose(t, "input grad", dx["x"].Data, torchLoad(t, prefix+"x_grad").Data, tol))
}

func TestRecurrentGradientsMatchPyTorch(t *testing.T) {
	for _, cell := range []string{"lstm", "gru", "rnn"} {
		t.Run(cell, func(t *testing.T) {
			worst := torchCheckGradients(t, torchRecurrentNet(t, cell), cell+".", 1e-6)
			t.Logf("%s: largest difference from PyTorch autograd over all gradients: %.3g", cell, worst)
		})
	}
}

// TestRecurrentAdamMatchesPyTorch trains the LSTM network for 3 Adam steps: the recurrence
// weight is a parameter of the optimizer like the others.
func TestRecurrentAdamMatchesPyTorch(t *testing.T) {
	g := torchRecurrentNet(t, "lstm")
	x, labels := torchLoad(t, "lstm.x"), torchLabelsOf(t, "lstm.")
	tr := &model.Trainer{Graph: g, Loss: model.Loss{Kind: model.LossCrossEntropy}, Optimizer: &model.Adam{LR: 0.01}}
	for i := 0; i < 3; i++ {
		if _, err := tr.Step(x, labels, nil); err != nil {
			t.Fatal(err)
		}
	}
	rnn, fc := g.Node("rnn"), g.Node("fc")
	worst := 0.0
	for _, c := range []struct {
		name string
		got  *model.Tensor
	}{{"rnn.weight", rnn.Weight}, {"rnn.recurrent", rnn.Recurrent}, {"rnn.bias", rnn.Bias}, {"fc.weight", fc.Weight}, {"fc.bias", fc.Bias}} {
		worst = math.Max(worst, torchClose(t, c.name, c.got.Data, torchLoad(t, "lstm.adam_"+c.name).Data, 1e-5))
	}
	t.Logf("largest parameter difference from PyTorch after 3 Adam steps: %.3g", worst)
}

// TestActivationGradientsMatchPyTorch checks Sigmoid, Tanh, Concat, HardSwish, Mul by a
// constant and LeakyRelu between Dense layers.
func TestActivationGradientsMatchPyTorch(t *testing.T) {
	dense := func(name, in, out string) *model.Node {
		return &model.Node{Name: name, Op: model.OpDense, Inputs: []string{in}, Outputs: []string{out},
			Weight: torchLoad(t, "act."+name+".weight"), Bias: torchLoad(t, "act."+name+".bias")}
	}
	node := func(name string, op model.Op, out string, a model.Attrs, ins ...string) *model.Node {
		return &model.Node{Name: name, Op: op, Inputs: ins, Outputs: []string{out}, Attrs: a}
	}
	g := &model.Graph{
		Name:   "torch-act",
		Inputs: []model.Value{{Name: "x", Shape: []int{8}}}, Outputs: []model.Value{{Name: "logits"}},
		Consts: []model.Const{{Name: "k", Tensor: torchLoad(t, "act.k")}},
		Nodes: []*model.Node{
			dense("fc1", "x", "h"),
			node("sig", model.OpSigmoid, "s", model.Attrs{}, "h"),
			node("tanh", model.OpTanh, "th", model.Attrs{}, "h"),
			node("cat", model.OpConcat, "c", model.Attrs{Axis: 0}, "s", "th"),
			dense("fc2", "c", "d"),
			node("hswish", model.OpHardSwish, "hs", model.Attrs{}, "d"),
			node("scale", model.OpMul, "m", model.Attrs{}, "hs", "k"),
			node("leaky", model.OpLeakyRelu, "l", model.Attrs{Alpha: 0.1}, "m"),
			dense("fc3", "l", "logits"),
		},
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	worst := torchCheckGradients(t, g, "act.", 1e-6)
	t.Logf("largest difference from PyTorch autograd over all gradients: %.3g", worst)
}
