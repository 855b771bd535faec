package explore

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// tinyData returns n samples for tinyGraph labelled by a fixed linear rule, so they can be
// learnt.
func ftTinyData(n int, labelled bool) *dataset.Dataset {
	rng := rand.New(rand.NewPCG(11, 12))
	x := model.NewTensor(n, 4)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		var s float32
		for j := 0; j < 4; j++ {
			v := float32(rng.Float64()*2 - 1)
			x.Data[i*4+j] = v
			s += v * float32(j-1)
		}
		if s > 0 {
			labels[i] = 1
		}
	}
	ds := &dataset.Dataset{Name: "tiny", X: x}
	if labelled {
		ds.Labels = labels
	}
	return ds
}

func TestFineTuneKeepsZerosAndIsDeterministic(t *testing.T) {
	p, err := Prune(tinyGraph(), Rates{"fc1": 0.5, "fc2": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	ds := ftTinyData(64, true)
	opts := FineTuneOptions{Epochs: 5, Batch: 8, LR: 0.01, Seed: 3}
	hist, a, err := FineTuneHistory(p, ds, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FineTune(p, ds, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Seed = 4
	c, err := FineTune(p, ds, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loss per epoch %.4f", hist)
	if hist[len(hist)-1] >= hist[0] {
		t.Errorf("loss did not decrease: %v", hist)
	}
	sameAsC, changed := true, 0
	for _, n := range p.PrunableLayers() {
		wa, wb, wc := a.Node(n.Name).Weight.Data, b.Node(n.Name).Weight.Data, c.Node(n.Name).Weight.Data
		for i, v := range n.Weight.Data {
			if v == 0 && wa[i] != 0 {
				t.Errorf("layer %s weight %d was pruned, is %v after fine-tuning", n.Name, i, wa[i])
			}
			if v != 0 && wa[i] != v {
				changed++
			}
			if wa[i] != wb[i] {
				t.Fatalf("layer %s weight %d: %v and %v from the same seed", n.Name, i, wa[i], wb[i])
			}
			sameAsC = sameAsC && wa[i] == wc[i]
		}
	}
	if changed < 5 {
		t.Errorf("only %d of the 9 unpruned weights changed", changed)
	}
	if sameAsC {
		t.Error("seeds 3 and 4 gave identical weights: the shuffle ignores the seed")
	}
	if Sparsity(a) != Sparsity(p) {
		t.Errorf("sparsity %v after fine-tuning, %v before", Sparsity(a), Sparsity(p))
	}
	if p.Node("fc1").Weight.Data[0] != tinyGraph().Node("fc1").Weight.Data[0] {
		t.Error("FineTune modified its input graph")
	}
}

func TestFineTuneDistillWithoutLabels(t *testing.T) {
	teacher := tinyGraph()
	p, err := Prune(teacher, Rates{"fc1": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	ds := ftTinyData(64, false)
	for _, loss := range []string{"distill", "distill_mse"} {
		hist, _, err := FineTuneHistory(p, ds, FineTuneOptions{Epochs: 10, Batch: 16, LR: 0.01, Loss: loss, Teacher: teacher})
		if err != nil {
			t.Fatal(err)
		}
		if hist[len(hist)-1] >= hist[0] {
			t.Errorf("%s: loss did not decrease: %v", loss, hist)
		}
	}
}

func TestFineTuneOptionErrors(t *testing.T) {
	g := tinyGraph()
	unlabelled := ftTinyData(8, false)
	cases := []struct {
		opts FineTuneOptions
		want string
	}{
		{FineTuneOptions{Loss: "ce"}, "needs class labels"},
		{FineTuneOptions{Loss: "mse"}, "needs regression targets"},
		{FineTuneOptions{Loss: "distill"}, "needs a teacher"},
		{FineTuneOptions{Loss: "hinge"}, "unknown loss"},
		{FineTuneOptions{Loss: "distill", Teacher: g, Optimizer: "rmsprop"}, "rmsprop"},
		{FineTuneOptions{Loss: "distill", Teacher: g, Epochs: -1}, "epochs"},
		{FineTuneOptions{Loss: "distill", Teacher: g, Alpha: 0.5}, "needs class labels"},
	}
	for i, c := range cases {
		_, err := FineTune(g, unlabelled, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: err = %v, want it to mention %q", i, err, c.want)
		}
	}
}

func TestSweepSpecFineTune(t *testing.T) {
	base := `model: m.onnx
data: {format: mnist, images: i, labels: l}
metric: top1
threshold: {relative: 0.99}
rates: [0.5]
schedule: [1]
target: tc387:cpu2
out: out
`
	good := []string{
		"finetune: {epochs: 2, batch: 64, lr: 0.001, optimizer: adam, loss: ce, seed: 1, split: 0.5}\n",
		"finetune: {loss: distill, temperature: 4, train: {format: npy, path: x.npy}}\n",
	}
	for _, g := range good {
		s, err := ParseSweepSpec([]byte(base+g), "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", g, err)
		}
		if s.FineTune == nil {
			t.Errorf("%s: finetune not parsed", g)
		}
	}
	bad := map[string][]string{
		"finetune: {epochs: 1}\n":                                  {"finetune.train", "inflate"},
		"finetune: {split: 0.5, train: {format: npy}}\n":           {"finetune.split", "not both"},
		"finetune: {split: 1.5}\n":                                 {"finetune.split", "1.5"},
		"finetune: {split: 0.5, loss: hinge, optimizer: rms}\n":    {"finetune.loss", "finetune.optimizer"},
		"finetune: {split: 0.5, lr: -1, alpha: 2, epochs: 5000}\n": {"finetune.lr", "finetune.alpha", "finetune.epochs"},
		"finetune: {split: 0.5, learning_rate: 1}\n":               {"learning_rate"},
	}
	for y, wants := range bad {
		s, err := ParseSweepSpec([]byte(base+y), "")
		if err == nil {
			err = s.Validate()
		}
		for _, w := range wants {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: err = %v, want it to mention %q", y, err, w)
			}
		}
	}
	ds := ftTinyData(10, true)
	score, train, err := SplitForFineTune(ds, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if score.Len() != 7 || train.Len() != 3 || score.X.Data[0] != ds.X.Data[0] || train.X.Data[0] != ds.X.Data[7*4] {
		t.Errorf("split 0.3 of 10: scored %d from sample 0, fine-tune %d from sample 7 expected", score.Len(), train.Len())
	}
	if _, _, err := SplitForFineTune(ds, 0.01); err == nil {
		t.Error("a split leaving no fine-tuning sample was accepted")
	}
}
