package hilbench

import (
	"context"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// artifactCache keeps recently fetched packed trees by SHA-256, so a board running the same
// tree again (health jobs, repeated measurements, benchmarks) does not download it again.
// Entries are checked against their hash when fetched, so a hit is as good as a fetch.
type artifactCache struct {
	mu    sync.Mutex
	max   int
	size  int
	order []string // oldest first
	data  map[string][]byte
}

func newArtifactCache(maxBytes int) *artifactCache {
	return &artifactCache{max: maxBytes, data: map[string][]byte{}}
}

// get returns the tree req names, from the cache or fetched and hash-checked.
func (c *artifactCache) get(ctx context.Context, js jetstream.JetStream, req *RunRequest) ([]byte, error) {
	c.mu.Lock()
	data, ok := c.data[req.SHA256]
	c.mu.Unlock()
	if ok {
		return data, nil
	}
	data, err := fetchArtifact(ctx, js, req)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.data[req.SHA256]; !ok && len(data) <= c.max {
		for c.size+len(data) > c.max && len(c.order) > 0 {
			old := c.order[0]
			c.order = c.order[1:]
			c.size -= len(c.data[old])
			delete(c.data, old)
		}
		c.data[req.SHA256] = data
		c.order = append(c.order, req.SHA256)
		c.size += len(data)
	}
	return data, nil
}
