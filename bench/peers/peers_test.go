package peers

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

// sharedBench is ../shared/bench as seen from this package's directory.
const sharedBench = "../../../shared/bench"

// referenceModels are the float32 models of PEERS.md, in table order.
var referenceModels = []string{"ae_mlp", "lenet5", "lstm", "dscnn"}

// modelsDir returns the directory holding the exported reference models, generating them with
// Debian's python3 (torch, onnx) when missing. The default cache is out/bench-models
// (gitignored); TCDSE_BENCH_MODELS overrides it.
func modelsDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("TCDSE_BENCH_MODELS")
	if dir == "" {
		dir = filepath.Join("..", "..", "out", "bench-models")
	}
	missing := false
	for _, name := range referenceModels {
		if _, err := os.Stat(filepath.Join(dir, name+".onnx")); err != nil {
			missing = true
		}
	}
	if !missing {
		return dir
	}
	script := filepath.Join(sharedBench, "reference_models.py")
	if _, err := os.Stat(script); err != nil {
		tb.Skipf("reference model script not available: %v", err)
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		tb.Skip("/usr/bin/python3 not available")
	}
	cmd := exec.Command("/usr/bin/python3", script, dir, "--only", strings.Join(referenceModels, ","))
	if msg, err := cmd.CombinedOutput(); err != nil {
		tb.Skipf("exporting the reference models (needs python3-torch, python3-onnx): %v\n%s", err, msg)
	}
	return dir
}

func requireTools(tb testing.TB) {
	tb.Helper()
	for _, tool := range []string{"gcc", "make", "size", "valgrind"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Skipf("%s not found: %v", tool, err)
		}
	}
}

