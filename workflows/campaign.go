package workflows

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/tc3xx"
)

// Names of a campaign's (and a sweep's) query and signal.
const (
	// CampaignQuery returns a running campaign's CampaignStatus.
	CampaignQuery = "campaign"
	// StopSignal asks a sweep or a campaign to end gracefully: work in flight finishes, nothing
	// new starts, and the result is what was measured, marked partial.
	StopSignal = "stop"
)

// Reasons a campaign ends before every sweep ran to its end.
const (
	EndedBudget   = "budget"   // budget.max_evaluations reached
	EndedDeadline = "deadline" // budget.deadline passed
	EndedStopped  = "stopped"  // a stop signal
)

// CampaignState is what a campaign carries from one run to the next (continue-as-new).
type CampaignState struct {
	// Start is when the campaign's first run started; the deadline counts from it.
	Start time.Time `json:"start"`
	// Next is the index of the next sweep to start in campaignJobs' order.
	Next int `json:"next"`
	// Outcomes are the finished sweeps, in the order they finished.
	Outcomes []pareto.SweepOutcome `json:"outcomes"`
	// Used is the evaluations the finished sweeps made.
	Used int `json:"used"`
	// Ended is why the campaign stopped starting sweeps early (EndedBudget, ...), or empty.
	Ended string `json:"ended,omitempty"`
	// Runs counts the runs before this one.
	Runs int `json:"runs"`
}

// CampaignStatus is what CampaignQuery returns.
type CampaignStatus struct {
	Name           string    `json:"name"`
	Run            int       `json:"run"` // 0 for the first run, +1 per continue-as-new
	Sweeps         int       `json:"sweeps"`
	Finished       int       `json:"finished"`
	Running        []string  `json:"running"` // workflow ids of the sweeps in flight
	Evaluations    int       `json:"evaluations"`
	MaxEvaluations int       `json:"max_evaluations,omitempty"`
	Deadline       time.Time `json:"deadline,omitempty"`
	Ended          string    `json:"ended,omitempty"`
}

// CampaignResult is what a finished campaign returns.
type CampaignResult struct {
	Name    string         `json:"name"`
	Summary pareto.Summary `json:"summary"`
	// Outcomes are every sweep's outcome, in job order; sweeps that never started are
	// pareto.StateNotRun.
	Outcomes []pareto.SweepOutcome `json:"outcomes"`
	Files    []string              `json:"files"`
	Runs     int                   `json:"runs"`
}

// campaignJob is one child sweep: a model for every target (scored once, priced per target).
type campaignJob struct {
	Model   int
	Targets []string
}

// campaignJobs lists a campaign's sweeps: one per model.
func campaignJobs(spec explore.CampaignSpec) []campaignJob {
	targets := spec.TargetNames(tc3xx.DefaultCatalog().TargetNames())
	jobs := make([]campaignJob, len(spec.Models))
	for i := range spec.Models {
		jobs[i] = campaignJob{Model: i, Targets: targets}
	}
	return jobs
}

// PriorityKey is the Temporal priority key of a campaign priority: interactive work (1) is
// dispatched before one-off sweeps (the default 3), batch work (4) after them.
func PriorityKey(priority string) int {
	if priority == explore.PriorityInteractive {
		return 1
	}
	return 4
}

// allot is the evaluation budget of the next sweep: an equal share of what is neither used
// nor promised to running sweeps among the sweeps still to start (this one included); a
// sweep that needs less gives the rest back when it ends. 0 means unbounded; -1 means nothing
// is left.
func allot(max, used, reserved, left int) int {
	if max <= 0 {
		return 0
	}
	free := max - used - reserved
	if free <= 0 || left <= 0 {
		return -1
	}
	if share := free / left; share > 0 {
		return share
	}
	return free
}

// Campaign runs one child Sweep per model and target with at most spec.Concurrency in flight
// (a sliding window), within the spec's budget, and writes the morning summary. It survives
// worker and server restarts by replay, and continues as new (carrying state) once a run's
// history passes spec.EventsPerRun: it then starts no new sweep, lets the running ones finish
// (so no child outcome is lost and cancelling a campaign still cancels its sweeps), and goes
// on in a fresh run. state is nil when a client starts it.
func Campaign(ctx workflow.Context, spec explore.CampaignSpec, state *CampaignState) (*CampaignResult, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(tc3xx.DefaultCatalog().TargetNames()); err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "BadSpec", err)
	}
	c := &campaignRun{spec: spec, jobs: campaignJobs(spec), running: map[string]*campaignChild{}}
	if state != nil {
		c.st = *state
	} else {
		c.st.Start = workflow.Now(ctx)
	}
	return c.run(ctx)
}

// campaignRun is one run of a campaign; each method is one concern of the sliding window.
type campaignRun struct {
	spec     explore.CampaignSpec
	jobs     []campaignJob
	st       CampaignState
	running  map[string]*campaignChild // by workflow id
	order    []string                  // running ids in start order (map order is not deterministic)
	reserved int                       // evaluations promised to running sweeps
	rotate   bool                      // this run's history is long: continue as new when drained
	started  int                       // sweeps this run started
	deadline time.Time
	sel      workflow.Selector
}

