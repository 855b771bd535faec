package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"sort"

	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/pareto"
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

// StoreReport stores front.json, front.csv, front.txt (the table tcdse prints) and, when code
// was generated, points.json (where each tree is and how it did on its board) in the artifact
// store, and returns their references. Running it twice stores nothing new.
func (a *Activities) StoreReport(ctx context.Context, in ReportInput) (StoreReportResult, error) {
	files, err := ReportFiles(in.Report, in.Code, in.Boards)
	if err != nil {
		return StoreReportResult{}, err
	}
	var res StoreReportResult
	for _, f := range files {
		out, err := a.storeOutput(ctx, f.Path, f.Data)
		if err != nil {
			return StoreReportResult{}, err
		}
		res.Outputs = append(res.Outputs, out)
	}
	return res, nil
}

// OutputFile is an output's path and content before it is stored.
type OutputFile struct {
	Path string
	Data []byte
}

// ReportFiles renders a sweep's report files: front.json (the whole report), front.csv (the
// front), front.txt (the table) and, with code, points.json.
func ReportFiles(r pareto.Report, code []GenerateResult, boards []hilbench.RunResult) ([]OutputFile, error) {
	var js, cs, tx bytes.Buffer
	if err := pareto.WriteJSON(&js, r); err != nil {
		return nil, err
	}
	if err := pareto.WriteCSV(&cs, r.Front); err != nil {
		return nil, err
	}
	if err := pareto.WriteTable(&tx, r); err != nil {
		return nil, err
	}
	files := []OutputFile{{"front.json", js.Bytes()}, {"front.csv", cs.Bytes()}, {"front.txt", tx.Bytes()}}
	if len(code) > 0 {
		data, err := json.MarshalIndent(struct {
			Code   any `json:"code"`
			Boards any `json:"boards"`
		}{code, boards}, "", "  ")
		if err != nil {
			return nil, err
		}
		files = append(files, OutputFile{"points.json", append(data, '\n')})
	}
	return files, nil
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
