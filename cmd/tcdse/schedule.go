package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tcdse/tcdse/workflows"
)

// Schedule defaults: a missed firing (the server was down at the time) still starts when the
// server is back within the catch-up window; a firing while the previous campaign still runs
// is skipped.
const (
	defaultCatchupWindow = time.Hour
	defaultOverlap       = "skip"
)

var overlapPolicies = map[string]enumspb.ScheduleOverlapPolicy{
	"skip":            enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
	"buffer_one":      enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE,
	"buffer_all":      enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL,
	"cancel_other":    enumspb.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER,
	"terminate_other": enumspb.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER,
	"allow_all":       enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
}

func newScheduleCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Run a campaign on a schedule (Temporal Schedules): create, list, pause, unpause, trigger, delete",
	}
	var cron, overlap, note string
	var catchup time.Duration
	create := &cobra.Command{
		Use:   "create NAME CAMPAIGN.yaml",
		Short: "Start the campaign at every time the cron expression matches (UTC)",
		Long: `create makes a Temporal Schedule NAME whose action starts the Campaign workflow with the spec read
now (edit the file and create the schedule again to change it). Campaign workflow ids are
campaign-NAME-<time>. --overlap skip (the default) skips a firing while the previous campaign
still runs; --catchup-window (default 1h) is how late a firing missed while the server was down
may still start.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			policy, ok := overlapPolicies[overlap]
			if !ok {
				return fmt.Errorf("--overlap %q: want one of skip, buffer_one, buffer_all, cancel_other, terminate_other, allow_all", overlap)
			}
			if cron == "" {
				return fmt.Errorf("--cron is required, e.g. --cron \"0 22 * * 1-5\"")
			}
			spec, err := loadCampaign(args[1])
			if err != nil {
				return err
			}
			return g.withTemporal(ctx, func(c client.Client) error {
				_, err = c.ScheduleClient().Create(ctx, client.ScheduleOptions{
					ID:            args[0],
					Spec:          client.ScheduleSpec{CronExpressions: []string{cron}},
					Overlap:       policy,
					CatchupWindow: catchup,
					Note:          note,
					Action: &client.ScheduleWorkflowAction{
						ID: "campaign-" + args[0], Workflow: "Campaign", Args: []any{spec}, TaskQueue: workflows.TaskQueue,
						TypedSearchAttributes: campaignAttrs(ctx, c, g.namespace, spec),
						Priority:              temporal.Priority{PriorityKey: workflows.PriorityKey(spec.Priority)},
					},
				})
				if err != nil {
					return fmt.Errorf("creating schedule %s: %w", args[0], err)
				}
				fmt.Printf("schedule %s: campaign %s at %q (UTC), overlap %s, catch-up window %s\n", args[0], spec.Name, cron, overlap, catchup)
				return nil
			})
		},
	}
	create.Flags().StringVar(&cron, "cron", "", `cron expression (UTC), e.g. "0 22 * * 1-5" for 22:00 on weekdays`)
	create.Flags().StringVar(&overlap, "overlap", defaultOverlap, "what a firing does while the previous campaign runs: skip, buffer_one, buffer_all, cancel_other, terminate_other, allow_all")
	create.Flags().DurationVar(&catchup, "catchup-window", defaultCatchupWindow, "how late a missed firing may still start")
	create.Flags().StringVar(&note, "note", "", "a note shown by list")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the schedules with their next firing and last campaign",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withTemporal(cmd.Context(), func(c client.Client) error {
				it, err := c.ScheduleClient().List(cmd.Context(), client.ScheduleListOptions{})
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(w, "NAME\tWORKFLOW\tSTATE\tCRON\tNEXT\tLAST STARTED")
				for it.HasNext() {
					e, err := it.Next()
					if err != nil {
						return err
					}
					state, next, last, cron := "active", "-", "-", "-"
					if e.Paused {
						state = "paused"
					}
					if len(e.NextActionTimes) > 0 {
						next = e.NextActionTimes[0].UTC().Format(time.RFC3339)
					}
					if n := len(e.RecentActions); n > 0 && e.RecentActions[n-1].StartWorkflowResult != nil {
						last = e.RecentActions[n-1].StartWorkflowResult.WorkflowID
					}
					if e.Spec != nil && len(e.Spec.CronExpressions) > 0 {
						cron = strings.Join(e.Spec.CronExpressions, " | ")
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.WorkflowType.Name, state, cron, next, last)
				}
				return w.Flush()
			})
		},
	}
	handle := func(use, short string, f func(ctx context.Context, h client.ScheduleHandle) error) *cobra.Command {
		return &cobra.Command{
			Use: use + " NAME", Short: short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return g.withTemporal(cmd.Context(), func(c client.Client) error {
					if err := f(cmd.Context(), c.ScheduleClient().GetHandle(cmd.Context(), args[0])); err != nil {
						return fmt.Errorf("schedule %s: %s: %w", args[0], use, err)
					}
					fmt.Printf("schedule %s: %s done\n", args[0], use)
					return nil
				})
			},
		}
	}
	pause := handle("pause", "Stop firing until unpaused", func(ctx context.Context, h client.ScheduleHandle) error {
		return h.Pause(ctx, client.SchedulePauseOptions{Note: note})
	})
	pause.Flags().StringVar(&note, "note", "", "why (shown by list and describe)")
	unpause := handle("unpause", "Fire again", func(ctx context.Context, h client.ScheduleHandle) error {
		return h.Unpause(ctx, client.ScheduleUnpauseOptions{})
	})
	trigger := handle("trigger", "Start the campaign now (the overlap policy applies)", func(ctx context.Context, h client.ScheduleHandle) error {
		return h.Trigger(ctx, client.ScheduleTriggerOptions{})
	})
	del := handle("delete", "Delete the schedule (running campaigns go on)", func(ctx context.Context, h client.ScheduleHandle) error {
		return h.Delete(ctx)
	})
	cmd.AddCommand(create, list, pause, unpause, trigger, del)
	return cmd
}
