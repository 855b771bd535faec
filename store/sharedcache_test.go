package store

import (
	"context"
	"path/filepath"
	"testing"
)

// TestSharedCacheAcrossWorkers: what one worker puts, another with its own local copy gets;
// a deleted entry is gone from both; the local copy serves without the bucket.
func TestSharedCacheAcrossWorkers(t *testing.T) {
	ctx := context.Background()
	js := startJetStream(t)
	open := func(name string) *SharedCache {
		local, err := OpenEvalCache(filepath.Join(t.TempDir(), name+".db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { local.Close() })
		c, err := OpenSharedCache(ctx, js, "evals", local)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	w1, w2 := open("w1"), open("w2")
	if err := w1.Put("k1", evalResult{Accuracy: 0.9, FlashB: 7}); err != nil {
		t.Fatal(err)
	}
	var got evalResult
	if ok, err := w2.Get("k1", &got); err != nil || !ok || got.FlashB != 7 {
		t.Fatalf("w2.Get = %+v, %v, %v", got, ok, err)
	}
	// w2 now has a local copy: it is served even with the key gone from the bucket.
	if err := w1.kv.Delete(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := w2.Get("k1", &got); !ok {
		t.Error("the local copy did not serve the entry")
	}
	if err := w2.Delete("k1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := w2.Get("k1", &got); ok {
		t.Error("a deleted entry was served")
	}
	if ok, err := w1.Get("never", &got); ok || err != nil {
		t.Errorf("missing key: %v %v", ok, err)
	}
}
