package explore

import (
	"math"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// referenceDense computes tinyGraph-style (Dense and Relu only) outputs for one sample in
// float64, independently of the interpreter.
func referenceDense(g *model.Graph, x []float32) []float64 {
	v := make([]float64, len(x))
	for i, f := range x {
		v[i] = float64(f)
	}
	for _, n := range g.Nodes {
		switch n.Op {
		case model.OpDense:
			rows, cols := n.Weight.Shape[0], n.Weight.Shape[1]
			out := make([]float64, rows)
			for r := 0; r < rows; r++ {
				s := 0.0
				if n.Bias != nil {
					s = float64(n.Bias.Data[r])
				}
				for c := 0; c < cols; c++ {
					s += float64(n.Weight.Data[r*cols+c]) * v[c]
				}
				out[r] = s
			}
			v = out
		case model.OpRelu:
			for i := range v {
				v[i] = math.Max(0, v[i])
			}
		default:
			panic("referenceDense: unsupported op " + string(n.Op))
		}
	}
	return v
}

// referenceTop1 scores g on ds with referenceDense.
func referenceTop1(g *model.Graph, ds *dataset.Dataset) float64 {
	k := ds.X.Len() / ds.Len()
	correct := 0
	for i := 0; i < ds.Len(); i++ {
		out := referenceDense(g, ds.X.Data[i*k:(i+1)*k])
		best := 0
		for j := range out {
			if out[j] > out[best] {
				best = j
			}
		}
		if best == ds.Labels[i] {
			correct++
		}
	}
	return float64(correct) / float64(ds.Len())
}

// tinyData returns n pseudo-random samples for tinyGraph, labelled with the unpruned network's
// own prediction except every tenth sample, which gets the other class: the baseline accuracy
// is about 0.9 and pruning lowers it.
func tinyData(n int) *dataset.Dataset {
	g := tinyGraph()
	x := model.NewTensor(n, 4)
	s := uint32(7)
	for i := range x.Data {
		s = s*1664525 + 1013904223
		x.Data[i] = float32(int32(s)) / (1 << 31)
	}
	labels := make([]int, n)
	for i := range labels {
		out := referenceDense(g, x.Data[4*i:4*i+4])
		if out[1] > out[0] {
			labels[i] = 1
		}
		if i%10 == 9 {
			labels[i] = 1 - labels[i]
		}
	}
	return &dataset.Dataset{Name: "tiny", X: x, Labels: labels}
}

func top1(t *testing.T) dataset.Metric {
	t.Helper()
	m, err := dataset.MetricByName("top1")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEvaluateMatchesReferenceForAnyBatch(t *testing.T) {
	g := tinyGraph()
	ds := tinyData(101)
	m := top1(t)
	want := referenceTop1(g, ds)
	if want == 0 || want == 1 {
		t.Fatalf("test data is degenerate: reference accuracy %v", want)
	}
	for _, batch := range []int{1, 7, 64, 101, 1000} {
		got, err := Evaluate(g, ds, m, batch)
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		if got != want {
			t.Errorf("batch %d: accuracy %v, want %v", batch, got, want)
		}
	}
	pruned, err := Prune(g, Rates{"fc1": 0.75, "fc2": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Evaluate(pruned, ds, m, 16)
	if err != nil {
		t.Fatal(err)
	}
	if want := referenceTop1(pruned, ds); got != want {
		t.Errorf("pruned accuracy %v, want %v", got, want)
	}
}

func TestEvaluateErrors(t *testing.T) {
	g := tinyGraph()
	m := top1(t)
	wrongShape := &dataset.Dataset{Name: "wide", X: model.NewTensor(3, 5), Labels: []int{0, 0, 0}}
	cases := []struct {
		name  string
		ds    *dataset.Dataset
		m     dataset.Metric
		batch int
		want  string
	}{
		{"batch 0", tinyData(4), m, 0, "batch size 0"},
		{"empty", &dataset.Dataset{Name: "none"}, m, 8, "empty dataset"},
		{"shape", wrongShape, m, 8, "[5]"},
		{"no labels", &dataset.Dataset{Name: "nolabels", X: model.NewTensor(2, 4)}, m, 8, "no labels"},
		{"no score", tinyData(4), dataset.Metric{Name: "broken"}, 8, "no Score"},
	}
	for _, c := range cases {
		_, err := Evaluate(g, c.ds, c.m, c.batch)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestSensitivityTiny(t *testing.T) {
	g := tinyGraph()
	ds := tinyData(200)
	m := top1(t)
	rates := []float64{0.25, 0.5, 0.75}
	res, err := Sensitivity(g, ds, m, rates, Threshold{Relative: 0.95})
	if err != nil {
		t.Fatal(err)
	}
	if want := referenceTop1(g, ds); res.Baseline != want {
		t.Errorf("baseline %v, want %v", res.Baseline, want)
	}
	if len(res.Probes) != 2*len(rates) {
		t.Fatalf("%d probes, want %d", len(res.Probes), 2*len(rates))
	}
	// Recompute every probe and the walk independently.
	for _, layer := range []string{"fc1", "fc2"} {
		wantMax := 0.0
		for _, r := range rates {
			p, err := Prune(g, Rates{layer: r})
			if err != nil {
				t.Fatal(err)
			}
			if referenceTop1(p, ds) < 0.95*res.Baseline {
				break
			}
			wantMax = r
		}
		got := res.Layers[layer]
		t.Logf("layer %s: curve %v, max rate %v", layer, got.Curve, got.MaxRate)
		if got.MaxRate != wantMax || got.Sensitivity != 1-wantMax {
			t.Errorf("layer %s: max rate %v sensitivity %v, want %v", layer, got.MaxRate, got.Sensitivity, wantMax)
		}
	}
	if len(res.MaxRateByLayer()) != 2 {
		t.Errorf("MaxRateByLayer = %v", res.MaxRateByLayer())
	}
	if _, err := Sensitivity(g, ds, m, nil, Threshold{Relative: 0.95}); err == nil {
		t.Error("Sensitivity with no rates succeeded")
	}
	if _, err := Sensitivity(g, ds, m, rates, Threshold{}); err == nil {
		t.Error("Sensitivity with no threshold succeeded")
	}
}
