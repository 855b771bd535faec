package explore

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// Probe is one step of the sensitivity analysis: prune only Layer, at Rate, and measure quality.
type Probe struct {
	Layer string  `json:"layer"`
	Rate  float64 `json:"rate"`
}

// ProbeResult is the measured quality of one probe.
type ProbeResult struct {
	Layer   string  `json:"layer"`
	Rate    float64 `json:"rate"`
	Quality float64 `json:"quality"`
}

// LayerSensitivity is the outcome of the sensitivity analysis for one layer.
type LayerSensitivity struct {
	Layer string `json:"layer"`
	// MaxRate (pmax in OpTC) is the largest probed rate that keeps quality within the threshold, walking up from
	// the smallest rate and stopping at the first failure (RuleLastPass: not stopping); 0 when no rate passes
	// under the rule.
	MaxRate float64 `json:"max_rate"`
	// Sensitivity is 1 − MaxRate: 0 for a layer that tolerates heavy pruning, 1 for one that
	// tolerates none.
	Sensitivity float64 `json:"sensitivity"`
	// Bound is the quality limit the probes were compared with.
	Bound float64 `json:"bound"`
	// Curve holds the layer's probe results sorted by rate.
	Curve []ProbeResult `json:"curve"`
}

// SensitivityPlan lists every (prunable layer, rate) probe: layers in graph order, and for each
// layer the rates sorted ascending with duplicates removed. The probes are independent and can
// be evaluated in any order or in parallel (see [RunProbe]). Validate the rates first with
// [ValidateProbeRates]; an invalid rate makes its probe fail in [Prune].
func SensitivityPlan(g *model.Graph, rates []float64) []Probe {
	var layers []string
	for _, n := range g.PrunableLayers() {
		layers = append(layers, n.Name)
	}
	return probePlan(layers, rates)
}

// probePlan lists every (layer, rate) probe: layers in the given order, rates ascending
// without duplicates.
func probePlan(layers []string, rates []float64) []Probe {
	rs := slices.Clone(rates)
	slices.Sort(rs)
	rs = slices.Compact(rs)
	var plan []Probe
	for _, l := range layers {
		for _, r := range rs {
			plan = append(plan, Probe{Layer: l, Rate: r})
		}
	}
	return plan
}

// ValidateProbeRates checks a list of sensitivity rates: non-empty, each in (0, 1).
func ValidateProbeRates(rates []float64) error {
	if len(rates) == 0 {
		return errors.New("sensitivity rates: empty list, want at least one rate in (0, 1)")
	}
	var errs []error
	for i, r := range rates {
		if math.IsNaN(r) || r <= 0 || r >= 1 {
			errs = append(errs, fmt.Errorf("sensitivity rate %d is %v, want a value in (0, 1)", i, r))
		}
	}
	return errors.Join(errs...)
}

// RunProbe prunes p.Layer of g at p.Rate (and nothing else) and evaluates the result.
func RunProbe(g *model.Graph, ds *dataset.Dataset, m dataset.Metric, p Probe, batch int) (ProbeResult, error) {
	pruned, err := Prune(g, Rates{p.Layer: p.Rate})
	if err != nil {
		return ProbeResult{}, fmt.Errorf("probe %s@%v: %w", p.Layer, p.Rate, err)
	}
	q, err := Evaluate(pruned, ds, m, batch)
	if err != nil {
		return ProbeResult{}, fmt.Errorf("probe %s@%v: %w", p.Layer, p.Rate, err)
	}
	return ProbeResult{Layer: p.Layer, Rate: p.Rate, Quality: q}, nil
}

// Threshold says how much quality a pruned model may lose relative to the unpruned baseline.
// Exactly one field must be set (non-zero).
type Threshold struct {
	// Relative is the quality bound as a multiple of the baseline quality: the bound is
	// Relative·baseline. For a higher-is-better metric it is a fraction in (0, 1] (0.99 keeps
	// 99% of the baseline accuracy) and the baseline must be positive; for a lower-is-better
	// metric (an error) it is a growth factor in [1, MaxRelative] (1.05 lets the error grow by
	// 5%) and the baseline must not be negative. The same reading applies to a sweep's floor.
	Relative float64 `json:"relative,omitempty"`
	// Absolute is the quality bound itself: the least acceptable quality for a higher-is-better
	// metric, the greatest acceptable error for a lower-is-better one.
	Absolute float64 `json:"absolute,omitempty"`
}

