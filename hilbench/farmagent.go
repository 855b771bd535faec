package hilbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrBoardDisconnected is wrapped by a driver error for a board that stopped answering in
// the middle of a job: the agent abandons the job without a word, as if its connection had
// dropped, and the job comes back to the queue when its lease runs out.
var ErrBoardDisconnected = errors.New("board disconnected")

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

// FarmAgentConfig configures a [FarmAgent].
type FarmAgentConfig struct {
	// Name identifies the board in the registry, leases and results; it must be unique in the
	// farm and usable as a subject token.
	Name string
	// Class is the board class whose job subjects the agent serves, e.g. "tc387-cpu2".
	Class string
	// Descriptive registry fields.
	Derivative, Core, Toolchain string
	ClockMHz                    float64
	Tags                        []string
	// Driver builds and runs trees on the board.
	Driver Driver
	// WorkDir holds job directories and, by default, the journal; empty means a directory
	// under the system temporary directory.
	WorkDir string
	// Journal is the bbolt file of finished, unacknowledged measurements; empty means
	// WorkDir/journal-<Name>.db.
	Journal string
	// Concurrency is the number of jobs run at once; 0 means 1.
	Concurrency int
	// Farm tunes the streams and consumers (the lease time in particular).
	Farm FarmConfig
	// Heartbeat is the registry refresh period; 0 means 2 s.
	Heartbeat time.Duration
	// Poll is how often an idle agent looks at its queues without a wake-up; 0 means 1 s.
	Poll time.Duration
	// QuarantineAfter is the number of infrastructure failures in a row that quarantine the
	// board; 0 means 3.
	QuarantineAfter int
	// Health is the board's health job; nil means a quarantine is only lifted by an operator.
	Health *HealthCheck
	// Logger receives the agent's logs; nil means slog.Default().
	Logger *slog.Logger
}

// FarmAgent serves one board of a farm: it pulls jobs of its class from the durable job
// queue (interactive before batch), holds a fenced lease on each while it runs, records the
// result and only then acknowledges the job. See the package documentation, section "Farm".
type FarmAgent struct {
	nc      *nats.Conn
	cfg     FarmAgentConfig
	log     *slog.Logger
	st      *farmStores
	cons    map[Priority]jetstream.Consumer
	journal *journal
	slots   chan struct{}
	bell    chan struct{}
	ready   chan struct{}
	cache   *artifactCache

	mu          sync.Mutex
	info        BoardInfo
	drain       bool
	releaseSeen int64
	released    chan struct{} // rung when an operator asks to release the quarantine
	jobs        sync.WaitGroup
	// use is read-held by every job from before its fetch to its end, and write-held by a
	// routine health job, so the two never share the board.
	use sync.RWMutex
}

