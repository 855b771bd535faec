package activities

import (
	"context"
	"testing"

	"github.com/tcdse/tcdse/explore"
)

// TestEvaluateFineTunesKeptSteps imports LeNet with half of 400 images set aside for
// fine-tuning and evaluates one kept GWP-like step with and without fine-tuning.
func TestEvaluateFineTunesKeptSteps(t *testing.T) {
	a := newActivities(t)
	ctx := context.Background()
	spec := lenetSpec(t)
	spec.Data.Limit = 400
	spec.FineTune = &explore.FineTuneSpec{Epochs: 2, Batch: 32, LR: 1e-3, Loss: "ce", Seed: 1, Split: 0.5}
	imp, err := a.Import(ctx, ImportInput{Spec: uploaded(t, a, spec)})
	if err != nil {
		t.Fatal(err)
	}
	if imp.Samples != 200 || imp.Train == nil {
		t.Fatalf("import: %d scored samples, train %v; want 200 and stored fine-tuning data", imp.Samples, imp.Train)
	}
	rates := explore.Rates{"Conv_0": 0.6, "Conv_3": 0.6, "Gemm_8": 0.96, "Gemm_10": 0.84, "Gemm_12": 0.36}
	in := EvalInput{Model: imp.Model, ModelHash: imp.ModelHash, Data: imp.Data, Metric: "top1", Target: "tc387:cpu2",
		Batch: 64, Rates: rates, Label: "gwp", Keep: true}
	plain, err := a.Evaluate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	in.FineTune = FineTuneFor(spec, imp)
	tuned, err := a.Evaluate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sparsity %.4f: top-1 %.4f pruned, %.4f pruned and fine-tuned; cycles %d and %d", tuned.Sparsity, plain.Quality, tuned.Quality, plain.Cycles, tuned.Cycles)
	if tuned.CandidateID == plain.CandidateID || tuned.ModelHash == plain.ModelHash {
		t.Error("fine-tuned and plain candidates share an id or a kept model")
	}
	if tuned.Sparsity != plain.Sparsity {
		t.Errorf("sparsity %v fine-tuned, %v plain: fine-tuning must keep the zeros", tuned.Sparsity, plain.Sparsity)
	}
	if tuned.Quality <= plain.Quality {
		t.Errorf("fine-tuning did not raise top-1: %v -> %v", plain.Quality, tuned.Quality)
	}
	again, err := a.Evaluate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if again.CandidateID != tuned.CandidateID || again.Quality != tuned.Quality {
		t.Errorf("second evaluation %+v differs from the first %+v", again, tuned)
	}

	bad := lenetSpec(t)
	bad.FineTune = &explore.FineTuneSpec{Loss: "mse", Split: 0.5}
	assertNonRetryable(t, a, bad, "targets")
}
