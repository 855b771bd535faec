package activities

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"go.temporal.io/sdk/activity"

	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/report"
)

// WriteReport writes front.json, front.csv, front.txt (the table tcdse prints), when code was
// generated points.json with where each tree is and how it did on its board, sweep-result.json
// (the workflow's identity and the sensitivity), and the HTML report with its static plots
// (report.html first among the report files; see package report). It returns the paths
// written.
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
	extra := report.Extra{Name: in.Name, Sensitivity: in.Sensitivity, UnstructuredSensitivity: in.UnstructuredSensitivity}
	if activity.IsActivity(ctx) {
		info := activity.GetInfo(ctx)
		extra.WorkflowID, extra.RunID = info.WorkflowExecution.ID, info.WorkflowExecution.RunID
		extra.UIURL = report.WorkflowURL(report.DefaultUIAddress, info.WorkflowNamespace, extra.WorkflowID, extra.RunID)
	}
	p, err := report.WriteExtra(in.OutDir, extra)
	if err != nil {
		return nil, err
	}
	paths = append(paths, p)
	s, err := report.LoadDir(in.OutDir)
	if err != nil {
		return nil, err
	}
	files, err := report.WriteAll(s)
	if err != nil {
		return nil, err
	}
	return append(paths, files...), nil
}
