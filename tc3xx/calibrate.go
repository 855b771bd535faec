package tc3xx

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Measurement is one measured cycle count with what the cost model predicts it from: the
// parameter counts of the measured layers (or of the whole model) and the fixed cycles.
type Measurement struct {
	Label  string             `json:"label" yaml:"label"`
	Counts map[string]float64 `json:"counts" yaml:"counts"`
	Fixed  float64            `json:"fixed" yaml:"fixed"`
	Cycles float64            `json:"cycles" yaml:"cycles"`
}

// Predict returns the model's cycles for a measurement.
func (m CostModel) Predict(ms Measurement) float64 {
	sum := ms.Fixed
	for name, n := range ms.Counts {
		v, _ := m.Param(name)
		sum += v * n
	}
	return sum
}

// ErrorStats summarizes relative errors (estimate − measured) / measured.
type ErrorStats struct {
	N int `json:"n" yaml:"n"`
	// Mean is the mean relative error (bias), Std its standard deviation (spread), RMS the root
	// mean square and MaxAbs the largest magnitude.
	Mean   float64 `json:"mean" yaml:"mean"`
	Std    float64 `json:"std" yaml:"std"`
	RMS    float64 `json:"rms" yaml:"rms"`
	MaxAbs float64 `json:"max_abs" yaml:"max_abs"`
}

func (e ErrorStats) String() string {
	return fmt.Sprintf("mean %+.2f%%, spread (std) %.2f%%, rms %.2f%%, max |err| %.2f%% over %d", 100*e.Mean, 100*e.Std, 100*e.RMS, 100*e.MaxAbs, e.N)
}

// Errors returns the model's relative error statistics on measurements.
func (m CostModel) Errors(ms []Measurement) ErrorStats {
	s := ErrorStats{N: len(ms)}
	if len(ms) == 0 {
		return s
	}
	var sum, sq float64
	errs := make([]float64, len(ms))
	for i, x := range ms {
		e := (m.Predict(x) - x.Cycles) / x.Cycles
		errs[i] = e
		sum += e
		sq += e * e
		s.MaxAbs = math.Max(s.MaxAbs, math.Abs(e))
	}
	n := float64(len(ms))
	s.Mean = sum / n
	s.RMS = math.Sqrt(sq / n)
	var v float64
	for _, e := range errs {
		v += (e - s.Mean) * (e - s.Mean)
	}
	s.Std = math.Sqrt(v / n)
	return s
}

// FitOptions tunes Calibrate.
type FitOptions struct {
	// Prior is the weight of the pull towards the prior values, relative to one measurement
	// (0 means DefaultPrior). Parameters the measurements do not determine stay near the prior.
	Prior float64
	// Fixed names parameters to keep at their prior values.
	Fixed []string
}

// DefaultPrior is the default FitOptions.Prior.
const DefaultPrior = 1e-3

// ParamChange is one parameter's prior and fitted value.
type ParamChange struct {
	Name   string  `json:"name" yaml:"name"`
	Prior  float64 `json:"prior" yaml:"prior"`
	Fitted float64 `json:"fitted" yaml:"fitted"`
}

// FitReport says what Calibrate did: the error before and after, and the parameters it moved.
type FitReport struct {
	Measurements int           `json:"measurements" yaml:"measurements"`
	Before       ErrorStats    `json:"before" yaml:"before"`
	After        ErrorStats    `json:"after" yaml:"after"`
	Params       []ParamChange `json:"params" yaml:"params"`
	// Unused lists parameters no measurement exercises (left at the prior).
	Unused []string `json:"unused,omitempty" yaml:"unused,omitempty"`
}

