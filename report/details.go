package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// Detail is what the page shows of a point that got code: where its cycles and bytes go, layer
// by layer, where it is placed, how it did on a board and which files to take.
type Detail struct {
	Label string `json:"label"`
	// Dir is the tree's directory relative to the results directory (or absolute when it is
	// elsewhere).
	Dir    string `json:"dir"`
	Format string `json:"format,omitempty"`
	// WeightsMemory and ArenaMemory are the generated code's default placement.
	WeightsMemory string            `json:"weights_memory,omitempty"`
	ArenaMemory   string            `json:"arena_memory,omitempty"`
	Memories      []tc3xx.MemoryUse `json:"memories,omitempty"`
	Layers        []Layer           `json:"layers,omitempty"`
	// Cycles is the sum of the layers' cycles under the target's built-in cost model; a sweep
	// with a calibrated cost model priced the point differently.
	Cycles      int64     `json:"cycles,omitempty"`
	WeightBytes int64     `json:"weight_bytes,omitempty"`
	CodeBytes   int64     `json:"code_bytes,omitempty"`
	ArenaBytes  int64     `json:"arena_bytes,omitempty"`
	IOBytes     int64     `json:"io_bytes,omitempty"`
	Files       []File    `json:"files,omitempty"`
	Board       *BoardRun `json:"board,omitempty"`
	// Note says why parts are missing (e.g. the tree was moved or its model is absent).
	Note string `json:"note,omitempty"`
}

// Layer is one node of the generated code: its cycles by cause (tc3xx.LayerCost, without the
// per-parameter counts), its weight bytes (ROM) and output bytes (RAM), its weight format and
// sparsity.
type Layer struct {
	tc3xx.LayerCost
	Op          string `json:"op"`
	WeightBytes int    `json:"weight_bytes"`
	OutBytes    int    `json:"out_bytes"`
	// Fused names the layer this one's work is done in (no code of its own).
	Fused    string  `json:"fused,omitempty"`
	Weights  int     `json:"weights,omitempty"`
	Sparsity float64 `json:"sparsity,omitempty"`
}

// File is one file of a tree, with its path relative to the results directory.
type File struct {
	Name  string `json:"name"`
	Href  string `json:"href"`
	Bytes int64  `json:"bytes"`
}

// manifest is the part of a tree's manifest.json the report reads.
type manifest struct {
	Format        string `json:"format"`
	WeightsMemory string `json:"weights_memory"`
	ArenaMemory   string `json:"arena_memory"`
}

// treeDir finds a tree: where points.json says, or under the results directory's points/ when
// the directory was moved.
func treeDir(resultsDir string, t CodeTree) string {
	if fi, err := os.Stat(t.Dir); err == nil && fi.IsDir() {
		return t.Dir
	}
	return filepath.Join(resultsDir, "points", t.Label)
}

// DetailOf reads a point's tree in dir and prices its own model (model.tcdse) layer by layer on
// target with the built-in cost model. What cannot be read is said in Note; only a bad target
// is an error.
func DetailOf(resultsDir, dir, label, target string) (Detail, error) {
	d := Detail{Label: label, Dir: relTo(resultsDir, dir)}
	entries, err := os.ReadDir(dir)
	if err != nil {
		d.Note = fmt.Sprintf("tree %s not found", dir)
		return d, nil
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		d.Files = append(d.Files, File{Name: e.Name(), Href: relTo(resultsDir, filepath.Join(dir, e.Name())), Bytes: info.Size()})
	}
	var man manifest
	if data, err := os.ReadFile(filepath.Join(dir, "manifest.json")); err == nil {
		_ = json.Unmarshal(data, &man)
	}
	d.Format, d.WeightsMemory, d.ArenaMemory = man.Format, man.WeightsMemory, man.ArenaMemory
	t, err := tc3xx.Lookup(target)
	if err != nil {
		return d, fmt.Errorf("report: target %q: %w", target, err)
	}
	g, err := model.LoadFile(filepath.Join(dir, "model.tcdse"))
	if err != nil {
		d.Note = fmt.Sprintf("no per-layer costs: %v", err)
		return d, nil
	}
	plan, err := codegen.PlanGraph(g, codegen.Options{Format: man.Format})
	if err != nil {
		d.Note = fmt.Sprintf("no per-layer costs: planning %s: %v", label, err)
		return d, nil
	}
	cost, err := tc3xx.Estimate(g, plan, t)
	if err != nil {
		d.Note = fmt.Sprintf("no per-layer costs: %v", err)
		return d, nil
	}
	sp := map[string]explore.LayerSparsity{}
	for _, s := range explore.SparsityByLayer(g) {
		sp[s.Layer] = s
	}
	d.Memories, d.Cycles = cost.Memories, cost.Cycles
	d.WeightBytes, d.CodeBytes, d.ArenaBytes, d.IOBytes = cost.WeightBytes, cost.CodeBytes, cost.ArenaBytes, cost.IOBytes
	for i, lc := range cost.Layers {
		lp := plan.Layers[i]
		lc.Counts, lc.Fixed = nil, 0 // the page shows causes, not the cost model's parameters
		l := Layer{LayerCost: lc, Op: lp.Op, WeightBytes: lp.WeightBytes, OutBytes: lp.OutBytes, Fused: lp.FusedInto}
		if s, ok := sp[lc.Node]; ok {
			l.Weights, l.Sparsity = s.Weights, s.Sparsity
		}
		d.Layers = append(d.Layers, l)
	}
	return d, nil
}

// relTo returns p relative to base when it lies inside it, else p.
func relTo(base, p string) string {
	if base == "" {
		return p
	}
	ab, err1 := filepath.Abs(base)
	ap, err2 := filepath.Abs(p)
	if err1 != nil || err2 != nil {
		return p
	}
	r, err := filepath.Rel(ab, ap)
	if err != nil || r == ".." || len(r) >= 3 && r[:3] == ".."+string(filepath.Separator) {
		return p
	}
	return filepath.ToSlash(r)
}

// sortedLayers returns the keys of m sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
