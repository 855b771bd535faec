package tc3xx

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

// board simulates a TC387 whose true cost parameters are hidden: each built-in value scaled by
// a random factor in [0.6, 1.6].
type board struct {
	truth CostModel
	rng   *rand.Rand
	noise float64
}

func newBoard(seed int64, noise float64) board {
	rng := rand.New(rand.NewSource(seed))
	truth := TC162P.Clone()
	for i, p := range truth.Params {
		if p.Category != Structural {
			truth.Params[i].Value = p.Value * (0.6 + rng.Float64())
		}
	}
	// The measurement noise has its own stream, so adding a parameter to the table does not
	// change the noise every measurement gets.
	return board{truth: truth, rng: rand.New(rand.NewSource(seed ^ 0x5eed)), noise: noise}
}

// design is one build of one graph on one placement.
type design struct {
	g    *model.Graph
	opts codegen.Options
	t    Target
}

func designs(t *testing.T, seed int64, n int) []design {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	var out []design
	ws := []Placement{WeightsInPFlash, WeightsInPFlash, WeightsInDSPR, WeightsInPFlashUncached, WeightsInLMU}
	as := []ActivationPlacement{ActivationsInDSPR, ActivationsInDSPR, ActivationsInDLMU}
	formats := []string{codegen.FormatDense, codegen.FormatAuto, codegen.FormatCSR}
	for i := 0; i < n; i++ {
		var g *model.Graph
		if i%2 == 0 {
			g = denseChain(rng.Int63(), 16+rng.Intn(200), 8+rng.Intn(120), 4+rng.Intn(60), 10)
		} else {
			g = convNet(rng.Int63(), 1+rng.Intn(4), 8+2*rng.Intn(6), 2+rng.Intn(10))
		}
		if rng.Intn(2) == 0 {
			g = zeroFraction(g, 0.3+0.6*rng.Float64(), rng.Int63())
		}
		tg, err := Lookup([]string{"tc387:cpu0", "tc387:cpu2"}[rng.Intn(2)])
		if err != nil {
			t.Fatal(err)
		}
		tg.Weights, tg.Activations = ws[rng.Intn(len(ws))], as[rng.Intn(len(as))]
		out = append(out, design{g: g, opts: codegen.Options{Format: formats[rng.Intn(len(formats))]}, t: tg})
	}
	return out
}

