package codegen

import (
	"encoding/binary"
	"image"
	"image/png"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
)

// TestInt8RecurrentFixedPointAllInputs runs the C int16 logistic and tanh on every int16
// input with every integer bit count the interpreter accepts (and one beyond, which both
// clamp), built under ASan/UBSan, and requires model.Int16Sigmoid and model.Int16Tanh's
// results exactly.
func TestInt8RecurrentFixedPointAllInputs(t *testing.T) {
	requireGCC(t)
	const maxBits = 13 // sigmoid clamps above 12, tanh above 11
	src := "#include <stddef.h>\n#include <stdint.h>\n#include <stdio.h>\n#include <string.h>\n\n" + cQ8Helpers + "\n" +
		cRNN8Common + "\n" + cRNN8Sigmoid + `
int main(void)
{
    for (int32_t bits = 0; bits <= ` + strconv.Itoa(maxBits) + `; ++bits) {
        for (int32_t x = -32768; x <= 32767; ++x) {
            const int16_t v[2] = {(int16_t)q8r_sigmoid16(x, bits), (int16_t)q8r_tanh16(x, bits)};
            if (fwrite(v, sizeof v, 1, stdout) != 1) {
                return 1;
            }
        }
    }
    return 0;
}
`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "fixed16.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "fixed16")
	args := append(strings.Fields(sanitizeFlags), "-o", bin, filepath.Join(dir, "fixed16.c"))
	if msg, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		t.Fatalf("building the fixed-point test: %v\n%s", err, msg)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("running the fixed-point test: %v", err)
	}
	if want := (maxBits + 1) * 65536 * 4; len(out) != want {
		t.Fatalf("fixed-point test wrote %d bytes, want %d", len(out), want)
	}
	bad := 0
	for bits := 0; bits <= maxBits; bits++ {
		for x := math.MinInt16; x <= math.MaxInt16; x++ {
			k := (bits*65536 + x + 32768) * 4
			sig := int16(binary.LittleEndian.Uint16(out[k:]))
			tanh := int16(binary.LittleEndian.Uint16(out[k+2:]))
			ws, wt := model.Int16Sigmoid(int16(x), bits), model.Int16Tanh(int16(x), bits)
			if (sig != ws || tanh != wt) && bad < 10 {
				t.Errorf("bits %d, x %d: C sigmoid %d tanh %d, interpreter %d and %d", bits, x, sig, tanh, ws, wt)
			}
			if sig != ws || tanh != wt {
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d inputs differ", bad, (maxBits+1)*65536)
	}
}

// rnn8Fixtures are the PyTorch recurrent fixtures of model/testdata: LSTM (last state and a
// stacked sequence), GRU with linear_before_reset (PyTorch's export) and without, and an RNN
// with an initial state.
var rnn8Fixtures = []struct {
	name, node, kernel string
	scratch            func(h int) int
}{
	{"lstm_head", "/rnn/LSTM", "q8_lstm", func(h int) int { return 4 * h }},
	{"lstm2_seq", "/rnn/LSTM_1", "q8_lstm", func(h int) int { return 4 * h }},
	{"gru_head", "/rnn/GRU", "q8_gru", func(h int) int { return 2 * h }},
	{"gru_bf_last", "/rnn/GRU", "q8_gru", func(h int) int { return 2 * h }},
	{"gru_lbr0", "GRU_1", "q8_gru", func(h int) int { return 5 * h }},
	{"rnn_hn", "/rnn/RNN", "q8_rnn", func(h int) int { return 2 * h }},
}

// rnn8Inputs returns the fixture's inputs followed by n Gaussian inputs of twice their spread
// (so that the Quantize node, the gates and the hidden state saturate now and then).
func rnn8Inputs(x *model.Tensor, n int, seed int64) *model.Tensor {
	per := len(x.Data) / x.Shape[0]
	var mean, sq float64
	for _, v := range x.Data {
		mean += float64(v)
	}
	mean /= float64(len(x.Data))
	for _, v := range x.Data {
		sq += (float64(v) - mean) * (float64(v) - mean)
	}
	std := math.Sqrt(sq / float64(len(x.Data)))
	out := model.NewTensor(append([]int{x.Shape[0] + n}, x.Shape[1:]...)...)
	copy(out.Data, x.Data)
	rng := rand.New(rand.NewSource(seed))
	for i := x.Shape[0] * per; i < len(out.Data); i++ {
		out.Data[i] = float32(mean + 2*std*rng.NormFloat64())
	}
	return out
}

// rnn8Quantize quantizes a fixture with explore.Quantize, calibrated on its own inputs, and
// returns it with the interpreter's outputs on x.
func rnn8Quantize(t *testing.T, g *model.Graph, calib, x *model.Tensor) (*model.Graph, *TestVectors) {
	t.Helper()
	q, err := explore.Quantize(g, &dataset.Dataset{Name: g.Name, X: calib}, explore.QuantizeOptions{Samples: calib.Shape[0]})
	if err != nil {
		t.Fatalf("quantizing %s: %v", g.Name, err)
	}
	tv, err := interpreterVectors(q, x)
	if err != nil {
		t.Fatalf("%s (int8): interpreter: %v", g.Name, err)
	}
	return q, tv
}

// assertVaried fails when every sample gives the same output: a test on such vectors would
// prove little.
func assertVaried(t *testing.T, what string, tv *TestVectors) {
	t.Helper()
	per := len(tv.Outputs.Data) / tv.Outputs.Shape[0]
	distinct := map[string]bool{}
	for s := 0; s < tv.Outputs.Shape[0]; s++ {
		distinct[strconv.Quote(string(float32Bytes(tv.Outputs.Data[s*per:(s+1)*per])))] = true
	}
	if len(distinct) < 2 {
		t.Fatalf("%s: all %d samples give the same output", what, tv.Outputs.Shape[0])
	}
}

func float32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// TestInt8RecurrentFixtures quantizes the PyTorch LSTM, GRU (with and without
// linear_before_reset) and RNN fixtures with explore.Quantize and requires the generated C to
// match the interpreter's int8 kernels exactly on the fixture inputs and 40 wider Gaussian
// ones, built plain (-O2) and under ASan/UBSan, with the arena poisoned before every run.
func TestInt8RecurrentFixtures(t *testing.T) {
	requireGCC(t)
	for i, f := range rnn8Fixtures {
		t.Run(f.name, func(t *testing.T) {
			g, x := loadFixture(t, f.name)
			in := rnn8Inputs(x, 40, int64(i+1))
			q, tv := rnn8Quantize(t, g, x, in)
			assertVaried(t, f.name, tv)
			out := generate(t, q, Options{Vectors: tv, BenchIterations: 2})
			p := out.Plan
			if !p.HasInt8() {
				t.Fatal("plan has no int8 layer")
			}
			n := q.Node(f.node)
			l := layerByNode(t, p, f.node)
			steps, feats := q.Shapes[n.Inputs[0]][0], q.Shapes[n.Inputs[0]][1]
			gh := model.RecurrentGates(n.Op) * n.Attrs.Hidden
			states := 0
			if n.InitialH != nil {
				states = n.Attrs.Hidden // int8
			}
			if l.Kind != KindRecurrent || l.Kernel != f.kernel || l.MACs != steps*gh*(feats+n.Attrs.Hidden) ||
				l.WeightBytes != gh*(feats+n.Attrs.Hidden)+24*gh+states {
				t.Errorf("%s: kind %q kernel %q MACs %d weight bytes %d", f.node, l.Kind, l.Kernel, l.MACs, l.WeightBytes)
			}
			found := false
			for _, b := range p.Buffers {
				if b.Values[0] == f.node+"#scratch" {
					found = true
					idx := slices.IndexFunc(p.Layers, func(l LayerPlan) bool { return l.Node == f.node })
					if b.Bytes != alignUp(f.scratch(n.Attrs.Hidden), arenaAlign) || b.FirstNode != idx || b.LastNode != idx {
						t.Errorf("scratch %+v, want %d bytes live only at node %d", b, f.scratch(n.Attrs.Hidden), idx)
					}
				}
			}
			if !found {
				t.Errorf("no arena scratch for %s: %+v", f.node, p.Buffers)
			}
			checkArena(t, p, len(p.Layers))
			src := string(mustFile(t, out, "model.c"))
			if !strings.Contains(src, "k_"+f.kernel+"(") || strings.Contains(src, "k_lstm(") || strings.Contains(src, "k_gru(") {
				t.Errorf("model.c does not call k_%s only", f.kernel)
			}
			assertExact(t, f.name, buildAndRun(t, out, ""), in.Shape[0])
			assertExact(t, f.name+" (asan+ubsan)", buildAndRun(t, out, sanitizeFlags), in.Shape[0])
		})
	}
}

// TestInt8RecurrentVariants covers what the fixtures do not: initial hidden and cell states,
// gate and cell clipping, non-default gate and cell integer bits (every sigmoid and tanh
// format), per-tensor weight scales, and sequence outputs of GRU and RNN.
func TestInt8RecurrentVariants(t *testing.T) {
	requireGCC(t)
	for _, c := range []struct {
		fixture string
		edit    func(n *model.Node, rng *rand.Rand)
	}{
		{"lstm_head", func(n *model.Node, rng *rand.Rand) {
			n.InitialH, n.InitialC = randTensor(rng, 0.4, n.Attrs.Hidden), randTensor(rng, 1.5, n.Attrs.Hidden)
			n.Attrs.GateClip, n.Attrs.CellClip = 2.5, 0.7
			n.RecurrentQuant.GateIntBits = []int{0, 5, 8, 1}
			n.RecurrentQuant.CellIntBits = 1
		}},
		{"lstm2_seq", func(n *model.Node, rng *rand.Rand) {
			n.RecurrentQuant.GateIntBits = []int{4, 2, 6, 7}
			n.RecurrentQuant.CellIntBits = 6
			n.InitialC = randTensor(rng, 3, n.Attrs.Hidden)
		}},
		{"gru_head", func(n *model.Node, rng *rand.Rand) {
			n.InitialH = randTensor(rng, 0.3, n.Attrs.Hidden)
			n.RecurrentQuant.GateIntBits = []int{0, 8, 2}
		}},
		{"gru_lbr0", func(n *model.Node, rng *rand.Rand) {
			n.InitialH = randTensor(rng, 0.3, n.Attrs.Hidden)
			n.RecurrentQuant.GateIntBits = []int{6, 1, 5}
		}},
		{"rnn_hn", func(n *model.Node, rng *rand.Rand) {
			n.RecurrentQuant.GateIntBits = []int{0}
		}},
		{"rnn_hn", func(n *model.Node, rng *rand.Rand) {
			n.RecurrentQuant.GateIntBits = []int{7}
			n.InitialH = nil
		}},
	} {
		g, x := loadFixture(t, c.fixture)
		in := rnn8Inputs(x, 24, 7)
		q, err := explore.Quantize(g, &dataset.Dataset{Name: g.Name, X: x}, explore.QuantizeOptions{Samples: x.Shape[0], PerTensor: c.fixture == "gru_head"})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewSource(3))
		edited := 0
		for _, n := range q.Nodes {
			if model.RecurrentGates(n.Op) > 0 {
				c.edit(n, rng)
				edited++
			}
		}
		if edited == 0 {
			t.Fatalf("%s: no recurrent node", c.fixture)
		}
		tv, err := interpreterVectors(q, in)
		if err != nil {
			t.Fatalf("%s (edited): interpreter: %v", c.fixture, err)
		}
		assertVaried(t, c.fixture, tv)
		out := generate(t, q, Options{Vectors: tv, BenchIterations: 1})
		assertExact(t, c.fixture+" variant (asan+ubsan)", buildAndRun(t, out, sanitizeFlags), in.Shape[0])
	}
}

