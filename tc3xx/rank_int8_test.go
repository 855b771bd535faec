package tc3xx

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
)

// TestInt8RankingAgreesWithInstructionCounts is TestRankingAgreesWithInstructionCounts for
// int8: LeNet-5 pruned at uniform rates and GWP-like mixes, quantized (calibrated on a few
// MNIST images), and generated in every int8 weight format (dense, csr, rcsr4, sparse8 and
// the auto and smallest rules), each built with gcc -O2 and counted with callgrind. The
// estimated cycle order must agree with the host's instruction order: this is what ranks
// CSR scatter-free gathers, 4-bit relative indices and sparse8 runs against each other before
// a board calibrates the int8 parameters.
func TestInt8RankingAgreesWithInstructionCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a few dozen harnesses under valgrind")
	}
	for _, tool := range []string{"gcc", "make", "valgrind"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: %v", tool, err)
		}
	}
	path := filepath.Join("../../shared/datasets", "mnist_lenet_onnx", "fyh620_lenet.onnx")
	if _, err := os.Stat(path); err != nil {
		path = filepath.Join("../testdata/examples/lenet", "fyh620_lenet.onnx")
	}
	base, err := model.LoadFile(path)
	if err != nil {
		t.Skipf("LeNet not available: %v", err)
	}
	mnist := "../testdata/examples/mnist"
	calib, err := dataset.LoadMNIST(filepath.Join(mnist, "t10k-1000-images-idx3-ubyte.gz"), filepath.Join(mnist, "t10k-1000-labels-idx1-ubyte.gz"), 16, dataset.MNISTNormalize)
	if err != nil {
		t.Skipf("MNIST calibration images not available: %v", err)
	}
	cands := int8Candidates(base)
	tg, _ := Lookup("tc387:cpu0")
	var est, ins []float64
	for _, c := range cands {
		g, err := explore.Prune(base, c.rates)
		if err != nil {
			t.Fatal(err)
		}
		q, err := explore.Quantize(g, calib, explore.QuantizeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out, err := codegen.Generate(q, codegen.Options{Format: c.format, BenchIterations: 1})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		cost, err := Estimate(q, out.Plan, tg)
		if err != nil {
			t.Fatal(err)
		}
		n := instructionsOfRun(t, out)
		est = append(est, float64(cost.Cycles))
		ins = append(ins, float64(n))
		t.Logf("%-26s sparsity %.3f, formats %-32s estimate %8d cycles, host %9d instructions", c.name, explore.Sparsity(g), formats(out.Plan), cost.Cycles, n)
	}
	rho := dataset.Spearman(est, ins)
	t.Logf("Spearman rank correlation of estimated cycles and host instruction counts over %d int8 LeNet candidates: %.3f", len(cands), rho)
	if rho < 0.9 {
		t.Errorf("int8 rank correlation %.3f < 0.9", rho)
	}
}

// int8Candidate is one int8 design point: pruning rates and a codegen weight format.
type int8Candidate struct {
	name   string
	rates  explore.Rates
	format string
}

// int8Candidates returns the int8 design points of the ranking test: dense references, uniform
// rates in every sparse format and the format rules, and GWP-like mixes (fully connected layers
// pruned harder than the convolutions) in the formats a sweep picks.
func int8Candidates(base *model.Graph) []int8Candidate {
	var layers []string
	for _, n := range base.PrunableLayers() {
		layers = append(layers, n.Name)
	}
	uniform := func(r float64) explore.Rates {
		rates := explore.Rates{}
		for _, l := range layers {
			rates[l] = r
		}
		return rates
	}
	cands := []int8Candidate{
		{"dense 0", uniform(0), codegen.FormatDense},
		{"dense 0.9", uniform(0.9), codegen.FormatDense},
	}
	for _, r := range []float64{0.5, 0.7, 0.825, 0.9, 0.95} {
		for _, f := range []string{codegen.FormatCSR, codegen.FormatRCSR4, codegen.FormatSparse8, codegen.FormatAuto, codegen.FormatSmallest} {
			cands = append(cands, int8Candidate{fmt.Sprintf("%s %.3g", f, r), uniform(r), f})
		}
	}
	for i, gm := range []float64{0.5, 0.75, 1} {
		rates := explore.Rates{}
		for j, l := range layers {
			pmax := 0.5 + 0.45*float64(j)/float64(len(layers)-1)
			rates[l] = min(0.97, gm*pmax*(1+0.05*float64(i)))
		}
		for _, f := range []string{codegen.FormatRCSR4, codegen.FormatSparse8, codegen.FormatAuto} {
			cands = append(cands, int8Candidate{fmt.Sprintf("%s gwp%.2g", f, gm), rates, f})
		}
	}
	return cands
}
