package hilbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Farm submits jobs to the farm's durable queue, waits for their results and shows and steers
// the boards. It is safe for concurrent use.
type Farm struct {
	nc  *nats.Conn
	st  *farmStores
	cfg FarmConfig
}

// resultRecheck is how often a waiting client looks the result up in the stream, in case
// the live message was missed (a NATS server restart).
const resultRecheck = 2 * time.Second

// OpenFarm binds to (creating when needed) the farm's streams and buckets on nc.
func OpenFarm(ctx context.Context, nc *nats.Conn, cfg FarmConfig) (*Farm, error) {
	if nc == nil {
		return nil, errors.New("open farm: nil NATS connection")
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("open farm: %w", err)
	}
	st, err := openFarm(ctx, js, cfg)
	if err != nil {
		return nil, err
	}
	return &Farm{nc: nc, st: st, cfg: cfg.withDefaults()}, nil
}

// Submit queues req for its board class (req.Board) at its priority and returns it as
// queued. Empty fields are filled: Version, JobID (random), Priority (batch) and
// SubmittedUnixMS. The job id deduplicates: submitting the same id again within the dedup
// window queues nothing, and a job whose result is recorded is never run again.
func (f *Farm) Submit(ctx context.Context, req RunRequest) (RunRequest, error) {
	if req.Version == 0 {
		req.Version = ProtocolVersion
	}
	if req.JobID == "" {
		req.JobID = randomJobID()
	}
	if req.Priority == "" {
		req.Priority = Batch
	}
	if req.SubmittedUnixMS == 0 {
		req.SubmittedUnixMS = time.Now().UnixMilli()
	}
	if !validToken(req.JobID) {
		return req, fmt.Errorf("farm submit: job id %q: only letters, digits, '-' and '_' are allowed", req.JobID)
	}
	if err := req.Validate(); err != nil {
		return req, fmt.Errorf("farm submit: %w", err)
	}
	data, err := json.Marshal(&req)
	if err != nil {
		return req, fmt.Errorf("farm submit %q: %w", req.JobID, err)
	}
	subject := JobSubject(req.Board, req.Priority)
	err = retry(ctx, func() error {
		_, err := f.st.js.Publish(ctx, subject, data, jetstream.WithMsgID(req.JobID))
		return err
	})
	if err != nil {
		return req, fmt.Errorf("farm submit %q on %s: %w", req.JobID, subject, err)
	}
	_ = f.nc.Publish(wakeSubject(req.Board), nil)
	return req, nil
}

// Result returns job's recorded result, or nil when there is none yet.
func (f *Farm) Result(ctx context.Context, job string) (*RunResult, error) {
	raw, err := f.st.results.GetLastMsgForSubject(ctx, ResultSubject(job))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("farm result %q: %w", job, err)
	}
	var res RunResult
	if err := json.Unmarshal(raw.Data, &res); err != nil {
		return nil, fmt.Errorf("farm result %q: decode: %w", job, err)
	}
	return &res, nil
}

// Wait waits until job's result is recorded (stored in [ResultsStream]) or ctx ends.
func (f *Farm) Wait(ctx context.Context, job string) (*RunResult, error) {
	sub, err := f.nc.SubscribeSync(ResultSubject(job))
	if err != nil {
		return nil, fmt.Errorf("farm wait %q: %w", job, err)
	}
	defer sub.Unsubscribe()
	for {
		if res, err := f.Result(ctx, job); err == nil && res != nil {
			return res, nil
		} else if ctx.Err() != nil {
			return nil, fmt.Errorf("farm wait %q: %w", job, ctx.Err())
		}
		wait, cancel := context.WithTimeout(ctx, resultRecheck)
		msg, err := sub.NextMsgWithContext(wait)
		cancel()
		if err == nil {
			// The live copy can arrive before the stream has stored it: return the
			// recorded result, so that a caller reading the stream next finds it.
			for range 50 {
				if res, err := f.Result(ctx, job); err == nil && res != nil {
					return res, nil
				}
				time.Sleep(10 * time.Millisecond)
			}
			var res RunResult
			if err := json.Unmarshal(msg.Data, &res); err == nil {
				return &res, nil
			}
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("farm wait %q: %w", job, ctx.Err())
		}
	}
}

// Run submits req and waits for its result, like [Client.Run]: a result whose Error is set
// comes with an [*AgentError]; a build failure or failed comparison is a result with a nil
// error. A job whose result is already recorded is not queued again.
func (f *Farm) Run(ctx context.Context, req RunRequest) (*RunResult, error) {
	if req.JobID != "" {
		if res, err := f.Result(ctx, req.JobID); err == nil && res != nil {
			return checkResult(req, res)
		}
	}
	req, err := f.Submit(ctx, req)
	if err != nil {
		return nil, err
	}
	res, err := f.Wait(ctx, req.JobID)
	if err != nil {
		return nil, err
	}
	return checkResult(req, res)
}

func checkResult(req RunRequest, res *RunResult) (*RunResult, error) {
	if res.Error != "" {
		return res, &AgentError{JobID: req.JobID, Board: req.Board, Agent: res.Agent, Message: res.Error}
	}
	return res, nil
}

