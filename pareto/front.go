package pareto

import (
	"cmp"
	"math"
	"slices"
)

// Front returns the Pareto front of points: the points that fit the target and that no other
// fitting point dominates (see [Dominates]). Points that do not fit and points whose quality
// is NaN are dropped first; of several points with the same ID only the first is kept. Points
// with equal objectives but different IDs do not dominate each other and are all kept. The
// result is sorted by ROM, then ID; the input is not modified.
func Front(points []Point, qualityHigherIsBetter bool) []Point {
	seen := make(map[string]bool, len(points))
	var cand []Point
	for _, p := range points {
		if !p.Fits || math.IsNaN(p.Quality) || seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		cand = append(cand, p)
	}
	var front []Point
	for i, p := range cand {
		dominated := false
		for j, q := range cand {
			if i != j && Dominates(q, p, qualityHigherIsBetter) {
				dominated = true
				break
			}
		}
		if !dominated {
			front = append(front, p)
		}
	}
	SortByROM(front)
	return front
}

// SortByROM sorts points in place by ROM bytes, then ID.
func SortByROM(points []Point) {
	slices.SortStableFunc(points, func(a, b Point) int {
		if c := cmp.Compare(a.ROMBytes, b.ROMBytes); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
