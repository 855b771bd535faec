package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/tc3xx"
)

// calibPriceSamples calibrate the int8 graph that is only priced: weights (and so sizes,
// sparsity and cost) do not depend on activation ranges. Each scored point's cost is taken
// from its scored graph, and the run counts prices that differ from it.
const calibPriceSamples = 8

// bench holds one problem's baseline and hypervolume space.
type bench struct {
	p      *problem
	base   pareto.Point
	space  pareto.HypervolumeSpace
	layers []string
}

func newBench(p *problem) (*bench, error) {
	q, err := explore.Evaluate(p.g, p.ds, p.metric, p.batch)
	if err != nil {
		return nil, err
	}
	b := &bench{p: p}
	if b.base, err = b.point("dense", p.g, nil, q); err != nil {
		return nil, err
	}
	b.space = pareto.HypervolumeSpace{Baseline: b.base, QualityBound: p.floor * q, HigherIsBetter: p.metric.HigherIsBetter}
	b.layers, _ = explore.SensitivityLayers(p.g, p.rates, false, "")
	return b, nil
}

// point costs g (with per-layer formats) on the problem's target.
func (b *bench) point(id string, g *model.Graph, formats map[string]string, quality float64) (pareto.Point, error) {
	c, err := priceGraph(b.p, g, formats)
	if err != nil {
		return pareto.Point{}, fmt.Errorf("%s: %w", id, err)
	}
	return pareto.Point{ID: id, Label: id, Quality: quality, Cycles: c.Cycles, ROMBytes: c.ROMBytes, RAMBytes: c.RAMBytes, Fits: c.Fits, Reason: c.Reason}, nil
}

// step is one evaluation of a method: the point it produced (nil when the scoring stopped it
// early or it is not a design point) and the seconds it took.
type step struct {
	point   *pareto.Point
	seconds float64
	// extra are points learned without an evaluation (a design whose model was scored).
	extra []pareto.Point
}

// trace is the hypervolume after each evaluation of a method, the baseline always known.
func (b *bench) trace(steps []step) []pareto.HypervolumeSample {
	pts := []pareto.Point{b.base}
	var out []pareto.HypervolumeSample
	total := 0.0
	for i, s := range steps {
		if s.point != nil {
			pts = append(pts, *s.point)
		}
		pts = append(pts, s.extra...)
		pts = pareto.Front(pts, b.space.HigherIsBetter)
		total += s.seconds
		out = append(out, pareto.HypervolumeSample{Evaluations: i + 1, Seconds: total, Hypervolume: pareto.Hypervolume(pts, b.space)})
	}
	return out
}

// evalFull builds nothing: it scores g on all samples and costs it.
func (b *bench) evalFull(id string, g *model.Graph, formats map[string]string, start time.Time) (step, error) {
	q, err := explore.Evaluate(g, b.p.ds, b.p.metric, b.p.batch)
	if err != nil {
		return step{}, err
	}
	secs := time.Since(start).Seconds()
	pt, err := b.point(id, g, formats, q)
	return step{point: &pt, seconds: secs}, err
}

// gwp is OpTC's walk as the sweep runs it (without fine-tuning): every layer probed alone at
// every rate, pmax by the threshold, then the schedule's GWP steps, each with its int8 point,
// until a step falls below the floor.
func (b *bench) gwp() ([]step, error) {
	p := b.p
	var steps []step
	var results []explore.ProbeResult
	for _, layer := range b.layers {
		for _, r := range p.rates {
			start := time.Now()
			g, err := explore.Prune(p.g, explore.Rates{layer: r})
			if err != nil {
				return nil, err
			}
			s, err := b.evalFull(fmt.Sprintf("%s@%g", layer, r), g, nil, start)
			if err != nil {
				return nil, err
			}
			steps = append(steps, s)
			results = append(results, explore.ProbeResult{Layer: layer, Rate: r, Quality: s.point.Quality})
		}
	}
	sens, err := explore.MaxRates(b.base.Quality, p.metric, p.threshold, results)
	if err != nil {
		return nil, err
	}
	pmax := map[string]float64{}
	for l, s := range sens {
		pmax[l] = s.MaxRate
	}
	for _, gf := range p.schedule {
		start := time.Now()
		g, err := explore.Prune(p.g, explore.GWPRates(pmax, gf))
		if err != nil {
			return nil, err
		}
		s, err := b.evalFull(fmt.Sprintf("gwp-%g", gf), g, nil, start)
		if err != nil {
			return nil, err
		}
		steps = append(steps, s)
		start = time.Now()
		qg, err := explore.Quantize(g, p.ds, explore.QuantizeOptions{})
		if err != nil {
			return nil, err
		}
		q8, err := b.evalFull(fmt.Sprintf("gwp-%g-int8", gf), qg, nil, start)
		if err != nil {
			return nil, err
		}
		steps = append(steps, q8)
		if p.metric.Better(b.space.QualityBound, s.point.Quality) {
			break
		}
	}
	return steps, nil
}

