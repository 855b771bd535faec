package hilbench_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/tcdse/tcdse/hilbench"
)

// Environment of a test binary started as a board agent process (see TestMain).
const (
	envAgentConfig = "TCDSE_TEST_FARM_AGENT_CONFIG"
	envAgentNATS   = "TCDSE_TEST_FARM_AGENT_NATS"
)

// TestMain runs the test binary as a farm agent process when envAgentConfig is set: the
// drills kill such processes with SIGKILL, freeze them with SIGSTOP and restart NATS under
// them.
func TestMain(m *testing.M) {
	if path := os.Getenv(envAgentConfig); path != "" {
		os.Exit(runAgentProcess(path, os.Getenv(envAgentNATS)))
	}
	os.Exit(m.Run())
}

func runAgentProcess(path, url string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := hilbench.LoadAgentFile(path)
	if err != nil {
		log.Error("agent config", "err", err)
		return 2
	}
	cfg.Logger = log
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond), nats.Name(cfg.Name))
	if err != nil {
		log.Error("connect", "err", err)
		return 2
	}
	defer nc.Close()
	a, err := hilbench.NewFarmAgent(nc, cfg)
	if err != nil {
		log.Error("agent", "err", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := a.Serve(ctx); err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

// agentProcess is a board agent running in a child process.
type agentProcess struct {
	cmd *exec.Cmd
	log string
}

// startAgentProcess writes config (YAML) and starts an agent process on it; the process is
// killed at the end of the test and its log shown when the test failed.
func startAgentProcess(t *testing.T, url, name, config string) *agentProcess {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), envAgentConfig+"="+path, envAgentNATS+"="+url)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &agentProcess{cmd: cmd, log: logPath}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			data, _ := os.ReadFile(logPath)
			t.Logf("log of agent %s:\n%s", name, data)
		}
	})
	return p
}

// simAgentConfig is the YAML of a sim board agent for the drills.
func simAgentConfig(name, workDir string, delayMS int, extra string) string {
	return fmt.Sprintf(`name: %s
class: %s
work_dir: %s
lease_seconds: 2
heartbeat_seconds: 0.2
poll_seconds: 0.1
driver:
  kind: sim
  target: tc387:cpu2
  true_scale: 2
  true_seed: 3
  noise: 0.01
  delay_ms: %d
%s`, name, simClass, workDir, delayMS, extra)
}

// waitFor polls cond every 50 ms until it holds or the deadline passes.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// leaseHolder returns the board holding job's running lease, or "".
func leaseHolder(t *testing.T, farm *hilbench.Farm, job string) string {
	ls, err := farm.Leases(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Job == job {
			return l.Board
		}
	}
	return ""
}

