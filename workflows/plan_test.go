package workflows

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/store"
)

func mustMetric(t *testing.T, name string) dataset.Metric {
	t.Helper()
	m, err := dataset.MetricByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestProbeInputsOrderLabelsAndKeep(t *testing.T) {
	spec := branchSpec().WithDefaults()
	imp := fakeImport()
	ins := probeInputs(spec, imp, baseProbes(spec, imp))
	var got []string
	for _, in := range ins {
		got = append(got, in.Label)
		if in.Keep || in.Pruning != nil || in.Model.Key != "base" || in.Batch != spec.Batch {
			t.Errorf("%s: %+v; an unstructured probe of the base model is not kept", in.Label, in)
		}
	}
	want := []string{"conv@0.25", "conv@0.5", "conv@0.75", "fc@0.25", "fc@0.5", "fc@0.75"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("labels %v, want %v", got, want)
	}

	spec.GWP = &explore.GWPSpec{Structured: true, Norm: "l2"}
	for _, in := range probeInputs(spec, imp, baseProbes(spec, imp)) {
		if !in.Keep || in.Pruning == nil || !in.Pruning.Structured || in.Pruning.Step {
			t.Errorf("%s: a structured probe is kept and not a step: %+v", in.Label, in.Pruning)
		}
	}
	u := probeInputs(spec, imp, unstructuredProbes(imp, store.Ref{Key: "s"}, "hs"))
	if len(u) != 6 || u[0].Label != "u-conv@0.25" || u[0].Model.Key != "s" || u[0].ModelHash != "hs" || !u[0].Keep || u[0].Pruning != nil {
		t.Errorf("unstructured probes: %+v", u[0])
	}
}

func TestProbeResultsPairRatesWithQuality(t *testing.T) {
	ins := []activities.EvalInput{{Rates: explore.Rates{"a": 0.5}}, {Rates: explore.Rates{"b": 0.9}}}
	evals := []activities.Evaluation{{Quality: 0.9}, {Quality: 0.7}}
	got := probeResults(ins, evals)
	want := []explore.ProbeResult{{Layer: "a", Rate: 0.5, Quality: 0.9}, {Layer: "b", Rate: 0.9, Quality: 0.7}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%+v, want %+v", got, want)
	}
}

func TestBelowFloor(t *testing.T) {
	spec := explore.SweepSpec{Metric: "top1", Floor: 0.95}
	top1 := mustMetric(t, "top1")
	if _, below := belowFloor(spec, top1, 0.98, 0.92); !below {
		t.Error("0.92 < 0.95*0.98 = 0.931 should be below the floor")
	}
	if why, below := belowFloor(spec, top1, 0.98, 0.95); below {
		t.Errorf("0.95 >= 0.931 is above the floor, got %q", why)
	}
	spec.Metric, spec.Floor = "mse", 1.5
	mse := mustMetric(t, "mse")
	if why, below := belowFloor(spec, mse, 2, 3.5); !below || !strings.Contains(why, "mse 3.5") {
		t.Errorf("mse 3.5 > 1.5*2 should be below the floor: %q %v", why, below)
	}
	if _, below := belowFloor(spec, mse, 2, 2.9); below {
		t.Error("mse 2.9 <= 3 is above the floor")
	}
	spec.Floor = 0
	if _, below := belowFloor(spec, mse, 2, 100); below {
		t.Error("no floor, nothing is below it")
	}
}

func TestGWPStepInputs(t *testing.T) {
	spec := branchSpec().WithDefaults()
	imp := fakeImport()
	pmax := map[string]float64{"conv": 0.5, "fc": 0.8}
	in := gwpStepInput(spec, imp, pmax, 1)
	if in.Label != "gwp-1" || in.Rates["conv"] != 0.5 || in.Rates["fc"] != 0.8 || in.Pruning != nil {
		t.Errorf("unstructured step: %+v", in)
	}
	spec.GWP = &explore.GWPSpec{Method: explore.GWPWeightedGlobal}
	in = gwpStepInput(spec, imp, pmax, 0.5)
	if in.Rates != nil || in.Pruning == nil || !in.Pruning.Step || in.Pruning.G != 0.5 || in.Pruning.Base.Key != "base" {
		t.Errorf("weighted_global step carries its factor, not rates: %+v %+v", in, in.Pruning)
	}
	if u := unstructuredStepInput(spec, imp, pmax, 0.5); u.Label != "gwp-u-0.5" || u.Rates["fc"] != 0.4 {
		t.Errorf("unstructured phase step: %+v", u)
	}
	spec.Quantize = &explore.QuantizeSpec{Calibration: "minmax"}
	q := int8Input(spec, imp, activities.Evaluation{Label: "gwp-1", Model: &store.Ref{Key: "m1"}, ModelHash: "h1"})
	if q.Label != "gwp-1-int8" || q.Model.Key != "m1" || !q.Keep || q.Quantize == nil || q.Rates != nil || q.Calibration != nil {
		t.Errorf("int8 point: %+v", q)
	}
}

func TestMergeReportMarksPointsBelowTheFloor(t *testing.T) {
	spec := explore.SweepSpec{Metric: "top1", Floor: 0.95, Target: "tc387:cpu2"}
	base := activities.Evaluation{CandidateID: "b", Label: "baseline", Quality: 1, Cycles: 100, ROMBytes: 100, RAMBytes: 10, Fits: true}
	evals := []activities.Evaluation{
		{CandidateID: "p1", Label: "p1", Quality: 0.97, Cycles: 50, ROMBytes: 50, RAMBytes: 10, Fits: true},
		{CandidateID: "p2", Label: "p2", Quality: 0.90, Cycles: 10, ROMBytes: 10, RAMBytes: 10, Fits: true},
	}
	r := mergeReport(spec, mustMetric(t, "top1"), 300, base, evals)
	if len(r.Points) != 3 || r.Points[0].Label != "baseline" || r.ClockMHz != 300 {
		t.Fatalf("points %+v", r.Points)
	}
	if r.Points[2].Fits || !strings.Contains(r.Points[2].Reason, "floor") {
		t.Errorf("p2 is below the floor: %+v", r.Points[2])
	}
	for _, p := range r.Front {
		if p.Label == "p2" {
			t.Error("a point below the floor is on the front")
		}
	}
}

func TestChoosePointsSpreadsOverTheFrontWithBothEnds(t *testing.T) {
	var front []pareto.Point
	for i, q := range []float64{0.90, 0.99, 0.95, 0.97, 0.93} {
		front = append(front, pareto.Point{ID: string(rune('a' + i)), Quality: q})
	}
	got := choosePoints(front, 3, true)
	if len(got) != 3 || got[0].Quality != 0.99 || got[2].Quality != 0.90 || got[1].Quality != 0.95 {
		t.Fatalf("%+v", got)
	}
	if got := choosePoints(front, 1, false); got[0].Quality != 0.90 {
		t.Errorf("lower is better: best first, got %+v", got[0])
	}
	if got := choosePoints(front, 10, true); len(got) != 5 {
		t.Errorf("max above the front size: %d points", len(got))
	}
}

func TestGenerateAndBoardInputs(t *testing.T) {
	spec := branchSpec().WithDefaults()
	imp := fakeImport()
	evals := []activities.Evaluation{
		{CandidateID: "p", Label: "conv@0.5", Rates: explore.Rates{"conv": 0.5}},
		{CandidateID: "s", Label: "gwp-1", Model: &store.Ref{Key: "m"}},
	}
	ins := generateInputs(spec, imp, []pareto.Point{{ID: "p"}, {ID: "s"}, {ID: "base"}}, evals)
	if ins[0].Model.Key != "base" || ins[0].Rates["conv"] != 0.5 {
		t.Errorf("a probe is generated from the base model and its rates: %+v", ins[0])
	}
	if ins[1].Model.Key != "m" || ins[1].Rates != nil {
		t.Errorf("a kept point is generated from its own model: %+v", ins[1])
	}
	if ins[2].Label != "baseline" || ins[2].Rates != nil {
		t.Errorf("the baseline: %+v", ins[2])
	}
	code := []activities.GenerateResult{{Label: "x", Code: store.Ref{Key: "c"}}}
	if boardInputs(spec, code) != nil {
		t.Error("no board named, no board runs")
	}
	spec.HIL.Board = "host"
	if b := boardInputs(spec, code); len(b) != 1 || b[0].Code.Key != "c" || b[0].Board != "host" {
		t.Errorf("board runs: %+v", b)
	}
}

func TestCalibrationInputNeedsMinPoints(t *testing.T) {
	spec := explore.SweepSpec{Target: "tc387:cpu2", HIL: explore.HILSpec{Board: "sim", Calibrate: true, MinPoints: 2}}
	code := []activities.GenerateResult{{Label: "a"}, {Label: "b"}, {Label: "c"}}
	boards := []hilbench.RunResult{
		{Pass: true, CyclesPerInference: 100},
		{Pass: false, CyclesPerInference: 90},            // a failed check is no measurement
		{Pass: true, CyclesPerInference: 80, Error: "x"}, // nor is an error
	}
	if _, ok, note := calibrationInput(spec, activities.ImportResult{}, code, boards); ok || note == "" {
		t.Errorf("calibrated on one measurement (note %q)", note)
	}
	boards[1].Pass = true
	in, ok, _ := calibrationInput(spec, activities.ImportResult{}, code, boards)
	if !ok || len(in.Points) != 2 || in.Points[1].Label != "b" || in.Points[1].Cycles != 90 || in.Class != "sim" {
		t.Errorf("input %+v ok=%t", in, ok)
	}
	spec.HIL.Calibrate = false
	if _, ok, note := calibrationInput(spec, activities.ImportResult{}, code, boards); ok || note != "" {
		t.Errorf("calibrated without hil.calibrate")
	}
}
