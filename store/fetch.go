package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tcdse/tcdse/metrics"
)

// Error kinds of a fetch, to test with errors.Is.
var (
	// ErrHashMismatch: the stored object does not hash to the key it was asked for.
	ErrHashMismatch = errors.New("sha256 mismatch")
	// ErrTooLarge: the stored object is larger than the caller's limit.
	ErrTooLarge = errors.New("object too large")
	// ErrSizeMismatch: the stored object's size differs from the reference's.
	ErrSizeMismatch = errors.New("size mismatch")
	// ErrNotFound: no object has that key (wraps jetstream.ErrObjectNotFound).
	ErrNotFound = errors.New("object not found")
)

// Fetch reads the object key from the object store obs and checks it before returning it:
// its lower-case hex SHA-256 must equal sha (case-insensitive) and it must have at most
// limit bytes (limit <= 0: no limit). It is the one hash-checked read of the artifact
// store: workers, the CLI and board agents all fetch through it. Errors name the key
// (FetchFrom and Objects.Get add the bucket) and wrap ErrNotFound, ErrTooLarge or ErrHashMismatch.
func Fetch(ctx context.Context, obs jetstream.ObjectStore, key, sha string, limit int64) ([]byte, error) {
	where := fmt.Sprintf("object %q", key)
	obj, err := obs.Get(ctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("fetch %s: %w: %w", where, ErrNotFound, err)
	}
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", where, err)
	}
	defer obj.Close()
	info, err := obj.Info()
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", where, err)
	}
	if limit > 0 && int64(info.Size) > limit {
		return nil, fmt.Errorf("fetch %s: %w: %d bytes, limit %d", where, ErrTooLarge, info.Size, limit)
	}
	r := io.Reader(obj)
	if limit > 0 {
		r = io.LimitReader(obj, limit+1)
	}
	h := sha256.New()
	data := make([]byte, 0, info.Size)
	buf := make([]byte, 256<<10)
	for {
		n, err := r.Read(buf)
		data = append(data, buf[:n]...)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", where, err)
		}
	}
	if limit > 0 && int64(len(data)) > limit {
		return nil, fmt.Errorf("fetch %s: %w: more than %d bytes", where, ErrTooLarge, limit)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(sha) {
		return nil, fmt.Errorf("fetch %s: %w: wanted %s, object has %s", where, ErrHashMismatch, strings.ToLower(sha), got)
	}
	metrics.Default.Add(MetricBytes, map[string]string{"direction": "down"}, float64(len(data)))
	return data, nil
}

// MetricBytes counts the bytes moved to and from the artifact store (label direction: up,
// down); uploads of content already stored count nothing.
const MetricBytes = "tcdse_artifact_bytes_total"

// FetchFrom opens bucket in js and fetches key from it as Fetch does.
func FetchFrom(ctx context.Context, js jetstream.JetStream, bucket, key, sha string, limit int64) ([]byte, error) {
	obs, err := js.ObjectStore(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("fetch object %q in bucket %q: open bucket: %w", key, bucket, err)
	}
	data, err := Fetch(ctx, obs, key, sha, limit)
	if err != nil {
		return nil, fmt.Errorf("bucket %q: %w", bucket, err)
	}
	return data, nil
}
