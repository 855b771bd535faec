package workflows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/store"
)

// The Sweep workflow's branches with mocked activities (OnActivity): fast, no NATS, no model.
// sweep_test.go runs the same workflow end to end on the real activities.

// fakeSweep records what the mocked activities were asked.
type fakeSweep struct {
	mu    sync.Mutex
	evals []activities.EvalInput
	gens  []activities.GenerateInput
	runs  []activities.BoardInput
}

// fakeQuality is the fake score of a candidate: 0.98, minus 0.04 times each layer's rate,
// minus 0.001 for int8.
func fakeQuality(in activities.EvalInput) float64 {
	q := 0.98
	for _, r := range in.Rates {
		q -= 0.04 * r
	}
	if in.Quantize != nil {
		q -= 0.001
	}
	return q
}

func fakeImport() activities.ImportResult {
	return activities.ImportResult{
		Model: store.Ref{Bucket: "b", Key: "base"}, ModelHash: "h-base", Data: store.Ref{Bucket: "b", Key: "data"}, Samples: 100,
		Layers:             []activities.LayerInfo{{Name: "conv", Op: "Conv", Params: 100}, {Name: "fc", Op: "Gemm", Params: 1000}},
		UnstructuredLayers: []activities.LayerInfo{{Name: "conv", Op: "Conv", Params: 50}, {Name: "fc", Op: "Gemm", Params: 500}},
		Baseline:           activities.Evaluation{CandidateID: "base", Label: "baseline", Quality: 0.98, Cycles: 1000, ROMBytes: 4000, RAMBytes: 1000, Fits: true},
	}
}

// newBranchEnv mocks the four activities; evaluations are deterministic functions of the input.
func newBranchEnv(t *testing.T, f *fakeSweep, imp activities.ImportResult, importErr error) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	// A loaded CI machine can hold the first workflow task past the 1 s deadlock detector.
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: time.Minute})
	env.RegisterWorkflow(Sweep)
	env.RegisterActivity(&activities.Activities{})
	env.OnActivity(a.Import, mock.Anything, mock.Anything).Return(imp, importErr)
	env.OnActivity(a.Evaluate, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.EvalInput) (activities.Evaluation, error) {
		f.mu.Lock()
		f.evals = append(f.evals, in)
		f.mu.Unlock()
		q := fakeQuality(in)
		ev := activities.Evaluation{
			CandidateID: "id-" + in.Label, Label: in.Label, Rates: in.Rates, Quality: q,
			Cycles: int64(1000 * q), ROMBytes: int64(4000 * q), RAMBytes: 1000, Fits: true,
		}
		if in.Keep {
			ev.Model, ev.ModelHash = &store.Ref{Bucket: "b", Key: "m-" + in.Label}, "h-"+in.Label
		}
		return ev, nil
	})
	env.OnActivity(a.Generate, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.GenerateInput) (activities.GenerateResult, error) {
		f.mu.Lock()
		f.gens = append(f.gens, in)
		f.mu.Unlock()
		return activities.GenerateResult{Label: in.Label, Code: store.Ref{Bucket: "b", Key: "code-" + in.Label},
			Outputs: []activities.Output{{Path: "points/" + in.Label + "/model.c", Ref: store.Ref{Bucket: "b", Key: "c-" + in.Label}}}}, nil
	})
	env.OnActivity(a.RunOnBoard, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.BoardInput) (hilbench.RunResult, error) {
		f.mu.Lock()
		f.runs = append(f.runs, in)
		f.mu.Unlock()
		return hilbench.RunResult{Board: in.Board, Built: true, Pass: true}, nil
	})
	env.OnActivity(a.WriteReport, mock.Anything, mock.Anything).Return([]string{"front.json"}, nil)
	env.OnActivity(a.StoreReport, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ReportInput) (activities.StoreReportResult, error) {
		if in.OutDir != "" {
			return activities.StoreReportResult{}, fmt.Errorf("StoreReport got out_dir %q: workers must not write the submitter's paths", in.OutDir)
		}
		return activities.StoreReportResult{Outputs: []activities.Output{{Path: "front.json", Ref: store.Ref{Bucket: "b", Key: "front"}}}}, nil
	})
	return env
}

func branchSpec() explore.SweepSpec {
	return explore.SweepSpec{
		Name: "branches", Model: "m.onnx", Data: explore.SweepSpec{}.Data, Metric: "top1",
		Threshold: explore.ThresholdSpec{Relative: 0.99}, Rates: []float64{0.25, 0.5, 0.75},
		Schedule: []float64{0.5, 1, 2}, Target: "tc387:cpu2", Out: "out", Concurrency: 2,
	}
}

