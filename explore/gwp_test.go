package explore

import (
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

func TestGWPRates(t *testing.T) {
	pmax := map[string]float64{"conv1": 0.5, "conv2": 0.9, "fc": 0, "fc2": 0.8}
	for _, c := range []struct {
		g    float64
		want Rates
	}{
		{0.5, Rates{"conv1": 0.25, "conv2": 0.45, "fc": 0, "fc2": 0.4}},
		{1, Rates{"conv1": 0.5, "conv2": 0.9, "fc": 0, "fc2": 0.8}},
		{1.25, Rates{"conv1": 0.625, "conv2": MaxLayerRate, "fc": 0, "fc2": MaxLayerRate}}, // 1.125 and 1.0 clamped
	} {
		got := GWPRates(pmax, c.g)
		if len(got) != len(c.want) {
			t.Errorf("g=%v: %v, want %v", c.g, got, c.want)
		}
		for k, v := range c.want {
			if d := got[k] - v; d > 1e-12 || d < -1e-12 {
				t.Errorf("g=%v layer %s: rate %v, want %v", c.g, k, got[k], v)
			}
		}
		if err := got.Validate(tinyGraphWith(got)); err != nil {
			t.Errorf("g=%v: GWP rates are not valid pruning rates: %v", c.g, err)
		}
	}
}

// tinyGraphWith returns tinyGraph with a copy of fc1 added under every rate name it lacks, so
// that Rates.Validate checks only the rate range.
func tinyGraphWith(r Rates) *model.Graph {
	g := tinyGraph()
	for name := range r {
		if g.Node(name) == nil {
			n := *g.Node("fc1")
			n.Name = name
			g.Nodes = append(g.Nodes, &n)
		}
	}
	return g
}

func TestValidateSchedule(t *testing.T) {
	if err := ValidateSchedule([]float64{0.25, 0.5, 1, 1.5, 2}); err != nil {
		t.Errorf("valid schedule rejected: %v", err)
	}
	cases := []struct {
		s    []float64
		want string
	}{
		{nil, "empty"},
		{[]float64{0, 0.5}, "factor 0"},
		{[]float64{0.5, 2.1}, "factor 1"},
		{[]float64{0.5, 0.5}, "not greater"},
		{[]float64{0.8, 0.4}, "must increase"},
	}
	for _, c := range cases {
		err := ValidateSchedule(c.s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ValidateSchedule(%v) = %v, want error containing %q", c.s, err, c.want)
		}
	}
}
