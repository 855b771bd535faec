package explore

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/tcdse/tcdse/model"
)

// Rates maps a prunable layer (node) name to the fraction of that layer's weights to set to
// zero. Layers not named are left as they are.
type Rates map[string]float64

// Layers returns the layer names in sorted order.
func (r Rates) Layers() []string {
	names := make([]string, 0, len(r))
	for name := range r {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Validate checks the rates against g: every name must be a prunable layer of g (a node with a
// weight tensor) and every rate must lie in [0, 1). All problems are reported together, in
// sorted layer order.
func (r Rates) Validate(g *model.Graph) error {
	var errs []error
	for _, name := range r.Layers() {
		rate := r[name]
		n := g.Node(name)
		switch {
		case n == nil:
			errs = append(errs, fmt.Errorf("pruning rate for %q: no such layer in graph %q", name, g.Name))
		case n.Weight == nil:
			errs = append(errs, fmt.Errorf("pruning rate for %q: node is a %s without weights, not a prunable layer", name, n.Op))
		}
		if math.IsNaN(rate) || rate < 0 || rate >= 1 {
			errs = append(errs, fmt.Errorf("pruning rate for %q is %v, want a value in [0, 1)", name, rate))
		}
	}
	return errors.Join(errs...)
}

// Prune returns a copy of g in which, for every layer named in rates, exactly
// round(rate·n) of the layer's n weights are zero: the ones of smallest magnitude, ties broken
// by lower flat index first. Weights that are already zero have the smallest magnitude and so
// count toward the rate. Biases are never pruned. g itself is not modified.
//
// Prune returns an error naming every unknown or non-prunable layer and every rate outside
// [0, 1), and an error naming the layer when a weight is NaN or infinite.
func Prune(g *model.Graph, rates Rates) (*model.Graph, error) {
	if g == nil {
		return nil, errors.New("prune: nil graph")
	}
	if err := rates.Validate(g); err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	out := g.Clone()
	for _, name := range rates.Layers() {
		n := out.Node(name)
		if err := n.Weight.CheckFinite(); err != nil {
			return nil, fmt.Errorf("prune: layer %q weight: %w", name, err)
		}
		PruneTensor(n.Weight, rates[name])
		syncQWeight(n)
	}
	return out, nil
}

// syncQWeight carries the zeros of an int8 node's float Weight (the dequantized weights a
// full-integer model's importer keeps beside QWeight) into QWeight, which the interpreter and
// the generated code compute with: a pruned weight becomes its channel's zero point, whose
// real value is 0. So a sweep over a full-integer model prunes the int8 weights themselves,
// ranked by their real magnitudes, and its int8 arithmetic stays the model's own.
func syncQWeight(n *model.Node) {
	q := n.QWeight
	if q == nil || n.Weight == nil || len(q.Data) != len(n.Weight.Data) {
		return
	}
	zps := q.Quant.ZeroPoint
	per := len(q.Data)
	if len(zps) > 1 && len(q.Shape) > 0 && q.Shape[0] == len(zps) {
		per = len(q.Data) / len(zps) // per output channel (axis 0)
	}
	for i, v := range n.Weight.Data {
		if v != 0 {
			continue
		}
		var zp int32
		switch {
		case len(zps) == 1:
			zp = zps[0]
		case len(zps) > 1:
			zp = zps[min(i/per, len(zps)-1)]
		}
		q.Data[i] = int8(zp)
	}
}

// PruneTensor zeroes, in place, the round(rate·n) elements of t with the smallest magnitude,
// ties broken by lower index first, and returns how many elements that was. The rate is
// clamped to [0, 1]; callers validate it first. NaN elements count as smaller than any number
// (the order of [cmp.Compare]); [Prune] rejects them before getting here.
func PruneTensor(t *model.Tensor, rate float64) int {
	n := t.Len()
	k := int(math.Round(math.Max(0, math.Min(1, rate)) * float64(n)))
	if k == 0 {
		return 0
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	mag := func(i int) float64 { return math.Abs(float64(t.Data[i])) }
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(mag(a), mag(b)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, i := range idx[:k] {
		t.Data[i] = 0
	}
	return k
}
