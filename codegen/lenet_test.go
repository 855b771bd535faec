package codegen

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// sharedData is /work/shared/datasets as seen from this package's directory.
const sharedData = "../../shared/datasets"

// loadLeNet returns the real LeNet ONNX model and a few MNIST test images, or skips.
func loadLeNet(t *testing.T, images int) (*model.Graph, *model.Tensor) {
	t.Helper()
	path := filepath.Join(sharedData, "mnist_lenet_onnx", "fyh620_lenet.onnx")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("LeNet model not available: %v", err)
	}
	g, err := model.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mnist := filepath.Join(sharedData, "mnist")
	ds, err := dataset.LoadMNIST(filepath.Join(mnist, "t10k-images-idx3-ubyte.gz"), filepath.Join(mnist, "t10k-labels-idx1-ubyte.gz"), images, dataset.MNISTNormalize)
	if err != nil {
		t.Skipf("MNIST test images not available: %v", err)
	}
	// The model's input is per sample [1,28,28]; the dataset's X is [N,1,28,28].
	return g, ds.X
}

// TestReferenceAgreesWithInterpreter cross-checks this package's plain reference against
// model.Run on the hand-built graphs, so that neither can drift unnoticed.
func TestReferenceAgreesWithInterpreter(t *testing.T) {
	for name, g := range testGraphs() {
		tv, err := refVectors(g.Clone(), 2, 5)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		per := len(tv.Inputs.Data) / 2
		perOut := len(tv.Outputs.Data) / 2
		gv := g.Clone()
		if err := gv.Validate(); err != nil {
			t.Fatal(err)
		}
		for v := 0; v < 2; v++ {
			want, err := refRun(gv, tv.Inputs.Data[v*per:(v+1)*per])
			if err != nil {
				t.Fatal(err)
			}
			for i, y := range tv.Outputs.Data[v*perOut : (v+1)*perOut] {
				if d := math.Abs(float64(y) - float64(want[i])); d > 1e-5*math.Max(1, math.Abs(float64(want[i]))) {
					t.Errorf("%s vector %d element %d: model.Run %g, reference %g", name, v, i, y, want[i])
					break
				}
			}
		}
	}
}

func TestLeNet(t *testing.T) {
	requireGCC(t)
	g, images := loadLeNet(t, 8)
	tv, err := interpreterVectors(g, images)
	if err != nil {
		t.Fatal(err)
	}
	p := mustPlan(t, g, Options{})
	checkArena(t, p, len(g.Nodes))
	if p.WeightBytes != g.NumParams()*4 || p.Params != g.NumParams() {
		t.Errorf("unpruned LeNet: weight bytes %d, want %d (all dense)", p.WeightBytes, g.NumParams()*4)
	}
	for _, format := range []string{FormatAuto, FormatCSR} {
		out := generate(t, g, Options{Format: format, Vectors: tv, BenchIterations: 20})
		r := buildAndRun(t, out, "")
		assertPass(t, "lenet/"+format, r, 8, 1e-5)
		t.Logf("LeNet %s: arena %d B, weights %d B, code estimate %d B, MACs %d; harness %s",
			format, out.Plan.ArenaBytes, out.Plan.WeightBytes, out.Plan.CodeBytesEstimate, out.Plan.MACs, r.line)
	}
	out := generate(t, g, Options{Vectors: tv, BenchIterations: 2})
	assertPass(t, "lenet (asan+ubsan)", buildAndRun(t, out, "-std=c99 -O1 -g -Wall -Wextra -Wshadow -Werror -fsanitize=address,undefined -fno-sanitize-recover=all"), 8, 1e-5)
}

func TestPrunedLeNetPicksCSR(t *testing.T) {
	requireGCC(t)
	g, images := loadLeNet(t, 8)
	dense := mustPlan(t, g, Options{})
	pg := prune(g, 0.9)
	tv, err := interpreterVectors(pg, images)
	if err != nil {
		t.Fatal(err)
	}
	p := mustPlan(t, pg, Options{})
	for _, l := range p.Layers {
		sparse := l.Format == FormatCSR || l.Format == FormatRCSR8 || l.Format == FormatRCSR4
		if l.Params >= 1000 && !sparse {
			t.Errorf("90%% pruned LeNet layer %s (%d params, %d nonzero): format %s, want a sparse one", l.Node, l.Params, l.NNZ, l.Format)
		}
		if sparse && (l.WeightBytes >= l.DenseWeightBytes || l.WeightBytes > l.CSRWeightBytes || l.WeightBytes > l.RCSR8WeightBytes || l.WeightBytes > l.RCSR4WeightBytes) {
			t.Errorf("layer %s: %s chosen with %d bytes; dense %d, csr %d, rcsr8 %d, rcsr4 %d", l.Node, l.Format, l.WeightBytes, l.DenseWeightBytes, l.CSRWeightBytes, l.RCSR8WeightBytes, l.RCSR4WeightBytes)
		}
	}
	// CSR convolutions are not fused with their pooling, so the arena is that of the dense
	// model without fusion.
	unfused := mustPlan(t, g, Options{NoConvPoolFusion: true})
	if p.WeightBytes*3 > dense.WeightBytes || p.EffectiveMACs*3 > p.MACs || p.ArenaBytes != unfused.ArenaBytes || dense.ArenaBytes >= unfused.ArenaBytes {
		t.Errorf("pruned LeNet: weights %d B (dense model %d B), effective MACs %d of %d, arena %d (dense %d fused, %d unfused)", p.WeightBytes, dense.WeightBytes, p.EffectiveMACs, p.MACs, p.ArenaBytes, dense.ArenaBytes, unfused.ArenaBytes)
	}
	t.Logf("LeNet weights: dense %d B, 90%%-pruned auto %d B; effective MACs %d of %d", dense.WeightBytes, p.WeightBytes, p.EffectiveMACs, p.MACs)

	auto := buildAndRun(t, generate(t, pg, Options{Vectors: tv, BenchIterations: 20}), "")
	forcedDense := buildAndRun(t, generate(t, pg, Options{Format: FormatDense, Vectors: tv, BenchIterations: 20}), "")
	assertPass(t, "pruned lenet auto", auto, 8, 1e-5)
	assertPass(t, "pruned lenet dense", forcedDense, 8, 1e-5)
	if auto.MaxAbsErr != forcedDense.MaxAbsErr {
		t.Errorf("pruned LeNet: CSR max_abs_err %g, dense %g; want identical outputs", auto.MaxAbsErr, forcedDense.MaxAbsErr)
	}
	t.Logf("pruned LeNet harness: csr %s dense %s", auto.line, forcedDense.line)
}
