package workflows

import (
	"fmt"
	"sort"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/store"
	"github.com/tcdse/tcdse/tc3xx"
)

// The decisions of a sweep, as pure functions of the spec and of what earlier phases returned.
// The workflow (sweep.go) only sequences them; each has its own tests (plan_test.go).

// candidateInput is the Evaluate input for one candidate of the sweep's base model: the
// spec's data, metric, target, batch, weight format and cost model, with the given label and
// rates. Callers set the pruning, fine-tuning, quantization and starting model.
func candidateInput(spec explore.SweepSpec, imp activities.ImportResult, label string, rates explore.Rates) activities.EvalInput {
	return activities.EvalInput{
		Model: imp.Model, ModelHash: imp.ModelHash, Data: imp.Data, Metric: spec.Metric,
		Target: spec.Target, Batch: spec.Batch, Rates: rates, Label: label, CostModel: imp.CostModel,
		Format: spec.Generate.Format, AlsoTargets: activities.AlsoTargets(spec),
	}
}

// targetReports are a multi-target sweep's reports, one per target (spec.Target's first): the
// same points, each with its cost on that target, and that target's front. Nil for a
// single-target sweep.
func targetReports(spec explore.SweepSpec, metric dataset.Metric, primary pareto.Report, baseline activities.Evaluation, evals []activities.Evaluation) ([]pareto.Report, error) {
	also := activities.AlsoTargets(spec)
	if len(also) == 0 {
		return nil, nil
	}
	reports := []pareto.Report{primary}
	for _, name := range also {
		t, err := tc3xx.Lookup(name)
		if err != nil {
			return nil, err
		}
		on := make([]activities.Evaluation, len(evals))
		for i, ev := range evals {
			on[i] = ev.OnTarget(name)
		}
		ts := spec
		ts.Target = name
		reports = append(reports, mergeReport(ts, metric, float64(t.Core.Clock.Value)/1e6, baseline.OnTarget(name), on))
	}
	return reports, nil
}

// probeSet describes one sensitivity analysis: which layers are probed, on which stored
// model, and how. A sweep has one (the base model) or two (the unstructured phase probes the
// last structured model again, single weight by single weight).
type probeSet struct {
	// Phase is the progress phase name ("sensitivity", "unstructured sensitivity").
	Phase string
	// Prefix starts every probe's label: "LAYER@RATE" becomes "PREFIXLAYER@RATE".
	Prefix string
	Layers []activities.LayerInfo
	// Model and Hash are the stored model every probe prunes.
	Model store.Ref
	Hash  string
	// Pruning is how probes prune (nil: unstructured magnitude pruning).
	Pruning *activities.PruningInput
	// KeepAll keeps every probe's model, so that code for a probe comes from exactly the
	// model it pruned; otherwise only probes with pruning or fine-tuning are kept.
	KeepAll bool
}

// baseProbes is the first sensitivity analysis: every prunable layer of the imported model,
// pruned as the spec's probes are (structured or not). Probes that are structured or
// fine-tuned keep their models.
func baseProbes(spec explore.SweepSpec, imp activities.ImportResult) probeSet {
	return probeSet{
		Phase: "sensitivity", Layers: imp.Layers, Model: imp.Model, Hash: imp.ModelHash,
		Pruning: activities.PruningFor(spec, imp, false, 0, nil),
	}
}

// unstructuredProbes is the second sensitivity analysis of a two-phase sweep: every layer
// pruned weight by weight on the last structured model (model, hash).
func unstructuredProbes(imp activities.ImportResult, model store.Ref, hash string) probeSet {
	return probeSet{
		Phase: "unstructured sensitivity", Prefix: "u-", Layers: imp.UnstructuredLayers,
		Model: model, Hash: hash, KeepAll: true,
	}
}