// MaxRelative is the largest relative threshold: a lower-is-better metric may at most double.
const MaxRelative = 2

// Validate checks that exactly one field is set and that it is in range; [Threshold.Bound]
// also checks Relative against the metric's direction.
func (t Threshold) Validate() error {
	switch {
	case t.Relative != 0 && t.Absolute != 0:
		return fmt.Errorf("threshold: both relative (%v) and absolute (%v) are set, want exactly one", t.Relative, t.Absolute)
	case t.Relative == 0 && t.Absolute == 0:
		return errors.New("threshold: neither relative nor absolute is set, want exactly one")
	case t.Relative != 0 && (math.IsNaN(t.Relative) || t.Relative < 0 || t.Relative > MaxRelative):
		return fmt.Errorf("threshold: relative is %v, want a multiple of the baseline quality in (0, %v]", t.Relative, MaxRelative)
	case math.IsNaN(t.Absolute) || math.IsInf(t.Absolute, 0):
		return fmt.Errorf("threshold: absolute is %v, want a finite quality", t.Absolute)
	}
	return nil
}

// Bound returns the quality limit for a baseline under metric direction higherIsBetter: probes
// must reach at least the bound (higher is better) or at most it (lower is better).
func (t Threshold) Bound(baseline float64, higherIsBetter bool) (float64, error) {
	if err := t.Validate(); err != nil {
		return 0, err
	}
	if math.IsNaN(baseline) || math.IsInf(baseline, 0) {
		return 0, fmt.Errorf("threshold: baseline quality is %v", baseline)
	}
	if t.Absolute != 0 {
		return t.Absolute, nil
	}
	if higherIsBetter {
		if t.Relative > 1 {
			return 0, fmt.Errorf("threshold: relative is %v, but for a higher-is-better metric it is the fraction of baseline quality to keep, in (0, 1] (e.g. 0.99)", t.Relative)
		}
		if baseline <= 0 {
			return 0, fmt.Errorf("threshold: relative threshold needs a positive baseline for a higher-is-better metric, baseline is %v", baseline)
		}
	} else {
		if t.Relative < 1 {
			return 0, fmt.Errorf("threshold: relative is %v, but for a lower-is-better metric it is the factor the error may grow by, in [1, %v] (e.g. 1.05)", t.Relative, MaxRelative)
		}
		if baseline < 0 {
			return 0, fmt.Errorf("threshold: relative threshold needs a non-negative baseline for a lower-is-better metric, baseline is %v", baseline)
		}
	}
	return t.Relative * baseline, nil
}

// boundSlack absorbs floating-point rounding in the threshold comparison, so that a probe whose
// quality equals the bound up to rounding (0.99·0.99 against 0.9801) passes.
const boundSlack = 1e-9

// passes reports whether quality q is within bound under the metric's direction.
func passes(q, bound float64, higherIsBetter bool) bool {
	slack := boundSlack * math.Max(1, math.Abs(bound))
	if higherIsBetter {
		return q >= bound-slack
	}
	return q <= bound+slack
}

// MaxRates turns probe results into per-layer maximum pruning rates (OpTC, Algorithm 1). For
// each layer the results are sorted by rate; walking up from the smallest rate, pmax is the
// last rate whose quality passes the threshold, and the walk stops at the first failure even if
// a larger rate would pass again (quality curves are noisy; a later pass is not trusted). pmax
// is 0 when the smallest rate already fails. Passing means quality >= bound for a
// higher-is-better metric and quality <= bound for a lower-is-better one, with [Threshold.Bound]
// giving the bound from baseline.
//
// Every layer that has at least one result appears in the map. MaxRates returns an error for an
// invalid threshold or baseline, and for results with an empty layer name, a rate outside
// [0, 1), a non-finite quality, or the same (layer, rate) twice.
func MaxRates(baseline float64, m dataset.Metric, threshold Threshold, results []ProbeResult) (map[string]LayerSensitivity, error) {
	return MaxRatesRule(baseline, m, threshold, RuleFirstFail, results)
}

