package devstack

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// TestStackServesWebUI starts the stack with the Web UI on a free port, runs a workflow and
// reads it back through the UI's API, as a browser on the UI would.
func TestStackServesWebUI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Temporal server and the Web UI")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := Start(ctx, Config{DataDir: t.TempDir(), TemporalHostPort: "127.0.0.1:0", NATSHostPort: "127.0.0.1:0", UIHostPort: "127.0.0.1:0", LogWriter: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if !strings.HasPrefix(s.UIHostPort(), "127.0.0.1:") || strings.HasSuffix(s.UIHostPort(), ":0") {
		t.Fatalf("UIHostPort() = %q, want a concrete 127.0.0.1 port", s.UIHostPort())
	}
	c := dial(t, s)
	defer c.Close()
	w := worker.New(c, testTaskQueue, worker.Options{})
	w.RegisterWorkflow(greetWorkflow)
	w.RegisterActivity(greetActivity)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "greet-ui", TaskQueue: testTaskQueue}, greetWorkflow, "aurix")
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get("http://" + s.UIHostPort() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s: %.200s", path, resp.Status, body)
		}
		return string(body)
	}
	if page := get("/"); !strings.Contains(strings.ToLower(page), "<!doctype html") {
		t.Fatalf("GET / is not the UI's page: %.200s", page)
	}
	if api := get("/api/v1/namespaces/default/workflows/greet-ui"); !strings.Contains(api, "greet-ui") || !strings.Contains(api, "COMPLETED") {
		t.Fatalf("the UI's API does not show the completed workflow: %.400s", api)
	}
}
