package pareto

import (
	"bytes"
	"strings"
	"testing"
)

// summaryOutcome is a top-1 sweep with a dense baseline (0.99), a mid point and a small point
// that loses 4 %, plus a point that does not fit.
func summaryOutcome(model, target string) SweepOutcome {
	base := Point{ID: "dense", Label: "dense", Quality: 0.99, Cycles: 1000, ROMBytes: 4000, RAMBytes: 1000, WeightBytes: 3000, ArenaBytes: 600, Fits: true}
	mid := Point{ID: "m", Label: "gwp-0.5", Quality: 0.985, Cycles: 600, ROMBytes: 2500, RAMBytes: 1000, WeightBytes: 1500, ArenaBytes: 600, Fits: true}
	small := Point{ID: "s", Label: "gwp-1", Quality: 0.95, Cycles: 300, ROMBytes: 1500, RAMBytes: 1000, WeightBytes: 600, ArenaBytes: 600, Fits: true}
	big := Point{ID: "b", Label: "fat", Quality: 0.995, Cycles: 2000, ROMBytes: 9000, RAMBytes: 9000, Fits: false, Reason: "RAM"}
	return SweepOutcome{Model: model, Target: target, State: StateDone, Evaluations: 20,
		Report: Report{Metric: "top1", HigherIsBetter: true, Target: target, ClockMHz: 300, Baseline: base,
			Front: []Point{base, mid, small, big}},
		Bound: 0.99 * 0.98, HasBound: true, Measured: map[string]string{"gwp-0.5": "passed on host"}}
}

func TestSummaryPicksSmallestPointWithinBound(t *testing.T) {
	s := Summarize("nightly", "r1", []SweepOutcome{summaryOutcome("lenet", "tc387:cpu2")})
	r := s.Rows[0]
	if r.Verdict != VerdictFits || r.Best == nil || r.Best.Label != "gwp-0.5" {
		t.Fatalf("row %+v, want gwp-0.5 (gwp-1 is below the bound 0.9702)", r)
	}
	if r.Best.TimeUS != 2 || r.Best.FootprintRatio != 3600.0/2100 || r.Measured != "passed on host" {
		t.Errorf("best %+v measured %q", r.Best, r.Measured)
	}
	if got := r.Best.QualityLoss; got < 0.00499 || got > 0.00501 {
		t.Errorf("quality loss %v, want 0.005", got)
	}
	// Without a bound the smallest fitting point wins.
	o := summaryOutcome("lenet", "tc387:cpu2")
	o.HasBound = false
	if r := Summarize("n", "r", []SweepOutcome{o}).Rows[0]; r.Best.Label != "gwp-1" || r.Measured != "not measured" {
		t.Errorf("no bound: %+v", r)
	}
}

func TestSummaryVerdicts(t *testing.T) {
	below := summaryOutcome("a", "t")
	below.Bound = 0.999
	none := summaryOutcome("b", "t")
	for i := range none.Report.Front {
		none.Report.Front[i].Fits = false
	}
	failed := SweepOutcome{Model: "c", Target: "t", State: StateFailed, Error: "boom"}
	lower := summaryOutcome("d", "t") // an error metric: lower is better
	lower.Report.HigherIsBetter = false
	lower.Bound = 0.99 * 1.02
	s := Summarize("n", "r", []SweepOutcome{failed, none, below, lower})
	want := map[string]string{"a": VerdictBelowThreshold, "b": VerdictDoesNotFit, "c": VerdictNoResult, "d": VerdictFits}
	for _, r := range s.Rows {
		if r.Verdict != want[r.Model] {
			t.Errorf("%s: verdict %q, want %q", r.Model, r.Verdict, want[r.Model])
		}
	}
	if s.Rows[0].Model != "a" || !s.Partial || s.Evaluations != 60 {
		t.Errorf("rows not sorted, or partial/evaluations wrong: %+v", s)
	}
	if b := s.Rows[0].Best; b == nil || b.Label != "dense" {
		t.Errorf("below threshold: best %+v, want the best-quality fitting point", b)
	}
	// Lower is better: gwp-1 (0.95) and gwp-0.5 (0.985) are better than the baseline 0.99 and
	// meet the bound; the smallest wins and its loss is negative.
	if b := s.Rows[3].Best; b == nil || b.Label != "gwp-1" || b.QualityLoss >= 0 {
		t.Errorf("lower is better: best %+v", b)
	}
}

func TestSummaryChangesSincePreviousRun(t *testing.T) {
	prev := Summarize("n", "r1", []SweepOutcome{summaryOutcome("lenet", "tc387:cpu2"), summaryOutcome("lenet", "tc327:cpu0"), summaryOutcome("old", "tc387:cpu2")})
	worse := summaryOutcome("lenet", "tc387:cpu2")
	worse.Report.Front[1].Quality = 0.975 // the chosen point lost quality
	worse.Report.Front[1].ROMBytes = 2600
	gone := summaryOutcome("lenet", "tc327:cpu0")
	for i := range gone.Report.Front {
		gone.Report.Front[i].Fits = false
	}
	cur := Summarize("n", "r2", []SweepOutcome{worse, gone, summaryOutcome("new", "tc387:cpu2")})
	cur.CompareWith(prev)
	changes := map[string]string{}
	for _, r := range cur.Rows {
		changes[r.Model+" "+r.Target] = strings.Join(r.Changes, "; ")
	}
	for key, want := range map[string]string{
		"lenet tc387:cpu2": "quality regression",
		"lenet tc327:cpu0": "no longer fits",
		"new tc387:cpu2":   "new",
		"old tc387:cpu2":   "not in this run",
	} {
		if !strings.Contains(changes[key], want) {
			t.Errorf("%s: changes %q, want %q", key, changes[key], want)
		}
	}
	if !strings.Contains(changes["lenet tc387:cpu2"], "ROM larger") {
		t.Errorf("ROM growth not reported: %q", changes["lenet tc387:cpu2"])
	}
	var same Summary = Summarize("n", "r3", []SweepOutcome{summaryOutcome("lenet", "tc387:cpu2")})
	same.CompareWith(prev)
	if len(same.Rows[0].Changes) != 0 {
		t.Errorf("an unchanged row reports %v", same.Rows[0].Changes)
	}

	var text, js bytes.Buffer
	if err := WriteSummaryText(&text, cur); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"campaign n, run r2", "gwp-0.5", "changes since run r1", "no longer fits"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text summary lacks %q:\n%s", want, text.String())
		}
	}
	if err := WriteSummaryJSON(&js, cur); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSummaryJSON(&js)
	if err != nil || len(back.Rows) != len(cur.Rows) || back.Previous != "r1" {
		t.Errorf("JSON round trip: %+v %v", back, err)
	}
}
