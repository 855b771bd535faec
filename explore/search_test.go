package explore

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tcdse/tcdse/pareto"
)

// toyProblem is a synthetic per-layer compression problem: layer sizes, per-layer sensitivity
// to pruning and to int8, and a format that helps cycles only when pruned hard.
type toyProblem struct {
	space      SearchSpace
	size, sens []float64
	q8         []float64
	romLimit   float64
}

func newToy(t *testing.T) toyProblem {
	t.Helper()
	s, err := NewSearchSpace([]string{"c1", "c2", "d1", "d2", "d3"}, []float64{0.3, 0.5, 0.7, 0.8, 0.9, 0.95}, true, []string{"", "csr"})
	if err != nil {
		t.Fatal(err)
	}
	return toyProblem{space: s, size: []float64{0.02, 0.1, 0.6, 0.2, 0.08}, sens: []float64{3, 1.5, 0.4, 0.8, 2}, q8: []float64{0.2, 0.05, 0.01, 0.02, 0.3}, romLimit: 0.9}
}

func (p toyProblem) loss(d Design) float64 {
	l := 0.0
	for i, g := range d {
		r := p.space.Rates[g.Rate]
		l += p.sens[i] * r * r * r * r
		if g.Int8 {
			l += p.q8[i]
		}
	}
	return l
}

func (p toyProblem) price(d Design) Price {
	rom, cyc := 0.0, 0.0
	for i, g := range d {
		keep := 1 - p.space.Rates[g.Rate]
		bytes := 1.0
		if g.Int8 {
			bytes = 0.25
		}
		if p.space.Formats[g.Format] == "csr" {
			rom += p.size[i] * (keep*bytes*1.5 + 0.01)
			cyc += p.size[i] * (keep*1.6 + 0.02)
		} else {
			rom += p.size[i] * bytes
			cyc += p.size[i] * bytes
		}
	}
	return Price{Costs: []float64{cyc, rom, 0.5}, Fits: rom < p.romLimit, Overflow: math.Max(0, rom-p.romLimit)}
}

