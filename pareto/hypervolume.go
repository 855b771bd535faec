package pareto

import (
	"cmp"
	"math"
	"slices"
)

// CostReference is where the cost axes of [HypervolumeSpace] end, as a multiple of the
// baseline's cost: 10 % above it, the usual margin beyond the nadir, so that a point that
// saves ROM but keeps the baseline's RAM (a pruned float model keeps its arena) still counts.
const CostReference = 1.1

// HypervolumeSpace fixes how points become the four minimised objectives whose dominated
// volume [Hypervolume] measures, and the reference point that bounds it. Every axis is scaled
// so that the reference point is 1 and the ideal is 0, which makes hypervolumes of one model
// and target comparable between sweeps and methods, and bounds them to [0, 1]:
//
//   - quality loss: (Qbase − Q) / (Qbase − QualityBound) for a higher-is-better metric (and
//     the same formula, with both differences negative, for a lower-is-better one), clamped
//     below at 0: 0 is the baseline's quality (or better), 1 the quality bound;
//   - cycles, ROM and RAM: the point's value divided by CostReference times the baseline's
//     (the unpruned float model's): 1/1.1 is the baseline's cost, 1 is 10 % above it, 0 free.
//
// The reference point is (1, 1, 1, 1): a point at or worse than the quality bound, or at
// least 1.1 times as costly as the baseline in any of cycles, ROM or RAM, adds no volume;
// points that do not fit the target, or whose quality is NaN, add none either. A hypervolume
// of 1 would be a free model at the baseline's quality; the baseline alone has
// (1 − 1/1.1)³ ≈ 0.00075.
type HypervolumeSpace struct {
	// Baseline is the unpruned model; its cycles, ROM and RAM must be positive.
	Baseline Point `json:"baseline"`
	// QualityBound is the worst quality that still counts, on the worse side of the
	// baseline's quality (a sweep uses its floor, else its sensitivity threshold).
	QualityBound   float64 `json:"quality_bound"`
	HigherIsBetter bool    `json:"higher_is_better"`
}

// Objectives returns p's normalised objectives (quality loss, cycles, ROM, RAM), all
// minimised, reference point 1.
func (s HypervolumeSpace) Objectives(p Point) [4]float64 {
	qb := s.Baseline.Quality
	loss := (qb - p.Quality) / (qb - s.QualityBound)
	if loss < 0 {
		loss = 0
	}
	ratio := func(v, base int64) float64 {
		if base <= 0 {
			return math.Inf(1)
		}
		return float64(v) / (CostReference * float64(base))
	}
	return [4]float64{loss, ratio(p.Cycles, s.Baseline.Cycles), ratio(p.ROMBytes, s.Baseline.ROMBytes), ratio(p.RAMBytes, s.Baseline.RAMBytes)}
}

// QualityAt returns the quality whose loss is loss (the inverse of the quality axis of
// [HypervolumeSpace.Objectives], unclamped): QualityAt(1) is the bound, QualityAt(0) the
// baseline's quality.
func (s HypervolumeSpace) QualityAt(loss float64) float64 {
	qb := s.Baseline.Quality
	return qb - loss*(qb-s.QualityBound)
}

// valid reports whether the space can measure anything: a bound strictly on the worse side of
// the baseline's quality and positive baseline costs.
func (s HypervolumeSpace) valid() bool {
	qb, lim := s.Baseline.Quality, s.QualityBound
	worse := lim < qb
	if !s.HigherIsBetter {
		worse = lim > qb
	}
	return worse && !math.IsNaN(qb) && !math.IsNaN(lim) && s.Baseline.Cycles > 0 && s.Baseline.ROMBytes > 0 && s.Baseline.RAMBytes > 0
}

// Hypervolume returns the normalised hypervolume of the fitting points of points in space s:
// the volume of the region of [0, 1]^4 that some point dominates (see [HypervolumeSpace]). It is
// 0 when s is not valid (bound not worse than the baseline's quality, or a baseline cost not
// positive). Dominated points change nothing, so it equals the hypervolume of [Front](points).
func Hypervolume(points []Point, s HypervolumeSpace) float64 {
	if !s.valid() {
		return 0
	}
	var vecs [][]float64
	for _, p := range points {
		if !p.Fits || math.IsNaN(p.Quality) {
			continue
		}
		o := s.Objectives(p)
		vecs = append(vecs, o[:])
	}
	return HypervolumeOf(vecs, []float64{1, 1, 1, 1})
}

// HypervolumeSample is the hypervolume after a number of evaluations (and, when known, after
// the evaluation seconds they took).
type HypervolumeSample struct {
	Evaluations int     `json:"evaluations"`
	Seconds     float64 `json:"seconds,omitempty"`
	Hypervolume float64 `json:"hypervolume"`
}

