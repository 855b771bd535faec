package pareto

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// Hand-computed cases, each checked by inclusion-exclusion over the boxes [v, ref].
func TestHypervolumeOfHandComputed(t *testing.T) {
	cases := []struct {
		name string
		vs   [][]float64
		ref  []float64
		want float64
	}{
		{"empty", nil, []float64{1, 1}, 0},
		{"1-D", [][]float64{{0.25}, {0.5}}, []float64{1}, 0.75},
		// [1,3]x[2,3] (2) + [2,3]x[1,3] (2) − [2,3]x[2,3] (1).
		{"2-D two points", [][]float64{{1, 2}, {2, 1}}, []float64{3, 3}, 3},
		{"2-D dominated point adds nothing", [][]float64{{1, 2}, {2, 1}, {2, 2.5}}, []float64{3, 3}, 3},
		{"2-D point outside ref adds nothing", [][]float64{{1, 2}, {3, 0}}, []float64{3, 3}, 2},
		{"3-D unit", [][]float64{{0, 0, 0}}, []float64{1, 1, 1}, 1},
		// box1 1·1·0.5, box2 0.5·0.5·1, overlap 0.5·0.5·0.5.
		{"3-D two points", [][]float64{{0, 0, 0.5}, {0.5, 0.5, 0}}, []float64{1, 1, 1}, 0.5 + 0.25 - 0.125},
		// box1 0.5, box2 0.5³·1 = 0.125, overlap 0.5⁴ = 0.0625.
		{"4-D two points", [][]float64{{0, 0, 0, 0.5}, {0.5, 0.5, 0.5, 0}}, []float64{1, 1, 1, 1}, 0.5 + 0.125 - 0.0625},
		// Three 4-D points: a=(0.5,0,0,0) 0.5, b=(0,0.5,0,0) 0.5, c=(0,0,0.5,0.5) 0.25;
		// a∩b 0.25, a∩c 0.125, b∩c 0.125, a∩b∩c 0.0625: 1.25 − 0.5 + 0.0625.
		{"4-D three points", [][]float64{{0.5, 0, 0, 0}, {0, 0.5, 0, 0}, {0, 0, 0.5, 0.5}}, []float64{1, 1, 1, 1}, 0.8125},
		{"4-D duplicates count once", [][]float64{{0.5, 0.5, 0.5, 0.5}, {0.5, 0.5, 0.5, 0.5}}, []float64{1, 1, 1, 1}, 0.0625},
	}
	for _, c := range cases {
		if got := HypervolumeOf(c.vs, c.ref); !near(got, c.want) {
			t.Errorf("%s: hypervolume %v, want %v", c.name, got, c.want)
		}
	}
}

// On a grid of quarter steps the dominated volume is a count of grid cells, an independent
// check of the slicing on random 3- and 4-objective sets.
func TestHypervolumeOfMatchesGridCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const steps = 4
	for trial := range 60 {
		d := 3 + trial%2
		n := 1 + rng.IntN(12)
		vs := make([][]float64, n)
		for i := range vs {
			vs[i] = make([]float64, d)
			for j := range vs[i] {
				vs[i][j] = float64(rng.IntN(steps+1)) / steps
			}
		}
		ref := make([]float64, d)
		for j := range ref {
			ref[j] = 1
		}
		cells, total := 0, int(math.Pow(steps, float64(d)))
		for c := range total {
			// The cell's lower corner; it is dominated when some vector is ≤ it everywhere.
			corner := make([]float64, d)
			for j, k := 0, c; j < d; j, k = j+1, k/steps {
				corner[j] = float64(k%steps) / steps
			}
			for _, v := range vs {
				if weaklyDominates(v, corner) {
					cells++
					break
				}
			}
		}
		want := float64(cells) / float64(total)
		if got := HypervolumeOf(vs, ref); !near(got, want) {
			t.Fatalf("trial %d (%d points, %d objectives): hypervolume %v, grid count %v", trial, n, d, got, want)
		}
	}
}

