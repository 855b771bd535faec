package explore

import (
	"math"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

func TestMaxRatesRule(t *testing.T) {
	// Fails at 0.5, passes again at 0.7, fails at 0.9.
	results := append(curve("dip", 0.3, 0.9, 0.5, 0.85, 0.7, 0.9, 0.9, 0.5), curve("flat", 0.3, 0.9, 0.5, 0.9)...)
	results = append(results, curve("none", 0.3, 0.5)...)
	for _, c := range []struct {
		rule string
		want map[string]float64
	}{
		{RuleFirstFail, map[string]float64{"dip": 0.3, "flat": 0.5, "none": 0}},
		{"", map[string]float64{"dip": 0.3, "flat": 0.5, "none": 0}},
		{RuleLastPass, map[string]float64{"dip": 0.7, "flat": 0.5, "none": 0}},
	} {
		got, err := MaxRatesRule(0.9, accuracy, Threshold{Relative: 0.99}, c.rule, results)
		if err != nil {
			t.Fatal(err)
		}
		checkPMax(t, got, c.want)
	}
	// Lower is better: the error may grow to 1.1.
	got, err := MaxRatesRule(1, mse, Threshold{Relative: 1.1}, RuleLastPass, curve("e", 0.3, 1.05, 0.5, 1.2, 0.7, 1.08))
	if err != nil {
		t.Fatal(err)
	}
	checkPMax(t, got, map[string]float64{"e": 0.7})
	if _, err := MaxRatesRule(0.9, accuracy, Threshold{Relative: 0.99}, "best", results); err == nil || !strings.Contains(err.Error(), `"best"`) {
		t.Errorf("unknown rule: %v", err)
	}
}

// zeros counts the zero weights of the named layers.
func zeros(g *model.Graph, layers map[string]float64) (z, n int) {
	for name := range layers {
		for _, v := range g.Node(name).Weight.Data {
			if v == 0 {
				z++
			}
		}
		n += g.Node(name).Weight.Len()
	}
	return z, n
}

// TestGWPStepMethods prunes LeNet one step with both methods: weighted_global removes as many
// weights as scaled at g = 1, but distributes them by the sensitivity-weighted ranking.
func TestGWPStepMethods(t *testing.T) {
	g, ds := loadLeNet(t)
	m := top1(t)
	pmax := map[string]float64{"Conv_0": 0.3, "Conv_3": 0.7, "Gemm_8": 0.9, "Gemm_10": 0.8, "Gemm_12": 0.2}
	scaled, err := GWPStepRates(g, pmax, 1, GWPSpec{})
	if err != nil {
		t.Fatal(err)
	}
	wg, err := GWPStepRates(g, pmax, 1, GWPSpec{Method: GWPWeightedGlobal})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := PruneGWPStep(g, g, scaled, GWPSpec{})
	if err != nil {
		t.Fatal(err)
	}
	pw, err := PruneGWPStep(g, g, wg, GWPSpec{Method: GWPWeightedGlobal})
	if err != nil {
		t.Fatal(err)
	}
	zs, n := zeros(ps, pmax)
	zw, _ := zeros(pw, pmax)
	if d := math.Abs(float64(zs - zw)); d > float64(len(pmax)) {
		t.Errorf("scaled prunes %d of %d weights, weighted_global %d: want the same count", zs, n, zw)
	}
	same := true
	for name := range pmax {
		same = same && math.Abs(wg[name]-scaled[name]) < 1e-3
	}
	if same {
		t.Errorf("weighted_global rates %v equal the scaled ones", wg)
	}
	// The most sensitive layer (pmax 0.2) loses a smaller share than the least (pmax 0.9).
	if wg["Gemm_12"] >= wg["Gemm_8"] {
		t.Errorf("weighted_global: sensitive Gemm_12 rate %v >= tolerant Gemm_8 rate %v", wg["Gemm_12"], wg["Gemm_8"])
	}
	as, _ := Evaluate(ps, ds, m, 200)
	aw, _ := Evaluate(pw, ds, m, 200)
	t.Logf("g=1: scaled %v (%d zeros, top-1 %.4f); weighted_global %v (%d zeros, top-1 %.4f)", scaled, zs, as, wg, zw, aw)
	if _, err := GWPStepRates(g, pmax, 1, GWPSpec{Method: "other"}); err == nil {
		t.Error("unknown method accepted")
	}
}

// TestGWPStepStructured prunes LeNet structurally in two steps from the previous step's model:
// the second step ends with the channel counts one step at the second factor gives.
func TestGWPStepStructured(t *testing.T) {
	g, ds := loadLeNet(t)
	spec := GWPSpec{Structured: true}
	pmax := map[string]float64{"Conv_0": 0.5, "Conv_3": 0.5, "Gemm_8": 0.8, "Gemm_10": 0.6, "Gemm_12": 0.9}
	r1, _ := GWPStepRates(g, pmax, 0.5, spec)
	r2, _ := GWPStepRates(g, pmax, 1, spec)
	s1, err := PruneGWPStep(g, g, r1, spec)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := PruneGWPStep(g, s1, r2, spec)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := PruneGWPStep(g, g, r2, spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Conv_0", "Conv_3", "Gemm_8", "Gemm_10"} {
		m0 := g.Node(name).Weight.Shape[0]
		want := m0 - int(math.Round(r2[name]*float64(m0)))
		if got := s2.Node(name).Weight.Shape[0]; got != want || direct.Node(name).Weight.Shape[0] != want {
			t.Errorf("%s: %d channels after two steps, %d in one, want %d", name, got, direct.Node(name).Weight.Shape[0], want)
		}
		if s1.Node(name).Weight.Shape[0] <= want {
			t.Errorf("%s: the first step already cut to %d", name, s1.Node(name).Weight.Shape[0])
		}
	}
	// Gemm_12 produces the graph output: it is left whole.
	if s2.Node("Gemm_12").Weight.Shape[0] != g.Node("Gemm_12").Weight.Shape[0] {
		t.Error("the output layer lost neurons")
	}
	acc, err := Evaluate(s2, ds, top1(t), 200)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("structured g=0.5 then 1: %d -> %d -> %d params, top-1 %.4f", g.NumParams(), s1.NumParams(), s2.NumParams(), acc)
}

// TestProbeStructuredAndFineTuned runs structured sensitivity probes on LeNet, and checks
// that a fine-tuned probe scores the fine-tuned model.
func TestProbeStructuredAndFineTuned(t *testing.T) {
	g, ds := loadLeNet(t)
	m := top1(t)
	layers, skipped := SensitivityLayers(g, []float64{0.25, 0.5}, true, "l2")
	if strings.Join(layers, ",") != "Conv_0,Conv_3,Gemm_8,Gemm_10" || skipped["Gemm_12"] == "" {
		t.Errorf("structured probe layers %v, skipped %v: want all but the output layer Gemm_12", layers, skipped)
	}
	res, err := SensitivityWith(g, ds, m, []float64{0.25, 0.5}, SensitivityOptions{Threshold: Threshold{Relative: 0.97}, Rule: RuleLastPass, Probe: ProbeOptions{Structured: true}, Batch: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Probes) != 8 || res.Skipped["Gemm_12"] == "" || len(res.Layers) != 4 {
		t.Errorf("%d probes, layers %v, skipped %v", len(res.Probes), res.Layers, res.Skipped)
	}
	p := Probe{Layer: "Conv_3", Rate: 0.75}
	plain, err := PruneProbe(g, p, ProbeOptions{Structured: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := plain.Node("Conv_3").Weight.Shape[0]; got != 4 {
		t.Errorf("structured probe Conv_3@0.75 keeps %d filters, want 4", got)
	}
	train, err := ds.Batch(500, 1000)
	if err != nil {
		t.Fatal(err)
	}
	score, _ := ds.Batch(0, 500)
	opts := ProbeOptions{Structured: true, FineTune: &FineTuneOptions{Epochs: 2, Batch: 32, LR: 1e-3, Seed: 1}, Train: train}
	tuned, err := PruneProbe(g, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := FineTune(plain, train, *opts.FineTune)
	if err != nil {
		t.Fatal(err)
	}
	if tuned.NumParams() != plain.NumParams() {
		t.Errorf("fine-tuned probe has %d params, the pruned model %d", tuned.NumParams(), plain.NumParams())
	}
	for i, v := range tuned.Node("Conv_3").Weight.Data {
		if v != direct.Node("Conv_3").Weight.Data[i] {
			t.Fatalf("fine-tuned probe differs from FineTune of the pruned model at weight %d", i)
		}
	}
	rp, err := RunProbeWith(g, score, m, p, 250, ProbeOptions{Structured: true})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := RunProbeWith(g, score, m, p, 250, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Conv_3 structured @0.75 on 500 scored images: top-1 %.4f, fine-tuned on the other 500: %.4f", rp.Quality, rt.Quality)
	if rt.Quality <= rp.Quality {
		t.Errorf("fine-tuned probe top-1 %v is not above the plain probe's %v", rt.Quality, rp.Quality)
	}
	if _, err := PruneProbe(g, p, ProbeOptions{FineTune: opts.FineTune}); err == nil {
		t.Error("fine-tuning without training data accepted")
	}
}
