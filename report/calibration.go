package report

import (
	"math"
	"sort"
)

// Calibration compares the estimated cycles of the points a board ran with what the board
// measured.
type Calibration struct {
	// Unit is "cycles" when the boards reported cycles, "ns" when they reported only time (the
	// host board: its time is not the target's, so Scale is fitted and only the spread and the
	// ranking say how good the estimates are).
	Unit  string `json:"unit"`
	Pairs []Pair `json:"pairs"`
	// Scale turns estimated cycles into the measured unit: 1 for cycles; for ns the geometric
	// mean of measured/estimated.
	Scale float64 `json:"scale"`
	// MeanAbsErr and MaxAbsErr are |Scale·estimated − measured| / measured over the pairs.
	MeanAbsErr float64 `json:"mean_abs_err"`
	MaxAbsErr  float64 `json:"max_abs_err"`
	// Spearman is the rank correlation of estimated and measured (NaN-free; 0 with fewer than
	// two pairs).
	Spearman float64 `json:"spearman"`
}

// Pair is one measured point.
type Pair struct {
	Label     string  `json:"label"`
	Estimated int64   `json:"estimated"`
	Measured  float64 `json:"measured"`
	Board     string  `json:"board"`
}

// Calibrate pairs every passing board run that measured something with its point's estimated
// cycles. It returns nil when no board measured anything. Runs in cycles win over runs in time
// when both exist.
func Calibrate(pairsCycles, pairsNs []Pair) *Calibration {
	pairs, unit := pairsCycles, "cycles"
	if len(pairs) == 0 {
		pairs, unit = pairsNs, "ns"
	}
	if len(pairs) == 0 {
		return nil
	}
	c := &Calibration{Unit: unit, Pairs: pairs, Scale: 1}
	if unit == "ns" {
		s := 0.0
		for _, p := range pairs {
			s += math.Log(p.Measured / float64(p.Estimated))
		}
		c.Scale = math.Exp(s / float64(len(pairs)))
	}
	for _, p := range pairs {
		e := math.Abs(c.Scale*float64(p.Estimated)-p.Measured) / p.Measured
		c.MeanAbsErr += e / float64(len(pairs))
		c.MaxAbsErr = math.Max(c.MaxAbsErr, e)
	}
	est := make([]float64, len(pairs))
	meas := make([]float64, len(pairs))
	for i, p := range pairs {
		est[i], meas[i] = float64(p.Estimated), p.Measured
	}
	c.Spearman = spearman(est, meas)
	return c
}

// spearman is the Pearson correlation of the ranks (ties share their mean rank).
func spearman(a, b []float64) float64 {
	if len(a) < 2 {
		return 0
	}
	ra, rb := ranks(a), ranks(b)
	var ma, mb float64
	for i := range ra {
		ma += ra[i]
		mb += rb[i]
	}
	ma /= float64(len(ra))
	mb /= float64(len(rb))
	var sab, saa, sbb float64
	for i := range ra {
		sab += (ra[i] - ma) * (rb[i] - mb)
		saa += (ra[i] - ma) * (ra[i] - ma)
		sbb += (rb[i] - mb) * (rb[i] - mb)
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}

func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return v[idx[i]] < v[idx[j]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			r[idx[k]] = float64(i+j)/2 + 1
		}
		i = j + 1
	}
	return r
}
