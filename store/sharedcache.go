package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	bolt "go.etcd.io/bbolt"
)

// Cache is what the activities need of an evaluation cache: JSON values by key.
type Cache interface {
	Get(id string, v any) (found bool, err error)
	Put(id string, v any) error
	Delete(id string) error
}

// SharedCache is the evaluation cache every worker shares: a JetStream key-value bucket, with
// the worker's bbolt EvalCache as its local read-through copy. An evaluation done by any
// worker is reused by every worker and every later sweep. Entries name objects in the
// artifact store; callers check those exist before serving an entry and Delete it when they
// do not (see activities), so a wiped store never hands out dangling references.
type SharedCache struct {
	kv     jetstream.KeyValue
	bucket string
	local  *EvalCache
	ctx    context.Context
}

// OpenSharedCache binds to the key-value bucket, creating it when it does not exist, and
// reads through local (which may be nil).
func OpenSharedCache(ctx context.Context, js jetstream.JetStream, bucket string, local *EvalCache) (*SharedCache, error) {
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: bucket, Description: "tcdse evaluation cache (key = candidate cache key)", Storage: jetstream.FileStorage,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open shared cache bucket %q: %w", bucket, err)
	}
	return &SharedCache{kv: kv, bucket: bucket, local: local, ctx: context.WithoutCancel(ctx)}, nil
}

// Get decodes the entry for id into v: from the local copy, else from the shared bucket
// (and then copies it locally).
func (c *SharedCache) Get(id string, v any) (bool, error) {
	if c.local != nil {
		if ok, err := c.local.Get(id, v); ok || err != nil {
			return ok, err
		}
	}
	e, err := c.kv.Get(c.ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("shared cache %s: get %q: %w", c.bucket, id, err)
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return true, fmt.Errorf("shared cache %s: decode %q: %w", c.bucket, id, err)
	}
	if c.local != nil {
		if err := c.local.Put(id, json.RawMessage(e.Value())); err != nil {
			return true, err
		}
	}
	return true, nil
}

// Put stores v under id in the shared bucket and the local copy.
func (c *SharedCache) Put(id string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("shared cache %s: encode %q: %w", c.bucket, id, err)
	}
	if _, err := c.kv.Put(c.ctx, id, data); err != nil {
		return fmt.Errorf("shared cache %s: put %q: %w", c.bucket, id, err)
	}
	if c.local != nil {
		return c.local.Put(id, json.RawMessage(data))
	}
	return nil
}

// Delete removes the entry for id from both.
func (c *SharedCache) Delete(id string) error {
	if err := c.kv.Delete(c.ctx, id); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("shared cache %s: delete %q: %w", c.bucket, id, err)
	}
	if c.local != nil {
		return c.local.Delete(id)
	}
	return nil
}

// Delete removes the result stored for id, if any.
func (c *EvalCache) Delete(id string) error {
	err := c.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(evalBucket).Delete([]byte(id)) })
	if err != nil {
		return fmt.Errorf("eval cache %s: delete %q: %w", c.path, id, err)
	}
	return nil
}
