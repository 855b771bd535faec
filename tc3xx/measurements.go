package tc3xx

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

// MeasurementRecord is one line of a measurements file (JSON Lines): the cycles a board
// measured for a whole model or one layer of it, and how the code was built and placed.
//
//	{"model": "lenet.onnx", "target": "tc387:cpu2", "cycles": 412345}
//	{"model": "lenet.onnx", "rates": {"fc1": 0.9}, "format": "csr", "layer": "fc1",
//	 "target": "tc387:cpu2", "weights": "pflash", "activations": "dspr", "cycles": 51234}
//
// model is a model file (relative names are relative to the measurements file); rates prune it
// by magnitude before code generation; format is the codegen weight format (auto, dense,
// csr); layer names the measured node (empty: the whole inference); weights and activations
// are placements (defaults pflash and dspr). Blank lines and lines starting with # are
// skipped.
type MeasurementRecord struct {
	Line        int                 `json:"-"`
	Label       string              `json:"label,omitempty"`
	Model       string              `json:"model"`
	Rates       map[string]float64  `json:"rates,omitempty"`
	Format      string              `json:"format,omitempty"`
	Target      string              `json:"target"`
	Weights     Placement           `json:"weights,omitempty"`
	Activations ActivationPlacement `json:"activations,omitempty"`
	Layer       string              `json:"layer,omitempty"`
	Cycles      *float64            `json:"cycles"`
}

