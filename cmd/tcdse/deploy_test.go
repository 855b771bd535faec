package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/deploy"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/internal/natstest"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/pareto"
)

// fakePoint writes a sweep output with one point directory holding LeNet as its own model
// and a front.json that names its candidate id.
func fakePoint(t *testing.T) (point, id string) {
	t.Helper()
	if _, err := os.Stat(exampleLeNet); err != nil {
		t.Skipf("example model: %v", err)
	}
	g, err := model.LoadFile(exampleLeNet)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	point = filepath.Join(out, "points", "gwp-1")
	if err := os.MkdirAll(point, 0o755); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Create(filepath.Join(point, "model.tcdse"))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Encode(fh); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	id = strings.Repeat("0123", 16)
	rep := pareto.Report{Metric: "top1", Target: "tc387:cpu2", Points: []pareto.Point{{ID: id, Label: "gwp-1"}}}
	fr, _ := os.Create(filepath.Join(out, "front.json"))
	if err := pareto.WriteJSON(fr, rep); err != nil {
		t.Fatal(err)
	}
	fr.Close()
	// The sweep ran the point's code on a board: points.json pairs it with the result.
	key := strings.Repeat("ef", 32)
	pts := map[string]any{
		"code":   []map[string]any{{"label": "gwp-1", "code": map[string]any{"bucket": "b", "key": key}}},
		"boards": []hilbench.RunResult{{JobID: "gwp-1-" + key[:12], Board: "tc387", Agent: "bench-1", Built: true, Pass: true, NsPerInference: 3000000, Iterations: 10}},
	}
	js, _ := json.Marshal(pts)
	if err := os.WriteFile(filepath.Join(out, "points.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	return point, id
}

// TestDeployCLI: deploy a point directory, check the manifest names the candidate, verify
// the bundle, and see verify fail on a changed byte.
func TestDeployCLI(t *testing.T) {
	point, id := fakePoint(t)
	dir := filepath.Join(t.TempDir(), "bundle")
	out, _, err := runCLI(t, "deploy", point, "--target", "tc387:cpu2", "--toolchain", "tasking", "--out", dir, "--vectors", "2", "--spec", "../../examples/lenet/sweep.yaml")
	if err != nil || !strings.Contains(out, "wrote "+dir) {
		t.Fatalf("deploy: %v\n%s", err, out)
	}
	m, err := deploy.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Point.CandidateID != id || m.Point.Label != "gwp-1" || m.Toolchain != deploy.Tasking || m.TcdseVersion == "" {
		t.Errorf("manifest point %+v toolchain %s version %q", m.Point, m.Toolchain, m.TcdseVersion)
	}
	if len(m.SpecSHA256) != 64 {
		t.Errorf("spec sha256 %q", m.SpecSHA256)
	}
	if ms := m.Measured; ms == nil || ms.Source != "sweep" || ms.Board != "tc387" || ms.NsPerInference != 3000000 || ms.Cycles != 900000 {
		t.Errorf("measured from the sweep: %+v", ms)
	}
	if _, err := os.Stat(filepath.Join(dir, "tcdse_tc387_cpu2.lsl")); err != nil {
		t.Errorf("no LSL fragment: %v", err)
	}
	if out, _, err := runCLI(t, "deploy", "verify", dir); err != nil || !strings.Contains(out, "match the manifest") {
		t.Errorf("verify: %v\n%s", err, out)
	}
	path := filepath.Join(dir, "model.c")
	data, _ := os.ReadFile(path)
	data[100] ^= 0x20
	os.WriteFile(path, data, 0o644)
	if _, _, err := runCLI(t, "deploy", "verify", dir); err == nil || !strings.Contains(err.Error(), "changed: model.c") {
		t.Errorf("verify after a changed byte: %v", err)
	}
	// LeNet's weights do not fit CPU2's DSPR: refused with the numbers, bundled with --force.
	dir2 := filepath.Join(t.TempDir(), "b2")
	if _, _, err := runCLI(t, "deploy", point, "--weights", "dspr", "--out", dir2); err == nil || !strings.Contains(err.Error(), "DSPR of CPU2") {
		t.Errorf("weights in DSPR: %v", err)
	}
	if _, stderr, err := runCLI(t, "deploy", point, "--weights", "dspr", "--force", "--out", dir2); err != nil || !strings.Contains(stderr, "does not fit") {
		t.Errorf("--force: %v %s", err, stderr)
	}
}

// serveBoard starts a real NATS server and a board agent of class board with driver d for the
// test, and returns the server's URL.
func serveBoard(t *testing.T, board string, d hilbench.Driver) string {
	t.Helper()
	srv, nc := natstest.Start(t)
	agent, err := hilbench.NewFarmAgent(nc, hilbench.FarmAgentConfig{Name: board + "-1", Class: board, Driver: d, WorkDir: t.TempDir(), Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-agent.Ready()
	return srv.ClientURL()
}

// TestDeployValidateCommandBoard validates on a farm "command" board whose build is the
// bundle's `make host` and whose console is the example: the farm parses the example's
// result line, and its cycles land in the manifest.
func TestDeployValidateCommandBoard(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not found")
	}
	point, _ := fakePoint(t)
	drv := &hilbench.CommandDriver{Build: []string{"make", "-C", "{dir}", "host", "CC=gcc"}, Console: []string{"{dir}/tcdse_example"}}
	natsURL := serveBoard(t, "cmd-host", drv)
	dir := filepath.Join(t.TempDir(), "bundle")
	if out, _, err := runCLI(t, "--nats", natsURL, "deploy", point, "--toolchain", "gcc", "--out", dir, "--vectors", "2", "--validate", "cmd-host"); err != nil {
		t.Fatalf("deploy --validate cmd-host: %v\n%s", err, out)
	}
	m, err := deploy.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ms := m.Measured; ms == nil || !ms.Pass || ms.Board != "cmd-host" || ms.Cycles <= 0 || ms.CycleUnit != "cycles" {
		t.Errorf("measured: %+v", ms)
	}
}

// TestDeployValidate runs a bundle on a host board agent over a real NATS server and checks
// that the measurement lands in the manifest and verify still passes.
func TestDeployValidate(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not found")
	}
	point, _ := fakePoint(t)
	natsURL := serveBoard(t, "host", &hilbench.HostDriver{CC: "gcc"})
	dir := filepath.Join(t.TempDir(), "bundle")
	out, _, err := runCLI(t, "--nats", natsURL, "deploy", point, "--toolchain", "gcc", "--out", dir, "--vectors", "2", "--validate", "host")
	if err != nil || !strings.Contains(out, "validated on host") {
		t.Fatalf("deploy --validate: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(filepath.Join(dir, deploy.ManifestFile))
	var m deploy.Manifest
	if err := json.Unmarshal(data, &m); err != nil || m.Measured == nil || !m.Measured.Pass || m.Measured.Board != "host" || m.Measured.NsPerInference <= 0 || m.Measured.Cycles != 0 {
		t.Errorf("measured: %+v (%v)", m.Measured, err)
	}
	if _, _, err := runCLI(t, "deploy", "verify", dir); err != nil {
		t.Errorf("verify after validate: %v", err)
	}
	// The example's line is what the farm's command driver parses.
	cmd := exec.Command("make", "-s", "run", "CC=gcc")
	cmd.Dir = dir
	console, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make run: %v\n%s", err, console)
	}
	line, err := hilbench.ParseResultLine(console)
	if err != nil || !line.Pass || line.Vectors != 2 || line.Cycles <= 0 || line.CRC == "" {
		t.Errorf("result line %q: %+v, %v", console, line, err)
	}
}
