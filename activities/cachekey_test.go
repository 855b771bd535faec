package activities

import (
	"context"
	"testing"

	"github.com/tcdse/tcdse/explore"
)

// TestEvalCacheKeyLeavesOutOldBuilds: an entry stored under the bare candidate id (as a build
// with other cost parameters or codegen would key it, from this cache's point of view) is not
// served; the evaluation is computed again and stored under the salted key, which answers the
// next call.
func TestEvalCacheKeyLeavesOutOldBuilds(t *testing.T) {
	a := newActivities(t)
	ctx := context.Background()
	imp, err := a.Import(ctx, ImportInput{Spec: uploaded(t, a, lenetSpec(t))})
	if err != nil {
		t.Fatal(err)
	}
	in := EvalInput{Model: imp.Model, ModelHash: imp.ModelHash, Data: imp.Data, Metric: "top1", Target: "tc387:cpu2",
		Batch: 64, Rates: explore.Rates{imp.Layers[1].Name: 0.5}, Label: "probe"}
	first, err := a.Evaluate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	stale := first
	stale.Cycles, stale.ROMBytes = 1, 1
	if err := a.Cache.Put(first.CandidateID, stale); err != nil {
		t.Fatal(err)
	}
	if evalCacheKey(first.CandidateID, in.Target) == first.CandidateID {
		t.Fatal("the cache key is the bare candidate id")
	}
	var got Evaluation
	if ok, err := a.Cache.Get(evalCacheKey(first.CandidateID, in.Target), &got); err != nil || !ok || got.Cycles != first.Cycles {
		t.Fatalf("salted entry: ok %v err %v cycles %d, want %d", ok, err, got.Cycles, first.Cycles)
	}
	again, err := a.Evaluate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if again.Cycles != first.Cycles || again.ROMBytes != first.ROMBytes {
		t.Errorf("served %d cycles, %d B ROM; the entry under the bare id (1, 1) must not be used, want %d, %d", again.Cycles, again.ROMBytes, first.Cycles, first.ROMBytes)
	}
}
