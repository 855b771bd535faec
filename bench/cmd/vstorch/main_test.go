package main

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The PyTorch baseline and the Go interpreter compute the same function on the same inputs:
// the bundled LeNet (torch rebuilt from the ONNX initializers) and the ad01-shaped autoencoder
// (exported by torch, imported by Go). The served timing protocol answers with a rate.
func TestTorchAndGoAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("runs PyTorch")
	}
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import torch, onnx").Run(); err != nil {
		t.Skip("no torch/onnx in", python, err)
	}
	dir := t.TempDir()
	script := filepath.Join("..", "..", "torch_bench.py")
	ts, err := startTorch(python, []string{script, dir, "--batches", "8", "--serve", "--only", "lenet5_mnist,ae_mlp",
		"--repo", filepath.Join("..", "..", "..")})
	if err != nil {
		t.Fatal(err)
	}
	defer ts.close()
	for _, c := range []struct {
		name    string
		in, out []int
	}{{"lenet5_mnist", []int{1, 28, 28}, []int{10}}, {"ae_mlp", []int{640}, []int{640}}} {
		g, x, ref, err := loadCase(dir, c.name, c.in, c.out)
		if err != nil {
			t.Fatal(err)
		}
		if x.Shape[0] != 8 {
			t.Errorf("%s: %d input samples, want 8", c.name, x.Shape[0])
		}
		d, err := maxDiff(g, x, ref, 8)
		if err != nil || d > 1e-4 {
			t.Errorf("%s: max |Go − torch| = %g, %v", c.name, d, err)
		}
		if r, err := ts.time(c.name, 8, 10*time.Millisecond); err != nil || r <= 0 {
			t.Errorf("%s: torch rate %v, %v", c.name, r, err)
		}
		if r, err := timeGo(g, x, 8, 10*time.Millisecond); err != nil || r <= 0 {
			t.Errorf("%s: Go rate %v, %v", c.name, r, err)
		}
	}
	if _, err := ts.time("nosuch", 8, time.Millisecond); err == nil {
		t.Error("unknown model: no error from the torch server")
	}
}

func TestParseBatches(t *testing.T) {
	if b, err := parseBatches("64, 256"); err != nil || len(b) != 2 || b[0] != 64 || b[1] != 256 {
		t.Errorf("parseBatches = %v, %v", b, err)
	}
	for _, bad := range []string{"", "0", "64,x", "-1"} {
		if _, err := parseBatches(bad); err == nil {
			t.Errorf("parseBatches(%q): no error", bad)
		}
	}
}
