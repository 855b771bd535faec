package hilbench

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// journalBucket holds finished measurements whose job is not yet acknowledged.
var journalBucket = []byte("pending")

// journalEntry is a finished measurement waiting for its result to be published and its job
// acknowledged.
type journalEntry struct {
	Result RunResult `json:"result"`
	// Token is the lease revision the agent held when it finished measuring.
	Token uint64 `json:"token"`
}

// journal is an agent's bbolt file of finished, unacknowledged measurements: a crash between
// measuring and acknowledging loses nothing and runs nothing again, because the next start
// records what the journal holds.
type journal struct{ db *bolt.DB }

func openJournal(path string) (*journal, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: flushTimeout})
	if err != nil {
		return nil, fmt.Errorf("agent journal %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(journalBucket)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("agent journal %s: %w", path, err)
	}
	return &journal{db: db}, nil
}

func (j *journal) put(e journalEntry) error {
	data, err := json.Marshal(&e)
	if err != nil {
		return err
	}
	return j.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(journalBucket).Put([]byte(e.Result.JobID), data) })
}

func (j *journal) remove(job string) error {
	return j.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(journalBucket).Delete([]byte(job)) })
}

func (j *journal) entries() ([]journalEntry, error) {
	var out []journalEntry
	err := j.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(journalBucket).ForEach(func(k, v []byte) error {
			var e journalEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("entry %q: %w", k, err)
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

func (j *journal) close() error { return j.db.Close() }