// HypervolumeTrace returns the hypervolume of points[:k+1] for every k: the curve of
// hypervolume against evaluations, for points in evaluation order. seconds, when not nil, holds
// each point's evaluation seconds (same length as points); the samples then carry the running
// total.
func HypervolumeTrace(points []Point, seconds []float64, s HypervolumeSpace) []HypervolumeSample {
	out := make([]HypervolumeSample, 0, len(points))
	var front []Point
	total := 0.0
	for k, p := range points {
		if seconds != nil && k < len(seconds) {
			total += seconds[k]
		}
		front = Front(append(front, p), s.HigherIsBetter)
		out = append(out, HypervolumeSample{Evaluations: k + 1, Seconds: total, Hypervolume: Hypervolume(front, s)})
	}
	return out
}

// HypervolumeResult is a report's hypervolume: the value of its front, the space it was
// measured in, and the curve against evaluations.
type HypervolumeResult struct {
	Value float64          `json:"value"`
	Space HypervolumeSpace `json:"space"`
	// Trace is the hypervolume after each of the report's points, in evaluation order.
	Trace []HypervolumeSample `json:"trace,omitempty"`
}

// SetHypervolume measures r's front in the space of r's baseline and qualityBound, and the
// curve over r.Points in their order (the order they were evaluated in).
func (r *Report) SetHypervolume(qualityBound float64) {
	s := HypervolumeSpace{Baseline: r.Baseline, QualityBound: qualityBound, HigherIsBetter: r.HigherIsBetter}
	r.Hypervolume = &HypervolumeResult{Value: Hypervolume(r.Front, s), Space: s, Trace: HypervolumeTrace(r.Points, nil, s)}
}

// HypervolumeOf returns the exact hypervolume of vectors (every objective minimised) bounded by
// ref: the Lebesgue measure of the union of the boxes [v, ref]. Vectors not strictly better
// than ref in every objective add nothing. It slices along the last objective (the HSO
// algorithm of While et al., 2006): O(n^(d−1) log n) for n vectors of d objectives, which is
// milliseconds for the few hundred points and four objectives of a sweep.
func HypervolumeOf(vectors [][]float64, ref []float64) float64 {
	d := len(ref)
	var pts [][]float64
	for _, v := range vectors {
		if len(v) != d {
			continue
		}
		inside := true
		for i := range d {
			if !(v[i] < ref[i]) {
				inside = false
				break
			}
		}
		if inside {
			pts = append(pts, v)
		}
	}
	if len(pts) == 0 || d == 0 {
		return 0
	}
	return hso(pts, ref)
}

// hso is the hypervolume of pts, all strictly inside ref.
func hso(pts [][]float64, ref []float64) float64 {
	d := len(ref)
	if d == 1 {
		best := ref[0]
		for _, p := range pts {
			best = math.Min(best, p[0])
		}
		return ref[0] - best
	}
	sorted := slices.Clone(pts)
	slices.SortFunc(sorted, func(a, b []float64) int { return cmp.Compare(a[d-1], b[d-1]) })
	if d == 2 {
		// Sweep in increasing y: each new point adds the strip left of the best x so far.
		vol, bestX := 0.0, ref[0]
		for i, p := range sorted {
			bestX = math.Min(bestX, p[0])
			next := ref[1]
			if i+1 < len(sorted) {
				next = sorted[i+1][1]
			}
			vol += (ref[0] - bestX) * (next - p[1])
		}
		return vol
	}
	vol := 0.0
	var slab [][]float64
	for i, p := range sorted {
		slab = nonDominated(append(slab, p[:d-1]))
		next := ref[d-1]
		if i+1 < len(sorted) {
			next = sorted[i+1][d-1]
		}
		if depth := next - p[d-1]; depth > 0 {
			vol += depth * hso(slab, ref[:d-1])
		}
	}
	return vol
}

// nonDominated drops the vectors that another vector weakly dominates (keeping the first of
// equal ones), which leaves the hypervolume unchanged.
func nonDominated(vs [][]float64) [][]float64 {
	out := vs[:0:0]
	for i, v := range vs {
		dominated := false
		for j, w := range vs {
			if i == j {
				continue
			}
			if weaklyDominates(w, v) && (!weaklyDominates(v, w) || j < i) {
				dominated = true
				break
			}
		}
		if !dominated {
			out = append(out, v)
		}
	}
	return out
}

func weaklyDominates(a, b []float64) bool {
	for i := range a {
		if a[i] > b[i] {
			return false
		}
	}
	return true
}
