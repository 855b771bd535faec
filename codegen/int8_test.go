package codegen

import (
	"encoding/binary"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// Int8 code generation: generated C must match the Go interpreter's int8 kernels bit for bit.

const sanitizeFlags = "-std=c99 -O1 -g -Wall -Wextra -Wshadow -Werror -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

// sharedDatasets is ../shared/datasets seen from the package directory.
const sharedDatasets = "../../shared/datasets"

func loadExample(t *testing.T, rel string) *model.Graph {
	t.Helper()
	g, err := model.LoadFile(filepath.Join("../testdata/examples", rel))
	if err != nil {
		t.Fatalf("loading %s: %v", rel, err)
	}
	return g
}

// assertExact checks that the harness compared every output exactly and found no mismatch.
func assertExact(t *testing.T, what string, r harnessResult, vectors int) {
	t.Helper()
	if !r.Pass || r.exitCode != 0 || r.Vectors != vectors || !r.Exact || r.Mismatches != 0 || r.MaxAbsErr != 0 {
		t.Errorf("%s: harness %s (exit %d); want an exact pass over %d vectors", what, strings.TrimSpace(r.line), r.exitCode, vectors)
	}
}

// randomInt8Inputs returns n vectors of per-sample shape holding random int8 values as floats,
// the interpreter's representation of an int8 graph input.
func randomInt8Inputs(rng *rand.Rand, n int, shape []int) *model.Tensor {
	x := model.NewTensor(append([]int{n}, shape...)...)
	for i := range x.Data {
		x.Data[i] = float32(rng.Intn(256) - 128)
	}
	return x
}

// kwsInputs reads up to n MLPerf Tiny KWS test inputs (int8 49x10) when the shared data set is
// present, else draws random int8 values.
func kwsInputs(t *testing.T, n int, shape []int) (*model.Tensor, string) {
	files, _ := filepath.Glob(filepath.Join(sharedDatasets, "mlperf_tiny_kws01/inputs/tst_*.bin"))
	sort.Strings(files)
	if len(files) == 0 {
		return randomInt8Inputs(rand.New(rand.NewSource(1)), n, shape), "random int8 inputs"
	}
	files = files[:min(n, len(files))]
	x := model.NewTensor(append([]int{len(files)}, shape...)...)
	per := len(x.Data) / len(files)
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil || len(raw) != per {
			t.Fatalf("KWS input %s: %d bytes, %v; want %d", f, len(raw), err, per)
		}
		for j, b := range raw {
			x.Data[i*per+j] = float32(int8(b))
		}
	}
	return x, "MLPerf Tiny KWS test inputs"
}

