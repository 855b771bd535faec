package activities

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/tcdse/tcdse/store"
)

// Output is one file of a sweep's results, kept in the artifact store: Path is where it goes
// under the sweep's output directory (slash-separated, relative), Ref is its content. A
// finished sweep lists its outputs by reference; `tcdse results` downloads them with hash
// checks. Nothing a sweep produces is written on a worker's disk.
type Output struct {
	Path string    `json:"path"`
	Ref  store.Ref `json:"ref"`
}

// StoreReportResult lists the stored report files.
type StoreReportResult struct {
	Outputs []Output `json:"outputs"`
}

// StoreReport renders the sweep's report files (everything WriteReport writes: front.json,
// front.csv, front.txt, points.json, sweep-result.json, the HTML report and its plots) in a
// scratch directory inside the worker's own directory, stores each in the artifact store and
// returns their references; the scratch directory is removed. Running it twice stores nothing
// new.
func (a *Activities) StoreReport(ctx context.Context, in ReportInput) (StoreReportResult, error) {
	if err := os.MkdirAll(a.dir(), 0o755); err != nil {
		return StoreReportResult{}, err
	}
	scratch, err := os.MkdirTemp(a.dir(), "report-*")
	if err != nil {
		return StoreReportResult{}, err
	}
	defer os.RemoveAll(scratch)
	in.OutDir = scratch
	paths, err := a.WriteReport(ctx, in)
	if err != nil {
		return StoreReportResult{}, err
	}
	var res StoreReportResult
	for _, p := range paths {
		rel, err := filepath.Rel(scratch, p)
		if err != nil || !filepath.IsLocal(rel) {
			return StoreReportResult{}, fmt.Errorf("report file %s is outside the report directory %s", p, scratch)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return StoreReportResult{}, err
		}
		out, err := a.storeOutput(ctx, filepath.ToSlash(rel), data)
		if err != nil {
			return StoreReportResult{}, err
		}
		res.Outputs = append(res.Outputs, out)
	}
	return res, nil
}

// storeOutput stores data as the output at p.
func (a *Activities) storeOutput(ctx context.Context, p string, data []byte) (Output, error) {
	ref, err := a.Objects.Put(ctx, data)
	if err != nil {
		return Output{}, fmt.Errorf("output %s: %w", p, err)
	}
	return Output{Path: p, Ref: ref}, nil
}

// PointDir is where a point's C tree and model go under the sweep's output directory.
func PointDir(label string) string { return path.Join("points", label) }

// SortOutputs orders outputs by path, for a stable listing.
func SortOutputs(outs []Output) {
	sort.Slice(outs, func(i, j int) bool { return outs[i].Path < outs[j].Path })
}

// DownloadOutputs fetches every output into dir (hash-checked; each file appears whole or not
// at all) and returns the paths written. An output whose path would leave dir is refused.
func DownloadOutputs(ctx context.Context, objs *store.Objects, outs []Output, dir string) ([]string, error) {
	var paths []string
	for _, o := range outs {
		rel := filepath.FromSlash(o.Path)
		if !filepath.IsLocal(rel) {
			return paths, fmt.Errorf("output %q: not a relative path inside the output directory", o.Path)
		}
		p := filepath.Join(dir, rel)
		if err := objs.GetFile(ctx, o.Ref, p); err != nil {
			return paths, fmt.Errorf("output %s: %w", o.Path, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}
