package explore

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testCatalog = []string{"tc327:cpu0", "tc377:cpu0", "tc387:cpu0", "tc387:cpu2"}

func TestCampaignExampleLoads(t *testing.T) {
	c, err := LoadCampaignSpec("../examples/campaign/nightly.yaml", testCatalog)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.TargetNames(testCatalog); strings.Join(got, ",") != "tc387:cpu2,tc377:cpu0,tc327:cpu0" {
		t.Errorf("targets %v", got)
	}
	s := c.ModelSweep(1, c.TargetNames(testCatalog))
	if s.Name != "lenet-int8" || s.Target != "tc387:cpu2" || strings.Join(s.Targets, ",") != "tc377:cpu0,tc327:cpu0" || s.Quantize == nil || s.Generate.Max != 1 || len(s.Schedule) != 2 {
		t.Errorf("merged sweep %+v", s)
	}
	if err := s.Validate(); err != nil {
		t.Error(err)
	}
	if got := s.PricedTargets(testCatalog); strings.Join(got, ",") != "tc387:cpu2,tc377:cpu0,tc327:cpu0" {
		t.Errorf("priced targets %v", got)
	}
	if want := filepath.Join(c.Resolve(c.Out), "lenet-int8"); s.Out != want {
		t.Errorf("out %q, want %q", s.Out, want)
	}
	one := []string{"tc387:cpu2"}
	if c.ModelSweep(0, one).Quantize != nil || c.ModelSweep(0, one).Targets != nil {
		t.Error("model 0 got model 1's quantize block, or targets for one target")
	}
	if s.Threshold.Relative != 0.98 || c.ModelSweep(0, one).Threshold.Relative != 0.99 {
		t.Error("per-model thresholds not kept")
	}
}

// TestCampaignSpecJSONRoundTrip checks that the workflow input (JSON) means what the YAML did,
// including targets written as the single word all.
func TestCampaignSpecJSONRoundTrip(t *testing.T) {
	c, err := LoadCampaignSpec("../examples/campaign/nightly.yaml", testCatalog)
	if err != nil {
		t.Fatal(err)
	}
	c.Targets = TargetList{"all"}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseCampaignSpec(b, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(testCatalog); err != nil {
		t.Fatal(err)
	}
	if got := back.TargetNames(testCatalog); len(got) != len(testCatalog) {
		t.Errorf("all expanded to %v", got)
	}
	var single CampaignSpec
	if err := json.Unmarshal([]byte(`{"targets":"all"}`), &single); err != nil || single.Targets[0] != "all" {
		t.Errorf("targets \"all\" as JSON: %v %v", single.Targets, err)
	}
}

func TestCampaignSpecReportsEveryProblem(t *testing.T) {
	doc := `
name: "bad name"
targets: [tc387:cpu2, tc999:cpu0, tc387:cpu2]
priority: urgent
concurrency: -1
budget: {max_evaluations: -5, deadline: tomorrow}
events_per_run: 10
sweep:
  rates: [0.5]
  schedule: [1]
  target: tc387:cpu0
models:
  - name: a
    model: a.onnx
    data: {format: mnist}
    metric: top1
    threshold: {relative: 0.99}
  - name: a
    model: b.onnx
    metric: nope
    out: x
`
	c, err := ParseCampaignSpec([]byte(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate(testCatalog)
	if err == nil {
		t.Fatal("a spec full of errors validated")
	}
	for _, want := range []string{"name:", "out:", "targets[1]", "targets[2]", "priority", "concurrency",
		"budget.max_evaluations", "budget.deadline", "events_per_run", "sweep.target", "models[1].name", "metric", "data.format", "set by the campaign"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestCampaignSpecRejectsUnknownField(t *testing.T) {
	_, err := ParseCampaignSpec([]byte("name: x\nmodles: []\n"), "c.yaml")
	if err == nil || !strings.Contains(err.Error(), "modles") {
		t.Fatalf("misspelt field: %v", err)
	}
}

func TestCampaignDeadline(t *testing.T) {
	start := time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
		has  bool
	}{
		{"", time.Time{}, false},
		{"8h", start.Add(8 * time.Hour), true},
		{"06:30", time.Date(2026, 12, 8, 6, 30, 0, 0, time.UTC), true},
		{"23:15", time.Date(2026, 12, 7, 23, 15, 0, 0, time.UTC), true},
		{"22:00", time.Date(2026, 12, 8, 22, 0, 0, 0, time.UTC), true},
		{"2026-12-08T05:00:00Z", time.Date(2026, 12, 8, 5, 0, 0, 0, time.UTC), true},
	} {
		got, has, err := CampaignBudget{Deadline: c.in}.DeadlineAfter(start)
		if err != nil || has != c.has || !got.Equal(c.want) {
			t.Errorf("deadline %q: %v %v %v, want %v %v", c.in, got, has, err, c.want, c.has)
		}
	}
	for _, in := range []string{"-1h", "soon", "25:00"} {
		if _, _, err := (CampaignBudget{Deadline: in}).DeadlineAfter(start); err == nil {
			t.Errorf("deadline %q accepted", in)
		}
	}
}

// FuzzParseCampaignSpec: any input either fails to parse or gives a spec whose validation
// and expansion do not panic.
func FuzzParseCampaignSpec(f *testing.F) {
	f.Add([]byte("name: n\nout: o\ntargets: all\nmodels: [{name: m, model: m.onnx, data: {format: mnist}, metric: top1}]\n"))
	f.Add([]byte(`{"name":"n","targets":["tc387:cpu2"],"budget":{"deadline":"06:00"}}`))
	f.Add([]byte("targets: [all, tc387:cpu2]\nsweep: {rates: [0.5], schedule: [1]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCampaignSpec(data, "")
		if err != nil {
			return
		}
		if c.Validate(testCatalog) == nil {
			for i := range c.Models {
				_ = c.ModelSweep(i, c.TargetNames(testCatalog))
			}
		}
	})
}