// NewFarmAgent checks cfg and fills its defaults. It does not connect to the queues; call
// [FarmAgent.Serve].
func NewFarmAgent(nc *nats.Conn, cfg FarmAgentConfig) (*FarmAgent, error) {
	if nc == nil {
		return nil, errors.New("new farm agent: nil NATS connection")
	}
	if err := ValidateBoard(cfg.Class); err != nil {
		return nil, fmt.Errorf("new farm agent: class: %w", err)
	}
	if err := ValidateBoard(cfg.Name); err != nil {
		return nil, fmt.Errorf("new farm agent: name: %w", err)
	}
	if cfg.Driver == nil {
		return nil, fmt.Errorf("new farm agent %q: no driver", cfg.Name)
	}
	if cfg.Concurrency < 0 {
		return nil, fmt.Errorf("new farm agent %q: concurrency %d is negative", cfg.Name, cfg.Concurrency)
	}
	cfg.Concurrency = max(cfg.Concurrency, 1)
	if cfg.WorkDir == "" {
		cfg.WorkDir = filepath.Join(os.TempDir(), "tcdse-agent-"+cfg.Name)
	}
	var err error
	if cfg.WorkDir, err = makeWorkDir(cfg.WorkDir); err != nil {
		return nil, fmt.Errorf("new farm agent %q: %w", cfg.Name, err)
	}
	if cfg.Journal == "" {
		cfg.Journal = filepath.Join(cfg.WorkDir, "journal-"+cfg.Name+".db")
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 2 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.QuarantineAfter <= 0 {
		cfg.QuarantineAfter = 3
	}
	cfg.Farm = cfg.Farm.withDefaults()
	if h := cfg.Health; h != nil {
		if len(h.Tree) == 0 {
			return nil, fmt.Errorf("new farm agent %q: health job has no tree", cfg.Name)
		}
		if h.DriftPercent <= 0 {
			h.DriftPercent = 10
		}
		if h.Interval <= 0 {
			h.Interval = 10 * time.Second
		}
		if h.Timeout <= 0 {
			h.Timeout = 2 * time.Minute
		}
		if h.Every <= 0 {
			h.Every = 10 * time.Minute
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	now := time.Now()
	a := &FarmAgent{
		nc:       nc,
		cfg:      cfg,
		log:      cfg.Logger.With("agent", cfg.Name, "class", cfg.Class),
		slots:    make(chan struct{}, cfg.Concurrency),
		bell:     make(chan struct{}, 1),
		ready:    make(chan struct{}),
		released: make(chan struct{}, 1),
		cache:    newArtifactCache(64 << 20),
		info: BoardInfo{
			Name: cfg.Name, Class: cfg.Class, Derivative: cfg.Derivative, Core: cfg.Core, ClockMHz: cfg.ClockMHz,
			Toolchain: cfg.Toolchain, Tags: cfg.Tags, Driver: cfg.Driver.Name(), Slots: cfg.Concurrency,
			State: StateIdle, StartedUnixMS: now.UnixMilli(), Version: ProtocolVersion,
		},
	}
	if cfg.Health != nil {
		a.info.HealthBaseline = cfg.Health.Cycles
	}
	return a, nil
}

// Ready is closed once Serve is pulling jobs.
func (a *FarmAgent) Ready() <-chan struct{} { return a.ready }

// Info returns the board's registry entry as the agent last knows it.
func (a *FarmAgent) Info() BoardInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.snapshotLocked(time.Now())
}

// Serve connects to the farm's streams, records what its journal still holds, registers the
// board and runs jobs until ctx ends. Running jobs are then cancelled, their leases given up
// and the jobs handed back to the queue; the board is marked offline.
func (a *FarmAgent) Serve(ctx context.Context) error {
	var err error
	if a.st, err = openFarm(ctx, jetstreamOf(a.nc), a.cfg.Farm); err != nil {
		return fmt.Errorf("farm agent %q: %w", a.cfg.Name, err)
	}
	if a.cons, err = a.st.ensureConsumers(ctx, a.cfg.Class, a.cfg.Farm); err != nil {
		return fmt.Errorf("farm agent %q: %w", a.cfg.Name, err)
	}
	if a.journal, err = openJournal(a.cfg.Journal); err != nil {
		return err
	}
	defer a.journal.close()
	a.replayJournal(ctx)
	a.resumeQuarantine(ctx)
	if c, _, err := readControl(ctx, a.st.boards, a.cfg.Name); err == nil {
		a.drain, a.releaseSeen = c.Drain, c.Release // before the first fetch
	}

	wake, err := a.nc.Subscribe(wakeSubject(a.cfg.Class), func(*nats.Msg) { a.ring() })
	if err != nil {
		return fmt.Errorf("farm agent %q: subscribe %s: %w", a.cfg.Name, wakeSubject(a.cfg.Class), err)
	}
	defer wake.Unsubscribe()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var bg sync.WaitGroup
	bg.Add(3)
	go func() { defer bg.Done(); a.heartbeat(ctx) }()
	go func() { defer bg.Done(); a.watchControl(ctx) }()
	go func() { defer bg.Done(); a.routineHealth(ctx) }()
	a.publishInfo(ctx)
	close(a.ready)
	a.log.Info("farm agent serving", "driver", a.cfg.Driver.Name(), "concurrency", a.cfg.Concurrency,
		"lease", a.cfg.Farm.Lease, "workdir", a.cfg.WorkDir)

	a.dispatch(ctx)
	cancel()
	a.jobs.Wait()
	bg.Wait()
	a.mu.Lock()
	a.info.State = StateOffline
	a.mu.Unlock()
	final, stop := context.WithTimeout(context.Background(), 2*time.Second)
	a.publishInfo(final)
	stop()
	a.log.Info("farm agent stopped")
	return nil
}

func jetstreamOf(nc *nats.Conn) jetstream.JetStream {
	js, _ := jetstream.New(nc) // fails only for a nil connection, checked by the constructors
	return js
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

// ring wakes the dispatcher without blocking.
func (a *FarmAgent) ring() {
	select {
	case a.bell <- struct{}{}:
	default:
	}
}

// dispatch takes a free slot, fetches the next job (interactive first) and starts it, until
// ctx ends.
func (a *FarmAgent) dispatch(ctx context.Context) {
	poll := time.NewTicker(a.cfg.Poll)
	defer poll.Stop()
	for {
		select {
		case a.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		for {
			if a.accepting() {
				a.use.RLock()
				if msg, p := a.fetch(ctx); msg != nil {
					a.jobs.Add(1)
					go func() {
						defer a.jobs.Done()
						defer func() { <-a.slots; a.ring() }()
						defer a.use.RUnlock()
						a.handle(ctx, msg, p)
					}()
					break
				}
				a.use.RUnlock()
			}
			select {
			case <-a.bell:
			case <-poll.C:
			case <-ctx.Done():
				<-a.slots
				return
			}
		}
	}
}

// accepting reports whether the board takes new jobs (not draining, not quarantined).
func (a *FarmAgent) accepting() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return !a.drain && a.info.State != StateQuarantined
}

// fetch returns the next job of the class, highest priority first, or nil.
func (a *FarmAgent) fetch(ctx context.Context) (jetstream.Msg, Priority) {
	for _, p := range Priorities {
		batch, err := a.cons[p].FetchNoWait(1)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Warn("farm agent: fetch failed", "priority", p, "err", err)
			}
			return nil, ""
		}
		for msg := range batch.Messages() {
			return msg, p
		}
		if err := batch.Error(); err != nil && ctx.Err() == nil && !errors.Is(err, nats.ErrTimeout) {
			a.log.Debug("farm agent: fetch", "priority", p, "err", err)
		}
	}
	return nil, ""
}

// nakDelay is how long a job handed back after a board failure waits before redelivery, so
// that another board of the class is likely to take it.
const nakDelay = 500 * time.Millisecond

// handle carries out one delivered job.
func (a *FarmAgent) handle(ctx context.Context, msg jetstream.Msg, p Priority) {
	started := time.Now()
	attempt := 1
	if md, err := msg.Metadata(); err == nil {
		attempt = int(md.NumDelivered)
	}
	var req RunRequest
	if err := json.Unmarshal(msg.Data(), &req); err != nil || !validToken(req.JobID) {
		a.log.Error("farm agent: undecodable job removed from the queue", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	log := a.log.With("job", req.JobID, "attempt", attempt)
	lease, err := acquireLease(ctx, a.st.leases, req.JobID, a.cfg.Class, a.cfg.Name, a.cfg.Farm.Lease)
	var held *errLeaseHeld
	switch {
	case errors.As(err, &held):
		log.Info("farm job leased elsewhere; handed back", "holder", held.holder)
		_ = msg.NakWithDelay(held.left)
		return
	case err != nil:
		log.Warn("farm job: lease not taken; handed back", "err", err)
		_ = msg.NakWithDelay(nakDelay)
		return
	case lease.lease.State == leaseDone:
		// Measured before (by this or another board): record that result, do not run again.
		log.Info("farm job already has a result; recording it again", "by", lease.lease.Board)
		if err := a.publishResult(ctx, lease.lease.Result); err != nil {
			log.Warn("farm job: result not published", "err", err)
			return
		}
		_ = msg.DoubleAck(ctx)
		return
	}
	a.setRunning(+1)
	defer a.setRunning(-1)

	jobCtx, cancelJob := context.WithCancelCause(ctx)
	stopRenew := a.keepLease(jobCtx, cancelJob, msg, lease, log)
	res, runErr := a.runJob(jobCtx, &req, log)
	stopRenew()
	lost := errors.Is(context.Cause(jobCtx), ErrLeaseLost)
	cancelJob(nil)
	a.addBusy(time.Since(started))

	res.JobID, res.Board, res.Class, res.Agent, res.Label = req.JobID, a.cfg.Class, a.cfg.Class, a.cfg.Name, req.Label
	res.Attempt, res.LeaseToken, res.Bucket, res.Object = attempt, lease.first, req.Bucket, req.SHA256
	res.DurationMS = time.Since(started).Milliseconds()
	if req.SubmittedUnixMS > 0 {
		res.WaitMS = max(0, started.UnixMilli()-req.SubmittedUnixMS)
	}
	res.BuildLog = truncateTail(res.BuildLog, MaxLogTail)

	switch {
	case lost:
		a.refuse(ctx, res, lease, log)
		return
	case ctx.Err() != nil:
		// Shutting down: hand the job back at once.
		rel, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = lease.release(rel)
		cancel()
		_ = msg.Nak()
		return
	case errors.Is(runErr, ErrBoardDisconnected):
		a.strike(ctx, runErr, log)
		log.Warn("farm job abandoned: board disconnected; it returns to the queue when the lease ends")
		return
	}
	if runErr == nil && res.Built && !res.Pass && a.cfg.Health != nil {
		// A failed comparison is either the code or the board: the health job tells.
		if err := a.runHealth(ctx); err != nil {
			runErr = fmt.Errorf("outputs did not match, and the board fails its health job: %w", err)
		}
	}
	if runErr != nil {
		a.strike(ctx, runErr, log)
		if attempt < a.cfg.Farm.MaxDeliver && ctx.Err() == nil {
			_ = lease.release(ctx)
			_ = msg.NakWithDelay(nakDelay)
			return
		}
		res.Error = truncateHead(fmt.Sprintf("farm board %q, attempt %d of %d: %v", a.cfg.Name, attempt, a.cfg.Farm.MaxDeliver, runErr), maxErrorLen)
	} else {
		a.good()
	}
	a.record(ctx, res, lease, msg, log)
}

// runJob fetches (or reuses) the tree and runs it under the job's time limit.
func (a *FarmAgent) runJob(ctx context.Context, req *RunRequest, log *slog.Logger) (*RunResult, error) {
	if err := req.Validate(); err != nil {
		return &RunResult{}, err
	}
	if req.Board != a.cfg.Class {
		return &RunResult{}, fmt.Errorf("job %q is for class %q, this board is of class %q", req.JobID, req.Board, a.cfg.Class)
	}
	ctx, cancel := context.WithTimeout(ctx, req.timeout())
	defer cancel()
	artifact, err := a.cache.get(ctx, a.st.js, req)
	if err != nil {
		return &RunResult{}, err
	}
	return runArtifact(ctx, artifact, req.JobID, a.cfg.Driver, a.cfg.WorkDir, log)
}

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

func (a *FarmAgent) setRunning(d int) {
	a.mu.Lock()
	a.info.Running += d
	a.mu.Unlock()
}

func (a *FarmAgent) addBusy(d time.Duration) {
	a.mu.Lock()
	a.info.BusyMS += d.Milliseconds()
	a.mu.Unlock()
}

// snapshotLocked returns the registry entry at now; a.mu must be held.
func (a *FarmAgent) snapshotLocked(now time.Time) BoardInfo {
	b := a.info
	b.HeartbeatMS = now.UnixMilli()
	b.UpMS = (now.UnixMilli() - b.StartedUnixMS) * int64(b.Slots)
	switch {
	case b.State == StateQuarantined || b.State == StateOffline:
	case a.drain:
		b.State = StateDraining
	case b.Running > 0:
		b.State = StateBusy
	default:
		b.State = StateIdle
	}
	return b
}

// publishInfo writes the board's registry entry.
func (a *FarmAgent) publishInfo(ctx context.Context) {
	a.mu.Lock()
	b := a.snapshotLocked(time.Now())
	a.mu.Unlock()
	data, _ := json.Marshal(&b)
	if _, err := a.st.boards.Put(ctx, boardKey(a.cfg.Name), data); err != nil && ctx.Err() == nil {
		a.log.Warn("farm agent: registry not updated", "err", err)
	}
}

func (a *FarmAgent) heartbeat(ctx context.Context) {
	t := time.NewTicker(a.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.publishInfo(ctx)
		}
	}
}

// watchControl follows the board's control entry: drain, undrain and release.
func (a *FarmAgent) watchControl(ctx context.Context) {
	for ctx.Err() == nil {
		w, err := a.st.boards.Watch(ctx, controlKey(a.cfg.Name))
		if err != nil {
			a.log.Warn("farm agent: control watch failed; retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		for e := range w.Updates() {
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			var c BoardControl
			if err := json.Unmarshal(e.Value(), &c); err != nil {
				a.log.Warn("farm agent: bad control entry", "err", err)
				continue
			}
			a.applyControl(ctx, c)
		}
		_ = w.Stop()
	}
}

func (a *FarmAgent) applyControl(ctx context.Context, c BoardControl) {
	a.mu.Lock()
	changed := a.drain != c.Drain
	a.drain = c.Drain
	release := false
	if c.Release > a.releaseSeen {
		// A release asked for before the board was quarantined (or before this agent started)
		// lifts nothing.
		release = a.info.State == StateQuarantined
		a.releaseSeen = c.Release
	}
	a.mu.Unlock()
	if changed {
		a.log.Info("farm board drain changed", "drain", c.Drain)
	}
	if release {
		select {
		case a.released <- struct{}{}:
		default:
		}
	}
	if changed || release {
		a.publishInfo(ctx)
		a.ring()
	}
}
