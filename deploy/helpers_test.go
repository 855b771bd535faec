package deploy

import (
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// mlp is a small float MLP (24 -> 32 -> 10, softmax), small enough for any placement.
func mlp(seed int64) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	dense := func(name, in, out string, n, k int) *model.Node {
		w := model.NewTensor(n, k)
		for i := range w.Data {
			w.Data[i] = float32(rng.NormFloat64() * math.Sqrt(2/float64(k)))
		}
		b := model.NewTensor(n)
		for i := range b.Data {
			b.Data[i] = float32(rng.NormFloat64() * 0.1)
		}
		return &model.Node{Name: name, Op: model.OpDense, Inputs: []string{in}, Outputs: []string{out}, Weight: w, Bias: b}
	}
	return &model.Graph{
		Name: "mlp", Inputs: []model.Value{{Name: "x", Shape: []int{24}}}, Outputs: []model.Value{{Name: "p"}},
		Nodes: []*model.Node{
			dense("fc1", "x", "h", 32, 24),
			{Name: "relu", Op: model.OpRelu, Inputs: []string{"h"}, Outputs: []string{"hr"}},
			dense("fc2", "hr", "logits", 10, 32),
			{Name: "sm", Op: model.OpSoftmax, Inputs: []string{"logits"}, Outputs: []string{"p"}},
		},
	}
}

// mlpInt8 is mlp quantized to int8 (min/max calibration on 64 random inputs).
func mlpInt8(t *testing.T, seed int64) *model.Graph {
	t.Helper()
	g := mlp(seed)
	rng := rand.New(rand.NewSource(seed))
	x := model.NewTensor(64, 24)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	q, err := explore.Quantize(g, &dataset.Dataset{Name: "calib", X: x}, explore.QuantizeOptions{Calibration: explore.CalibrationMinMax, Samples: 64})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// loadModel loads a bundled example model, skipping when it is absent.
func loadModel(t *testing.T, rel string) *model.Graph {
	t.Helper()
	path := filepath.Join("..", "testdata", "examples", rel)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not present: %v", path, err)
	}
	g, err := model.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// request is a bundle request for g on target with 3 test vectors.
func request(t *testing.T, g *model.Graph, target string, tc Toolchain) Request {
	t.Helper()
	tg, err := tc3xx.Lookup(target)
	if err != nil {
		t.Fatal(err)
	}
	tv, err := codegen.RandomVectors(g, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	return Request{Graph: g, Vectors: tv, Target: tg, Toolchain: tc, Version: "test",
		Point: PointInfo{Label: "p1", CandidateID: strings.Repeat("ab", 32)}}
}

// build builds req and writes it to a fresh directory.
func build(t *testing.T, req Request) (*Bundle, string) {
	t.Helper()
	b, err := Build(req)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := b.WriteDir(dir, false); err != nil {
		t.Fatal(err)
	}
	return b, dir
}

func requireTool(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("%s not found", n)
		}
	}
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func execIn(dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	return cmd
}
