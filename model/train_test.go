package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// trainRandTensor returns a tensor with values uniform in [-scale, scale), from a fixed seed.
func trainRandTensor(rng *rand.Rand, scale float64, shape ...int) *Tensor {
	t := NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = float32((rng.Float64()*2 - 1) * scale)
	}
	return t
}

// trainCNN builds a small CNN that exercises every backward kernel: a grouped, strided, padded
// and dilated convolution, overlapping max pooling with padding, average pooling with padding,
// a residual Add between two convolutions, Reshape, two Dense layers and a final Softmax.
func trainCNN(rng *rand.Rand) *Graph {
	conv := func(name, in, out string, m, c, k int, a Attrs) *Node {
		return &Node{Name: name, Op: OpConv, Inputs: []string{in}, Outputs: []string{out},
			Weight: trainRandTensor(rng, 0.5, m, c/max(a.Group, 1), k, k), Bias: trainRandTensor(rng, 0.1, m), Attrs: a}
	}
	g := &Graph{
		Name:    "train-cnn",
		Inputs:  []Value{{Name: "x", Shape: []int{2, 9, 9}}},
		Outputs: []Value{{Name: "prob"}},
		Nodes: []*Node{
			conv("c1", "x", "h1", 4, 2, 3, Attrs{Strides: []int{1, 1}, Pads: []int{1, 1, 1, 1}, Group: 2}), // [4,9,9]
			{Name: "r1", Op: OpRelu, Inputs: []string{"h1"}, Outputs: []string{"a1"}},
			{Name: "mp", Op: OpMaxPool, Inputs: []string{"a1"}, Outputs: []string{"p1"},
				Attrs: Attrs{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}}, // [4,5,5]
			conv("c2", "p1", "h2", 4, 4, 3, Attrs{Strides: []int{1, 1}, Pads: []int{2, 2, 2, 2}, Dilations: []int{2, 2}}), // [4,5,5]
			{Name: "res", Op: OpAdd, Inputs: []string{"h2", "p1"}, Outputs: []string{"s2"}},
			{Name: "r2", Op: OpRelu, Inputs: []string{"s2"}, Outputs: []string{"a2"}},
			conv("c3", "a2", "h3", 6, 4, 2, Attrs{Strides: []int{2, 2}, Pads: []int{0, 0, 1, 1}}), // [6,3,3]
			{Name: "ap", Op: OpAvgPool, Inputs: []string{"h3"}, Outputs: []string{"p3"},
				Attrs: Attrs{Kernel: []int{2, 2}, Strides: []int{1, 1}, Pads: []int{0, 0, 1, 1}}}, // [6,3,3]
			{Name: "flat", Op: OpReshape, Inputs: []string{"p3"}, Outputs: []string{"f"}, Attrs: Attrs{Shape: []int{54}}},
			{Name: "fc1", Op: OpDense, Inputs: []string{"f"}, Outputs: []string{"d1"},
				Weight: trainRandTensor(rng, 0.3, 8, 54), Bias: trainRandTensor(rng, 0.1, 8)},
			{Name: "r3", Op: OpRelu, Inputs: []string{"d1"}, Outputs: []string{"a3"}},
			{Name: "fc2", Op: OpDense, Inputs: []string{"a3"}, Outputs: []string{"logits"},
				Weight: trainRandTensor(rng, 0.5, 5, 8), Bias: trainRandTensor(rng, 0.1, 5)},
			{Name: "sm", Op: OpSoftmax, Inputs: []string{"logits"}, Outputs: []string{"prob"}},
		},
	}
	if err := g.Validate(); err != nil {
		panic(err)
	}
	return g
}

