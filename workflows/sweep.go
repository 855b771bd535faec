package workflows

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/store"
	"github.com/tcdse/tcdse/tc3xx"
)

// TaskQueue is the task queue of the Sweep workflow's tasks; its activities run on their
// roles' queues (activities.TaskQueue).
const TaskQueue = activities.WorkflowTaskQueue

// ErrBadSpec is the error type of a sweep that fails because of its spec: it is not retried.
const ErrBadSpec = "BadSpec"

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
	Int8 []activities.Evaluation `json:"int8,omitempty"`
	// Search are the search's evaluations (spec.search) in order.
	Search []activities.Evaluation     `json:"search,omitempty"`
	Report pareto.Report               `json:"report"`
	Code   []activities.GenerateResult `json:"code,omitempty"`
	Boards []hilbench.RunResult        `json:"boards,omitempty"`
	// Calibration is the fit of the calibration step (hil.calibrate), when it ran.
	Calibration *activities.CalibrateResult `json:"calibration,omitempty"`
	// Outputs are every file the sweep produced, in the artifact store: the reports and each
	// generated point's C tree and model (see activities.Output). `tcdse results` downloads them.
	Outputs []activities.Output `json:"outputs,omitempty"`
	// Files are the paths a sweep from before the artifact store held outputs wrote.
	Files []string `json:"files,omitempty"`
	// Partial says why the sweep ended before its plan was done (stopped, budget, deadline):
	// the report is then the front of what was measured. Empty for a complete sweep.
	Partial string `json:"partial,omitempty"`
	// Evaluations counts the candidates evaluated, the baseline included.
	Evaluations int `json:"evaluations"`
	// TargetReports are a multi-target sweep's reports, one per target, Report's target first
	// (its other targets' files are in OUT/targets/DERIVATIVE-CORE/); nil for one target.
	TargetReports []pareto.Report `json:"target_reports,omitempty"`
}

// a is a nil receiver used only to name activity methods; the worker registers a real one.
var a *activities.Activities

// Sweep explores one model's compression for one target. It is deterministic: the same spec
// and the same activity results give the same front, whatever the number of workers, their
// crashes or restarts.
//
// It only sequences the phases of a sweepRun; what each phase decides is a pure function of
// plan.go. The spec's defaults are applied here, once, at the workflow's edge.
func Sweep(ctx workflow.Context, spec explore.SweepSpec) (*SweepResult, error) {
	r, err := newSweepRun(ctx, spec.WithDefaults())
	if err != nil {
		return nil, err
	}
	phases := []func() error{r.importModel, r.sensitivity, r.gwp, r.unstructured, r.search, r.front, r.generate, r.boards, r.calibrate, r.writeReport}
	for _, phase := range phases {
		if err := phase(); err != nil {
			return nil, err
		}
		r.publish()
	}
	r.enter("done")
	r.res.Partial, r.res.Evaluations = r.steer.partial(), r.steer.used
	return r.res, nil
}

// sweepRun is one sweep's state: its spec and everything the phases have returned so far.
// Each method is one phase, run in the order of Sweep.
type sweepRun struct {
	ctx    workflow.Context
	spec   explore.SweepSpec
	metric dataset.Metric
	prog   *Progress

	imp activities.ImportResult
	// pmax are the layers' maximum rates from the first sensitivity analysis.
	pmax map[string]float64
	// probes, steps, int8 and searched are every evaluated candidate, in the order they were
	// planned; steps holds both phases' GWP steps.
	probes, steps, int8, searched []activities.Evaluation
	// last and lastHash are the model the next GWP step starts from: the base model, then
	// each step's model that is not below the floor.
	last     store.Ref
	lastHash string
	res      *SweepResult
	// steer is what clients change while the sweep runs (steering.go); published is what the
	// search attributes last said.
	steer     *steering
	published struct {
		phase string
		front bool
	}
	// routed sends each activity to its role's task queue (see on).
	routed bool
}

// newSweepRun checks the spec, registers the progress query and sets the activity options.
func newSweepRun(ctx workflow.Context, spec explore.SweepSpec) (*sweepRun, error) {
	if err := spec.Validate(); err != nil {
		return nil, badSpec(err)
	}
	metric, err := dataset.MetricByName(spec.Metric)
	if err != nil {
		return nil, err
	}
	r := &sweepRun{spec: spec, metric: metric, prog: &Progress{Phase: "import", Total: 1}, res: &SweepResult{Name: spec.Name}}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (Progress, error) { return *r.prog, nil }); err != nil {
		return nil, err
	}
	r.ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 5,
		},
	})
	// Sweeps started before activities were routed by role replay with everything on "tcdse".
	r.routed = workflow.GetVersion(ctx, "role-queues", workflow.DefaultVersion, 1) == 1
	if err := r.registerSteering(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// on returns the context whose activities run on the task queue of role.
func (r *sweepRun) on(role string) workflow.Context {
	if !r.routed {
		return r.ctx
	}
	return workflow.WithTaskQueue(r.ctx, activities.TaskQueue(role))
}

// badSpec makes err a non-retryable failure of the spec.
func badSpec(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrBadSpec, err)
}