// probeInputs lists a probe set's candidates, layer by layer and, within a layer, rate by
// rate in the spec's order: each prunes one layer alone at one rate.
func probeInputs(spec explore.SweepSpec, imp activities.ImportResult, set probeSet) []activities.EvalInput {
	var ft *activities.FineTuneInput
	if spec.ProbeFineTune() {
		ft = activities.FineTuneFor(spec, imp)
	}
	var ins []activities.EvalInput
	for _, l := range set.Layers {
		for _, r := range spec.Rates {
			in := candidateInput(spec, imp, fmt.Sprintf("%s%s@%g", set.Prefix, l.Name, r), explore.Rates{l.Name: r})
			in.Model, in.ModelHash = set.Model, set.Hash
			in.Pruning, in.FineTune = set.Pruning, ft
			in.Keep = set.KeepAll || in.Pruning != nil || in.FineTune != nil
			ins = append(ins, in)
		}
	}
	return ins
}

// probeResults pairs each probe's rates with the quality it scored.
func probeResults(probes []activities.EvalInput, evals []activities.Evaluation) []explore.ProbeResult {
	var out []explore.ProbeResult
	for i, p := range probes {
		layers := make([]string, 0, len(p.Rates))
		for layer := range p.Rates {
			layers = append(layers, layer)
		}
		sort.Strings(layers)
		for _, layer := range layers {
			out = append(out, explore.ProbeResult{Layer: layer, Rate: p.Rates[layer], Quality: evals[i].Quality})
		}
	}
	return out
}

// maxRates is each layer's largest tolerated rate, the input of the GWP steps.
func maxRates(sens map[string]explore.LayerSensitivity) map[string]float64 {
	pmax := make(map[string]float64, len(sens))
	for layer, s := range sens {
		pmax[layer] = s.MaxRate
	}
	return pmax
}

// belowFloor says whether quality q is worse than the spec's floor (a fraction of the
// baseline's quality), and how. A spec without a floor has none.
func belowFloor(spec explore.SweepSpec, metric dataset.Metric, baseline, q float64) (string, bool) {
	floor := spec.Floor * baseline
	if spec.Floor <= 0 || !metric.Better(floor, q) {
		return "", false
	}
	return fmt.Sprintf("%s %.4g is worse than the floor %.4g", spec.Metric, q, floor), true
}

// gwpStepInput is the candidate of structured or unstructured GWP step g of the first phase:
// each layer at g times its maximum rate, pruned as the spec says. A weighted_global step's
// rates are ranked on the worker, so it carries none. The workflow sets the starting model.
func gwpStepInput(spec explore.SweepSpec, imp activities.ImportResult, pmax map[string]float64, g float64) activities.EvalInput {
	in := candidateInput(spec, imp, fmt.Sprintf("gwp-%g", g), explore.GWPRates(pmax, g))
	if in.Pruning = activities.PruningFor(spec, imp, true, g, pmax); in.Pruning != nil && in.Pruning.Method == explore.GWPWeightedGlobal {
		in.Rates = nil
	}
	return in
}

// unstructuredStepInput is step g of the unstructured phase: single-weight magnitude pruning
// at g times the maximum rates found on the structured model.
func unstructuredStepInput(spec explore.SweepSpec, imp activities.ImportResult, pmax map[string]float64, g float64) activities.EvalInput {
	return candidateInput(spec, imp, fmt.Sprintf("gwp-u-%g", g), explore.GWPRates(pmax, g))
}

// int8Input is the int8 point of a scored GWP step: the step's kept model quantized, with
// calibration data from the fine-tuning split when the spec says so.
func int8Input(spec explore.SweepSpec, imp activities.ImportResult, step activities.Evaluation) activities.EvalInput {
	q := candidateInput(spec, imp, step.Label+"-int8", nil)
	q.Model, q.ModelHash, q.Keep, q.Quantize = *step.Model, step.ModelHash, true, spec.Quantize
	if spec.CalibratesOnFineTuneData() {
		q.Calibration = imp.Train
	}
	return q
}

