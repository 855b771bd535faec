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
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// AgentConfig configures an [Agent].
type AgentConfig struct {
	// Name identifies the agent in results and discovery; empty means the host name.
	Name string
	// Board is the kind of board served; it becomes the last token of the run subject.
	Board string
	// Driver builds and runs trees on the board.
	Driver Driver
	// WorkDir is where job directories are created (and removed); empty means the system
	// temporary directory. It is created if missing.
	WorkDir string
	// Concurrency is the number of jobs run at once; 0 means 1.
	Concurrency int
	// Logger receives the agent's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Agent serves [RunRequest]s for one board over NATS: it fetches the packed tree from the
// JetStream object store, verifies its SHA-256, unpacks it into a fresh directory, runs its
// [Driver] and replies with a [RunResult]. It also answers discovery requests on
// [AgentsSubject].
type Agent struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	cfg   AgentConfig
	log   *slog.Logger
	slots chan struct{} // one element per running job
	ready chan struct{}

	serving atomic.Bool
	mu      sync.Mutex // guards closed and jobs.Add against Serve's shutdown
	closed  bool
	jobs    sync.WaitGroup
}

// flushTimeout bounds the wait for the server to confirm the agent's subscriptions.
const flushTimeout = 10 * time.Second

// NewAgent checks cfg, fills its defaults and creates WorkDir. It does not subscribe; call
// [Agent.Serve].
func NewAgent(nc *nats.Conn, cfg AgentConfig) (*Agent, error) {
	if nc == nil {
		return nil, errors.New("new HIL agent: nil NATS connection")
	}
	if err := ValidateBoard(cfg.Board); err != nil {
		return nil, fmt.Errorf("new HIL agent: %w", err)
	}
	if cfg.Driver == nil {
		return nil, fmt.Errorf("new HIL agent for board %q: no driver", cfg.Board)
	}
	if cfg.Name == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			return nil, fmt.Errorf("new HIL agent for board %q: no name given and no host name: %v", cfg.Board, err)
		}
		cfg.Name = host
	}
	if cfg.Concurrency < 0 {
		return nil, fmt.Errorf("new HIL agent %q: concurrency %d is negative", cfg.Name, cfg.Concurrency)
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 1
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = os.TempDir()
	}
	var err error
	if cfg.WorkDir, err = makeWorkDir(cfg.WorkDir); err != nil {
		return nil, fmt.Errorf("new HIL agent %q: %w", cfg.Name, err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("new HIL agent %q: jetstream: %w", cfg.Name, err)
	}
	return &Agent{
		nc:    nc,
		js:    js,
		cfg:   cfg,
		log:   cfg.Logger.With("agent", cfg.Name, "board", cfg.Board),
		slots: make(chan struct{}, cfg.Concurrency),
		ready: make(chan struct{}),
	}, nil
}

// makeWorkDir creates an agent's work directory and returns its absolute path: drivers run
// programs from job directories below it, which must not depend on the working directory.
func makeWorkDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("work directory: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", fmt.Errorf("work directory: %w", err)
	}
	return abs, nil
}

// Info returns what the agent answers on [AgentsSubject].
func (a *Agent) Info() AgentInfo {
	return AgentInfo{
		Name:    a.cfg.Name,
		Board:   a.cfg.Board,
		Driver:  a.cfg.Driver.Name(),
		Busy:    len(a.slots) >= cap(a.slots),
		Version: ProtocolVersion,
	}
}

// Ready is closed once Serve's subscriptions are registered with the server.
func (a *Agent) Ready() <-chan struct{} { return a.ready }

