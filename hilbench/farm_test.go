package hilbench_test

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// simClass is the board class of the sim boards in these tests.
const simClass = "tc387-sim"

// mlpTree packs the MLP fixture as a job tree and stores it; it returns a request for it.
func mlpTree(t testing.TB, nc *nats.Conn) (hilbench.RunRequest, []byte) {
	t.Helper()
	g, err := model.LoadFile("../model/testdata/fixtures/mlp.onnx")
	if err != nil {
		t.Fatal(err)
	}
	g.Outputs = g.Outputs[:1] // the logits
	data, err := hilbench.PackGraph(g, "", 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	req := putBytes(t, nc, data)
	req.Board = simClass
	return req, data
}

// simDriver returns a sim board of the TC387's CPU2 whose true model is the built-in one
// scaled by up to 2x for seed.
func simDriver(t testing.TB, seed uint64, faults ...hilbench.SimFault) *hilbench.SimDriver {
	t.Helper()
	target, err := tc3xx.Lookup("tc387:cpu2")
	if err != nil {
		t.Fatal(err)
	}
	return &hilbench.SimDriver{Target: target, True: hilbench.ScaledCostModel(tc3xx.TC162P, seed, 2), Noise: 0.01, Seed: seed, Faults: faults}
}

// testFarm is the farm configuration of the tests: a short lease so that redeliveries happen
// within a test's patience.
var testFarm = hilbench.FarmConfig{Lease: 2 * time.Second}

// startFarmAgent serves a farm agent on its own connection until the end of the test.
func startFarmAgent(t testing.TB, url string, cfg hilbench.FarmAgentConfig) *hilbench.FarmAgent {
	t.Helper()
	if cfg.WorkDir == "" {
		cfg.WorkDir = t.TempDir()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if cfg.Class == "" {
		cfg.Class = simClass
	}
	if cfg.Farm == (hilbench.FarmConfig{}) {
		cfg.Farm = testFarm
	}
	cfg.Heartbeat = 200 * time.Millisecond
	a, err := hilbench.NewFarmAgent(connect(t, url), cfg)
	if err != nil {
		t.Fatal(err)
	}
	serveInTest(t, "farm agent "+cfg.Name, a.Serve, a.Ready(), nil)
	return a
}

func openFarm(t testing.TB, url string) *hilbench.Farm {
	t.Helper()
	f, err := hilbench.OpenFarm(testCtx(t), connect(t, url), testFarm)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestFarmExactlyOnce runs 8 sim boards on 200 jobs: every job gets exactly one result, no
// job runs twice, and the registry shows the boards.
func TestFarmExactlyOnce(t *testing.T) {
	url := startNATS(t)
	farm := openFarm(t, url)
	req, _ := mlpTree(t, connect(t, url))
	const boards, jobs = 8, 200
	var drivers []*hilbench.SimDriver
	for i := range boards {
		d := simDriver(t, 7)
		drivers = append(drivers, d)
		startFarmAgent(t, url, hilbench.FarmAgentConfig{Name: fmt.Sprintf("sim-%d", i), Driver: d, Concurrency: 2})
	}
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, jobs)
	results := make([]*hilbench.RunResult, jobs)
	for i := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := req
			r.JobID = fmt.Sprintf("once-%03d", i)
			res, err := farm.Run(ctx, r)
			if err != nil {
				errs <- err
				return
			}
			results[i] = res
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var runs int64
	for _, d := range drivers {
		runs += d.Runs()
	}
	if runs != jobs {
		t.Errorf("the boards ran %d times for %d jobs", runs, jobs)
	}
	recorded, err := farm.RecentResults(ctx, 10*jobs)
	if err != nil {
		t.Fatal(err)
	}
	perJob := map[string]int{}
	for _, r := range recorded {
		perJob[r.JobID]++
	}
	for i, res := range results {
		id := fmt.Sprintf("once-%03d", i)
		if res == nil || res.JobID != id || !res.Pass || res.CyclesPerInference <= 0 {
			t.Errorf("job %s: result %+v", id, res)
		}
		if perJob[id] != 1 {
			t.Errorf("job %s has %d results in the stream", id, perJob[id])
		}
	}
	// A job submitted again is answered from the record, not run.
	again := req
	again.JobID = "once-000"
	if _, err := farm.Run(ctx, again); err != nil {
		t.Fatal(err)
	}
	var after int64
	for _, d := range drivers {
		after += d.Runs()
	}
	if after != runs {
		t.Errorf("a job with a recorded result ran again (%d runs, was %d)", after, runs)
	}
	bs, err := farm.Boards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != boards {
		t.Fatalf("registry has %d boards, want %d: %+v", len(bs), boards, bs)
	}
	for _, b := range bs {
		if b.Class != simClass || b.Driver != "sim" || b.State == hilbench.StateOffline {
			t.Errorf("board %+v", b)
		}
	}
}

// TestFarmPriorities queues batch jobs, then interactive ones, on a drained board; once it is
// undrained, every interactive job runs before any batch job, and each priority in order.
func TestFarmPriorities(t *testing.T) {
	url := startNATS(t)
	farm := openFarm(t, url)
	req, _ := mlpTree(t, connect(t, url))
	ctx := testCtx(t)
	if err := farm.Drain(ctx, "prio-1", true); err != nil {
		t.Fatal(err)
	}
	startFarmAgent(t, url, hilbench.FarmAgentConfig{Name: "prio-1", Driver: simDriver(t, 1)})
	var ids []string
	for _, p := range []hilbench.Priority{hilbench.Batch, hilbench.Batch, hilbench.Interactive, hilbench.Batch, hilbench.Interactive} {
		r := req
		r.JobID = fmt.Sprintf("p%d-%s", len(ids), p)
		r.Priority = p
		if _, err := farm.Submit(ctx, r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.JobID)
	}
	time.Sleep(300 * time.Millisecond)
	if got, _ := farm.RecentResults(ctx, 10); len(got) != 0 {
		t.Fatalf("a draining board ran %d jobs", len(got))
	}
	if err := farm.Drain(ctx, "prio-1", false); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := farm.Wait(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	got, err := farm.RecentResults(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range got {
		order = append(order, r.JobID)
	}
	want := []string{"p2-interactive", "p4-interactive", "p0-batch", "p1-batch", "p3-batch"}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("run order %v, want %v", order, want)
	}
}

// healthCheck is a health job on the MLP tree, run every 200 ms while quarantined.
func healthCheck(t testing.TB, tree []byte) *hilbench.HealthCheck {
	return &hilbench.HealthCheck{Tree: tree, Interval: 200 * time.Millisecond, DriftPercent: 5}
}

// runJobs submits n jobs on the tree and waits for all their results.
func runJobs(t *testing.T, farm *hilbench.Farm, req hilbench.RunRequest, prefix string, n int) []*hilbench.RunResult {
	t.Helper()
	ctx := testCtx(t)
	var ids []string
	for i := range n {
		r := req
		r.JobID = fmt.Sprintf("%s-%02d", prefix, i)
		if _, err := farm.Submit(ctx, r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.JobID)
	}
	var out []*hilbench.RunResult
	for _, id := range ids {
		res, err := farm.Wait(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res)
	}
	return out
}

// TestFarmHungBoardQuarantined: a sim board that hangs times its job out twice and is
// quarantined; the job then runs on another board, and the hung board's health job (which
// passes once the hangs are over) returns it to service.
func TestFarmHungBoardQuarantined(t *testing.T) {
	url := startNATS(t)
	farm := openFarm(t, url)
	req, tree := mlpTree(t, connect(t, url))
	req.TimeoutSeconds = 1
	req.JobID = "hung-job"
	hung := simDriver(t, 1, hilbench.SimFault{Kind: hilbench.FaultHang, First: 2})
	health := healthCheck(t, tree)
	health.Interval = time.Second
	startFarmAgent(t, url, hilbench.FarmAgentConfig{Name: "hung", Driver: hung, QuarantineAfter: 2, Health: health, Poll: 50 * time.Millisecond})
	ctx := testCtx(t)
	if _, err := farm.Submit(ctx, req); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the hung board is quarantined", 20*time.Second, func() bool { return boardState(t, farm, "hung") == hilbench.StateQuarantined })
	startFarmAgent(t, url, hilbench.FarmAgentConfig{Name: "good", Driver: simDriver(t, 1), Poll: 50 * time.Millisecond})
	res, err := farm.Wait(ctx, req.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pass || res.Error != "" {
		t.Errorf("result %+v", res)
	}
	waitFor(t, "the hung board requalifies", 20*time.Second, func() bool { return boardState(t, farm, "hung") == hilbench.StateIdle })
	if hung.Runs() < 3 {
		t.Errorf("the hung board ran %d times: two hangs and a health job expected", hung.Runs())
	}
}

// TestFarmBadBoardsQuarantined: boards that print garbage or compute wrong outputs are
// quarantined and stay so (their health job fails too); every job's result is the good
// board's, so the sweep's front is unaffected.
func TestFarmBadBoardsQuarantined(t *testing.T) {
	url := startNATS(t)
	farm := openFarm(t, url)
	req, tree := mlpTree(t, connect(t, url))
	for _, kind := range []string{hilbench.FaultGarbage, hilbench.FaultWrong} {
		startFarmAgent(t, url, hilbench.FarmAgentConfig{Name: "bad-" + kind, Driver: simDriver(t, 1, hilbench.SimFault{Kind: kind, Rate: 1}),
			QuarantineAfter: 2, Health: healthCheck(t, tree), Poll: 20 * time.Millisecond})
	}
	startFarmAgent(t, url, hilbench.FarmAgentConfig{Name: "good", Driver: simDriver(t, 1), Poll: 200 * time.Millisecond})
	for _, res := range runJobs(t, farm, req, "bad", 12) {
		if !res.Pass || res.Error != "" || res.Agent != "good" {
			t.Errorf("job %s: pass=%t error=%q from %s", res.JobID, res.Pass, res.Error, res.Agent)
		}
	}
	for _, kind := range []string{hilbench.FaultGarbage, hilbench.FaultWrong} {
		name := "bad-" + kind
		waitFor(t, name+" quarantined", 20*time.Second, func() bool { return boardState(t, farm, name) == hilbench.StateQuarantined })
	}
}

// TestFarmHealthDriftFlagged: a board whose routine health job measures cycles far from its
// configured baseline is flagged in the registry, and stays in service.
func TestFarmHealthDriftFlagged(t *testing.T) {
	url := startNATS(t)
	farm := openFarm(t, url)
	_, tree := mlpTree(t, connect(t, url))
	health := healthCheck(t, tree)
	health.Every = 100 * time.Millisecond
	health.Cycles = 1000 // the MLP prices at several thousand cycles
	startFarmAgent(t, url, hilbench.FarmAgentConfig{Name: "drifty", Driver: simDriver(t, 1), Health: health})
	var b hilbench.BoardInfo
	waitFor(t, "drift flagged", 20*time.Second, func() bool {
		bs, err := farm.Boards(testCtx(t))
		if err != nil || len(bs) != 1 {
			return false
		}
		b = bs[0]
		return b.Drift != ""
	})
	if b.State == hilbench.StateQuarantined || b.HealthCycles <= 1000 || b.HealthBaseline != 1000 {
		t.Errorf("board %+v", b)
	}
}
