package hilbench_test

import (
	"context"
	"github.com/tcdse/tcdse/internal/natstest"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tcdse/tcdse/hilbench"
)

// testBucket is the object store bucket the tests put trees in.
const testBucket = "tcdse-artifacts"

// cTree returns the hand-written C tree in testdata/ctree with each edit (old, new pairs)
// applied to the named file; an edit whose old text is missing fails the test.
func cTree(t testing.TB, edits ...treeEdit) map[string][]byte {
	t.Helper()
	dir := filepath.Join("testdata", "ctree")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := make(map[string][]byte)
	for _, e := range entries {
		if e.Name() == "harness" { // a stray local build
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = data
	}
	for _, ed := range edits {
		src, ok := files[ed.file]
		if !ok || !strings.Contains(string(src), ed.old) {
			t.Fatalf("edit of %s: %q not found", ed.file, ed.old)
		}
		files[ed.file] = []byte(strings.Replace(string(src), ed.old, ed.new, 1))
	}
	return files
}

// treeEdit replaces old with new in file.
type treeEdit struct{ file, old, new string }

// Variants of the test tree.
var (
	// wrongExpectation makes vector 2's first expected output 0.625 instead of 0.125.
	wrongExpectation = treeEdit{"test_vectors.h", "{0.125f, 0.0f},", "{0.625f, 0.0f},"}
	// syntaxError breaks model.c.
	syntaxError = treeEdit{"model.c", "out[o] = acc > 0.0f ? acc : 0.0f;", "out[o] = acc > 0.0f ? acc : 0.0f this_is_not_c;"}
)

// needCToolchain skips the test when gcc or make is missing.
func needCToolchain(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"gcc", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: %v", tool, err)
		}
	}
}

// startNATS runs an in-process NATS server with JetStream on a random local port and
// returns its client URL.
func startNATS(t testing.TB) string {
	t.Helper()
	s, _ := natstest.Start(t)
	return s.ClientURL()
}

// connect opens a NATS connection closed at the end of the test.
func connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.Name(t.Name()))
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// putTree packs files, stores the archive in testBucket under its SHA-256 and returns a
// request for it.
func putTree(t testing.TB, nc *nats.Conn, files map[string][]byte) hilbench.RunRequest {
	t.Helper()
	data, err := hilbench.PackFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	return putBytes(t, nc, data)
}

// putBytes stores data in testBucket under its SHA-256 and returns a request for it.
func putBytes(t testing.TB, nc *nats.Conn, data []byte) hilbench.RunRequest {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: testBucket})
	if err != nil {
		t.Fatalf("object store: %v", err)
	}
	sum := hilbench.SHA256Hex(data)
	if _, err := store.PutBytes(ctx, sum, data); err != nil {
		t.Fatalf("put %s: %v", sum, err)
	}
	return hilbench.RunRequest{
		Version: hilbench.ProtocolVersion,
		JobID:   "job-" + sum[:8],
		Board:   "host",
		Bucket:  testBucket,
		Object:  sum,
		SHA256:  sum,
	}
}

// startAgent serves an agent on its own connection until the end of the test, then checks
// that Serve returned nil and that every job directory was removed.
func startAgent(t testing.TB, url string, cfg hilbench.AgentConfig) *hilbench.Agent {
	t.Helper()
	if cfg.WorkDir == "" {
		cfg.WorkDir = t.TempDir()
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	a, err := hilbench.NewAgent(connect(t, url), cfg)
	if err != nil {
		t.Fatal(err)
	}
	serveInTest(t, "agent "+cfg.Name, a.Serve, a.Ready(), func() {
		left, err := os.ReadDir(cfg.WorkDir)
		if err != nil {
			t.Errorf("agent %s: %v", cfg.Name, err)
		}
		for _, e := range left {
			t.Errorf("agent %s left %s in its work directory", cfg.Name, e.Name())
		}
	})
	return a
}

// serveInTest runs serve until the end of the test: it waits for ready (failing the test if
// serve returns first), and at cleanup cancels serve, checks that it returned nil and runs
// after (if not nil).
func serveInTest(t testing.TB, who string, serve func(context.Context) error, ready <-chan struct{}, after func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("%s: Serve returned early: %v", who, err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: Serve: %v", who, err)
		}
		if after != nil {
			after()
		}
	})
}

// testLogger sends an agent's logs to the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// testCtx returns a context bounded for one test step.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
