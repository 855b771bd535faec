package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcdse/tcdse/workers"
)

// TestTemporalCLIStartsSweep starts a sweep the way a user of the temporal CLI would, with the
// JSON spec as --input, against the embedded stack, and checks that it completes and is listed.
// It needs bin/temporal (make tools).
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

	// The example JSON spec, with its base_dir made absolute and its output in the temp dir.
	raw, err := os.ReadFile("../../examples/lenet/sweep.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	base, _ := filepath.Abs("../../examples/lenet")
	out := filepath.Join(dir, "out")
	spec["base_dir"], spec["out"] = base, out
	input, _ := json.Marshal(spec)

	temporal := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, cli, append(args, "--address", st.TemporalHostPort(), "--namespace", st.Namespace())...)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("temporal %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		return string(b)
	}
	temporal("workflow", "start", "--task-queue", "tcdse", "--type", "Sweep", "--workflow-id", "cli-sweep", "--input", string(input))
	res := temporal("workflow", "result", "--workflow-id", "cli-sweep")
	if !strings.Contains(res, "COMPLETED") {
		t.Fatalf("temporal workflow result:\n%s", res)
	}
	if list := temporal("workflow", "list"); !strings.Contains(list, "cli-sweep") {
		t.Errorf("temporal workflow list does not show the sweep:\n%s", list)
	}
	for _, f := range []string{"front.json", "front.csv", "points.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}