// importModel loads, checks and stores the model and data, and scores the baseline.
func (r *sweepRun) importModel() error {
	if err := workflow.ExecuteActivity(r.on(activities.RoleEval), a.Import, activities.ImportInput{Spec: r.spec}).Get(r.ctx, &r.imp); err != nil {
		return err
	}
	r.prog.Done++
	r.steer.start()
	r.res.Baseline = r.imp.Baseline
	r.last, r.lastHash = r.imp.Model, r.imp.ModelHash
	return nil
}

// sensitivity probes every prunable layer of the base model alone at every rate.
func (r *sweepRun) sensitivity() error {
	if len(r.imp.Skipped) > 0 {
		r.prog.Note = fmt.Sprintf("%d layers cannot be cut alone and are not probed (see the import result)", len(r.imp.Skipped))
	}
	r.prog.Total += len(r.spec.Schedule)
	sens, err := r.probe(baseProbes(r.spec, r.imp))
	if err != nil || sens == nil {
		return err
	}
	r.res.Sensitivity, r.pmax = sens, maxRates(sens)
	return nil
}

// probe runs one sensitivity analysis, fanned out, and returns each layer's maximum rate; nil
// when the sweep was stopped before every probe started (the probes made are kept as points).
func (r *sweepRun) probe(set probeSet) (map[string]explore.LayerSensitivity, error) {
	if !r.steer.allow() {
		return nil, nil
	}
	r.enter(set.Phase)
	ins := probeInputs(r.spec, r.imp, set)
	r.prog.Total += len(ins)
	evals, err := fanOut(r.on(activities.RoleEval), r.spec.Concurrency, ins, r.prog, r.steer)
	if err != nil {
		return nil, err
	}
	r.probes = append(r.probes, evals...)
	if len(evals) < len(ins) {
		return nil, nil
	}
	sens, err := explore.MaxRatesRule(r.imp.Baseline.Quality, r.metric, r.spec.SensitivityThreshold(), r.spec.SensitivityRule(), probeResults(ins, evals))
	if err != nil {
		return nil, badSpec(err)
	}
	return sens, nil
}

// gwp walks the global weighted pruning schedule, each step from the previous step's model.
func (r *sweepRun) gwp() error {
	if r.pmax == nil {
		return nil // stopped during the sensitivity analysis
	}
	r.enter("gwp")
	for _, g := range r.spec.Schedule {
		if !r.steer.allow() {
			return nil
		}
		if stop, err := r.step(gwpStepInput(r.spec, r.imp, r.pmax, g)); err != nil || stop {
			return err
		}
	}
	return nil
}

// unstructured is the second phase of a two-phase sweep (gwp.unstructured_schedule): the
// last structured model above the floor is probed again, layer by layer with single-weight
// pruning, and pruned further in unstructured steps, each from the previous one.
func (r *sweepRun) unstructured() error {
	if !r.spec.HasUnstructuredPhase() {
		return nil
	}
	r.prog.Total += len(r.spec.GWP.UnstructuredSchedule)
	sens, err := r.probe(unstructuredProbes(r.imp, r.last, r.lastHash))
	if err != nil || sens == nil {
		return err
	}
	r.res.UnstructuredSensitivity = sens
	pmax := maxRates(sens)
	r.enter("unstructured gwp")
	for _, g := range r.spec.GWP.UnstructuredSchedule {
		if !r.steer.allow() {
			return nil
		}
		if stop, err := r.step(unstructuredStepInput(r.spec, r.imp, pmax, g)); err != nil || stop {
			return err
		}
	}
	return nil
}

// search runs the multi-objective search (spec.search), seeded from the GWP steps.
func (r *sweepRun) search() error {
	if r.spec.Search == nil || !r.steer.allow() {
		return nil
	}
	bound, err := r.spec.QualityBound(r.imp.Baseline.Quality, r.metric.HigherIsBetter)
	if err != nil {
		return badSpec(err)
	}
	r.enter("search")
	sp := &searchPhase{spec: r.spec, imp: r.imp, base: candidateInput(r.spec, r.imp, "", nil), prog: r.prog,
		hv: pareto.HypervolumeSpace{Baseline: r.imp.Baseline.Point(), QualityBound: bound, HigherIsBetter: r.metric.HigherIsBetter}}
	r.searched, err = sp.run(r.on(activities.RoleEval), r.steps)
	// The search keeps its own budget (search.budget); its evaluations count once it ends.
	r.steer.used += len(r.searched)
	return err
}

