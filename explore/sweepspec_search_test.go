package explore

import (
	"strings"
	"testing"
)

func TestSweepSpecSearch(t *testing.T) {
	base := `name: s
model: m.onnx
data: {format: mnist, images: i, labels: l}
metric: top1
threshold: {relative: 0.99}
rates: [0.5, 0.9]
schedule: [0.5, 1]
target: tc387:cpu2
out: out
`
	s, err := ParseSweepSpec([]byte(base+"search: {method: nsga2, budget: 40, seed: 3}\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Search == nil || s.Search.Budget != 40 || s.Search.Seed != 3 {
		t.Fatalf("search %+v", s.Search)
	}
	if d := s.Search.WithDefaults(); d.Batch != DefaultSearchBatch || len(d.Formats) != 3 || len(d.Stages) != 3 {
		t.Errorf("defaults %+v", d)
	}
	s, err = ParseSweepSpec([]byte(base+"search: {method: tpe, budget: 0, batch: 1, stages: [0.5, 0.2], formats: [dense, dense]}\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Validate()
	for _, want := range []string{"search.method", "search.budget", "search.batch", "search.stages", "search.formats[1]"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
	// The quality bound is the floor when set, else the threshold.
	q, rel, floor := 0.98, 0.99, 0.95
	if b, err := s.QualityBound(q, true); err != nil || b != rel*q {
		t.Errorf("bound %v (%v), want the threshold's", b, err)
	}
	s.Floor = floor
	if b, _ := s.QualityBound(q, true); b != floor*q {
		t.Errorf("bound %v, want the floor's", b)
	}
}

func TestExampleSearchSpecLoads(t *testing.T) {
	s, err := LoadSweepSpec("../examples/lenet/sweep-search.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Search == nil || s.Search.Method != SearchNSGA2 || s.Search.Budget != 40 {
		t.Errorf("search %+v", s.Search)
	}
}