// trainLoss evaluates the trainer's loss on a batch without changing anything; lb holds the
// teacher's outputs on the unperturbed batch.
func trainLoss(t *testing.T, tr *Trainer, x *Tensor, lb LossBatch) float64 {
	t.Helper()
	act, err := tr.Graph.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := tr.Loss.Eval(act.Values[tr.Loss.LossValue(tr.Graph)], lb)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestGradientsFiniteDifferences compares every parameter gradient and the input gradient of
// trainCNN with central finite differences, for each loss.
func TestGradientsFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 3
	x := trainRandTensor(rng, 1, batch, 2, 9, 9)
	labels := []int{0, 3, 4}
	targets := trainRandTensor(rng, 0.5, batch, 5)
	for _, loss := range []Loss{
		{Kind: LossCrossEntropy},
		{Kind: LossMSE},
		{Kind: LossDistill, Temperature: 2, Alpha: 0.3},
		{Kind: LossDistillMSE},
	} {
		t.Run(string(loss.Kind), func(t *testing.T) {
			g := trainCNN(rand.New(rand.NewPCG(7, 8)))
			tr := &Trainer{Graph: g, Loss: loss, Optimizer: &SGD{LR: 0.1}}
			if loss.NeedsTeacher() {
				tr.Teacher = trainCNN(rand.New(rand.NewPCG(9, 10)))
			}
			var tg *Tensor
			if loss.NeedsTargets() {
				tg = targets
			}
			_, grads, err := tr.Gradients(x, labels, tg)
			if err != nil {
				t.Fatal(err)
			}
			lb := LossBatch{Labels: labels, Targets: tg}
			if tr.Teacher != nil {
				tact, err := tr.Teacher.Forward(x)
				if err != nil {
					t.Fatal(err)
				}
				lb.Teacher = tact.Values[loss.LossValue(tr.Teacher)]
			}
			checked, worst := 0, 0.0
			check := func(what string, v []float32, analytic []float32) {
				for i := range v {
					orig := v[i]
					const eps = 1e-3
					v[i] = orig + eps
					lp := trainLoss(t, tr, x, lb)
					v[i] = orig - eps
					lm := trainLoss(t, tr, x, lb)
					v[i] = orig
					num := (lp - lm) / (2 * eps)
					a := float64(analytic[i])
					diff := math.Abs(a - num)
					if diff > 2e-4+1e-2*math.Max(math.Abs(a), math.Abs(num)) {
						t.Errorf("%s[%d]: analytic %.6g, finite difference %.6g", what, i, a, num)
					}
					worst = math.Max(worst, diff)
					checked++
				}
			}
			for _, n := range g.PrunableLayers() {
				lg := grads[n.Name]
				if lg == nil {
					t.Fatalf("no gradient for layer %s", n.Name)
				}
				check(n.Name+".weight", n.Weight.Data, lg.Weight.Data)
				check(n.Name+".bias", n.Bias.Data, lg.Bias.Data)
			}
			// The input gradient goes through every layer's backward pass.
			act, err := g.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			_, dz, err := loss.Eval(act.Values[loss.LossValue(g)], lb)
			if err != nil {
				t.Fatal(err)
			}
			_, dx, err := g.Backward(act, loss.LossValue(g), dz)
			if err != nil {
				t.Fatal(err)
			}
			check("x", x.Data, dx["x"].Data)
			t.Logf("%s: %d gradient elements checked, largest |analytic − numeric| %.3g", loss.Kind, checked, worst)
		})
	}
}

// TestSoftmaxBackward checks the Softmax kernel's backward pass (MSE on probabilities, which
// TestGradientsFiniteDifferences also covers) against the closed form on one row.
func TestSoftmaxBackward(t *testing.T) {
	n := &Node{Name: "sm", Op: OpSoftmax}
	y := &Tensor{Shape: []int{1, 3}, Data: []float32{0.2, 0.3, 0.5}}
	dy := &Tensor{Shape: []int{1, 3}, Data: []float32{1, 0, 0}}
	dxs, _, err := trainBackwardNode(n, []*Tensor{y}, [][]int{{3}}, []bool{false}, y, []int{3}, dy, 1)
	if err != nil {
		t.Fatal(err)
	}
	// d softmax_0 / d z_j = y0(δ0j − yj)
	want := []float64{0.2 * 0.8, -0.2 * 0.3, -0.2 * 0.5}
	for i, w := range want {
		if math.Abs(float64(dxs[0].Data[i])-w) > 1e-6 {
			t.Errorf("dx[%d] = %v, want %v", i, dxs[0].Data[i], w)
		}
	}
}

