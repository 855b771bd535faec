package explore

import (
	"fmt"
	"math"
)

// HasUnstructuredPhase reports whether a sweep prunes in two phases: structured GWP steps
// (whole channels), then unstructured steps (single weights) of the last structured model at
// the factors of gwp.unstructured_schedule. The unstructured phase has sensitivity probes of
// its own, run on that structured model, so its per-layer maximum rates are those of the
// shrunk model.
func (s SweepSpec) HasUnstructuredPhase() bool {
	return s.GWP != nil && s.GWP.Structured && len(s.GWP.UnstructuredSchedule) > 0
}

// validateUnstructuredSchedule checks gwp.unstructured_schedule: only with structured, and
// like schedule every factor in (0, MaxGlobalFactor] and strictly increasing.
func (s *GWPSpec) validateUnstructuredSchedule() []error {
	if len(s.UnstructuredSchedule) == 0 {
		return nil
	}
	var errs []error
	if !s.Structured {
		errs = append(errs, fmt.Errorf("gwp.unstructured_schedule: follows structured steps; set gwp.structured: true (or use schedule for unstructured pruning alone)"))
	}
	if s.Method == GWPWeightedGlobal {
		errs = append(errs, fmt.Errorf("gwp.unstructured_schedule: the unstructured phase scales each layer's own maximum rate; gwp.method %s is not supported with it", GWPWeightedGlobal))
	}
	for i, g := range s.UnstructuredSchedule {
		if math.IsNaN(g) || g <= 0 || g > MaxGlobalFactor {
			errs = append(errs, fmt.Errorf("gwp.unstructured_schedule[%d]: %v is outside (0, %v]", i, g, MaxGlobalFactor))
		}
		if i > 0 && !(g > s.UnstructuredSchedule[i-1]) {
			errs = append(errs, fmt.Errorf("gwp.unstructured_schedule: must be strictly increasing: %v", s.UnstructuredSchedule))
			break
		}
	}
	return errs
}

// Where a sweep's int8 points take their calibration samples (quantize.data).
const (
	// CalibrateScored calibrates on the first samples of the scored data (the default).
	CalibrateScored = "scored"
	// CalibrateFineTune calibrates on the first samples of the fine-tuning data (the
	// finetune block's train data or split), so no scored sample shapes the int8 model.
	CalibrateFineTune = "finetune"
)

// CalibratesOnFineTuneData reports whether the int8 points calibrate on the fine-tuning data.
func (s SweepSpec) CalibratesOnFineTuneData() bool {
	return s.Quantize != nil && s.Quantize.Data == CalibrateFineTune
}

// validateData checks quantize.data on its own.
func (q *QuantizeSpec) validateData() []error {
	switch q.Data {
	case "", CalibrateScored, CalibrateFineTune:
		return nil
	}
	return []error{fmt.Errorf("quantize.data: %q, want %s or %s", q.Data, CalibrateScored, CalibrateFineTune)}
}

// validateCalibrationData checks that quantize.data: finetune has fine-tuning data to use.
func (s SweepSpec) validateCalibrationData() []error {
	if s.CalibratesOnFineTuneData() && s.FineTune == nil {
		return []error{fmt.Errorf("quantize.data: %s needs the finetune block (its train data or split)", CalibrateFineTune)}
	}
	return nil
}
