package hilbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"
)

// Board health: infrastructure failures in a row quarantine a board, health jobs requalify it and flag cycle drift.

// HealthCheck is a board's health job: a fixed tree with a known answer (its harness must
// pass) and, optionally, a known cycle count.
type HealthCheck struct {
	// Tree is the packed tree ([PackFiles], [PackDir]).
	Tree []byte
	// Cycles is the baseline cycles per inference; 0 takes the first health job's count.
	Cycles float64
	// DriftPercent flags the board when a health job's cycles differ from the baseline by more
	// than this share; 0 means 10.
	DriftPercent float64
	// Interval is how often a quarantined board runs its health job; 0 means 10 s.
	Interval time.Duration
	// Every is how often a board in service runs its health job between jobs, to catch
	// drift; 0 means 10 minutes.
	Every time.Duration
	// Timeout bounds one health job; 0 means 2 minutes.
	Timeout time.Duration
}

// resumeQuarantine keeps a quarantine the board's previous run left in the registry: a
// restart does not requalify a board.
func (a *FarmAgent) resumeQuarantine(ctx context.Context) {
	e, err := a.st.boards.Get(ctx, boardKey(a.cfg.Name))
	if err != nil {
		return
	}
	var prev BoardInfo
	if json.Unmarshal(e.Value(), &prev) != nil || prev.State != StateQuarantined {
		return
	}
	a.mu.Lock()
	a.info.State, a.info.Reason = StateQuarantined, prev.Reason
	a.mu.Unlock()
	a.log.Warn("farm board starts quarantined, as its previous run left it", "reason", prev.Reason)
	go a.requalify(ctx)
}

// strike counts an infrastructure failure and quarantines the board after QuarantineAfter in
// a row.
func (a *FarmAgent) strike(ctx context.Context, cause error, log *slog.Logger) {
	a.mu.Lock()
	a.info.FailuresInRow++
	a.info.JobsFailed++
	quarantine := a.info.FailuresInRow >= a.cfg.QuarantineAfter && a.info.State != StateQuarantined
	if quarantine {
		a.info.State = StateQuarantined
		a.info.Reason = truncateHead(fmt.Sprintf("%d infrastructure failures in a row, the last: %v", a.info.FailuresInRow, cause), 1024)
	}
	a.mu.Unlock()
	log.Warn("farm job: infrastructure failure", "err", cause)
	if quarantine {
		log.Error("farm board quarantined", "reason", cause)
		a.publishInfo(ctx)
		go a.requalify(ctx)
	}
}

func (a *FarmAgent) good() {
	a.mu.Lock()
	a.info.FailuresInRow = 0
	a.info.JobsDone++
	a.mu.Unlock()
}

// requalify runs the health job every Health.Interval (and when an operator releases the
// board) until it passes; without a health job only a release lifts the quarantine.
func (a *FarmAgent) requalify(ctx context.Context) {
	var tick <-chan time.Time
	if a.cfg.Health != nil {
		t := time.NewTicker(a.cfg.Health.Interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		operator := false
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-a.released:
			operator = true
		}
		if a.cfg.Health != nil {
			if err := a.runHealth(ctx); err != nil {
				a.log.Warn("farm board stays quarantined: health job failed", "err", err)
				continue
			}
		}
		a.mu.Lock()
		a.info.State, a.info.Reason, a.info.FailuresInRow = StateIdle, "", 0
		a.mu.Unlock()
		a.log.Info("farm board requalified", "by_operator", operator)
		a.publishInfo(ctx)
		a.ring()
		return
	}
}

// routineHealth runs the health job every Health.Every, never beside a job; a failure counts
// as an infrastructure failure.
func (a *FarmAgent) routineHealth(ctx context.Context) {
	if a.cfg.Health == nil {
		return
	}
	t := time.NewTimer(a.cfg.Health.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		a.use.Lock()
		a.mu.Lock()
		quarantined := a.info.State == StateQuarantined
		a.mu.Unlock()
		if !quarantined { // a quarantined board runs its health job in requalify
			if err := a.runHealth(ctx); err != nil && ctx.Err() == nil {
				a.strike(ctx, fmt.Errorf("routine health job: %w", err), a.log)
			}
			a.publishInfo(ctx)
		}
		a.use.Unlock()
		a.ring()
		t.Reset(a.cfg.Health.Every)
	}
}

// runHealth runs the health job and checks its answer and cycles; drift beyond the limit is
// flagged in the registry but does not fail the job.
func (a *FarmAgent) runHealth(ctx context.Context) error {
	h := a.cfg.Health
	if h == nil {
		return errors.New("no health job configured")
	}
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	res, err := runArtifact(ctx, h.Tree, "health-"+a.cfg.Name, a.cfg.Driver, a.cfg.WorkDir, a.log)
	if err != nil {
		return err
	}
	if !res.Built || !res.Pass {
		return fmt.Errorf("health job: built=%t pass=%t (max rel err %g)", res.Built, res.Pass, res.MaxRelErr)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c := res.CyclesPerInference
	a.info.HealthCycles = c
	if c > 0 && a.info.HealthBaseline == 0 {
		a.info.HealthBaseline = c
	}
	a.info.Drift = ""
	if b := a.info.HealthBaseline; c > 0 && b > 0 {
		if d := 100 * math.Abs(c-b) / b; d > h.DriftPercent {
			a.info.Drift = fmt.Sprintf("health job %.0f cycles, baseline %.0f: %.1f%% drift (limit %g%%)", c, b, d, h.DriftPercent)
			a.log.Warn("farm board drifts", "drift", a.info.Drift)
		}
	}
	return nil
}
