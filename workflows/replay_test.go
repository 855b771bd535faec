package workflows_test

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/tcdse/tcdse/workflows"
)

// TestSweepReplaysRecordedHistories replays histories recorded by earlier builds of tcdse
// against today's Sweep workflow: a change that would break a sweep running across an upgrade
// (a reordered, added or removed command without workflow.GetVersion) fails here.
//
// The histories were recorded with `tcdse up` and `tcdse sweep SPEC --id ID`, then read with
// `temporal workflow show -w ID -o json` and gzipped:
//   - history-lenet-default: examples/lenet/sweep.yaml (probes, GWP, int8 points, codegen,
//     the host board, reports), recorded at commit d20e503.
//   - history-lenet-footprint: examples/lenet/sweep-footprint.yaml (structured GWP with
//     fine-tuning, the unstructured phase, int8 calibrated on fine-tuning data), same commit.
func TestSweepReplaysRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/history-*.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded histories in testdata/")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			hist, err := client.HistoryFromJSON(zr, client.HistoryJSONOptions{})
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if len(hist.Events) < 10 {
				t.Fatalf("%s: only %d events", path, len(hist.Events))
			}
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(workflows.Sweep, workflow.RegisterOptions{Name: "Sweep"})
			if err := r.ReplayWorkflowHistory(nil, hist); err != nil {
				t.Fatalf("%s does not replay: %v", path, err)
			}
		})
	}
}
