package explore

import (
	"strings"
	"testing"
)

func TestSweepSpecCostModel(t *testing.T) {
	base := `model: m.onnx
data: {format: mnist}
metric: top1
threshold: {relative: 0.99}
rates: [0.5]
schedule: [1]
target: tc387:cpu2
out: out
`
	s, err := ParseSweepSpec([]byte(base+"cost_model: fit.json\n"), "/tmp/spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.CostModel != "fit.json" || s.Resolve(s.CostModel) != "/tmp/fit.json" {
		t.Errorf("cost_model %q resolves to %q", s.CostModel, s.Resolve(s.CostModel))
	}
	if err := s.Validate(); err != nil {
		t.Errorf("valid spec: %v", err)
	}
	s.CostModel = "fit.txt"
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "cost_model") || !strings.Contains(err.Error(), "fit.txt") {
		t.Errorf("cost_model fit.txt: %v", err)
	}
}