// Calibrate fits the cycle parameters of prior to measurements by least squares on relative
// errors, with a weak ridge pull towards the prior values (so parameters that the
// measurements cannot tell apart stay near their documented or assumed values) and
// non-negativity. Structural parameters (line_bytes) are never fitted. The result has basis
// Calibrated on every fitted parameter and carries the report.
func Calibrate(prior CostModel, ms []Measurement, opt FitOptions) (CostModel, FitReport, error) {
	if err := prior.Validate(); err != nil {
		return CostModel{}, FitReport{}, err
	}
	if len(ms) == 0 {
		return CostModel{}, FitReport{}, fmt.Errorf("tc3xx: Calibrate: no measurements")
	}
	lambda := opt.Prior
	if lambda == 0 {
		lambda = DefaultPrior
	}
	if lambda < 0 || math.IsNaN(lambda) {
		return CostModel{}, FitReport{}, fmt.Errorf("tc3xx: Calibrate: prior weight %g is negative", lambda)
	}
	fixed := map[string]bool{}
	for _, n := range opt.Fixed {
		if prior.index(n) < 0 {
			return CostModel{}, FitReport{}, fmt.Errorf("tc3xx: Calibrate: fixed parameter %q is not in the cost model", n)
		}
		fixed[n] = true
	}
	used := map[string]bool{}
	for i, x := range ms {
		if !(x.Cycles > 0) || math.IsInf(x.Cycles, 0) {
			return CostModel{}, FitReport{}, fmt.Errorf("tc3xx: Calibrate: measurement %d (%s): cycles %g must be positive", i, x.Label, x.Cycles)
		}
		for name, n := range x.Counts {
			if prior.index(name) < 0 {
				return CostModel{}, FitReport{}, fmt.Errorf("tc3xx: Calibrate: measurement %d (%s): unknown parameter %q", i, x.Label, name)
			}
			if n < 0 || math.IsNaN(n) || math.IsInf(n, 0) {
				return CostModel{}, FitReport{}, fmt.Errorf("tc3xx: Calibrate: measurement %d (%s): count of %q is %g", i, x.Label, name, n)
			}
			if n > 0 {
				used[name] = true
			}
		}
	}
	var free []string
	var unused []string
	for _, p := range prior.Params {
		switch {
		case p.Category == Structural || fixed[p.Name]:
		case !used[p.Name]:
			unused = append(unused, p.Name)
		default:
			free = append(free, p.Name)
		}
	}
	if len(free) == 0 {
		return CostModel{}, FitReport{}, fmt.Errorf("tc3xx: Calibrate: the measurements exercise no free parameter")
	}
	values := map[string]float64{}
	for _, p := range prior.Params {
		values[p.Name] = p.Value
	}
	// Active-set non-negative least squares: solve, pin negative parameters at zero, repeat.
	active := append([]string(nil), free...)
	for len(active) > 0 {
		sol, err := solveRidge(prior, ms, active, values, lambda)
		if err != nil {
			return CostModel{}, FitReport{}, err
		}
		var keep []string
		for i, name := range active {
			if sol[i] < 0 {
				values[name] = 0
				continue
			}
			values[name] = sol[i]
			keep = append(keep, name)
		}
		if len(keep) == len(active) {
			break
		}
		active = keep
	}
	fit := prior.Clone()
	rep := FitReport{Measurements: len(ms), Before: prior.Errors(ms), Unused: unused}
	for _, name := range free {
		i := fit.index(name)
		rep.Params = append(rep.Params, ParamChange{Name: name, Prior: fit.Params[i].Value, Fitted: values[name]})
		fit.Params[i].Value = values[name]
		fit.Params[i].Basis = Calibrated
		fit.Params[i].Note = fmt.Sprintf("fitted to %d measurements (prior %g); ", len(ms), rep.Params[len(rep.Params)-1].Prior) + stripFitted(fit.Params[i].Note)
	}
	rep.After = fit.Errors(ms)
	r := rep
	fit.Fit = &r
	return fit, rep, nil
}

// stripFitted removes an earlier "fitted to ..." prefix from a note.
func stripFitted(note string) string {
	if strings.HasPrefix(note, "fitted to ") {
		if i := strings.Index(note, "); "); i >= 0 {
			return note[i+3:]
		}
	}
	return note
}

// solveRidge solves for the active parameters with every other parameter at its current
// value: rows (counts/y)·p = (y − fixed − others)/y for each measurement, and
// sqrt(λ)·p_k/s_k = sqrt(λ)·prior_k/s_k pulling towards the prior (s_k the prior, or 1).
func solveRidge(prior CostModel, ms []Measurement, active []string, values map[string]float64, lambda float64) ([]float64, error) {
	col := map[string]int{}
	for i, n := range active {
		col[n] = i
	}
	rows := len(ms) + len(active)
	a := mat.NewDense(rows, len(active), nil)
	b := mat.NewVecDense(rows, nil)
	for i, x := range ms {
		rest := x.Fixed
		for name, n := range x.Counts {
			if j, ok := col[name]; ok {
				a.Set(i, j, n/x.Cycles)
			} else {
				rest += values[name] * n
			}
		}
		b.SetVec(i, (x.Cycles-rest)/x.Cycles)
	}
	w := math.Sqrt(lambda)
	for j, name := range active {
		p0, _ := prior.Param(name)
		scale := p0
		if scale <= 0 {
			scale = 1
		}
		a.Set(len(ms)+j, j, w/scale)
		b.SetVec(len(ms)+j, w*p0/scale)
	}
	var x mat.VecDense
	if err := x.SolveVec(a, b); err != nil {
		return nil, fmt.Errorf("tc3xx: Calibrate: least squares: %v", err)
	}
	out := make([]float64, len(active))
	for i := range out {
		out[i] = x.AtVec(i)
	}
	return out, nil
}

// SortedChanges returns the report's parameter changes by name (for stable printing).
func (r FitReport) SortedChanges() []ParamChange {
	out := append([]ParamChange(nil), r.Params...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
