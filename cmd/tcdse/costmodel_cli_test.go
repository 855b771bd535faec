package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// runCmd runs the tcdse command line with args and returns its output.
func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

var analyzeLeNetPath = filepath.Join("..", "..", "testdata", "examples", "lenet", "fyh620_lenet.onnx")

func TestTargetsCmd(t *testing.T) {
	out, err := runCmd(t, "targets")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"tc327", "tc337", "tc357", "tc367", "tc377", "tc387", "tc397"} {
		if !strings.Contains(out, d) {
			t.Errorf("targets does not list %s:\n%s", d, out)
		}
	}
	if !strings.Contains(out, "240K x2, 96K x2") {
		t.Errorf("tc387 DSPRs missing:\n%s", out)
	}
	out, err = runCmd(t, "targets", "--sources")
	if err != nil || !strings.Contains(out, "cpu2.dspr_bytes") || !strings.Contains(out, "documented") || !strings.Contains(out, "assumed") {
		t.Errorf("targets --sources: %v\n%.400s", err, out)
	}
	cat := filepath.Join(t.TempDir(), "cat.yaml")
	if err := os.WriteFile(cat, []byte("derivatives:\n  - {name: tc4x9, base: tc397, lmu: -1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, "targets", "--catalog", cat); err == nil || !strings.Contains(err.Error(), "tc4x9") || !strings.Contains(err.Error(), "field lmu") {
		t.Errorf("bad catalog: %v", err)
	}
}

