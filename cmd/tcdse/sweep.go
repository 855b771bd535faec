package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/report"
	"github.com/tcdse/tcdse/store"
	"github.com/tcdse/tcdse/workflows"
)

func newSweepCmd(g *globalFlags) *cobra.Command {
	var id string
	var detach bool
	cmd := &cobra.Command{
		Use:   "sweep SPEC.yaml",
		Short: "Submit a sweep to a running tcdse (see 'tcdse up') and follow it to its Pareto front",
		Long: `sweep validates the spec (docs/sweep-spec.md), stores every input file it names in the
artifact store (NATS JetStream, --nats), starts a Sweep workflow whose spec carries only
references, shows its progress, prints the Pareto front and downloads the outputs into the
spec's out directory. Relative file names in the spec are taken relative to the spec file.
With --detach it returns once the inputs are stored and the sweep has started: the files may
then be moved or deleted; 'tcdse results ID' fetches the outputs later.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			spec, err := loadSpecForSubmit(args[0])
			if err != nil {
				return err
			}
			c, objs, closeAll, err := g.connect(ctx, "tcdse-sweep")
			if err != nil {
				return err
			}
			defer closeAll()
			run, err := submit(ctx, c, objs, g.namespace, spec, id)
			if err != nil {
				return err
			}
			if detach {
				fmt.Printf("started workflow %s (run %s)\n", run.GetID(), run.GetRunID())
				fmt.Printf("the inputs are in the artifact store; follow it with 'tcdse sweep attach %s', fetch the outputs with 'tcdse results %s --out DIR'\n", run.GetID(), run.GetID())
				return nil
			}
			return follow(ctx, g, c, objs, run.GetID(), run.GetRunID(), outDir(spec))
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "workflow id (default sweep-NAME-TIME)")
	cmd.Flags().BoolVar(&detach, "detach", false, "start the sweep and return without following it")
	cmd.Flags().BoolVar(&g.json, "json", false, "print the sweep's result as JSON instead of the front table")
	cmd.AddCommand(newSweepSteerCmds(g)...)
	cmd.AddCommand(newAttachCmd(g))
	return cmd
}

// outDir is where a spec's outputs are downloaded: its out, relative to the spec file.
func outDir(spec explore.SweepSpec) string {
	if spec.Out == "" {
		return filepath.Join(spec.BaseDir, "out", spec.WithDefaults().Name)
	}
	return spec.Resolve(spec.Out)
}

// submit stores the spec's inputs in the artifact store and starts the Sweep workflow with a
// spec that names them by reference, with tcdse's search attributes when the namespace has
// them. An id that is already taken is not started again.
func submit(ctx context.Context, c client.Client, objs *store.Objects, namespace string, spec explore.SweepSpec, id string) (client.WorkflowRun, error) {
	spec = spec.WithDefaults()
	if id == "" {
		id = fmt.Sprintf("sweep-%s-%s", spec.Name, time.Now().UTC().Format("20060102-150405"))
	}
	ref, err := activities.UploadInputs(ctx, objs, spec)
	if err != nil {
		return nil, fmt.Errorf("storing the sweep's inputs: %w", err)
	}
	opts := client.StartWorkflowOptions{
		ID: id, TaskQueue: workflows.TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
	if attrsRegistered(ctx, c, namespace) {
		opts.TypedSearchAttributes = temporal.NewSearchAttributes(workflows.AttrModel.ValueSet(spec.Name), workflows.AttrTarget.ValueSet([]string{spec.Target}))
	}
	run, err := c.ExecuteWorkflow(ctx, opts, "Sweep", ref)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) || temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return nil, alreadyExists(ctx, c, id)
	}
	if err != nil {
		return nil, fmt.Errorf("starting the sweep: %w", err)
	}
	return run, nil
}

// alreadyExists explains what to do with a sweep id that is taken.
func alreadyExists(ctx context.Context, c client.Client, id string) error {
	d, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return fmt.Errorf("sweep %s already exists; 'tcdse results %s' fetches its result", id, id)
	}
	st := d.GetWorkflowExecutionInfo().GetStatus()
	if st == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return fmt.Errorf("sweep %s is already running: 'tcdse sweep attach %s' follows it (nothing was started)", id, id)
	}
	return fmt.Errorf("sweep %s already finished (%s): 'tcdse results %s --out DIR' fetches its result without running it again; give another --id to run it anew",
		id, statusName(st), id)
}

// statusName is a workflow status in lower case ("completed", "failed").
func statusName(st enumspb.WorkflowExecutionStatus) string {
	return map[enumspb.WorkflowExecutionStatus]string{
		enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED: "completed", enumspb.WORKFLOW_EXECUTION_STATUS_FAILED: "failed",
		enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED: "canceled", enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED: "terminated",
		enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT: "timed out", enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: "continued as new",
		enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING: "running",
	}[st]
}

// printResult prints the front table and where the outputs are under dir.
func printResult(res *workflows.SweepResult, dir string) {
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
			where := gen.Dir
			if len(gen.Outputs) > 0 {
				where = filepath.Join(dir, filepath.FromSlash(gen.Dir))
			}
			fmt.Printf("  %-22s %s\n  %-22s %s\n", gen.Label, relPath(where), "", status)
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
	for _, o := range res.Outputs {
		if filepath.Dir(filepath.FromSlash(o.Path)) == "." {
			fmt.Printf("  %s\n", relPath(filepath.Join(dir, o.Path)))
		}
	}
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

// printReportLinks prints where the HTML report is (under dir) and the sweep's page in the
// Temporal Web UI.
func printReportLinks(res *workflows.SweepResult, dir, ui string) {
	for _, o := range res.Outputs {
		if o.Path == report.HTMLFile {
			fmt.Printf("\nReport: %s\n", relPath(filepath.Join(dir, o.Path)))
		}
	}
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