func TestHypervolumeNormalisation(t *testing.T) {
	base := pt("dense", 0.98, 1000, 4000, 800)
	s := HypervolumeSpace{Baseline: base, QualityBound: 0.88, HigherIsBetter: true}
	// Half the loss budget, 0.55 of the reference's cycles, 1.1 of its ROM (adds none).
	if o := s.Objectives(pt("p", 0.93, 550, 4400, 800)); !near(o[0], 0.5) || !near(o[1], 0.5) || !near(o[2], 1) || !near(o[3], 1/1.1) {
		t.Errorf("objectives %v, want [0.5 0.5 1 0.909]", o)
	}
	if hv := Hypervolume([]Point{pt("p", 0.93, 550, 4400, 800)}, s); hv != 0 {
		t.Errorf("a point at the ROM reference has hypervolume %v, want 0", hv)
	}
	if hv, want := Hypervolume([]Point{base}, s), math.Pow(1-1/1.1, 3); !near(hv, want) {
		t.Errorf("baseline alone has hypervolume %v, want (1-1/1.1)³ = %v", hv, want)
	}
	// Quality above the baseline clamps to loss 0: (1)(0.5)(0.5)(0.5) at 55 % of the costs.
	better := pt("b", 0.99, 550, 2200, 440)
	if hv := Hypervolume([]Point{better}, s); !near(hv, 0.125) {
		t.Errorf("hypervolume %v, want 0.125", hv)
	}
	nofit := better
	nofit.Fits = false
	if hv := Hypervolume([]Point{nofit}, s); hv != 0 {
		t.Errorf("a point that does not fit adds %v, want 0", hv)
	}
	// A lower-is-better metric: mse 10 at baseline, bound 20; mse 15 is loss 0.5.
	mse := HypervolumeSpace{Baseline: pt("dense", 10, 1000, 4000, 800), QualityBound: 20}
	if hv := Hypervolume([]Point{pt("m", 15, 550, 2200, 440)}, mse); !near(hv, 0.5*0.125) {
		t.Errorf("mse hypervolume %v, want 0.0625", hv)
	}
	// A bound on the better side of the baseline measures nothing.
	if hv := Hypervolume([]Point{better}, HypervolumeSpace{Baseline: base, QualityBound: 0.99, HigherIsBetter: true}); hv != 0 {
		t.Errorf("hypervolume %v with the bound above the baseline, want 0", hv)
	}
}

func TestHypervolumeTraceAndReport(t *testing.T) {
	base := pt("dense", 0.98, 1000, 4000, 800)
	pts := []Point{base, pt("a", 0.93, 500, 1000, 400), pt("worse", 0.90, 600, 1200, 500), pt("b", 0.98, 250, 3000, 400)}
	r := Report{Metric: "top1", HigherIsBetter: true, Baseline: base, Points: pts, Front: Front(pts, true)}
	r.SetHypervolume(0.88)
	tr := r.Hypervolume.Trace
	if len(tr) != 4 || !near(tr[0].Hypervolume, math.Pow(1-1/1.1, 3)) || tr[2].Hypervolume != tr[1].Hypervolume || !(tr[3].Hypervolume > tr[2].Hypervolume) {
		t.Fatalf("trace %+v: want 0, then a rise, flat for a dominated point, then a rise", tr)
	}
	if r.Hypervolume.Value != tr[3].Hypervolume {
		t.Errorf("report hypervolume %v, trace ends at %v", r.Hypervolume.Value, tr[3].Hypervolume)
	}
	secs := HypervolumeTrace(pts, []float64{1, 2, 3, 4}, r.Hypervolume.Space)
	if secs[3].Seconds != 10 || secs[3].Evaluations != 4 {
		t.Errorf("last sample %+v, want 4 evaluations and 10 seconds", secs[3])
	}
}

func TestHypervolumeSpaceQualityAt(t *testing.T) {
	s := HypervolumeSpace{Baseline: pt("dense", 0.98, 1, 1, 1), QualityBound: 0.88, HigherIsBetter: true}
	for _, q := range []float64{0.98, 0.93, 0.88} {
		if got := s.QualityAt(s.Objectives(pt("p", q, 1, 1, 1))[0]); !near(got, q) {
			t.Errorf("QualityAt(loss of %v) = %v", q, got)
		}
	}
}
