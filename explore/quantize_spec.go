package explore

import (
	"fmt"
)

// QuantizeSpec is a sweep's optional post-training int8 quantization: every GWP step also
// yields an int8 point, the step's model quantized with these options (see [Quantize]).
// docs/sweep-spec.md documents the fields.
type QuantizeSpec struct {
	Calibration string   `json:"calibration,omitempty" yaml:"calibration"` // minmax (default) or percentile
	Percentile  float64  `json:"percentile,omitempty" yaml:"percentile"`   // percentile calibration; 0 means 99.99
	Samples     int      `json:"samples,omitempty" yaml:"samples"`         // calibration samples; 0 means 200
	Float       []string `json:"float,omitempty" yaml:"float"`             // nodes kept float32
	PerTensor   bool     `json:"per_tensor,omitempty" yaml:"per_tensor"`   // one weight scale per layer
	// Data is where the calibration samples come from: CalibrateScored (empty: the first
	// samples of the scored data) or CalibrateFineTune (the first samples of the fine-tuning
	// data, so that scored samples only ever score); see footprint_spec.go.
	Data string `json:"data,omitempty" yaml:"data"`
}

// Options returns the quantization options.
func (q QuantizeSpec) Options() QuantizeOptions {
	return QuantizeOptions{
		Calibration: q.Calibration, Percentile: q.Percentile, Samples: q.Samples,
		Float: append([]string(nil), q.Float...), PerTensor: q.PerTensor,
	}
}

// validate returns the spec's problems, each naming its field under "quantize". Float node
// names are checked against the model when it is quantized.
func (q *QuantizeSpec) validate() []error {
	if q == nil {
		return nil
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("quantize.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	switch q.Calibration {
	case "", CalibrationMinMax, CalibrationPercentile:
	default:
		bad("calibration", "%q, want %s or %s", q.Calibration, CalibrationMinMax, CalibrationPercentile)
	}
	if q.Percentile != 0 && !(q.Percentile > 50 && q.Percentile <= 100) {
		bad("percentile", "%v is outside (50, 100]", q.Percentile)
	}
	if q.Samples < 0 || q.Samples > 1<<20 {
		bad("samples", "%d is outside [0, 1048576] (0 means %d)", q.Samples, DefaultQuantizeSamples)
	}
	errs = append(errs, q.validateData()...)
	seen := map[string]bool{}
	for i, name := range q.Float {
		if name == "" {
			bad(fmt.Sprintf("float[%d]", i), "empty node name")
		}
		if seen[name] {
			bad(fmt.Sprintf("float[%d]", i), "%q listed twice", name)
		}
		seen[name] = true
	}
	return errs
}
