package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/pareto"
)

// searchPhase is a sweep's multi-objective search (spec.search, docs/sweep-spec.md "Search"):
// generations of NSGA-II designs over per-layer rate, precision and weight format, each priced
// by one PriceDesigns activity, screened by explore.SearchRun, and the survivors scored on
// growing subsets by Evaluate activities fanned out to the eval workers. Every decision is a
// pure function of activity results, so a replay takes the same path.
type searchPhase struct {
	spec explore.SweepSpec
	imp  activities.ImportResult
	// hv is the sweep's hypervolume space: the search's objectives are its axes.
	hv   pareto.HypervolumeSpace
	base activities.EvalInput
	prog *Progress
}

// run searches from the GWP steps (their rates as seeds, float and int8) and returns the
// evaluations it made, in order: scored designs (stopped ones included, their points marked
// as not fitting) and designs whose model was already scored with other formats.
func (s *searchPhase) run(ctx workflow.Context, steps []activities.Evaluation) ([]activities.Evaluation, error) {
	cfg := s.spec.Search.WithDefaults()
	space, err := explore.NewSearchSpace(s.imp.SearchLayers, explore.SearchRateLevels(s.spec.Rates), !cfg.Float, cfg.Formats)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "BadSpec", err)
	}
	seeds := []explore.Design{space.Uniform(0, true)}
	for _, st := range steps {
		seeds = append(seeds, space.FromRates(st.Rates, true), space.FromRates(st.Rates, false))
	}
	run, err := explore.NewSearchRun(explore.SearchConfig{Space: space, Budget: cfg.Budget, Batch: cfg.Batch, Seed: cfg.Seed, Seeds: seeds,
		Reference: []float64{1, 1, 1}})
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "BadSpec", err)
	}
	quant := explore.QuantizeSpec{}
	if s.spec.Quantize != nil {
		quant = *s.spec.Quantize
	}
	s.prog.Total += cfg.Budget
	var out []activities.Evaluation
	scoredModel := map[string]activities.Evaluation{} // complete evaluations by model key
	for gen := 1; !run.Done(); gen++ {
		designs := run.Next()
		if len(designs) == 0 {
			break
		}
		s.prog.Note = fmt.Sprintf("search generation %d: %d of %d designs scored", gen, run.Evaluations(), cfg.Budget)
		var costs []activities.DesignCost
		pin := activities.PriceInput{Model: s.imp.Model, Data: s.imp.Data, Target: s.spec.Target, CostModel: s.imp.CostModel,
			Format: s.spec.Generate.Format, Space: space, Designs: designs, Quantize: quant}
		if err := workflow.ExecuteActivity(ctx, a.PriceDesigns, pin).Get(ctx, &costs); err != nil {
			return nil, err
		}
		prices := make([]explore.Price, len(designs))
		for i, c := range costs {
			o := s.hv.Objectives(pareto.Point{Quality: s.hv.Baseline.Quality, Cycles: c.Cycles, ROMBytes: c.ROMBytes, RAMBytes: c.RAMBytes})
			prices[i] = explore.Price{Costs: o[1:], Fits: c.Fits}
		}
		screens, err := run.Screen(designs, prices)
		if err != nil {
			return nil, err
		}
		var ins []activities.EvalInput
		var which []int
		for i, sc := range screens {
			if sc.Decision != explore.DecideScore {
				continue
			}
			in := activities.DesignEvalInput(s.base, space, designs[i], quant, cfg.Staged(s.hv.QualityAt(sc.StopLoss)))
			in.Keep = true
			if in.Quantize != nil && s.spec.CalibratesOnFineTuneData() {
				in.Calibration = s.imp.Train
			}
			ins, which = append(ins, in), append(which, i)
		}
		evals, err := fanOut(ctx, s.spec.Concurrency, ins, s.prog)
		if err != nil {
			return nil, err
		}
		outcomes := make([]explore.Outcome, len(designs))
		for k, i := range which {
			ev := evals[k]
			outcomes[i] = explore.Outcome{Loss: s.hv.Objectives(pareto.Point{Quality: ev.Quality})[0], Complete: !ev.Stopped}
			if !ev.Stopped {
				scoredModel[space.ModelKey(designs[i])] = ev
			}
			out = append(out, ev)
		}
		for i, sc := range screens {
			if sc.Decision != explore.DecideSameModel {
				continue
			}
			if ev, ok := scoredModel[space.ModelKey(designs[i])]; ok {
				out = append(out, sameModelEvaluation(ev, space, designs[i], costs[i], s.imp.ModelHash))
			}
		}
		if err := run.Record(designs, prices, screens, outcomes); err != nil {
			return nil, err
		}
	}
	s.prog.Note = fmt.Sprintf("search: %d designs scored", run.Evaluations())
	return out, nil
}

// sameModelEvaluation is design d, whose model ev scored, with d's formats and price: the same
// quality and kept model, another cost.
func sameModelEvaluation(ev activities.Evaluation, space explore.SearchSpace, d explore.Design, c activities.DesignCost, modelHash string) activities.Evaluation {
	formats := space.LayerFormats(d)
	ev.CandidateID = explore.CandidateID(modelHash, space.PruneRates(d), map[string]any{"same_model_as": ev.CandidateID, "layer_formats": formats})
	ev.Label = space.Label(d)
	ev.Cycles, ev.TimeUS, ev.ROMBytes, ev.RAMBytes = c.Cycles, c.TimeUS, c.ROMBytes, c.RAMBytes
	ev.WeightBytes, ev.ArenaBytes, ev.Fits, ev.Reason = c.WeightBytes, c.ArenaBytes, c.Fits, c.Reason
	ev.LayerFormats, ev.Seconds = formats, 0
	return ev
}
