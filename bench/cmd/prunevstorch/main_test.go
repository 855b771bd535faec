package main

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tcdse/tcdse/bench/internal/host"
	"github.com/tcdse/tcdse/model"
)

// loadLeNet loads the bundled LeNet, or skips.
func loadLeNet(t *testing.T) *model.Graph {
	t.Helper()
	path := filepath.Join("..", "..", "..", "testdata", "examples", "lenet", "fyh620_lenet.onnx")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("bundled LeNet not available: %v", err)
	}
	g, err := model.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Plain global magnitude pruning reaches the target exactly and removes only weights no larger
// than every weight it keeps, across layers.
func TestGlobalMagnitudeIsGlobal(t *testing.T) {
	g := loadLeNet(t)
	total := weightCount(g)
	for _, s := range []float64{0.5, 0.8, 0.9} {
		p, err := pruneGlobalMagnitude(g, s)
		if err != nil {
			t.Fatal(err)
		}
		zeros, maxPruned, minKept := 0, 0.0, math.Inf(1)
		rates := map[string]int{}
		for _, l := range p.PrunableLayers() {
			orig := g.Node(l.Name).Weight.Data
			for i, v := range l.Weight.Data {
				if v == 0 {
					zeros++
					rates[l.Name]++
					maxPruned = math.Max(maxPruned, math.Abs(float64(orig[i])))
				} else {
					minKept = math.Min(minKept, math.Abs(float64(v)))
				}
			}
		}
		if want := int(math.Round(s * float64(total))); zeros != want {
			t.Errorf("sparsity %v: %d zero weights, want %d of %d", s, zeros, want, total)
		}
		if maxPruned > minKept {
			t.Errorf("sparsity %v: pruned a weight of magnitude %v but kept one of %v", s, maxPruned, minKept)
		}
		if len(rates) != len(g.PrunableLayers()) {
			t.Errorf("sparsity %v: pruned %d of %d layers, want all (the magnitudes overlap)", s, len(rates), len(g.PrunableLayers()))
		}
	}
	if _, err := globalMagnitudeRates(g, 1); err == nil {
		t.Error("rate 1 accepted")
	}
}

// torch.nn.utils.prune.global_unstructured and the Go pruning zero the same number of weights
// in every layer (the script run with 0 epochs prunes and scores only).
func TestTorchPrunesTheSameWeights(t *testing.T) {
	if testing.Short() {
		t.Skip("runs PyTorch")
	}
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import torch, onnx").Run(); err != nil {
		t.Skip("no torch/onnx in", python, err)
	}
	mnist := filepath.Join("..", "..", "..", "..", "shared", "datasets", "mnist")
	if _, err := os.Stat(filepath.Join(mnist, "t10k-images-idx3-ubyte.gz")); err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	g := loadLeNet(t)
	c := config{python: python, script: filepath.Join("..", "..", "prune", "prune_torch.py"),
		repo: filepath.Join("..", "..", ".."), mnist: mnist, seeds: []uint64{1}, epochs: 0, batch: 64, lr: 1e-3}
	for _, s := range []float64{0.5, 0.9} {
		runs, err := runTorch(c, s)
		if err != nil {
			t.Fatal(err)
		}
		p, err := pruneGlobalMagnitude(g, s)
		if err != nil {
			t.Fatal(err)
		}
		var zeros []int
		for _, l := range p.PrunableLayers() {
			zeros = append(zeros, l.Weight.CountZeros())
		}
		if !slices.Equal(zeros, runs[0].PrunedLayerZeros) {
			t.Errorf("sparsity %v: zero weights per layer: Go %v, torch %v", s, zeros, runs[0].PrunedLayerZeros)
		}
		if runs[0].Achieved != s || runs[0].Top1 != runs[0].PrunedTop1 {
			t.Errorf("sparsity %v, 0 epochs: torch achieved %v, top-1 %v vs pruned %v", s, runs[0].Achieved, runs[0].Top1, runs[0].PrunedTop1)
		}
	}
}

func TestParseFlags(t *testing.T) {
	if _, err := parseFloats("0.5,1"); err == nil {
		t.Error("sparsity 1 accepted")
	}
	if v, err := parseFloats("0.5, 0.9"); err != nil || !slices.Equal(v, []float64{0.5, 0.9}) {
		t.Errorf("parseFloats = %v, %v", v, err)
	}
	if _, err := host.ParseSeeds("1,-2"); err == nil {
		t.Error("negative seed accepted")
	}
}
