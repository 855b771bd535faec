package model_test

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// torchDir holds the fixture written by testdata/train_torch_fixture.py.
var torchDir = filepath.Join("testdata", "train_torch")

func torchLoad(t *testing.T, name string) *model.Tensor {
	t.Helper()
	x, err := dataset.LoadNPY(filepath.Join(torchDir, name+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// torchNet builds the fixture's network in the IR with PyTorch's initial parameters; it ends in
// a Softmax, as imported classifiers do, so the loss enters at its input.
func torchNet(t *testing.T) *model.Graph {
	layer := func(name string, op model.Op, in, out string, a model.Attrs) *model.Node {
		return &model.Node{Name: name, Op: op, Inputs: []string{in}, Outputs: []string{out}, Attrs: a,
			Weight: torchLoad(t, name+".weight"), Bias: torchLoad(t, name+".bias")}
	}
	g := &model.Graph{
		Name:    "torch-fixture",
		Inputs:  []model.Value{{Name: "x", Shape: []int{2, 10, 10}}},
		Outputs: []model.Value{{Name: "prob"}},
		Nodes: []*model.Node{
			layer("c1", model.OpConv, "x", "h1", model.Attrs{Pads: []int{1, 1, 1, 1}, Group: 2}),
			{Name: "r1", Op: model.OpRelu, Inputs: []string{"h1"}, Outputs: []string{"a1"}},
			{Name: "mp", Op: model.OpMaxPool, Inputs: []string{"a1"}, Outputs: []string{"p1"},
				Attrs: model.Attrs{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}},
			layer("c2", model.OpConv, "p1", "h2", model.Attrs{Pads: []int{2, 2, 2, 2}, Dilations: []int{2, 2}}),
			{Name: "res", Op: model.OpAdd, Inputs: []string{"h2", "p1"}, Outputs: []string{"s2"}},
			{Name: "r2", Op: model.OpRelu, Inputs: []string{"s2"}, Outputs: []string{"a2"}},
			layer("c3", model.OpConv, "a2", "h3", model.Attrs{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}),
			{Name: "ap", Op: model.OpAvgPool, Inputs: []string{"h3"}, Outputs: []string{"p3"},
				Attrs: model.Attrs{Kernel: []int{2, 2}, Strides: []int{1, 1}, Pads: []int{1, 1, 1, 1}}},
			{Name: "flat", Op: model.OpReshape, Inputs: []string{"p3"}, Outputs: []string{"f"}, Attrs: model.Attrs{Shape: []int{96}}},
			layer("fc1", model.OpDense, "f", "d1", model.Attrs{}),
			{Name: "r3", Op: model.OpRelu, Inputs: []string{"d1"}, Outputs: []string{"a3"}},
			layer("fc2", model.OpDense, "a3", "logits", model.Attrs{}),
			{Name: "sm", Op: model.OpSoftmax, Inputs: []string{"logits"}, Outputs: []string{"prob"}},
		},
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	return g
}

func torchLabels(t *testing.T) []int {
	l := torchLoad(t, "labels")
	out := make([]int, len(l.Data))
	for i, v := range l.Data {
		out[i] = int(v)
	}
	return out
}

// torchClose fails when got and want differ by more than tol·(1 + |want|) anywhere, and returns
// the largest absolute difference.
func torchClose(t *testing.T, what string, got, want []float32, tol float64) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d elements, PyTorch has %d", what, len(got), len(want))
	}
	worst := 0.0
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		worst = math.Max(worst, d)
		if d > tol*(1+math.Abs(float64(want[i]))) {
			t.Errorf("%s[%d] = %v, PyTorch %v", what, i, got[i], want[i])
			return worst
		}
	}
	return worst
}

func TestGradientsMatchPyTorch(t *testing.T) {
	g := torchNet(t)
	x, labels := torchLoad(t, "x"), torchLabels(t)
	tr := &model.Trainer{Graph: g, Loss: model.Loss{Kind: model.LossCrossEntropy}, Optimizer: &model.SGD{LR: 0.1}}
	loss, grads, err := tr.Gradients(x, labels, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := float64(torchLoad(t, "loss").Data[0]); math.Abs(loss-want) > 1e-5 {
		t.Errorf("loss %v, PyTorch %v", loss, want)
	}
	worst := 0.0
	for _, n := range g.PrunableLayers() {
		worst = math.Max(worst, torchClose(t, n.Name+".weight grad", grads[n.Name].Weight.Data, torchLoad(t, n.Name+".weight_grad").Data, 1e-6))
		worst = math.Max(worst, torchClose(t, n.Name+".bias grad", grads[n.Name].Bias.Data, torchLoad(t, n.Name+".bias_grad").Data, 1e-6))
	}
	act, err := g.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	loss2 := model.Loss{Kind: model.LossCrossEntropy}
	_, dz, err := loss2.Eval(act.Values["logits"], model.LossBatch{Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	_, dx, err := g.Backward(act, "logits", dz)
	if err != nil {
		t.Fatal(err)
	}
	worst = math.Max(worst, torchClose(t, "input grad", dx["x"].Data, torchLoad(t, "x_grad").Data, 1e-6))
	t.Logf("largest difference from PyTorch autograd over all gradients: %.3g", worst)
}

func TestOptimizersMatchPyTorch(t *testing.T) {
	for _, name := range []string{"sgd", "adam"} {
		t.Run(name, func(t *testing.T) {
			g := torchNet(t)
			x, labels := torchLoad(t, "x"), torchLabels(t)
			var opt model.Optimizer = &model.SGD{LR: 0.1, Momentum: 0.9}
			if name == "adam" {
				opt = &model.Adam{LR: 0.01}
			}
			tr := &model.Trainer{Graph: g, Loss: model.Loss{Kind: model.LossCrossEntropy}, Optimizer: opt}
			for i := 0; i < 3; i++ {
				if _, err := tr.Step(x, labels, nil); err != nil {
					t.Fatal(err)
				}
			}
			worst := 0.0
			for _, n := range g.PrunableLayers() {
				worst = math.Max(worst, torchClose(t, n.Name+".weight", n.Weight.Data, torchLoad(t, name+"_"+n.Name+".weight").Data, 1e-5))
				worst = math.Max(worst, torchClose(t, n.Name+".bias", n.Bias.Data, torchLoad(t, name+"_"+n.Name+".bias").Data, 1e-5))
			}
			t.Logf("%s: largest parameter difference from PyTorch after 3 steps: %.3g", name, worst)
		})
	}
}
