package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"go.temporal.io/sdk/client"

	"github.com/tcdse/tcdse/devstack"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/store"
)

// testStack is the embedded Temporal server and NATS on free ports, with clients and a host
// board agent, for the integration tests.
type testStack struct {
	st     *devstack.Stack
	client client.Client
	nc     *nats.Conn
	objs   *store.Objects
}

// startTestStack starts everything under dir; it all stops when the test ends. It skips the
// test under -short or without gcc.
func startTestStack(ctx context.Context, t *testing.T, dir string) *testStack {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: embedded Temporal server, NATS, gcc")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is needed for the host board")
	}
	st, err := devstack.Start(ctx, devstack.Config{DataDir: filepath.Join(dir, "stack"), TemporalHostPort: "127.0.0.1:0", NATSHostPort: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Stop() })
	g := &globalFlags{namespace: st.Namespace()}
	c, err := g.dialTemporal(ctx, st.TemporalHostPort())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	nc, err := g.dialNATS(st.NATSURL(), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	g.nats = st.NATSURL()
	objs, onc, err := g.openObjects(ctx, "test-objects")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(onc.Close)
	agent, err := hilbench.NewFarmAgent(nc, hilbench.FarmAgentConfig{Name: "host-test", Class: "host", Driver: &hilbench.HostDriver{}, WorkDir: filepath.Join(dir, "boards")})
	if err != nil {
		t.Fatal(err)
	}
	actx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { agent.Serve(actx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	<-agent.Ready()
	return &testStack{st: st, client: c, nc: nc, objs: objs}
}

// runTcdse runs the test binary as tcdse with args, fails the test if it fails (showing its
// output), and returns what it printed on stdout.
func runTcdse(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TCDSE_TEST_AS_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tcdse %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out)
}
