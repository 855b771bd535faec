package activities

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/tcdse/tcdse/pareto"
)

// WriteReport writes front.json, front.csv, front.txt (the table tcdse prints) and, when code
// was generated, points.json with where each tree is and how it did on its board. It returns
// the paths written.
func (a *Activities) WriteReport(ctx context.Context, in ReportInput) ([]string, error) {
	if err := os.MkdirAll(in.OutDir, 0o755); err != nil {
		return nil, err
	}
	paths, err := pareto.SaveFiles(in.OutDir, in.Report)
	if err != nil {
		return nil, err
	}
	table, err := os.Create(filepath.Join(in.OutDir, "front.txt"))
	if err != nil {
		return nil, err
	}
	if err := pareto.WriteTable(table, in.Report); err != nil {
		table.Close()
		return nil, err
	}
	if err := table.Close(); err != nil {
		return nil, err
	}
	paths = append(paths, table.Name())
	if len(in.Code) > 0 {
		data, err := json.MarshalIndent(struct {
			Code   any `json:"code"`
			Boards any `json:"boards"`
		}{in.Code, in.Boards}, "", "  ")
		if err != nil {
			return nil, err
		}
		p := filepath.Join(in.OutDir, "points.json")
		if err := os.WriteFile(p, append(data, '\n'), 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
