package activities

import (
	"context"
	"fmt"

	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/store"
	"github.com/tcdse/tcdse/tc3xx"
)

// MeasuredPoint is one sweep point whose code a board measured.
type MeasuredPoint struct {
	Label  string    `json:"label"`
	Code   store.Ref `json:"code"`
	Cycles float64   `json:"cycles"`
}

// CalibrateInput asks for the cost model to be fitted to a sweep's board measurements.
type CalibrateInput struct {
	// Class is the board class that measured; the fitted model is stored for it.
	Class  string `json:"class"`
	Target string `json:"target"`
	// CostModel is the sweep's cost model (nil: the built-in one of the target's core).
	CostModel *tc3xx.CostModel `json:"cost_model,omitempty"`
	Points    []MeasuredPoint  `json:"points"`
}

// RepricedPoint is a measured point's cycles as measured, as estimated before calibration and
// as estimated after.
type RepricedPoint struct {
	Label    string  `json:"label"`
	Measured float64 `json:"measured"`
	Before   float64 `json:"before"`
	After    float64 `json:"after"`
}

// CalibrateResult is the fit: its report (error before and after), the fitted model, and
// the measured points re-priced.
type CalibrateResult struct {
	Class  string          `json:"class"`
	Report tc3xx.FitReport `json:"report"`
	Model  tc3xx.CostModel `json:"model"`
	Points []RepricedPoint `json:"points"`
}

// CalibrateBoards fits the cost model to the cycles boards measured for a sweep's points
// (the least squares of tc3xx.Calibrate, each point's parameter counts rebuilt from its
// tree), re-prices the measured points and stores the fitted model for the board class in the
// farm, so that `tcdse calibrate --from-farm` and later sweeps start from it.
func (a *Activities) CalibrateBoards(ctx context.Context, in CalibrateInput) (CalibrateResult, error) {
	defer keepAlive(ctx, "calibrate")()
	target, err := tc3xx.Lookup(in.Target)
	if err != nil {
		return CalibrateResult{}, badInput("BadSpec", err)
	}
	prior := tc3xx.TC162P.Clone()
	if in.CostModel != nil {
		prior = *in.CostModel
	} else if prior, err = tc3xx.CostModelFor(target.Core.Arch); err != nil {
		return CalibrateResult{}, badInput("BadSpec", err)
	}
	var ms []tc3xx.Measurement
	for _, p := range in.Points {
		tree, err := a.Objects.Get(ctx, p.Code)
		if err != nil {
			return CalibrateResult{}, err
		}
		m, err := hilbench.TreeMeasurement(tree, p.Label, p.Cycles, prior, target)
		if err != nil {
			return CalibrateResult{}, fmt.Errorf("calibrate: %w", err)
		}
		ms = append(ms, m)
	}
	fit, rep, err := tc3xx.Calibrate(prior, ms, tc3xx.FitOptions{})
	if err != nil {
		return CalibrateResult{}, badInput("CalibrationFailed", err)
	}
	out := CalibrateResult{Class: in.Class, Report: rep, Model: fit}
	for _, m := range ms {
		out.Points = append(out.Points, RepricedPoint{Label: m.Label, Measured: m.Cycles, Before: prior.Predict(m), After: fit.Predict(m)})
	}
	if a.HIL != nil {
		if err := a.HIL.StoreModel(ctx, in.Class, fit); err != nil {
			return CalibrateResult{}, err
		}
	}
	return out, nil
}