// searchSpace is the per-layer space of the random and NSGA-II searches.
func (b *bench) searchSpace() (explore.SearchSpace, error) {
	return explore.NewSearchSpace(b.layers, explore.SearchRateLevels(b.p.rates), true, b.p.formats)
}

// price builds and costs designs (int8 calibrated on a few samples, see calibPriceSamples).
func (b *bench) price(sp explore.SearchSpace, designs []explore.Design) ([]explore.Price, []pareto.Point, error) {
	calib, err := b.p.ds.Batch(0, min(calibPriceSamples, b.p.ds.Len()))
	if err != nil {
		return nil, nil, err
	}
	prices := make([]explore.Price, len(designs))
	points := make([]pareto.Point, len(designs))
	for i, d := range designs {
		g, err := sp.BuildDesign(b.p.g, calib, d, explore.QuantizeOptions{})
		if err != nil {
			return nil, nil, err
		}
		pt, err := b.point(sp.Label(d), g, sp.LayerFormats(d), b.base.Quality)
		if err != nil {
			return nil, nil, err
		}
		o := b.space.Objectives(pt)
		prices[i] = explore.Price{Costs: o[1:], Fits: pt.Fits}
		points[i] = pt
	}
	return prices, points, nil
}

// random scores budget uniformly random designs that fit (unfit ones are priced and skipped).
func (b *bench) random(seed uint64, budget int) ([]step, error) {
	sp, err := b.searchSpace()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 77))
	seen := map[string]bool{}
	var steps []step
	for tries := 0; len(steps) < budget && tries < 100*budget; tries++ {
		d := make(explore.Design, len(sp.Layers))
		for i := range d {
			d[i] = explore.Gene{Rate: rng.IntN(len(sp.Rates)), Int8: rng.IntN(2) == 1, Format: rng.IntN(len(sp.Formats))}
		}
		if seen[sp.Key(d)] {
			continue
		}
		seen[sp.Key(d)] = true
		prices, _, err := b.price(sp, []explore.Design{d})
		if err != nil {
			return nil, err
		}
		if !prices[0].Fits {
			continue
		}
		start := time.Now()
		g, err := sp.BuildDesign(b.p.g, b.p.ds, d, explore.QuantizeOptions{})
		if err != nil {
			return nil, err
		}
		s, err := b.evalFull(sp.Label(d), g, sp.LayerFormats(d), start)
		if err != nil {
			return nil, err
		}
		steps = append(steps, s)
	}
	return steps, nil
}

// searchOutcome is one NSGA-II run: its steps (one per scoring), the staged scorings' seconds
// against the same designs scored in full, and whether the front is the same either way.
type searchOutcome struct {
	steps                   []step
	stagedSeconds, fullSecs float64
	// stagedScore and fullScore are the same without building (pruning, quantizing): the
	// part that subset scoring can cut.
	stagedScore, fullScore   float64
	priceSeconds             float64
	priced, scored, stopped  int
	screened                 map[string]int
	sameFront                bool
	priceMismatch, qualDiffs int
}