func TestBackwardRefusesUnsupportedOp(t *testing.T) {
	n := &Node{Name: "weird", Op: OpQuantize}
	_, _, err := trainBackwardNode(n, []*Tensor{NewTensor(1, 2)}, [][]int{{2}}, []bool{false}, NewTensor(1, 2), []int{2}, NewTensor(1, 2), 1)
	if err == nil || !containsAll(err.Error(), "weird", "Quantize") {
		t.Fatalf("err = %v, want an error naming the node and operator", err)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		found := false
		for i := 0; i+len(sub) <= len(s); i++ {
			if s[i:i+len(sub)] == sub {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// trainFitOnce trains trainCNN with a mask and returns the trained graph and loss history.
func trainFitOnce(t *testing.T, opt Optimizer, procs int) (*Graph, []float64) {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	g := trainCNN(rand.New(rand.NewPCG(7, 8)))
	// Prune every other weight of fc1 and the first third of c2.
	for i := range g.Node("fc1").Weight.Data {
		if i%2 == 0 {
			g.Node("fc1").Weight.Data[i] = 0
		}
	}
	c2 := g.Node("c2").Weight.Data
	clear(c2[:len(c2)/3])
	rng := rand.New(rand.NewPCG(3, 4))
	x := trainRandTensor(rng, 1, 40, 2, 9, 9)
	// Labels a network of the same shape gives, so that they are learnable.
	labeller, err := trainCNN(rand.New(rand.NewPCG(9, 10))).Run(x)
	if err != nil {
		t.Fatal(err)
	}
	labels := make([]int, 40)
	for i := range labels {
		row := labeller[0].Data[i*5 : (i+1)*5]
		for j, v := range row {
			if v > row[labels[i]] {
				labels[i] = j
			}
		}
	}
	tr := &Trainer{Graph: g, Loss: Loss{Kind: LossCrossEntropy}, Optimizer: opt, Masks: ZeroMasks(g)}
	hist, err := tr.Fit(x, labels, nil, 20, 16, 42)
	if err != nil {
		t.Fatal(err)
	}
	return g, hist
}

func TestFitMasksDeterminismAndProgress(t *testing.T) {
	for _, name := range []string{"sgd", "adam"} {
		t.Run(name, func(t *testing.T) {
			lr := map[string]float64{"sgd": 0.05, "adam": 0.01}[name]
			opt1, _ := NewOptimizer(name, lr)
			g1, h1 := trainFitOnce(t, opt1, 1)
			opt2, _ := NewOptimizer(name, lr)
			g2, h2 := trainFitOnce(t, opt2, 4)
			t.Logf("%s loss per epoch: %.4f", name, h1)
			if h1[len(h1)-1] >= h1[0]*0.7 {
				t.Errorf("loss went from %v to %v: training does not learn", h1[0], h1[len(h1)-1])
			}
			for i := range h1 {
				if h1[i] != h2[i] {
					t.Fatalf("epoch %d loss %v with GOMAXPROCS=1, %v with 4", i, h1[i], h2[i])
				}
			}
			for _, n := range g1.PrunableLayers() {
				w2 := g2.Node(n.Name).Weight.Data
				for i, v := range n.Weight.Data {
					if v != w2[i] {
						t.Fatalf("layer %s weight %d differs between GOMAXPROCS 1 and 4", n.Name, i)
					}
				}
			}
			fc1, c2 := g1.Node("fc1").Weight.Data, g1.Node("c2").Weight.Data
			for i, v := range fc1 {
				if i%2 == 0 && v != 0 {
					t.Fatalf("pruned fc1 weight %d became %v", i, v)
				}
				if i%2 == 1 && v == 0 {
					t.Fatalf("unpruned fc1 weight %d is exactly 0: did it train?", i)
				}
			}
			for i, v := range c2[:len(c2)/3] {
				if v != 0 {
					t.Fatalf("pruned c2 weight %d became %v", i, v)
				}
			}
		})
	}
}

func TestTrainerConfigErrors(t *testing.T) {
	g := trainCNN(rand.New(rand.NewPCG(1, 1)))
	x := NewTensor(2, 2, 9, 9)
	cases := []struct {
		tr   *Trainer
		want string
	}{
		{&Trainer{Graph: g, Loss: Loss{Kind: "hinge"}, Optimizer: &SGD{LR: 1}}, "unknown loss"},
		{&Trainer{Graph: g, Loss: Loss{Kind: LossDistill}, Optimizer: &SGD{LR: 1}}, "teacher"},
		{&Trainer{Graph: g, Loss: Loss{Kind: LossCrossEntropy}}, "no optimizer"},
		{&Trainer{Graph: g, Loss: Loss{Kind: LossCrossEntropy}, Optimizer: &SGD{LR: 1}, Masks: map[string][]bool{"fc1": make([]bool, 3)}}, "mask has 3"},
	}
	for i, c := range cases {
		_, err := c.tr.Fit(x, []int{0, 1}, nil, 1, 2, 1)
		if err == nil || !containsAll(err.Error(), c.want) {
			t.Errorf("case %d: err = %v, want it to mention %q", i, err, c.want)
		}
	}
	tr := &Trainer{Graph: g, Loss: Loss{Kind: LossCrossEntropy}, Optimizer: &SGD{LR: 1}}
	if _, err := tr.Fit(x, []int{0}, nil, 1, 2, 1); err == nil || !containsAll(err.Error(), "1 labels for 2 samples") {
		t.Errorf("missing labels: err = %v", err)
	}
	if _, err := NewOptimizer("rmsprop", 0.1); err == nil {
		t.Error("unknown optimizer accepted")
	}
	_ = fmt.Sprint()
}
