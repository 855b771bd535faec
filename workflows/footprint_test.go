package workflows_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/pareto"
)

// TestSweepStructuredThenUnstructured runs LeNet with gwp.unstructured_schedule: after the
// structured steps, every prunable layer (the output layer too) is probed with single-weight
// pruning on the last structured model, and the unstructured steps prune at g × those
// layers' maximum rates, each from the previous step's model. Every point knows its
// footprint, and the report gives it as a ratio to the dense model's.
func TestSweepStructuredThenUnstructured(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real LeNet sweep")
	}
	spec := lenetSpec(t)
	// A loose probe threshold lets the unstructured steps zero most weights: only then are
	// the int8 sparse formats smaller than dense int8 (one byte a weight).
	spec.Threshold = explore.ThresholdSpec{Relative: 0.9}
	spec.Rates = []float64{0.25, 0.5, 0.8, 0.9}
	spec.Schedule = []float64{0.5}
	spec.GWP = &explore.GWPSpec{Structured: true, Norm: "l1", UnstructuredSchedule: []float64{0.5, 1.0}}
	spec.Quantize = &explore.QuantizeSpec{Samples: 50, PerTensor: true}
	spec.Generate.Max = 100 // code for every front point
	res := runSweep(t, spec)

	var labels []string
	for _, s := range res.Steps {
		labels = append(labels, s.Label)
		t.Logf("%s: top-1 %.3f sparsity %.3f weights %d B arena %d B rates %v", s.Label, s.Quality, s.Sparsity, s.WeightBytes, s.ArenaBytes, s.Rates)
	}
	if got, want := strings.Join(labels, " "), "gwp-0.5 gwp-u-0.5 gwp-u-1"; got != want {
		t.Fatalf("steps %q, want %q", got, want)
	}
	structured, u1, u2 := res.Steps[0], res.Steps[1], res.Steps[2]

	// The unstructured probes cover all five LeNet layers, output layer included.
	if got := len(res.UnstructuredSensitivity); got != 5 {
		t.Errorf("unstructured sensitivity of %d layers, want 5: %v", got, res.UnstructuredSensitivity)
	}
	if _, ok := res.Sensitivity["Gemm_12"]; ok {
		t.Error("the output layer was probed structurally")
	}
	probes := 0
	for _, p := range res.Report.Points {
		if !strings.HasPrefix(p.Label, "u-") {
			continue
		}
		probes++
	}
	if probes != 5*len(spec.Rates) {
		t.Errorf("%d unstructured probes in the report, want %d", probes, 5*len(spec.Rates))
	}
	if structured.Model == nil || structured.Sparsity > 0.05 {
		t.Fatalf("structured step %s: kept %v, sparsity %.3f", structured.Label, structured.Model != nil, structured.Sparsity)
	}

	// Each unstructured step prunes g × pmax_u of every layer, and zeroes more weights than
	// the step before it.
	for i, s := range res.Steps[1:] {
		g := spec.GWP.UnstructuredSchedule[i]
		for layer, sens := range res.UnstructuredSensitivity {
			if want := explore.GWPRates(map[string]float64{layer: sens.MaxRate}, g)[layer]; s.Rates[layer] != want {
				t.Errorf("step %s layer %s: rate %v, want %v × %v = %v", s.Label, layer, s.Rates[layer], g, sens.MaxRate, want)
			}
		}
	}
	if !(u1.Sparsity > structured.Sparsity && u2.Sparsity > u1.Sparsity) {
		t.Errorf("sparsity %.3f → %.3f → %.3f, want it rising", structured.Sparsity, u1.Sparsity, u2.Sparsity)
	}
	if !(u2.WeightBytes < structured.WeightBytes) {
		t.Errorf("unstructured step weights %d B, structured %d B: the sparse formats should shrink them", u2.WeightBytes, structured.WeightBytes)
	}

	// Footprints: every point knows its weights and arena, the baseline's ratio is 1, and
	// the int8 points of the unstructured steps are the smallest.
	base := res.Report.Baseline
	if base.WeightBytes != 4*44426 || base.ArenaBytes <= 0 || base.FootprintRatio != 1 {
		t.Errorf("baseline footprint %d B weights + %d B arena, ratio %v; want 177704 B + arena, ratio 1", base.WeightBytes, base.ArenaBytes, base.FootprintRatio)
	}
	if len(res.Int8) != 3 {
		t.Fatalf("%d int8 points, want 3 (one per step)", len(res.Int8))
	}
	var bestRatio float64
	for _, p := range res.Report.Points {
		if p.WeightBytes <= 0 || p.ArenaBytes <= 0 {
			t.Errorf("point %s: weights %d B, arena %d B", p.Label, p.WeightBytes, p.ArenaBytes)
		}
		if want := float64(base.Footprint()) / float64(p.Footprint()); p.FootprintRatio != want {
			t.Errorf("point %s: footprint ratio %v, want %v", p.Label, p.FootprintRatio, want)
		}
		if p.FootprintRatio > bestRatio {
			bestRatio = p.FootprintRatio
		}
	}
	// The footprint is what the generated code holds, for every front point (unstructured
	// probes included: their code comes from the structured model they pruned).
	byLabel := map[string]pareto.Point{}
	for _, p := range res.Report.Front {
		byLabel[p.Label] = p
	}
	if len(res.Code) != len(res.Report.Front) {
		t.Errorf("code for %d points, front has %d", len(res.Code), len(res.Report.Front))
	}
	for _, gen := range res.Code {
		p := byLabel[gen.Label]
		if int64(gen.WeightBytes) != p.WeightBytes || int64(gen.ArenaBytes) != p.ArenaBytes {
			t.Errorf("point %s: generated code has %d B weights + %d B arena, the report %d + %d", gen.Label, gen.WeightBytes, gen.ArenaBytes, p.WeightBytes, p.ArenaBytes)
		}
	}

	first, last := res.Int8[0], res.Int8[2]
	if first.Label != "gwp-0.5-int8" || last.Label != "gwp-u-1-int8" {
		t.Errorf("int8 points %q … %q, want gwp-0.5-int8 … gwp-u-1-int8", first.Label, last.Label)
	}
	ratio := func(w, a int64) float64 { return float64(base.Footprint()) / float64(w+a) }
	rs, ru := ratio(first.WeightBytes, first.ArenaBytes), ratio(last.WeightBytes, last.ArenaBytes)
	t.Logf("int8 footprint: structured %.2fx smaller, structured + unstructured %.2fx", rs, ru)
	if ru != bestRatio || !(ru > rs) || rs < 4 {
		t.Errorf("int8 points %.2fx (structured) and %.2fx (unstructured) smaller, best %.2fx; want int8 >= 4x and the unstructured one the smallest", rs, ru, bestRatio)
	}
}