// ParseMeasurements reads a measurements file; name is used in errors ("file:line: field").
func ParseMeasurements(r io.Reader, name string) ([]MeasurementRecord, error) {
	var out []MeasurementRecord
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		where := fmt.Sprintf("%s:%d", name, line)
		var rec MeasurementRecord
		dec := json.NewDecoder(bytes.NewReader([]byte(text)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("%s: not a JSON measurement: %v", where, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%s: more than one JSON value on the line", where)
		}
		rec.Line = line
		if err := rec.check(); err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no measurements", name)
	}
	return out, nil
}

func (r MeasurementRecord) check() error {
	switch {
	case r.Model == "":
		return fmt.Errorf("field model: missing")
	case r.Target == "":
		return fmt.Errorf("field target: missing (e.g. \"tc387:cpu2\")")
	case r.Cycles == nil:
		return fmt.Errorf("field cycles: missing")
	case !(*r.Cycles > 0) || math.IsInf(*r.Cycles, 0):
		return fmt.Errorf("field cycles: %v must be positive", *r.Cycles)
	}
	switch r.Format {
	case "", codegen.FormatAuto, codegen.FormatDense, codegen.FormatCSR:
	default:
		return fmt.Errorf("field format: %q is not auto, dense or csr", r.Format)
	}
	if r.Weights != "" {
		if err := r.Weights.check(); err != nil {
			return fmt.Errorf("field weights: %v", err)
		}
	}
	if r.Activations != "" {
		if err := r.Activations.check(); err != nil {
			return fmt.Errorf("field activations: %v", err)
		}
	}
	for layer, rate := range r.Rates {
		if rate < 0 || rate >= 1 || math.IsNaN(rate) {
			return fmt.Errorf("field rates[%q]: %v is outside [0, 1)", layer, rate)
		}
	}
	return nil
}

// GraphLoader returns the graph a record names, pruned at its rates.
type GraphLoader func(modelFile string, rates map[string]float64) (*model.Graph, error)

// ResolveMeasurements turns records into measurements: it loads and prunes each model (once),
// plans it with the record's format, estimates it on the record's target and placement with
// prior and takes the parameter counts of the measured layer or of the whole model. It
// rejects records whose target is unknown or has another core architecture than prior,
// whose layer is not in the model or emits no code, and inconsistent files: one layer
// measured twice with results more than 25% apart, or per-layer measurements that add up to
// more than 105% of the whole-model measurement of the same build. name is the file name for
// errors.
func ResolveMeasurements(recs []MeasurementRecord, name string, cat *Catalog, prior CostModel, load GraphLoader) ([]Measurement, error) {
	type built struct {
		g    *model.Graph
		plan *codegen.Plan
	}
	graphs := map[string]*model.Graph{}
	plans := map[string]built{}
	type seen struct {
		line   int
		cycles float64
	}
	layerSeen := map[string]seen{}
	layerSum := map[string]float64{}
	layerLines := map[string][]int{}
	whole := map[string]seen{}
	var out []Measurement
	for _, r := range recs {
		where := fmt.Sprintf("%s:%d", name, r.Line)
		t, err := cat.Lookup(r.Target)
		if err != nil {
			return nil, fmt.Errorf("%s: field target: %v", where, err)
		}
		if t.Core.Arch != prior.Arch {
			return nil, fmt.Errorf("%s: field target: %s has a %s core, but the cost model being fitted is for %s; fit each architecture from its own file", where, t, t.Core.Arch, prior.Arch)
		}
		if r.Weights != "" {
			t.Weights = r.Weights
		}
		if r.Activations != "" {
			t.Activations = r.Activations
		}
		gkey := r.Model + "|" + ratesKey(r.Rates)
		g, ok := graphs[gkey]
		if !ok {
			if g, err = load(r.Model, r.Rates); err != nil {
				return nil, fmt.Errorf("%s: field model: %v", where, err)
			}
			graphs[gkey] = g
		}
		format := r.Format
		if format == "" {
			format = codegen.FormatAuto
		}
		pkey := gkey + "|" + format
		b, ok := plans[pkey]
		if !ok {
			p, err := codegen.PlanGraph(g, codegen.Options{Format: format})
			if err != nil {
				return nil, fmt.Errorf("%s: %v", where, err)
			}
			b = built{g, p}
			plans[pkey] = b
		}
		c, err := EstimateWith(prior, b.g, b.plan, t)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		cycles := *r.Cycles
		label := r.Label
		if label == "" {
			label = fmt.Sprintf("line %d", r.Line)
		}
		ms := Measurement{Label: label, Cycles: cycles}
		bkey := pkey + "|" + t.String() + "|" + string(t.Weights) + "|" + string(t.Activations)
		if r.Layer == "" {
			if prev, dup := whole[bkey]; dup && !close25(prev.cycles, cycles) {
				return nil, fmt.Errorf("%s: inconsistent: the same build was measured at %g cycles on line %d and %g here", where, prev.cycles, prev.line, cycles)
			}
			whole[bkey] = seen{r.Line, cycles}
			ms.Counts, ms.Fixed = c.Counts()
		} else {
			var lc *LayerCost
			for i := range c.Layers {
				if c.Layers[i].Node == r.Layer {
					lc = &c.Layers[i]
				}
			}
			if lc == nil {
				return nil, fmt.Errorf("%s: field layer: model %s has no node %q", where, r.Model, r.Layer)
			}
			if len(lc.Counts) == 0 {
				return nil, fmt.Errorf("%s: field layer: node %q emits no code in this build (fused or aliased), so it cannot be measured", where, r.Layer)
			}
			lkey := bkey + "|" + r.Layer
			if prev, dup := layerSeen[lkey]; dup && !close25(prev.cycles, cycles) {
				return nil, fmt.Errorf("%s: inconsistent: layer %s of the same build was measured at %g cycles on line %d and %g here", where, r.Layer, prev.cycles, prev.line, cycles)
			} else if !dup {
				layerSum[bkey] += cycles
				layerLines[bkey] = append(layerLines[bkey], r.Line)
			}
			layerSeen[lkey] = seen{r.Line, cycles}
			ms.Counts = map[string]float64{}
			for k, v := range lc.Counts {
				ms.Counts[k] = v
			}
			ms.Fixed = lc.Fixed
		}
		out = append(out, ms)
	}
	keys := make([]string, 0, len(layerSum))
	for k := range layerSum {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if w, ok := whole[k]; ok && layerSum[k] > 1.05*w.cycles {
			return nil, fmt.Errorf("%s: inconsistent: the per-layer measurements on lines %v add up to %g cycles, more than the whole-model measurement of the same build on line %d (%g cycles)",
				name, layerLines[k], layerSum[k], w.line, w.cycles)
		}
	}
	return out, nil
}

func close25(a, b float64) bool { return math.Abs(a-b) <= 0.25*math.Max(a, b) }

func ratesKey(r map[string]float64) string {
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%v;", k, r[k])
	}
	return b.String()
}