func runBranches(t *testing.T, spec explore.SweepSpec, imp activities.ImportResult, importErr error) (*fakeSweep, *SweepResult, error) {
	t.Helper()
	spec.Data.Format = "mnist"
	f := &fakeSweep{}
	env := newBranchEnv(t, f, imp, importErr)
	env.ExecuteWorkflow(Sweep, spec)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		return f, nil, err
	}
	var res SweepResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return f, &res, nil
}

func labels(ins []activities.EvalInput) []string {
	var out []string
	for _, in := range ins {
		out = append(out, in.Label)
	}
	return out
}

func TestSweepBranchFloorStopsTheWalkAndSkipsInt8BelowIt(t *testing.T) {
	spec := branchSpec()
	// Probes score 0.98-0.04r: with the bound 0.955, rate 0.5 (0.96) passes and 0.75 (0.95) fails.
	spec.Threshold = explore.ThresholdSpec{Absolute: 0.955}
	spec.Floor = 0.97 // 0.9506: gwp-0.5 (both layers at 0.25: 0.96) is above, gwp-1 (0.94) below
	spec.Quantize = &explore.QuantizeSpec{Calibration: "minmax", Samples: 10}
	f, res, err := runBranches(t, spec, fakeImport(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(res.Sensitivity); got != 2 {
		t.Fatalf("sensitivity of %d layers, want 2", got)
	}
	for layer, s := range res.Sensitivity {
		if s.MaxRate != 0.5 {
			t.Errorf("%s: max rate %v, want 0.5", layer, s.MaxRate)
		}
	}
	// gwp-0.5: both at 0.25 -> 0.96 (above 0.9506); gwp-1: both at 0.5 -> 0.94 below: stop.
	var steps []string
	for _, s := range res.Steps {
		steps = append(steps, s.Label)
	}
	if strings.Join(steps, ",") != "gwp-0.5,gwp-1" {
		t.Fatalf("steps %v, want the walk to stop at gwp-1", steps)
	}
	if len(res.Int8) != 1 || res.Int8[0].Label != "gwp-0.5-int8" {
		t.Fatalf("int8 points %+v, want only gwp-0.5-int8 (gwp-1 is below the floor)", res.Int8)
	}
	// The second step starts from the first step's kept model, and is fine-tuned as specified (none).
	for _, in := range f.evals {
		if in.Label == "gwp-1" && in.Model.Key != "m-gwp-0.5" {
			t.Errorf("gwp-1 starts from %q, want the model of gwp-0.5", in.Model.Key)
		}
		if in.Label == "gwp-0.5-int8" && (in.Quantize == nil || in.Model.Key != "m-gwp-0.5") {
			t.Errorf("gwp-0.5-int8: %+v, want the quantized model of gwp-0.5", in)
		}
	}
	for _, p := range res.Report.Points {
		if p.Label == "gwp-1" && (p.Fits || !strings.Contains(p.Reason, "floor")) {
			t.Errorf("gwp-1 below the floor: fits=%v reason=%q", p.Fits, p.Reason)
		}
	}
	if len(f.runs) != 0 {
		t.Errorf("%d board runs without hil.board", len(f.runs))
	}
}

func TestSweepBranchUnstructuredPhaseProbesTheLastStructuredModel(t *testing.T) {
	spec := branchSpec()
	spec.Threshold = explore.ThresholdSpec{Absolute: 0.955}
	spec.Schedule = []float64{0.5, 1}
	spec.Floor = 0.97
	spec.GWP = &explore.GWPSpec{Structured: true, Norm: "l1", UnstructuredSchedule: []float64{0.5, 1}}
	f, res, err := runBranches(t, spec, fakeImport(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var uProbes, uSteps int
	for _, in := range f.evals {
		switch {
		case strings.HasPrefix(in.Label, "u-"):
			uProbes++
			if in.Model.Key != "m-gwp-0.5" || !in.Keep || in.Pruning != nil {
				t.Errorf("%s: model %q keep %v pruning %+v; want the last structured step's model, kept, unstructured", in.Label, in.Model.Key, in.Keep, in.Pruning)
			}
		case strings.HasPrefix(in.Label, "gwp-u-"):
			uSteps++
		case strings.Contains(in.Label, "@"):
			if in.Pruning == nil || !in.Pruning.Structured || !in.Keep {
				t.Errorf("%s: first-phase probes of a structured sweep are structured and kept: %+v", in.Label, in.Pruning)
			}
		}
	}
	if uProbes != 2*len(spec.Rates) {
		t.Errorf("%d unstructured probes, want %d", uProbes, 2*len(spec.Rates))
	}
	if uSteps == 0 || len(res.UnstructuredSensitivity) != 2 {
		t.Errorf("unstructured steps %d, sensitivity %v", uSteps, res.UnstructuredSensitivity)
	}
	// The unstructured steps start from the structured model and then from each other.
	prev := "m-gwp-0.5"
	for _, in := range f.evals {
		if strings.HasPrefix(in.Label, "gwp-u-") {
			if in.Model.Key != prev {
				t.Errorf("%s starts from %q, want %q", in.Label, in.Model.Key, prev)
			}
			prev = "m-" + in.Label
		}
	}
}

func TestSweepBranchBoardRunsEveryGeneratedPoint(t *testing.T) {
	spec := branchSpec()
	spec.Threshold = explore.ThresholdSpec{Absolute: 0.955}
	spec.HIL.Board = "host"
	spec.Generate.Max = 2
	f, res, err := runBranches(t, spec, fakeImport(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.gens) != 2 || len(f.runs) != 2 || len(res.Boards) != 2 {
		t.Fatalf("generated %d, ran %d, results %d; want 2 each", len(f.gens), len(f.runs), len(res.Boards))
	}
	// Board jobs may run at once and finish in any order: match them by label.
	generated := map[string]bool{}
	for _, g := range f.gens {
		generated[g.Label] = true
	}
	for _, run := range f.runs {
		if !generated[run.Label] || run.Code.Key != "code-"+run.Label || run.TimeoutSeconds != 300 {
			t.Errorf("board run %+v: want a generated tree (%v) with its own code and the default timeout", run, generated)
		}
		delete(generated, run.Label)
	}
}

func TestSweepBranchBadSpecIsNotRetriedAndRunsNothing(t *testing.T) {
	spec := branchSpec()
	spec.Rates = []float64{0.5, 0.3}
	spec.Target = ""
	f, _, err := runBranches(t, spec, fakeImport(), nil)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != ErrBadSpec || !appErr.NonRetryable() {
		t.Fatalf("error %v, want a non-retryable %s", err, ErrBadSpec)
	}
	for _, want := range []string{"rates", "target"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if len(f.evals) != 0 {
		t.Errorf("%d evaluations for a bad spec", len(f.evals))
	}
}

func TestSweepBranchImportFailureEndsTheSweep(t *testing.T) {
	spec := branchSpec()
	importErr := temporal.NewNonRetryableApplicationError("model: not a valid ONNX model", "BadInput", nil)
	f, _, err := runBranches(t, spec, fakeImport(), importErr)
	if err == nil || !strings.Contains(err.Error(), "not a valid ONNX model") {
		t.Fatalf("error %v, want the import's", err)
	}
	if len(f.evals) != 0 {
		t.Errorf("%d evaluations after a failed import", len(f.evals))
	}
}

func TestSweepBranchProbeFailureStopsFanOut(t *testing.T) {
	spec := branchSpec()
	spec.Concurrency = 1
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: time.Minute})
	env.RegisterActivity(&activities.Activities{})
	env.OnActivity(a.Import, mock.Anything, mock.Anything).Return(fakeImport(), nil)
	calls := 0
	env.OnActivity(a.Evaluate, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.EvalInput) (activities.Evaluation, error) {
		calls++
		return activities.Evaluation{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: boom", in.Label), "BadInput", nil)
	})
	spec.Data.Format = "mnist"
	env.ExecuteWorkflow(Sweep, spec)
	if err := env.GetWorkflowError(); err == nil || !strings.Contains(err.Error(), "conv@0.25: boom") {
		t.Fatalf("error %v, want the first probe's", err)
	}
	if calls != 1 {
		t.Errorf("%d probes started after the first failed with concurrency 1", calls)
	}
}

// TestSweepListsOutputsByReference: a new sweep stores its report instead of writing the
// spec's out directory, and its result lists the report's and every point's outputs.
func TestSweepListsOutputsByReference(t *testing.T) {
	_, res, err := runBranches(t, branchSpec(), fakeImport(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 0 {
		t.Errorf("result lists paths %v written on a worker", res.Files)
	}
	if len(res.Outputs) != 1+len(res.Code) || res.Outputs[0].Path != "front.json" {
		t.Fatalf("outputs %+v, want front.json then one file per point of %d", res.Outputs, len(res.Code))
	}
	for i, gen := range res.Code {
		if got := res.Outputs[1+i].Path; got != "points/"+gen.Label+"/model.c" {
			t.Errorf("output %d is %s, want point %s's model.c", 1+i, got, gen.Label)
		}
	}
}
