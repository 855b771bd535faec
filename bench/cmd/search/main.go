// Command search compares three ways of spending the same number of evaluations (a candidate
// built and scored on the data) on a model's compression for a TC3xx target, by the
// hypervolume of the front they find (pareto.Hypervolume: quality loss to the floor, cycles,
// ROM and RAM over the unpruned model's, reference point 1):
//
//   - gwp: OpTC's walk as a sweep runs it: every layer probed alone at every rate, then the
//     GWP schedule's steps, each with its int8 point, until one falls below the floor. Its
//     evaluation count is the budget of the other two.
//   - random: uniformly random per-layer designs (rate, int8 or float, weight format) that fit
//     the target, scored in full.
//   - nsga2: explore.SearchRun over the same space: designs priced by the cost model first
//     (unfit and certainly dominated ones never scored), then scored on growing subsets
//     (10 %, 30 %, all; explore.ScoreStaged) and stopped when confidently below the floor or
//     dominated.
//
// For every model it prints the hypervolume after 25, 50, 75 and 100 % of the budget (medians
// over the seeds; gwp is deterministic), the evaluations and seconds nsga2 needs to reach
// gwp's final hypervolume, and the evaluation seconds staged scoring saved: every design nsga2
// scored is also scored in full (-replay) and the fronts of both are compared (same points,
// same qualities). Evaluation seconds are building (pruning, quantizing) plus scoring; pricing
// is reported on its own. The bench calls the domain functions directly (no Temporal).
//
// Models: lenet (bundled LeNet-5 and 1000 MNIST images), ad01 and kws01 (from -shared; skipped
// with the reason when absent).
//
//	go run ./bench/cmd/search [-models lenet,ad01,kws01] [-seeds 1,2,3] [-batch 10] [-strict]
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tcdse/tcdse/bench/internal/host"
	"github.com/tcdse/tcdse/pareto"
)

func main() {
	var models, seedList, repo, shared string
	var batch, limit int
	var replay, strict, random, verbose bool
	flag.StringVar(&models, "models", "lenet,ad01,kws01", "problems: lenet, ad01, kws01")
	flag.StringVar(&seedList, "seeds", "1,2,3", "seeds of the random and NSGA-II searches (medians are reported)")
	flag.IntVar(&batch, "batch", 10, "NSGA-II population: designs asked per generation")
	flag.StringVar(&repo, "repo", ".", "the repository root (for testdata/examples)")
	flag.StringVar(&shared, "shared", "../shared/datasets", "the shared datasets directory (ad01, kws01)")
	flag.BoolVar(&replay, "replay", true, "also score every design NSGA-II scored in full, to measure staged scoring's savings")
	flag.IntVar(&limit, "limit", 0, "score only the first N samples of each data set (quick runs; 0 = all)")
	flag.BoolVar(&random, "random", true, "run the random search too")
	flag.BoolVar(&verbose, "v", false, "print the fronts of gwp and of nsga2's first seed")
	flag.BoolVar(&strict, "strict", false, "exit 1 when a target is missed")
	flag.Parse()
	seeds, err := host.ParseSeeds(seedList)
	if err != nil {
		fmt.Fprintf(os.Stderr, "search: %v\n", err)
		os.Exit(2)
	}
	fmt.Printf("search bench: GOMAXPROCS %d, load %s, seeds %v, batch %d\n", runtime.GOMAXPROCS(0), host.LoadAverage(), seeds, batch)
	missed := 0
	for _, name := range strings.Split(models, ",") {
		p, err := loadProblem(strings.TrimSpace(name), repo, shared, limit)
		if err != nil {
			fmt.Printf("\n%s: skipped: %v\n", name, err)
			continue
		}
		m, err := runProblem(p, seeds, batch, replay, random, verbose)
		if err != nil {
			fmt.Fprintf(os.Stderr, "search: %s: %v\n", name, err)
			os.Exit(1)
		}
		missed += m
	}
	fmt.Printf("\nload %s at the end\n", host.LoadAverage())
	if strict && missed > 0 {
		os.Exit(1)
	}
}

