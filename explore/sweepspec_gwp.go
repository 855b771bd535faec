package explore

import (
	"fmt"
)

// GWP methods: how a sweep turns the global factor g of a schedule step into per-layer rates.
const (
	// GWPScaled prunes every layer i at g·pmax_i (OpTC's global weighted pruning); see [GWPRates].
	GWPScaled = "scaled"
	// GWPWeightedGlobal ranks the weights of all layers together, each layer's magnitudes
	// divided by its tolerance 1 − s_i = pmax_i (see [GlobalWeightedRates]), and prunes the
	// globally lowest fraction g·P̄, where P̄ is the parameter-weighted mean of pmax: at g = 1
	// it removes as many weights as GWPScaled does, placed by the ranking.
	GWPWeightedGlobal = "weighted_global"
)

// Sensitivity rules: how a layer's probe curve gives its maximum rate pmax.
const (
	// RuleFirstFail walks the rates upward and stops at the first failing probe: pmax is the
	// last rate before it (a later pass is not trusted).
	RuleFirstFail = "first_fail"
	// RuleLastPass takes the largest probed rate that passes, failures below it notwithstanding.
	RuleLastPass = "last_pass"
)

// GWPSpec configures the global pruning steps of a sweep; nil or zero fields mean the defaults
// (scaled, unstructured, l2). docs/sweep-spec.md documents the fields.
type GWPSpec struct {
	// Method is GWPScaled (default) or GWPWeightedGlobal.
	Method string `json:"method,omitempty" yaml:"method"`
	// Structured removes whole channels (filters, neurons, hidden units; [PruneStructured])
	// instead of single weights; the sensitivity probes are structured too.
	Structured bool `json:"structured,omitempty" yaml:"structured"`
	// Norm ranks channels for structured pruning: "l1" or "l2" (default).
	Norm string `json:"norm,omitempty" yaml:"norm"`
	// UnstructuredSchedule, with Structured, adds a second phase after the structured steps:
	// unstructured probes of the last structured model, then unstructured steps at these
	// global factors, each from the previous step's model (see footprint_spec.go).
	UnstructuredSchedule []float64 `json:"unstructured_schedule,omitempty" yaml:"unstructured_schedule"`
}

// WithDefaults returns the spec with empty fields set (a nil spec gives all defaults).
func (s *GWPSpec) WithDefaults() GWPSpec {
	var out GWPSpec
	if s != nil {
		out = *s
	}
	if out.Method == "" {
		out.Method = GWPScaled
	}
	if out.Norm == "" {
		out.Norm = "l2"
	}
	return out
}

// validate returns the spec's problems, each naming its field under "gwp".
func (s *GWPSpec) validate() []error {
	if s == nil {
		return nil
	}
	var errs []error
	switch s.Method {
	case "", GWPScaled, GWPWeightedGlobal:
	default:
		errs = append(errs, fmt.Errorf("gwp.method: %q, want %s or %s", s.Method, GWPScaled, GWPWeightedGlobal))
	}
	switch {
	case s.Norm != "" && s.Norm != "l1" && s.Norm != "l2":
		errs = append(errs, fmt.Errorf("gwp.norm: %q, want l1 or l2", s.Norm))
	case s.Norm != "" && !s.Structured:
		errs = append(errs, fmt.Errorf("gwp.norm: %q only ranks channels for structured pruning; set gwp.structured: true or leave norm out", s.Norm))
	}
	errs = append(errs, s.validateUnstructuredSchedule()...)
	return errs
}

// SensitivitySpec configures a sweep's sensitivity analysis; nil means the defaults
// (first_fail, the top-level threshold, no fine-tuning). docs/sweep-spec.md documents the
// fields.
type SensitivitySpec struct {
	// Rule is RuleFirstFail (default) or RuleLastPass.
	Rule string `json:"rule,omitempty" yaml:"rule"`
	// Threshold is the probes' quality bound; it replaces the top-level threshold (set one of
	// the two).
	Threshold *ThresholdSpec `json:"threshold,omitempty" yaml:"threshold"`
	// FineTune fine-tunes every probe's pruned model (with the sweep's finetune options and
	// data) before scoring it.
	FineTune bool `json:"finetune,omitempty" yaml:"finetune"`
}

// SensitivityRule returns the spec's sensitivity rule, RuleFirstFail when none is set.
func (s SweepSpec) SensitivityRule() string {
	if s.Sensitivity == nil || s.Sensitivity.Rule == "" {
		return RuleFirstFail
	}
	return s.Sensitivity.Rule
}

// SensitivityThreshold returns the threshold the probes are compared with:
// sensitivity.threshold when set, else the top-level threshold.
func (s SweepSpec) SensitivityThreshold() Threshold {
	t := s.Threshold
	if s.Sensitivity != nil && s.Sensitivity.Threshold != nil {
		t = *s.Sensitivity.Threshold
	}
	return Threshold{Relative: t.Relative, Absolute: t.Absolute}
}

// ProbeFineTune reports whether every sensitivity probe is fine-tuned before it is scored.
func (s SweepSpec) ProbeFineTune() bool {
	return s.Sensitivity != nil && s.Sensitivity.FineTune
}

// validateThreshold checks one threshold spec under field.
func validateThreshold(field string, t ThresholdSpec) []error {
	var errs []error
	bad := func(f, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", f, fmt.Sprintf(format, args...)))
	}
	switch {
	case t.Relative == 0 && t.Absolute == 0:
		bad(field, "set relative (e.g. 0.99 of the unpruned quality) or absolute")
	case t.Relative != 0 && t.Absolute != 0:
		bad(field, "set relative or absolute, not both")
	case t.Relative < 0 || t.Relative > MaxRelative || t.Relative != t.Relative:
		bad(field+".relative", "%v is outside (0, %v]", t.Relative, MaxRelative)
	case t.Absolute != t.Absolute:
		bad(field+".absolute", "%v is not a number", t.Absolute)
	}
	return errs
}

// validateSensitivity checks the sensitivity block together with the fields it depends on.
func (s SweepSpec) validateSensitivity() []error {
	sens := s.Sensitivity
	topSet := s.Threshold != (ThresholdSpec{})
	if sens == nil || sens.Threshold == nil {
		return validateThreshold("threshold", s.Threshold)
	}
	var errs []error
	if topSet {
		errs = append(errs, fmt.Errorf("sensitivity.threshold: the top-level threshold is set too; set one of the two"))
	}
	errs = append(errs, validateThreshold("sensitivity.threshold", *sens.Threshold)...)
	return errs
}

// validateSensitivityOptions checks rule and finetune of the sensitivity block.
func (s SweepSpec) validateSensitivityOptions() []error {
	sens := s.Sensitivity
	if sens == nil {
		return nil
	}
	var errs []error
	switch sens.Rule {
	case "", RuleFirstFail, RuleLastPass:
	default:
		errs = append(errs, fmt.Errorf("sensitivity.rule: %q, want %s or %s", sens.Rule, RuleFirstFail, RuleLastPass))
	}
	if sens.FineTune && s.FineTune == nil {
		errs = append(errs, fmt.Errorf("sensitivity.finetune: needs the finetune block (its data and options fine-tune every probe)"))
	}
	return errs
}
