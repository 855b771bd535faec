package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestFetchChecksLimitAndPresence(t *testing.T) {
	ctx := context.Background()
	js := startJetStream(t)
	objs, err := OpenObjects(ctx, js, "fetch")
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("aurix"), 100000) // several chunks
	ref, err := objs.Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FetchFrom(ctx, js, "fetch", ref.Key, strings.ToUpper(ref.Key), 0)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("FetchFrom: %d bytes, err %v", len(got), err)
	}
	if _, err := FetchFrom(ctx, js, "fetch", ref.Key, ref.Key, int64(len(data)-1)); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), `"fetch"`) {
		t.Errorf("over the limit: err %v, want ErrTooLarge naming the bucket", err)
	}
	if _, err := FetchFrom(ctx, js, "fetch", ref.Key, Key([]byte("other")), 0); !errors.Is(err, ErrHashMismatch) {
		t.Errorf("wrong hash: err %v, want ErrHashMismatch", err)
	}
	missing := Key([]byte("never stored"))
	if _, err := FetchFrom(ctx, js, "fetch", missing, missing, 0); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing: err %v, want ErrNotFound naming the key", err)
	}
	if _, err := FetchFrom(ctx, js, "no-such-bucket", missing, missing, 0); err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Errorf("missing bucket: err %v, want an error naming it", err)
	}
}
