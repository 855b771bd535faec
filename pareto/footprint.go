package pareto

// Footprint is the point's memory footprint in bytes: the generated code's weights plus its
// activation arena (code and I/O buffers are left out; they are in ROMBytes and RAMBytes). It
// is zero when the point does not know its weight and arena bytes.
func (p Point) Footprint() int64 {
	return p.WeightBytes + p.ArenaBytes
}

// FootprintRatio returns how many times smaller p's footprint is than base's, or zero when
// either footprint is unknown.
func FootprintRatio(base, p Point) float64 {
	if base.Footprint() <= 0 || p.Footprint() <= 0 {
		return 0
	}
	return float64(base.Footprint()) / float64(p.Footprint())
}

// SetFootprintRatios sets the FootprintRatio of the baseline and of every point of r.Points
// and r.Front against r.Baseline.
func (r *Report) SetFootprintRatios() {
	base := r.Baseline
	r.Baseline.FootprintRatio = FootprintRatio(base, r.Baseline)
	for _, pts := range [][]Point{r.Points, r.Front} {
		for i := range pts {
			pts[i].FootprintRatio = FootprintRatio(base, pts[i])
		}
	}
}
