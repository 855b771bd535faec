package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
)

// exportSameOutputs runs g and the ONNX file at path on the same seeded input and requires
// bit-identical outputs.
func exportSameOutputs(t *testing.T, g *model.Graph, path string) *model.Graph {
	t.Helper()
	back, err := model.LoadFile(path)
	if err != nil {
		t.Fatalf("importing the exported file: %v", err)
	}
	tv, err := codegen.RandomVectors(g, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := back.Run(tv.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range tv.Outputs.Data {
		if math.Float32bits(outs[0].Data[i]) != math.Float32bits(v) {
			t.Fatalf("output element %d: %v after export, want %v", i, outs[0].Data[i], v)
		}
	}
	return back
}

func TestExportCLI(t *testing.T) {
	if _, err := os.Stat(exampleLeNet); err != nil {
		t.Skipf("example model: %v", err)
	}
	g, err := model.LoadFile(exampleLeNet)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "lenet.onnx")
	stdout, stderr, err := runCLI(t, "export", exampleLeNet, "--out", out)
	if err != nil || !strings.Contains(stdout, "wrote "+out) {
		t.Fatalf("export: %v\n%s%s", err, stdout, stderr)
	}
	if stderr != "" {
		t.Errorf("export warned: %s", stderr)
	}
	exportSameOutputs(t, g, out)

	before, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "export", exampleLeNet, "--out", out); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("export over an existing file without --force: %v; want a refusal", err)
	}
	if _, _, err := runCLI(t, "export", exampleLeNet, "--out", out, "--force"); err != nil {
		t.Errorf("export --force: %v", err)
	}
	after, err := os.ReadFile(out)
	if err != nil || string(after) != string(before) {
		t.Errorf("export --force wrote %d bytes, want the same %d bytes (deterministic): %v", len(after), len(before), err)
	}
	if _, _, err := runCLI(t, "export", exampleLeNet); err == nil || !strings.Contains(err.Error(), "--out") {
		t.Errorf("export without --out: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("the output directory holds %d entries, want only the exported file (no temporary files left)", len(entries))
	}
}

func TestExportCLIPoint(t *testing.T) {
	if _, err := os.Stat(exampleLeNet); err != nil {
		t.Skipf("example model: %v", err)
	}
	sweep := t.TempDir()
	front := `{"target":"tc387:cpu2","points":[{"label":"Gemm_8@0.9","rates":{"Gemm_8":0.9}}]}`
	if err := os.WriteFile(filepath.Join(sweep, "front.json"), []byte(front), 0o644); err != nil {
		t.Fatal(err)
	}
	point := filepath.Join(sweep, "points", "Gemm_8@0.9")
	if err := os.MkdirAll(point, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "point.onnx")
	if _, stderr, err := runCLI(t, "export", exampleLeNet, "--point", point, "--out", out); err != nil {
		t.Fatalf("export --point: %v\n%s", err, stderr)
	}
	g, err := model.LoadFile(exampleLeNet)
	if err != nil {
		t.Fatal(err)
	}
	pruned, err := explore.Prune(g, explore.Rates{"Gemm_8": 0.9})
	if err != nil {
		t.Fatal(err)
	}
	back := exportSameOutputs(t, pruned, out)
	w := back.Node("Gemm_8").Weight
	if want := pruned.Node("Gemm_8").Weight.CountZeros(); w.CountZeros() != want || want*10 < w.Len()*9 {
		t.Errorf("Gemm_8 has %d of %d weights zero after export, want %d (90%%)", w.CountZeros(), w.Len(), want)
	}
	if _, _, err := runCLI(t, "export", exampleLeNet, "--point", point, "--label", "x", "--out", out+"2"); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("--point with --label: %v", err)
	}
}

// TestExportStructuredPruned exports a structured-pruned LeNet (channels removed) and checks
// the result computes what the pruned IR computes.
func TestExportStructuredPruned(t *testing.T) {
	if _, err := os.Stat(exampleLeNet); err != nil {
		t.Skipf("example model: %v", err)
	}
	g, err := model.LoadFile(exampleLeNet)
	if err != nil {
		t.Fatal(err)
	}
	layers := g.PrunableLayers()
	rates := map[string]float64{}
	for _, n := range layers[:len(layers)-1] {
		rates[n.Name] = 0.5
	}
	sp, err := explore.PruneStructured(g, rates, "l1")
	if err != nil {
		t.Fatal(err)
	}
	if sp.NumParams() >= g.NumParams() {
		t.Fatalf("structured pruning kept %d of %d parameters", sp.NumParams(), g.NumParams())
	}
	path := filepath.Join(t.TempDir(), "structured.onnx")
	data, err := sp.EncodeONNX()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	back := exportSameOutputs(t, sp, path)
	if back.NumParams() != sp.NumParams() {
		t.Errorf("%d parameters after export, want %d", back.NumParams(), sp.NumParams())
	}
	t.Logf("structured-pruned LeNet: %d of %d parameters, exported in %d bytes", sp.NumParams(), g.NumParams(), len(data))
}

func TestExportCLIRefusesInt8(t *testing.T) {
	const int8Model = "../../testdata/examples/ad01/ad01_int8.tflite"
	if _, err := os.Stat(int8Model); err != nil {
		t.Skipf("example model: %v", err)
	}
	out := filepath.Join(t.TempDir(), "ad01.onnx")
	_, _, err := runCLI(t, "export", int8Model, "--out", out)
	if err == nil || !strings.Contains(err.Error(), "int8") {
		t.Fatalf("export of an int8 model: %v; want a refusal naming its int8 nodes", err)
	}
	if _, statErr := os.Stat(out); statErr == nil {
		t.Errorf("a refused export left %s behind", out)
	}
}
