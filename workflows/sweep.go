package workflows

import (
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/tc3xx"
)

// TaskQueue is the task queue tcdse's workers poll.
const TaskQueue = "tcdse"

// SweepResult is what a finished sweep returns (and what the CLI prints).
type SweepResult struct {
	Name        string                              `json:"name"`
	Baseline    activities.Evaluation               `json:"baseline"`
	Sensitivity map[string]explore.LayerSensitivity `json:"sensitivity"`
	// UnstructuredSensitivity are the maximum rates of the unstructured phase's probes
	// (gwp.unstructured_schedule), measured on the last structured model.
	UnstructuredSensitivity map[string]explore.LayerSensitivity `json:"unstructured_sensitivity,omitempty"`
	// Steps are the GWP steps in order: the structured ones, then the unstructured ones.
	Steps []activities.Evaluation `json:"steps"`
	// Int8 are the int8 points of the GWP steps (spec.quantize), in step order.
	Int8   []activities.Evaluation     `json:"int8,omitempty"`
	Report pareto.Report               `json:"report"`
	Code   []activities.GenerateResult `json:"code,omitempty"`
	Boards []hilbench.RunResult        `json:"boards,omitempty"`
	// Outputs are every file the sweep produced, in the artifact store: the reports and each
	// generated point's C tree and model (see activities.Output). `tcdse results` downloads them.
	Outputs []activities.Output `json:"outputs,omitempty"`
	// Files are the paths a sweep from before the artifact store held outputs wrote.
	Files []string `json:"files,omitempty"`
}

// a is a nil receiver used only to name activity methods; the worker registers a real one.
var a *activities.Activities

