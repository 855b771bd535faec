package model

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// trainLSTMNet returns an LSTM classifier: LSTM(4 → 8) over 8 steps, the last hidden state into
// Dense(8 → 3), then Softmax.
func trainLSTMNet(rng *rand.Rand) *Graph {
	g := &Graph{
		Name:    "train-lstm",
		Inputs:  []Value{{Name: "x", Shape: []int{8, 4}}},
		Outputs: []Value{{Name: "prob"}},
		Nodes: []*Node{
			{Name: "lstm", Op: OpLSTM, Inputs: []string{"x"}, Outputs: []string{"h"}, Attrs: Attrs{Hidden: 8},
				Weight: trainRandTensor(rng, 0.6, 32, 4), Recurrent: trainRandTensor(rng, 0.6, 32, 8),
				Bias: trainRandTensor(rng, 0.2, 64)},
			{Name: "fc", Op: OpDense, Inputs: []string{"h"}, Outputs: []string{"logits"},
				Weight: trainRandTensor(rng, 5, 3, 8), Bias: trainRandTensor(rng, 0.1, 3)},
			{Name: "sm", Op: OpSoftmax, Inputs: []string{"logits"}, Outputs: []string{"prob"}},
		},
	}
	if err := g.Validate(); err != nil {
		panic(err)
	}
	return g
}

// trainPruneSmallest zeroes the fraction rate of t's elements with the smallest magnitude.
func trainPruneSmallest(t *Tensor, rate float64) {
	idx := make([]int, len(t.Data))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmpFloat(math.Abs(float64(t.Data[a])), math.Abs(float64(t.Data[b])))
	})
	for _, i := range idx[:int(rate*float64(len(idx)))] {
		t.Data[i] = 0
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// trainPrunedLSTMFit prunes 75% of the LSTM's input and recurrence weights and fine-tunes with
// Adam under the zero masks; it returns the graph, the loss of the unpruned and of the pruned
// network, and the epoch losses.
func trainPrunedLSTMFit(t *testing.T, procs int) (*Graph, *Graph, float64, float64, []float64) {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	g := trainLSTMNet(rand.New(rand.NewPCG(21, 22)))
	rng := rand.New(rand.NewPCG(23, 24))
	x := trainRandTensor(rng, 1.5, 96, 8, 4)
	// Labels the unpruned network gives, so that the pruned one can learn them back.
	out, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	labels := make([]int, 96)
	for i := range labels {
		row := out[0].Data[i*3 : (i+1)*3]
		for j, v := range row {
			if v > row[labels[i]] {
				labels[i] = j
			}
		}
	}
	loss := func(g *Graph) float64 {
		tr := &Trainer{Graph: g, Loss: Loss{Kind: LossCrossEntropy}, Optimizer: &SGD{LR: 1}}
		return trainLoss(t, tr, x, LossBatch{Labels: labels})
	}
	before := loss(g)
	pruned := g.Clone()
	lstm := pruned.Node("lstm")
	trainPruneSmallest(lstm.Weight, 0.75)
	trainPruneSmallest(lstm.Recurrent, 0.75)
	afterPrune := loss(pruned)
	tuned := pruned.Clone()
	tr := &Trainer{Graph: tuned, Loss: Loss{Kind: LossCrossEntropy}, Optimizer: &Adam{LR: 0.01},
		Masks: ZeroMasks(tuned), RecurrentMasks: ZeroRecurrentMasks(tuned)}
	hist, err := tr.Fit(x, labels, nil, 8, 16, 5)
	if err != nil {
		t.Fatal(err)
	}
	hist = append(hist, loss(tuned))
	return pruned, tuned, before, afterPrune, hist
}

// TestPrunedLSTMFineTuneRegainsLoss prunes an LSTM, fine-tunes it for 48 Adam steps and checks
// that it gets back at least half of the loss pruning cost, that every pruned weight and
// recurrence weight is still exactly zero and the others moved, and that the result does not
// depend on GOMAXPROCS.
func TestPrunedLSTMFineTuneRegainsLoss(t *testing.T) {
	pruned, tuned, before, afterPrune, hist := trainPrunedLSTMFit(t, 1)
	final := hist[len(hist)-1]
	t.Logf("loss: unpruned %.4f, pruned %.4f, per epoch of fine-tuning %.4f", before, afterPrune, hist)
	if afterPrune < before+0.1 {
		t.Fatalf("pruning raised the loss only from %.4f to %.4f: the test needs a real loss to regain", before, afterPrune)
	}
	if final > afterPrune-0.5*(afterPrune-before) {
		t.Errorf("fine-tuning took the loss from %.4f to %.4f only (unpruned %.4f)", afterPrune, final, before)
	}
	p, q := pruned.Node("lstm"), tuned.Node("lstm")
	for _, c := range []struct {
		what      string
		orig, now []float32
	}{{"weight", p.Weight.Data, q.Weight.Data}, {"recurrence weight", p.Recurrent.Data, q.Recurrent.Data}} {
		zeros, moved := 0, 0
		for i, v := range c.orig {
			switch {
			case v == 0 && c.now[i] != 0:
				t.Fatalf("pruned %s %d became %v", c.what, i, c.now[i])
			case v == 0:
				zeros++
			case c.now[i] != v:
				moved++
			}
		}
		if zeros < len(c.orig)/2 || moved < (len(c.orig)-zeros)*9/10 {
			t.Errorf("%s: %d zeros kept, %d of %d unpruned elements moved", c.what, zeros, moved, len(c.orig)-zeros)
		}
	}
	_, tuned4, _, _, hist4 := trainPrunedLSTMFit(t, 4)
	if !slices.Equal(hist, hist4) {
		t.Errorf("losses %v with GOMAXPROCS=1, %v with 4", hist, hist4)
	}
	for _, n := range tuned.Nodes {
		m := tuned4.Node(n.Name)
		for _, pair := range [][2]*Tensor{{n.Weight, m.Weight}, {n.Recurrent, m.Recurrent}, {n.Bias, m.Bias}} {
			if pair[0] != nil && !slices.Equal(pair[0].Data, pair[1].Data) {
				t.Fatalf("layer %s parameters differ between GOMAXPROCS 1 and 4", n.Name)
			}
		}
	}
}

func TestTrainerRecurrentMaskErrors(t *testing.T) {
	g := trainLSTMNet(rand.New(rand.NewPCG(1, 1)))
	x := NewTensor(2, 8, 4)
	for _, c := range []struct {
		masks map[string][]bool
		want  string
	}{
		{map[string][]bool{"lstm": make([]bool, 3)}, "recurrent mask has 3"},
		{map[string][]bool{"fc": make([]bool, 24)}, "not a layer with a recurrence weight"},
	} {
		tr := &Trainer{Graph: g, Loss: Loss{Kind: LossCrossEntropy}, Optimizer: &SGD{LR: 1}, RecurrentMasks: c.masks}
		if _, err := tr.Fit(x, []int{0, 1}, nil, 1, 2, 1); err == nil || !containsAll(err.Error(), c.want) {
			t.Errorf("masks %v: err = %v, want it to mention %q", c.masks, err, c.want)
		}
	}
}
