package workflows_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/explore"
)

// TestSweepSearch runs a LeNet sweep with search: the budget of designs is scored (priced and
// screened first, some stopped early), the front holds only fully scored points, the report
// carries its hypervolume and curve, and a second sweep with the same seed takes the same path.
func TestSweepSearch(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real LeNet sweep with a search")
	}
	spec := lenetSpec(t)
	spec.Floor = 0.95
	spec.Generate.Max = 3
	spec.Search = &explore.SearchSpec{Method: explore.SearchNSGA2, Budget: 10, Seed: 7, Batch: 6}
	res := runSweepIn(t, newEnv(t, false), spec)
	scored, stopped := 0, 0
	for _, ev := range res.Search {
		if ev.Seconds > 0 || ev.Stopped {
			scored++
		}
		if ev.Stopped {
			stopped++
			if ev.Samples >= ev.Total || ev.Point().Fits {
				t.Errorf("stopped design %s: %d of %d samples, fits %v", ev.Label, ev.Samples, ev.Total, ev.Point().Fits)
			}
		}
	}
	if scored > 10 || len(res.Search) == 0 {
		t.Fatalf("%d search evaluations, %d scored: want at most the budget 10 scored", len(res.Search), scored)
	}
	if got, want := len(res.Report.Points), 1+5*3+len(res.Steps)+len(res.Search); got != want {
		t.Errorf("%d report points, want %d", got, want)
	}
	for _, p := range res.Report.Front {
		if strings.Contains(p.Reason, "stopped") || !p.Fits {
			t.Errorf("front point %s: %s", p.Label, p.Reason)
		}
	}
	hv := res.Report.Hypervolume
	if hv == nil || !(hv.Value > 0) || len(hv.Trace) != len(res.Report.Points) || hv.Trace[len(hv.Trace)-1].Hypervolume != hv.Value {
		t.Fatalf("report hypervolume %+v: want a positive value and one trace sample per point ending at it", hv)
	}
	t.Logf("search: %d evaluations (%d stopped early), front %d points, hypervolume %.4f", len(res.Search), stopped, len(res.Report.Front), hv.Value)

	again := runSweepIn(t, newEnv(t, false), spec)
	var a, b []string
	for _, ev := range res.Search {
		a = append(a, ev.Label)
	}
	for _, ev := range again.Search {
		b = append(b, ev.Label)
	}
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different searches:\n%v\n%v", a, b)
	}
}