// Sweep explores one model's compression for one target. It is deterministic: the same spec
// and the same activity results give the same front, whatever the number of workers, their
// crashes or restarts.
func Sweep(ctx workflow.Context, spec explore.SweepSpec) (*SweepResult, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "BadSpec", err)
	}
	metric, err := dataset.MetricByName(spec.Metric)
	if err != nil {
		return nil, err
	}
	prog := &Progress{Phase: "import", Total: 1}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (Progress, error) { return *prog, nil }); err != nil {
		return nil, err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 5,
		},
	})

	// 1. Import and baseline.
	var imp activities.ImportResult
	if err := workflow.ExecuteActivity(ctx, a.Import, activities.ImportInput{Spec: spec}).Get(ctx, &imp); err != nil {
		return nil, err
	}
	prog.Done++
	evalIn := func(label string, rates explore.Rates) activities.EvalInput {
		return activities.EvalInput{
			Model: imp.Model, ModelHash: imp.ModelHash, Data: imp.Data, Metric: spec.Metric,
			Target: spec.Target, Batch: spec.Batch, Rates: rates, Label: label, CostModel: imp.CostModel,
			Format: spec.Generate.Format,
		}
	}

	// 2. Sensitivity: every prunable layer alone at every rate, fanned out.
	// Structured or fine-tuned probes keep their models, so that code for them is generated
	// from exactly what was scored.
	prog.Phase = "sensitivity"
	if len(imp.Skipped) > 0 {
		prog.Note = fmt.Sprintf("%d layers cannot be cut alone and are not probed (see the import result)", len(imp.Skipped))
	}
	var probes []activities.EvalInput
	for _, l := range imp.Layers {
		for _, r := range spec.Rates {
			in := evalIn(fmt.Sprintf("%s@%g", l.Name, r), explore.Rates{l.Name: r})
			in.Pruning = activities.PruningFor(spec, imp, false, 0, nil)
			if spec.ProbeFineTune() {
				in.FineTune = activities.FineTuneFor(spec, imp)
			}
			in.Keep = in.Pruning != nil || in.FineTune != nil
			probes = append(probes, in)
		}
	}
	prog.Total += len(probes) + len(spec.Schedule)
	probeEvals, err := fanOut(ctx, spec.Concurrency, probes, prog)
	if err != nil {
		return nil, err
	}
	var results []explore.ProbeResult
	for i, p := range probes {
		for layer, rate := range p.Rates {
			results = append(results, explore.ProbeResult{Layer: layer, Rate: rate, Quality: probeEvals[i].Quality})
		}
	}
	sens, err := explore.MaxRatesRule(imp.Baseline.Quality, metric, spec.SensitivityThreshold(), spec.SensitivityRule(), results)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "BadSpec", err)
	}
	pmax := make(map[string]float64, len(sens))
	for layer, s := range sens {
		pmax[layer] = s.MaxRate
	}

	// belowFloor says whether a quality is worse than the spec's floor, and how.
	belowFloor := func(q float64) (string, bool) {
		floor := spec.Floor * imp.Baseline.Quality
		if spec.Floor <= 0 || !metric.Better(floor, q) {
			return "", false
		}
		return fmt.Sprintf("%s %.4g is worse than the floor %.4g", spec.Metric, q, floor), true
	}

	// 3. Global weighted pruning: each step starts from the previous step's model.
	prog.Phase = "gwp"
	var steps, int8Points []activities.Evaluation
	prev := imp.Model
	prevHash := imp.ModelHash
	// runStep evaluates one GWP step (and its int8 point), and says whether the walk stops
	// there because the step is below the floor; otherwise the next step starts from it.
	runStep := func(in activities.EvalInput, label string) (bool, error) {
		in.Model, in.ModelHash, in.Keep = prev, prevHash, true
		in.FineTune = activities.FineTuneFor(spec, imp)
		var ev activities.Evaluation
		if err := workflow.ExecuteActivity(ctx, a.Evaluate, in).Get(ctx, &ev); err != nil {
			return false, err
		}
		prog.Done++
		steps = append(steps, ev)
		why, below := belowFloor(ev.Quality)
		skipInt8 := below && workflow.GetVersion(ctx, "int8-above-floor", workflow.DefaultVersion, 1) == 1
		if spec.Quantize != nil && !skipInt8 {
			// The step's model quantized to int8 is a point of its own; the next step still
			// prunes the float model. A step already below the floor gets no int8 point
			// (histories from before that rule replay with the old behaviour).
			q := evalIn(label+"-int8", nil)
			q.Model, q.ModelHash, q.Keep, q.Quantize = *ev.Model, ev.ModelHash, true, spec.Quantize
			if spec.CalibratesOnFineTuneData() {
				q.Calibration = imp.Train
			}
			prog.Total++
			var qev activities.Evaluation
			if err := workflow.ExecuteActivity(ctx, a.Evaluate, q).Get(ctx, &qev); err != nil {
				return false, err
			}
			prog.Done++
			int8Points = append(int8Points, qev)
		}
		if below {
			prog.Note = fmt.Sprintf("stopped at %s: %s", label, why)
			return true, nil
		}
		prev, prevHash = *ev.Model, ev.ModelHash
		return false, nil
	}
	for _, g := range spec.Schedule {
		label := fmt.Sprintf("gwp-%g", g)
		in := evalIn(label, explore.GWPRates(pmax, g))
		if in.Pruning = activities.PruningFor(spec, imp, true, g, pmax); in.Pruning != nil && in.Pruning.Method == explore.GWPWeightedGlobal {
			in.Rates = nil // ranked on the worker
		}
		if stop, err := runStep(in, label); err != nil {
			return nil, err
		} else if stop {
			break
		}
	}

	// 3b. With gwp.unstructured_schedule, the last structured model above the floor is probed
	// again, layer by layer with single-weight pruning, and pruned further in unstructured
	// steps, each from the previous one (and each stopping the walk when below the floor).
	var uProbeEvals []activities.Evaluation
	var uSens map[string]explore.LayerSensitivity
	if spec.HasUnstructuredPhase() {
		prog.Phase = "unstructured sensitivity"
		var uProbes []activities.EvalInput
		for _, l := range imp.UnstructuredLayers {
			for _, r := range spec.Rates {
				in := evalIn(fmt.Sprintf("u-%s@%g", l.Name, r), explore.Rates{l.Name: r})
				in.Model, in.ModelHash = prev, prevHash
				if spec.ProbeFineTune() {
					in.FineTune = activities.FineTuneFor(spec, imp)
				}
				// Kept, so that code for a probe comes from the structured model it pruned.
				in.Keep = true
				uProbes = append(uProbes, in)
			}
		}
		prog.Total += len(uProbes) + len(spec.GWP.UnstructuredSchedule)
		if uProbeEvals, err = fanOut(ctx, spec.Concurrency, uProbes, prog); err != nil {
			return nil, err
		}
		var uResults []explore.ProbeResult
		for i, p := range uProbes {
			for layer, rate := range p.Rates {
				uResults = append(uResults, explore.ProbeResult{Layer: layer, Rate: rate, Quality: uProbeEvals[i].Quality})
			}
		}
		if uSens, err = explore.MaxRatesRule(imp.Baseline.Quality, metric, spec.SensitivityThreshold(), spec.SensitivityRule(), uResults); err != nil {
			return nil, temporal.NewNonRetryableApplicationError(err.Error(), "BadSpec", err)
		}
		uPmax := make(map[string]float64, len(uSens))
		for layer, s := range uSens {
			uPmax[layer] = s.MaxRate
		}
		prog.Phase = "unstructured gwp"
		for _, g := range spec.GWP.UnstructuredSchedule {
			label := fmt.Sprintf("gwp-u-%g", g)
			if stop, err := runStep(evalIn(label, explore.GWPRates(uPmax, g)), label); err != nil {
				return nil, err
			} else if stop {
				break
			}
		}
	}

	// 4. Pareto merge over every evaluated point.
	prog.Phase = "front"
	target, err := tc3xx.Lookup(spec.Target)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "BadSpec", err)
	}
	report := pareto.Report{
		Metric: spec.Metric, HigherIsBetter: metric.HigherIsBetter, Target: spec.Target,
		ClockMHz: float64(target.Core.Clock.Value) / 1e6, Baseline: imp.Baseline.Point(),
	}
	for _, ev := range append(append(append(append([]activities.Evaluation{imp.Baseline}, probeEvals...), uProbeEvals...), steps...), int8Points...) {
		p := ev.Point()
		if why, below := belowFloor(p.Quality); below && p.Fits {
			p.Fits, p.Reason = false, why
		}
		report.Points = append(report.Points, p)
	}
	report.Front = pareto.Front(report.Points, metric.HigherIsBetter)
	report.SetFootprintRatios()
	res := &SweepResult{Name: spec.Name, Baseline: imp.Baseline, Sensitivity: sens, UnstructuredSensitivity: uSens, Steps: steps, Int8: int8Points, Report: report}

	// 5. Code for the chosen points, and their runs on a board.
	prog.Phase = "generate"
	chosen := choosePoints(report.Front, spec.Generate.Max, metric.HigherIsBetter)
	byID := map[string]activities.Evaluation{imp.Baseline.CandidateID: imp.Baseline}
	for _, ev := range append(append(append(probeEvals, uProbeEvals...), steps...), int8Points...) {
		byID[ev.CandidateID] = ev
	}
	prog.Total += len(chosen) * 2
	for _, p := range chosen {
		ev := byID[p.ID]
		in := activities.GenerateInput{Model: imp.Model, Rates: ev.Rates, Data: imp.Data, Label: ev.Label, Vectors: spec.Vectors, Format: spec.Generate.Format}
		if ev.Model != nil {
			in.Model, in.Rates = *ev.Model, nil
		}
		var gen activities.GenerateResult
		if err := workflow.ExecuteActivity(ctx, a.Generate, in).Get(ctx, &gen); err != nil {
			return nil, err
		}
		prog.Done++
		res.Code = append(res.Code, gen)
	}
	if spec.HIL.Board != "" {
		prog.Phase = "boards"
		for _, gen := range res.Code {
			var run hilbench.RunResult
			in := activities.BoardInput{Code: gen.Code, Board: spec.HIL.Board, Label: gen.Label, TimeoutSeconds: spec.HIL.TimeoutSeconds}
			if err := workflow.ExecuteActivity(ctx, a.RunOnBoard, in).Get(ctx, &run); err != nil {
				return nil, err
			}
			prog.Done++
			res.Boards = append(res.Boards, run)
		}
	} else {
		prog.Done += len(res.Code)
	}

	// 6. Reports, stored with the code as the sweep's outputs (histories from before the
	// artifact store held outputs replay with the report written on the worker's disk).
	prog.Phase = "report"
	rin := activities.ReportInput{Report: report, Code: res.Code, Boards: res.Boards}
	if workflow.GetVersion(ctx, "outputs-in-store", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		rin.OutDir = spec.Resolve(spec.Out)
		if err := workflow.ExecuteActivity(ctx, "WriteReport", rin).Get(ctx, &res.Files); err != nil {
			return nil, err
		}
	} else {
		var rep activities.StoreReportResult
		if err := workflow.ExecuteActivity(ctx, a.StoreReport, rin).Get(ctx, &rep); err != nil {
			return nil, err
		}
		res.Outputs = sweepOutputs(res.Code, rep.Outputs)
	}
	prog.Phase = "done"
	return res, nil
}