// TestSweepFootprintGoal runs examples/lenet/sweep-footprint.yaml (issue 4's LeNet goal) and
// checks that its front holds a point at least 15x smaller than the float dense model
// (weights + activation arena) within 1 point of its top-1. It needs the full MNIST test set
// in ../shared/datasets/mnist; C code generation is left to `tcdse run`.
func TestSweepFootprintGoal(t *testing.T) {
	if testing.Short() {
		t.Skip("fine-tunes LeNet for 32 epochs")
	}
	spec, err := explore.LoadSweepSpec("../examples/lenet/sweep-footprint.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(spec.Resolve(spec.Data.Images)); err != nil {
		t.Skipf("MNIST test set not available: %v", err)
	}
	spec.Out, spec.Generate.Max, spec.HIL = t.TempDir(), 1, explore.HILSpec{}
	env := newEnv(t, false)
	env.SetTestTimeout(20 * time.Minute) // the fine-tuning takes minutes of wall time
	res := runSweepIn(t, env, spec)
	base := res.Report.Baseline
	t.Logf("dense: top-1 %.4f, %d B weights + %d B arena = %d B", base.Quality, base.WeightBytes, base.ArenaBytes, base.Footprint())
	var best *pareto.Point
	for i, p := range res.Report.Front {
		if p.Quality >= base.Quality-0.01 && (best == nil || p.FootprintRatio > best.FootprintRatio) {
			best = &res.Report.Front[i]
		}
	}
	if best == nil {
		t.Fatal("no front point within 1 point of the dense top-1")
	}
	t.Logf("smallest front point within 1 point: %s, top-1 %.4f, %d B weights + %d B arena = %d B, %.2fx smaller",
		best.Label, best.Quality, best.WeightBytes, best.ArenaBytes, best.Footprint(), best.FootprintRatio)
	if best.FootprintRatio < 15 {
		t.Errorf("best footprint reduction %.2fx at <= 1 point lost, want >= 15x", best.FootprintRatio)
	}
}
