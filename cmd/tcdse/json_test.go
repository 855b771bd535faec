package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tcdse/tcdse/pareto"
)

// TestJSONOutputs checks the --json output of generate and report.
func TestJSONOutputs(t *testing.T) {
	if _, err := os.Stat(exampleLeNet); err != nil {
		t.Skipf("example model: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "gen")
	out, _, err := runCLI(t, "generate", exampleLeNet, "--out", dir, "--vectors", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var gen struct {
		Dir         string   `json:"dir"`
		Files       []string `json:"files"`
		WeightBytes int      `json:"weight_bytes"`
	}
	if err := json.Unmarshal([]byte(out), &gen); err != nil || gen.Dir != dir || !slices.Contains(gen.Files, "model.c") || gen.WeightBytes <= 0 {
		t.Errorf("generate --json printed %q (%v)", out, err)
	}

	res := t.TempDir()
	p := pareto.Point{ID: "a", Label: "dense", Quality: 0.98, Cycles: 1000, ROMBytes: 2000, RAMBytes: 300, Fits: true}
	if _, err := pareto.SaveFiles(res, pareto.Report{Metric: "top1", HigherIsBetter: true, Target: "tc387:cpu2", ClockMHz: 300, Baseline: p, Points: []pareto.Point{p}, Front: []pareto.Point{p}}); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCLI(t, "report", res, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Files []string `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Files) == 0 || filepath.Base(rep.Files[0]) != "report.html" {
		t.Fatalf("report --json printed %q (%v)", out, err)
	}
	if _, err := os.Stat(rep.Files[0]); err != nil {
		t.Error(err)
	}
	if _, _, err := runCLI(t, "report", t.TempDir()); err == nil {
		t.Error("report of a directory without front.json succeeded")
	}
}
