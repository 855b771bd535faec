package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/report"
	"github.com/tcdse/tcdse/store"
	"github.com/tcdse/tcdse/workflows"
)

// retryEvery is how often following retries Temporal or NATS while they are unreachable.
const retryEvery = 2 * time.Second

func newAttachCmd(g *globalFlags) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "attach ID",
		Short: "Follow a running sweep to its end and download its outputs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.followByID(cmd.Context(), args[0], out)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "where the outputs go (default ./ID)")
	return cmd
}

func newResultsCmd(g *globalFlags) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "results ID",
		Short: "Fetch a sweep's result and download its outputs (hash-checked); never runs it again",
		Long: `results prints the Pareto front of the sweep with workflow id ID and downloads every output it
stored (front.json, front.csv, front.txt, points.json and each point's C tree and model) into
--out, checking each file's SHA-256. A sweep still running is followed to its end first.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.followByID(cmd.Context(), args[0], out)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "where the outputs go (default ./ID)")
	return cmd
}

// followByID connects and follows the latest run of the sweep id.
func (g *globalFlags) followByID(ctx context.Context, id, out string) error {
	if out == "" {
		out = id
	}
	c, objs, closeAll, err := g.connect(ctx, "tcdse-results")
	if err != nil {
		return err
	}
	defer closeAll()
	return follow(ctx, g, c, objs, id, "", out)
}

// connect dials Temporal and binds the artifact store; call the returned function when done.
func (g *globalFlags) connect(ctx context.Context, name string) (client.Client, *store.Objects, func(), error) {
	c, err := g.dialTemporal(ctx, g.temporal)
	if err != nil {
		return nil, nil, nil, err
	}
	objs, nc, err := g.openObjects(ctx, name)
	if err != nil {
		c.Close()
		return nil, nil, nil, err
	}
	return c, objs, func() { nc.Close(); c.Close() }, nil
}

// follow shows a sweep's progress until it ends, prints the front and downloads the outputs
// into dir. It keeps going through Temporal and NATS outages of any length, saying that it
// waits; only the sweep's own end (or Ctrl-C) stops it.
func follow(ctx context.Context, g *globalFlags, c client.Client, objs *store.Objects, id, runID, dir string) error {
	fmt.Fprintf(os.Stderr, "following sweep %s\n", id)
	ui := report.WorkflowURL(g.ui, g.namespace, id, runID)
	if ui != "" {
		fmt.Fprintf(os.Stderr, "follow it in the Temporal Web UI: %s\n", ui)
	}
	bar := newProgressBar(os.Stderr)
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		watchProgress(ctx, c, id, runID, bar, done)
	}()
	res, err := awaitResult(ctx, c, id, runID, os.Stderr)
	close(done)
	<-watched
	bar.finish()
	if err != nil {
		return err
	}
	if len(res.Outputs) > 0 {
		if err := download(ctx, objs, res.Outputs, dir, os.Stderr); err != nil {
			return err
		}
	}
	if g.json {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			WorkflowID string `json:"workflow_id"`
			RunID      string `json:"run_id,omitempty"`
			UIURL      string `json:"ui_url,omitempty"`
			*workflows.SweepResult
		}{id, runID, ui, res})
	}
	printResult(res, dir)
	printReportLinks(res, dir, ui)
	return nil
}

// watchProgress queries the sweep's progress until done is closed. When nothing moves for
// stallAfter, it asks Temporal whether any worker polls the task queue the sweep waits on,
// and says so when none does ("waiting for an eval worker").
func watchProgress(ctx context.Context, c client.Client, id, runID string, bar *progressBar, done <-chan struct{}) {
	t := time.NewTicker(300 * time.Millisecond)
	defer t.Stop()
	var last workflows.Progress
	lastChange, lastCheck := time.Now(), time.Time{}
	said := ""
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		v, err := c.QueryWorkflow(qctx, id, runID, workflows.ProgressQuery)
		cancel()
		var p workflows.Progress
		known := err == nil && v.Get(&p) == nil
		if known {
			bar.show(p)
			if p != last {
				last, lastChange, said = p, time.Now(), ""
			}
		}
		if time.Since(lastChange) < stallAfter || time.Since(lastCheck) < stallAfter {
			continue
		}
		lastCheck = time.Now()
		role := activities.RoleWorkflow
		if known {
			role = workflows.PhaseRole(p.Phase)
		}
		if msg := noWorker(ctx, c, role); msg != "" && msg != said {
			bar.say(msg)
			said = msg
		}
	}
}

// stallAfter is how long progress must stand still before following checks for workers.
const stallAfter = 5 * time.Second

// noWorker returns "waiting for an eval worker ..." when no worker polls role's task queue,
// or "" when one does or Temporal cannot tell.
func noWorker(ctx context.Context, c client.Client, role string) string {
	if role == "" {
		return ""
	}
	qt := enumspb.TASK_QUEUE_TYPE_ACTIVITY
	if role == activities.RoleWorkflow {
		qt = enumspb.TASK_QUEUE_TYPE_WORKFLOW
	}
	q := activities.TaskQueue(role)
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := c.DescribeTaskQueue(dctx, q, qt)
	if err != nil || len(resp.GetPollers()) > 0 {
		return ""
	}
	article := "a"
	if role == activities.RoleEval {
		article = "an"
	}
	return fmt.Sprintf("waiting for %s %s worker: none polls task queue %s (start one with 'tcdse worker --roles %s')", article, role, q, role)
}

// awaitResult waits for the sweep's result, reconnecting as long as Temporal is unreachable.
func awaitResult(ctx context.Context, c client.Client, id, runID string, log io.Writer) (*workflows.SweepResult, error) {
	var waiting bool
	for {
		var res workflows.SweepResult
		err := c.GetWorkflow(ctx, id, runID).Get(ctx, &res)
		if err == nil {
			if waiting {
				fmt.Fprintln(log, "Temporal is back")
			}
			return &res, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("stopped following sweep %s, which keeps running: 'tcdse sweep attach %s' follows it again", id, id)
		}
		if sweepEnded(err) {
			return nil, fmt.Errorf("sweep %s: %w", id, err)
		}
		waitOutage(ctx, log, &waiting, fmt.Sprintf("cannot reach Temporal (%v); the sweep keeps running on the server: waiting for Temporal to come back", short(err)))
	}
}

// waitOutage says msg once per outage (while *waiting is false) and pauses retryEvery.
func waitOutage(ctx context.Context, log io.Writer, waiting *bool, msg string) {
	if !*waiting {
		fmt.Fprintln(log, msg)
		*waiting = true
	}
	select {
	case <-ctx.Done():
	case <-time.After(retryEvery):
	}
}

// sweepEnded reports whether err is the sweep's own outcome (it failed, was cancelled,
// terminated or timed out, or does not exist) rather than trouble reaching Temporal.
func sweepEnded(err error) bool {
	var failed *temporal.WorkflowExecutionError
	var notFound *serviceerror.NotFound
	return errors.As(err, &failed) || errors.As(err, &notFound) ||
		temporal.IsCanceledError(err) || temporal.IsTerminatedError(err) || temporal.IsTimeoutError(err)
}

// download fetches the outputs into dir, waiting through NATS outages; a missing or corrupt
// object is an error at once.
func download(ctx context.Context, objs *store.Objects, outs []activities.Output, dir string, log io.Writer) error {
	var waiting bool
	for {
		_, err := activities.DownloadOutputs(ctx, objs, outs, dir)
		if err == nil {
			fmt.Fprintf(log, "downloaded %d outputs into %s (sha256 checked)\n", len(outs), relPath(dir))
			return nil
		}
		if ctx.Err() != nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrHashMismatch) {
			return fmt.Errorf("downloading the outputs into %s: %w", dir, err)
		}
		waitOutage(ctx, log, &waiting, fmt.Sprintf("cannot read the artifact store (%v): waiting for NATS to come back", short(err)))
	}
}

// short keeps the first line of an error, for one-line status messages.
func short(err error) string {
	s := err.Error()
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}
