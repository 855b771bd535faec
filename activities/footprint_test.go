package activities

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/store"
)

// TestEvaluateFootprintAndCalibrationData checks the footprint fields of an evaluation against
// codegen's plan of the same graph (the dense baseline: 4 bytes per LeNet weight), the
// unstructured layer list a two-phase sweep's import returns, and that an int8 point
// calibrated on the fine-tuning data (quantize.data: finetune) is another candidate with
// other activation ranges than one calibrated on the scored data.
func TestEvaluateFootprintAndCalibrationData(t *testing.T) {
	a := newActivities(t)
	ctx := context.Background()
	spec := lenetSpec(t)
	spec.Data.Limit = 200
	spec.FineTune = &explore.FineTuneSpec{Split: 0.5, Epochs: 1, Batch: 32, Loss: "ce"}
	spec.GWP = &explore.GWPSpec{Structured: true, UnstructuredSchedule: []float64{1}}
	imp, err := a.Import(ctx, ImportInput{Spec: uploaded(t, a, spec)})
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.UnstructuredLayers) != 5 || len(imp.Layers) != 4 || imp.Train == nil {
		t.Fatalf("import: %d unstructured layers (want 5), %d structured (want 4), train %v", len(imp.UnstructuredLayers), len(imp.Layers), imp.Train)
	}
	base := imp.Baseline
	if base.WeightBytes != 4*44426 {
		t.Errorf("dense baseline weights %d B, want 4 × 44426", base.WeightBytes)
	}
	fplan := planOf(t, a, imp.Model)
	if int(base.WeightBytes) != fplan.WeightBytes || int(base.ArenaBytes) != fplan.ArenaBytes || base.ArenaBytes <= 0 {
		t.Errorf("baseline footprint %d + %d B, codegen plans %d + %d B", base.WeightBytes, base.ArenaBytes, fplan.WeightBytes, fplan.ArenaBytes)
	}

	in := EvalInput{Model: imp.Model, ModelHash: imp.ModelHash, Data: imp.Data, Metric: "top1", Target: "tc387:cpu2",
		Batch: 64, Label: "int8", Keep: true, Quantize: &explore.QuantizeSpec{Samples: 50, PerTensor: true}}
	scored, err := a.Evaluate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Calibration = imp.Train
	tuned, err := a.Evaluate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if scored.CandidateID == tuned.CandidateID {
		t.Fatal("int8 points calibrated on different data share a candidate id")
	}
	qs, qt := graphOf(t, a, scored), graphOf(t, a, tuned)
	if reflect.DeepEqual(qs.Quant, qt.Quant) {
		t.Error("calibrating on the fine-tuning data gave the same activation ranges as the scored data")
	}
	qplan := planOf(t, a, *tuned.Model)
	if int(tuned.WeightBytes) != qplan.WeightBytes || int(tuned.ArenaBytes) != qplan.ArenaBytes {
		t.Errorf("int8 footprint %d + %d B, codegen plans %d + %d B", tuned.WeightBytes, tuned.ArenaBytes, qplan.WeightBytes, qplan.ArenaBytes)
	}
	if ratio := tuned.Point().Footprint(); ratio <= 0 || 3*ratio > base.Point().Footprint() {
		t.Errorf("int8 footprint %d B, dense %d B: want more than 3x smaller", ratio, base.Point().Footprint())
	}
}

// graphOf decodes an evaluation's kept model.
func graphOf(t *testing.T, a *Activities, ev Evaluation) *model.Graph {
	t.Helper()
	if ev.Model == nil {
		t.Fatalf("point %s: model not kept", ev.Label)
	}
	return storedGraph(t, a, *ev.Model)
}

// storedGraph decodes a stored model.
func storedGraph(t *testing.T, a *Activities, ref store.Ref) *model.Graph {
	t.Helper()
	raw, err := a.Objects.Get(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	g, err := model.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// planOf plans a stored model's C code with the weight format Evaluate uses (auto).
func planOf(t *testing.T, a *Activities, ref store.Ref) *codegen.Plan {
	t.Helper()
	p, err := codegen.PlanGraph(storedGraph(t, a, ref), codegen.Options{Format: codegen.FormatAuto})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
