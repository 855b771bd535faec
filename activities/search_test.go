package activities

import (
	"context"
	"math"
	"testing"

	"github.com/tcdse/tcdse/explore"
)

// A design's price equals the cost of its scored evaluation; a hopeless design scored in
// stages stops early and is not cached; a complete staged evaluation is the unstaged one.
func TestPriceDesignsAndStagedEvaluate(t *testing.T) {
	a := newActivities(t)
	ctx := context.Background()
	spec := lenetSpec(t)
	spec.Data.Limit = 300
	imp, err := a.Import(ctx, ImportInput{Spec: uploaded(t, a, spec)})
	if err != nil {
		t.Fatal(err)
	}
	var layers []string
	for _, l := range imp.Layers {
		layers = append(layers, l.Name)
	}
	space, err := explore.NewSearchSpace(layers, []float64{0.5, 0.99}, true, explore.DefaultSearchFormats)
	if err != nil {
		t.Fatal(err)
	}
	mixed := space.Uniform(1, true)
	mixed[0].Int8, mixed[len(mixed)-1].Format = false, 2 // first layer float, last "smallest"
	hopeless := space.Uniform(2, false)
	costs, err := a.PriceDesigns(ctx, PriceInput{Model: imp.Model, Data: imp.Data, Target: spec.Target, Space: space, Designs: []explore.Design{mixed, hopeless}})
	if err != nil {
		t.Fatal(err)
	}
	base := EvalInput{Model: imp.Model, ModelHash: imp.ModelHash, Data: imp.Data, Metric: spec.Metric, Target: spec.Target, Batch: 64}
	stop := 0.9 * imp.Baseline.Quality
	ev, err := a.Evaluate(ctx, DesignEvalInput(base, space, mixed, explore.QuantizeSpec{}, explore.StagedOptions{Stop: stop}))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Stopped || ev.Cycles != costs[0].Cycles || ev.ROMBytes != costs[0].ROMBytes || ev.RAMBytes != costs[0].RAMBytes {
		t.Fatalf("mixed design: evaluation %+v, price %+v: want complete at the priced cost", ev, costs[0])
	}
	full := DesignEvalInput(base, space, mixed, explore.QuantizeSpec{}, explore.StagedOptions{})
	full.Stages = nil
	if again, err := a.Evaluate(ctx, full); err != nil || again.Quality != ev.Quality || again.CandidateID != ev.CandidateID {
		t.Errorf("unstaged evaluation %+v (%v), want the staged one's quality %v and id", again, err, ev.Quality)
	}
	in := DesignEvalInput(base, space, hopeless, explore.QuantizeSpec{}, explore.StagedOptions{Stop: stop})
	ev, err = a.Evaluate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Stopped || ev.Samples != 30 || ev.Total != 300 || ev.Point().Fits || math.IsNaN(ev.Quality) {
		t.Fatalf("hopeless design (rates 0.99): %+v, want stopped after 30 of 300 samples, its point not fitting", ev)
	}
	in.Stages = nil
	if ev, err = a.Evaluate(ctx, in); err != nil || ev.Stopped {
		t.Errorf("a stopped evaluation was served from the cache: %+v (%v)", ev, err)
	}
}
