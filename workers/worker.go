package workers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

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

// CacheBucket is the JetStream key-value bucket every worker shares its evaluations (and
// generated code and board verdicts) through; each worker's bbolt file is a local copy.
const CacheBucket = "tcdse-cache"

// Config says where a worker finds Temporal and NATS and where it keeps its cache.
type Config struct {
	Client  client.Client // connected Temporal client
	NATS    *nats.Conn    // connected NATS client
	DataDir string        // the local copy of the shared cache lives in DataDir/evalcache-<Name>.db
	Name    string        // worker name, unique per process on a host (default "worker")
	// MaxConcurrentActivities bounds the evaluations (and, separately, the code generations)
	// this worker runs at once (default: the number of CPUs for eval, 2 for codegen).
	MaxConcurrentActivities int
	// Roles are the task queues served (activities.Roles; default all of them).
	Roles []string
}

// boardConcurrency is how many board runs a worker dispatches at once: they wait on agents.
const boardConcurrency = 8

// Worker is a running tcdse worker.
type Worker struct {
	ws      []worker.Worker
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
	if len(cfg.Roles) == 0 {
		cfg.Roles = activities.Roles
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
	shared, err := store.OpenSharedCache(ctx, js, CacheBucket, cache)
	if err != nil {
		cache.Close()
		return nil, err
	}
	farm, err := hilbench.OpenFarm(ctx, cfg.NATS, hilbench.FarmConfig{})
	if err != nil {
		cache.Close()
		return nil, fmt.Errorf("workers: %w", err)
	}
	// The work directory is absolute: Import resolves a spec's fetched inputs against it, and
	// a relative one would be taken relative to the spec's base_dir.
	workDir, err := filepath.Abs(filepath.Join(cfg.DataDir, "work-"+cfg.Name))
	if err != nil {
		cache.Close()
		return nil, fmt.Errorf("workers: work directory: %w", err)
	}
	acts := &activities.Activities{Objects: objects, Cache: shared, HIL: farm, Dir: workDir}
	out := &Worker{cache: cache, objects: objects}
	for _, role := range cfg.Roles {
		opts := worker.Options{
			Identity:                           fmt.Sprintf("%s@%d/%s", cfg.Name, os.Getpid(), role),
			MaxConcurrentActivityExecutionSize: concurrency(role, cfg.MaxConcurrentActivities),
		}
		w := worker.New(cfg.Client, activities.TaskQueue(role), opts)
		if role == activities.RoleWorkflow {
			// Activities of sweeps started before routing by role are scheduled here too.
			Register(w, acts)
		} else {
			w.RegisterActivity(acts)
		}
		if err := w.Start(); err != nil {
			out.Stop()
			return nil, fmt.Errorf("workers: starting the %s worker on task queue %s: %w", role, activities.TaskQueue(role), err)
		}
		out.ws = append(out.ws, w)
	}
	return out, nil
}

// concurrency is how many activities a role's worker runs at once.
func concurrency(role string, n int) int {
	switch {
	case role == activities.RoleBoard:
		return boardConcurrency
	case n > 0:
		return n
	case role == activities.RoleEval || role == activities.RoleWorkflow:
		return runtime.NumCPU()
	default:
		return 2
	}
}

// Register adds tcdse's workflows and the given activities to a worker (or a test
// environment: anything with the two Register methods).
func Register(w interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
	RegisterActivity(any)
}, acts *activities.Activities) {
	w.RegisterWorkflowWithOptions(workflows.Sweep, workflow.RegisterOptions{Name: "Sweep"})
	w.RegisterWorkflowWithOptions(workflows.Campaign, workflow.RegisterOptions{Name: "Campaign"})
	w.RegisterActivity(acts)
}

// Stop stops polling, waits for running activities to give up, and closes the cache.
func (w *Worker) Stop() {
	for _, x := range w.ws {
		x.Stop()
	}
	w.cache.Close()
}
