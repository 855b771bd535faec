package explore

import (
	"math/rand/v2"
	"testing"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// TestFineTunePrunedLSTM fine-tunes the PyTorch LSTM fixture (LSTM 10 → 32 over 16 steps,
// Linear 32 → 4) after pruning half of its input and recurrence weights, on Gaussian inputs
// labelled by the unpruned model: the loss falls and every pruned weight stays exactly zero.
func TestFineTunePrunedLSTM(t *testing.T) {
	g, err := model.LoadFile("../model/testdata/fixtures/lstm_head.onnx")
	if err != nil {
		t.Fatal(err)
	}
	var lstm *model.Node
	for _, n := range g.Nodes {
		if n.Op == model.OpLSTM {
			lstm = n
		}
	}
	if lstm == nil {
		t.Fatal("the fixture has no LSTM node")
	}
	rng := rand.New(rand.NewPCG(31, 32))
	x := model.NewTensor(64, 16, 10)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	out := mustRun(t, g, x)
	labels := make([]int, 64)
	for i := range labels {
		row := out[0].Data[i*4 : (i+1)*4]
		for j, v := range row {
			if v > row[labels[i]] {
				labels[i] = j
			}
		}
	}
	p, err := Prune(g, Rates{lstm.Name: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	PruneTensor(p.Node(lstm.Name).Recurrent, 0.5)
	ds := &dataset.Dataset{Name: "gaussian", X: x, Labels: labels}
	hist, tuned, err := FineTuneHistory(p, ds, FineTuneOptions{Epochs: 4, Batch: 16, LR: 0.01, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loss per epoch %.4f", hist)
	if hist[len(hist)-1] >= 0.8*hist[0] {
		t.Errorf("loss per epoch %v: fine-tuning the LSTM does not learn", hist)
	}
	before, after := p.Node(lstm.Name), tuned.Node(lstm.Name)
	for _, c := range []struct {
		what      string
		orig, now []float32
	}{{"weight", before.Weight.Data, after.Weight.Data}, {"recurrence weight", before.Recurrent.Data, after.Recurrent.Data}} {
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
		if zeros < len(c.orig)/2 || moved == 0 {
			t.Errorf("%s: %d zeros kept, %d unpruned elements moved", c.what, zeros, moved)
		}
	}
}
