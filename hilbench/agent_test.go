package hilbench_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tcdse/tcdse/hilbench"
)

func TestAgentRunsTreeOnHost(t *testing.T) {
	needCToolchain(t)
	url := startNATS(t)
	startAgent(t, url, hilbench.AgentConfig{Name: "bench-1", Board: "host", Driver: hilbench.HostDriver{}})
	nc := connect(t, url)
	client := hilbench.NewClient(nc)

	t.Run("pass", func(t *testing.T) {
		req := putTree(t, nc, cTree(t))
		res, err := client.Run(testCtx(t), req)
		if err != nil {
			t.Fatal(err)
		}
		if res.JobID != req.JobID || res.Board != "host" || res.Agent != "bench-1" {
			t.Errorf("identity fields %q %q %q", res.JobID, res.Board, res.Agent)
		}
		if !res.Built || !res.Pass || res.Vectors != 3 || res.Iterations != 1000 ||
			res.MaxAbsErr != 0 || res.MaxRelErr != 0 || !(res.NsPerInference > 0) || res.Error != "" {
			t.Errorf("result %+v, want a clean pass over 3 vectors", res)
		}
		if !strings.Contains(res.BuildLog, "gcc") {
			t.Errorf("build log lacks the compiler command:\n%s", res.BuildLog)
		}
	})
	t.Run("failed comparison", func(t *testing.T) {
		res, err := client.Run(testCtx(t), putTree(t, nc, cTree(t, wrongExpectation)))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Built || res.Pass || res.MaxAbsErr != 0.5 {
			t.Errorf("result %+v, want built, not pass, max_abs_err 0.5", res)
		}
	})
	t.Run("compile error", func(t *testing.T) {
		res, err := client.Run(testCtx(t), putTree(t, nc, cTree(t, syntaxError)))
		if err != nil {
			t.Fatalf("a compile error must be a result: %v", err)
		}
		if res.Built || res.Pass || !strings.Contains(res.BuildLog, "this_is_not_c") || !strings.Contains(res.BuildLog, "error") {
			t.Errorf("built=%t pass=%t, log:\n%s", res.Built, res.Pass, res.BuildLog)
		}
	})
	t.Run("harness without result line", func(t *testing.T) {
		mainStart := "int main(void)\n{\n"
		req := putTree(t, nc, cTree(t, treeEdit{"harness.c", mainStart, mainStart + "\treturn 0;\n"},
			treeEdit{"Makefile", "-Werror", ""}))
		res, err := client.Run(testCtx(t), req)
		var agentErr *hilbench.AgentError
		if !errors.As(err, &agentErr) || !strings.Contains(err.Error(), "no JSON result line") {
			t.Fatalf("error %v, want an AgentError about the missing result line", err)
		}
		if res == nil || !res.Built || res.Agent != "bench-1" || agentErr.Agent != "bench-1" {
			t.Errorf("result %+v with the error, want Built and the agent's name", res)
		}
	})
}

func TestAgentRejectsHashMismatch(t *testing.T) {
	url := startNATS(t)
	startAgent(t, url, hilbench.AgentConfig{Name: "bench-1", Board: "host", Driver: hilbench.HostDriver{}})
	nc := connect(t, url)
	client := hilbench.NewClient(nc)

	req := putTree(t, nc, cTree(t))
	other, err := hilbench.PackFiles(map[string][]byte{"model.c": []byte("int other;\n")})
	if err != nil {
		t.Fatal(err)
	}
	req.SHA256 = hilbench.SHA256Hex(other)
	res, err := client.Run(testCtx(t), req)
	var agentErr *hilbench.AgentError
	if !errors.As(err, &agentErr) || !strings.Contains(err.Error(), "sha256 mismatch") ||
		!strings.Contains(err.Error(), req.SHA256) {
		t.Fatalf("error %v, want an AgentError naming the sha256 mismatch", err)
	}
	if res == nil || res.Built || res.Pass {
		t.Errorf("result %+v, want nothing built", res)
	}
}

func TestAgentReportsMissingObjectAndBucket(t *testing.T) {
	url := startNATS(t)
	startAgent(t, url, hilbench.AgentConfig{Name: "bench-1", Board: "host", Driver: hilbench.HostDriver{}})
	nc := connect(t, url)
	client := hilbench.NewClient(nc)

	req := putTree(t, nc, cTree(t))
	missing := req
	missing.Object = strings.Repeat("0", 64)
	if _, err := client.Run(testCtx(t), missing); err == nil || !strings.Contains(err.Error(), missing.Object) {
		t.Errorf("missing object: error %v, want one naming the object", err)
	}
	noBucket := req
	noBucket.Bucket = "no-such-bucket"
	if _, err := client.Run(testCtx(t), noBucket); err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Errorf("missing bucket: error %v, want one naming the bucket", err)
	}
}

