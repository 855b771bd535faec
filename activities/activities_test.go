package activities

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"go.temporal.io/sdk/temporal"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/internal/natstest"
	"github.com/tcdse/tcdse/store"
)

func newActivities(t *testing.T) *Activities {
	t.Helper()
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	objects, err := store.OpenObjects(context.Background(), js, "test-artifacts")
	if err != nil {
		t.Fatal(err)
	}
	cache, err := store.OpenEvalCache(filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cache.Close() })
	return &Activities{Objects: objects, Cache: cache, Dir: t.TempDir()}
}

func lenetSpec(t *testing.T) explore.SweepSpec {
	root, err := filepath.Abs("../testdata/examples")
	if err != nil {
		t.Fatal(err)
	}
	return explore.SweepSpec{
		Model: filepath.Join(root, "lenet/fyh620_lenet.onnx"),
		Data: dataset.Spec{
			Format: "mnist", Limit: 100,
			Images:    filepath.Join(root, "mnist/t10k-1000-images-idx3-ubyte.gz"),
			Labels:    filepath.Join(root, "mnist/t10k-1000-labels-idx1-ubyte.gz"),
			Normalize: dataset.Normalize{Scale: 1.0 / 255, Mean: 0.1307, Std: 0.3081},
		},
		Metric: "top1", Threshold: explore.ThresholdSpec{Relative: 0.99},
		Rates: []float64{0.5}, Schedule: []float64{1}, Target: "tc387:cpu2", Out: t.TempDir(),
	}
}

func TestImportAndCachedEvaluate(t *testing.T) {
	a := newActivities(t)
	ctx := context.Background()
	imp, err := a.Import(ctx, ImportInput{Spec: uploaded(t, a, lenetSpec(t))})
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Layers) != 5 || imp.Samples != 100 {
		t.Fatalf("import: %d layers, %d samples; want 5 and 100", len(imp.Layers), imp.Samples)
	}
	if imp.Baseline.Quality < 0.9 || !imp.Baseline.Fits || imp.Baseline.Cycles <= 0 {
		t.Fatalf("baseline %+v", imp.Baseline)
	}
	in := EvalInput{Model: imp.Model, ModelHash: imp.ModelHash, Data: imp.Data, Metric: "top1", Target: "tc387:cpu2",
		Batch: 64, Rates: explore.Rates{imp.Layers[2].Name: 0.9}, Label: "probe"}
	first, err := a.Evaluate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if first.Sparsity <= 0 || first.ROMBytes >= imp.Baseline.ROMBytes {
		t.Errorf("pruned candidate: sparsity %v ROM %d, baseline ROM %d", first.Sparsity, first.ROMBytes, imp.Baseline.ROMBytes)
	}
	// A retry is answered from the cache: it needs neither the object store nor the interpreter.
	a.Objects = nil
	in.Label = "retry"
	again, err := a.Evaluate(ctx, in)
	if err != nil {
		t.Fatalf("cached evaluation: %v", err)
	}
	if again.CandidateID != first.CandidateID || again.Quality != first.Quality || again.Label != "retry" {
		t.Errorf("cached result %+v differs from %+v", again, first)
	}
}

func TestImportRejectsBadInputForGood(t *testing.T) {
	a := newActivities(t)
	spec := lenetSpec(t)
	spec.Model = filepath.Join(t.TempDir(), "missing.onnx")
	assertNonRetryable(t, a, spec, "missing.onnx")

	garbage := filepath.Join(t.TempDir(), "garbage.onnx")
	if err := os.WriteFile(garbage, []byte("this is not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec = lenetSpec(t)
	spec.Model = garbage
	assertNonRetryable(t, a, spec, "garbage.onnx")

	spec = lenetSpec(t)
	spec.Target = "tc387:cpu9"
	assertNonRetryable(t, a, spec, "cpu9")
}

// assertNonRetryable: spec is refused for good, naming mention, when it is submitted or when
// Import reads it.
func assertNonRetryable(t *testing.T, a *Activities, spec explore.SweepSpec, mention string) {
	t.Helper()
	up, err := UploadInputs(context.Background(), a.Objects, spec)
	if err != nil {
		// A file that cannot be read is refused when the sweep is submitted.
		if !strings.Contains(err.Error(), mention) {
			t.Errorf("upload error %q does not mention %s", err, mention)
		}
		return
	}
	_, err = a.Import(context.Background(), ImportInput{Spec: up})
	if err == nil {
		t.Fatalf("import of %s succeeded", mention)
	}
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() {
		t.Errorf("error %v is not a non-retryable application error", err)
	}
	if !strings.Contains(err.Error(), mention) {
		t.Errorf("error %q does not mention %s", err, mention)
	}
}

// uploaded stores spec's input files in a's artifact store, as tcdse sweep does, and returns
// the spec with references in their place.
func uploaded(t *testing.T, a *Activities, spec explore.SweepSpec) explore.SweepSpec {
	t.Helper()
	spec, err := UploadInputs(context.Background(), a.Objects, spec)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// TestImportRefusesMissingArtifact: a reference to content the store does not hold (the
// store was wiped after the spec was written) fails Import for good, naming the field.
func TestImportRefusesMissingArtifact(t *testing.T) {
	a := newActivities(t)
	spec := uploaded(t, a, lenetSpec(t))
	spec.Model = store.Ref{Bucket: a.Objects.Bucket(), Key: store.Key([]byte("gone")), Size: 4}.URL("gone.onnx")
	_, err := a.Import(context.Background(), ImportInput{Spec: spec})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || appErr.Type() != KindMissingInput || !strings.Contains(err.Error(), "model: ") {
		t.Errorf("error %v, want a non-retryable %s naming model", err, KindMissingInput)
	}
}

// TestCacheEntryNamingMissingObjectIsRecomputed: a cached evaluation whose kept model is gone
// from the store is not served; the candidate is evaluated again and stored again.
func TestCacheEntryNamingMissingObjectIsRecomputed(t *testing.T) {
	ctx := context.Background()
	a := newActivities(t)
	imp, err := a.Import(ctx, ImportInput{Spec: uploaded(t, a, lenetSpec(t))})
	if err != nil {
		t.Fatal(err)
	}
	in := EvalInput{Model: imp.Model, ModelHash: imp.ModelHash, Data: imp.Data, Metric: "top1", Target: "tc387:cpu2",
		Batch: 64, Rates: explore.Rates{imp.Layers[0].Name: 0.5}, Label: "kept", Keep: true}
	first, err := a.Evaluate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	// Poison the cache: the same entry, naming a model the store never held.
	key := evalCacheKey(first.CandidateID, in.Target)
	stale := first
	stale.Model = &store.Ref{Bucket: a.Objects.Bucket(), Key: store.Key([]byte("wiped")), Size: 5}
	if err := a.Cache.Put(key, stale); err != nil {
		t.Fatal(err)
	}
	again, err := a.Evaluate(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if again.Model == nil || *again.Model != *first.Model {
		t.Fatalf("served %+v, want the recomputed model %+v", again.Model, first.Model)
	}
	if err := a.Objects.Check(ctx, *again.Model); err != nil {
		t.Errorf("the recomputed model is not in the store: %v", err)
	}
}
