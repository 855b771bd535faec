package codegen

import (
	"fmt"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// modelFixtures is model/testdata/fixtures seen from the package directory: the PyTorch
// networks of model/testdata/make_fixtures.py and make_rnn_fixtures.py.
const modelFixtures = "../model/testdata/fixtures"

// loadFixture loads a fixture network and its input samples.
func loadFixture(t *testing.T, name string) (*model.Graph, *model.Tensor) {
	t.Helper()
	g, err := model.LoadFile(filepath.Join(modelFixtures, name+".onnx"))
	if err != nil {
		t.Fatalf("loading fixture %s: %v", name, err)
	}
	x, err := dataset.LoadNPY(filepath.Join(modelFixtures, name+"_x.npy"))
	if err != nil {
		t.Fatalf("loading fixture %s inputs: %v", name, err)
	}
	return g, x
}

// fixtureVectors loads a fixture and runs its inputs through the interpreter; it also checks
// that the interpreter still reproduces PyTorch's outputs, so the C code is compared with a
// reference that is itself anchored to PyTorch.
func fixtureVectors(t *testing.T, name string) (*model.Graph, *TestVectors) {
	t.Helper()
	g, x := loadFixture(t, name)
	tv, err := interpreterVectors(g, x)
	if err != nil {
		t.Fatalf("%s: interpreter: %v", name, err)
	}
	want, err := dataset.LoadNPY(filepath.Join(modelFixtures, name+"_y.npy"))
	if err != nil {
		t.Fatalf("loading fixture %s outputs: %v", name, err)
	}
	if len(want.Data) != len(tv.Outputs.Data) {
		t.Fatalf("%s: interpreter gives %d outputs, PyTorch %d", name, len(tv.Outputs.Data), len(want.Data))
	}
	for i, v := range want.Data {
		if d := float64(v - tv.Outputs.Data[i]); d > 1e-4 || d < -1e-4 {
			t.Fatalf("%s: interpreter output %d is %g, PyTorch %g", name, i, tv.Outputs.Data[i], v)
		}
	}
	return g, tv
}

// TestRecurrentFixtures generates C for the PyTorch GRU and RNN fixtures (GRU with
// linear_before_reset as PyTorch exports it, a GRU without it, an RNN with a non-zero initial
// state) and compares it with the interpreter on the fixtures' inputs, plain and under
// ASan/UBSan with a poisoned arena.
func TestRecurrentFixtures(t *testing.T) {
	requireGCC(t)
	for _, c := range []struct {
		name, kernel string
		op           model.Op
	}{
		{"gru_head", "gru", model.OpGRU},
		{"gru_bf_last", "gru", model.OpGRU},
		{"gru_lbr0", "gru", model.OpGRU},
		{"rnn_hn", "rnn", model.OpRNN},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, tv := fixtureVectors(t, c.name)
			var rec *model.Node
			for _, n := range g.Nodes {
				if n.Op == c.op {
					rec = n
				}
			}
			if rec == nil {
				t.Fatalf("fixture has no %s node", c.op)
			}
			out := generate(t, g, Options{Vectors: tv, BenchIterations: 2})
			l := layerByNode(t, out.Plan, rec.Name)
			steps, in := g.Shapes[rec.Inputs[0]][0], g.Shapes[rec.Inputs[0]][1]
			gates, hid := model.RecurrentGates(c.op), rec.Attrs.Hidden
			if l.Kind != KindRecurrent || l.Kernel != c.kernel || l.MACs != steps*gates*hid*(in+hid) || l.Ops != steps*gates*hid {
				t.Errorf("%s layer: kind %q kernel %q MACs %d ops %d", c.op, l.Kind, l.Kernel, l.MACs, l.Ops)
			}
			if !strings.Contains(strings.Join(out.Plan.Kernels, " "), "dense") {
				t.Errorf("kernels %v lack dense, which k_%s calls", out.Plan.Kernels, c.kernel)
			}
			checkArena(t, out.Plan, len(g.Nodes))
			n := tv.Inputs.Shape[0]
			assertPassLogged(t, c.name, buildAndRun(t, out, ""), n, 1e-5)
			assertPass(t, c.name+" (asan+ubsan)", buildAndRun(t, out, sanitizeFlags), n, 1e-5)
		})
	}
}

// recurrentNet: a GRU or RNN over [7, 5] with hidden size hid, then a dense head over the last
// state or the flattened sequence.
func recurrentNet(seed int64, op model.Op, hid int, sequence, lbr, states, bias bool) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	const steps, in = 7, 5
	gates := model.RecurrentGates(op)
	l := &model.Node{Name: "rec", Op: op, Inputs: []string{"x"}, Outputs: []string{"h"},
		Attrs:     model.Attrs{Hidden: hid, Sequence: sequence, LinearBeforeReset: lbr},
		Weight:    randTensor(rng, 0.5, gates*hid, in),
		Recurrent: randTensor(rng, 0.5, gates*hid, hid)}
	if bias {
		l.Bias = randTensor(rng, 0.3, 2*gates*hid)
	}
	if states {
		l.InitialH = randTensor(rng, 0.5, hid)
	}
	return graph("recnet_"+strings.ToLower(string(op)), "x", []int{steps, in}, "y", withDenseHead(rng, l, steps, hid, sequence)...)
}

