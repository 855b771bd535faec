package workflows_test

import (
	"context"
	"testing"

	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/tc3xx"
)

// TestSweepCalibratesOnSimBoard runs a LeNet sweep whose points are measured on a sim board
// with true parameters up to 2x off the built-in ones; with hil.calibrate the sweep fits the
// cost model to the measurements, the error drops, and the fitted model is stored for the
// board class.
func TestSweepCalibratesOnSimBoard(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real LeNet sweep")
	}
	target, err := tc3xx.Lookup("tc387:cpu2")
	if err != nil {
		t.Fatal(err)
	}
	sim := &hilbench.SimDriver{Target: target, True: hilbench.ScaledCostModel(tc3xx.TC162P, 3, 2), Noise: 0.01, Seed: 3}
	env, farm := newEnvWithBoard(t, &hilbench.FarmAgentConfig{Name: "sim-test", Class: "tc387-sim", Driver: sim, WorkDir: t.TempDir()})
	spec := lenetSpec(t)
	spec.Generate.Max = 4
	spec.HIL.Board = "tc387-sim"
	spec.HIL.Calibrate = true
	spec.HIL.MinPoints = 3
	res := runSweepIn(t, env, spec)
	if len(res.Boards) < 3 {
		t.Fatalf("%d points measured", len(res.Boards))
	}
	cal := res.Calibration
	if cal == nil {
		t.Fatal("no calibration in the result")
	}
	t.Logf("calibration on %d points: error %v -> %v", cal.Report.Measurements, cal.Report.Before, cal.Report.After)
	if cal.Report.Measurements != len(res.Boards) || !(cal.Report.After.RMS < cal.Report.Before.RMS) || cal.Report.After.RMS > 0.05 {
		t.Errorf("fit %+v", cal.Report)
	}
	for _, p := range cal.Points {
		if p.Measured <= 0 || p.Before <= 0 || p.After <= 0 {
			t.Errorf("re-priced point %+v", p)
		}
	}
	stored, ok, err := farm.Model(context.Background(), "tc387-sim")
	if err != nil || !ok || stored.Hash() != cal.Model.Hash() {
		t.Errorf("stored model: ok=%t err=%v", ok, err)
	}
}
