package hilbench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Farm streams, buckets and subjects. See the package documentation, section "Farm".
const (
	// JobsStream is the work-queue stream holding queued board jobs.
	JobsStream = "TCDSE_FARM_JOBS"
	// ResultsStream keeps every result (and every refused late result): the record of every
	// measurement.
	ResultsStream = "TCDSE_FARM_RESULTS"
	// BoardsBucket is the key-value bucket of the board registry ("board.<name>") and of
	// the operators' controls ("control.<name>").
	BoardsBucket = "tcdse-farm-boards"
	// LeasesBucket holds one lease per job ("lease.<job>"); its revision is the fencing token.
	LeasesBucket = "tcdse-farm-leases"

	jobSubjectPrefix     = "tcdse.farm.jobs."
	resultSubjectPrefix  = "tcdse.farm.results."
	refusedSubjectPrefix = "tcdse.farm.refused."
	wakeSubjectPrefix    = "tcdse.farm.wake."
)

// Priority orders jobs of one class: every queued interactive job is handed out before any
// batch job; within one priority jobs go first in, first out.
type Priority string

// The priorities, highest first.
const (
	Interactive Priority = "interactive"
	Batch       Priority = "batch"
)

// Priorities lists the priorities from highest to lowest.
var Priorities = []Priority{Interactive, Batch}

// ParsePriority accepts "interactive", "batch" and "" (batch).
func ParsePriority(s string) (Priority, error) {
	switch Priority(s) {
	case "", Batch:
		return Batch, nil
	case Interactive:
		return Interactive, nil
	}
	return "", fmt.Errorf("priority %q: want %q or %q", s, Interactive, Batch)
}

// JobSubject is the subject on which jobs for class at priority p are queued.
func JobSubject(class string, p Priority) string { return jobSubjectPrefix + class + "." + string(p) }

// ResultSubject is the subject of the result of job in [ResultsStream].
func ResultSubject(job string) string { return resultSubjectPrefix + job }

// RefusedSubject is the subject of a refused late result of job in [ResultsStream].
func RefusedSubject(job string) string { return refusedSubjectPrefix + job }

// wakeSubject is the core (not stored) subject a submitter rings after queueing a job for
// class, so idle agents fetch at once instead of at their next poll.
func wakeSubject(class string) string { return wakeSubjectPrefix + class }

// consumerName is the durable pull consumer shared by every agent of class for priority p.
func consumerName(class string, p Priority) string { return "jobs_" + class + "_" + string(p) }

// FarmConfig tunes the farm's streams and consumers. The zero value means the defaults.
type FarmConfig struct {
	// Lease is how long a job stays with an agent that stops acknowledging progress before it
	// is handed to another agent (the consumers' AckWait and the lease's lifetime); 0 means
	// [DefaultLease].
	Lease time.Duration
	// MaxDeliver is how often a job is handed out before an agent records its last failure as
	// the result; 0 means [DefaultMaxDeliver].
	MaxDeliver int
	// Dedup is the window in which a job id (Nats-Msg-Id) is queued and a result recorded at
	// most once; 0 means [DefaultDedup].
	Dedup time.Duration
}

// Defaults of [FarmConfig].
const (
	DefaultLease      = 10 * time.Second
	DefaultMaxDeliver = 5
	DefaultDedup      = time.Hour
)

func (c FarmConfig) withDefaults() FarmConfig {
	if c.Lease <= 0 {
		c.Lease = DefaultLease
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if c.Dedup <= 0 {
		c.Dedup = DefaultDedup
	}
	return c
}

// farmStores are the farm's JetStream handles.
type farmStores struct {
	js      jetstream.JetStream
	jobs    jetstream.Stream
	results jetstream.Stream
	boards  jetstream.KeyValue
	leases  jetstream.KeyValue
}

// openFarm creates (or binds to) the farm's streams and buckets. It is idempotent and safe
// to call from every agent and submitter.
func openFarm(ctx context.Context, js jetstream.JetStream, cfg FarmConfig) (*farmStores, error) {
	cfg = cfg.withDefaults()
	jobs, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        JobsStream,
		Description: "tcdse board jobs, one subject per board class and priority",
		Subjects:    []string{jobSubjectPrefix + ">"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Duplicates:  cfg.Dedup,
	})
	if err != nil {
		return nil, fmt.Errorf("farm: stream %s: %w", JobsStream, err)
	}
	results, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        ResultsStream,
		Description: "tcdse board results (kept) and refused late results",
		Subjects:    []string{resultSubjectPrefix + ">", refusedSubjectPrefix + ">"},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Duplicates:  cfg.Dedup,
		AllowDirect: true, // result look-ups bypass the JetStream API queue
	})
	if err != nil {
		return nil, fmt.Errorf("farm: stream %s: %w", ResultsStream, err)
	}
	boards, err := openKV(ctx, js, jetstream.KeyValueConfig{Bucket: BoardsBucket, Description: "tcdse board registry and controls", Storage: jetstream.FileStorage})
	if err != nil {
		return nil, err
	}
	leases, err := openKV(ctx, js, jetstream.KeyValueConfig{Bucket: LeasesBucket, Description: "tcdse job leases (revision = fencing token)",
		Storage: jetstream.FileStorage, TTL: 7 * 24 * time.Hour})
	if err != nil {
		return nil, err
	}
	return &farmStores{js: js, jobs: jobs, results: results, boards: boards, leases: leases}, nil
}

func openKV(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, cfg.Bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("farm: key-value bucket %s: %w", cfg.Bucket, err)
	}
	return kv, nil
}

// ensureConsumers creates the durable pull consumers of class, one per priority.
func (f *farmStores) ensureConsumers(ctx context.Context, class string, cfg FarmConfig) (map[Priority]jetstream.Consumer, error) {
	cfg = cfg.withDefaults()
	out := map[Priority]jetstream.Consumer{}
	for _, p := range Priorities {
		c, err := f.jobs.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
			Durable:       consumerName(class, p),
			Description:   fmt.Sprintf("%s jobs for board class %s", p, class),
			FilterSubject: JobSubject(class, p),
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       cfg.Lease,
			MaxDeliver:    -1, // agents count deliveries themselves and record the last failure
			MaxAckPending: -1,
		})
		if err != nil {
			return nil, fmt.Errorf("farm: consumer %s: %w", consumerName(class, p), err)
		}
		out[p] = c
	}
	return out, nil
}

// validToken reports whether s can be one token of a subject or a key: letters, digits,
// '-' and '_'.
func validToken(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	})
}
