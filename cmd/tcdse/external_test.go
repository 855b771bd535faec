package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcdse/tcdse/internal/natstest"
)

// TestWorkerOnExternalTemporal runs a sweep on a Temporal server tcdse did not start
// (`temporal server start-dev` on its own ports), reached through TEMPORAL_ADDRESS as the
// temporal CLI would be, with a worker that serves Prometheus metrics (--metrics) and logs
// JSON: the sweep completes, and the metrics show the SDK's and tcdse's own counters.
func TestWorkerOnExternalTemporal(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: temporal server start-dev")
	}
	cli, _ := filepath.Abs("../../bin/temporal")
	if _, err := os.Stat(cli); err != nil {
		t.Skip("bin/temporal not built (make tools)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	port, httpPort, metricsPort := freePort(t), freePort(t), freePort(t)
	srv := exec.CommandContext(ctx, cli, "server", "start-dev", "--ip", "127.0.0.1", "--port", port, "--http-port", httpPort,
		"--metrics-port", metricsPort, "--headless", "--log-level", "error")
	srv.Stdout, srv.Stderr = io.Discard, os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	waitForPort(ctx, t, "127.0.0.1:"+port)
	ns, _ := natstest.Start(t)
	env := append(os.Environ(), "TCDSE_TEST_AS_MAIN=1", "TEMPORAL_ADDRESS=127.0.0.1:"+port, "TEMPORAL_NAMESPACE=default")

	worker := exec.CommandContext(ctx, os.Args[0], "worker", "--nats", ns.ClientURL(), "--data-dir", filepath.Join(dir, "w"),
		"--metrics", "127.0.0.1:0", "--log-format", "json", "--verbose")
	worker.Env = env
	stderr, _ := worker.StderrPipe()
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { worker.Process.Kill(); worker.Wait() })
	metricsURL := make(chan string, 1)
	scanned := make(chan struct{})
	t.Cleanup(func() { worker.Process.Kill(); <-scanned })
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			t.Log(line)
			if u, ok := strings.CutPrefix(line, "metrics at "); ok {
				metricsURL <- u
			}
			if strings.HasPrefix(line, "{") && !strings.HasSuffix(line, "}") {
				t.Errorf("--log-format json wrote a line that is not one JSON object: %s", line)
			}
		}
	}()
	var murl string
	select {
	case murl = <-metricsURL:
	case <-time.After(2 * time.Minute):
		t.Fatal("the worker did not start (is the Temporal server up?)")
	}

	sweep := exec.CommandContext(ctx, os.Args[0], "sweep", writeSmallSpec(t, dir), "--nats", ns.ClientURL())
	sweep.Env = env
	var out bytes.Buffer
	sweep.Stdout, sweep.Stderr = &out, &out
	if err := sweep.Run(); err != nil {
		t.Fatalf("tcdse sweep against TEMPORAL_ADDRESS: %v\n%s", err, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "front.json")); err != nil {
		t.Error(err)
	}
	resp, err := http.Get(murl)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`tcdse_evaluations_total{cached="false"}`, "tcdse_evaluation_seconds_count", "temporal_", `tcdse_artifact_bytes_total{direction="up"}`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("metrics lack %s:\n%.2000s", want, body)
		}
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// waitForPort waits until something accepts connections at hostPort.
func waitForPort(ctx context.Context, t *testing.T, hostPort string) {
	t.Helper()
	for ctx.Err() == nil {
		if c, err := net.DialTimeout("tcp", hostPort, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("nothing listens at %s", hostPort)
}
