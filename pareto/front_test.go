package pareto

import (
	"slices"
	"testing"
)

func pt(id string, q float64, cycles, rom, ram int64) Point {
	return Point{ID: id, Label: id, Quality: q, Cycles: cycles, ROMBytes: rom, RAMBytes: ram, Fits: true}
}

func ids(ps []Point) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func TestDominates(t *testing.T) {
	base := pt("a", 0.9, 100, 1000, 500)
	cases := []struct {
		name   string
		b      Point
		higher bool
		aDomB  bool
		bDomA  bool
	}{
		{"identical objectives", pt("b", 0.9, 100, 1000, 500), true, false, false},
		{"better quality only", pt("b", 0.95, 100, 1000, 500), true, false, true},
		{"fewer cycles only", pt("b", 0.9, 99, 1000, 500), true, false, true},
		{"less ROM only", pt("b", 0.9, 100, 999, 500), true, false, true},
		{"less RAM only", pt("b", 0.9, 100, 1000, 499), true, false, true},
		{"worse in all", pt("b", 0.8, 200, 2000, 600), true, true, false},
		{"trade-off quality vs ROM", pt("b", 0.95, 100, 2000, 500), true, false, false},
		{"trade-off cycles vs RAM", pt("b", 0.9, 50, 1000, 600), true, false, false},
		// Lower-is-better quality (an error): 0.95 is now worse than 0.9.
		{"lower-is-better: higher error loses", pt("b", 0.95, 100, 1000, 500), false, true, false},
		{"lower-is-better: lower error wins", pt("b", 0.5, 100, 1000, 500), false, false, true},
		{"lower-is-better: trade-off", pt("b", 0.5, 100, 2000, 500), false, false, false},
	}
	for _, c := range cases {
		if got := Dominates(base, c.b, c.higher); got != c.aDomB {
			t.Errorf("%s: Dominates(a, b) = %v, want %v", c.name, got, c.aDomB)
		}
		if got := Dominates(c.b, base, c.higher); got != c.bDomA {
			t.Errorf("%s: Dominates(b, a) = %v, want %v", c.name, got, c.bDomA)
		}
	}
}

func TestFront(t *testing.T) {
	unfit := pt("unfit", 0.99, 1, 1, 1) // would dominate everything, but does not fit
	unfit.Fits = false
	unfit.Reason = "ROM"
	points := []Point{
		pt("big", 0.98, 1000, 4000, 100),
		pt("mid", 0.97, 800, 2000, 100),
		pt("small", 0.90, 500, 1000, 100),
		pt("worse-mid", 0.96, 900, 2500, 100), // dominated by mid
		pt("tie-a", 0.95, 700, 1500, 100),     // identical objectives to tie-b: both kept
		pt("tie-b", 0.95, 700, 1500, 100),
		pt("mid", 0.97, 800, 2000, 100), // duplicate ID: collapsed
		unfit,
	}
	orig := slices.Clone(points)
	got := ids(Front(points, true))
	want := []string{"small", "tie-a", "tie-b", "mid", "big"}
	if !slices.Equal(got, want) {
		t.Errorf("Front = %v, want %v", got, want)
	}
	if !slices.EqualFunc(points, orig, func(a, b Point) bool { return a.ID == b.ID && a.Quality == b.Quality }) {
		t.Errorf("Front modified its input")
	}
	// Deterministic whatever the input order.
	rev := slices.Clone(points)
	slices.Reverse(rev)
	if got2 := ids(Front(rev, true)); !slices.Equal(got2, want) {
		t.Errorf("Front of reversed input = %v, want %v", got2, want)
	}
}

func TestFrontLowerIsBetter(t *testing.T) {
	points := []Point{
		pt("precise-big", 0.01, 1000, 4000, 100),
		pt("coarse-small", 0.05, 500, 1000, 100),
		pt("coarse-big", 0.05, 1000, 4000, 100), // dominated by both
		pt("precise-small", 0.02, 500, 1000, 100),
	}
	got := ids(Front(points, false))
	want := []string{"precise-small", "precise-big"}
	if !slices.Equal(got, want) {
		t.Errorf("lower-is-better Front = %v, want %v", got, want)
	}
	// Under higher-is-better the same points give a different front.
	got = ids(Front(points, true))
	want = []string{"coarse-small"}
	if !slices.Equal(got, want) {
		t.Errorf("higher-is-better Front = %v, want %v", got, want)
	}
}

func TestFrontAllUnfit(t *testing.T) {
	p := pt("x", 1, 1, 1, 1)
	p.Fits = false
	if got := Front([]Point{p}, true); len(got) != 0 {
		t.Errorf("Front of unfit points = %v, want empty", ids(got))
	}
	if got := Front(nil, true); len(got) != 0 {
		t.Errorf("Front(nil) = %v, want empty", ids(got))
	}
}
