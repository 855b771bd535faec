package explore

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// loadMNISTTrain loads images 1000–9999 of the full MNIST test set from ../shared/datasets (the
// bundled 1000-image subset used for scoring is images 0–999), or skips.
func loadMNISTTrain(t *testing.T) *dataset.Dataset {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "datasets", "mnist")
	images, labels := filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")
	for _, p := range []string{images, labels} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("full MNIST test set not available: %v", err)
		}
	}
	all, err := dataset.Load(dataset.Spec{Format: "mnist", Images: images, Labels: labels, Normalize: dataset.MNISTNormalize})
	if err != nil {
		t.Fatal(err)
	}
	train, err := all.Batch(1000, all.Len())
	if err != nil {
		t.Fatal(err)
	}
	return train
}

// TestLeNetFineTuneOneEpoch checks that fine-tuning a heavily pruned LeNet on held-out images
// recovers accuracy on the scoring images and keeps every pruned weight at zero.
func TestLeNetFineTuneOneEpoch(t *testing.T) {
	if testing.Short() {
		t.Skip("fine-tunes LeNet on 9000 images")
	}
	g, score := loadLeNet(t)
	train := loadMNISTTrain(t)
	m := top1(t)
	// GWP's rates at g = 1.2 for the pmax its sensitivity analysis finds (T = 0.99).
	rates := Rates{"Conv_0": 0.6, "Conv_3": 0.6, "Gemm_8": 0.96, "Gemm_10": 0.84, "Gemm_12": 0.36}
	p, err := Prune(g, rates)
	if err != nil {
		t.Fatal(err)
	}
	before, err := Evaluate(p, score, m, 250)
	if err != nil {
		t.Fatal(err)
	}
	for _, loss := range []string{"ce", "distill"} {
		hist, ft, err := FineTuneHistory(p, train, FineTuneOptions{Epochs: 1, Batch: 64, LR: 1e-3, Loss: loss, Teacher: g, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		after, err := Evaluate(ft, score, m, 250)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("LeNet pruned to sparsity %.3f: top-1 %.4f -> %.4f after 1 epoch of %s fine-tuning (train loss %.4f)", Sparsity(p), before, after, loss, hist[0])
		if after < before+0.1 {
			t.Errorf("%s fine-tuning: accuracy %v -> %v, want a clear recovery", loss, before, after)
		}
		for _, n := range p.PrunableLayers() {
			w := ft.Node(n.Name).Weight.Data
			for i, v := range n.Weight.Data {
				if v == 0 && w[i] != 0 {
					t.Fatalf("layer %s weight %d was pruned but is %v after fine-tuning", n.Name, i, w[i])
				}
			}
		}
		if Sparsity(ft) != Sparsity(p) {
			t.Errorf("sparsity %v after fine-tuning, %v before", Sparsity(ft), Sparsity(p))
		}
	}
}

// TestLeNetGWPWithFineTuning runs the sweep's compression loop on LeNet twice — GWP alone, and
// GWP with one epoch of fine-tuning after every step (each step pruning the previous step's
// fine-tuned model, as the Sweep workflow chains them) — scoring on the bundled images 0–999
// and fine-tuning on images 1000–9999. It logs sparsity and accuracy per step and checks that
// fine-tuning reaches a higher sparsity within 1 point of the dense accuracy.
//
//	go test ./explore -run TestLeNetGWPWithFineTuning -v
func TestLeNetGWPWithFineTuning(t *testing.T) {
	if testing.Short() {
		t.Skip("fine-tunes LeNet at every GWP step")
	}
	g, score := loadLeNet(t)
	train := loadMNISTTrain(t)
	m := top1(t)
	sens, err := Sensitivity(g, score, m, []float64{0.3, 0.5, 0.7, 0.8, 0.9, 0.95}, Threshold{Relative: 0.99})
	if err != nil {
		t.Fatal(err)
	}
	base := sens.Baseline
	pmax := sens.MaxRateByLayer()
	t.Logf("dense top-1 %.4f; pmax %v", base, pmax)
	opts := FineTuneOptions{Epochs: 1, Batch: 64, LR: 1e-3, Optimizer: "adam", Loss: "ce", Seed: 1}
	schedule := []float64{0.5, 1, 1.04, 1.08, 1.12, 1.16, 1.2, 1.24}
	best := map[bool]float64{}
	for _, tune := range []bool{false, true} {
		cur := g
		for _, gf := range schedule {
			p, err := Prune(cur, GWPRates(pmax, gf))
			if err != nil {
				t.Fatal(err)
			}
			if tune {
				if p, err = FineTune(p, train, opts); err != nil {
					t.Fatal(err)
				}
			}
			acc, err := Evaluate(p, score, m, 250)
			if err != nil {
				t.Fatal(err)
			}
			sp := Sparsity(p)
			t.Logf("fine-tune=%-5v g=%.2f sparsity %.4f top-1 %.4f", tune, gf, sp, acc)
			if acc >= base-0.01 && sp > best[tune] {
				best[tune] = sp
			}
			cur = p
		}
	}
	t.Logf("highest sparsity within 1 point of dense accuracy: %.4f without fine-tuning, %.4f with", best[false], best[true])
	if best[true] <= best[false] {
		t.Errorf("fine-tuning reached sparsity %v at <= 1 point loss, GWP alone %v: want higher", best[true], best[false])
	}
}

// TestLeNetGradientsIndependentOfGOMAXPROCS checks that a batch gradient of LeNet, large enough
// for every kernel to split its work, is bit-identical on 1 and 4 goroutines.
func TestLeNetGradientsIndependentOfGOMAXPROCS(t *testing.T) {
	g, ds := loadLeNet(t)
	b, err := ds.Batch(0, 128)
	if err != nil {
		t.Fatal(err)
	}
	grads := func(procs int) map[string]*model.LayerGrad {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		tr := &model.Trainer{Graph: g.Clone(), Loss: model.Loss{Kind: model.LossCrossEntropy}, Optimizer: &model.SGD{LR: 0.1}}
		_, gr, err := tr.Gradients(b.X, b.Labels, nil)
		if err != nil {
			t.Fatal(err)
		}
		return gr
	}
	one, four := grads(1), grads(4)
	for name, lg := range one {
		for i, v := range lg.Weight.Data {
			if v != four[name].Weight.Data[i] {
				t.Fatalf("layer %s weight gradient %d: %v on 1 goroutine, %v on 4", name, i, v, four[name].Weight.Data[i])
			}
		}
		for i, v := range lg.Bias.Data {
			if v != four[name].Bias.Data[i] {
				t.Fatalf("layer %s bias gradient %d differs between 1 and 4 goroutines", name, i)
			}
		}
	}
}
