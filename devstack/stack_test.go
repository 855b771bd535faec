package devstack

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const testTaskQueue = "devstack-test"

// greetActivity is the trivial activity run by greetWorkflow.
func greetActivity(_ context.Context, name string) (string, error) {
	return "hello, " + name, nil
}

// greetWorkflow runs greetActivity once.
func greetWorkflow(ctx workflow.Context, name string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var out string
	err := workflow.ExecuteActivity(ctx, greetActivity, name).Get(ctx, &out)
	return out, err
}

// startTestStack starts a stack on free ports in dir, logging to logs if it
// is not nil.
func startTestStack(t *testing.T, dir string, logs io.Writer) *Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	begin := time.Now()
	s, err := Start(ctx, Config{DataDir: dir, TemporalHostPort: "127.0.0.1:0", NATSHostPort: "127.0.0.1:0", LogWriter: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stack up in %s: temporal %s, nats %s", time.Since(begin).Round(time.Millisecond), s.TemporalHostPort(), s.NATSURL())
	return s
}

func dial(t *testing.T, s *Stack) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: s.TemporalHostPort(), Namespace: s.Namespace()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStackRunsWorkflowsAndPersists(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Temporal server")
	}
	dir := t.TempDir()
	ctx := context.Background()
	t.Cleanup(func() {
		if t.Failed() {
			logTail(t, filepath.Join(dir, TemporalLogFile))
		}
	})

	s := startTestStack(t, dir, nil)
	if s.Namespace() != DefaultNamespace {
		t.Errorf("Namespace() = %q, want %q", s.Namespace(), DefaultNamespace)
	}
	if !strings.HasPrefix(s.TemporalHostPort(), "127.0.0.1:") || strings.HasSuffix(s.TemporalHostPort(), ":0") {
		t.Errorf("TemporalHostPort() = %q, want a concrete 127.0.0.1 port", s.TemporalHostPort())
	}

	c := dial(t, s)
	w := worker.New(c, testTaskQueue, worker.Options{})
	w.RegisterWorkflow(greetWorkflow)
	w.RegisterActivity(greetActivity)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "greet-1", TaskQueue: testTaskQueue}, greetWorkflow, "tricore")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	begin := time.Now()
	if err := run.Get(ctx, &got); err != nil {
		t.Fatal(err)
	}
	t.Logf("workflow completed in %s", time.Since(begin).Round(time.Millisecond))
	if got != "hello, tricore" {
		t.Fatalf("workflow result = %q, want %q", got, "hello, tricore")
	}
	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if ns.GetNamespaceInfo().GetName() != "default" || ns.GetNamespaceInfo().GetState() != enumspb.NAMESPACE_STATE_REGISTERED {
		t.Fatalf("DescribeNamespace = %v", ns.GetNamespaceInfo())
	}

	// A second stack on the same Temporal port is refused with a clear error.
	_, err = Start(ctx, Config{DataDir: t.TempDir(), TemporalHostPort: s.TemporalHostPort(), NATSHostPort: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), s.TemporalHostPort()+" is in use") {
		t.Errorf("Start on a used port: err = %v, want %q", err, s.TemporalHostPort()+" is in use")
	}

	// NATS with JetStream: object store round trip.
	nc, err := nats.Connect(s.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: "devstack-test", Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	blob := bytes.Repeat([]byte{0xA5, 0x5A, 0x00}, 100_000)
	if _, err := obs.PutBytes(ctx, "blob", blob); err != nil {
		t.Fatal(err)
	}
	back, err := obs.GetBytes(ctx, "blob")
	if err != nil || !bytes.Equal(back, blob) {
		t.Fatalf("object store round trip: err=%v, %d bytes back of %d", err, len(back), len(blob))
	}
	nc.Close()

	w.Stop()
	c.Close()
	begin = time.Now()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("stack stopped in %s", time.Since(begin).Round(time.Millisecond))
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	for _, name := range []string{TemporalDBFile, TemporalLogFile, NATSLogFile} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s after stop: err=%v, want a non-empty file", name, err)
		}
	}

	logInfo, err := os.Stat(filepath.Join(dir, TemporalLogFile))
	if err != nil {
		t.Fatal(err)
	}

	// Start again on the same directory, logging to a buffer this time: the
	// workflow and the bucket survive.
	var logs bytes.Buffer
	s2 := startTestStack(t, dir, &logs)
	defer func() {
		if err := s2.Stop(); err != nil {
			t.Error(err)
		}
		// The buffer is only safe to read once the servers are stopped.
		if !strings.Contains(logs.String(), "[temporal]") || !strings.Contains(logs.String(), "[nats]") {
			t.Errorf("LogWriter got no temporal and nats lines: %.300q", logs.String())
		}
		if fi, err := os.Stat(filepath.Join(dir, TemporalLogFile)); err != nil || fi.Size() != logInfo.Size() {
			t.Errorf("%s changed although LogWriter was set", TemporalLogFile)
		}
	}()
	c2 := dial(t, s2)
	defer c2.Close()
	desc, err := c2.DescribeWorkflowExecution(ctx, "greet-1", run.GetRunID())
	if err != nil {
		t.Fatalf("workflow greet-1 not found after restart: %v", err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Errorf("greet-1 status after restart = %v, want COMPLETED", st)
	}
	var again string
	if err := c2.GetWorkflow(ctx, "greet-1", run.GetRunID()).Get(ctx, &again); err != nil || again != "hello, tricore" {
		t.Errorf("greet-1 result after restart = %q, %v", again, err)
	}
	nc2, err := nats.Connect(s2.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	js2, err := jetstream.New(nc2)
	if err != nil {
		t.Fatal(err)
	}
	obs2, err := js2.ObjectStore(ctx, "devstack-test")
	if err != nil {
		t.Fatalf("bucket after restart: %v", err)
	}
	if back, err := obs2.GetBytes(ctx, "blob"); err != nil || !bytes.Equal(back, blob) {
		t.Fatalf("blob after restart: err=%v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Start(ctx, Config{}); err == nil || !strings.Contains(err.Error(), "DataDir") {
		t.Errorf("Start without DataDir: err = %v", err)
	}
	if _, err := Start(ctx, Config{DataDir: t.TempDir(), TemporalHostPort: "7233"}); err == nil || !strings.Contains(err.Error(), "TemporalHostPort") {
		t.Errorf("Start with bad TemporalHostPort: err = %v", err)
	}
	if _, err := Start(ctx, Config{DataDir: t.TempDir(), NATSHostPort: "127.0.0.1:99999"}); err == nil || !strings.Contains(err.Error(), "NATSHostPort") {
		t.Errorf("Start with bad NATSHostPort: err = %v", err)
	}
}

func TestNATSPortInUse(t *testing.T) {
	ports, err := freePorts("127.0.0.1", 1)
	if err != nil {
		t.Fatal(err)
	}
	hp := joinHostPort("127.0.0.1", ports[0])
	l, err := net.Listen("tcp", hp)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	_, err = Start(context.Background(), Config{DataDir: dir, TemporalHostPort: "127.0.0.1:0", NATSHostPort: hp})
	if err == nil || !strings.Contains(err.Error(), hp+" is in use: is `tcdse up` already running?") {
		t.Fatalf("err = %v", err)
	}
	// Nothing was started, so no database was created.
	if _, err := os.Stat(filepath.Join(dir, TemporalDBFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("database created despite the port error: %v", err)
	}
}

// logTail writes the last lines of a log file to the test log.
func logTail(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Logf("read %s: %v", path, err)
		return
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	t.Logf("last lines of %s:\n%s", path, strings.Join(lines, "\n"))
}
