package explore

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/tcdse/tcdse/model"
)

// MinTolerance is the smallest tolerance 1 − s a layer's magnitudes are divided by in global
// weighted magnitude pruning, so that a layer with sensitivity 1 is protected strongly but
// finitely.
const MinTolerance = 0.05

// GlobalWeightedRates ranks the weights of every layer named in sens together and returns the
// per-layer rates that prune the lowest-ranked fraction rate of all of them (OpTC's global
// weighted magnitude pruning).
//
// A weight w of layer l is scored
//
//	score = |w| / (rms_l · max(1 − s_l, MinTolerance))
//
// where rms_l is the root mean square of the layer's weights (so that layers with different
// weight scales compete fairly) and s_l = sens[l] is the layer's sensitivity in [0, 1] (as in
// [LayerSensitivity], 1 − pmax): dividing by the tolerance 1 − s_l makes the weights of a
// sensitive layer look larger, so they are pruned later. Within a layer the score orders weights
// by magnitude, so the rates, applied with [Prune], remove exactly the globally lowest scores.
// Ties are broken by layer name, then by index. No layer is given more than MaxLayerRate.
// Existing zeros score lowest and count toward the rate.
func GlobalWeightedRates(g *model.Graph, sens map[string]float64, rate float64) (Rates, error) {
	if g == nil {
		return nil, errors.New("global weighted pruning: nil graph")
	}
	if math.IsNaN(rate) || rate < 0 || rate >= 1 {
		return nil, fmt.Errorf("global weighted pruning: rate %v, want a value in [0, 1)", rate)
	}
	type scored struct {
		layer int
		score float64
	}
	names := make([]string, 0, len(sens))
	for name := range sens {
		names = append(names, name)
	}
	slices.Sort(names)
	var all []scored
	var errs []error
	sizes := make([]int, len(names))
	for li, name := range names {
		s := sens[name]
		n := g.Node(name)
		switch {
		case n == nil || n.Weight == nil:
			errs = append(errs, fmt.Errorf("global weighted pruning: %q is not a layer with weights in graph %q", name, g.Name))
			continue
		case math.IsNaN(s) || s < 0 || s > 1:
			errs = append(errs, fmt.Errorf("global weighted pruning: sensitivity of %q is %v, want [0, 1]", name, s))
			continue
		}
		if err := n.Weight.CheckFinite(); err != nil {
			errs = append(errs, fmt.Errorf("global weighted pruning: layer %q weight: %w", name, err))
			continue
		}
		var ss float64
		for _, v := range n.Weight.Data {
			ss += float64(v) * float64(v)
		}
		rms := math.Sqrt(ss / float64(max(1, n.Weight.Len())))
		if rms == 0 {
			rms = 1
		}
		div := rms * math.Max(1-s, MinTolerance)
		sizes[li] = n.Weight.Len()
		for _, v := range n.Weight.Data {
			all = append(all, scored{layer: li, score: math.Abs(float64(v)) / div})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// A stable sort keeps layer order (by name) and index order among equal scores.
	slices.SortStableFunc(all, func(a, b scored) int { return cmp.Compare(a.score, b.score) })
	k := int(math.Round(rate * float64(len(all))))
	counts := make([]int, len(names))
	for _, w := range all[:k] {
		counts[w.layer]++
	}
	out := make(Rates, len(names))
	for li, name := range names {
		r := 0.0
		if sizes[li] > 0 {
			r = float64(counts[li]) / float64(sizes[li])
		}
		out[name] = math.Min(r, MaxLayerRate)
	}
	return out, nil
}

// PruneGlobalWeighted prunes g to the global rate with [GlobalWeightedRates] and [Prune].
func PruneGlobalWeighted(g *model.Graph, sens map[string]float64, rate float64) (*model.Graph, error) {
	rates, err := GlobalWeightedRates(g, sens, rate)
	if err != nil {
		return nil, err
	}
	return Prune(g, rates)
}