// TestInt8RecurrentSequenceOutputs makes the GRU and RNN fixtures' recurrent layer output its
// whole sequence (the fixtures output only the last state) and dequantizes that as the graph
// output, dropping the head.
func TestInt8RecurrentSequenceOutputs(t *testing.T) {
	requireGCC(t)
	for _, name := range []string{"gru_head", "gru_lbr0", "rnn_hn"} {
		g, x := loadFixture(t, name)
		in := rnn8Inputs(x, 8, 11)
		q, _ := rnn8Quantize(t, g, x, x)
		idx := slices.IndexFunc(q.Nodes, func(n *model.Node) bool { return model.RecurrentGates(n.Op) > 0 })
		if idx < 0 {
			t.Fatalf("%s: no recurrent node", name)
		}
		n := q.Nodes[idx]
		n.Attrs.Sequence = true
		shape := []int{q.Shapes[n.Inputs[0]][0], n.Attrs.Hidden}
		q.Shapes[n.Outputs[0]] = shape
		deq := &model.Node{Name: "deq_seq", Op: model.OpDequantize, Inputs: []string{n.Outputs[0]}, Outputs: []string{"y_seq"}}
		q.Nodes = append(q.Nodes[:idx+1:idx+1], deq)
		q.Shapes["y_seq"] = shape
		q.Outputs = []model.Value{{Name: "y_seq", Shape: shape}}
		tv, err := interpreterVectors(q, in)
		if err != nil {
			t.Fatalf("%s sequence: interpreter: %v", name, err)
		}
		assertVaried(t, name+" sequence", tv)
		out := generate(t, q, Options{Vectors: tv, BenchIterations: 1})
		if got := out.Plan.Output.Elements; got != shape[0]*shape[1] {
			t.Fatalf("%s: output has %d elements per sample, want %d", name, got, shape[0]*shape[1])
		}
		assertExact(t, name+" sequence (asan+ubsan)", buildAndRun(t, out, sanitizeFlags), in.Shape[0])
	}
}

