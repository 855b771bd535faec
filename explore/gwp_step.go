package explore

import (
	"fmt"
	"math"

	"github.com/tcdse/tcdse/model"
)

// GWPStepRates returns the per-layer rates of the global step with factor g under spec, for
// the layers in pmax (their maximum rates from the sensitivity analysis):
//
//   - GWPScaled: g·pmax_i, clamped as [GWPRates] does;
//   - GWPWeightedGlobal: the rates [GlobalWeightedRates] gives on graph for sensitivities
//     1 − pmax_i at the global rate g·P̄ (clamped to [0, MaxLayerRate]), where P̄ is the mean of
//     pmax weighted by each layer's weight count in graph; at g = 1 it prunes as many weights
//     as GWPScaled does, but places them by the global ranking.
//
// graph is the model the rates are computed on (only GWPWeightedGlobal reads its weights).
func GWPStepRates(graph *model.Graph, pmax map[string]float64, g float64, spec GWPSpec) (Rates, error) {
	spec = (&spec).WithDefaults()
	if math.IsNaN(g) || g < 0 || g > MaxGlobalFactor {
		return nil, fmt.Errorf("GWP step: factor %v, want a value in [0, %v]", g, MaxGlobalFactor)
	}
	switch spec.Method {
	case GWPScaled:
		return GWPRates(pmax, g), nil
	case GWPWeightedGlobal:
		if graph == nil {
			return nil, fmt.Errorf("GWP step: weighted_global needs the model")
		}
		sens := make(map[string]float64, len(pmax))
		var weighted, total float64
		for name, p := range pmax {
			if math.IsNaN(p) || p < 0 || p >= 1 {
				return nil, fmt.Errorf("GWP step: max rate of %q is %v, want [0, 1)", name, p)
			}
			sens[name] = 1 - p
			if n := graph.Node(name); n != nil && n.Weight != nil {
				weighted += p * float64(n.Weight.Len())
				total += float64(n.Weight.Len())
			}
		}
		rate := 0.0
		if total > 0 {
			rate = math.Min(g*weighted/total, MaxLayerRate)
		}
		return GlobalWeightedRates(graph, sens, rate)
	}
	return nil, fmt.Errorf("GWP step: method %q, want %s or %s", spec.Method, GWPScaled, GWPWeightedGlobal)
}

// PruneGWPStep prunes one global step. base is the unpruned model; cur is the model the step
// starts from: base, or the previous step's result (possibly fine-tuned). rates are the step's
// rates from [GWPStepRates] and are returned unchanged as the step's identity.
//
// Unstructured, cur is pruned with [Prune]: the rates count cur's zeros, so a step prunes
// on top of the previous one. Structured, every rate is a fraction of base's channels:
// the step cuts from cur whatever is still missing to remove round(rate·M) of layer's M
// original channels (nothing when cur already has fewer), with [PruneStructured]; layers
// that cannot be cut (see [SensitivityLayers]) are left whole.
func PruneGWPStep(base, cur *model.Graph, rates Rates, spec GWPSpec) (*model.Graph, error) {
	spec = (&spec).WithDefaults()
	if !spec.Structured {
		return Prune(cur, rates)
	}
	if base == nil || cur == nil {
		return nil, fmt.Errorf("GWP step: nil model")
	}
	b := base.Clone()
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("GWP step: base model: %w", err)
	}
	c := cur.Clone()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("GWP step: model: %w", err)
	}
	cutOK := cuttable(c)
	local := map[string]float64{}
	for _, name := range rates.Layers() {
		r := rates[name]
		bn, cn := b.Node(name), c.Node(name)
		if bn == nil || cn == nil {
			return nil, fmt.Errorf("GWP step: layer %q is not in both the base and the current model", name)
		}
		m0, ok0 := isSource(bn)
		mc, okc := isSource(cn)
		if !ok0 || !okc || !cutOK[name] || r <= 0 {
			continue
		}
		keep := m0 - min(int(math.Round(r*float64(m0))), m0-1)
		if mc > keep {
			local[name] = float64(mc-keep) / float64(mc)
		}
	}
	if len(local) == 0 {
		return c, nil
	}
	return PruneStructured(c, local, spec.Norm)
}

// cuttable reports, for every layer of g (validated) that can lose channels, whether its
// channel group may shrink.
func cuttable(g *model.Graph) map[string]bool {
	f := followChannels(g)
	out := make(map[string]bool, len(f.source))
	for name, sp := range f.source {
		out[name] = f.spaces[f.find(sp)].pinned == ""
	}
	return out
}
