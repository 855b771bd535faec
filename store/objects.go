package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tcdse/tcdse/metrics"
)

// Ref names an artifact in an object store bucket. Key is the lower-case hex
// SHA-256 of the content, so equal content has equal refs. A Ref is small and
// JSON-friendly: it rides in Temporal payloads in place of the bytes.
type Ref struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	Size   int64  `json:"size"`
}

// String returns "bucket/key".
func (r Ref) String() string { return r.Bucket + "/" + r.Key }

// Objects is a content-addressed artifact store backed by a JetStream object
// store bucket. It is safe for concurrent use.
type Objects struct {
	os     jetstream.ObjectStore
	bucket string
}

// OpenObjects binds to the object store bucket, creating it (file storage)
// when it does not exist yet.
func OpenObjects(ctx context.Context, js jetstream.JetStream, bucket string) (*Objects, error) {
	if bucket == "" {
		return nil, errors.New("open objects: empty bucket name")
	}
	obs, err := js.ObjectStore(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      bucket,
			Description: "tcdse content-addressed artifacts (key = hex sha256)",
			Storage:     jetstream.FileStorage,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			// Another process created it between our two calls.
			obs, err = js.ObjectStore(ctx, bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open object store bucket %q: %w", bucket, err)
	}
	return &Objects{os: obs, bucket: bucket}, nil
}

// Bucket returns the name of the object store bucket.
func (o *Objects) Bucket() string { return o.bucket }

// Key returns the content key of data: its lower-case hex SHA-256.
func Key(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Put stores data under its content key and returns its Ref. If an object
// with that key already exists, it is not uploaded again.
func (o *Objects) Put(ctx context.Context, data []byte) (Ref, error) {
	ref := Ref{Bucket: o.bucket, Key: Key(data), Size: int64(len(data))}
	_, err := o.os.GetInfo(ctx, ref.Key)
	switch {
	case err == nil:
		return ref, nil
	case !errors.Is(err, jetstream.ErrObjectNotFound):
		return Ref{}, fmt.Errorf("put %s: look up existing object: %w", ref, err)
	}
	if _, err := o.os.PutBytes(ctx, ref.Key, data); err != nil {
		return Ref{}, fmt.Errorf("put %s (%d bytes): %w", ref, ref.Size, err)
	}
	metrics.Default.Add(MetricBytes, map[string]string{"direction": "up"}, float64(len(data)))
	return ref, nil
}

// PutFile stores the contents of the file at path; see Put.
func (o *Objects) PutFile(ctx context.Context, path string) (Ref, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Ref{}, fmt.Errorf("put file: %w", err)
	}
	ref, err := o.Put(ctx, data)
	if err != nil {
		return Ref{}, fmt.Errorf("put file %s: %w", path, err)
	}
	return ref, nil
}

// Get returns the content named by ref, after checking that it hashes to
// ref.Key and has ref.Size bytes.
func (o *Objects) Get(ctx context.Context, ref Ref) ([]byte, error) {
	if ref.Bucket != o.bucket {
		return nil, fmt.Errorf("get %s: ref is for bucket %q, this store is bucket %q", ref, ref.Bucket, o.bucket)
	}
	if !validKey(ref.Key) {
		return nil, fmt.Errorf("get %s: key is not a 64-digit lower-case hex sha256", ref)
	}
	data, err := Fetch(ctx, o.os, ref.Key, ref.Key, 0)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", ref, err)
	}
	if int64(len(data)) != ref.Size {
		return nil, fmt.Errorf("get %s: %w: ref says %d bytes, stored object has %d", ref, ErrSizeMismatch, ref.Size, len(data))
	}
	return data, nil
}

// validKey reports whether key looks like a hex SHA-256 as made by Key.
func validKey(key string) bool {
	if len(key) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Check reports whether the store holds an object for ref with ref's size, without
// downloading it (Get checks the content itself).
func (o *Objects) Check(ctx context.Context, ref Ref) error {
	if ref.Bucket != o.bucket {
		return fmt.Errorf("check %s: ref is for bucket %q, this store is bucket %q", ref, ref.Bucket, o.bucket)
	}
	info, err := o.os.GetInfo(ctx, ref.Key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("check %s: %w in bucket %q", ref, ErrNotFound, o.bucket)
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", ref, err)
	}
	if int64(info.Size) != ref.Size {
		return fmt.Errorf("check %s: %w: ref says %d bytes, stored object has %d", ref, ErrSizeMismatch, ref.Size, info.Size)
	}
	return nil
}

// GetFile writes the content named by ref (checked as Get checks it) to path, creating its
// directory; the file appears whole or not at all (written beside it, then renamed).
func (o *Objects) GetFile(ctx context.Context, ref Ref, path string) error {
	data, err := o.Get(ctx, ref)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("get %s into %s: %w", ref, path, err)
	}
	tmp, err := os.CreateTemp(dir, ".get-*")
	if err != nil {
		return fmt.Errorf("get %s into %s: %w", ref, path, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("get %s into %s: %w", ref, path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("get %s into %s: %w", ref, path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("get %s into %s: %w", ref, path, err)
	}
	return nil
}
