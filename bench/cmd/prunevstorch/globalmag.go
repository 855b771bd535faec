package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
)

// globalMagnitudeRates ranks the raw magnitudes |w| of the weights of every Conv and Dense layer
// of g together and returns the per-layer rates that prune the round(rate·n) smallest of all n
// of them: plain global magnitude pruning, as torch.nn.utils.prune.global_unstructured with
// L1Unstructured does. (explore.GlobalWeightedRates scales each layer by its RMS weight first,
// which is a different criterion.) Ties are broken by graph layer order, then by index.
func globalMagnitudeRates(g *model.Graph, rate float64) (explore.Rates, error) {
	if math.IsNaN(rate) || rate < 0 || rate >= 1 {
		return nil, fmt.Errorf("global magnitude pruning: rate %v, want a value in [0, 1)", rate)
	}
	type weight struct {
		layer int
		mag   float64
	}
	layers := g.PrunableLayers()
	var all []weight
	for li, n := range layers {
		if err := n.Weight.CheckFinite(); err != nil {
			return nil, fmt.Errorf("global magnitude pruning: layer %q weight: %w", n.Name, err)
		}
		for _, v := range n.Weight.Data {
			all = append(all, weight{layer: li, mag: math.Abs(float64(v))})
		}
	}
	slices.SortStableFunc(all, func(a, b weight) int { return cmp.Compare(a.mag, b.mag) })
	k := int(math.Round(rate * float64(len(all))))
	counts := make([]int, len(layers))
	for _, w := range all[:k] {
		counts[w.layer]++
	}
	rates := explore.Rates{}
	for li, n := range layers {
		if counts[li] == n.Weight.Len() {
			return nil, fmt.Errorf("global magnitude pruning at rate %v would remove every weight of layer %q", rate, n.Name)
		}
		rates[n.Name] = float64(counts[li]) / float64(n.Weight.Len())
	}
	return rates, nil
}

// pruneGlobalMagnitude returns a copy of g pruned with [globalMagnitudeRates] and explore.Prune.
func pruneGlobalMagnitude(g *model.Graph, rate float64) (*model.Graph, error) {
	rates, err := globalMagnitudeRates(g, rate)
	if err != nil {
		return nil, err
	}
	return explore.Prune(g, rates)
}