func TestAnalyzeCmd(t *testing.T) {
	out, err := runCmd(t, "analyze", analyzeLeNetPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Gemm_8", "[256]", "[120]", "30840", "TOTAL", "44426"} {
		if !strings.Contains(out, w) {
			t.Errorf("analyze output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "CYCLES") {
		t.Error("analyze without --target prints cycles")
	}
	out, err = runCmd(t, "analyze", analyzeLeNetPath, "--target", "tc387:cpu2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rep analyzeReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if rep.Cost == nil || rep.Best == nil || rep.Cost.Cycles <= 0 || len(rep.Placements) != 8 || rep.Layers[0].Cost == nil || rep.Totals.Params != 44426 {
		t.Fatalf("report: %+v", rep)
	}
	var sum int64
	for _, l := range rep.Layers {
		sum += l.Cost.Cycles
	}
	if sum != rep.Cost.Cycles {
		t.Errorf("layer cycles sum to %d, total %d", sum, rep.Cost.Cycles)
	}
	out, err = runCmd(t, "analyze", analyzeLeNetPath, "--target", "tc387:cpu2", "--weights", "dspr")
	if err != nil || !strings.Contains(out, "DOES NOT FIT: RAM") || !strings.Contains(out, "> DSPR of CPU2 96.0 KB (98304 B)") {
		t.Errorf("weights in DSPR of cpu2: %v\n%s", err, out)
	}
	for args, want := range map[string]string{
		"--target tc387:cpu9":                   "cpu9",
		"--target tc999:cpu0":                   "tc999",
		"--rates nosuch=0.5":                    "nosuch",
		"--target tc387:cpu0 --weights emem":    "emem",
		"--target tc387:cpu0 --cost-model x.js": "x.js",
	} {
		if _, err := runCmd(t, append([]string{"analyze", analyzeLeNetPath}, strings.Fields(args)...)...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("analyze %s: %v", args, err)
		}
	}
}

// TestCalibrateCmd plays a board: it measures LeNet builds with hidden parameters, writes the
// measurements file, runs `tcdse calibrate --out`, and checks the fitted model on builds it
// did not see, and that `analyze --cost-model` uses it.
func TestCalibrateCmd(t *testing.T) {
	hidden, err := tc3xx.TC162P.With(map[string]float64{"mac": 4.1, "pflash_line": 6, "output": 7, "loop": 1, "scatter_mac": 2.2,
		"csr_index": 3, "csr_row": 9, "csr_conv_decode": 41, "pool_tap": 3.5, "call": 90, "softmax_exp": 80})
	if err != nil {
		t.Fatal(err)
	}
	base, err := model.LoadFile(analyzeLeNetPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	measure := func(rates explore.Rates, format, target string) (string, float64) {
		g, err := explore.Prune(base, rates)
		if err != nil {
			t.Fatal(err)
		}
		p, err := codegen.PlanGraph(g, codegen.Options{Format: format})
		if err != nil {
			t.Fatal(err)
		}
		tg, err := tc3xx.Lookup(target)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tc3xx.EstimateWith(hidden, g, p, tg)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := json.Marshal(rates)
		var lines []string
		for _, l := range c.Layers {
			if l.Cycles > 0 {
				lines = append(lines, fmt.Sprintf(`{"model": "lenet.onnx", "rates": %s, "format": %q, "target": %q, "layer": %q, "cycles": %d}`, r, format, target, l.Node, l.Cycles))
			}
		}
		lines = append(lines, fmt.Sprintf(`{"model": "lenet.onnx", "rates": %s, "format": %q, "target": %q, "cycles": %d}`, r, format, target, c.Cycles))
		return strings.Join(lines, "\n") + "\n", float64(c.Cycles)
	}
	data, err := os.ReadFile(analyzeLeNetPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lenet.onnx"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	uniform := func(r float64) explore.Rates {
		rates := explore.Rates{}
		for _, n := range base.PrunableLayers() {
			rates[n.Name] = r
		}
		return rates
	}
	var file strings.Builder
	file.WriteString("# simulated board, hidden parameters\n")
	for i, r := range []float64{0.2, 0.5, 0.8, 0.9} {
		for _, f := range []string{codegen.FormatDense, codegen.FormatCSR} {
			text, _ := measure(uniform(r), f, []string{"tc387:cpu0", "tc387:cpu2"}[i%2])
			file.WriteString(text)
		}
	}
	mpath := filepath.Join(dir, "m.jsonl")
	if err := os.WriteFile(mpath, []byte(file.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	fitPath := filepath.Join(dir, "fit.json")
	out, err := runCmd(t, "calibrate", mpath, "--out", fitPath)
	if err != nil {
		t.Fatalf("calibrate: %v\n%s", err, out)
	}
	t.Logf("tcdse calibrate m.jsonl --out fit.json:\n%s", out)
	for _, w := range []string{"error before:", "error after:", "mac", "written to"} {
		if !strings.Contains(out, w) {
			t.Errorf("calibrate output lacks %q:\n%s", w, out)
		}
	}
	fit, err := tc3xx.LoadCostModel(fitPath)
	if err != nil {
		t.Fatal(err)
	}
	if fit.Fit == nil || fit.Fit.After.RMS >= fit.Fit.Before.RMS || fit.Fit.After.MaxAbs > 0.02 {
		t.Errorf("fit report %+v", fit.Fit)
	}
	// Unseen builds: other rates, auto format.
	for _, r := range []float64{0.35, 0.7, 0.95} {
		g, _ := explore.Prune(base, uniform(r))
		p, _ := codegen.PlanGraph(g, codegen.Options{})
		tg, _ := tc3xx.Lookup("tc387:cpu1")
		want, _ := tc3xx.EstimateWith(hidden, g, p, tg)
		got, err := tc3xx.EstimateWith(fit, g, p, tg)
		if err != nil {
			t.Fatal(err)
		}
		if e := float64(got.Cycles-want.Cycles) / float64(want.Cycles); e > 0.05 || e < -0.05 {
			t.Errorf("unseen LeNet at %.2f: fitted %d cycles, board %d (%+.1f%%)", r, got.Cycles, want.Cycles, 100*e)
		}
	}
	out, err = runCmd(t, "analyze", analyzeLeNetPath, "--target", "tc387:cpu2", "--cost-model", fitPath)
	if err != nil || !strings.Contains(out, "fit.json (hash "+fit.Hash()[:12]) {
		t.Errorf("analyze --cost-model: %v\n%s", err, out)
	}
	// Bad measurement files name the line and field.
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(`{"model": "lenet.onnx", "target": "tc387:cpu2", "cycles": 100}`+"\n"+
		`{"model": "lenet.onnx", "target": "tc387:cpu2", "layer": "Gemm_99", "cycles": 5}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, "calibrate", bad); err == nil || !strings.Contains(err.Error(), "bad.jsonl:2") || !strings.Contains(err.Error(), "Gemm_99") {
		t.Errorf("bad measurements: %v", err)
	}
}