// ad01Inputs builds up to n windows of the shared ToyCar recording quantized like TFLite, else
// random int8 values.
func ad01Inputs(t *testing.T, g *model.Graph, n int) (*model.Tensor, string) {
	raw, err := os.ReadFile(filepath.Join(sharedDatasets, "mlperf_tiny_ad01/inputs/normal_id_01_00000000_hist_librosa.bin"))
	shape := g.Inputs[0].Shape
	if err != nil {
		return randomInt8Inputs(rand.New(rand.NewSource(2)), n, shape), "random int8 inputs"
	}
	q := g.ValueQuantOf(g.Inputs[0].Name)
	const mels, window = 128, 640
	feats := make([]float32, len(raw)/4)
	for i := range feats {
		feats[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	x := model.NewTensor(append([]int{n}, shape...)...)
	for w := 0; w < n; w++ {
		for i := 0; i < window; i++ {
			v := math.Round(float64(feats[w*mels+i]/q.Scale[0])) + float64(q.ZeroPoint[0])
			x.Data[w*window+i] = float32(min(max(v, -128), 127))
		}
	}
	return x, "ToyCar recording windows"
}

func TestInt8RealModelsExact(t *testing.T) {
	requireGCC(t)
	kws := loadExample(t, "kws01/kws_ref_model.tflite")
	kin, kwhat := kwsInputs(t, 24, kws.Inputs[0].Shape)
	ad := loadExample(t, "ad01/ad01_int8.tflite")
	ain, awhat := ad01Inputs(t, ad, 16)
	for _, c := range []struct {
		name string
		g    *model.Graph
		in   *model.Tensor
		what string
	}{{"kws01", kws, kin, kwhat}, {"ad01", ad, ain, awhat}} {
		tv, err := interpreterVectors(c.g, c.in)
		if err != nil {
			t.Fatal(err)
		}
		out := generate(t, c.g, Options{Vectors: tv, BenchIterations: 3})
		p := out.Plan
		if p.ArenaBytes > p.PeakLiveBytes+4*len(p.Buffers) || !p.HasInt8() {
			t.Errorf("%s: arena %d bytes, peak live %d, int8 %v", c.name, p.ArenaBytes, p.PeakLiveBytes, p.HasInt8())
		}
		r := buildAndRun(t, out, "")
		assertExact(t, c.name+" on "+c.what, r, c.in.Shape[0])
		t.Logf("%s int8 on %d %s: %s", c.name, c.in.Shape[0], c.what, strings.TrimSpace(r.line))
	}
	// kws01: the largest activation is 64x25x5 int8 = 8000 bytes; two live at once.
	out := generate(t, kws, Options{})
	if out.Plan.PeakLiveBytes != 2*8000+64 {
		t.Errorf("kws01 peak live %d bytes, want 16064 (int8 activations take one byte, plus a 64-byte patch)", out.Plan.PeakLiveBytes)
	}
}

func TestInt8Sanitized(t *testing.T) {
	requireGCC(t)
	kws := loadExample(t, "kws01/kws_ref_model.tflite")
	kin, _ := kwsInputs(t, 3, kws.Inputs[0].Shape)
	tv, err := interpreterVectors(kws, kin)
	if err != nil {
		t.Fatal(err)
	}
	assertExact(t, "kws01 (asan+ubsan)", buildAndRun(t, generate(t, kws, Options{Vectors: tv, BenchIterations: 1}), sanitizeFlags), 3)
	for _, g := range []*model.Graph{q8KernelNet(), q8ActivationNet(), q8Sparse(loadExample(t, "ad01/ad01_int8.tflite"), 0.8, 3)} {
		tv := q8Vectors(t, g, 4)
		for _, f := range []string{FormatDense, FormatCSR, FormatRCSR4} {
			out := generate(t, g, Options{Format: f, Vectors: tv, BenchIterations: 1})
			assertExact(t, g.Name+"/"+f+" (asan+ubsan)", buildAndRun(t, out, sanitizeFlags), 4)
		}
	}
}

// q8Vectors draws float inputs (wide enough to saturate the first Quantize) or, for an int8
// input, int8 values, and runs them through the interpreter.
func q8Vectors(t *testing.T, g *model.Graph, n int) *TestVectors {
	t.Helper()
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(7))
	shape := g.Shapes[g.Inputs[0].Name]
	var x *model.Tensor
	if g.ValueQuantOf(g.Inputs[0].Name) != nil {
		x = randomInt8Inputs(rng, n, shape)
	} else {
		x = model.NewTensor(append([]int{n}, shape...)...)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64() * 1.5)
		}
		x.Data[0], x.Data[1] = 1e6, -1e6 // saturate
	}
	tv, err := interpreterVectors(g, x)
	if err != nil {
		t.Fatal(err)
	}
	return tv
}

func TestInt8KernelsExact(t *testing.T) {
	requireGCC(t)
	for _, g := range []*model.Graph{q8KernelNet(), q8ActivationNet()} {
		tv := q8Vectors(t, g, 6)
		out := generate(t, g, Options{Vectors: tv, BenchIterations: 2})
		assertExact(t, g.Name, buildAndRun(t, out, ""), 6)
		if !strings.Contains(string(mustFile(t, out, "model_weights.c")), "const int8_t") {
			t.Errorf("%s: no int8 weight arrays", g.Name)
		}
	}
	// Sparse convolutions (regular, depthwise, pointwise) and Dense in every format.
	g := q8Sparse(q8KernelNet(), 0.8, 9)
	tv := q8Vectors(t, g, 4)
	for _, f := range []string{FormatAuto, FormatCSR, FormatRCSR8, FormatRCSR4} {
		out := generate(t, g, Options{Format: f, Vectors: tv, BenchIterations: 1})
		sparse := 0
		for _, l := range out.Plan.Layers {
			if l.Kind == KindConv && l.Format != FormatDense {
				sparse++
			}
		}
		if sparse != 3 {
			t.Errorf("%s: %d sparse int8 convolutions, want 3", f, sparse)
		}
		assertExact(t, g.Name+"/"+f, buildAndRun(t, out, ""), 4)
	}
}

func mustFile(t *testing.T, out *Output, name string) []byte {
	t.Helper()
	b, ok := out.File(name)
	if !ok {
		t.Fatalf("no %s", name)
	}
	return b
}