func (p toyProblem) run(t *testing.T, seed uint64, budget int) *SearchRun {
	t.Helper()
	r, err := NewSearchRun(SearchConfig{Space: p.space, Budget: budget, Batch: 8, Seed: seed,
		Seeds: []Design{p.space.Uniform(2, false), p.space.Uniform(2, true)}})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Run(func(ds []Design) ([]Price, error) {
		out := make([]Price, len(ds))
		for i, d := range ds {
			out[i] = p.price(d)
		}
		return out, nil
	}, func(d Design, stop float64) (Outcome, error) {
		return Outcome{Loss: p.loss(d), Complete: true}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// hv is the hypervolume of a run's complete, fitting, in-bound records (reference 1 on the
// loss and on the costs of the toy, 0.5 RAM everywhere so its axis is dropped).
func toyHV(recs []SearchRecord) float64 {
	var vs [][]float64
	for _, r := range recs {
		if r.Complete && r.Price.Fits && r.Loss <= 1 {
			vs = append(vs, []float64{r.Loss, r.Price.Costs[0], r.Price.Costs[1]})
		}
	}
	return pareto.HypervolumeOf(vs, []float64{1, 1, 1})
}

func TestSearchRunDeterministicAndWithinBudget(t *testing.T) {
	p := newToy(t)
	a, b := p.run(t, 3, 40), p.run(t, 3, 40)
	if a.Evaluations() != 40 {
		t.Fatalf("%d evaluations, want the budget 40", a.Evaluations())
	}
	ra, rb := a.Records(), b.Records()
	if len(ra) != len(rb) {
		t.Fatalf("same seed: %d and %d records", len(ra), len(rb))
	}
	for i := range ra {
		if p.space.Key(ra[i].Design) != p.space.Key(rb[i].Design) || ra[i].Decision != rb[i].Decision {
			t.Fatalf("same seed differs at record %d: %s %s vs %s %s", i, p.space.Key(ra[i].Design), ra[i].Decision, p.space.Key(rb[i].Design), rb[i].Decision)
		}
	}
	c := p.run(t, 4, 40).Records()
	if slices.EqualFunc(ra, c, func(x, y SearchRecord) bool { return p.space.Key(x.Design) == p.space.Key(y.Design) }) {
		t.Error("seeds 3 and 4 asked the same designs")
	}
	seen := map[string]bool{}
	for _, r := range ra {
		k := p.space.Key(r.Design)
		if seen[k] {
			t.Fatalf("design %s asked twice", k)
		}
		seen[k] = true
		if r.Decision == DecideScore && !r.Price.Fits {
			t.Fatalf("design %s scored though it does not fit", k)
		}
	}
}

// NSGA-II beats random search of the same budget on the toy's hypervolume (median of 5 seeds).
func TestNSGA2BeatsRandomOnToy(t *testing.T) {
	p := newToy(t)
	var nsga, rnd []float64
	for seed := range uint64(5) {
		nsga = append(nsga, toyHV(p.run(t, seed, 48).Records()))
		rng := rand.New(rand.NewPCG(seed, 9))
		var recs []SearchRecord
		for len(recs) < 48 {
			d := make(Design, len(p.space.Layers))
			for i := range d {
				d[i] = Gene{Rate: rng.IntN(len(p.space.Rates)), Int8: rng.IntN(2) == 1, Format: rng.IntN(2)}
			}
			pr := p.price(d)
			recs = append(recs, SearchRecord{Design: d, Price: pr, Loss: p.loss(d), Complete: true})
		}
		rnd = append(rnd, toyHV(recs))
	}
	slices.Sort(nsga)
	slices.Sort(rnd)
	if !(nsga[2] > rnd[2]) {
		t.Errorf("median hypervolume NSGA-II %v, random %v; want NSGA-II ahead", nsga[2], rnd[2])
	}
	t.Logf("median hypervolume over 5 seeds: NSGA-II %.4f, random %.4f", nsga[2], rnd[2])
}

func TestSearchScreen(t *testing.T) {
	p := newToy(t)
	r, err := NewSearchRun(SearchConfig{Space: p.space, Budget: 2, Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	light := p.space.Uniform(1, false) // rate 0.3 everywhere
	// Score the light design: loss 0.05, costs (0.5, 0.5).
	light[0].Format = 0
	pr := []Price{{Costs: []float64{0.5, 0.5, 0.5}, Fits: true}}
	sc, err := r.Screen([]Design{light}, pr)
	if err != nil || sc[0].Decision != DecideScore || sc[0].StopLoss != 1 {
		t.Fatalf("first screening %+v (%v), want score with stop at the bound", sc, err)
	}
	if err := r.Record([]Design{light}, pr, sc, []Outcome{{Loss: 0.05, Complete: true}}); err != nil {
		t.Fatal(err)
	}
	sameModel := slices.Clone(light)
	sameModel[2].Format = 1
	harder := p.space.Uniform(2, false) // compresses at least as much as light: loss ≥ 0.05
	cheaperHarder := p.space.Uniform(3, false)
	designs := []Design{sameModel, harder, cheaperHarder, p.space.Uniform(4, false), p.space.Uniform(5, false)}
	prices := []Price{
		{Costs: []float64{0.4, 0.6, 0.5}, Fits: true},
		{Costs: []float64{0.6, 0.6, 0.5}, Fits: true}, // costs more than light in all: dominated
		{Costs: []float64{0.4, 0.4, 0.5}, Fits: true}, // cheaper: scored, stops at the bound
		{Costs: []float64{0.3, 0.3, 0.5}, Fits: false},
		{Costs: []float64{0.2, 0.2, 0.5}, Fits: true}, // the budget (2) is used up by then
	}
	sc, err = r.Screen(designs, prices)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{DecideSameModel, DecideDominated, DecideScore, DecideUnfit, DecideBudget}
	for i, s := range sc {
		if s.Decision != want[i] {
			t.Errorf("design %d: %s, want %s", i, s.Decision, want[i])
		}
	}
	if sc[0].Loss != 0.05 || sc[1].Loss != 0.05 || sc[2].StopLoss != 1 {
		t.Errorf("screenings %+v: want the known loss 0.05 and the stop at the bound", sc)
	}
	// With a reference, a design at or beyond it in one cost is outside, never scored.
	r.cfg.Reference = []float64{1, 1, 1}
	sc, _ = r.Screen([]Design{p.space.Uniform(6, true)}, []Price{{Costs: []float64{1.2, 0.1, 0.5}, Fits: true}})
	if sc[0].Decision != DecideOutside {
		t.Errorf("design beyond the reference: %+v, want outside", sc[0])
	}
	// A design that costs more than light in every objective but compresses less is scored
	// with light's loss as its stop.
	lighter := p.space.Uniform(0, false)
	sc, _ = r.Screen([]Design{lighter}, []Price{{Costs: []float64{0.9, 0.9, 0.5}, Fits: true}})
	if sc[0].Decision != DecideScore || sc[0].StopLoss != 0.05 {
		t.Errorf("lighter design %+v, want scored with stop loss 0.05", sc[0])
	}
}

func TestSearchRateLevels(t *testing.T) {
	if got := SearchRateLevels([]float64{0.5, 0.3, 0.95}); !slices.Equal(got, []float64{0.3, 0.5, 0.95, 0.975, MaxLayerRate}) {
		t.Errorf("levels %v", got)
	}
	if got := SearchRateLevels([]float64{0.99}); !slices.Equal(got, []float64{0.99}) {
		t.Errorf("levels beyond MaxLayerRate: %v", got)
	}
}

// The size prior prunes LeNet's big first Dense layer harder than its 150-weight first
// convolution, and maps both into the space from below.
func TestSizePriorSeedsLeNet(t *testing.T) {
	g, _ := loadLeNet(t)
	layers := []string{"Conv_0", "Conv_3", "Gemm_8", "Gemm_10", "Gemm_12"}
	s, err := NewSearchSpace(layers, SearchRateLevels([]float64{0.3, 0.5, 0.7, 0.8, 0.9, 0.95}), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	seeds, err := s.SizePriorSeeds(g, []float64{0.8})
	if err != nil {
		t.Fatal(err)
	}
	if len(seeds) != 2 || !s.Quantized(seeds[0]) || s.Quantized(seeds[1]) {
		t.Fatalf("seeds %v: want an int8 and a float design", seeds)
	}
	r := s.PruneRates(seeds[1])
	if !(r["Gemm_8"] > r["Conv_0"]) || r["Gemm_8"] < 0.8 {
		t.Errorf("size prior rates %v: want Gemm_8 pruned hardest, at least 0.8", r)
	}
}
