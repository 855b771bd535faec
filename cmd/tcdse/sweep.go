package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/report"
	"github.com/tcdse/tcdse/workflows"
)

func newSweepCmd(g *globalFlags) *cobra.Command {
	var id string
	var detach bool
	cmd := &cobra.Command{
		Use:   "sweep SPEC.yaml",
		Short: "Submit a sweep to a running tcdse (see 'tcdse up') and follow it to its Pareto front",
		Long: `sweep validates the spec (docs/sweep-spec.md), starts a Sweep workflow on the "tcdse" task
queue, shows its progress, and prints the Pareto front and where the outputs are. Relative file
names in the spec are taken relative to the spec file.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := loadSpecForSubmit(args[0])
			if err != nil {
				return err
			}
			c, err := g.dialTemporal(cmd.Context(), g.temporal)
			if err != nil {
				return err
			}
			defer c.Close()
			run, err := submit(cmd.Context(), c, spec, id)
			if err != nil {
				return err
			}
			if detach {
				fmt.Printf("started workflow %s (run %s)\n", run.GetID(), run.GetRunID())
				return nil
			}
			return follow(cmd.Context(), g, c, run)
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "workflow id (default sweep-NAME-TIME)")
	cmd.Flags().BoolVar(&detach, "detach", false, "start the sweep and return without following it")
	cmd.Flags().BoolVar(&g.json, "json", false, "print the sweep's result as JSON instead of the front table")
	return cmd
}

// submit starts the Sweep workflow.
func submit(ctx context.Context, c client.Client, spec explore.SweepSpec, id string) (client.WorkflowRun, error) {
	spec = spec.WithDefaults()
	if id == "" {
		id = fmt.Sprintf("sweep-%s-%s", spec.Name, time.Now().UTC().Format("20060102-150405"))
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue}, "Sweep", spec)
	if err != nil {
		return nil, fmt.Errorf("starting the sweep: %w", err)
	}
	return run, nil
}

// follow shows the sweep's progress until it ends, then prints the front.
func follow(ctx context.Context, g *globalFlags, c client.Client, run client.WorkflowRun) error {
	fmt.Fprintf(os.Stderr, "sweep %s started (run %s)\n", run.GetID(), run.GetRunID())
	if u := report.WorkflowURL(g.ui, g.namespace, run.GetID(), run.GetRunID()); u != "" {
		fmt.Fprintf(os.Stderr, "follow it in the Temporal Web UI: %s\n", u)
	}
	bar := newProgressBar(os.Stderr)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(300 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				v, err := c.QueryWorkflow(qctx, run.GetID(), run.GetRunID(), workflows.ProgressQuery)
				cancel()
				if err != nil {
					continue
				}
				var p workflows.Progress
				if v.Get(&p) == nil {
					bar.show(p)
				}
			}
		}
	}()
	var res workflows.SweepResult
	err := run.Get(ctx, &res)
	close(done)
	bar.finish()
	if err != nil {
		return fmt.Errorf("sweep %s: %w", run.GetID(), err)
	}
	ui := report.WorkflowURL(g.ui, g.namespace, run.GetID(), run.GetRunID())
	if g.json {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			WorkflowID string `json:"workflow_id"`
			RunID      string `json:"run_id"`
			UIURL      string `json:"ui_url,omitempty"`
			*workflows.SweepResult
		}{run.GetID(), run.GetRunID(), ui, &res})
	}
	printResult(&res)
	printReportLinks(&res, ui)
	return nil
}

// printResult prints the front table and where the outputs are.
func printResult(res *workflows.SweepResult) {
	fmt.Printf("\nPareto front of %s (%d of %d points; metric %s, target %s)\n",
		res.Name, len(res.Report.Front), len(res.Report.Points), res.Report.Metric, res.Report.Target)
	if err := pareto.WriteTable(os.Stdout, res.Report); err != nil {
		fmt.Fprintln(os.Stderr, "tcdse:", err)
	}
	if len(res.Code) > 0 {
		fmt.Println("\nGenerated C code:")
		for i, gen := range res.Code {
			status := "not run on a board"
			if i < len(res.Boards) {
				b := res.Boards[i]
				switch {
				case b.Pass && b.CyclesPerInference > 0:
					status = fmt.Sprintf("passed on %s (%s): max rel err %.2g, measured %.0f %s per inference", b.Board, b.Agent, b.MaxRelErr, b.CyclesPerInference, b.CycleUnit)
				case b.Pass:
					status = fmt.Sprintf("passed on %s (%s): max rel err %.2g, %.0f ns/inference on the host", b.Board, b.Agent, b.MaxRelErr, b.NsPerInference)
				case !b.Built:
					status = fmt.Sprintf("did not build on %s: %s", b.Board, b.Error)
				default:
					status = fmt.Sprintf("FAILED on %s: %s", b.Board, b.Error)
				}
			}
			fmt.Printf("  %-22s %s\n  %-22s %s\n", gen.Label, relPath(gen.Dir), "", status)
		}
	}
	if c := res.Calibration; c != nil {
		fmt.Printf("\nCost model calibrated on %d measured points of board class %s (stored for the class):\n  error before: %v\n  error after:  %v\n",
			c.Report.Measurements, c.Class, c.Report.Before, c.Report.After)
		for _, p := range c.Points {
			fmt.Printf("  %-22s measured %.0f, estimated %.0f before, %.0f after\n", p.Label, p.Measured, p.Before, p.After)
		}
	}
	fmt.Println("\nOutputs:")
	for _, f := range res.Files {
		fmt.Printf("  %s\n", relPath(f))
	}
}

// relPath shows p relative to the working directory when that is shorter.
func relPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && len(r) < len(p) {
		return r
	}
	return p
}

// printReportLinks prints where the HTML report is and the workflow's page in the Web UI.
func printReportLinks(res *workflows.SweepResult, ui string) {
	for _, f := range res.Files {
		if filepath.Base(f) == report.HTMLFile {
			fmt.Printf("\nReport: %s\n", relPath(f))
		}
	}
	if ui != "" {
		fmt.Printf("Workflow: %s\n", ui)
	}
}

// loadSpecForSubmit reads and validates a spec and checks its files on this machine (missing
// inputs, an unwritable output), so every problem is reported before any work starts.
func loadSpecForSubmit(path string) (explore.SweepSpec, error) {
	spec, err := explore.LoadSweepSpec(path)
	if err != nil {
		return spec, err
	}
	return spec, spec.CheckFiles()
}