// Boards returns the registry, sorted by class and name, with each board's State replaced
// by its effective state (offline after [OfflineAfter] without a heartbeat).
func (f *Farm) Boards(ctx context.Context) ([]BoardInfo, error) {
	boards, err := listBoards(ctx, f.st.boards)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	for i := range boards {
		boards[i].State = boards[i].Effective(now)
	}
	return boards, nil
}

// Drain stops (drain=true) or resumes (false) the board's intake of new jobs.
func (f *Farm) Drain(ctx context.Context, board string, drain bool) error {
	if err := ValidateBoard(board); err != nil {
		return err
	}
	return updateControl(ctx, f.st.boards, board, func(c *BoardControl) { c.Drain = drain })
}

// Release asks a quarantined board to requalify now: it runs its health job and returns to
// service when that passes (at once when it has none).
func (f *Farm) Release(ctx context.Context, board string) error {
	if err := ValidateBoard(board); err != nil {
		return err
	}
	return updateControl(ctx, f.st.boards, board, func(c *BoardControl) { c.Release++ })
}

// recentResults is how many of the latest results Status reads for the wait figures.
const recentResults = 500

// Status sums the farm up per class: boards by state, queued and in-flight jobs, utilisation
// and the queue wait of recent results.
func (f *Farm) Status(ctx context.Context) ([]ClassStatus, error) {
	boards, err := f.Boards(ctx)
	if err != nil {
		return nil, err
	}
	classes := map[string]*ClassStatus{}
	get := func(c string) *ClassStatus {
		if classes[c] == nil {
			classes[c] = &ClassStatus{Class: c, Boards: map[BoardState]int{}, Queued: map[Priority]uint64{}}
		}
		return classes[c]
	}
	busy, up := map[string]int64{}, map[string]int64{}
	for _, b := range boards {
		cs := get(b.Class)
		cs.Boards[b.State]++
		if b.State != StateOffline {
			busy[b.Class] += b.BusyMS
			up[b.Class] += b.UpMS
		}
	}
	for c, u := range up {
		if u > 0 {
			get(c).Utilisation = float64(busy[c]) / float64(u)
		}
	}
	lister := f.st.jobs.ListConsumers(ctx)
	for info := range lister.Info() {
		for _, p := range Priorities {
			for c := range classes {
				if info.Name == consumerName(c, p) {
					classes[c].Queued[p] = info.NumPending
					classes[c].InFlight += info.NumAckPending
				}
			}
		}
	}
	if err := lister.Err(); err != nil {
		return nil, fmt.Errorf("farm status: consumers: %w", err)
	}
	results, err := f.RecentResults(ctx, recentResults)
	if err != nil {
		return nil, err
	}
	waits := map[string][]int64{}
	for _, r := range results {
		waits[r.Class] = append(waits[r.Class], r.WaitMS)
	}
	for c, w := range waits {
		sort.Slice(w, func(i, j int) bool { return w[i] < w[j] })
		cs := get(c)
		cs.Results, cs.WaitP50MS, cs.WaitMaxMS = len(w), w[len(w)/2], w[len(w)-1]
	}
	out := make([]ClassStatus, 0, len(classes))
	for _, cs := range classes {
		out = append(out, *cs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Class < out[j].Class })
	return out, nil
}

// RecentResults returns up to n of the latest recorded results, oldest first.
func (f *Farm) RecentResults(ctx context.Context, n int) ([]RunResult, error) {
	return f.readResults(ctx, n, resultSubjectPrefix+">")
}

// Refused returns up to n of the latest refused late results, oldest first.
func (f *Farm) Refused(ctx context.Context, n int) ([]RunResult, error) {
	return f.readResults(ctx, n, refusedSubjectPrefix+">")
}

func (f *Farm) readResults(ctx context.Context, n int, filter string) ([]RunResult, error) {
	s, err := f.st.js.Stream(ctx, ResultsStream)
	if err != nil {
		return nil, fmt.Errorf("farm results: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("farm results: %w", err)
	}
	seq := info.State.FirstSeq
	if last := info.State.LastSeq; last >= uint64(n) && last-uint64(n)+1 > seq {
		seq = last - uint64(n) + 1
	}
	var out []RunResult
	for seq <= info.State.LastSeq {
		// The next message at or after seq on the filter.
		m, err := s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(filter))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("farm results: message %d: %w", seq, err)
		}
		var r RunResult
		if json.Unmarshal(m.Data, &r) == nil {
			out = append(out, r)
		}
		seq = m.Sequence + 1
	}
	return out, nil
}

// Leases returns the leases of running jobs (the jobs on boards now), sorted by job.
func (f *Farm) Leases(ctx context.Context) ([]Lease, error) {
	lister, err := f.st.leases.ListKeys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("farm leases: %w", err)
	}
	var out []Lease
	for key := range lister.Keys() {
		e, err := f.st.leases.Get(ctx, key)
		if err != nil {
			continue
		}
		var l Lease
		if json.Unmarshal(e.Value(), &l) == nil && l.State == leaseRunning && l.ExpiresUnixMS > 0 {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Job < out[j].Job })
	return out, nil
}
