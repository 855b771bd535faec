package workflows_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/workflows"
)

// fakeSweeps is a Sweep stand-in for the campaign's unit tests: each sweep "evaluates" points
// candidates over duration of workflow time (less when its budget is smaller), and on a stop
// signal returns at once with what it has.
type fakeSweeps struct {
	points   int
	duration time.Duration

	mu      sync.Mutex
	running int
	peak    int
	specs   []explore.SweepSpec
	stopped int
}

func (f *fakeSweeps) sweep(ctx workflow.Context, spec explore.SweepSpec) (*workflows.SweepResult, error) {
	f.mu.Lock()
	f.running++
	f.peak = max(f.peak, f.running)
	f.specs = append(f.specs, spec)
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.running--; f.mu.Unlock() }()
	n := f.points
	if spec.MaxEvaluations > 0 {
		n = min(n, spec.MaxEvaluations)
	}
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(workflow.NewTimer(ctx, f.duration), func(workflow.Future) {})
	sel.AddReceive(workflow.GetSignalChannel(ctx, workflows.StopSignal), func(ch workflow.ReceiveChannel, _ bool) {
		ch.Receive(ctx, nil)
		n = max(1, n/2)
		f.mu.Lock()
		f.stopped++
		f.mu.Unlock()
	})
	sel.Select(ctx)
	base := pareto.Point{ID: "dense", Label: "dense", Quality: 0.99, Cycles: 1000, ROMBytes: 5000, RAMBytes: 1000, Fits: true}
	rep := pareto.Report{Metric: spec.Metric, HigherIsBetter: true, Target: spec.Target, ClockMHz: 300, Baseline: base}
	for i := 0; i < n; i++ {
		rep.Points = append(rep.Points, pareto.Point{ID: fmt.Sprint(i), Label: fmt.Sprintf("p%d", i), Quality: 0.99 - 0.001*float64(i),
			Cycles: int64(1000 - i), ROMBytes: int64(5000 - 10*i), RAMBytes: 1000, Fits: true})
	}
	rep.Front = pareto.Front(rep.Points, true)
	res := &workflows.SweepResult{Name: spec.Name, Baseline: activities.Evaluation{Quality: 0.99}, Report: rep, Evaluations: n}
	if targets := spec.PricedTargets(nil); len(targets) > 1 {
		for _, tg := range targets {
			r := rep
			r.Target = tg
			res.TargetReports = append(res.TargetReports, r)
		}
	}
	return res, nil
}

// campaignSpec is a synthetic campaign of models × targets (nothing is read from disk).
func campaignSpec(t *testing.T, models int, targets ...string) explore.CampaignSpec {
	c := explore.CampaignSpec{Name: "unit", Out: t.TempDir(), Targets: targets,
		Sweep: explore.SweepSpec{Rates: []float64{0.5}, Schedule: []float64{1}, Metric: "top1", Threshold: explore.ThresholdSpec{Relative: 0.98}}}
	for i := 0; i < models; i++ {
		c.Models = append(c.Models, explore.SweepSpec{Name: fmt.Sprintf("m%03d", i), Model: "m.onnx", Data: dataset.Spec{Format: "mnist"}})
	}
	return c
}

func newCampaignEnv(f *fakeSweeps) *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(workflows.Campaign, workflow.RegisterOptions{Name: "Campaign"})
	env.RegisterWorkflowWithOptions(f.sweep, workflow.RegisterOptions{Name: "Sweep"})
	env.RegisterActivity(&activities.Activities{})
	return env
}

func campaignResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.CampaignResult {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("campaign did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.CampaignResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestCampaignSlidingWindow(t *testing.T) {
	f := &fakeSweeps{points: 10, duration: time.Hour}
	env := newCampaignEnv(f)
	spec := campaignSpec(t, 3, "tc387:cpu2", "tc327:cpu0")
	spec.Concurrency = 2
	spec.Models = append(spec.Models, spec.Models[0], spec.Models[0])
	spec.Models[3].Name, spec.Models[4].Name = "m003", "m004"
	env.ExecuteWorkflow(workflows.Campaign, spec, (*workflows.CampaignState)(nil))
	res := campaignResult(t, env)
	if f.peak != 2 {
		t.Errorf("at most %d sweeps ran at once, want the window of 2", f.peak)
	}
	if len(f.specs) != 5 || len(res.Outcomes) != 10 {
		t.Fatalf("%d sweeps started, %d outcomes; want 5 sweeps (one per model, both targets) and 10 outcomes", len(f.specs), len(res.Outcomes))
	}
	var s explore.SweepSpec
	for _, x := range f.specs {
		if x.Name == "m000" {
			s = x
		}
	}
	if s.Target != "tc387:cpu2" || len(s.Targets) != 1 || s.Targets[0] != "tc327:cpu0" || s.Out != filepath.Join(spec.Out, "m000") || s.Metric != "top1" || s.Rates[0] != 0.5 {
		t.Errorf("m000's spec %+v", s)
	}
	if res.Summary.Partial || res.Summary.Evaluations != 50 || len(res.Summary.Rows) != 10 {
		t.Errorf("summary %+v", res.Summary)
	}
	for _, o := range res.Outcomes {
		if o.State != pareto.StateDone || !o.HasBound || o.Report.Points != nil {
			t.Errorf("outcome %s %s: state %s bound %v, points kept %d", o.Model, o.Target, o.State, o.HasBound, len(o.Report.Points))
		}
	}
	if _, err := os.Stat(filepath.Join(spec.Out, activities.SummaryText)); err != nil {
		t.Error(err)
	}
}

// TestCampaignBudget: 4 sweeps of 10 candidates with a budget of 25 share it out (6 each at
// first); the campaign never exceeds it, and the sweeps it could not start are "not run".
func TestCampaignBudget(t *testing.T) {
	f := &fakeSweeps{points: 10, duration: time.Hour}
	env := newCampaignEnv(f)
	spec := campaignSpec(t, 4, "tc387:cpu2")
	spec.Concurrency = 1
	spec.Budget.MaxEvaluations = 25
	env.ExecuteWorkflow(workflows.Campaign, spec, (*workflows.CampaignState)(nil))
	res := campaignResult(t, env)
	if res.Summary.Evaluations > 25 {
		t.Errorf("%d evaluations, budget 25", res.Summary.Evaluations)
	}
	var allots []int
	for _, s := range f.specs {
		allots = append(allots, s.MaxEvaluations)
	}
	if fmt.Sprint(allots) != "[6 6 6 7]" {
		t.Errorf("budgets given to the sweeps %v, want [6 6 6 7] (25/4, then what is left)", allots)
	}
	if !res.Summary.Partial && res.Summary.Evaluations < 25 {
		t.Errorf("summary not partial: %+v", res.Summary)
	}
	spec.Budget.MaxEvaluations = 2 // less than one per sweep: the first gets it all, the rest do not run
	f2 := &fakeSweeps{points: 10, duration: time.Hour}
	env = newCampaignEnv(f2)
	env.ExecuteWorkflow(workflows.Campaign, spec, (*workflows.CampaignState)(nil))
	res = campaignResult(t, env)
	if len(f2.specs) != 1 || f2.specs[0].MaxEvaluations != 2 || res.Summary.Reason != workflows.EndedBudget || res.Outcomes[3].State != pareto.StateNotRun {
		t.Errorf("budget 2: %d sweeps started, reason %q, last outcome %+v", len(f2.specs), res.Summary.Reason, res.Outcomes[3])
	}
}

// TestCampaignDeadlineStopsRunningSweeps: sweeps take 2 h each, the deadline is 3 h: the
// second sweep is stopped (and returns what it has), the rest never start.
func TestCampaignDeadlineStopsRunningSweeps(t *testing.T) {
	f := &fakeSweeps{points: 10, duration: 2 * time.Hour}
	env := newCampaignEnv(f)
	spec := campaignSpec(t, 4, "tc387:cpu2")
	spec.Concurrency = 1
	spec.Budget.Deadline = "3h"
	env.ExecuteWorkflow(workflows.Campaign, spec, (*workflows.CampaignState)(nil))
	res := campaignResult(t, env)
	if f.stopped != 1 || len(f.specs) != 2 {
		t.Errorf("%d sweeps started, %d stopped; want 2 and 1", len(f.specs), f.stopped)
	}
	if !res.Summary.Partial || res.Summary.Reason != workflows.EndedDeadline || res.Summary.Evaluations != 15 {
		t.Errorf("summary %+v", res.Summary)
	}
	states := ""
	for _, o := range res.Outcomes {
		states += o.State + ","
	}
	if states != "done,done,not run,not run," {
		t.Errorf("states %s", states)
	}
}

func TestCampaignStopSignal(t *testing.T) {
	f := &fakeSweeps{points: 10, duration: 2 * time.Hour}
	env := newCampaignEnv(f)
	spec := campaignSpec(t, 3, "tc387:cpu2")
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.StopSignal, nil) }, 30*time.Minute)
	env.ExecuteWorkflow(workflows.Campaign, spec, (*workflows.CampaignState)(nil))
	res := campaignResult(t, env)
	if f.stopped != 2 || res.Summary.Reason != workflows.EndedStopped || res.Outcomes[2].State != pareto.StateNotRun {
		t.Errorf("stopped %d sweeps (want the 2 running), reason %q, outcomes %+v", f.stopped, res.Summary.Reason, res.Outcomes)
	}
}

// TestCampaignContinuesAsNew runs a campaign of 1,200 candidates (40 models × 30, each priced
// for 3 targets)
// whose runs are told their history is already long: each run starts one window of sweeps,
// then continues as new with its state. Chaining the runs must give every sweep exactly once
// and the same summary as a single run.
func TestCampaignContinuesAsNew(t *testing.T) {
	spec := campaignSpec(t, 40, "tc387:cpu2", "tc327:cpu0", "tc377:cpu0")
	spec.Concurrency = 4
	spec.EventsPerRun = explore.MinEventsPerRun
	f := &fakeSweeps{points: 30, duration: time.Hour}
	var state *workflows.CampaignState
	runs := 0
	var res workflows.CampaignResult
	for {
		runs++
		if runs > 200 {
			t.Fatal("the campaign does not end")
		}
		env := newCampaignEnv(f)
		env.SetCurrentHistoryLength(spec.EventsPerRun) // as if this run's history were full
		env.ExecuteWorkflow(workflows.Campaign, spec, state)
		var can *workflow.ContinueAsNewError
		if err := env.GetWorkflowError(); errors.As(err, &can) {
			var s explore.CampaignSpec
			state = nil
			if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &s, &state); err != nil {
				t.Fatal(err)
			}
			continue
		}
		res = campaignResult(t, env)
		break
	}
	if runs != 40 {
		t.Errorf("%d runs; want one per sweep (the history is always full, so each run starts one)", runs)
	}
	if res.Runs != runs || res.Summary.Evaluations != 1200 || len(res.Outcomes) != 120 {
		t.Errorf("result: %d runs, %d evaluations, %d outcomes", res.Runs, res.Summary.Evaluations, len(res.Outcomes))
	}
	seen := map[string]bool{}
	for _, s := range f.specs {
		key := s.Name
		if seen[key] {
			t.Errorf("sweep %s ran twice", key)
		}
		seen[key] = true
	}
}
