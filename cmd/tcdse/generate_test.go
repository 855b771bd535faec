package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
)

const exampleLeNet = "../../testdata/examples/lenet/fyh620_lenet.onnx"

// runCLI runs the tcdse command tree in-process and returns stdout, stderr and the error.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRoot()
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs(args)
	err := root.Execute()
	return stdout.String(), stderr.String(), err
}

func TestGenerateAndValidate(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not found")
	}
	if _, err := os.Stat(exampleLeNet); err != nil {
		t.Skipf("example model: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "gen")
	out, _, err := runCLI(t, "generate", exampleLeNet, "--target", "tc387:cpu2", "--out", dir, "--vectors", "3")
	if err != nil || !strings.Contains(out, "wrote "+dir) {
		t.Fatalf("generate: %v\n%s", err, out)
	}
	out, _, err = runCLI(t, "validate", dir, "--board", "host")
	if err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	var res struct {
		Built, Pass bool
		Vectors     int
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.Built || !res.Pass || res.Vectors != 3 {
		t.Errorf("validate printed %q (%v); want built, pass, 3 vectors", out, err)
	}

	// An existing directory is not overwritten without --force.
	if _, _, err := runCLI(t, "generate", exampleLeNet, "--out", dir); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second generate without --force: %v", err)
	}
	// A corrupted expectation makes validate fail.
	tv := filepath.Join(dir, "test_vectors.h")
	data, err := os.ReadFile(tv)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("tv_expected"))
	i += bytes.Index(data[i:], []byte("= {"))
	j := i + bytes.IndexAny(data[i:], "0123456789") // the first digit of the first expected value
	if data[j] == '9' {                             // a different leading digit
		data[j] = '1'
	} else {
		data[j] = '9'
	}
	if err := os.WriteFile(tv, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "validate", dir); err == nil || !strings.Contains(err.Error(), "disagrees") {
		t.Errorf("validate with a corrupted expectation: %v; want a disagreement", err)
	}
	// Another board class goes through the farm: with no NATS at the address, it says so.
	if _, _, err := runCLI(t, "validate", dir, "--board", "tc387", "--nats", "nats://127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "NATS") {
		t.Errorf("validate on a farm board without NATS: %v", err)
	}
}

func TestGeneratePoint(t *testing.T) {
	if _, err := os.Stat(exampleLeNet); err != nil {
		t.Skipf("example model: %v", err)
	}
	sweep := t.TempDir()
	front := `{"target":"tc387:cpu2","baseline":{"label":"dense"},"points":[{"label":"dense"},{"label":"Gemm_8@0.9","rates":{"Gemm_8":0.9}}]}`
	if err := os.WriteFile(filepath.Join(sweep, "front.json"), []byte(front), 0o644); err != nil {
		t.Fatal(err)
	}
	point := filepath.Join(sweep, "points", "Gemm_8@0.9")
	if err := os.MkdirAll(point, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "gen")
	if _, stderr, err := runCLI(t, "generate", exampleLeNet, "--point", point, "--out", dir, "--vectors", "1"); err != nil {
		t.Fatalf("generate --point: %v\n%s", err, stderr)
	}
	var m codegen.Manifest
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Plan.Layers {
		if l.Node == "Gemm_8" && (l.NNZ*10 > l.Rows*l.Cols+l.Rows || l.Format == codegen.FormatDense) {
			t.Errorf("Gemm_8 after --point with rate 0.9: %d of %d nonzero, format %s", l.NNZ, l.Rows*l.Cols, l.Format)
		}
	}
	if _, _, err := runCLI(t, "generate", exampleLeNet, "--front", filepath.Join(sweep, "front.json"), "--label", "nope", "--out", t.TempDir()+"/x"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown label: %v", err)
	}
}

// TestGeneratePointOwnModel: a point directory holding the point's own model (as a sweep writes
// it) is generated from that model without MODEL, and a derived point in front.json is refused
// when only its rates could rebuild it.
func TestGeneratePointOwnModel(t *testing.T) {
	if _, err := os.Stat(exampleLeNet); err != nil {
		t.Skipf("example model: %v", err)
	}
	base, err := model.LoadFile(exampleLeNet)
	if err != nil {
		t.Fatal(err)
	}
	small, err := explore.PruneStructured(base, map[string]float64{"Gemm_8": 0.5}, "l2")
	if err != nil {
		t.Fatal(err)
	}
	sweep := t.TempDir()
	front := `{"target":"tc387:cpu2","baseline":{"label":"dense"},"points":[{"label":"s","rates":{"Gemm_8":0.5},"derived":true}]}`
	if err := os.WriteFile(filepath.Join(sweep, "front.json"), []byte(front), 0o644); err != nil {
		t.Fatal(err)
	}
	point := filepath.Join(sweep, "points", "s")
	if err := os.MkdirAll(point, 0o755); err != nil {
		t.Fatal(err)
	}
	var ir bytes.Buffer
	if err := small.Encode(&ir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(point, activities.PointModelFile), ir.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "gen")
	if _, stderr, err := runCLI(t, "generate", "--point", point, "--out", dir, "--vectors", "1"); err != nil {
		t.Fatalf("generate --point without MODEL: %v\n%s", err, stderr)
	}
	var m codegen.Manifest
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	want := small.Node("Gemm_8").Weight.Shape[0]
	for _, l := range m.Plan.Layers {
		if l.Node == "Gemm_8" && l.Rows != want {
			t.Errorf("Gemm_8 generated with %d rows, the point's structured model has %d", l.Rows, want)
		}
	}
	_, _, err = runCLI(t, "generate", exampleLeNet, "--front", filepath.Join(sweep, "front.json"), "--label", "s", "--out", t.TempDir()+"/x")
	if err == nil || !strings.Contains(err.Error(), "rates alone do not rebuild it") {
		t.Errorf("derived point rebuilt from its rates: err = %v", err)
	}
	if err := os.Remove(filepath.Join(point, activities.PointModelFile)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "generate", "--point", point, "--out", t.TempDir()+"/y"); err == nil || !strings.Contains(err.Error(), "give MODEL") {
		t.Errorf("--point without its model and without MODEL: err = %v", err)
	}
}
