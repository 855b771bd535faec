package report

import (
	"math"

	"github.com/tcdse/tcdse/dataset"
)

// Calibration compares the estimated cycles of the points a board ran with what the board
// measured.
type Calibration struct {
	// Unit is "cycles" when boards counted the target's cycles; otherwise what another machine
	// measured: "instructions" (callgrind) or "ns" (the host board's time). Then Scale is fitted
	// and only the spread around it and the ranking say how good the estimates are.
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

// Calibrate compares the pairs of the best unit measured: the target's cycles, else
// instructions, else nanoseconds (byUnit's keys). It returns nil when nothing was measured.
func Calibrate(byUnit map[string][]Pair) *Calibration {
	var pairs []Pair
	var unit string
	for _, u := range []string{"cycles", "instructions", "ns"} {
		if len(byUnit[u]) > 0 {
			pairs, unit = byUnit[u], u
			break
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	c := &Calibration{Unit: unit, Pairs: pairs, Scale: 1}
	if unit != "cycles" {
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
	c.Spearman = dataset.Spearman(est, meas)
	return c
}
