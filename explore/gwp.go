package explore

import (
	"errors"
	"fmt"
	"math"
)

// MaxLayerRate is the largest rate GWP gives any layer: g·pmax is clamped to it so that no
// layer loses all of its weights (Prune also requires rates below 1).
const MaxLayerRate = 0.99

// MaxGlobalFactor is the largest global factor g a GWP schedule may contain (the limit a sweep
// spec accepts too). Factors above 1 push layers beyond the rate their sensitivity probe
// accepted; 2 is the limit of that extrapolation.
const MaxGlobalFactor = 2

// GWPRates returns the global weighted pruning rates for global factor g: every layer gets
// p_i = g·pmax_i, clamped to [0, MaxLayerRate]. Layers with pmax 0 (sensitive to any pruning)
// get rate 0 whatever g is.
func GWPRates(pmax map[string]float64, g float64) Rates {
	r := make(Rates, len(pmax))
	for name, p := range pmax {
		v := g * p
		if math.IsNaN(v) || v < 0 {
			v = 0
		}
		r[name] = math.Min(v, MaxLayerRate)
	}
	return r
}

// ValidateSchedule checks a GWP schedule of global factors: non-empty, every factor in
// (0, MaxGlobalFactor], strictly increasing (so each candidate prunes at least as much as the
// one before). All problems are reported together.
func ValidateSchedule(schedule []float64) error {
	if len(schedule) == 0 {
		return fmt.Errorf("GWP schedule: empty, want at least one global factor in (0, %v]", MaxGlobalFactor)
	}
	var errs []error
	for i, g := range schedule {
		if math.IsNaN(g) || g <= 0 || g > MaxGlobalFactor {
			errs = append(errs, fmt.Errorf("GWP schedule: factor %d is %v, want a value in (0, %v]", i, g, MaxGlobalFactor))
		}
		if i > 0 && !(g > schedule[i-1]) {
			errs = append(errs, fmt.Errorf("GWP schedule: factor %d (%v) is not greater than factor %d (%v); the schedule must increase", i, g, i-1, schedule[i-1]))
		}
	}
	return errors.Join(errs...)
}
