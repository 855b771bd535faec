package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/workflows"
)

// newSweepSteerCmds are `tcdse sweep status|stop|extend|pick|priority ID`: queries, the stop
// signal and updates of a running sweep (workflows/steering.go).
func newSweepSteerCmds(g *globalFlags) []*cobra.Command {
	status := &cobra.Command{
		Use:   "status ID",
		Short: "Show a running sweep's progress, budget and the Pareto front so far",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return g.withTemporal(ctx, func(c client.Client) error {
				v, err := c.QueryWorkflow(ctx, args[0], "", workflows.StatusQuery)
				if err != nil {
					return fmt.Errorf("sweep %s: %w", args[0], err)
				}
				var st workflows.SweepStatus
				if err := v.Get(&st); err != nil {
					return err
				}
				budget := "unbounded"
				if st.MaxEvaluations > 0 {
					budget = fmt.Sprint(st.MaxEvaluations)
				}
				fmt.Printf("sweep %s: phase %s, %d/%d done; %d evaluations (budget %s)", st.Name, st.Progress.Phase, st.Progress.Done, st.Progress.Total, st.Evaluations, budget)
				if st.Stopped != "" {
					fmt.Printf(", stopping: %s", st.Stopped)
				}
				if st.Priority != "" {
					fmt.Printf(", priority %s", st.Priority)
				}
				fmt.Println()
				if len(st.Picks) > 0 {
					fmt.Printf("picked: %v\n", st.Picks)
				}
				if st.Progress.Note != "" {
					fmt.Println(st.Progress.Note)
				}
				fmt.Printf("\nfront so far (%d points):\n", len(st.Report.Front))
				return pareto.WriteTable(os.Stdout, st.Report)
			})
		},
	}
	stop := &cobra.Command{
		Use:   "stop ID",
		Short: "End a sweep gracefully: work in flight finishes, the result is the front of what was measured",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return g.withTemporal(ctx, func(c client.Client) error {
				if err := c.SignalWorkflow(ctx, args[0], "", workflows.StopSignal, workflows.EndedStopped); err != nil {
					return fmt.Errorf("stopping sweep %s: %w", args[0], err)
				}
				fmt.Printf("asked sweep %s to stop\n", args[0])
				return nil
			})
		},
	}
	var more int
	extend := &cobra.Command{
		Use:   "extend ID --evaluations N",
		Short: "Raise a running sweep's evaluation budget by N",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var budget int
			if err := sweepUpdate(cmd.Context(), g, args[0], workflows.ExtendUpdate, more, &budget); err != nil {
				return err
			}
			fmt.Printf("sweep %s: budget now %d evaluations\n", args[0], budget)
			return nil
		},
	}
	extend.Flags().IntVar(&more, "evaluations", 0, "evaluations to add to the budget")
	pick := &cobra.Command{
		Use:   "pick ID LABEL",
		Short: "Have a running sweep generate code (and run it on its board) for the point LABEL",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var picks []string
			if err := sweepUpdate(cmd.Context(), g, args[0], workflows.PickUpdate, args[1], &picks); err != nil {
				return err
			}
			fmt.Printf("sweep %s: picked %v\n", args[0], picks)
			return nil
		},
	}
	priority := &cobra.Command{
		Use:   "priority ID batch|interactive",
		Short: "Set the priority of the activities a running sweep starts from now on",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var p string
			if err := sweepUpdate(cmd.Context(), g, args[0], workflows.PriorityUpdate, args[1], &p); err != nil {
				return err
			}
			fmt.Printf("sweep %s: priority %s\n", args[0], p)
			return nil
		},
	}
	return []*cobra.Command{status, stop, extend, pick, priority}
}

// sweepUpdate sends an update to a running sweep and waits for its answer.
func sweepUpdate(ctx context.Context, g *globalFlags, id, name string, arg, result any) error {
	return g.withTemporal(ctx, func(c client.Client) error {
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err == nil {
			err = h.Get(ctx, result)
		}
		if err != nil {
			return fmt.Errorf("sweep %s: %s: %w", id, name, err)
		}
		return nil
	})
}
