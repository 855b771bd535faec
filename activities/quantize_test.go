package activities

import (
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
)

// TestEvaluateQuantizedPoint evaluates a kept GWP step and then its int8 point, as the Sweep
// workflow does with spec.quantize: the int8 point has its own candidate id, stores an int8
// graph, scores close to the float step, and leaves the float step's id unchanged.
func TestEvaluateQuantizedPoint(t *testing.T) {
	a := newActivities(t)
	ctx := context.Background()
	imp, err := a.Import(ctx, ImportInput{Spec: uploaded(t, a, lenetSpec(t))})
	if err != nil {
		t.Fatal(err)
	}
	step := EvalInput{Model: imp.Model, ModelHash: imp.ModelHash, Data: imp.Data, Metric: "top1", Target: "tc387:cpu2",
		Batch: 64, Rates: explore.Rates{imp.Layers[2].Name: 0.8}, Label: "gwp-1", Keep: true}
	fev, err := a.Evaluate(ctx, step)
	if err != nil {
		t.Fatal(err)
	}
	q := EvalInput{Model: *fev.Model, ModelHash: fev.ModelHash, Data: imp.Data, Metric: "top1", Target: "tc387:cpu2",
		Batch: 64, Label: "gwp-1-int8", Keep: true, Quantize: &explore.QuantizeSpec{Samples: 50}}
	qev, err := a.Evaluate(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("float step: top-1 %.3f ROM %d RAM %d; int8: top-1 %.3f ROM %d RAM %d", fev.Quality, fev.ROMBytes, fev.RAMBytes, qev.Quality, qev.ROMBytes, qev.RAMBytes)
	if qev.CandidateID == fev.CandidateID {
		t.Fatal("int8 point has the float step's candidate id")
	}
	// Weights smaller than half a quantization step become zero too.
	if math.Abs(qev.Quality-fev.Quality) > 0.02 || qev.Sparsity < fev.Sparsity {
		t.Errorf("int8 point quality %v sparsity %v, float step %v %v", qev.Quality, qev.Sparsity, fev.Quality, fev.Sparsity)
	}
	if qev.ROMBytes >= fev.ROMBytes {
		t.Errorf("int8 ROM %d, float %d: want smaller", qev.ROMBytes, fev.ROMBytes)
	}
	raw, err := a.Objects.Get(ctx, *qev.Model)
	if err != nil {
		t.Fatal(err)
	}
	g, err := model.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Quant) == 0 {
		t.Error("the kept int8 point holds a float graph")
	}
	// The float step's id does not depend on quantization being configured elsewhere.
	again, err := a.Evaluate(ctx, step)
	if err != nil {
		t.Fatal(err)
	}
	if again.CandidateID != fev.CandidateID {
		t.Errorf("float step id changed: %s, was %s", again.CandidateID, fev.CandidateID)
	}
	q.Quantize = &explore.QuantizeSpec{Float: []string{"nope"}}
	if _, err := a.Evaluate(ctx, q); err == nil {
		t.Error("unknown float layer accepted")
	}
}
