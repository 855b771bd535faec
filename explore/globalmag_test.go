package explore

import (
	"math"
	"testing"
)

func TestGlobalWeightedRates(t *testing.T) {
	g := tinyGraph()
	// Equal sensitivity: each layer's weights are scored relative to its own RMS.
	r, err := GlobalWeightedRates(g, map[string]float64{"fc1": 0, "fc2": 0}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for name, rate := range r {
		total += int(math.Round(rate * float64(g.Node(name).Weight.Len())))
	}
	if total != 9 { // round(0.5 × 18)
		t.Errorf("rates %v prune %d weights, want 9", r, total)
	}
	// A sensitive fc2 loses fewer weights than an insensitive one.
	r2, err := GlobalWeightedRates(g, map[string]float64{"fc1": 0, "fc2": 0.9}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if !(r2["fc2"] < r["fc2"]) || !(r2["fc1"] > r["fc1"]) {
		t.Errorf("sensitivity 0.9 on fc2: rates %v, with equal sensitivity %v; want fc2 pruned less", r2, r)
	}
	p, err := PruneGlobalWeighted(g, map[string]float64{"fc1": 0, "fc2": 0.9}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if z := p.Node("fc1").Weight.CountZeros() + p.Node("fc2").Weight.CountZeros(); z != 9 {
		t.Errorf("%d zeros after pruning, want 9", z)
	}
	// The globally lowest scores are the ones removed: every pruned weight scores at most
	// every kept one.
	score := func(name string, v float32) float64 {
		n := g.Node(name)
		var ss float64
		for _, w := range n.Weight.Data {
			ss += float64(w) * float64(w)
		}
		s := map[string]float64{"fc1": 0, "fc2": 0.9}[name]
		return math.Abs(float64(v)) / (math.Sqrt(ss/float64(n.Weight.Len())) * math.Max(1-s, MinTolerance))
	}
	maxPruned, minKept := 0.0, math.Inf(1)
	for _, name := range []string{"fc1", "fc2"} {
		for i, v := range g.Node(name).Weight.Data {
			if p.Node(name).Weight.Data[i] == 0 {
				maxPruned = math.Max(maxPruned, score(name, v))
			} else {
				minKept = math.Min(minKept, score(name, v))
			}
		}
	}
	if maxPruned > minKept {
		t.Errorf("a pruned weight scores %v, above a kept one at %v", maxPruned, minKept)
	}
	for _, bad := range []map[string]float64{{"act": 0}, {"fc1": 2}, {"nope": 0}} {
		if _, err := GlobalWeightedRates(g, bad, 0.5); err == nil {
			t.Errorf("sensitivities %v accepted", bad)
		}
	}
	if _, err := GlobalWeightedRates(g, map[string]float64{"fc1": 0}, 1); err == nil {
		t.Error("rate 1 accepted")
	}
}
