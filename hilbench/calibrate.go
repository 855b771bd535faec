package hilbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// ModelsBucket keeps the cost model fitted to each board class's measurements (key: the
// class), so that later sweeps and `tcdse calibrate --from-farm` start from it.
const ModelsBucket = "tcdse-farm-models"

// TreeMeasurement turns a measured tree into a cost-model measurement: it reads the tree's
// graph ([ModelFile]) and manifest, plans the code as the generator did, and takes the
// parameter counts of its estimate on target under prior, with cycles as the measured value.
func TreeMeasurement(tree []byte, label string, cycles float64, prior tc3xx.CostModel, target tc3xx.Target) (tc3xx.Measurement, error) {
	g, man, err := treeGraph(tree)
	if err != nil {
		return tc3xx.Measurement{}, fmt.Errorf("measurement %s: %w", label, err)
	}
	plan, err := codegen.PlanGraph(g, codegen.Options{Prefix: man.Prefix, Format: man.Format})
	if err != nil {
		return tc3xx.Measurement{}, fmt.Errorf("measurement %s: %w", label, err)
	}
	cost, err := tc3xx.EstimateWith(prior, g, plan, target)
	if err != nil {
		return tc3xx.Measurement{}, fmt.Errorf("measurement %s: %w", label, err)
	}
	counts, fixed := cost.Counts()
	return tc3xx.Measurement{Label: label, Counts: counts, Fixed: fixed, Cycles: cycles}, nil
}

// treeGraph unpacks a tree into a temporary directory and reads its graph and manifest.
func treeGraph(tree []byte) (*model.Graph, *simManifest, error) {
	dir, err := os.MkdirTemp("", "tcdse-tree-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	if err := Unpack(tree, dir); err != nil {
		return nil, nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, nil, err
	}
	var man simManifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return nil, nil, fmt.Errorf("manifest.json: %w", err)
	}
	g, err := model.LoadFile(filepath.Join(dir, ModelFile))
	if err != nil {
		return nil, nil, fmt.Errorf("the tree has no usable %s: %w", ModelFile, err)
	}
	return g, &man, nil
}

// Measurements turns the class's recent passing results with a cycle count (at most last of
// them; the latest result per tree) into cost-model measurements on target under prior,
// fetching each tree from the artifact store. Results whose tree is gone or has no graph are
// skipped and counted.
func (f *Farm) Measurements(ctx context.Context, class string, last int, prior tc3xx.CostModel, target tc3xx.Target) ([]tc3xx.Measurement, int, error) {
	results, err := f.RecentResults(ctx, last)
	if err != nil {
		return nil, 0, err
	}
	latest := map[string]RunResult{}
	var order []string
	for _, r := range results {
		if r.Class != class || r.Error != "" || !r.Pass || r.CyclesPerInference <= 0 || r.Object == "" {
			continue
		}
		if _, seen := latest[r.Object]; !seen {
			order = append(order, r.Object)
		}
		latest[r.Object] = r
	}
	var out []tc3xx.Measurement
	skipped := 0
	for _, obj := range order {
		r := latest[obj]
		tree, err := fetchArtifact(ctx, f.st.js, &RunRequest{Bucket: r.Bucket, Object: r.Object, SHA256: r.Object})
		if err != nil {
			skipped++
			continue
		}
		label := r.Label
		if label == "" {
			label = r.JobID
		}
		m, err := TreeMeasurement(tree, label, r.CyclesPerInference, prior, target)
		if err != nil {
			skipped++
			continue
		}
		out = append(out, m)
	}
	return out, skipped, nil
}

// StoreModel keeps m as the fitted cost model of class.
func (f *Farm) StoreModel(ctx context.Context, class string, m tc3xx.CostModel) error {
	kv, err := openKV(ctx, f.st.js, jetstream.KeyValueConfig{Bucket: ModelsBucket, Description: "tcdse cost models fitted per board class", Storage: jetstream.FileStorage, History: 16})
	if err != nil {
		return err
	}
	data, err := m.MarshalIndent()
	if err != nil {
		return err
	}
	if _, err := kv.Put(ctx, class, data); err != nil {
		return fmt.Errorf("farm: store the cost model of class %s: %w", class, err)
	}
	return nil
}

// Model returns the fitted cost model stored for class, or false when there is none.
func (f *Farm) Model(ctx context.Context, class string) (tc3xx.CostModel, bool, error) {
	kv, err := f.st.js.KeyValue(ctx, ModelsBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return tc3xx.CostModel{}, false, nil
	}
	if err != nil {
		return tc3xx.CostModel{}, false, err
	}
	e, err := kv.Get(ctx, class)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return tc3xx.CostModel{}, false, nil
	}
	if err != nil {
		return tc3xx.CostModel{}, false, err
	}
	m, err := tc3xx.ParseCostModel(e.Value(), ModelsBucket+"/"+class)
	if err != nil {
		return tc3xx.CostModel{}, false, err
	}
	return m, true, nil
}
