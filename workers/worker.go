package workers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/store"
	"github.com/tcdse/tcdse/workflows"
)

// ArtifactBucket is the JetStream object store bucket that holds models, datasets and code.
const ArtifactBucket = "tcdse-artifacts"

// Config says where a worker finds Temporal and NATS and where it keeps its cache.
type Config struct {
	Client  client.Client // connected Temporal client
	NATS    *nats.Conn    // connected NATS client
	DataDir string        // the evaluation cache lives in DataDir/evalcache-<Name>.db
	Name    string        // worker name, unique per process on a host (default "worker")
	// MaxConcurrentActivities bounds the activities this worker runs at once (default: 2).
	MaxConcurrentActivities int
}

// Worker is a running tcdse worker.
type Worker struct {
	w       worker.Worker
	cache   *store.EvalCache
	objects *store.Objects
}

// Objects is the artifact store the worker reads and writes.
func (w *Worker) Objects() *store.Objects { return w.objects }

// Start registers the Sweep workflow and the activities and starts polling. Stop it with Stop.
func Start(ctx context.Context, cfg Config) (*Worker, error) {
	if cfg.Client == nil || cfg.NATS == nil {
		return nil, fmt.Errorf("workers: a Temporal client and a NATS connection are required")
	}
	if cfg.Name == "" {
		cfg.Name = "worker"
	}
	if cfg.MaxConcurrentActivities <= 0 {
		cfg.MaxConcurrentActivities = 2
	}
	js, err := jetstream.New(cfg.NATS)
	if err != nil {
		return nil, fmt.Errorf("workers: JetStream: %w", err)
	}
	objects, err := store.OpenObjects(ctx, js, ArtifactBucket)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, err
	}
	cache, err := store.OpenEvalCache(filepath.Join(cfg.DataDir, "evalcache-"+cfg.Name+".db"))
	if err != nil {
		return nil, err
	}
	w := worker.New(cfg.Client, workflows.TaskQueue, worker.Options{
		MaxConcurrentActivityExecutionSize: cfg.MaxConcurrentActivities,
		Identity:                           fmt.Sprintf("%s@%d", cfg.Name, os.Getpid()),
	})
	Register(w, &activities.Activities{Objects: objects, Cache: cache, HIL: hilbench.NewClient(cfg.NATS), Dir: filepath.Join(cfg.DataDir, "work-"+cfg.Name)})
	if err := w.Start(); err != nil {
		cache.Close()
		return nil, fmt.Errorf("workers: starting the Temporal worker: %w", err)
	}
	return &Worker{w: w, cache: cache, objects: objects}, nil
}

// Register adds tcdse's workflows and the given activities to a worker (or a test
// environment: anything with the two Register methods).
func Register(w interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
	RegisterActivity(any)
}, acts *activities.Activities) {
	w.RegisterWorkflowWithOptions(workflows.Sweep, workflow.RegisterOptions{Name: "Sweep"})
	w.RegisterActivity(acts)
}

// Stop stops polling, waits for running activities to give up, and closes the cache.
func (w *Worker) Stop() {
	w.w.Stop()
	w.cache.Close()
}
