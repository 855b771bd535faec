package workflows_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/internal/natstest"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/report"
	"github.com/tcdse/tcdse/store"
	"github.com/tcdse/tcdse/workers"
	"github.com/tcdse/tcdse/workflows"
)

// lenetSpec is a small LeNet sweep over the bundled MNIST subset.
func lenetSpec(t *testing.T) explore.SweepSpec {
	root, err := filepath.Abs("../testdata/examples")
	if err != nil {
		t.Fatal(err)
	}
	return explore.SweepSpec{
		Name:  "lenet-test",
		Model: filepath.Join(root, "lenet/fyh620_lenet.onnx"),
		Data: dataset.Spec{
			Format: "mnist", Limit: 200,
			Images:    filepath.Join(root, "mnist/t10k-1000-images-idx3-ubyte.gz"),
			Labels:    filepath.Join(root, "mnist/t10k-1000-labels-idx1-ubyte.gz"),
			Normalize: dataset.Normalize{Scale: 1.0 / 255, Mean: 0.1307, Std: 0.3081},
		},
		Metric:    "top1",
		Threshold: explore.ThresholdSpec{Relative: 0.98},
		Rates:     []float64{0.5, 0.8, 0.95},
		Schedule:  []float64{0.5, 1.0},
		Target:    "tc387:cpu2",
		Generate:  explore.GenerateSpec{Max: 2},
		Out:       t.TempDir(),
		Vectors:   4,
	}
}

// newEnv returns a workflow test environment whose activities are the real ones, backed by an
// in-process NATS server with JetStream and a bbolt cache, plus a host board agent if gcc exists.
func newEnv(t *testing.T, withBoard bool) *testsuite.TestWorkflowEnvironment {
	var board *hilbench.FarmAgentConfig
	if withBoard {
		board = &hilbench.FarmAgentConfig{Name: "host-test", Class: "host", Driver: &hilbench.HostDriver{}, WorkDir: t.TempDir(), Concurrency: 1}
	}
	env, _ := newEnvWithBoard(t, board)
	return env
}

// newEnvWithBoard is newEnv with the given board agent (nil: none); it also returns the farm.
func newEnvWithBoard(t *testing.T, board *hilbench.FarmAgentConfig) (*testsuite.TestWorkflowEnvironment, *hilbench.Farm) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	// Real activities on a loaded 2-core machine: the environment's 3 s default wall-clock
	// limit, and the 1 s deadlock detector, are for mocked activities.
	env.SetTestTimeout(10 * time.Minute)
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: time.Minute})
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	objects, err := store.OpenObjects(ctx, js, workers.ArtifactBucket)
	if err != nil {
		t.Fatal(err)
	}
	cache, err := store.OpenEvalCache(filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	if board != nil {
		agent, err := hilbench.NewFarmAgent(nc, *board)
		if err != nil {
			t.Fatal(err)
		}
		actx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			if err := agent.Serve(actx); err != nil && actx.Err() == nil {
				t.Errorf("agent: %v", err)
			}
			close(done)
		}()
		<-agent.Ready()
		t.Cleanup(func() { cancel(); <-done })
	}
	farm, err := hilbench.OpenFarm(ctx, nc, hilbench.FarmConfig{})
	if err != nil {
		t.Fatal(err)
	}
	workers.Register(env, &activities.Activities{Objects: objects, Cache: cache, HIL: farm, Dir: t.TempDir()})
	envObjects[env] = objects
	t.Cleanup(func() { delete(envObjects, env) })
	return env, farm
}

// envObjects is the artifact store of each environment newEnv made.
var envObjects = map[*testsuite.TestWorkflowEnvironment]*store.Objects{}

// execute stores spec's inputs in env's artifact store, as tcdse sweep does, and runs the
// sweep with the references.
func execute(t *testing.T, env *testsuite.TestWorkflowEnvironment, spec explore.SweepSpec) {
	t.Helper()
	spec, err := activities.UploadInputs(context.Background(), envObjects[env], spec)
	if err != nil {
		t.Fatal(err)
	}
	env.ExecuteWorkflow(workflows.Sweep, spec)
}

func TestSweepLeNetEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real LeNet sweep")
	}
	_, err := exec.LookPath("gcc")
	withBoard := err == nil
	env := newEnv(t, withBoard)
	spec := lenetSpec(t)
	if withBoard {
		spec.HIL.Board = "host"
	}
	res := runSweepIn(t, env, spec)
	if res.Baseline.Quality < 0.9 {
		t.Errorf("baseline top-1 %.3f on 200 MNIST images, want >= 0.9", res.Baseline.Quality)
	}
	// 5 layers x 3 rates probes + 2 GWP steps + baseline.
	if got, want := len(res.Report.Points), 1+5*3+2; got != want {
		t.Errorf("%d points evaluated, want %d", got, want)
	}
	if len(res.Report.Front) < 2 {
		t.Errorf("front has %d points, want at least 2", len(res.Report.Front))
	}
	for _, p := range res.Report.Front {
		if !p.Fits {
			t.Errorf("front point %s does not fit: %s", p.Label, p.Reason)
		}
		for _, q := range res.Report.Points {
			if q.Fits && dominates(q, p) {
				t.Errorf("front point %s is dominated by %s", p.Label, q.Label)
			}
		}
	}
	for i := 1; i < len(res.Steps); i++ {
		if res.Steps[i].Sparsity <= res.Steps[i-1].Sparsity {
			t.Errorf("GWP step %d sparsity %.3f not above step %d's %.3f", i, res.Steps[i].Sparsity, i-1, res.Steps[i-1].Sparsity)
		}
	}
	if len(res.Code) != 2 {
		t.Fatalf("%d points generated, want 2", len(res.Code))
	}
	for _, gen := range res.Code {
		if _, err := os.Stat(filepath.Join(gen.Dir, "model.c")); err != nil {
			t.Errorf("point %s: %v", gen.Label, err)
		}
	}
	if withBoard {
		if len(res.Boards) != len(res.Code) {
			t.Fatalf("%d board runs for %d generated points", len(res.Boards), len(res.Code))
		}
		for _, b := range res.Boards {
			if !b.Built || !b.Pass {
				t.Errorf("board run %s: built=%v pass=%v err=%s", b.JobID, b.Built, b.Pass, b.Error)
			}
		}
	}
	if loaded, err := report.LoadDir(spec.Out); err != nil || len(loaded.Sensitivity) != len(res.Sensitivity) || loaded.WorkflowID == "" {
		t.Errorf("sweep-result.json: %v; %d layers' sensitivity (want %d), workflow id %q", err, len(loaded.Sensitivity), len(res.Sensitivity), loaded.WorkflowID)
	}
	for _, name := range []string{"front.json", "front.csv", "front.txt", "sweep-result.json", "report.html", "plots/front.svg", "plots/sensitivity.png"} {
		if _, err := os.Stat(filepath.Join(spec.Out, name)); err != nil {
			t.Error(err)
		}
	}
}

func TestSweepRejectsBadSpecBeforeWork(t *testing.T) {
	env := newEnv(t, false)
	spec := lenetSpec(t)
	spec.Rates = []float64{0.5, 1.2}
	spec.Schedule = nil
	env.ExecuteWorkflow(workflows.Sweep, spec)
	err := env.GetWorkflowError()
	if err == nil {
		t.Fatal("sweep with rates 1.2 and no schedule succeeded")
	}
	for _, want := range []string{"rates[1]", "schedule"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func dominates(a, b pareto.Point) bool {
	noWorse := a.Quality >= b.Quality && a.Cycles <= b.Cycles && a.ROMBytes <= b.ROMBytes && a.RAMBytes <= b.RAMBytes
	better := a.Quality > b.Quality || a.Cycles < b.Cycles || a.ROMBytes < b.ROMBytes || a.RAMBytes < b.RAMBytes
	return noWorse && better
}

// TestSweepRejectsThresholdTheBaselineFails sets an absolute threshold above the unpruned
// model's quality: the sweep must stop after the baseline with an error that says so, and run
// no sensitivity probe.
func TestSweepRejectsThresholdTheBaselineFails(t *testing.T) {
	env := newEnv(t, false)
	spec := lenetSpec(t)
	spec.Threshold.Relative, spec.Threshold.Absolute = 0, 0.999
	probes := 0
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == "Evaluate" {
			probes++
		}
	})
	execute(t, env, spec)
	err := env.GetWorkflowError()
	if err == nil {
		t.Fatal("sweep with a threshold the baseline fails succeeded")
	}
	if !strings.Contains(err.Error(), "already fails the threshold") {
		t.Errorf("error %q does not say the baseline fails the threshold", err)
	}
	if probes != 0 {
		t.Errorf("%d Evaluate activities ran after the baseline failed the threshold", probes)
	}
}

// TestSweepRejectsLocalPaths submits a spec that names files on the submitter's disk, as a
// user of the temporal CLI might: Import must fail at once, without retries, naming the field
// and the fix.
func TestSweepRejectsLocalPaths(t *testing.T) {
	env := newEnv(t, false)
	imports := 0
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == "Import" {
			imports++
		}
	})
	env.ExecuteWorkflow(workflows.Sweep, lenetSpec(t))
	err := env.GetWorkflowError()
	if err == nil {
		t.Fatal("a sweep naming local paths succeeded")
	}
	for _, want := range []string{"model: ", "fyh620_lenet.onnx", "tcdse put", "artifact://"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if imports != 1 {
		t.Errorf("Import ran %d times, want once (the error is not retryable)", imports)
	}
}
