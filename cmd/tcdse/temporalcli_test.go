package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcdse/tcdse/workers"
)

// TestTemporalCLIStartsSweep follows the README's temporal CLI example on a machine whose
// workers share nothing with it: `tcdse put` stores the example's inputs and prints the
// references written in examples/lenet/sweep.json, the temporal CLI starts the sweep with that
// JSON, and `tcdse results` downloads the outputs with hash checks. A spec that still names a
// local path fails at once, naming the field and the fix. It needs bin/temporal (make tools).
func TestTemporalCLIStartsSweep(t *testing.T) {
	cli, err := filepath.Abs("../../bin/temporal")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cli); err != nil {
		t.Skip("bin/temporal not built (make tools)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	ts := startTestStack(ctx, t, dir)
	st := ts.st
	w, err := workers.Start(ctx, workers.Config{Client: ts.client, NATS: ts.nc, DataDir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	tcdse := func(args ...string) string {
		t.Helper()
		return runTcdse(ctx, t, append(args, "--temporal", st.TemporalHostPort(), "--namespace", st.Namespace(), "--nats", st.NATSURL())...)
	}
	temporal := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, cli, append(args, "--address", st.TemporalHostPort(), "--namespace", st.Namespace())...)
		b, err := cmd.CombinedOutput()
		return string(b), err
	}

	raw, err := os.ReadFile("../../examples/lenet/sweep.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	data := spec["data"].(map[string]any)
	refs := strings.Fields(tcdse("put", "../../testdata/examples/lenet/fyh620_lenet.onnx",
		"../../testdata/examples/mnist/t10k-1000-images-idx3-ubyte.gz", "../../testdata/examples/mnist/t10k-1000-labels-idx1-ubyte.gz"))
	if want := []any{spec["model"], data["images"], data["labels"]}; len(refs) != 3 || refs[0] != want[0] || refs[1] != want[1] || refs[2] != want[2] {
		t.Fatalf("tcdse put printed %q, examples/lenet/sweep.json names %q", refs, want)
	}

	if out, err := temporal("workflow", "start", "--task-queue", "tcdse", "--type", "Sweep", "--workflow-id", "cli-sweep", "--input", string(raw)); err != nil {
		t.Fatalf("temporal workflow start: %v\n%s", err, out)
	}
	if res, err := temporal("workflow", "result", "--workflow-id", "cli-sweep"); err != nil || !strings.Contains(res, "COMPLETED") {
		t.Fatalf("temporal workflow result: %v\n%s", err, res)
	}
	if list, _ := temporal("workflow", "list"); !strings.Contains(list, "cli-sweep") {
		t.Errorf("temporal workflow list does not show the sweep:\n%s", list)
	}
	out := filepath.Join(dir, "results")
	printed := tcdse("results", "cli-sweep", "--out", out)
	if !strings.Contains(printed, "Pareto front of lenet-mnist-cli") {
		t.Errorf("tcdse results printed:\n%s", printed)
	}
	for _, f := range []string{"front.json", "front.csv", "front.txt", "points.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	points, _ := filepath.Glob(filepath.Join(out, "points", "*", "model.c"))
	if len(points) != 2 {
		t.Errorf("%d points' model.c downloaded, want 2", len(points))
	}
	// deploy takes the workflow id and a point's label: it downloads the result and bundles the point.
	if len(points) > 0 {
		label := filepath.Base(filepath.Dir(points[0]))
		bundle := filepath.Join(dir, "bundle")
		if out := tcdse("deploy", "cli-sweep", label, "--toolchain", "gcc", "--force", "--results", filepath.Join(dir, "deploy-results"), "--out", bundle); !strings.Contains(out, bundle) {
			t.Errorf("tcdse deploy cli-sweep %s printed:\n%s", label, out)
		}
		if out := tcdse("deploy", "verify", bundle); !strings.Contains(out, "match the manifest") {
			t.Errorf("tcdse deploy verify printed:\n%s", out)
		}
		missing := exec.CommandContext(ctx, os.Args[0], "deploy", "cli-sweep", "no-such-point", "--results", filepath.Join(dir, "deploy-results"), "--out", filepath.Join(dir, "b2"),
			"--temporal", st.TemporalHostPort(), "--namespace", st.Namespace(), "--nats", st.NATSURL())
		missing.Env = append(os.Environ(), "TCDSE_TEST_AS_MAIN=1")
		if b, err := missing.CombinedOutput(); err == nil || !strings.Contains(string(b), label) {
			t.Errorf("deploy of a label without code: %v\n%s (want the labels that have code)", err, b)
		}
	}

	// The points.json listing names each file's sha256; the downloaded files match it.
	var listing struct {
		Code []struct {
			Outputs []struct {
				Path string `json:"path"`
				Ref  struct {
					Key string `json:"key"`
				} `json:"ref"`
			} `json:"outputs"`
		} `json:"code"`
	}
	pj, _ := os.ReadFile(filepath.Join(out, "points.json"))
	if err := json.Unmarshal(pj, &listing); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, c := range listing.Code {
		for _, o := range c.Outputs {
			b, err := os.ReadFile(filepath.Join(out, o.Path))
			sum := sha256.Sum256(b)
			if err != nil || hex.EncodeToString(sum[:]) != o.Ref.Key {
				t.Errorf("%s: %v, or its sha256 differs from the listing", o.Path, err)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Error("points.json lists no outputs")
	}

	// attach on a finished sweep shows its front and downloads it too; submitting its id
	// again says it finished instead of running it again.
	if out := tcdse("sweep", "attach", "cli-sweep", "--out", filepath.Join(dir, "attached")); !strings.Contains(out, "Pareto front of lenet-mnist-cli") {
		t.Errorf("tcdse sweep attach printed:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "attached", "front.json")); err != nil {
		t.Error(err)
	}
	again := exec.CommandContext(ctx, os.Args[0], "sweep", "--id", "cli-sweep", writeSmallSpec(t, dir),
		"--temporal", st.TemporalHostPort(), "--namespace", st.Namespace(), "--nats", st.NATSURL())
	again.Env = append(os.Environ(), "TCDSE_TEST_AS_MAIN=1")
	if b, err := again.CombinedOutput(); err == nil || !strings.Contains(string(b), "sweep cli-sweep already finished (completed)") || !strings.Contains(string(b), "tcdse results cli-sweep") {
		t.Errorf("resubmitting a finished sweep's id: %v\n%s", err, b)
	}

	// The same spec naming a local path: fails at once with the field and the fix.
	spec["model"] = "fyh620_lenet.onnx"
	local, _ := json.Marshal(spec)
	if out, err := temporal("workflow", "start", "--task-queue", "tcdse", "--type", "Sweep", "--workflow-id", "cli-local", "--input", string(local)); err != nil {
		t.Fatalf("temporal workflow start: %v\n%s", err, out)
	}
	res, err := temporal("workflow", "result", "--workflow-id", "cli-local")
	if err == nil || !strings.Contains(res, "model: ") || !strings.Contains(res, "tcdse put fyh620_lenet.onnx") {
		t.Errorf("a spec naming a local path: err %v, result:\n%s\nwant a failure naming model and tcdse put", err, res)
	}
}
