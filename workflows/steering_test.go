package workflows

import (
	"context"
	"strings"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/tcdse/tcdse/pareto"
)

// steeredSweep runs the branch sweep (2 layers × 3 rates, 3 steps, concurrency 2), calling
// steer with the environment when the nth Evaluate starts.
func steeredSweep(t *testing.T, maxEvals, n int, steer func(env *testsuite.TestWorkflowEnvironment)) (*fakeSweep, *SweepResult) {
	t.Helper()
	spec := branchSpec()
	spec.Data.Format = "mnist"
	spec.MaxEvaluations = maxEvals
	f := &fakeSweep{}
	env := newBranchEnv(t, f, fakeImport(), nil)
	started := 0
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == "Evaluate" {
			if started++; started == n {
				steer(env)
			}
		}
	})
	env.ExecuteWorkflow(Sweep, spec)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res SweepResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return f, &res
}

// update sends an update; *err receives its outcome (nil when accepted and completed).
func update(env *testsuite.TestWorkflowEnvironment, name string, arg any, err *error) {
	env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   func(e error) { *err = e },
		OnComplete: func(_ any, e error) { *err = e },
	}, arg)
}

// TestSweepStopIsGraceful stops a sweep during its sensitivity analysis: the probes in flight
// finish, nothing new starts, the result is the front of what was measured (marked stopped,
// not an error), and only the picked point gets code.
func TestSweepStopIsGraceful(t *testing.T) {
	var extendErr, pickErr, prioErr error
	f, res := steeredSweep(t, 0, 2, func(env *testsuite.TestWorkflowEnvironment) {
		update(env, ExtendUpdate, 5, &extendErr)
		update(env, PickUpdate, "conv@0.25", &pickErr)
		update(env, PriorityUpdate, "urgent", &prioErr)
		env.SignalWorkflow(StopSignal, "")
	})
	if extendErr == nil || !strings.Contains(extendErr.Error(), "unbounded") {
		t.Errorf("extend of an unbounded sweep: %v", extendErr)
	}
	if pickErr != nil || prioErr == nil {
		t.Errorf("pick: %v; priority urgent: %v (want accepted, refused)", pickErr, prioErr)
	}
	if res.Partial != EndedStopped || len(f.evals) >= 6 || res.Evaluations != len(f.evals)+1 || len(res.Steps) != 0 {
		t.Errorf("partial %q, %d evaluations started (%v), %d counted, %d steps; want stopped during the 6 probes", res.Partial, len(f.evals), labels(f.evals), res.Evaluations, len(res.Steps))
	}
	if len(res.Report.Points) != res.Evaluations || len(res.Report.Front) == 0 {
		t.Errorf("report of %d points, front %d", len(res.Report.Points), len(res.Report.Front))
	}
	if len(f.gens) != 1 || f.gens[0].Label != "conv@0.25" {
		t.Errorf("generated %d trees (%v); want only the picked conv@0.25", len(f.gens), f.gens)
	}
}

// TestSweepBudgetAndExtend: a budget of 3 (the baseline and 2 probes) raised by 4 while the
// first probe runs gives 7 evaluations, then the sweep ends on its budget without code.
func TestSweepBudgetAndExtend(t *testing.T) {
	var extendErr, prioErr error
	f, res := steeredSweep(t, 3, 1, func(env *testsuite.TestWorkflowEnvironment) {
		update(env, ExtendUpdate, 4, &extendErr)
		update(env, PriorityUpdate, "interactive", &prioErr)
	})
	if extendErr != nil || prioErr != nil {
		t.Fatal(extendErr, prioErr)
	}
	if res.Partial != EndedBudget || res.Evaluations != 7 || len(f.evals) != 6 {
		t.Errorf("partial %q, %d evaluations (%d started: %v); want the budget of 7 used", res.Partial, res.Evaluations, len(f.evals), labels(f.evals))
	}
	if len(f.gens) != 0 {
		t.Errorf("a sweep out of budget generated %d trees without a pick", len(f.gens))
	}
}

// TestSweepStatusQuery asks for the status while the third probe starts: the baseline is in
// the front so far.
func TestSweepStatusQuery(t *testing.T) {
	var st SweepStatus
	steeredSweep(t, 0, 3, func(env *testsuite.TestWorkflowEnvironment) {
		v, err := env.QueryWorkflow(StatusQuery)
		if err != nil {
			t.Error(err)
			return
		}
		if err := v.Get(&st); err != nil {
			t.Error(err)
		}
	})
	if st.Progress.Phase != "sensitivity" || st.Evaluations < 3 || st.Report.Baseline.Quality != 0.98 || len(st.Report.Front) == 0 {
		t.Errorf("status during the probes: %+v", st)
	}
}

func TestPickedPoints(t *testing.T) {
	pts := []pareto.Point{{Label: "a"}, {Label: "b"}, {Label: "c"}}
	extra, missing := pickedPoints(pts, pts[:1], []string{"c", "a", "zz", "c"})
	if len(extra) != 1 || extra[0].Label != "c" || len(missing) != 1 || missing[0] != "zz" {
		t.Errorf("extra %v, missing %v", extra, missing)
	}
}
