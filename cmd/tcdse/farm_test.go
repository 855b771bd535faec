package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/internal/natstest"
	"github.com/tcdse/tcdse/model"
)

// TestFarmCommands runs `tcdse agent --config` (a sim board, in-process) and steers it with
// `tcdse farm`: boards and status show it, drain shows it draining, undrain idle again, and
// validate --board CLASS runs a generated tree on it as an interactive job.
func TestFarmCommands(t *testing.T) {
	s, _ := natstest.Start(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "sim.yaml")
	if err := os.WriteFile(config, []byte("name: cli-sim\nclass: cli-sim\nheartbeat_seconds: 0.2\npoll_seconds: 0.1\ndriver: {kind: sim, target: tc387:cpu2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		root := newRoot()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(append([]string{"--nats", s.ClientURL(), "--data-dir", dir}, args...))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := root.ExecuteContext(ctx); err != nil {
			t.Fatalf("tcdse %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}
	actx, cancel := context.WithCancel(context.Background())
	agentDone := make(chan struct{})
	go func() {
		defer close(agentDone)
		root := newRoot()
		root.SetArgs([]string{"--nats", s.ClientURL(), "--data-dir", dir, "agent", "--config", config})
		_ = root.ExecuteContext(actx)
	}()
	t.Cleanup(func() { cancel(); <-agentDone })
	waitState := func(want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			out := run("farm", "boards")
			if strings.Contains(out, "cli-sim") && strings.Contains(out, " "+want+" ") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("board not %s:\n%s", want, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitState(string(hilbench.StateIdle))
	if out := run("farm", "status"); !strings.Contains(out, "cli-sim: boards 1 idle") {
		t.Errorf("status:\n%s", out)
	}
	run("farm", "drain", "cli-sim")
	waitState(string(hilbench.StateDraining))
	run("farm", "undrain", "cli-sim")
	waitState(string(hilbench.StateIdle))

	// A generated tree with its graph (model.tcdse), which a sim board prices.
	g, err := model.LoadFile("../../model/testdata/fixtures/mlp.onnx")
	if err != nil {
		t.Fatal(err)
	}
	g.Outputs = g.Outputs[:1]
	packed, err := hilbench.PackGraph(g, "", 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(dir, "tree")
	if err := hilbench.Unpack(packed, tree); err != nil {
		t.Fatal(err)
	}
	if out := run("validate", tree, "--board", "cli-sim", "--timeout", "30s"); !strings.Contains(out, `"pass":true`) {
		t.Errorf("validate on the farm:\n%s", out)
	}
	if out := run("farm", "jobs"); !strings.Contains(out, "validate") || !strings.Contains(out, "sim-cycles") {
		t.Errorf("jobs:\n%s", out)
	}
}