// Serve subscribes to [RunSubject](board) in [QueueGroup] and to [AgentsSubject], and handles
// requests until ctx ends or the connection closes. At most Concurrency jobs run at once;
// further requests wait in the subscription. When ctx ends, running jobs are cancelled and
// answered with an error, requests still waiting are answered with an error, and Serve
// returns nil once every job has finished. An agent serves once.
func (a *Agent) Serve(ctx context.Context) error {
	if !a.serving.CompareAndSwap(false, true) {
		return fmt.Errorf("HIL agent %q: Serve called twice", a.cfg.Name)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	closedCh := a.nc.StatusChanged(nats.CLOSED)
	defer a.nc.RemoveStatusListener(closedCh)

	subject := RunSubject(a.cfg.Board)
	runSub, err := a.nc.QueueSubscribe(subject, QueueGroup, func(msg *nats.Msg) { a.dispatch(ctx, msg) })
	if err != nil {
		return fmt.Errorf("HIL agent %q: subscribe %s: %w", a.cfg.Name, subject, err)
	}
	defer runSub.Unsubscribe()
	infoSub, err := a.nc.Subscribe(AgentsSubject, a.answerInfo)
	if err != nil {
		return fmt.Errorf("HIL agent %q: subscribe %s: %w", a.cfg.Name, AgentsSubject, err)
	}
	defer infoSub.Unsubscribe()
	if err := a.nc.FlushTimeout(flushTimeout); err != nil {
		return fmt.Errorf("HIL agent %q: flush subscriptions: %w", a.cfg.Name, err)
	}
	close(a.ready)
	a.log.Info("HIL agent serving", "subject", subject, "queue", QueueGroup,
		"driver", a.cfg.Driver.Name(), "concurrency", cap(a.slots), "workdir", a.cfg.WorkDir)

	var serveErr error
	select {
	case <-ctx.Done():
	case <-closedCh:
		serveErr = fmt.Errorf("HIL agent %q: NATS connection closed", a.cfg.Name)
	}
	cancel()
	_ = infoSub.Unsubscribe()
	a.drain(runSub)
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	a.jobs.Wait()
	a.log.Info("HIL agent stopped")
	return serveErr
}

// drain stops sub after every message the server already routed to it has been passed to
// dispatch, which refuses them now that the agent is stopping, so their senders get an
// answer instead of a timeout.
func (a *Agent) drain(sub *nats.Subscription) {
	closed := sub.StatusChanged(nats.SubscriptionClosed)
	if err := sub.Drain(); err != nil {
		_ = sub.Unsubscribe()
		return
	}
	select {
	case <-closed:
	case <-time.After(flushTimeout):
		a.log.Warn("HIL agent: draining the run subscription timed out")
		_ = sub.Unsubscribe()
	}
}

// dispatch runs in the subscription's callback goroutine: it waits for a free job slot and
// starts the job, so at most Concurrency jobs run and later requests queue in order.
func (a *Agent) dispatch(ctx context.Context, msg *nats.Msg) {
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		a.respond(msg, a.refusal(msg, "agent is shutting down"))
		return
	}
	a.mu.Lock()
	if a.closed || ctx.Err() != nil {
		a.mu.Unlock()
		<-a.slots
		a.respond(msg, a.refusal(msg, "agent is shutting down"))
		return
	}
	a.jobs.Add(1)
	a.mu.Unlock()
	go func() {
		defer a.jobs.Done()
		defer func() { <-a.slots }()
		a.respond(msg, a.handle(ctx, msg.Data))
	}()
}

// refusal is the result for a request the agent will not start.
func (a *Agent) refusal(msg *nats.Msg, why string) *RunResult {
	var req RunRequest
	_ = json.Unmarshal(msg.Data, &req)
	a.log.Warn("HIL request refused", "job", req.JobID, "reason", why)
	return &RunResult{JobID: req.JobID, Board: a.cfg.Board, Agent: a.cfg.Name,
		Error: fmt.Sprintf("HIL agent %q: %s", a.cfg.Name, why)}
}

// handle carries out one request and always returns a result; failures are in its Error.
func (a *Agent) handle(ctx context.Context, data []byte) *RunResult {
	start := time.Now()
	res, err := a.run(ctx, data)
	res.Board = a.cfg.Board
	res.Agent = a.cfg.Name
	res.DurationMS = time.Since(start).Milliseconds()
	res.BuildLog = truncateTail(res.BuildLog, MaxLogTail)
	log := a.log.With("job", res.JobID, "duration_ms", res.DurationMS)
	if err != nil {
		res.Error = truncateHead(fmt.Sprintf("HIL agent %q: %v", a.cfg.Name, err), maxErrorLen)
		log.Warn("HIL job failed", "err", err)
		return res
	}
	log.Info("HIL job done", "built", res.Built, "pass", res.Pass, "vectors", res.Vectors,
		"max_abs_err", res.MaxAbsErr, "ns_per_inference", res.NsPerInference)
	return res
}