func TestAgentRejectsBadRequests(t *testing.T) {
	url := startNATS(t)
	startAgent(t, url, hilbench.AgentConfig{Name: "bench-1", Board: "host", Driver: hilbench.HostDriver{}})
	nc := connect(t, url)
	base := putTree(t, nc, cTree(t))

	// Raw requests, as a client of another protocol version or a confused sender would send.
	send := func(t *testing.T, payload []byte) hilbench.RunResult {
		t.Helper()
		msg, err := nc.RequestWithContext(testCtx(t), hilbench.RunSubject("host"), payload)
		if err != nil {
			t.Fatal(err)
		}
		var res hilbench.RunResult
		if err := json.Unmarshal(msg.Data, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	encode := func(r hilbench.RunRequest) []byte {
		data, _ := json.Marshal(r)
		return data
	}
	newer := base
	newer.Version = hilbench.ProtocolVersion + 1
	wrongBoard := base
	wrongBoard.Board = "tc397"
	badHash := base
	badHash.SHA256 = "not-a-hash"
	for _, tc := range []struct {
		name    string
		payload []byte
		want    []string
	}{
		{"newer version", encode(newer), []string{fmt.Sprintf("protocol version %d", hilbench.ProtocolVersion+1), "speaks version 1"}},
		{"wrong board", encode(wrongBoard), []string{`board "tc397"`, `serves board "host"`}},
		{"bad hash", encode(badHash), []string{"sha256", "64 hex digits"}},
		{"not json", []byte("run please"), []string{"decode run request"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := send(t, tc.payload)
			for _, w := range tc.want {
				if !strings.Contains(res.Error, w) {
					t.Errorf("error %q does not mention %q", res.Error, w)
				}
			}
			if res.Agent != "bench-1" || res.Built {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func TestClientNoAgent(t *testing.T) {
	url := startNATS(t)
	nc := connect(t, url)
	client := hilbench.NewClient(nc)
	req := putTree(t, nc, cTree(t))
	req.Board = "tc397"
	_, err := client.Run(testCtx(t), req)
	var noAgent *hilbench.NoAgentError
	if !errors.As(err, &noAgent) || noAgent.Board != "tc397" {
		t.Fatalf("error %v, want a NoAgentError for tc397", err)
	}
	if want := `no agent for board "tc397" is listening on tcdse.hil.run.tc397`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	agents, err := client.ListAgents(testCtx(t), 2*time.Second)
	if err != nil || len(agents) != 0 {
		t.Errorf("ListAgents with no agents: %v, %v", agents, err)
	}
}

func TestClientValidatesBeforeSending(t *testing.T) {
	url := startNATS(t)
	client := hilbench.NewClient(connect(t, url))
	for _, tc := range []struct {
		req  hilbench.RunRequest
		want string
	}{
		{hilbench.RunRequest{Board: "host.*", Bucket: "b", Object: "o", SHA256: strings.Repeat("a", 64)}, "only letters"},
		{hilbench.RunRequest{Board: "host", Object: "o", SHA256: strings.Repeat("a", 64)}, "bucket is empty"},
		{hilbench.RunRequest{Board: "host", Bucket: "b", SHA256: strings.Repeat("a", 64)}, "object is empty"},
		{hilbench.RunRequest{Board: "host", Bucket: "b", Object: "o", SHA256: "abc"}, "64 hex digits"},
		{hilbench.RunRequest{Version: 9, Board: "host", Bucket: "b", Object: "o", SHA256: strings.Repeat("a", 64)}, "protocol version 9"},
	} {
		if _, err := client.Run(testCtx(t), tc.req); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("request %+v: error %v, want one mentioning %q", tc.req, err, tc.want)
		}
	}
}

// treeCheckDriver is a Driver that does no C work: it repacks the unpacked tree and
// reports, as Vectors, whether it matches the expected archive byte for byte (1) or not (0).
// It lets the queue-group tests run many jobs quickly while still checking the transfer.
type treeCheckDriver struct{ wantSHA string }

func (treeCheckDriver) Name() string { return "tree-check" }

func (d treeCheckDriver) Run(ctx context.Context, dir string) (*hilbench.RunResult, error) {
	data, err := hilbench.PackDir(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "model.c")); err != nil {
		return nil, err
	}
	res := &hilbench.RunResult{Built: true, Pass: true}
	if hilbench.SHA256Hex(data) == d.wantSHA {
		res.Vectors = 1
	}
	return res, nil
}

func TestAgentsInQueueGroupShareRequests(t *testing.T) {
	url := startNATS(t)
	nc := connect(t, url)
	req := putTree(t, nc, cTree(t))
	driver := treeCheckDriver{wantSHA: req.SHA256}
	startAgent(t, url, hilbench.AgentConfig{Name: "bench-a", Board: "host", Driver: driver, Concurrency: 2})
	startAgent(t, url, hilbench.AgentConfig{Name: "bench-b", Board: "host", Driver: driver, Concurrency: 2})
	client := hilbench.NewClient(nc)

	// NATS picks a queue member at random per message: with 40 requests the chance that one
	// agent gets all of them is 2^-39.
	const jobs = 40
	var (
		mu     sync.Mutex
		counts = map[string]int{}
		wg     sync.WaitGroup
		sem    = make(chan struct{}, 8)
	)
	for i := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := req
			r.JobID = fmt.Sprintf("job-%02d", i)
			res, err := client.Run(testCtx(t), r)
			if err != nil {
				t.Errorf("%s: %v", r.JobID, err)
				return
			}
			if res.JobID != r.JobID || res.Vectors != 1 {
				t.Errorf("%s: result %+v, want its own job id and an intact tree", r.JobID, res)
			}
			mu.Lock()
			counts[res.Agent]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts["bench-a"] == 0 || counts["bench-b"] == 0 || counts["bench-a"]+counts["bench-b"] != jobs {
		t.Errorf("jobs per agent %v, want both agents to share all %d", counts, jobs)
	}
}

// blockingDriver signals each started run on started and finishes when release is closed
// or its context ends.
type blockingDriver struct {
	started chan string
	release chan struct{}
}

func (blockingDriver) Name() string { return "blocking" }

func (d blockingDriver) Run(ctx context.Context, dir string) (*hilbench.RunResult, error) {
	d.started <- dir
	select {
	case <-d.release:
		return &hilbench.RunResult{Built: true, Pass: true, Vectors: 7}, nil
	case <-ctx.Done():
		return &hilbench.RunResult{Built: true}, fmt.Errorf("blocking driver: %w", ctx.Err())
	}
}

func TestListAgentsAndBusy(t *testing.T) {
	url := startNATS(t)
	nc := connect(t, url)
	req := putTree(t, nc, cTree(t))
	driver := blockingDriver{started: make(chan string, 1), release: make(chan struct{})}
	startAgent(t, url, hilbench.AgentConfig{Name: "bench-b", Board: "host", Driver: driver})
	startAgent(t, url, hilbench.AgentConfig{Name: "bench-a", Board: "host", Driver: hilbench.HostDriver{}, Concurrency: 3})
	startAgent(t, url, hilbench.AgentConfig{Name: "aurix-1", Board: "tc397", Driver: driver})
	client := hilbench.NewClient(nc)

	agents, err := client.ListAgents(testCtx(t), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := []hilbench.AgentInfo{
		{Name: "bench-a", Board: "host", Driver: "host", Version: 1},
		{Name: "bench-b", Board: "host", Driver: "blocking", Version: 1},
		{Name: "aurix-1", Board: "tc397", Driver: "blocking", Version: 1},
	}
	if fmt.Sprint(agents) != fmt.Sprint(want) {
		t.Fatalf("agents %+v, want %+v", agents, want)
	}

	// Occupy the single slot of the tc397 agent and watch it report busy.
	req.Board = "tc397"
	done := make(chan error, 1)
	var res *hilbench.RunResult
	go func() {
		var err error
		res, err = client.Run(testCtx(t), req)
		done <- err
	}()
	<-driver.started
	agents, err = client.ListAgents(testCtx(t), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	busy := map[string]bool{}
	for _, a := range agents {
		busy[a.Name] = a.Busy
	}
	if !busy["aurix-1"] || busy["bench-a"] || busy["bench-b"] {
		t.Errorf("busy flags %v, want only aurix-1 busy", busy)
	}
	close(driver.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if res.Agent != "aurix-1" || res.Vectors != 7 {
		t.Errorf("result %+v", res)
	}
}

func TestAgentShutdownAnswersRunningJob(t *testing.T) {
	url := startNATS(t)
	nc := connect(t, url)
	req := putTree(t, nc, cTree(t))
	driver := blockingDriver{started: make(chan string, 1), release: make(chan struct{})}
	workDir := t.TempDir()
	a, err := hilbench.NewAgent(connect(t, url), hilbench.AgentConfig{Name: "bench-1", Board: "host", Driver: driver, WorkDir: workDir, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx) }()
	waitReady(t, a, served)
	client := hilbench.NewClient(nc)

	// Raw requests so the test knows when they have reached the server: one that starts
	// and two that queue behind it (Concurrency is 1).
	inbox := nc.NewInbox()
	replies, err := nc.SubscribeSync(inbox)
	if err != nil {
		t.Fatal(err)
	}
	send := func(jobID string) {
		r := req
		r.JobID = jobID
		data, _ := json.Marshal(r)
		if err := nc.PublishRequest(hilbench.RunSubject("host"), inbox, data); err != nil {
			t.Fatal(err)
		}
	}
	send("running")
	jobDir := <-driver.started
	if _, err := os.Stat(filepath.Join(jobDir, "model.c")); err != nil {
		t.Errorf("tree not unpacked in the job directory: %v", err)
	}
	send("queued-1")
	send("queued-2")
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	cancel()

	errs := map[string]string{}
	for range 3 {
		msg, err := replies.NextMsgWithContext(testCtx(t))
		if err != nil {
			t.Fatalf("waiting for replies at shutdown: %v (have %v)", err, errs)
		}
		var res hilbench.RunResult
		if err := json.Unmarshal(msg.Data, &res); err != nil {
			t.Fatal(err)
		}
		errs[res.JobID] = res.Error
	}
	if !strings.Contains(errs["running"], "context canceled") {
		t.Errorf("running job at shutdown: error %q, want it cancelled", errs["running"])
	}
	for _, id := range []string{"queued-1", "queued-2"} {
		if !strings.Contains(errs[id], "shutting down") {
			t.Errorf("%s at shutdown: error %q, want a refusal", id, errs[id])
		}
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if left, _ := os.ReadDir(workDir); len(left) != 0 {
		t.Errorf("job directory left behind: %v", left)
	}
	var noAgent *hilbench.NoAgentError
	if _, err := client.Run(testCtx(t), req); !errors.As(err, &noAgent) {
		t.Errorf("after shutdown: error %v, want NoAgentError", err)
	}
	if err := a.Serve(context.Background()); err == nil {
		t.Error("second Serve succeeded")
	}
}

func TestAgentServeEndsWhenConnectionCloses(t *testing.T) {
	url := startNATS(t)
	nc := connect(t, url)
	a, err := hilbench.NewAgent(nc, hilbench.AgentConfig{Name: "bench-1", Board: "host", Driver: hilbench.HostDriver{}, WorkDir: t.TempDir(), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(context.Background()) }()
	waitReady(t, a, served)
	nc.Close()
	if err := <-served; err == nil || !strings.Contains(err.Error(), "connection closed") {
		t.Errorf("Serve after the connection closed: %v", err)
	}
}

func TestNewAgentChecksConfig(t *testing.T) {
	url := startNATS(t)
	nc := connect(t, url)
	for _, tc := range []struct {
		cfg  hilbench.AgentConfig
		want string
	}{
		{hilbench.AgentConfig{Board: "", Driver: hilbench.HostDriver{}}, "board name is empty"},
		{hilbench.AgentConfig{Board: "a.b", Driver: hilbench.HostDriver{}}, "only letters"},
		{hilbench.AgentConfig{Board: "host"}, "no driver"},
		{hilbench.AgentConfig{Board: "host", Driver: hilbench.HostDriver{}, Concurrency: -1}, "negative"},
	} {
		if _, err := hilbench.NewAgent(nc, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", tc.cfg, err, tc.want)
		}
	}
	if _, err := hilbench.NewAgent(nil, hilbench.AgentConfig{Board: "host", Driver: hilbench.HostDriver{}}); err == nil {
		t.Error("nil connection accepted")
	}
	a, err := hilbench.NewAgent(nc, hilbench.AgentConfig{Board: "host", Driver: hilbench.HostDriver{}, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if info := a.Info(); info.Name == "" || info.Driver != "host" || info.Version != hilbench.ProtocolVersion {
		t.Errorf("defaults: %+v", info)
	}
}

// waitReady waits until a is serving, failing the test if Serve returns first.
func waitReady(t *testing.T, a *hilbench.Agent, served <-chan error) {
	t.Helper()
	select {
	case <-a.Ready():
	case err := <-served:
		t.Fatalf("Serve returned before it was ready: %v", err)
	}
}