// readF32 reads a raw little-endian float32 file.
func readF32(path string) ([]float32, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data)%4 != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a whole number of float32", path, len(data))
	}
	out := make([]float32, len(data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out, nil
}

// loadReference loads NAME.onnx and its torch input and output, runs the input through the Go
// interpreter and returns the graph, the test vectors and the largest deviation from torch.
func loadReference(dir, name string) (*model.Graph, *codegen.TestVectors, float64, error) {
	g, err := model.LoadFile(filepath.Join(dir, name+".onnx"))
	if err != nil {
		return nil, nil, 0, err
	}
	x, err := readF32(filepath.Join(dir, name+".in.bin"))
	if err != nil {
		return nil, nil, 0, err
	}
	ref, err := readF32(filepath.Join(dir, name+".ref.bin"))
	if err != nil {
		return nil, nil, 0, err
	}
	in := model.NewTensor(append([]int{1}, g.Inputs[0].Shape...)...)
	if len(in.Data) != len(x) {
		return nil, nil, 0, fmt.Errorf("%s: input has %d floats, the graph input %v needs %d", name, len(x), g.Inputs[0].Shape, len(in.Data))
	}
	copy(in.Data, x)
	outs, err := g.Run(in)
	if err != nil {
		return nil, nil, 0, err
	}
	if len(outs[0].Data) != len(ref) {
		return nil, nil, 0, fmt.Errorf("%s: Go output has %d floats, torch %d", name, len(outs[0].Data), len(ref))
	}
	dev := 0.0
	for i, v := range outs[0].Data {
		dev = math.Max(dev, math.Abs(float64(v)-float64(ref[i])))
	}
	return g, &codegen.TestVectors{Inputs: in, Outputs: outs[0]}, dev, nil
}

// pruneMagnitude zeroes the given fraction of smallest-magnitude weights of every layer.
func pruneMagnitude(g *model.Graph, fraction float64) *model.Graph {
	h := g.Clone()
	for _, n := range h.Nodes {
		if n.Weight == nil {
			continue
		}
		mags := make([]float64, len(n.Weight.Data))
		for i, v := range n.Weight.Data {
			mags[i] = math.Abs(float64(v))
		}
		sort.Float64s(mags)
		k := int(fraction * float64(len(mags)))
		if k == 0 {
			continue
		}
		cut := mags[k-1]
		zeroed := 0
		for i, v := range n.Weight.Data {
			if math.Abs(float64(v)) <= cut && zeroed < k {
				n.Weight.Data[i] = 0
				zeroed++
			}
		}
	}
	return h
}

// row is one measured configuration.
type row struct {
	model, variant string
	plan           *codegen.Plan
	m              *Measurement
}

func measure(b *testing.B, g *model.Graph, tv *codegen.TestVectors, opts codegen.Options) (*codegen.Plan, *Measurement) {
	b.Helper()
	opts.Vectors, opts.BenchIterations = tv, 1
	out, err := codegen.Generate(g, opts)
	if err != nil {
		b.Fatalf("%s: %v", g.Name, err)
	}
	m, err := MeasureC(out, filepath.Join(b.TempDir(), "gen"))
	if err != nil {
		b.Fatalf("%s: %v", g.Name, err)
	}
	if !strings.Contains(m.Harness, `"pass":true`) {
		b.Errorf("%s: generated code disagrees with the Go interpreter: %s", g.Name, m.Harness)
	}
	if m.BSSBytes != out.Plan.ArenaBytes {
		b.Errorf("%s: .bss of the model object %d B, planned arena %d B", g.Name, m.BSSBytes, out.Plan.ArenaBytes)
	}
	return out.Plan, m
}

func ratio(a, b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", float64(a)/float64(b))
}

// BenchmarkPeers prints tcdse's figures on the PEERS.md reference models next to the best
// peer's. Run it once: go test -run '^$' -bench Peers -benchtime 1x ./bench/peers/
func BenchmarkPeers(b *testing.B) {
	requireTools(b)
	dir := modelsDir(b)
	var rows []row
	var notes []string
	for _, name := range referenceModels {
		g, tv, dev, err := loadReference(dir, name)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: not measured: %v", name, err))
			continue
		}
		if _, err := codegen.PlanGraph(g, codegen.Options{}); err != nil {
			notes = append(notes, fmt.Sprintf("%s: imports, but no C yet: %v", name, err))
			continue
		}
		notes = append(notes, fmt.Sprintf("%s: Go interpreter vs torch max |diff| %.3g", name, dev))
		p, m := measure(b, g, tv, codegen.Options{})
		rows = append(rows, row{name, "float32", p, m})
		if name == "lenet5" {
			p, m := measure(b, g, tv, codegen.Options{NoConvPoolFusion: true})
			rows = append(rows, row{name, "float32 unfused", p, m})
		}
		if name == "ae_mlp" || name == "lenet5" {
			pg := pruneMagnitude(g, 0.9)
			ptv, err := interpreterVectors(pg, tv.Inputs)
			if err != nil {
				b.Fatal(err)
			}
			for _, f := range []string{codegen.FormatDense, codegen.FormatCSR, codegen.FormatRCSR8, codegen.FormatRCSR4, codegen.FormatAuto} {
				p, m := measure(b, pg, ptv, codegen.Options{Format: f})
				rows = append(rows, row{name, "90% pruned " + f, p, m})
			}
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\ntcdse generated C vs peers (%s)\n", PeersSource)
	fmt.Fprintf(&sb, "%-7s %-22s %11s %11s %6s | %7s %6s | %8s %8s | %6s %6s %6s\n",
		"model", "variant", "Ir/inf", "onnx2c Ir", "ratio", "code B", "onnx2c", "weight B", "onnx2c", "arena", "minRAM", "ratio")
	for _, r := range rows {
		peer, _ := PeerFor(r.model, "onnx2c")
		minRAM := SmallestPeerRAM(r.model)
		fmt.Fprintf(&sb, "%-7s %-22s %11d %11d %6s | %7d %6d | %8d %8d | %6d %6d %6s\n",
			r.model, r.variant, r.m.IrPerInference, peer.Ir, ratio(r.m.IrPerInference, int64(peer.Ir)),
			r.m.CodeBytes, peer.CodeBytes, r.m.WeightBytes, peer.WeightBytes,
			r.plan.ArenaBytes, minRAM, ratio(int64(r.plan.ArenaBytes), int64(minRAM)))
	}
	for _, r := range rows {
		if r.model == "lenet5" && r.variant == "float32" {
			fmt.Fprintf(&sb, "lenet5 fused arena %d B vs Unlu's %d B (Unlu: 32x32 input, no padding; ours: 28x28 with pad 2, the same 6x28x28 conv1 and pooled shapes); caller's input %d B and output %d B not included\n",
				r.plan.ArenaBytes, UnluLeNetArenaBytes, r.plan.Input.Bytes, r.plan.Output.Bytes)
		}
	}
	for _, r := range rows {
		fmt.Fprintf(&sb, "%s %s: MACs %d effective %d, tables %d B, harness %s\n", r.model, r.variant, r.plan.MACs, r.plan.EffectiveMACs, r.m.TableBytes, r.m.Harness)
	}
	for _, n := range notes {
		fmt.Fprintln(&sb, n)
	}
	fmt.Print(sb.String())
	for _, r := range rows {
		if r.variant == "float32" {
			b.ReportMetric(float64(r.m.IrPerInference), r.model+"_Ir/op")
		}
	}
	for i := 0; i < b.N; i++ {
		_ = i // the measurement above is deterministic; nothing to repeat
	}
}

// interpreterVectors runs the inputs through model.Run.
func interpreterVectors(g *model.Graph, in *model.Tensor) (*codegen.TestVectors, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	outs, err := g.Run(in)
	if err != nil {
		return nil, err
	}
	return &codegen.TestVectors{Inputs: in, Outputs: outs[0]}, nil
}

func TestParseSizeA(t *testing.T) {
	text := `model.o  :
section             size   addr
.text               2817      0
.data                  0      0
.bss                6304      0
.rodata              224      0
.rodata.cst4           8      0
.comment              31      0
Total               9384
`
	s, err := parseSizeA(text)
	if err != nil {
		t.Fatal(err)
	}
	if s.sum(".text") != 2817 || s.sum(".rodata") != 232 || s.sum(".bss") != 6304 || s.sum(".rodat") != 0 {
		t.Errorf("parsed %v", s)
	}
	if _, err := parseSizeA("garbage"); err == nil {
		t.Error("no sections accepted")
	}
}

func TestCallgrindTotal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cg.out")
	if err := os.WriteFile(path, []byte("version: 1\nevents: Ir\nsummary: 1234\nfn=x\n1 5\ntotals: 1200\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := callgrindTotal(path); err != nil || n != 1200 {
		t.Errorf("callgrindTotal = %d, %v; want 1200", n, err)
	}
	if err := os.WriteFile(path, []byte("events: Ir\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := callgrindTotal(path); err == nil {
		t.Error("file without totals accepted")
	}
}

func TestPeerTables(t *testing.T) {
	for _, name := range referenceModels {
		if p, ok := PeerFor(name, "onnx2c"); !ok || p.Ir <= 0 {
			t.Errorf("%s: no onnx2c figure", name)
		}
	}
	if got := SmallestPeerRAM("lenet5"); got != 25744 {
		t.Errorf("smallest lenet5 RAM %d, want TFLite Micro's 25744", got)
	}
}
