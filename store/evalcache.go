package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// evalBucket is the bbolt bucket holding evaluation results.
var evalBucket = []byte("evaluations")

// OpenTimeout is how long OpenEvalCache waits for the file lock held by
// another process before giving up.
const OpenTimeout = 2 * time.Second

// EvalCache is a persistent cache of evaluation results keyed by candidate id.
// Values are stored as JSON. It is safe for concurrent use by multiple
// goroutines; only one process may have a given file open at a time.
type EvalCache struct {
	db   *bolt.DB
	path string
}

// OpenEvalCache opens or creates the bbolt file at path. If another process
// holds the file, it fails after OpenTimeout with an error naming the path.
func OpenEvalCache(path string) (*EvalCache, error) {
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: OpenTimeout})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("open eval cache %s: file is locked by another process (waited %s): %w", path, OpenTimeout, err)
		}
		return nil, fmt.Errorf("open eval cache %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(evalBucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open eval cache %s: create bucket %q: %w", path, evalBucket, err)
	}
	return &EvalCache{db: db, path: path}, nil
}

// Path returns the file the cache was opened from.
func (c *EvalCache) Path() string { return c.path }

// Get decodes the result stored for id into v. It reports found=false, and
// leaves v untouched, when there is no result for id.
func (c *EvalCache) Get(id string, v any) (found bool, err error) {
	if id == "" {
		return false, fmt.Errorf("eval cache %s: get: empty candidate id", c.path)
	}
	var data []byte
	err = c.db.View(func(tx *bolt.Tx) error {
		if raw := tx.Bucket(evalBucket).Get([]byte(id)); raw != nil {
			data = append([]byte(nil), raw...) // raw is only valid inside the transaction
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("eval cache %s: get %q: %w", c.path, id, err)
	}
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("eval cache %s: decode %q: %w", c.path, id, err)
	}
	return true, nil
}

// Put stores v as JSON under id, replacing any earlier result.
func (c *EvalCache) Put(id string, v any) error {
	if id == "" {
		return fmt.Errorf("eval cache %s: put: empty candidate id", c.path)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("eval cache %s: encode %q: %w", c.path, id, err)
	}
	err = c.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(evalBucket).Put([]byte(id), data)
	})
	if err != nil {
		return fmt.Errorf("eval cache %s: put %q: %w", c.path, id, err)
	}
	return nil
}

// Close releases the file and its lock.
func (c *EvalCache) Close() error {
	if err := c.db.Close(); err != nil {
		return fmt.Errorf("close eval cache %s: %w", c.path, err)
	}
	return nil
}
