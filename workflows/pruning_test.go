package workflows_test

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
)

// TestSweepStructured runs LeNet with structured GWP: the probes and steps cut channels, so the
// steps' ROM falls below the baseline's with (almost) no zero weights left in them, and the
// generated code of the chosen points comes from the kept, smaller models.
func TestSweepStructured(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real LeNet sweep")
	}
	spec := lenetSpec(t)
	spec.Rates = []float64{0.25, 0.5}
	spec.GWP = &explore.GWPSpec{Structured: true, Norm: "l1"}
	res := runSweep(t, spec)
	if len(res.Steps) == 0 {
		t.Fatal("no GWP step")
	}
	for _, step := range res.Steps {
		t.Logf("%s: top-1 %.3f ROM %d sparsity %.3f rates %v", step.Label, step.Quality, step.ROMBytes, step.Sparsity, step.Rates)
		if step.ROMBytes >= res.Baseline.ROMBytes {
			t.Errorf("structured step %s: ROM %d, baseline %d", step.Label, step.ROMBytes, res.Baseline.ROMBytes)
		}
		if step.Sparsity > 0.05 {
			t.Errorf("structured step %s: sparsity %.3f, want channels removed rather than weights zeroed", step.Label, step.Sparsity)
		}
		if step.Model == nil {
			t.Errorf("structured step %s: model not kept", step.Label)
		}
	}
	if len(res.Code) == 0 {
		t.Error("no code generated")
	}
	derived := map[string]bool{}
	for _, p := range res.Report.Points {
		derived[p.Label] = p.Derived
	}
	for _, gen := range res.Code {
		if gen.WeightBytes <= 0 || gen.WeightBytes >= 4*44426 {
			t.Errorf("point %s: %d weight bytes", gen.Label, gen.WeightBytes)
		}
		// The point's own model ships with its code, so generate and export rebuild it.
		g, err := model.LoadFile(filepath.Join(gen.Dir, activities.PointModelFile))
		if err != nil {
			t.Errorf("point %s: %v", gen.Label, err)
			continue
		}
		if _, err := os.Stat(filepath.Join(gen.Dir, activities.PointONNXFile)); err != nil {
			t.Errorf("point %s (float): no ONNX file: %v", gen.Label, err)
		}
		if gen.Label != "dense" && !derived[gen.Label] {
			t.Errorf("structured point %s is not marked derived in the report", gen.Label)
		}
		if n := g.Node("Gemm_8"); gen.Label != "dense" && n != nil && n.Weight.Shape[0] == 120 && strings.HasPrefix(gen.Label, "gwp-") {
			t.Errorf("point %s: kept model has Gemm_8 unpruned (120 rows)", gen.Label)
		}
	}
}

// TestSweepWeightedGlobal runs LeNet with weighted global GWP steps: the worker ranks the
// weights, so the steps' rates come back from the activity and differ from the scaled ones.
func TestSweepWeightedGlobal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real LeNet sweeps")
	}
	scaled := runSweep(t, lenetSpec(t))
	spec := lenetSpec(t)
	spec.GWP = &explore.GWPSpec{Method: explore.GWPWeightedGlobal}
	res := runSweep(t, spec)
	if len(res.Steps) == 0 || len(scaled.Steps) == 0 {
		t.Fatal("no GWP step")
	}
	for i, step := range res.Steps {
		t.Logf("%s: top-1 %.3f sparsity %.3f rates %v", step.Label, step.Quality, step.Sparsity, step.Rates)
		if len(step.Rates) == 0 {
			t.Errorf("weighted_global step %s: no rates reported", step.Label)
		}
		if i < len(scaled.Steps) {
			if maps.Equal(step.Rates, scaled.Steps[i].Rates) {
				t.Errorf("step %s: weighted_global rates equal the scaled ones %v", step.Label, step.Rates)
			}
			if step.CandidateID == scaled.Steps[i].CandidateID {
				t.Errorf("step %s: same candidate id with both methods", step.Label)
			}
		}
	}
}

// TestSweepRuleAndFineTunedProbes runs the sensitivity with the last_pass rule and fine-tuned
// probes: a fine-tuned probe scores at least as well as the same probe without fine-tuning
// on the harshest rate, and the probes' models are kept.
func TestSweepRuleAndFineTunedProbes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real LeNet sweeps")
	}
	base := lenetSpec(t)
	base.Schedule = []float64{0.5}
	base.Data.Limit = 0
	base.FineTune = &explore.FineTuneSpec{Split: 0.5, Epochs: 1, Batch: 32, LR: 0.001, Optimizer: "adam", Loss: "ce", Seed: 1}
	plain := runSweep(t, base)
	spec := base
	spec.Sensitivity = &explore.SensitivitySpec{Rule: explore.RuleLastPass, FineTune: true}
	res := runSweep(t, spec)
	q := map[string]float64{}
	for _, p := range plain.Report.Points {
		q[p.Label] = p.Quality
	}
	better, worse := 0, 0
	for _, p := range res.Report.Points {
		old, ok := q[p.Label]
		if !ok || !strings.Contains(p.Label, "@") {
			continue
		}
		switch {
		case p.Quality > old:
			better++
		case p.Quality < old:
			worse++
		}
	}
	t.Logf("fine-tuned probes: %d better, %d worse than plain probes", better, worse)
	if better <= worse {
		t.Errorf("fine-tuned probes: %d better, %d worse than the same probes without fine-tuning", better, worse)
	}
}
