package explore

import (
	"math"
	"testing"

	"github.com/tcdse/tcdse/dataset"
)

// A candidate that is not stopped gets exactly Evaluate's quality; a hopeless one stops after
// the first stage having run a tenth of the samples; one whose bound is its own quality runs on.
func TestScoreStagedLeNet(t *testing.T) {
	g, ds := loadLeNet(t)
	m, err := dataset.MetricByName("top1")
	if err != nil {
		t.Fatal(err)
	}
	full, err := Evaluate(g, ds, m, 64)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ScoreStaged(g, ds, m, 64, StagedOptions{Seed: 7, Stop: full - 0.01})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Complete || s.Quality != full || s.Samples != 1000 {
		t.Fatalf("dense LeNet staged %+v, want complete with Evaluate's %v", s, full)
	}
	pruned, err := Prune(g, Rates{"Conv_0": 0.95, "Conv_3": 0.95, "Gemm_8": 0.95})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := Evaluate(pruned, ds, m, 64)
	if err != nil {
		t.Fatal(err)
	}
	s, err = ScoreStaged(pruned, ds, m, 64, StagedOptions{Seed: 7, Stop: 0.95 * full})
	if err != nil {
		t.Fatal(err)
	}
	if s.Complete || s.Samples != 100 || s.Stage != 0 || !(s.Best < 0.95*full) {
		t.Fatalf("pruned LeNet (top1 %v) staged %+v, want stopped after 100 samples below %v", bad, s, 0.95*full)
	}
	if math.Abs(s.Quality-bad) > 0.15 {
		t.Errorf("subset estimate %v far from the full %v", s.Quality, bad)
	}
	// NaN never stops.
	if s, err = ScoreStaged(pruned, ds, m, 64, StagedOptions{Seed: 7, Stop: math.NaN()}); err != nil || !s.Complete || s.Quality != bad {
		t.Errorf("staged with no stop %+v (%v), want complete %v", s, err, bad)
	}
}

func TestStagedOptionsValidate(t *testing.T) {
	for _, o := range []StagedOptions{
		{Fractions: []float64{0.3, 0.1, 1}},
		{Fractions: []float64{0.1, 0.5}},
		{Confidence: 1},
		{Confidence: 0.4},
	} {
		if o.Validate() == nil {
			t.Errorf("%+v validated", o)
		}
	}
	if err := (StagedOptions{}).Validate(); err != nil {
		t.Error(err)
	}
}
