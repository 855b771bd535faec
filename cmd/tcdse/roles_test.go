package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSweepWaitsForAnEvalWorker starts a sweep with workers for every role but eval: the
// sweep's progress must say that it waits for an eval worker, and a worker started with
// --roles eval must then carry it to its end.
func TestSweepWaitsForAnEvalWorker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	ts := startTestStack(ctx, t, dir)
	st := ts.st
	flags := []string{"--temporal", st.TemporalHostPort(), "--namespace", st.Namespace(), "--nats", st.NATSURL()}
	startRoles := func(name, roles string) {
		cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"worker", "--roles", roles, "--name", name, "--data-dir", filepath.Join(dir, name)}, flags...)...)
		cmd.Env = append(os.Environ(), "TCDSE_TEST_AS_MAIN=1")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	}
	startRoles("rest", "workflow,codegen,board")

	spec := writeSmallSpec(t, dir)
	sweep := exec.CommandContext(ctx, os.Args[0], append([]string{"sweep", spec}, flags...)...)
	sweep.Env = append(os.Environ(), "TCDSE_TEST_AS_MAIN=1")
	stderr, err := sweep.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sweep.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	waited := false
	for sc.Scan() {
		line := sc.Text()
		t.Log(line)
		if !waited && strings.Contains(line, "waiting for an eval worker") && strings.Contains(line, "tcdse-eval") {
			waited = true
			startRoles("eval", "eval")
		}
	}
	if err := sweep.Wait(); err != nil {
		t.Fatalf("tcdse sweep: %v", err)
	}
	if !waited {
		t.Fatal("the sweep never said it was waiting for an eval worker")
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "front.json")); err != nil {
		t.Error(err)
	}
}

// writeSmallSpec writes a small LeNet sweep (100 MNIST images, one rate, one GWP step, one
// generated point, no board) into dir, with its outputs in dir/out, and returns its path.
func writeSmallSpec(t *testing.T, dir string) string {
	t.Helper()
	spec := filepath.Join(dir, "sweep.yaml")
	root, _ := filepath.Abs("../../testdata/examples")
	err := os.WriteFile(spec, []byte(`name: small
model: `+root+`/lenet/fyh620_lenet.onnx
data: {format: mnist, images: `+root+`/mnist/t10k-1000-images-idx3-ubyte.gz, labels: `+root+`/mnist/t10k-1000-labels-idx1-ubyte.gz, limit: 100,
  normalize: {scale: 0.00392156862745098, mean: 0.1307, std: 0.3081}}
metric: top1
threshold: {relative: 0.9}
rates: [0.5]
schedule: [1.0]
target: tc387:cpu2
generate: {max: 1}
out: `+filepath.Join(dir, "out")+`
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}