// fanOut runs Evaluate for every input with at most limit in flight, and returns the results
// in input order.
func fanOut(ctx workflow.Context, limit int, ins []activities.EvalInput, prog *Progress) ([]activities.Evaluation, error) {
	out := make([]activities.Evaluation, len(ins))
	var firstErr error
	sel := workflow.NewSelector(ctx)
	inFlight := 0
	collect := func() {
		sel.Select(ctx)
		inFlight--
	}
	for i := range ins {
		if firstErr != nil {
			break
		}
		for inFlight >= limit {
			collect()
		}
		idx := i
		f := workflow.ExecuteActivity(ctx, a.Evaluate, ins[idx])
		sel.AddFuture(f, func(f workflow.Future) {
			if err := f.Get(ctx, &out[idx]); err != nil && firstErr == nil {
				firstErr = err
			}
			prog.Done++
		})
		inFlight++
	}
	for inFlight > 0 {
		collect()
	}
	return out, firstErr
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

// sweepOutputs lists a sweep's outputs: the report files, then each point's files.
func sweepOutputs(code []activities.GenerateResult, report []activities.Output) []activities.Output {
	outs := append([]activities.Output(nil), report...)
	for _, gen := range code {
		outs = append(outs, gen.Outputs...)
	}
	return outs
}