// measure returns the board's per-layer and whole-model measurements of a design, and the
// prior's counts for them.
func (b board) measure(t *testing.T, d design, perLayer bool) []Measurement {
	t.Helper()
	p, err := codegen.PlanGraph(d.g, d.opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := EstimateWith(TC162P, d.g, p, d.t)
	if err != nil {
		t.Fatal(err)
	}
	noisy := func(x float64) float64 { return x * (1 + b.noise*b.rng.NormFloat64()) }
	var out []Measurement
	if perLayer {
		for _, l := range c.Layers {
			if len(l.Counts) == 0 {
				continue
			}
			m := Measurement{Label: d.g.Name + "/" + l.Node, Counts: l.Counts, Fixed: l.Fixed}
			m.Cycles = noisy(b.truth.Predict(m))
			out = append(out, m)
		}
	}
	counts, fixed := c.Counts()
	m := Measurement{Label: d.g.Name, Counts: counts, Fixed: fixed}
	m.Cycles = noisy(b.truth.Predict(m))
	return append(out, m)
}

func TestCalibrateRecoversUnseenModels(t *testing.T) {
	b := newBoard(42, 0.03)
	var train []Measurement
	for i, d := range designs(t, 1, 40) {
		train = append(train, b.measure(t, d, i%2 == 0)...)
	}
	fit, rep, err := Calibrate(TC162P, train, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	exact := b
	exact.noise = 0
	var test []Measurement
	for _, d := range designs(t, 2, 30) {
		test = append(test, exact.measure(t, d, false)...)
	}
	before, after := TC162P.Errors(test), fit.Errors(test)
	t.Logf("training (%d measurements, 3%% noise): before %v; after %v", len(train), rep.Before, rep.After)
	t.Logf("unseen models (%d whole-model measurements): before %v; after %v", len(test), before, after)
	if after.MaxAbs > 0.05 {
		t.Errorf("after calibration an unseen model is off by %.1f%% (limit 5%%)", 100*after.MaxAbs)
	}
	if before.MaxAbs < 0.10 || after.RMS >= before.RMS/2 {
		t.Errorf("calibration did not matter: before %v, after %v", before, after)
	}
	if rep.After.RMS >= rep.Before.RMS || rep.Measurements != len(train) {
		t.Errorf("report: %+v", rep)
	}
	for _, p := range fit.Params {
		if p.Value < 0 {
			t.Errorf("fitted %s = %g", p.Name, p.Value)
		}
	}
	if mac, _ := fit.Param("mac"); math.Abs(mac-mustParam(b.truth, "mac"))/mustParam(b.truth, "mac") > 0.05 {
		t.Errorf("fitted mac %g, hidden %g", mac, mustParam(b.truth, "mac"))
	}
	if fit.Fit == nil || fit.Params[fit.index("mac")].Basis != Calibrated || !strings.HasPrefix(fit.Params[fit.index("mac")].Note, "fitted to") {
		t.Errorf("fitted model does not record its calibration: %+v", fit.Params[fit.index("mac")])
	}
	// The fitted model round-trips through its file format and still validates.
	data, err := fit.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseCostModel(data, "fit.json")
	if err != nil || back.Hash() != fit.Hash() || back.Hash() == TC162P.Hash() {
		t.Errorf("round trip: %v, hashes %s / %s", err, back.Hash(), fit.Hash())
	}
}

func mustParam(m CostModel, name string) float64 {
	v, err := m.Param(name)
	if err != nil {
		panic(err)
	}
	return v
}

func TestCalibrateRejectsBadInput(t *testing.T) {
	ok := Measurement{Label: "a", Counts: map[string]float64{"mac": 100}, Cycles: 300}
	cases := map[string][]Measurement{
		"no measurements":   nil,
		"cycles 0":          {{Label: "z", Counts: map[string]float64{"mac": 1}, Cycles: 0}},
		"unknown param":     {ok, {Label: "u", Counts: map[string]float64{"madd": 1}, Cycles: 5}},
		"negative count":    {ok, {Label: "n", Counts: map[string]float64{"mac": -1}, Cycles: 5}},
		"no free parameter": {{Label: "f", Counts: map[string]float64{"line_bytes": 1}, Cycles: 5}},
	}
	for name, ms := range cases {
		if _, _, err := Calibrate(TC162P, ms, FitOptions{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, _, err := Calibrate(TC162P, []Measurement{ok}, FitOptions{Fixed: []string{"nope"}}); err == nil {
		t.Error("unknown fixed parameter accepted")
	}
	fit, _, err := Calibrate(TC162P, []Measurement{ok}, FitOptions{Fixed: []string{"call"}})
	if err != nil || math.Abs(mustParam(fit, "mac")-3) > 0.01 {
		t.Errorf("one exact measurement of mac: %v, mac %g", err, mustParam(fit, "mac"))
	}
}

func TestParseCostModelErrors(t *testing.T) {
	good := `{"arch": "TC1.6.2P", "params": [{"name": "mac", "value": 2.5}]}`
	m, err := ParseCostModel([]byte(good), "m.json")
	if err != nil || mustParam(m, "mac") != 2.5 || mustParam(m, "call") != 40 {
		t.Fatalf("partial model: %v", err)
	}
	cases := map[string][]string{
		`{"params": []}`:                {"field arch: missing"},
		`{"arch": "TC9", "params": []}`: {"field arch", "TC9"},
		`{"arch": "TC1.6.2P", "params": [{"name": "mac", "value": -1}]}`:       {"params[0] (mac)", "non-negative"},
		`{"arch": "TC1.6.2P", "params": [{"name": "madd", "value": 1}]}`:       {"params[0]", "madd"},
		`{"arch": "TC1.6.2P", "params": [{"value": 1}]}`:                       {"params[0]", "field name: missing"},
		`{"arch": "TC1.6.2P", "params": [], "extra": 1}`:                       {"extra"},
		`{"arch": "TC1.6.2P", "params": [{"name": "line_bytes", "value": 0}]}`: {"line_bytes must be positive"},
	}
	for in, wants := range cases {
		_, err := ParseCostModel([]byte(in), "m.json")
		if err == nil {
			t.Errorf("%s accepted", in)
			continue
		}
		for _, w := range append(wants, "m.json") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", in, err, w)
			}
		}
	}
}
