package activities

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/store"
)

// Activities carries what the sweep's activities need. Register a *Activities with a worker;
// its exported methods are the activities.
type Activities struct {
	Objects *store.Objects
	Cache   store.Cache // nil: no cache
	HIL     *hilbench.Farm
	// Dir is the worker's own cache directory: the only place activities write files (copies
	// of stored inputs). Empty means a tcdse directory under the system's temporary directory.
	Dir string

	mu       sync.Mutex
	graphs   map[string]*model.Graph // decoded models by object key, read-only once stored
	datasets map[string]*dataset.Dataset
}

// maxDecoded bounds how many decoded models and datasets a worker keeps in memory.
const maxDecoded = 64

// graph returns the decoded model for a reference. The returned graph is shared: callers must
// Clone before changing it.
func (a *Activities) graph(ctx context.Context, ref store.Ref) (*model.Graph, error) {
	a.mu.Lock()
	g, ok := a.graphs[ref.Key]
	a.mu.Unlock()
	if ok {
		return g, nil
	}
	data, err := a.Objects.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	g, err = model.Load(data)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("model %s: %v", ref.Key, err), "BadModel", err)
	}
	a.mu.Lock()
	if a.graphs == nil || len(a.graphs) >= maxDecoded {
		a.graphs = make(map[string]*model.Graph)
	}
	a.graphs[ref.Key] = g
	a.mu.Unlock()
	return g, nil
}

// data returns the decoded dataset for a reference (shared, read-only).
func (a *Activities) data(ctx context.Context, ref store.Ref) (*dataset.Dataset, error) {
	a.mu.Lock()
	d, ok := a.datasets[ref.Key]
	a.mu.Unlock()
	if ok {
		return d, nil
	}
	raw, err := a.Objects.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	d, err = dataset.UnmarshalDataset(raw)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("dataset %s: %v", ref.Key, err), "BadData", err)
	}
	a.mu.Lock()
	if a.datasets == nil || len(a.datasets) >= maxDecoded/8 {
		a.datasets = make(map[string]*dataset.Dataset)
	}
	a.datasets[ref.Key] = d
	a.mu.Unlock()
	return d, nil
}

// heartbeatEvery is how often long activities tell Temporal they are alive.
const heartbeatEvery = 2 * time.Second

// keepAlive heartbeats in the background until the returned stop function is called, so that
// CPU-bound work (evaluation, gcc) is not mistaken for a dead worker, and a dead worker is
// noticed within the heartbeat timeout.
func keepAlive(ctx context.Context, details ...any) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx, details...)
			}
		}
	}()
	return func() { close(done) }
}

// badInput marks an error caused by the user's input, which no retry can fix.
func badInput(kind string, err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), kind, err)
}