// resultsOf counts the recorded and refused results of job.
func resultsOf(t *testing.T, farm *hilbench.Farm, job string) (recorded, refused []hilbench.RunResult) {
	t.Helper()
	all, err := farm.RecentResults(testCtx(t), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if r.JobID == job {
			recorded = append(recorded, r)
		}
	}
	ref, err := farm.Refused(testCtx(t), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ref {
		if r.JobID == job {
			refused = append(refused, r)
		}
	}
	return recorded, refused
}

// submitTo queues req as job and waits until board holds its lease.
func submitTo(t *testing.T, farm *hilbench.Farm, req hilbench.RunRequest, job, board string) {
	t.Helper()
	req.JobID = job
	if _, err := farm.Submit(testCtx(t), req); err != nil {
		t.Fatal(err)
	}
	waitFor(t, board+" takes the job", 20*time.Second, func() bool { return leaseHolder(t, farm, job) == board })
}

// TestFarmDrillKillAgent kills an agent process with SIGKILL in the middle of a job: the job
// is handed to the other agent once the lease runs out (seconds), and exactly one result is
// recorded.
func TestFarmDrillKillAgent(t *testing.T) {
	url := startNATS(t)
	farm := openFarm(t, url)
	req, _ := mlpTree(t, connect(t, url))
	a := startAgentProcess(t, url, "kill-a", simAgentConfig("kill-a", t.TempDir(), 4000, ""))
	submitTo(t, farm, req, "drill-kill", "kill-a")
	req.JobID = "drill-kill"
	ctx := testCtx(t)
	startAgentProcess(t, url, "kill-b", simAgentConfig("kill-b", t.TempDir(), 100, ""))
	waitFor(t, "kill-b registers", 10*time.Second, func() bool { return boardState(t, farm, "kill-b") == hilbench.StateIdle })
	killed := time.Now()
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	res, err := farm.Wait(ctx, req.JobID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("result %.1f s after the kill, from %s (attempt %d)", time.Since(killed).Seconds(), res.Agent, res.Attempt)
	if res.Agent != "kill-b" || !res.Pass || res.Attempt < 2 {
		t.Errorf("result %+v", res)
	}
	// The lease is 2 s; a redelivery bound by the activity's 30-minute timeout would not come.
	if d := time.Since(killed); d > 15*time.Second {
		t.Errorf("the job came back %s after the kill", d)
	}
	rec, _ := resultsOf(t, farm, req.JobID)
	if len(rec) != 1 {
		t.Errorf("%d results recorded for the job", len(rec))
	}
	waitFor(t, "kill-a shows offline", 2*hilbench.OfflineAfter, func() bool { return boardState(t, farm, "kill-a") == hilbench.StateOffline })
}

// TestFarmDrillLateResultRefused freezes an agent (SIGSTOP) in the middle of a job until its
// lease runs out and another board has recorded the result; thawed, the first agent's late
// result is refused (kept under the refused subject), never merged.
func TestFarmDrillLateResultRefused(t *testing.T) {
	url := startNATS(t)
	farm := openFarm(t, url)
	req, _ := mlpTree(t, connect(t, url))
	a := startAgentProcess(t, url, "late-a", simAgentConfig("late-a", t.TempDir(), 1500, ""))
	submitTo(t, farm, req, "drill-late", "late-a")
	req.JobID = "drill-late"
	ctx := testCtx(t)
	if err := a.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	startAgentProcess(t, url, "late-b", simAgentConfig("late-b", t.TempDir(), 100, ""))
	res, err := farm.Wait(ctx, req.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Agent != "late-b" {
		t.Fatalf("result from %s, want late-b", res.Agent)
	}
	if err := a.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	var refused []hilbench.RunResult
	waitFor(t, "late-a's result refused", 20*time.Second, func() bool {
		_, refused = resultsOf(t, farm, req.JobID)
		return len(refused) > 0
	})
	if refused[0].Agent != "late-a" {
		t.Errorf("refused result from %s", refused[0].Agent)
	}
	rec, _ := resultsOf(t, farm, req.JobID)
	if len(rec) != 1 || rec[0].Agent != "late-b" {
		t.Errorf("recorded results %+v", rec)
	}
	logData, _ := os.ReadFile(a.log)
	if !strings.Contains(string(logData), "late result refused") {
		t.Errorf("late-a's log does not say it refused its result")
	}
}

// TestFarmDrillNATSRestart restarts the NATS server while an agent process runs a job: the
// job is not lost and gets exactly one result.
func TestFarmDrillNATSRestart(t *testing.T) {
	storeDir := t.TempDir()
	opts := &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: storeDir, NoLog: true, NoSigs: true}
	start := func(port int) *server.Server {
		o := *opts
		o.Port = port
		s, err := server.NewServer(&o)
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatal("nats server did not start")
		}
		return s
	}
	s := start(server.RANDOM_PORT)
	url := s.ClientURL()
	t.Cleanup(func() { s.Shutdown() })
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx := testCtx(t)
	farm, err := hilbench.OpenFarm(ctx, nc, testFarm)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := mlpTree(t, nc)
	startAgentProcess(t, url, "restart-a", simAgentConfig("restart-a", t.TempDir(), 2000, ""))
	submitTo(t, farm, req, "drill-restart", "restart-a")
	req.JobID = "drill-restart"
	tcpPort := s.Addr().(*net.TCPAddr).Port
	s.Shutdown()
	s.WaitForShutdown()
	time.Sleep(500 * time.Millisecond)
	s = start(tcpPort)
	res, err := farm.Wait(ctx, req.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Pass {
		t.Errorf("result %+v", res)
	}
	rec, _ := resultsOf(t, farm, req.JobID)
	if len(rec) != 1 {
		all, err := farm.RecentResults(ctx, 1000)
		t.Errorf("%d results recorded; result %+v; all %d %v", len(rec), res, len(all), err)
	}
}

func boardState(t *testing.T, farm *hilbench.Farm, name string) hilbench.BoardState {
	bs, err := farm.Boards(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if b.Name == name {
			return b.State
		}
	}
	return ""
}