// TestRecurrentKernels covers what the fixtures do not: sequence outputs, hidden sizes whose
// gate blocks do not align with the register blocks (3·11 = 33 rows), missing biases, and the
// output written straight to the caller's buffer.
func TestRecurrentKernels(t *testing.T) {
	requireGCC(t)
	for i, c := range []struct {
		op                            model.Op
		hid                           int
		sequence, lbr, states, bias   bool
		scratchFloats, wantParamBytes int
	}{
		{model.OpGRU, 11, true, false, true, true, 8 * 11, 4 * (33*5 + 33*11 + 66 + 11)},
		{model.OpGRU, 11, false, true, false, false, 8 * 11, 4 * (33*5 + 33*11)},
		{model.OpGRU, 4, true, true, true, true, 8 * 4, 4 * (12*5 + 12*4 + 24 + 4)},
		{model.OpGRU, 9, false, false, false, true, 8 * 9, 4 * (27*5 + 27*9 + 54)},
		{model.OpRNN, 11, true, false, true, true, 3 * 11, 4 * (11*5 + 11*11 + 11 + 11)},
		{model.OpRNN, 6, false, false, false, false, 3 * 6, 4 * (6*5 + 6*6)},
	} {
		g := recurrentNet(int64(31+i), c.op, c.hid, c.sequence, c.lbr, c.states, c.bias)
		what := fmt.Sprintf("%s/%d", g.Name, i)
		tv := vectorsFor(t, g, 3)
		out := generate(t, g, Options{Vectors: tv, BenchIterations: 2})
		l := layerByNode(t, out.Plan, "rec")
		if l.WeightBytes != c.wantParamBytes {
			t.Errorf("%s: weight bytes %d, want %d", what, l.WeightBytes, c.wantParamBytes)
		}
		scratch := false
		for _, b := range out.Plan.Buffers {
			if b.Values[0] == "rec#scratch" {
				scratch = b.Bytes == 4*c.scratchFloats && b.FirstNode == 0 && b.LastNode == 0
			}
		}
		if !scratch {
			t.Errorf("%s: no %d-float scratch buffer live only at the recurrent node: %+v", what, c.scratchFloats, out.Plan.Buffers)
		}
		assertPass(t, what, buildAndRun(t, out, ""), 3, 1e-5)
		assertPass(t, what+" (asan+ubsan)", buildAndRun(t, out, sanitizeFlags), 3, 1e-5)
	}
	// A GRU whose sequence output is the graph output: the kernel writes the caller's buffer.
	g := recurrentNet(41, model.OpGRU, 5, true, false, true, true)
	g.Nodes = g.Nodes[:1]
	g.Outputs = []model.Value{{Name: "h"}}
	tv := vectorsFor(t, g, 2)
	out := generate(t, g, Options{Vectors: tv, BenchIterations: 1})
	if l := layerByNode(t, out.Plan, "rec"); l.OutBuffer != BufferOutput {
		t.Errorf("GRU graph output placed in %q", l.OutBuffer)
	}
	assertPass(t, "gru to output (asan+ubsan)", buildAndRun(t, out, sanitizeFlags), 2, 1e-5)
}

// TestRecurrentPlanErrors: attributes the kernels do not implement are refused with the node's
// name.
func TestRecurrentPlanErrors(t *testing.T) {
	g := recurrentNet(5, model.OpRNN, 4, false, false, false, true)
	g.Nodes[0].InitialC = randTensor(rand.New(rand.NewSource(1)), 0.1, 4)
	if _, err := PlanGraph(g, Options{}); err == nil || !strings.Contains(err.Error(), `"rec"`) {
		t.Errorf("RNN with an initial cell state: %v; want an error naming the node", err)
	}
	g = recurrentNet(5, model.OpGRU, 4, false, false, false, true)
	g.Nodes[0].Bias = randTensor(rand.New(rand.NewSource(1)), 0.1, 4)
	if _, err := PlanGraph(g, Options{}); err == nil || !strings.Contains(err.Error(), `"rec"`) {
		t.Errorf("GRU with a short bias: %v; want an error naming the node", err)
	}
}

// assertPassLogged is assertPass that also logs the harness line (errors and timing on the
// build host).
func assertPassLogged(t *testing.T, what string, r harnessResult, vectors int, tol float64) {
	t.Helper()
	assertPass(t, what, r, vectors, tol)
	t.Logf("%s: %s", what, strings.TrimSpace(r.line))
}