// campaignChild is a running sweep.
type campaignChild struct {
	job    campaignJob
	allot  int
	future workflow.ChildWorkflowFuture
}

func (c *campaignRun) run(ctx workflow.Context) (*CampaignResult, error) {
	if err := workflow.SetQueryHandler(ctx, CampaignQuery, func() (CampaignStatus, error) { return c.status(ctx), nil }); err != nil {
		return nil, err
	}
	upsertAttrs(ctx, AttrTarget.ValueSet(c.spec.TargetNames(tc3xx.DefaultCatalog().TargetNames())), AttrPhase.ValueSet("sweeps"))
	c.sel = workflow.NewSelector(ctx)
	stop := workflow.GetSignalChannel(ctx, StopSignal)
	c.sel.AddReceive(stop, func(ch workflow.ReceiveChannel, _ bool) {
		ch.Receive(ctx, nil)
		c.end(ctx, EndedStopped)
	})
	c.watchDeadline(ctx)
	for {
		c.admit(ctx)
		if len(c.running) == 0 {
			break
		}
		c.sel.Select(ctx)
	}
	if c.rotate && c.st.Ended == "" && c.st.Next < len(c.jobs) {
		// A stop that arrived after the last select is kept, not lost with this run.
		for stop.ReceiveAsync(nil) {
			c.st.Ended = EndedStopped
		}
		if c.st.Ended == "" {
			next := c.st
			next.Runs++
			return nil, workflow.NewContinueAsNewError(ctx, Campaign, c.spec, &next)
		}
	}
	return c.finish(ctx)
}

// watchDeadline ends the campaign when its deadline passes.
func (c *campaignRun) watchDeadline(ctx workflow.Context) {
	at, ok, _ := c.spec.Budget.DeadlineAfter(c.st.Start) // validated
	if !ok {
		return
	}
	c.deadline = at
	wait := at.Sub(workflow.Now(ctx))
	if wait <= 0 {
		c.end(ctx, EndedDeadline)
		return
	}
	c.sel.AddFuture(workflow.NewTimer(ctx, wait), func(workflow.Future) { c.end(ctx, EndedDeadline) })
}

// admit starts sweeps while the window has room, the budget lasts and this run's history is
// short enough.
func (c *campaignRun) admit(ctx workflow.Context) {
	for c.st.Ended == "" && c.st.Next < len(c.jobs) && len(c.running) < c.spec.Concurrency {
		// Every run starts at least one sweep, so that a campaign always makes progress.
		if c.started > 0 && workflow.GetInfo(ctx).GetCurrentHistoryLength() >= c.spec.EventsPerRun {
			c.rotate = true
			return
		}
		n := allot(c.spec.Budget.MaxEvaluations, c.st.Used, c.reserved, len(c.jobs)-c.st.Next)
		if n < 0 {
			c.end(ctx, EndedBudget)
			return
		}
		c.start(ctx, c.jobs[c.st.Next], n)
		c.st.Next++
		c.started++
	}
}

// start starts one child sweep with an evaluation budget (0: unbounded).
func (c *campaignRun) start(ctx workflow.Context, job campaignJob, budget int) {
	spec := c.spec.ModelSweep(job.Model, job.Targets)
	spec.MaxEvaluations = budget
	id := fmt.Sprintf("%s/%s", workflow.GetInfo(ctx).WorkflowExecution.ID, spec.Name)
	opts := workflow.ChildWorkflowOptions{
		WorkflowID:        id,
		TaskQueue:         TaskQueue,
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		Priority:          temporal.Priority{PriorityKey: PriorityKey(c.spec.Priority)},
	}
	if attrsEnabled(ctx) {
		opts.TypedSearchAttributes = temporal.NewSearchAttributes(
			AttrCampaign.ValueSet(c.spec.Name), AttrModel.ValueSet(spec.Name), AttrTarget.ValueSet(job.Targets))
	}
	f := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, opts), "Sweep", spec)
	child := &campaignChild{job: job, allot: budget, future: f}
	c.running[id] = child
	c.order = append(c.order, id)
	c.reserved += budget
	c.sel.AddFuture(f, func(f workflow.Future) {
		var res SweepResult
		err := f.Get(ctx, &res)
		c.done(ctx, id, sweepOutcomes(c.spec, child.job, &res, err))
	})
}