// runProblem runs the three methods on one problem, prints its tables and returns how many
// targets were missed.
func runProblem(p *problem, seeds []uint64, batch int, replay, random, verbose bool) (int, error) {
	start := time.Now()
	b, err := newBench(p)
	if err != nil {
		return 0, err
	}
	fmt.Printf("\n%s on %s: %d samples, %d prunable layers, baseline %s %.4g, %d cycles, ROM %d B, RAM %d B; hypervolume bound %s %.4g\n",
		p.name, p.target, p.ds.Len(), len(b.layers), p.metric.Name, b.base.Quality, b.base.Cycles, b.base.ROMBytes, b.base.RAMBytes, p.metric.Name, b.space.QualityBound)
	gwpSteps, err := b.gwp()
	if err != nil {
		return 0, err
	}
	budget := len(gwpSteps)
	gwpTrace := b.trace(gwpSteps)
	gwpHV := gwpTrace[budget-1].Hypervolume
	var rndTraces, nsTraces [][]pareto.HypervolumeSample
	var outs []*searchOutcome
	for _, seed := range seeds {
		if random {
			rs, err := b.random(seed, budget)
			if err != nil {
				return 0, err
			}
			rndTraces = append(rndTraces, b.trace(rs))
		}
		o, err := b.nsga2(seed, budget, batch, replay)
		if err != nil {
			return 0, err
		}
		outs = append(outs, o)
		nsTraces = append(nsTraces, b.trace(o.steps))
	}
	if verbose {
		b.printFront("gwp", gwpSteps)
		b.printFront("nsga2 seed "+strconv.FormatUint(seeds[0], 10), outs[0].steps)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "method\tHV@25%%\tHV@50%%\tHV@75%%\tHV@%d\teval s\t\n", budget)
	row := func(name string, traces [][]pareto.HypervolumeSample) {
		fmt.Fprintf(tw, "%s\t", name)
		for _, f := range []float64{0.25, 0.5, 0.75, 1} {
			k := max(1, int(math.Round(f*float64(budget))))
			fmt.Fprintf(tw, "%.4f\t", median(traces, func(t []pareto.HypervolumeSample) float64 { return at(t, k).Hypervolume }))
		}
		fmt.Fprintf(tw, "%.1f\t\n", median(traces, func(t []pareto.HypervolumeSample) float64 { return at(t, budget).Seconds }))
	}
	row("gwp", [][]pareto.HypervolumeSample{gwpTrace})
	if random {
		row("random", rndTraces)
	}
	row("nsga2", nsTraces)
	tw.Flush()

	nsHV := median(nsTraces, func(t []pareto.HypervolumeSample) float64 { return at(t, budget).Hypervolume })
	reach := median(nsTraces, func(t []pareto.HypervolumeSample) float64 {
		for _, s := range t {
			if s.Hypervolume >= gwpHV {
				return float64(s.Evaluations)
			}
		}
		return math.Inf(1)
	})
	reachSecs := median(nsTraces, func(t []pareto.HypervolumeSample) float64 {
		for _, s := range t {
			if s.Hypervolume >= gwpHV {
				return s.Seconds
			}
		}
		return math.Inf(1)
	})
	missed := 0
	check := func(ok bool, format string, args ...any) {
		verdict := "met"
		if !ok {
			verdict, missed = "MISSED", missed+1
		}
		fmt.Printf("  %-6s "+format+"\n", append([]any{verdict}, args...)...)
	}
	check(nsHV >= 1.1*gwpHV, "nsga2 hypervolume at gwp's budget %d: %.4f = %.2fx gwp's %.4f (target >= 1.1x)", budget, nsHV, nsHV/gwpHV, gwpHV)
	check(reach <= 0.5*float64(budget), "nsga2 reaches gwp's final hypervolume after %v evaluations (%.0f%% of %d; target <= 50%%), %.1f s (gwp %.1f s)",
		reach, 100*reach/float64(budget), budget, reachSecs, gwpTrace[budget-1].Seconds)
	var staged, full, price, stagedScore, fullScore []float64
	var scored, stopped, priced, mismatch, qdiff, fronts int
	screened := map[string]int{}
	for _, o := range outs {
		staged, full, price = append(staged, o.stagedSeconds), append(full, o.fullSecs), append(price, o.priceSeconds)
		stagedScore, fullScore = append(stagedScore, o.stagedScore), append(fullScore, o.fullScore)
		scored, stopped, priced, mismatch, qdiff = scored+o.scored, stopped+o.stopped, priced+o.priced, mismatch+o.priceMismatch, qdiff+o.qualDiffs
		for k, v := range o.screened {
			screened[k] += v
		}
		if o.sameFront {
			fronts++
		}
	}
	fmt.Printf("  nsga2 over %d seeds: %d designs priced (%s), %d scored, %d of them stopped early; pricing %.2f s median per run; %d prices differed from the scored graph's cost\n",
		len(outs), priced, screenSummary(screened), scored, stopped, medianOf(price), mismatch)
	if replay {
		s, f := medianOf(staged), medianOf(full)
		check(f >= 2*s && fronts == len(outs) && qdiff == 0, "staged scoring: %.1f s against %.1f s scoring the same designs in full (%.2fx fewer seconds; target >= 2x); same front in %d of %d runs; %d complete qualities differ",
			s, f, f/s, fronts, len(outs), qdiff)
		ss, fs := medianOf(stagedScore), medianOf(fullScore)
		fmt.Printf("  staged scoring, scoring alone (building excluded): %.1f s against %.1f s (%.2fx)\n", ss, fs, fs/ss)
	}
	fmt.Printf("  (%s took %.0f s)\n", p.name, time.Since(start).Seconds())
	return missed, nil
}

// printFront prints the front of a method's points with their normalised objectives.
func (b *bench) printFront(name string, steps []step) {
	var pts []pareto.Point
	for _, s := range steps {
		if s.point != nil {
			pts = append(pts, *s.point)
		}
		pts = append(pts, s.extra...)
	}
	front := b.front(pts)
	fmt.Printf("  %s front (%d points, hypervolume %.4f):\n", name, len(front), pareto.Hypervolume(front, b.space))
	for _, p := range front {
		o := b.space.Objectives(p)
		fmt.Printf("    %-48s q %.4f  loss %.2f cyc %.2f rom %.2f ram %.2f\n", p.Label, p.Quality, o[0], o[1], o[2], o[3])
	}
}

func screenSummary(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// at returns the sample after k evaluations (the last one when the trace is shorter).
func at(t []pareto.HypervolumeSample, k int) pareto.HypervolumeSample {
	if len(t) == 0 {
		return pareto.HypervolumeSample{}
	}
	return t[min(k, len(t))-1]
}

func median(traces [][]pareto.HypervolumeSample, f func([]pareto.HypervolumeSample) float64) float64 {
	var v []float64
	for _, t := range traces {
		v = append(v, f(t))
	}
	return medianOf(v)
}

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