// mergeReport builds the sweep's report: every evaluated point, in the order given (baseline
// first), a point below the floor marked as not fitting, and the Pareto front over them.
func mergeReport(spec explore.SweepSpec, metric dataset.Metric, clockMHz float64, baseline activities.Evaluation, evals []activities.Evaluation) pareto.Report {
	report := pareto.Report{
		Metric: spec.Metric, HigherIsBetter: metric.HigherIsBetter, Target: spec.Target,
		ClockMHz: clockMHz, Baseline: baseline.Point(),
	}
	for _, ev := range append([]activities.Evaluation{baseline}, evals...) {
		p := ev.Point()
		if why, below := belowFloor(spec, metric, baseline.Quality, p.Quality); below && p.Fits {
			p.Fits, p.Reason = false, why
		}
		report.Points = append(report.Points, p)
	}
	report.Front = pareto.Front(report.Points, metric.HigherIsBetter)
	report.SetFootprintRatios()
	return report
}

// choosePoints picks at most max points spread over the front, from the best quality to the
// cheapest, always including both ends.
func choosePoints(front []pareto.Point, max int, higherIsBetter bool) []pareto.Point {
	pts := append([]pareto.Point(nil), front...)
	sort.SliceStable(pts, func(i, j int) bool {
		if pts[i].Quality != pts[j].Quality {
			return (pts[i].Quality > pts[j].Quality) == higherIsBetter
		}
		return pts[i].ID < pts[j].ID
	})
	if len(pts) <= max {
		return pts
	}
	if max == 1 {
		return pts[:1]
	}
	var out []pareto.Point
	for k := 0; k < max; k++ {
		out = append(out, pts[k*(len(pts)-1)/(max-1)])
	}
	return out
}

// generateInputs are the Generate inputs of the chosen points: a point whose model was kept
// is generated from that model; any other from the base model and its rates.
func generateInputs(spec explore.SweepSpec, imp activities.ImportResult, chosen []pareto.Point, evals []activities.Evaluation) []activities.GenerateInput {
	byID := map[string]activities.Evaluation{imp.Baseline.CandidateID: imp.Baseline}
	for _, ev := range evals {
		byID[ev.CandidateID] = ev
	}
	ins := make([]activities.GenerateInput, 0, len(chosen))
	for _, p := range chosen {
		ev := byID[p.ID]
		in := activities.GenerateInput{Model: imp.Model, Rates: ev.Rates, Data: imp.Data, Label: ev.Label, Vectors: spec.Vectors, Format: spec.Generate.Format, LayerFormats: ev.LayerFormats, Target: spec.Target, CostModel: imp.CostModel}
		if ev.Model != nil {
			in.Model, in.Rates = *ev.Model, nil
		}
		ins = append(ins, in)
	}
	return ins
}

// boardInputs are the board runs of the generated trees, or none when the spec names no board.
// calibrationInput returns the calibration step's input: the points whose board result passed
// with a cycle count. ok is false, with a note saying why, when the spec does not ask for
// calibration or fewer than hil.min_points (default 3) points were measured.
func calibrationInput(spec explore.SweepSpec, imp activities.ImportResult, code []activities.GenerateResult, boards []hilbench.RunResult) (in activities.CalibrateInput, ok bool, note string) {
	if !spec.HIL.Calibrate {
		return in, false, ""
	}
	in = activities.CalibrateInput{Class: spec.HIL.Board, Target: spec.Target, CostModel: imp.CostModel}
	for i, b := range boards {
		if i < len(code) && b.Error == "" && b.Pass && b.CyclesPerInference > 0 {
			in.Points = append(in.Points, activities.MeasuredPoint{Label: code[i].Label, Code: code[i].Code, Cycles: b.CyclesPerInference})
		}
	}
	need := spec.HIL.MinPoints
	if need <= 0 {
		need = 3
	}
	if len(in.Points) < need {
		return in, false, fmt.Sprintf("calibration skipped: %d points measured with a cycle count, hil.min_points is %d", len(in.Points), need)
	}
	return in, true, ""
}

func boardInputs(spec explore.SweepSpec, code []activities.GenerateResult) []activities.BoardInput {
	if spec.HIL.Board == "" {
		return nil
	}
	ins := make([]activities.BoardInput, 0, len(code))
	for _, gen := range code {
		ins = append(ins, activities.BoardInput{Code: gen.Code, Board: spec.HIL.Board, Label: gen.Label, TimeoutSeconds: spec.HIL.TimeoutSeconds, Priority: spec.HIL.Priority})
	}
	return ins
}
