package workflows_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/workflows"
)

// runSweep runs spec in a fresh test environment without a board and returns its result.
func runSweep(t *testing.T, spec explore.SweepSpec) workflows.SweepResult {
	t.Helper()
	return runSweepIn(t, newEnv(t, false), spec)
}

// runSweepIn runs spec in env, fails the test unless it completes without error, and returns
// its result.
func runSweepIn(t *testing.T, env *testsuite.TestWorkflowEnvironment, spec explore.SweepSpec) workflows.SweepResult {
	t.Helper()
	execute(t, env, spec)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("sweep failed: %v", err)
	}
	var res workflows.SweepResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	// Bring the outputs back into spec.Out, as tcdse sweep does, and point each tree's Dir there.
	if _, err := activities.DownloadOutputs(context.Background(), envObjects[env], res.Outputs, spec.Out); err != nil {
		t.Fatal(err)
	}
	for i := range res.Code {
		res.Code[i].Dir = filepath.Join(spec.Out, res.Code[i].Dir)
	}
	return res
}

// TestSweepLeNetInt8Points runs the LeNet sweep with quantize set and checks that every GWP
// step yields an int8 point next to it, that the float steps keep the candidate ids of a sweep
// without quantize, and that the int8 points are in the report.
func TestSweepLeNetInt8Points(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real LeNet sweeps")
	}
	plain := runSweep(t, lenetSpec(t))
	spec := lenetSpec(t)
	spec.Quantize = &explore.QuantizeSpec{Calibration: explore.CalibrationMinMax, Samples: 100}
	res := runSweep(t, spec)
	if len(res.Int8) != len(res.Steps) || len(res.Steps) != len(plain.Steps) {
		t.Fatalf("%d int8 points for %d steps (%d without quantize)", len(res.Int8), len(res.Steps), len(plain.Steps))
	}
	if got, want := len(res.Report.Points), len(plain.Report.Points)+len(res.Steps); got != want {
		t.Errorf("%d points evaluated, want %d", got, want)
	}
	labels := map[string]bool{}
	for _, p := range res.Report.Points {
		labels[p.Label] = true
	}
	for _, gen := range res.Code {
		t.Logf("generated C for %s: weights %d B, arena %d B", gen.Label, gen.WeightBytes, gen.ArenaBytes)
	}
	for i, step := range res.Steps {
		q := res.Int8[i]
		if step.CandidateID != plain.Steps[i].CandidateID {
			t.Errorf("step %s: candidate id %s with quantize, %s without", step.Label, step.CandidateID, plain.Steps[i].CandidateID)
		}
		if q.Label != step.Label+"-int8" || !labels[q.Label] || !strings.HasPrefix(q.Label, "gwp-") {
			t.Errorf("int8 point %q for step %q, want label %q in the report", q.Label, step.Label, step.Label+"-int8")
		}
		t.Logf("%s: top-1 %.3f ROM %d RAM %d; %s: top-1 %.3f ROM %d RAM %d", step.Label, step.Quality, step.ROMBytes, step.RAMBytes,
			q.Label, q.Quality, q.ROMBytes, q.RAMBytes)
		if q.Quality < step.Quality-0.02 || q.ROMBytes >= step.ROMBytes || q.Sparsity < step.Sparsity {
			t.Errorf("int8 point %s: quality %.3f ROM %d sparsity %.3f against float %.3f, %d, %.3f", q.Label, q.Quality, q.ROMBytes, q.Sparsity,
				step.Quality, step.ROMBytes, step.Sparsity)
		}
	}
}

// TestSweepNoInt8PointBelowFloor sets the floor at the baseline's quality, so the GWP walk stops
// at the first step that loses anything; that step must get no int8 point, every step above it
// must.
func TestSweepNoInt8PointBelowFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real LeNet sweep")
	}
	spec := lenetSpec(t)
	spec.Quantize = &explore.QuantizeSpec{Calibration: explore.CalibrationMinMax, Samples: 100}
	spec.Floor = 1
	res := runSweep(t, spec)
	above := 0
	for i, step := range res.Steps {
		t.Logf("%s: %.4f (baseline %.4f)", step.Label, step.Quality, res.Baseline.Quality)
		if step.Quality >= res.Baseline.Quality {
			above++
			continue
		}
		if i != len(res.Steps)-1 {
			t.Errorf("step %s is below the floor (%.4f < %.4f) but the walk went on", step.Label, step.Quality, res.Baseline.Quality)
		}
	}
	if above == len(res.Steps) {
		t.Fatal("no step fell below the floor, so the test checked nothing; raise the floor")
	}
	if len(res.Int8) != above {
		t.Fatalf("%d int8 points for %d steps at or above the floor (%d steps)", len(res.Int8), above, len(res.Steps))
	}
	for i, q := range res.Int8 {
		if q.Label != res.Steps[i].Label+"-int8" {
			t.Errorf("int8 point %d is %q, want %q", i, q.Label, res.Steps[i].Label+"-int8")
		}
	}
}
