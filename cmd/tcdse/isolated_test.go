package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tcdse/tcdse/dataset"
)

// maxPayloadBytes bounds every event of a sweep's history: payloads carry references and
// small results, never the data.
const maxPayloadBytes = 64 << 10

// TestIsolatedWorkerSharesOnlyTemporalAndNATS runs a sweep whose worker lives in its own
// mount namespace with an empty tmpfs over the submitter's directory, on a data set of more
// than 50 MB, submitted with `tcdse sweep --detach` whose input files are deleted right after
// it returns. `tcdse results` must bring back every output, the front must be byte for byte
// the one `tcdse run` gives for the same spec on an ordinary worker, and no event of the
// sweep's history may exceed 64 KB.
func TestIsolatedWorkerSharesOnlyTemporalAndNATS(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for unshare -m and mount")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare (util-linux) not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dir := t.TempDir()
	ts := startTestStack(ctx, t, dir)
	st := ts.st
	sub := filepath.Join(dir, "submitter")
	specPath := writeBigSpec(t, sub)

	args := func(a ...string) []string {
		return append(a, "--temporal", st.TemporalHostPort(), "--namespace", st.Namespace(), "--nats", st.NATSURL())
	}
	tcdse := func(a ...string) string { t.Helper(); return runTcdse(ctx, t, args(a...)...) }

	// The worker: a private mount namespace in which the submitter's directory is an empty tmpfs.
	script := `mount -t tmpfs tmpfs "$1" && test -z "$(ls -A "$1")" && shift && exec "$@"`
	wargs := append([]string{"-m", "sh", "-c", script, "sh", sub, os.Args[0]},
		args("worker", "--data-dir", filepath.Join(dir, "isolated"), "--name", "isolated")...)
	worker := exec.CommandContext(ctx, "unshare", wargs...)
	worker.Env = append(os.Environ(), "TCDSE_TEST_AS_MAIN=1")
	worker.Stderr = os.Stderr
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { worker.Process.Kill(); worker.Wait() })

	started := tcdse("sweep", "--detach", "--id", "isolated", specPath)
	if !strings.Contains(started, "started workflow isolated") {
		t.Fatalf("tcdse sweep --detach printed:\n%s", started)
	}
	inputs := []string{"x.npy", "y.npy", "lenet.onnx"}
	saved := map[string][]byte{}
	for _, f := range inputs {
		saved[f], _ = os.ReadFile(filepath.Join(sub, f))
		if err := os.Remove(filepath.Join(sub, f)); err != nil {
			t.Fatal(err)
		}
	}
	res := filepath.Join(dir, "results")
	tcdse("results", "isolated", "--out", res)
	for _, f := range []string{"front.json", "front.csv", "front.txt", "points.json"} {
		if _, err := os.Stat(filepath.Join(res, f)); err != nil {
			t.Error(err)
		}
	}
	if trees, _ := filepath.Glob(filepath.Join(res, "points", "*", "model.c")); len(trees) != 1 {
		t.Errorf("%d points' C trees downloaded, want 1", len(trees))
	}
	checkPayloads(ctx, t, ts, "isolated")

	// The same spec through `tcdse run` on an ordinary worker with a cold cache.
	worker.Process.Kill()
	worker.Wait()
	for f, data := range saved {
		if err := os.WriteFile(filepath.Join(sub, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	startWorkerProcess(t, st, filepath.Join(dir, "plain"), "plain")
	tcdse("run", specPath)
	want, err := os.ReadFile(filepath.Join(sub, "out", "front.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(res, "front.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("front.json of the isolated sweep differs from tcdse run's:\n%s\n---\n%s", got, want)
	}
}

// checkPayloads fails the test if an event of the workflow's history is larger than
// maxPayloadBytes.
func checkPayloads(ctx context.Context, t *testing.T, ts *testStack, id string) {
	t.Helper()
	it := ts.client.GetWorkflowHistory(ctx, id, "", false, 0)
	n, largest := 0, 0
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		n++
		if size := proto.Size(ev); size > largest {
			largest = size
		}
		if size := proto.Size(ev); size > maxPayloadBytes {
			t.Errorf("history event %d (%s) is %d bytes, over %d", ev.EventId, ev.EventType, size, maxPayloadBytes)
		}
	}
	t.Logf("history of %s: %d events, the largest %d bytes", id, n, largest)
}

// writeBigSpec writes into dir a LeNet sweep spec whose data is the bundled MNIST test subset
// tiled 17 times as float32 .npy files (over 50 MB), and returns the spec's path.
func writeBigSpec(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ds, err := dataset.Load(dataset.Spec{Format: "mnist",
		Images: "../../testdata/examples/mnist/t10k-1000-images-idx3-ubyte.gz",
		Labels: "../../testdata/examples/mnist/t10k-1000-labels-idx1-ubyte.gz"})
	if err != nil {
		t.Fatal(err)
	}
	const tiles = 17
	n := ds.Len() * tiles
	var x bytes.Buffer
	writeNPYHeader(&x, "<f4", fmt.Sprintf("(%d, 1, 28, 28)", n))
	for range tiles {
		for _, v := range ds.X.Data {
			binary.Write(&x, binary.LittleEndian, math.Float32bits(v))
		}
	}
	if x.Len() < 50<<20 {
		t.Fatalf("data set is %d bytes, want at least 50 MB", x.Len())
	}
	var y bytes.Buffer
	writeNPYHeader(&y, "<i8", fmt.Sprintf("(%d,)", n))
	for range tiles {
		for _, l := range ds.Labels {
			binary.Write(&y, binary.LittleEndian, int64(l))
		}
	}
	model, err := os.ReadFile("../../testdata/examples/lenet/fyh620_lenet.onnx")
	if err != nil {
		t.Fatal(err)
	}
	spec := `name: big
model: lenet.onnx
data:
  format: npy
  path: x.npy
  labels: y.npy
  limit: 300
  normalize: {scale: 1, mean: 0.1307, std: 0.3081}
metric: top1
threshold: {relative: 0.98}
rates: [0.5, 0.9]
schedule: [1.0]
target: tc387:cpu2
generate: {max: 1}
hil: {board: host}
out: out
concurrency: 4
`
	for name, data := range map[string][]byte{"x.npy": x.Bytes(), "y.npy": y.Bytes(), "lenet.onnx": model, "sweep.yaml": []byte(spec)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "sweep.yaml")
}

// writeNPYHeader writes a version 1.0 .npy header for a C-order array.
func writeNPYHeader(w *bytes.Buffer, descr, shape string) {
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	pad := 64 - (10+len(h)+1)%64
	h += strings.Repeat(" ", pad%64) + "\n"
	w.WriteString("\x93NUMPY\x01\x00")
	binary.Write(w, binary.LittleEndian, uint16(len(h)))
	w.WriteString(h)
}