func TestInt8SparseDense(t *testing.T) {
	requireGCC(t)
	ad := loadExample(t, "ad01/ad01_int8.tflite")
	g := q8Sparse(ad, 0.8, 5)
	in, _ := ad01Inputs(t, ad, 5)
	tv, err := interpreterVectors(g, in)
	if err != nil {
		t.Fatal(err)
	}
	dense := generate(t, g, Options{Format: FormatDense})
	for _, f := range []string{FormatAuto, FormatCSR, FormatRCSR8, FormatRCSR4} {
		out := generate(t, g, Options{Format: f, Vectors: tv, BenchIterations: 2})
		assertExact(t, "ad01 80% sparse/"+f, buildAndRun(t, out, ""), 5)
		if f == FormatAuto {
			for _, l := range out.Plan.Layers {
				if l.Kind == KindDense && l.Format == FormatDense && l.Rows*l.Cols > 256 {
					t.Errorf("auto kept layer %s (%dx%d, %d nonzero) dense", l.Node, l.Rows, l.Cols, l.NNZ)
				}
			}
			if out.Plan.WeightBytes*100 > dense.Plan.WeightBytes*45 {
				t.Errorf("80%% sparse int8 weights take %d bytes, dense %d: want <= 0.45x", out.Plan.WeightBytes, dense.Plan.WeightBytes)
			}
			t.Logf("ad01 80%% sparse: %d weight bytes, dense int8 %d", out.Plan.WeightBytes, dense.Plan.WeightBytes)
		}
	}
}

// q8Sparse zeroes the given fraction of every Dense/Conv QWeight (smallest magnitudes first,
// ties by index) and drops the float weights, so the plan's format rule sees the int8 zeros.
func q8Sparse(g *model.Graph, fraction float64, seed int64) *model.Graph {
	h := g.Clone()
	h.Name = g.Name + "_sparse"
	rng := rand.New(rand.NewSource(seed))
	for _, n := range h.Nodes {
		if n.QWeight == nil {
			continue
		}
		idx := rng.Perm(len(n.QWeight.Data))
		sort.SliceStable(idx, func(a, b int) bool {
			return abs8(n.QWeight.Data[idx[a]]) < abs8(n.QWeight.Data[idx[b]])
		})
		for _, i := range idx[:int(fraction*float64(len(idx)))] {
			n.QWeight.Data[i] = 0
			if n.Weight != nil {
				n.Weight.Data[i] = 0
			}
		}
	}
	return h
}

func abs8(v int8) int { return int(math.Abs(float64(v))) }

func TestInt8Errors(t *testing.T) {
	g := q8KernelNet()
	for _, n := range g.Nodes {
		if n.Op == model.OpSoftmax {
			n.Attrs.Quant = q8Params(1.0/128, 0)
		}
	}
	setQ8Values(g)
	if _, err := PlanGraph(g, Options{}); err == nil || !strings.Contains(err.Error(), "not TFLite's") {
		t.Errorf("softmax with a non-TFLite output quantization: err %v", err)
	}
	g = q8KernelNet()
	for _, n := range g.Nodes {
		if n.Op == model.OpConv {
			n.QWeight.Quant.ZeroPoint = []int32{3}
		}
	}
	if _, err := PlanGraph(g, Options{}); err == nil || !strings.Contains(err.Error(), "symmetric") {
		t.Errorf("asymmetric weights: err %v", err)
	}
	g = graph("q8broadcast", "x", []int{4, 3, 3}, "y",
		q8Op("xq", model.OpQuantize, q8Params(0.05, -7), model.Attrs{}, "x"),
		q8Op("gp", model.OpAvgPool, q8Params(0.05, -7), model.Attrs{Kernel: []int{3, 3}, Strides: []int{3, 3}}, "xq"),
		q8Op("add", model.OpAdd, q8Params(0.1, 0), model.Attrs{}, "xq", "gp"),
		&model.Node{Name: "y", Op: model.OpDequantize, Inputs: []string{"add"}, Outputs: []string{"y"}})
	setQ8Values(g)
	if l := layerByNode(t, mustPlan(t, g, Options{}), "add"); l.Kernel != "q8_bcast_addsub" { // layer_bcast.go
		t.Errorf("int8 Add of different shapes: kernel %q, want q8_bcast_addsub", l.Kernel)
	}
}

// TestInt8HarnessCatchesOneStep checks that the exact comparison fails on an output that is off
// by one quantization step, which the relative tolerance alone would accept.
func TestInt8HarnessCatchesOneStep(t *testing.T) {
	requireGCC(t)
	g := q8ActivationNet()
	tv := q8Vectors(t, g, 2)
	step := float32(0.05) // the output's scale: one int8 step after Dequantize
	tv.Outputs.Data[3] += step
	out := generate(t, g, Options{Vectors: tv, BenchIterations: 1, Tolerance: 0.5})
	r := buildAndRun(t, out, "")
	if r.Pass || r.exitCode == 0 || !r.Exact || r.Mismatches != 1 {
		t.Errorf("harness %s (exit %d); want a failure with exactly 1 mismatch", strings.TrimSpace(r.line), r.exitCode)
	}
}