// done records a finished sweep (one outcome per target) and ends the campaign when the
// budget is spent.
func (c *campaignRun) done(ctx workflow.Context, id string, outs []pareto.SweepOutcome) {
	child := c.running[id]
	delete(c.running, id)
	for i, x := range c.order {
		if x == id {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	c.reserved -= child.allot
	for _, o := range outs {
		c.st.Used += o.Evaluations
	}
	c.st.Outcomes = append(c.st.Outcomes, outs...)
	if max := c.spec.Budget.MaxEvaluations; max > 0 && c.st.Used >= max && c.st.Next < len(c.jobs) {
		c.end(ctx, EndedBudget)
	}
}

// end stops admitting sweeps and asks the running ones to stop gracefully.
func (c *campaignRun) end(ctx workflow.Context, why string) {
	if c.st.Ended != "" {
		return
	}
	c.st.Ended = why
	upsertAttrs(ctx, AttrPhase.ValueSet("stopping"))
	for _, id := range c.order {
		c.running[id].future.SignalChildWorkflow(ctx, StopSignal, why)
	}
}

// finish marks the sweeps that never started, writes the summary and returns the result.
func (c *campaignRun) finish(ctx workflow.Context) (*CampaignResult, error) {
	outcomes := c.st.Outcomes
	for _, job := range c.jobs[c.st.Next:] {
		for _, t := range job.Targets {
			outcomes = append(outcomes, pareto.SweepOutcome{Model: c.spec.Models[job.Model].Name, Target: t,
				State: pareto.StateNotRun, Error: "not started: " + c.st.Ended})
		}
	}
	ordered := make([]pareto.SweepOutcome, 0, len(outcomes))
	for _, job := range c.jobs {
		for _, t := range job.Targets {
			for _, o := range outcomes {
				if o.Model == c.spec.Models[job.Model].Name && o.Target == t {
					ordered = append(ordered, o)
				}
			}
		}
	}
	upsertAttrs(ctx, AttrPhase.ValueSet("summary"))
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
	})
	in := activities.CampaignSummaryInput{
		OutDir: c.spec.Resolve(c.spec.Out), Campaign: c.spec.Name, Run: workflow.GetInfo(ctx).WorkflowExecution.ID,
		Outcomes: ordered, Ended: c.st.Ended,
	}
	var sum activities.CampaignSummaryResult
	if err := workflow.ExecuteActivity(actx, a.WriteCampaignSummary, in).Get(ctx, &sum); err != nil {
		return nil, err
	}
	upsertAttrs(ctx, AttrPhase.ValueSet("done"))
	return &CampaignResult{Name: c.spec.Name, Summary: sum.Summary, Outcomes: ordered, Files: sum.Files, Runs: c.st.Runs + 1}, nil
}

// status is the CampaignQuery answer.
func (c *campaignRun) status(ctx workflow.Context) CampaignStatus {
	return CampaignStatus{
		Name: c.spec.Name, Run: c.st.Runs, Sweeps: len(c.jobs), Finished: c.st.Next - len(c.running),
		Running: append([]string{}, c.order...), Evaluations: c.st.Used,
		MaxEvaluations: c.spec.Budget.MaxEvaluations, Deadline: c.deadline, Ended: c.st.Ended,
	}
}

// sweepOutcomes turns a child sweep's result (or error) into what the summary needs, one
// outcome per target: that target's front without the full point list, the model's quality
// bound, the board runs by point label. The sweep's evaluations count on its first target's
// outcome only (each candidate was evaluated once for all targets).
func sweepOutcomes(spec explore.CampaignSpec, job campaignJob, res *SweepResult, err error) []pareto.SweepOutcome {
	m := spec.ModelSweep(job.Model, job.Targets)
	reports := res.TargetReports
	if len(reports) == 0 {
		reports = []pareto.Report{res.Report}
	}
	var outs []pareto.SweepOutcome
	for i, t := range job.Targets {
		o := pareto.SweepOutcome{Model: m.Name, Target: t, State: pareto.StateDone}
		if err != nil {
			o.State, o.Error = pareto.StateFailed, err.Error()
			outs = append(outs, o)
			continue
		}
		if res.Partial != "" {
			o.State = pareto.StatePartial
		}
		if i == 0 {
			o.Evaluations = res.Evaluations
			if o.Evaluations == 0 { // a sweep from before Evaluations was counted
				o.Evaluations = len(res.Report.Points)
			}
		}
		for _, r := range reports {
			if r.Target == t {
				o.Report = r
			}
		}
		o.Report.Points = nil
		if metric, err := dataset.MetricByName(m.Metric); err == nil {
			if b, err := m.SensitivityThreshold().Bound(res.Baseline.Quality, metric.HigherIsBetter); err == nil {
				o.Bound, o.HasBound = b, true
			}
		}
		o.Measured = boardStatus(res)
		outs = append(outs, o)
	}
	return outs
}

// boardStatus says, by point label, how each generated point did on its board.
func boardStatus(res *SweepResult) map[string]string {
	var out map[string]string
	for i, gen := range res.Code {
		if i >= len(res.Boards) {
			break
		}
		if out == nil {
			out = map[string]string{}
		}
		b := res.Boards[i]
		switch {
		case b.Pass:
			out[gen.Label] = "passed on " + b.Board
		case !b.Built:
			out[gen.Label] = "did not build on " + b.Board
		default:
			out[gen.Label] = "FAILED on " + b.Board
		}
	}
	return out
}
