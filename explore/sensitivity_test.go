package explore

import (
	"slices"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/dataset"
)

var (
	accuracy = dataset.Metric{Name: "acc", HigherIsBetter: true}
	mse      = dataset.Metric{Name: "mse", HigherIsBetter: false}
)

// curve builds probe results for one layer from rate/quality pairs.
func curve(layer string, rq ...float64) []ProbeResult {
	var out []ProbeResult
	for i := 0; i < len(rq); i += 2 {
		out = append(out, ProbeResult{Layer: layer, Rate: rq[i], Quality: rq[i+1]})
	}
	return out
}

func TestMaxRatesHigherIsBetter(t *testing.T) {
	var results []ProbeResult
	// Baseline 0.9, T = 0.99 relative: bound 0.891.
	results = append(results, curve("allpass", 0.3, 0.9, 0.5, 0.9, 0.9, 0.895)...)
	results = append(results, curve("nonepass", 0.3, 0.5, 0.5, 0.4)...)
	// Fails at 0.5, passes again at 0.7: the walk stops at the first failure.
	results = append(results, curve("stops", 0.3, 0.9, 0.5, 0.85, 0.7, 0.9)...)
	// Given out of order; exactly on the bound passes (0.99*0.9 is not exact in binary).
	results = append(results, curve("unsorted", 0.8, 0.5, 0.3, 0.9, 0.5, 0.891)...)
	got, err := MaxRates(0.9, accuracy, Threshold{Relative: 0.99}, results)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"allpass": 0.9, "nonepass": 0, "stops": 0.3, "unsorted": 0.5}
	checkPMax(t, got, want)
	if s := got["stops"].Sensitivity; s != 0.7 {
		t.Errorf("stops sensitivity = %v, want 0.7", s)
	}
	if s := got["nonepass"].Sensitivity; s != 1 {
		t.Errorf("nonepass sensitivity = %v, want 1", s)
	}
	if c := got["unsorted"].Curve; !slices.IsSortedFunc(c, func(a, b ProbeResult) int { return int(100 * (a.Rate - b.Rate)) }) || len(c) != 3 {
		t.Errorf("unsorted curve not sorted by rate: %v", c)
	}
	if b := got["allpass"].Bound; b < 0.8909 || b > 0.8911 {
		t.Errorf("bound = %v, want 0.891", b)
	}
}

func TestMaxRatesAbsolute(t *testing.T) {
	results := append(curve("a", 0.3, 0.97, 0.5, 0.96, 0.7, 0.94), curve("b", 0.3, 0.94)...)
	got, err := MaxRates(0.98, accuracy, Threshold{Absolute: 0.95}, results)
	if err != nil {
		t.Fatal(err)
	}
	checkPMax(t, got, map[string]float64{"a": 0.5, "b": 0})
}

func TestMaxRatesLowerIsBetter(t *testing.T) {
	// MSE baseline 0.8; relative 1.25 allows up to 1.0.
	results := append(curve("a", 0.3, 0.9, 0.5, 1.0, 0.7, 1.01), curve("b", 0.3, 1.5, 0.5, 0.9)...)
	results = append(results, curve("c", 0.3, 0.7, 0.5, 0.95, 0.9, 0.99)...)
	got, err := MaxRates(0.8, mse, Threshold{Relative: 1.25}, results)
	if err != nil {
		t.Fatal(err)
	}
	checkPMax(t, got, map[string]float64{"a": 0.5, "b": 0, "c": 0.9})
	// Absolute: errors up to 0.92.
	got, err = MaxRates(0.8, mse, Threshold{Absolute: 0.92}, results)
	if err != nil {
		t.Fatal(err)
	}
	checkPMax(t, got, map[string]float64{"a": 0.3, "b": 0, "c": 0.3})
}

func checkPMax(t *testing.T, got map[string]LayerSensitivity, want map[string]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d layers, want %d", len(got), len(want))
	}
	for layer, p := range want {
		if got[layer].MaxRate != p {
			t.Errorf("layer %s: pmax = %v, want %v (curve %v)", layer, got[layer].MaxRate, p, got[layer].Curve)
		}
		if got[layer].Layer != layer {
			t.Errorf("layer %s: Layer field = %q", layer, got[layer].Layer)
		}
	}
}

func TestMaxRatesErrors(t *testing.T) {
	ok := curve("a", 0.3, 0.9)
	cases := []struct {
		name      string
		baseline  float64
		m         dataset.Metric
		threshold Threshold
		results   []ProbeResult
		want      string
	}{
		{"no threshold", 0.9, accuracy, Threshold{}, ok, "neither"},
		{"both thresholds", 0.9, accuracy, Threshold{Relative: 0.9, Absolute: 0.8}, ok, "both"},
		{"relative above 1 for accuracy", 0.9, accuracy, Threshold{Relative: 1.2}, ok, "fraction of baseline quality to keep"},
		{"relative below 1 for an error", 0.9, mse, Threshold{Relative: 0.99}, ok, "factor the error may grow by"},
		{"relative above max", 0.9, mse, Threshold{Relative: 2.5}, ok, "(0, 2]"},
		{"relative negative", 0.9, accuracy, Threshold{Relative: -0.5}, ok, "(0, 2]"},
		{"relative with non-positive baseline", 0, accuracy, Threshold{Relative: 0.9}, ok, "positive baseline"},
		{"relative with negative error", -1, mse, Threshold{Relative: 1.1}, ok, "non-negative baseline"},
		{"duplicate probe", 0.9, accuracy, Threshold{Relative: 0.9}, curve("a", 0.3, 0.9, 0.3, 0.8), "appears twice"},
		{"bad rate", 0.9, accuracy, Threshold{Relative: 0.9}, curve("a", 1.0, 0.9), "outside [0, 1)"},
		{"empty layer", 0.9, accuracy, Threshold{Relative: 0.9}, curve("", 0.3, 0.9), "empty layer"},
	}
	for _, c := range cases {
		_, err := MaxRates(c.baseline, c.m, c.threshold, c.results)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestSensitivityPlan(t *testing.T) {
	g := tinyGraph()
	plan := SensitivityPlan(g, []float64{0.5, 0.3, 0.5})
	want := []Probe{{"fc1", 0.3}, {"fc1", 0.5}, {"fc2", 0.3}, {"fc2", 0.5}}
	if !slices.Equal(plan, want) {
		t.Errorf("plan = %v, want %v", plan, want)
	}
	if err := ValidateProbeRates([]float64{0.3, 0.95}); err != nil {
		t.Error(err)
	}
	for _, bad := range [][]float64{nil, {0}, {0.5, 1}, {-0.1}} {
		if err := ValidateProbeRates(bad); err == nil {
			t.Errorf("ValidateProbeRates(%v) succeeded", bad)
		}
	}
}