// run decodes, checks, fetches, unpacks and runs one request. The returned result is never
// nil; on error it holds whatever was learned before the failure.
func (a *Agent) run(ctx context.Context, data []byte) (*RunResult, error) {
	res := &RunResult{}
	var req RunRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return res, fmt.Errorf("decode run request: %w", err)
	}
	res.JobID = req.JobID
	if err := req.Validate(); err != nil {
		return res, err
	}
	if req.Board != a.cfg.Board {
		return res, fmt.Errorf("run request %q is for board %q, this agent serves board %q", req.JobID, req.Board, a.cfg.Board)
	}
	ctx, cancel := context.WithTimeout(ctx, req.timeout())
	defer cancel()
	a.log.Info("HIL job started", "job", req.JobID, "bucket", req.Bucket, "object", req.Object)
	return runTree(ctx, a.js, &req, a.cfg.Driver, a.cfg.WorkDir, a.log)
}

// runTree fetches the tree req names, unpacks it into a fresh directory under workDir, runs
// driver on it and removes the directory. The returned result is never nil; on error it
// holds whatever was learned before the failure.
func runTree(ctx context.Context, js jetstream.JetStream, req *RunRequest, driver Driver, workDir string, log *slog.Logger) (*RunResult, error) {
	res := &RunResult{JobID: req.JobID}
	artifact, err := fetchArtifact(ctx, js, req)
	if err != nil {
		return res, err
	}
	return runArtifact(ctx, artifact, req.JobID, driver, workDir, log)
}

// runArtifact unpacks a packed tree into a fresh directory under workDir, runs driver on it
// and removes the directory.
func runArtifact(ctx context.Context, artifact []byte, job string, driver Driver, workDir string, log *slog.Logger) (*RunResult, error) {
	res := &RunResult{JobID: job}
	dir, err := os.MkdirTemp(workDir, "job-*")
	if err != nil {
		return res, fmt.Errorf("job directory: %w", err)
	}
	defer func() {
		if err := os.RemoveAll(dir); err != nil {
			log.Warn("HIL job directory not removed", "dir", dir, "err", err)
		}
	}()
	if err := Unpack(artifact, dir); err != nil {
		return res, fmt.Errorf("job %q: %w", job, err)
	}
	out, err := driver.Run(ctx, dir)
	if out == nil && err == nil {
		err = fmt.Errorf("driver %q returned no result", driver.Name())
	}
	if out != nil {
		*res = *out
		res.JobID = job
	}
	if err != nil {
		return res, fmt.Errorf("driver %q: %w", driver.Name(), err)
	}
	return res, nil
}

// respond sends res as the reply to msg.
func (a *Agent) respond(msg *nats.Msg, res *RunResult) {
	data, err := json.Marshal(res)
	if err != nil {
		// Only non-finite floats can fail here; report that instead of the numbers.
		data, _ = json.Marshal(&RunResult{JobID: res.JobID, Board: res.Board, Agent: res.Agent,
			Built: res.Built, BuildLog: res.BuildLog, DurationMS: res.DurationMS,
			Error: fmt.Sprintf("HIL agent %q: encode result: %v", a.cfg.Name, err)})
	}
	if err := msg.Respond(data); err != nil {
		a.log.Warn("HIL reply not sent", "job", res.JobID, "err", err)
	}
}

// answerInfo replies to a discovery request.
func (a *Agent) answerInfo(msg *nats.Msg) {
	data, err := json.Marshal(a.Info())
	if err == nil {
		err = msg.Respond(data)
	}
	if err != nil {
		a.log.Warn("HIL discovery reply not sent", "err", err)
	}
}
