package activities

import (
	"context"
	"errors"

	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/store"
)

// PruningInput says how Evaluate prunes a candidate when it is not plain unstructured
// magnitude pruning of the stored model at the input's rates: structured pruning (whole
// channels, [explore.PruneStructured]) and global weighted steps ([explore.PruneGWPStep]), whose
// rates a weighted_global step computes on the worker because it ranks the model's weights.
type PruningInput struct {
	// Structured cuts channels instead of zeroing weights; Norm ranks them ("l1" or "l2").
	Structured bool   `json:"structured,omitempty"`
	Norm       string `json:"norm,omitempty"`
	// Step marks a GWP step: Base is the sweep's unpruned model (structured rates are
	// fractions of its channels), Method the sweep's gwp.method, G the step's global factor
	// and PMax the layers' maximum rates from the sensitivity analysis.
	Step   bool               `json:"step,omitempty"`
	Base   *store.Ref         `json:"base,omitempty"`
	Method string             `json:"method,omitempty"`
	G      float64            `json:"g,omitempty"`
	PMax   map[string]float64 `json:"pmax,omitempty"`
}

// PruningFor returns how a sweep's probes (step false) or GWP steps (step true) are pruned,
// or nil for the default, unstructured magnitude pruning at rates computed in the workflow.
func PruningFor(spec explore.SweepSpec, imp ImportResult, step bool, g float64, pmax map[string]float64) *PruningInput {
	gwp := spec.GWP.WithDefaults()
	weighted := step && gwp.Method == explore.GWPWeightedGlobal
	if !gwp.Structured && !weighted {
		return nil
	}
	p := &PruningInput{Structured: gwp.Structured}
	if gwp.Structured {
		p.Norm = gwp.Norm
	}
	if step {
		base := imp.Model
		p.Step, p.Base, p.Method, p.G, p.PMax = true, &base, gwp.Method, g, pmax
	}
	return p
}

// prune applies the input's rates to cur, the stored model the candidate starts from, and
// returns the pruned model and the rates it was pruned at (a weighted_global step's are
// computed here).
func (a *Activities) prune(ctx context.Context, cur *model.Graph, in EvalInput) (*model.Graph, explore.Rates, error) {
	p := in.Pruning
	if p == nil {
		if len(in.Rates) == 0 {
			return cur, nil, nil
		}
		g, err := explore.Prune(cur, in.Rates)
		if err != nil {
			return nil, nil, badInput("BadRates", err)
		}
		return g, in.Rates, nil
	}
	spec := explore.GWPSpec{Method: p.Method, Structured: p.Structured, Norm: p.Norm}
	if !p.Step {
		g, err := explore.PruneStructured(cur, in.Rates, spec.WithDefaults().Norm)
		if err != nil {
			return nil, nil, badInput("BadRates", err)
		}
		return g, in.Rates, nil
	}
	if p.Base == nil {
		return nil, nil, badInput("BadRates", errNoBase)
	}
	base, err := a.graph(ctx, *p.Base)
	if err != nil {
		return nil, nil, err
	}
	rates := in.Rates
	if p.Method == explore.GWPWeightedGlobal {
		ranked := cur
		if p.Structured {
			ranked = base
		}
		if rates, err = explore.GWPStepRates(ranked, p.PMax, p.G, spec); err != nil {
			return nil, nil, badInput("BadRates", err)
		}
	}
	g, err := explore.PruneGWPStep(base, cur, rates, spec)
	if err != nil {
		return nil, nil, badInput("BadRates", err)
	}
	return g, rates, nil
}

// errNoBase is the error of a GWP step input without the sweep's base model.
var errNoBase = errors.New("GWP step: the input names no base model")
