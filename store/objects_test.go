package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/tcdse/tcdse/internal/natstest"
)

// startJetStream runs an in-process NATS server with JetStream and returns
// a JetStream context connected to it.
func startJetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	_, nc := natstest.Start(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func TestObjectsPutGet(t *testing.T) {
	ctx := context.Background()
	js := startJetStream(t)
	objs, err := OpenObjects(ctx, js, "artifacts")
	if err != nil {
		t.Fatal(err)
	}
	// Larger than one object store chunk (128 KiB) to exercise chunking.
	data := bytes.Repeat([]byte("tricore-"), 50000)
	ref, err := objs.Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Bucket != "artifacts" || ref.Key != Key(data) || ref.Size != int64(len(data)) || len(ref.Key) != 64 {
		t.Fatalf("Put ref = %+v", ref)
	}
	got, err := objs.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("Get returned %d bytes differing from the %d put", len(got), len(data))
	}

	// A second OpenObjects binds to the existing bucket and sees the object.
	again, err := OpenObjects(ctx, js, "artifacts")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Get(ctx, ref); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get through rebound store: err=%v", err)
	}

	// PutFile gives the same ref for the same content.
	path := filepath.Join(t.TempDir(), "model.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	fref, err := objs.PutFile(ctx, path)
	if err != nil || fref != ref {
		t.Fatalf("PutFile = %+v, %v; want %+v", fref, err, ref)
	}
	if _, err := objs.PutFile(ctx, filepath.Join(t.TempDir(), "missing.bin")); err == nil || !strings.Contains(err.Error(), "missing.bin") {
		t.Fatalf("PutFile of missing file: err=%v, want error naming the file", err)
	}

	// Empty content is a valid artifact.
	eref, err := objs.Put(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := objs.Get(ctx, eref); err != nil || len(got) != 0 {
		t.Fatalf("Get empty = %q, %v", got, err)
	}
}

func TestObjectsPutIsIdempotent(t *testing.T) {
	ctx := context.Background()
	js := startJetStream(t)
	objs, err := OpenObjects(ctx, js, "idem")
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("int8 weights")
	ref1, err := objs.Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	info1, err := objs.os.GetInfo(ctx, ref1.Key)
	if err != nil {
		t.Fatal(err)
	}
	ref2, err := objs.Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if ref1 != ref2 {
		t.Fatalf("second Put ref %+v != first %+v", ref2, ref1)
	}
	info2, err := objs.os.GetInfo(ctx, ref1.Key)
	if err != nil {
		t.Fatal(err)
	}
	// A re-upload would give the object a new NUID.
	if info1.NUID != info2.NUID {
		t.Fatalf("object was re-uploaded: NUID %s -> %s", info1.NUID, info2.NUID)
	}
}

func TestObjectsGetErrors(t *testing.T) {
	ctx := context.Background()
	js := startJetStream(t)
	objs, err := OpenObjects(ctx, js, "errs")
	if err != nil {
		t.Fatal(err)
	}
	good := []byte("good content")
	ref, err := objs.Put(ctx, good)
	if err != nil {
		t.Fatal(err)
	}

	// Missing object.
	missing := Ref{Bucket: "errs", Key: Key([]byte("never stored")), Size: 12}
	if _, err := objs.Get(ctx, missing); err == nil || !strings.Contains(err.Error(), "not found") || !strings.Contains(err.Error(), missing.Key) {
		t.Errorf("Get missing: err=%v, want not-found error naming the key", err)
	}

	// Corrupt: an object stored under a key that is not its content hash.
	corruptKey := Key([]byte("what the key promises"))
	if _, err := objs.os.PutBytes(ctx, corruptKey, []byte("something else")); err != nil {
		t.Fatal(err)
	}
	if _, err := objs.Get(ctx, Ref{Bucket: "errs", Key: corruptKey, Size: 14}); !errors.Is(err, ErrHashMismatch) {
		t.Errorf("Get corrupt: err=%v, want hash mismatch", err)
	}

	// Ref tampered with: wrong size, wrong bucket, malformed key.
	bad := ref
	bad.Size++
	if _, err := objs.Get(ctx, bad); err == nil || !strings.Contains(err.Error(), "size mismatch") {
		t.Errorf("Get wrong size: err=%v", err)
	}
	bad = ref
	bad.Bucket = "other"
	if _, err := objs.Get(ctx, bad); err == nil || !strings.Contains(err.Error(), `"other"`) {
		t.Errorf("Get wrong bucket: err=%v", err)
	}
	bad = ref
	bad.Key = strings.ToUpper(ref.Key)
	if _, err := objs.Get(ctx, bad); err == nil || !strings.Contains(err.Error(), "hex sha256") {
		t.Errorf("Get malformed key: err=%v", err)
	}

	if _, err := OpenObjects(ctx, js, ""); err == nil {
		t.Error("OpenObjects with empty bucket: want error")
	}
}