// MaxRatesRule is [MaxRates] under a named rule: [RuleFirstFail] (MaxRates' walk, stopping at
// the first failure) or [RuleLastPass] (pmax is the largest passing rate, whatever failed
// below it). An empty rule means RuleFirstFail.
func MaxRatesRule(baseline float64, m dataset.Metric, threshold Threshold, rule string, results []ProbeResult) (map[string]LayerSensitivity, error) {
	switch rule {
	case "", RuleFirstFail, RuleLastPass:
	default:
		return nil, fmt.Errorf("max rates: sensitivity rule %q, want %s or %s", rule, RuleFirstFail, RuleLastPass)
	}
	bound, err := threshold.Bound(baseline, m.HigherIsBetter)
	if err != nil {
		return nil, fmt.Errorf("max rates for metric %q: %w", m.Name, err)
	}
	curves := make(map[string][]ProbeResult)
	var errs []error
	for i, r := range results {
		switch {
		case r.Layer == "":
			errs = append(errs, fmt.Errorf("probe result %d: empty layer name", i))
			continue
		case math.IsNaN(r.Rate) || r.Rate < 0 || r.Rate >= 1:
			errs = append(errs, fmt.Errorf("probe result %d (layer %q): rate %v outside [0, 1)", i, r.Layer, r.Rate))
			continue
		case math.IsNaN(r.Quality) || math.IsInf(r.Quality, 0):
			errs = append(errs, fmt.Errorf("probe result %d (layer %q, rate %v): quality is %v", i, r.Layer, r.Rate, r.Quality))
			continue
		}
		curves[r.Layer] = append(curves[r.Layer], r)
	}
	out := make(map[string]LayerSensitivity, len(curves))
	for layer, curve := range curves {
		sort.SliceStable(curve, func(i, j int) bool { return curve[i].Rate < curve[j].Rate })
		pmax := 0.0
		failed := false
		for i, r := range curve {
			if i > 0 && r.Rate == curve[i-1].Rate {
				errs = append(errs, fmt.Errorf("probe results for layer %q: rate %v appears twice", layer, r.Rate))
			}
			switch {
			case passes(r.Quality, bound, m.HigherIsBetter) && (!failed || rule == RuleLastPass):
				pmax = r.Rate
			case !passes(r.Quality, bound, m.HigherIsBetter):
				failed = true
			}
		}
		out[layer] = LayerSensitivity{Layer: layer, MaxRate: pmax, Sensitivity: 1 - pmax, Bound: bound, Curve: curve}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("max rates: %w", errors.Join(errs...))
	}
	return out, nil
}

// SensitivityResult is the outcome of a local sensitivity analysis.
type SensitivityResult struct {
	// Baseline is the quality of the unpruned model.
	Baseline float64 `json:"baseline"`
	// Probes holds every probe result, in plan order.
	Probes []ProbeResult `json:"probes"`
	// Layers maps each prunable layer to its maximum rate and sensitivity.
	Layers map[string]LayerSensitivity `json:"layers"`
	// Skipped lists the layers that were not probed, with the reason (structured probes of
	// layers that cannot be cut alone; see [SensitivityWith]).
	Skipped map[string]string `json:"skipped,omitempty"`
}

// MaxRateByLayer returns the per-layer maximum rates, the input of [GWPRates].
func (r *SensitivityResult) MaxRateByLayer() map[string]float64 {
	out := make(map[string]float64, len(r.Layers))
	for name, l := range r.Layers {
		out[name] = l.MaxRate
	}
	return out
}

// Sensitivity runs the whole sensitivity analysis in this process: the baseline evaluation,
// every probe of [SensitivityPlan] one after another, and [MaxRates]. It runs the interpreter
// [DefaultBatch] samples at a time.
func Sensitivity(g *model.Graph, ds *dataset.Dataset, m dataset.Metric, rates []float64, threshold Threshold) (*SensitivityResult, error) {
	if err := ValidateProbeRates(rates); err != nil {
		return nil, err
	}
	if err := threshold.Validate(); err != nil {
		return nil, err
	}
	baseline, err := Evaluate(g, ds, m, DefaultBatch)
	if err != nil {
		return nil, fmt.Errorf("sensitivity baseline: %w", err)
	}
	res := &SensitivityResult{Baseline: baseline}
	for _, p := range SensitivityPlan(g, rates) {
		r, err := RunProbe(g, ds, m, p, DefaultBatch)
		if err != nil {
			return nil, fmt.Errorf("sensitivity: %w", err)
		}
		res.Probes = append(res.Probes, r)
	}
	res.Layers, err = MaxRates(baseline, m, threshold, res.Probes)
	if err != nil {
		return nil, err
	}
	return res, nil
}
