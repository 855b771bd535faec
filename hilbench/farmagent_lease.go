package hilbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A job's lease (renewed while the job runs, fenced by the KV revision), its recorded result, and the journal that keeps a measurement until its ack is confirmed.

// keepLease sends in-progress acknowledgements and renews the lease every third of the
// lease time until the returned function is called; when the lease is lost it cancels the
// job with ErrLeaseLost.
func (a *FarmAgent) keepLease(ctx context.Context, cancel context.CancelCauseFunc, msg jetstream.Msg, lease *leaseHandle, log *slog.Logger) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(a.cfg.Farm.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			_ = msg.InProgress()
			if err := lease.renew(ctx); errors.Is(err, ErrLeaseLost) {
				log.Warn("farm job: lease lost to another board; stopping", "err", err)
				cancel(err)
				return
			} else if err != nil && ctx.Err() == nil {
				log.Warn("farm job: lease not renewed", "err", err)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// record journals the result, fences it with the lease, publishes it and acknowledges the
// job, in that order; the journal entry goes once the acknowledgement is confirmed.
func (a *FarmAgent) record(ctx context.Context, res *RunResult, lease *leaseHandle, msg jetstream.Msg, log *slog.Logger) {
	if err := a.journal.put(journalEntry{Result: *res, Token: lease.rev}); err != nil {
		log.Error("farm job: journal write failed", "err", err)
	}
	if err := a.fence(ctx, res, lease); err != nil {
		if errors.Is(err, ErrLeaseLost) {
			a.refuse(ctx, res, lease, log)
			_ = a.journal.remove(res.JobID)
		} else {
			log.Warn("farm job: result kept in the journal, not yet recorded", "err", err)
		}
		return
	}
	if err := a.publishResult(ctx, res); err != nil {
		log.Warn("farm job: result kept in the journal, not yet published", "err", err)
		return
	}
	if err := msg.DoubleAck(ctx); err != nil {
		// The result is recorded; a redelivery finds the lease done and acks then.
		log.Warn("farm job: acknowledgement not confirmed", "err", err)
	}
	if err := a.journal.remove(res.JobID); err != nil {
		log.Warn("farm job: journal entry not removed", "err", err)
	}
	log.Info("farm job done", "built", res.Built, "pass", res.Pass, "error", res.Error != "",
		"cycles", res.CyclesPerInference, "duration_ms", res.DurationMS, "wait_ms", res.WaitMS)
}

// fence marks the lease done with res, retrying transient failures; a write whose reply was
// lost is recognised by reading the lease back.
func (a *FarmAgent) fence(ctx context.Context, res *RunResult, lease *leaseHandle) error {
	return retry(ctx, func() error {
		err := lease.finish(ctx, res)
		if !errors.Is(err, ErrLeaseLost) {
			return err
		}
		if e, gerr := lease.kv.Get(ctx, leaseKey(res.JobID)); gerr == nil {
			var l Lease
			if json.Unmarshal(e.Value(), &l) == nil && l.State == leaseDone && l.Board == a.cfg.Name &&
				l.Result != nil && l.Result.LeaseToken == res.LeaseToken {
				return nil
			}
		}
		return permanent(err)
	})
}

// publishResult records res in the results stream (deduplicated by job id), retrying until
// the server confirms or ctx ends.
func (a *FarmAgent) publishResult(ctx context.Context, res *RunResult) error {
	data, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	return retry(ctx, func() error {
		_, err := a.st.js.Publish(ctx, ResultSubject(res.JobID), data, jetstream.WithMsgID(res.JobID))
		return err
	})
}

// refuse logs and keeps (under [RefusedSubject]) a result whose lease was lost: it is never
// merged.
func (a *FarmAgent) refuse(ctx context.Context, res *RunResult, lease *leaseHandle, log *slog.Logger) {
	log.Warn("farm job: late result refused: the lease was taken over", "token", lease.first)
	data, _ := json.Marshal(res)
	pub, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := a.st.js.Publish(pub, RefusedSubject(res.JobID), data); err != nil {
		log.Warn("farm job: refused result not kept", "err", err)
	}
}

// replayJournal records the measurements a previous run of this agent finished but did not
// see acknowledged.
func (a *FarmAgent) replayJournal(ctx context.Context) {
	entries, err := a.journal.entries()
	if err != nil {
		a.log.Error("farm agent: journal unreadable", "err", err)
		return
	}
	for _, e := range entries {
		res := e.Result
		log := a.log.With("job", res.JobID)
		lease := &leaseHandle{kv: a.st.leases, rev: e.Token, first: res.LeaseToken, ttl: a.cfg.Farm.Lease,
			lease: Lease{Job: res.JobID, Board: a.cfg.Name, Class: a.cfg.Class, State: leaseRunning}}
		if err := a.fence(ctx, &res, lease); err != nil {
			if !errors.Is(err, ErrLeaseLost) {
				log.Warn("farm agent: journalled result not yet recorded", "err", err)
				continue
			}
			a.refuse(ctx, &res, lease, log)
		} else if err := a.publishResult(ctx, &res); err != nil {
			log.Warn("farm agent: journalled result not yet published", "err", err)
			continue
		} else {
			log.Info("farm agent: journalled result recorded after a restart")
		}
		_ = a.journal.remove(res.JobID)
	}
}
