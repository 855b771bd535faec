package hilbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