// step evaluates one GWP step from the last model (fine-tuned when the spec says so) and its
// int8 point, and says whether the walk stops there because the step is below the floor;
// otherwise the next step starts from it.
func (r *sweepRun) step(in activities.EvalInput) (stop bool, err error) {
	in.Model, in.ModelHash, in.Keep = r.last, r.lastHash, true
	in.FineTune = activities.FineTuneFor(r.spec, r.imp)
	r.steer.start()
	var ev activities.Evaluation
	if err := workflow.ExecuteActivity(r.on(activities.RoleEval), a.Evaluate, in).Get(r.ctx, &ev); err != nil {
		return false, err
	}
	r.prog.Done++
	r.steps = append(r.steps, ev)
	why, below := belowFloor(r.spec, r.metric, r.imp.Baseline.Quality, ev.Quality)
	// A step already below the floor gets no int8 point; histories from before that rule
	// replay with the old behaviour. (GetVersion is asked only below the floor, as it was
	// when the rule was introduced.)
	skipInt8 := below && workflow.GetVersion(r.ctx, "int8-above-floor", workflow.DefaultVersion, 1) == 1
	if r.spec.Quantize != nil && !skipInt8 && r.steer.allow() {
		// The step's model quantized to int8 is a point of its own; the next step still
		// prunes the float model.
		r.prog.Total++
		r.steer.start()
		var qev activities.Evaluation
		if err := workflow.ExecuteActivity(r.on(activities.RoleEval), a.Evaluate, int8Input(r.spec, r.imp, ev)).Get(r.ctx, &qev); err != nil {
			return false, err
		}
		r.prog.Done++
		r.int8 = append(r.int8, qev)
	}
	if below {
		r.prog.Note = fmt.Sprintf("stopped at %s: %s", in.Label, why)
		return true, nil
	}
	r.last, r.lastHash = *ev.Model, ev.ModelHash
	return false, nil
}

// evaluated is every candidate but the baseline, in report order.
func (r *sweepRun) evaluated() []activities.Evaluation {
	return append(append(append(append([]activities.Evaluation(nil), r.probes...), r.steps...), r.int8...), r.searched...)
}

// front merges every evaluated point into the report and its Pareto front.
func (r *sweepRun) front() error {
	r.enter("front")
	target, err := tc3xx.Lookup(r.spec.Target)
	if err != nil {
		return badSpec(err)
	}
	r.res.Steps, r.res.Int8, r.res.Search = r.steps, r.int8, r.searched
	r.res.Report = mergeReport(r.spec, r.metric, float64(target.Core.Clock.Value)/1e6, r.imp.Baseline, r.evaluated())
	if bound, err := r.spec.QualityBound(r.imp.Baseline.Quality, r.metric.HigherIsBetter); err == nil {
		r.res.Report.SetHypervolume(bound)
	}
	r.res.TargetReports, err = targetReports(r.spec, r.metric, r.res.Report, r.imp.Baseline, r.evaluated())
	if err != nil {
		return badSpec(err)
	}
	return nil
}

// generate writes C code for the points chosen along the front, one after the other.
func (r *sweepRun) generate() error {
	r.enter("generate")
	r.steer.generated = true
	var chosen []pareto.Point
	if r.steer.partial() == "" { // a stopped sweep generates only what was picked
		chosen = choosePoints(r.res.Report.Front, r.spec.Generate.Max, r.metric.HigherIsBetter)
	}
	extra, missing := pickedPoints(r.res.Report.Points, chosen, r.steer.picks)
	if len(missing) > 0 {
		r.prog.Note = fmt.Sprintf("picked labels with no point: %v", missing)
	}
	chosen = append(chosen, extra...)
	ins := generateInputs(r.spec, r.imp, chosen, r.evaluated())
	r.prog.Total += len(ins) * 2
	for _, in := range ins {
		var gen activities.GenerateResult
		if err := workflow.ExecuteActivity(r.on(activities.RoleCodegen), a.Generate, in).Get(r.ctx, &gen); err != nil {
			return err
		}
		r.prog.Done++
		r.res.Code = append(r.res.Code, gen)
	}
	return nil
}

