package hilbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Lease states.
const (
	leaseRunning = "running"
	leaseDone    = "done"
)

// Lease is the value under "lease.<job>" in [LeasesBucket]. The entry's revision is the
// fencing token: every write is a compare-and-set on the revision the writer last saw, so an
// agent whose lease was taken over cannot renew it or record a result.
type Lease struct {
	Job   string `json:"job"`
	Board string `json:"board"`
	Class string `json:"class"`
	State string `json:"state"`
	// ExpiresUnixMS is when a running lease may be taken over by another board.
	ExpiresUnixMS int64 `json:"expires_unix_ms"`
	// Result is the recorded result of a done lease: any agent handed the job again publishes
	// it instead of running the job again.
	Result *RunResult `json:"result,omitempty"`
}

// ErrLeaseLost is wrapped by lease operations whose fencing token is no longer current.
var ErrLeaseLost = errors.New("lease lost")

// errLeaseHeld is returned by acquire when another live board holds the lease.
type errLeaseHeld struct {
	holder string
	left   time.Duration
}

func (e *errLeaseHeld) Error() string {
	return fmt.Sprintf("lease held by %s for another %s", e.holder, e.left.Round(time.Millisecond))
}

func leaseKey(job string) string { return "lease." + job }

// leaseHandle is a board's hold on one job's lease.
type leaseHandle struct {
	kv    jetstream.KeyValue
	lease Lease
	rev   uint64 // the current fencing token
	first uint64 // the token of the acquisition, reported in the result
	ttl   time.Duration
}

// acquireLease takes the lease of job for board. It returns the lease with State done when
// the job's result is already recorded (nothing is taken then), an *errLeaseHeld when another
// board holds a live lease, or the handle.
func acquireLease(ctx context.Context, kv jetstream.KeyValue, job, class, board string, ttl time.Duration) (*leaseHandle, error) {
	l := Lease{Job: job, Board: board, Class: class, State: leaseRunning, ExpiresUnixMS: time.Now().Add(ttl).UnixMilli()}
	data, err := json.Marshal(&l)
	if err != nil {
		return nil, err
	}
	key := leaseKey(job)
	for attempt := 0; attempt < 3; attempt++ {
		e, err := kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			rev, err := kv.Create(ctx, key, data)
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue // another board created it first: look again
			}
			if err != nil {
				return nil, fmt.Errorf("lease %s: create: %w", job, err)
			}
			return &leaseHandle{kv: kv, lease: l, rev: rev, first: rev, ttl: ttl}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("lease %s: read: %w", job, err)
		}
		var old Lease
		if err := json.Unmarshal(e.Value(), &old); err != nil {
			return nil, fmt.Errorf("lease %s: decode revision %d: %w", job, e.Revision(), err)
		}
		if old.State == leaseDone {
			return &leaseHandle{kv: kv, lease: old, rev: e.Revision(), first: e.Revision(), ttl: ttl}, nil
		}
		if left := time.Until(time.UnixMilli(old.ExpiresUnixMS)); old.Board != board && left > 0 {
			return nil, &errLeaseHeld{holder: old.Board, left: left}
		}
		rev, err := kv.Update(ctx, key, data, e.Revision())
		if err != nil {
			continue // changed under us: look again
		}
		return &leaseHandle{kv: kv, lease: l, rev: rev, first: rev, ttl: ttl}, nil
	}
	return nil, fmt.Errorf("lease %s: contended, gave up after 3 attempts", job)
}

// renew extends the lease by its lifetime; it fails with ErrLeaseLost when another board
// took the lease over.
func (h *leaseHandle) renew(ctx context.Context) error {
	l := h.lease
	l.ExpiresUnixMS = time.Now().Add(h.ttl).UnixMilli()
	return h.write(ctx, l)
}

// finish records res in the lease (state done) if the lease is still this board's; otherwise
// it fails with ErrLeaseLost and records nothing.
func (h *leaseHandle) finish(ctx context.Context, res *RunResult) error {
	l := h.lease
	l.State = leaseDone
	l.Result = res
	return h.write(ctx, l)
}

// release gives the lease up so that another board may take the job at once.
func (h *leaseHandle) release(ctx context.Context) error {
	l := h.lease
	l.ExpiresUnixMS = 0
	return h.write(ctx, l)
}

func (h *leaseHandle) write(ctx context.Context, l Lease) error {
	data, err := json.Marshal(&l)
	if err != nil {
		return err
	}
	rev, err := h.kv.Update(ctx, leaseKey(l.Job), data, h.rev)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return fmt.Errorf("job %s: token %d: %w", l.Job, h.rev, ErrLeaseLost)
		}
		return fmt.Errorf("lease %s: write: %w", l.Job, err)
	}
	h.rev, h.lease = rev, l
	return nil
}
