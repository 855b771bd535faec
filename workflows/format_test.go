package workflows_test

import (
	"strings"
	"testing"
)

// TestSweepFormat: generate.format reaches the estimates and the generated code: with
// "dense" every point's ROM is at least the unpruned model's weights, whatever its sparsity,
// and the generated points are dense; an unknown format stops the sweep at import.
func TestSweepFormat(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real LeNet sweep")
	}
	auto := runSweep(t, lenetSpec(t))
	spec := lenetSpec(t)
	spec.Generate.Format = "dense"
	res := runSweep(t, spec)
	for i, step := range res.Steps {
		if step.ROMBytes < res.Baseline.ROMBytes {
			t.Errorf("dense step %s: ROM %d below the unpruned %d", step.Label, step.ROMBytes, res.Baseline.ROMBytes)
		}
		if a := auto.Steps[i]; a.ROMBytes >= step.ROMBytes {
			t.Errorf("step %s: auto ROM %d, dense %d; auto should store the pruned weights sparse", a.Label, a.ROMBytes, step.ROMBytes)
		}
		if step.CandidateID == auto.Steps[i].CandidateID {
			t.Errorf("step %s: same candidate id with formats auto and dense", step.Label)
		}
	}
	for _, gen := range res.Code {
		if gen.WeightBytes < 4*44426 {
			t.Errorf("point %s generated with %d weight bytes, dense needs at least %d", gen.Label, gen.WeightBytes, 4*44426)
		}
	}

	env := newEnv(t, false)
	bad := lenetSpec(t)
	bad.Generate.Format = "zip"
	execute(t, env, bad)
	if err := env.GetWorkflowError(); err == nil || !strings.Contains(err.Error(), "generate.format") {
		t.Errorf("format zip: err = %v, want it to name generate.format", err)
	}
}
