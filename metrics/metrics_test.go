package metrics

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRegistryTextAndServe(t *testing.T) {
	r := NewRegistry()
	r.Describe("tcdse_evaluations_total", Counter, "evaluations done")
	r.Add("tcdse_evaluations_total", map[string]string{"cached": "false"}, 2)
	r.Add("tcdse_evaluations_total", map[string]string{"cached": "true"}, 1)
	r.Observe("tcdse_evaluation_seconds", nil, 1.5)
	r.Observe("tcdse_evaluation_seconds", nil, 0.5)
	h := TemporalHandler(r).WithTags(map[string]string{"task_queue": `a"b`})
	h.Counter("poll-success").Inc(3)
	h.Timer("activity_latency").Record(250 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := Serve(ctx, "127.0.0.1:0", r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"# HELP tcdse_evaluations_total evaluations done\n# TYPE tcdse_evaluations_total counter\n",
		`tcdse_evaluations_total{cached="false"} 2`, `tcdse_evaluations_total{cached="true"} 1`,
		"tcdse_evaluation_seconds_sum 2\ntcdse_evaluation_seconds_count 2",
		`temporal_poll_success{task_queue="a\"b"} 3`, `temporal_activity_latency_seconds_count{task_queue="a\"b"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q:\n%s", want, body)
		}
	}
}