// mnistLSTMPath finds TFLite Micro's int8 MNIST LSTM example (bundled in testdata/examples or
// in the shared data sets) or skips.
func mnistLSTMPath(t *testing.T, rel string) string {
	t.Helper()
	for _, p := range []string{filepath.Join("../testdata/examples/mnist_lstm", rel), filepath.Join(sharedDatasets, "tflm_examples/mnist_lstm", rel)} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("TFLM MNIST LSTM file %s not found", rel)
	return ""
}

// TestInt8TFLMMNISTLSTM generates C for TFLite Micro's full-integer MNIST LSTM (int8 LSTM with
// an int16 cell state of scale 2^-12, then int8 FullyConnected and Softmax) and requires it to
// be bit-exact with the interpreter on the ten sample digits, each of which the interpreter
// recognises.
func TestInt8TFLMMNISTLSTM(t *testing.T) {
	requireGCC(t)
	g, err := model.LoadFile(mnistLSTMPath(t, "trained_lstm_int8.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	inQ := g.ValueQuantOf(g.Inputs[0].Name)
	if inQ == nil || g.Nodes[0].Op != model.OpLSTM || g.Nodes[0].RecurrentQuant == nil {
		t.Fatalf("want an int8 graph input and an int8 LSTM first, got %s (%s)", g.Nodes[0].Name, g.Nodes[0].Op)
	}
	x := model.NewTensor(10, 28, 28)
	for d := 0; d < 10; d++ {
		f, err := os.Open(mnistLSTMPath(t, "samples/sample"+strconv.Itoa(d)+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		gray, ok := img.(*image.Gray)
		if !ok || gray.Bounds().Dx() != 28 || gray.Bounds().Dy() != 28 {
			t.Fatalf("sample%d.png is not a 28×28 grey image", d)
		}
		for i, b := range gray.Pix {
			// the example's preprocessing (pixel/255), quantized as TFLite does
			v := math.Round(float64(float32(b)/255/inQ.Scale[0])) + float64(inQ.ZeroPoint[0])
			x.Data[d*784+i] = float32(min(max(v, -128), 127))
		}
	}
	tv, err := interpreterVectors(g, x)
	if err != nil {
		t.Fatal(err)
	}
	for d := 0; d < 10; d++ {
		row := tv.Outputs.Data[d*10 : (d+1)*10]
		if got := slices.Index(row, slices.Max(row)); got != d {
			t.Errorf("sample%d.png: the interpreter predicts %d", d, got)
		}
	}
	out := generate(t, g, Options{Vectors: tv, BenchIterations: 2})
	if l := out.Plan.Layers[1]; l.Kernel != "q8_lstm" || l.Op != string(model.OpLSTM) { // after the int8 input layer
		t.Errorf("layer 1 is %s (%s, kernel %q), want the int8 LSTM", l.Node, l.Op, l.Kernel)
	}
	r := buildAndRun(t, out, "")
	assertExact(t, "mnist_lstm", r, 10)
	assertExact(t, "mnist_lstm (asan+ubsan)", buildAndRun(t, out, sanitizeFlags), 10)
	t.Logf("mnist_lstm int8: arena %d bytes, weights %d bytes: %s", out.Plan.ArenaBytes, out.Plan.WeightBytes, strings.TrimSpace(r.line))
}

// TestInt8RecurrentErrors checks that malformed int8 recurrent nodes are refused with errors
// that name the node and the problem.
func TestInt8RecurrentErrors(t *testing.T) {
	g, x := loadFixture(t, "lstm_head")
	q, _ := rnn8Quantize(t, g, x, x)
	for _, c := range []struct {
		what string
		edit func(n *model.Node)
		want string
	}{
		{"no RecurrentQuant", func(n *model.Node) { n.RecurrentQuant = nil }, "no RecurrentQuant"},
		{"gate bits", func(n *model.Node) { n.RecurrentQuant.GateIntBits = []int{3, 3} }, "GateIntBits has 2 entries, want 4"},
		{"cell bits", func(n *model.Node) { n.RecurrentQuant.CellIntBits = 9 }, "CellIntBits is 9"},
		{"weight zero point", func(n *model.Node) { n.QWeight.Quant.ZeroPoint = []int32{3} }, "must be symmetric"},
		{"bias length", func(n *model.Node) { n.QBias = n.QBias[:3] }, "QBias has 3 elements"},
		{"recurrence shape", func(n *model.Node) { n.RecurrentQuant.Recurrent.Shape = []int{4, 8} }, "RecurrentQuant.Recurrent: shape [4 8]"},
		{"huge bias", func(n *model.Node) { n.QBias[5] = math.MaxInt32 - 10 }, "overflow the int32 accumulator"},
	} {
		h := q.Clone()
		var node *model.Node
		for _, n := range h.Nodes {
			if n.Op == model.OpLSTM {
				node = n
			}
		}
		c.edit(node)
		_, err := PlanGraph(h, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), node.Name) {
			t.Errorf("%s: error %v, want one naming %q and containing %q", c.what, err, node.Name, c.want)
		}
	}
}
