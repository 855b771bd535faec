package hilbench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// MaxArtifactBytes bounds the size of a packed tree an agent will download.
const MaxArtifactBytes = 64 << 20

// ErrHashMismatch is wrapped by the error for an object whose SHA-256 differs from the one
// in the request.
var ErrHashMismatch = errors.New("sha256 mismatch")

// fetchArtifact reads the object named in req from its JetStream object store bucket and
// checks it against req.SHA256.
func fetchArtifact(ctx context.Context, js jetstream.JetStream, req *RunRequest) ([]byte, error) {
	where := fmt.Sprintf("object %q in bucket %q", req.Object, req.Bucket)
	store, err := js.ObjectStore(ctx, req.Bucket)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: open bucket: %w", where, err)
	}
	obj, err := store.Get(ctx, req.Object)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", where, err)
	}
	defer obj.Close()
	info, err := obj.Info()
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", where, err)
	}
	if info.Size > MaxArtifactBytes {
		return nil, fmt.Errorf("fetch %s: %d bytes, limit %d", where, info.Size, MaxArtifactBytes)
	}
	data, err := io.ReadAll(io.LimitReader(obj, MaxArtifactBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", where, err)
	}
	if len(data) > MaxArtifactBytes {
		return nil, fmt.Errorf("fetch %s: more than %d bytes", where, MaxArtifactBytes)
	}
	if got := SHA256Hex(data); got != strings.ToLower(req.SHA256) {
		return nil, fmt.Errorf("fetch %s: %w: request says %s, object has %s", where, ErrHashMismatch, req.SHA256, got)
	}
	return data, nil
}

// SHA256Hex returns the lowercase hex SHA-256 of data: the content address under which a
// packed tree is stored and the value of [RunRequest].SHA256.
func SHA256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
