package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/tc3xx"
)

// Names of a running sweep's steering handlers (besides ProgressQuery and StopSignal).
const (
	// StatusQuery returns the sweep's SweepStatus: progress, budget and the front so far.
	StatusQuery = "status"
	// ExtendUpdate raises the sweep's evaluation budget by its argument (an int).
	ExtendUpdate = "extend"
	// PickUpdate asks for code (and a board run, when the spec names a board) for the point
	// with its argument as label, generated after the exploration.
	PickUpdate = "pick"
	// PriorityUpdate sets the priority (explore.PriorityBatch or PriorityInteractive) of the
	// activities the sweep starts from then on.
	PriorityUpdate = "priority"
)

// SweepStatus is what StatusQuery returns.
type SweepStatus struct {
	Name     string   `json:"name"`
	Progress Progress `json:"progress"`
	// Evaluations counts the candidates started so far, the baseline included.
	Evaluations    int    `json:"evaluations"`
	MaxEvaluations int    `json:"max_evaluations,omitempty"`
	Stopped        string `json:"stopped,omitempty"`
	Priority       string `json:"priority,omitempty"`
	Picks          []string
	// Report is the front of what has been measured so far (its Points left out).
	Report pareto.Report `json:"report"`
}

// steering is what clients may change while a sweep runs: whether it goes on, its budget,
// the priority of its activities and the points picked for code.
type steering struct {
	stopped string // why the sweep stops early (a stop signal's reason), or empty
	budget  int    // evaluations allowed, the baseline included; 0 is unbounded
	// exhausted says that an evaluation was refused for the budget (an extend may lift it)
	exhausted bool
	used      int // evaluations started, the baseline included
	priority  string
	picks     []string
	// generated is set once the sweep has planned its code: later picks are refused.
	generated bool
}

// allow says whether another evaluation may start; false once stopped or out of budget.
func (s *steering) allow() bool {
	if s == nil {
		return true
	}
	if s.stopped != "" {
		return false
	}
	if s.budget > 0 && s.used >= s.budget {
		s.exhausted = true
		return false
	}
	return true
}

// partial is why the sweep ended before its plan was done, or empty.
func (s *steering) partial() string {
	if s.stopped == "" && s.exhausted {
		return EndedBudget
	}
	return s.stopped
}

// start counts an evaluation that starts.
func (s *steering) start() {
	if s != nil {
		s.used++
	}
}

// extend checks and applies an ExtendUpdate.
func (s *steering) extend(n int, apply bool) error {
	switch {
	case n <= 0:
		return fmt.Errorf("extend by %d: want a positive number of evaluations", n)
	case s.budget == 0:
		return errors.New("the sweep has no evaluation budget to extend (it is unbounded)")
	case s.stopped != "":
		return fmt.Errorf("the sweep is already stopping (%s)", s.stopped)
	}
	if apply {
		s.budget += n
	}
	return nil
}

// pick checks and applies a PickUpdate.
func (s *steering) pick(label string, apply bool) error {
	switch {
	case label == "":
		return errors.New("pick: the label is empty")
	case s.generated:
		return errors.New("pick: the sweep has already generated its code; use tcdse generate with its front.json")
	}
	if apply {
		for _, p := range s.picks {
			if p == label {
				return nil
			}
		}
		s.picks = append(s.picks, label)
	}
	return nil
}

// pickedPoints returns the points picked by label (in pick order, those already in chosen
// left out) and the labels no point has.
func pickedPoints(points, chosen []pareto.Point, picks []string) (extra []pareto.Point, missing []string) {
	have := map[string]bool{}
	for _, p := range chosen {
		have[p.Label] = true
	}
	for _, label := range picks {
		found := false
		for _, p := range points {
			if p.Label == label {
				found = true
				if !have[label] {
					extra = append(extra, p)
					have[label] = true
				}
				break
			}
		}
		if !found {
			missing = append(missing, label)
		}
	}
	return extra, missing
}

// registerSteering installs the sweep's stop signal, status query and updates.
func (r *sweepRun) registerSteering(ctx workflow.Context) error {
	r.steer = &steering{budget: r.spec.MaxEvaluations}
	stop := workflow.GetSignalChannel(ctx, StopSignal)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var why string
			stop.Receive(ctx, &why)
			if r.steer.stopped == "" {
				if why == "" {
					why = EndedStopped
				}
				r.steer.stopped = why
				r.prog.Note = "stopping: " + why + "; work in flight finishes"
			}
		}
	})
	if err := workflow.SetQueryHandler(ctx, StatusQuery, func() (SweepStatus, error) { return r.status(), nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, ExtendUpdate,
		func(ctx workflow.Context, n int) (int, error) { return r.steer.budget, r.steer.extend(n, true) },
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, n int) error { return r.steer.extend(n, false) }}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, PickUpdate,
		func(ctx workflow.Context, label string) ([]string, error) {
			return r.steer.picks, r.steer.pick(label, true)
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, label string) error { return r.steer.pick(label, false) }}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, PriorityUpdate,
		func(ctx workflow.Context, p string) (string, error) {
			r.steer.priority = p
			r.ctx = workflow.WithPriority(r.ctx, temporal.Priority{PriorityKey: PriorityKey(p)})
			return p, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, p string) error {
			if p != explore.PriorityBatch && p != explore.PriorityInteractive {
				return fmt.Errorf("priority %q: want %s or %s", p, explore.PriorityBatch, explore.PriorityInteractive)
			}
			return nil
		}})
}

// status is the StatusQuery answer: the front of everything measured so far.
func (r *sweepRun) status() SweepStatus {
	st := SweepStatus{Name: r.spec.Name, Progress: *r.prog, Evaluations: r.steer.used, MaxEvaluations: r.steer.budget,
		Stopped: r.steer.partial(), Priority: r.steer.priority, Picks: append([]string{}, r.steer.picks...)}
	if r.imp.Baseline.CandidateID == "" {
		return st
	}
	clock := 0.0
	if t, err := tc3xx.Lookup(r.spec.Target); err == nil {
		clock = float64(t.Core.Clock.Value) / 1e6
	}
	st.Report = mergeReport(r.spec, r.metric, clock, r.imp.Baseline, r.evaluated())
	st.Report.Points = nil
	return st
}

// enter starts a phase: the progress and the search attributes say so.
func (r *sweepRun) enter(phase string) {
	r.prog.Phase = phase
	r.publish()
}

// publish keeps the sweep's search attributes (phase, and once there is a front its best
// quality and whether a point fits) up to date, upserting only what changed.
func (r *sweepRun) publish() {
	if !attrsEnabled(r.ctx) {
		return
	}
	var ups []temporal.SearchAttributeUpdate
	if r.prog.Phase != r.published.phase {
		r.published.phase = r.prog.Phase
		ups = append(ups, AttrPhase.ValueSet(r.prog.Phase))
	}
	if front := r.res.Report.Front; len(front) > 0 && !r.published.front {
		r.published.front = true
		best, fits := front[0].Quality, false
		for _, p := range front {
			if (p.Quality > best) == r.metric.HigherIsBetter && p.Quality != best {
				best = p.Quality
			}
			fits = fits || p.Fits
		}
		ups = append(ups, AttrBestQuality.ValueSet(best), AttrFits.ValueSet(fits))
	}
	upsertAttrs(r.ctx, ups...)
}
