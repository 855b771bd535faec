package hilbench

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tcdse/tcdse/store"
)

// MaxArtifactBytes bounds the size of a packed tree an agent will download.
const MaxArtifactBytes = 64 << 20

// ErrHashMismatch is wrapped by the error for an object whose SHA-256 differs from the one
// in the request.
var ErrHashMismatch = store.ErrHashMismatch

// fetchArtifact reads the object named in req from its JetStream object store bucket and
// checks it against req.SHA256, through the store's one hash-checked fetch.
func fetchArtifact(ctx context.Context, js jetstream.JetStream, req *RunRequest) ([]byte, error) {
	return store.FetchFrom(ctx, js, req.Bucket, req.Object, req.SHA256, MaxArtifactBytes)
}

// SHA256Hex returns the lowercase hex SHA-256 of data: the content address under which a
// packed tree is stored and the value of [RunRequest].SHA256.
func SHA256Hex(data []byte) string { return store.Key(data) }