// nsga2 runs the search with staged scoring; with replay it also scores every scored design
// in full, to measure the seconds staged scoring saved and check the front did not change.
func (b *bench) nsga2(seed uint64, budget, batch int, replay bool) (*searchOutcome, error) {
	sp, err := b.searchSpace()
	if err != nil {
		return nil, err
	}
	// Seeds: the size prior (big layers pruned hard, small ones barely) at a few global
	// rates, int8 first, and the unpruned int8 model; none costs an evaluation (a sweep seeds
	// from its GWP steps instead).
	seeds := []explore.Design{sp.Uniform(0, true)}
	prior, err := sp.SizePriorSeeds(b.p.g, []float64{0.5, 0.7, 0.8, 0.9, 0.95})
	if err != nil {
		return nil, err
	}
	seeds = append(seeds, prior...)
	// and the uniform int8 line's middle (every layer at 0.7 and at 0.8).
	for ri, r := range sp.Rates {
		if r == 0.7 || r == 0.8 {
			seeds = append(seeds, sp.Uniform(ri, true))
		}
	}
	run, err := explore.NewSearchRun(explore.SearchConfig{Space: sp, Budget: budget, Batch: batch, Seed: seed, Seeds: seeds,
		Reference: []float64{1, 1, 1}})
	if err != nil {
		return nil, err
	}
	out := &searchOutcome{screened: map[string]int{}}
	pricedPoints := map[string]pareto.Point{}
	quality := map[string]float64{} // by model key, complete scorings
	var stagedPts, fullPts []pareto.Point
	for !run.Done() {
		designs := run.Next()
		if len(designs) == 0 {
			break
		}
		start := time.Now()
		prices, pts, err := b.price(sp, designs)
		if err != nil {
			return nil, err
		}
		out.priceSeconds += time.Since(start).Seconds()
		out.priced += len(designs)
		for i, d := range designs {
			pricedPoints[sp.Key(d)] = pts[i]
		}
		screens, err := run.Screen(designs, prices)
		if err != nil {
			return nil, err
		}
		outcomes := make([]explore.Outcome, len(designs))
		for i, s := range screens {
			d := designs[i]
			out.screened[s.Decision]++
			switch s.Decision {
			case explore.DecideSameModel:
				pt := pts[i]
				pt.ID, pt.Quality = sp.Key(d), quality[sp.ModelKey(d)]
				if len(out.steps) > 0 {
					out.steps[len(out.steps)-1].extra = append(out.steps[len(out.steps)-1].extra, pt)
				}
				stagedPts, fullPts = append(stagedPts, pt), append(fullPts, pt)
				continue
			case explore.DecideScore:
			default:
				continue
			}
			start := time.Now()
			g, err := sp.BuildDesign(b.p.g, b.p.ds, d, explore.QuantizeOptions{})
			if err != nil {
				return nil, err
			}
			built := time.Now()
			sc, err := explore.ScoreStaged(g, b.p.ds, b.p.metric, b.p.batch, explore.StagedOptions{Seed: 1, Stop: b.space.QualityAt(s.StopLoss)})
			if err != nil {
				return nil, err
			}
			secs := time.Since(start).Seconds()
			out.stagedScore += time.Since(built).Seconds()
			out.stagedSeconds += secs
			out.scored++
			pt, err := b.point(sp.Key(d), g, sp.LayerFormats(d), sc.Quality)
			if err != nil {
				return nil, err
			}
			if pp := pricedPoints[sp.Key(d)]; pp.Cycles != pt.Cycles || pp.ROMBytes != pt.ROMBytes || pp.RAMBytes != pt.RAMBytes {
				out.priceMismatch++
			}
			st := step{seconds: secs}
			if sc.Complete {
				quality[sp.ModelKey(d)] = sc.Quality
				st.point = &pt
				stagedPts = append(stagedPts, pt)
			} else {
				out.stopped++
			}
			out.steps = append(out.steps, st)
			outcomes[i] = explore.Outcome{Loss: b.space.Objectives(pt)[0], Complete: sc.Complete}
			if replay {
				start := time.Now()
				g, err := sp.BuildDesign(b.p.g, b.p.ds, d, explore.QuantizeOptions{})
				if err != nil {
					return nil, err
				}
				built := time.Now()
				full, err := b.evalFull(sp.Key(d), g, sp.LayerFormats(d), start)
				if err != nil {
					return nil, err
				}
				out.fullSecs += full.seconds
				out.fullScore += full.seconds - built.Sub(start).Seconds()
				if sc.Complete && full.point.Quality != sc.Quality {
					out.qualDiffs++
				}
				fullPts = append(fullPts, *full.point)
			}
		}
		if err := run.Record(designs, prices, screens, outcomes); err != nil {
			return nil, err
		}
	}
	if replay {
		out.sameFront = sameFront(b.front(stagedPts), b.front(fullPts))
	}
	return out, nil
}

// front is the front of pts and the baseline, points below the quality bound left out (as a
// sweep leaves out points below its floor).
func (b *bench) front(pts []pareto.Point) []pareto.Point {
	all := []pareto.Point{b.base}
	for _, p := range pts {
		if b.space.Objectives(p)[0] > 1 {
			p.Fits = false
		}
		all = append(all, p)
	}
	return pareto.Front(all, b.space.HigherIsBetter)
}

// sameFront reports whether two fronts hold the same points with the same qualities.
func sameFront(a, b []pareto.Point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Quality != b[i].Quality {
			return false
		}
	}
	return true
}

// priceGraph costs g with per-layer formats on the problem's target (built-in cost model).
func priceGraph(p *problem, g *model.Graph, formats map[string]string) (tc3xx.Cost, error) {
	return tc3xx.EstimateGraph(nil, g, codegen.Options{LayerFormats: formats}, p.target)
}
