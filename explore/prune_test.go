package explore

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

func TestPruneZeroesSmallestMagnitudes(t *testing.T) {
	g := tinyGraph()
	before := g.Clone()
	p, err := Prune(g, Rates{"fc1": 0.5, "fc2": 1.0 / 3})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, before) {
		t.Fatal("Prune modified its input graph")
	}
	// fc1 has 12 weights; round(0.5*12) = 6 zeroed: magnitudes 0.05 0.1 0.15 0.2 0.3 0.4.
	want1 := []float32{
		0.5, 0, 0.9, 0,
		0, -0.7, 0, 1.1,
		-0.6, 0, -0.8, 0}
	if got := p.Node("fc1").Weight.Data; !slices.Equal(got, want1) {
		t.Errorf("fc1 weights = %v, want %v", got, want1)
	}
	// fc2 has 6 weights; round(6/3) = 2 zeroed: magnitudes 0.25 and 0.3.
	want2 := []float32{1, 0, 0.5, -0.75, 0, 2}
	if got := p.Node("fc2").Weight.Data; !slices.Equal(got, want2) {
		t.Errorf("fc2 weights = %v, want %v", got, want2)
	}
	// Biases untouched.
	for _, name := range []string{"fc1", "fc2"} {
		if !slices.Equal(p.Node(name).Bias.Data, g.Node(name).Bias.Data) {
			t.Errorf("%s bias changed", name)
		}
	}
}

func TestPruneExactCountsAndTies(t *testing.T) {
	// Many equal magnitudes: ties are broken by lower index, so the count is exact.
	w := &model.Tensor{Shape: []int{2, 5}, Data: []float32{1, -1, 1, -1, 1, 2, 2, -2, 2, 2}}
	g := &model.Graph{Name: "ties", Inputs: []model.Value{{Name: "x", Shape: []int{5}}},
		Outputs: []model.Value{{Name: "y"}},
		Nodes:   []*model.Node{{Name: "fc", Op: model.OpDense, Inputs: []string{"x"}, Outputs: []string{"y"}, Weight: w}}}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		rate float64
		want []float32
	}{
		{0, []float32{1, -1, 1, -1, 1, 2, 2, -2, 2, 2}},
		{0.04, []float32{1, -1, 1, -1, 1, 2, 2, -2, 2, 2}}, // round(0.4) = 0
		{0.05, []float32{0, -1, 1, -1, 1, 2, 2, -2, 2, 2}}, // round(0.5) = 1 (half away from zero)
		{0.3, []float32{0, 0, 0, -1, 1, 2, 2, -2, 2, 2}},
		{0.7, []float32{0, 0, 0, 0, 0, 0, 0, -2, 2, 2}},
		{0.96, []float32{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}, // round(9.6) = 10
	} {
		p, err := Prune(g, Rates{"fc": c.rate})
		if err != nil {
			t.Fatalf("rate %v: %v", c.rate, err)
		}
		if got := p.Node("fc").Weight.Data; !slices.Equal(got, c.want) {
			t.Errorf("rate %v: weights %v, want %v", c.rate, got, c.want)
		}
	}
}

func TestPruneCountsExistingZeros(t *testing.T) {
	g := tinyGraph()
	g.Node("fc1").Weight.Data[6] = 0       // was 0.05
	g.Node("fc1").Weight.Data[0] = 0       // was 0.5
	p, err := Prune(g, Rates{"fc1": 0.25}) // 3 of 12: the two zeros and 0.1
	if err != nil {
		t.Fatal(err)
	}
	w := p.Node("fc1").Weight
	if z := w.CountZeros(); z != 3 {
		t.Errorf("zeros = %d, want 3 (existing zeros count toward the rate)", z)
	}
	if w.Data[1] != 0 {
		t.Errorf("weight 1 (-0.1, the smallest non-zero) = %v, want 0", w.Data[1])
	}
	if w.Data[11] != 0.15 {
		t.Errorf("weight 11 (0.15) = %v, want untouched", w.Data[11])
	}
}

func TestPruneLargeRandomLayer(t *testing.T) {
	// A layer of 1000 pseudo-random weights: for every rate, exactly round(rate*n) are zero and
	// every zeroed weight is no larger in magnitude than every kept one.
	n := 1000
	w := model.NewTensor(10, 100)
	s := uint32(12345)
	for i := range w.Data {
		s = s*1664525 + 1013904223
		w.Data[i] = float32(int32(s)) / (1 << 31)
	}
	g := &model.Graph{Name: "rand", Inputs: []model.Value{{Name: "x", Shape: []int{100}}},
		Outputs: []model.Value{{Name: "y"}},
		Nodes:   []*model.Node{{Name: "fc", Op: model.OpDense, Inputs: []string{"x"}, Outputs: []string{"y"}, Weight: w}}}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, rate := range []float64{0.1, 0.333, 0.5, 0.9, 0.95} {
		p, err := Prune(g, Rates{"fc": rate})
		if err != nil {
			t.Fatal(err)
		}
		got := p.Node("fc").Weight
		if z, want := got.CountZeros(), int(math.Round(rate*float64(n))); z != want {
			t.Errorf("rate %v: %d zeros, want %d", rate, z, want)
		}
		maxPruned, minKept := 0.0, math.Inf(1)
		for i, v := range got.Data {
			m := math.Abs(float64(w.Data[i]))
			if v == 0 {
				maxPruned = math.Max(maxPruned, m)
			} else {
				if v != w.Data[i] {
					t.Fatalf("rate %v: kept weight %d changed from %v to %v", rate, i, w.Data[i], v)
				}
				minKept = math.Min(minKept, m)
			}
		}
		if maxPruned > minKept {
			t.Errorf("rate %v: pruned a weight of magnitude %v while keeping one of %v", rate, maxPruned, minKept)
		}
	}
}

func TestPruneErrors(t *testing.T) {
	g := tinyGraph()
	cases := []struct {
		rates Rates
		want  []string
	}{
		{Rates{"nope": 0.5}, []string{`"nope"`, "no such layer"}},
		{Rates{"act": 0.5}, []string{`"act"`, "not a prunable layer"}},
		{Rates{"fc1": 1}, []string{`"fc1"`, "[0, 1)"}},
		{Rates{"fc1": -0.1}, []string{`"fc1"`, "-0.1"}},
		{Rates{"fc2": math.NaN()}, []string{`"fc2"`, "NaN"}},
		{Rates{"zz": 0.1, "fc2": 2}, []string{`"zz"`, `"fc2"`}}, // all problems reported
	}
	for _, c := range cases {
		_, err := Prune(g, c.rates)
		if err == nil {
			t.Errorf("Prune(%v) succeeded, want error", c.rates)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Prune(%v) error %q lacks %q", c.rates, err, w)
			}
		}
	}
	bad := tinyGraph()
	bad.Node("fc2").Weight.Data[3] = float32(math.Inf(1))
	if _, err := Prune(bad, Rates{"fc2": 0.5}); err == nil || !strings.Contains(err.Error(), `"fc2"`) {
		t.Errorf("Prune with an infinite weight: err = %v, want one naming fc2", err)
	}
	if _, err := Prune(nil, nil); err == nil {
		t.Error("Prune(nil) succeeded")
	}
}

func TestPruneEmptyRatesClones(t *testing.T) {
	g := tinyGraph()
	p, err := Prune(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p == g || !reflect.DeepEqual(p, g) {
		t.Error("Prune with no rates should return an identical copy")
	}
	p.Node("fc1").Weight.Data[0] = 42
	if g.Node("fc1").Weight.Data[0] == 42 {
		t.Error("Prune's result shares weights with its input")
	}
}