// boards builds and runs each generated tree on the spec's board class: all at once, as jobs
// on the farm's queue that its boards share (histories from before the farm replay one after
// the other). Results are kept in the order of the code.
func (r *sweepRun) boards() error {
	ins := boardInputs(r.spec, r.res.Code)
	if ins == nil {
		r.prog.Done += len(r.res.Code)
		return nil
	}
	r.enter("boards")
	if workflow.GetVersion(r.ctx, "boards-in-parallel", workflow.DefaultVersion, 1) == 1 {
		futures := make([]workflow.Future, len(ins))
		for i, in := range ins {
			futures[i] = workflow.ExecuteActivity(r.on(activities.RoleBoard), a.RunOnBoard, in)
		}
		for _, f := range futures {
			var run hilbench.RunResult
			if err := f.Get(r.ctx, &run); err != nil {
				return err
			}
			r.prog.Done++
			r.res.Boards = append(r.res.Boards, run)
		}
		return nil
	}
	for _, in := range ins {
		var run hilbench.RunResult
		if err := workflow.ExecuteActivity(r.on(activities.RoleBoard), a.RunOnBoard, in).Get(r.ctx, &run); err != nil {
			return err
		}
		r.prog.Done++
		r.res.Boards = append(r.res.Boards, run)
	}
	return nil
}

// calibrate fits the cost model to the board's measurements (hil.calibrate), when enough
// points were measured.
func (r *sweepRun) calibrate() error {
	in, ok, note := calibrationInput(r.spec, r.imp, r.res.Code, r.res.Boards)
	if note != "" {
		r.prog.Note = note
	}
	if !ok {
		return nil
	}
	r.enter("calibrate")
	var cal activities.CalibrateResult
	if err := workflow.ExecuteActivity(r.on(activities.RoleEval), a.CalibrateBoards, in).Get(r.ctx, &cal); err != nil {
		return err
	}
	r.res.Calibration = &cal
	return nil
}

// writeReport stores the front, the points, the code listing and the HTML report in the
// artifact store, and lists them with the code as the sweep's outputs. Histories from before
// the store held outputs replay with the report written on the worker's disk.
func (r *sweepRun) writeReport() error {
	r.enter("report")
	in := activities.ReportInput{Report: r.res.Report, Code: r.res.Code, Boards: r.res.Boards,
		Name: r.spec.Name, Sensitivity: r.res.Sensitivity, UnstructuredSensitivity: r.res.UnstructuredSensitivity}
	others := r.res.TargetReports[min(1, len(r.res.TargetReports)):]
	if workflow.GetVersion(r.ctx, "outputs-in-store", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		in.OutDir = r.spec.Resolve(r.spec.Out)
		if err := workflow.ExecuteActivity(r.on(activities.RoleCodegen), a.WriteReport, in).Get(r.ctx, &r.res.Files); err != nil {
			return err
		}
		for _, rep := range others {
			in := activities.ReportInput{OutDir: filepath.Join(r.spec.Resolve(r.spec.Out), targetDir(rep.Target)), Report: rep, Name: r.spec.Name + " " + rep.Target}
			var files []string
			if err := workflow.ExecuteActivity(r.on(activities.RoleCodegen), a.WriteReport, in).Get(r.ctx, &files); err != nil {
				return err
			}
			r.res.Files = append(r.res.Files, files...)
		}
		return nil
	}
	var rep activities.StoreReportResult
	if err := workflow.ExecuteActivity(r.on(activities.RoleCodegen), a.StoreReport, in).Get(r.ctx, &rep); err != nil {
		return err
	}
	r.res.Outputs = sweepOutputs(r.res.Code, rep.Outputs)
	// A multi-target sweep's other fronts go under targets/DERIVATIVE-CORE/.
	for _, tr := range others {
		in := activities.ReportInput{Report: tr, Name: r.spec.Name + " " + tr.Target}
		var trep activities.StoreReportResult
		if err := workflow.ExecuteActivity(r.on(activities.RoleCodegen), a.StoreReport, in).Get(r.ctx, &trep); err != nil {
			return err
		}
		r.res.Outputs = append(r.res.Outputs, underDir(targetDir(tr.Target), trep.Outputs)...)
	}
	return nil
}

// targetDir is where a multi-target sweep's report for target goes, relative to its outputs.
func targetDir(target string) string {
	return path.Join("targets", strings.ReplaceAll(target, ":", "-"))
}

// underDir returns outs with every path moved under dir.
func underDir(dir string, outs []activities.Output) []activities.Output {
	moved := make([]activities.Output, len(outs))
	for i, o := range outs {
		o.Path = path.Join(dir, o.Path)
		moved[i] = o
	}
	return moved
}

// sweepOutputs lists a sweep's outputs: the report files, then each point's files.
func sweepOutputs(code []activities.GenerateResult, report []activities.Output) []activities.Output {
	outs := append([]activities.Output(nil), report...)
	for _, gen := range code {
		outs = append(outs, gen.Outputs...)
	}
	return outs
}
