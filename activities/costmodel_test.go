package activities

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/tcdse/tcdse/tc3xx"
)

// A sweep spec's cost_model replaces the built-in parameters: the baseline's cycles follow
// the calibrated values, and the candidate id changes with the parameter file's hash.
func TestImportUsesCalibratedCostModel(t *testing.T) {
	a := newActivities(t)
	ctx := context.Background()
	plain, err := a.Import(ctx, ImportInput{Spec: uploaded(t, a, lenetSpec(t))})
	if err != nil {
		t.Fatal(err)
	}
	slow, err := tc3xx.TC162P.With(map[string]float64{"mac": 6}) // twice the built-in MAC cost
	if err != nil {
		t.Fatal(err)
	}
	data, err := slow.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fit.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	spec := lenetSpec(t)
	spec.CostModel = path
	cal, err := a.Import(ctx, ImportInput{Spec: uploaded(t, a, spec)})
	if err != nil {
		t.Fatal(err)
	}
	if cal.CostModel == nil || cal.CostModel.Hash() != slow.Hash() {
		t.Fatalf("import did not carry the cost model: %+v", cal.CostModel)
	}
	if cal.Baseline.Cycles <= plain.Baseline.Cycles*3/2 || cal.Baseline.ROMBytes != plain.Baseline.ROMBytes {
		t.Errorf("calibrated baseline %d cycles ROM %d; built-in %d cycles ROM %d", cal.Baseline.Cycles, cal.Baseline.ROMBytes, plain.Baseline.Cycles, plain.Baseline.ROMBytes)
	}
	if cal.Baseline.CandidateID == plain.Baseline.CandidateID {
		t.Error("the candidate id does not depend on the cost model")
	}

	spec.CostModel = filepath.Join(t.TempDir(), "missing.json")
	assertNonRetryable(t, a, spec, "missing.json")
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"arch": "TC1.6.2P", "params": [{"name": "mac", "value": -1}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	spec.CostModel = bad
	assertNonRetryable(t, a, spec, "mac")
}
