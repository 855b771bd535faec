package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tcdse/tcdse/report"
	"github.com/tcdse/tcdse/workflows"
)

func newReportCmd(g *globalFlags) *cobra.Command {
	var out string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "report RESULTS_DIR|WORKFLOW_ID",
		Short: "Build a sweep's HTML report and plots from its results directory or its workflow",
		Long: `report (re)builds report.html (one self-contained file: open it in a browser, mail it) and
the static plots (plots/*.svg, *.png) of a sweep. RESULTS_DIR is the directory the sweep wrote
(its "out", with front.json and points.json); a WORKFLOW_ID is a finished Sweep workflow on the
Temporal server at --temporal, whose result is fetched. The report is written into --out, by
default the results directory (for a workflow: the directory its outputs went to).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadSweep(cmd, g, args[0], g.ui)
			if err != nil {
				return err
			}
			if out != "" {
				s.Dir = out
			}
			paths, err := report.WriteAll(s)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Files []string `json:"files"`
					UIURL string   `json:"ui_url,omitempty"`
				}{paths, s.UIURL})
			}
			for _, p := range paths {
				fmt.Fprintln(cmd.OutOrStdout(), relPath(p))
			}
			if s.UIURL != "" {
				fmt.Fprintln(cmd.OutOrStdout(), "workflow:", s.UIURL)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory to write the report into (default: the results directory)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the files written as JSON")
	return cmd
}

// loadSweep reads a results directory, or fetches a finished workflow's result when arg is not
// a directory.
func loadSweep(cmd *cobra.Command, g *globalFlags, arg, ui string) (report.Sweep, error) {
	if fi, err := os.Stat(arg); err == nil && fi.IsDir() {
		s, err := report.LoadDir(arg)
		if err == nil && s.UIURL == "" && s.WorkflowID != "" {
			s.UIURL = report.WorkflowURL(ui, g.namespace, s.WorkflowID, s.RunID)
		}
		return s, err
	}
	c, err := g.dialTemporal(cmd.Context(), g.temporal)
	if err != nil {
		return report.Sweep{}, fmt.Errorf("%s is not a directory, so it was taken for a workflow id: %w", arg, err)
	}
	defer c.Close()
	run := c.GetWorkflow(cmd.Context(), arg, "")
	var res workflows.SweepResult
	if err := run.Get(cmd.Context(), &res); err != nil {
		return report.Sweep{}, fmt.Errorf("workflow %s: %w", arg, err)
	}
	s := sweepOfResult(&res)
	s.WorkflowID, s.RunID = arg, run.GetRunID()
	s.UIURL = report.WorkflowURL(ui, g.namespace, s.WorkflowID, s.RunID)
	return s, nil
}

// sweepOfResult is the report's view of a finished sweep's result; its directory is where the
// sweep wrote front.json.
func sweepOfResult(res *workflows.SweepResult) report.Sweep {
	s := report.Sweep{Report: res.Report}
	s.Name, s.Sensitivity, s.UnstructuredSensitivity = res.Name, res.Sensitivity, res.UnstructuredSensitivity
	for _, f := range res.Files {
		if filepath.Base(f) == report.FrontFile {
			s.Dir = filepath.Dir(f)
		}
	}
	for _, c := range res.Code {
		s.Code = append(s.Code, report.CodeTree{Label: c.Label, Dir: c.Dir, ArenaBytes: c.ArenaBytes, WeightBytes: c.WeightBytes, Files: c.Files})
	}
	for _, b := range res.Boards {
		s.Boards = append(s.Boards, report.BoardRun{
			Board: b.Board, Agent: b.Agent, Built: b.Built, Pass: b.Pass, MaxRelErr: b.MaxRelErr, NsPerInference: b.NsPerInference,
			CyclesPerInference: b.CyclesPerInference, CycleUnit: b.CycleUnit, Error: b.Error,
		})
	}
	return s
}
