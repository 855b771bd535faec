package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/tcdse/tcdse/devstack"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/workflows"
)

// TestMain lets the test binary act as the tcdse command, so the integration test can run a
// real worker process and kill it, without building a second binary.
func TestMain(m *testing.M) {
	if os.Getenv("TCDSE_TEST_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startWorkerProcess runs `tcdse worker` as a child process.
func startWorkerProcess(t *testing.T, st *devstack.Stack, dataDir, name string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "worker", "--temporal", st.TemporalHostPort(), "--nats", st.NATSURL(),
		"--data-dir", dataDir, "--name", name, "--concurrency", "2")
	cmd.Env = append(os.Environ(), "TCDSE_TEST_AS_MAIN=1")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

func integrationSpec(t *testing.T, out string) explore.SweepSpec {
	spec, err := explore.LoadSweepSpec("../../examples/lenet/sweep.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec.Name = "integration"
	spec.Data.Limit = 500
	spec.Rates = []float64{0.5, 0.8, 0.95}
	spec.Schedule = []float64{0.5, 1.0}
	spec.Generate.Max = 2
	spec.Out = out
	spec.Concurrency = 2
	return spec
}

// TestSweepSurvivesWorkerKill runs the same sweep twice on the real embedded Temporal server and
// NATS: once undisturbed, once with its worker process killed (SIGKILL) in the middle of the
// sensitivity phase and a new one started. Both must give the same front, and the generated
// code must pass on the host board.
func TestSweepSurvivesWorkerKill(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir := t.TempDir()
	ts := startTestStack(ctx, t, dir)
	st, c := ts.st, ts.client

	// Undisturbed run.
	w1 := startWorkerProcess(t, st, filepath.Join(dir, "w1"), "w1")
	calm := runSweep(ctx, t, ts, integrationSpec(t, filepath.Join(dir, "out-calm")), "calm", nil)
	w1.Process.Kill()
	w1.Wait()

	// Disturbed run: a fresh cache, so the restarted worker really recomputes what was lost.
	w2 := startWorkerProcess(t, st, filepath.Join(dir, "w2"), "w2")
	killed := false
	crash := func(p workflows.Progress) {
		if !killed && p.Phase == "sensitivity" && p.Done >= 3 {
			if err := w2.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			w2.Wait()
			killed = true
			t.Logf("killed worker at %d/%d (%s)", p.Done, p.Total, p.Phase)
			startWorkerProcess(t, st, filepath.Join(dir, "w2"), "w2")
		}
	}
	stormy := runSweep(ctx, t, ts, integrationSpec(t, filepath.Join(dir, "out-stormy")), "stormy", crash)
	if !killed {
		t.Fatal("the sweep ended before the worker could be killed")
	}
	if !reflect.DeepEqual(frontIDs(calm.Report.Front), frontIDs(stormy.Report.Front)) {
		t.Errorf("fronts differ:\ncalm   %v\nstormy %v", frontIDs(calm.Report.Front), frontIDs(stormy.Report.Front))
	}
	for i := range calm.Report.Front {
		if i < len(stormy.Report.Front) && !samePoint(calm.Report.Front[i], stormy.Report.Front[i]) {
			t.Errorf("front point %d differs: %+v vs %+v", i, calm.Report.Front[i], stormy.Report.Front[i])
		}
	}
	if len(calm.Report.Front) < 3 {
		t.Errorf("front has %d points, want at least 3", len(calm.Report.Front))
	}
	for _, b := range append(calm.Boards, stormy.Boards...) {
		if !b.Pass {
			t.Errorf("board run %s failed: %s", b.JobID, b.Error)
		}
	}
	// The sweeps are visible to `temporal workflow list`, which calls ListWorkflowExecutions.
	list, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: st.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	completed := 0
	for _, e := range list.Executions {
		if e.Type.Name == "Sweep" && e.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
			completed++
		}
	}
	if completed != 2 {
		t.Errorf("ListWorkflowExecutions shows %d completed sweeps, want 2", completed)
	}
}

func runSweep(ctx context.Context, t *testing.T, ts *testStack, spec explore.SweepSpec, id string, watch func(workflows.Progress)) *workflows.SweepResult {
	t.Helper()
	c := ts.client
	run, err := submit(ctx, c, ts.objs, "default", spec, id)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var res workflows.SweepResult
	go func() { done <- run.Get(ctx, &res) }()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("sweep %s: %v", id, err)
			}
			return &res
		case <-tick.C:
			if watch == nil {
				continue
			}
			qctx, qcancel := context.WithTimeout(ctx, 2*time.Second)
			v, err := c.QueryWorkflow(qctx, id, "", workflows.ProgressQuery)
			qcancel()
			if err != nil {
				continue
			}
			var p workflows.Progress
			if v.Get(&p) == nil {
				watch(p)
			}
		}
	}
}

func frontIDs(ps []pareto.Point) []string {
	var ids []string
	for _, p := range ps {
		ids = append(ids, fmt.Sprintf("%s q=%.6f c=%d", p.Label, p.Quality, p.Cycles))
	}
	return ids
}

func samePoint(a, b pareto.Point) bool {
	return a.ID == b.ID && a.Quality == b.Quality && a.Cycles == b.Cycles && a.ROMBytes == b.ROMBytes && a.RAMBytes == b.RAMBytes
}
