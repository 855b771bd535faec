package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/tc3xx"
	"github.com/tcdse/tcdse/workers"
	"github.com/tcdse/tcdse/workflows"
)

func newCampaignCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "campaign",
		Short: "Run a campaign: many models × targets within a budget, with a morning summary (docs/campaigns.md)",
	}
	var id string
	var asJSON bool
	start := &cobra.Command{
		Use:   "start CAMPAIGN.yaml",
		Short: "Start a campaign on a running tcdse and return its workflow id",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := loadCampaign(args[0])
			if err != nil {
				return err
			}
			return g.withTemporal(cmd.Context(), func(c client.Client) error {
				run, err := startCampaign(cmd.Context(), c, g.namespace, spec, id)
				if err != nil {
					return err
				}
				fmt.Printf("started campaign %s (run %s)\n", run.GetID(), run.GetRunID())
				return nil
			})
		},
	}
	run := &cobra.Command{
		Use:   "run CAMPAIGN.yaml",
		Short: "Run a campaign to its end and print the summary (on a running tcdse, or an embedded one)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			spec, err := loadCampaign(args[0])
			if err != nil {
				return err
			}
			return g.withClient(ctx, func(c client.Client) error {
				r, err := startCampaign(ctx, c, g.namespace, spec, id)
				if err != nil {
					return err
				}
				return followCampaign(ctx, c, r.GetID(), asJSON)
			})
		},
	}
	for _, sub := range []*cobra.Command{start, run} {
		sub.Flags().StringVar(&id, "id", "", "workflow id (default campaign-NAME-TIME)")
	}
	run.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	status := &cobra.Command{
		Use:   "status ID",
		Short: "Show a running campaign's progress",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withTemporal(cmd.Context(), func(c client.Client) error {
				st, err := campaignStatus(cmd.Context(), c, args[0])
				if err != nil {
					return err
				}
				printCampaignStatus(st)
				return nil
			})
		},
	}
	stop := &cobra.Command{
		Use:   "stop ID",
		Short: "End a campaign gracefully: running sweeps stop with what they measured, no new one starts",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withTemporal(cmd.Context(), func(c client.Client) error {
				if err := c.SignalWorkflow(cmd.Context(), args[0], "", workflows.StopSignal, workflows.EndedStopped); err != nil {
					return fmt.Errorf("stopping campaign %s: %w", args[0], err)
				}
				fmt.Printf("asked campaign %s to stop\n", args[0])
				return nil
			})
		},
	}
	summary := &cobra.Command{
		Use:   "summary ID",
		Short: "Wait for a campaign to end and print its morning summary",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withTemporal(cmd.Context(), func(c client.Client) error {
				return printCampaignResult(cmd.Context(), c, args[0], asJSON)
			})
		},
	}
	summary.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	cmd.AddCommand(start, run, status, stop, summary)
	return cmd
}

// loadCampaign reads and validates a campaign spec against the built-in catalog.
func loadCampaign(path string) (explore.CampaignSpec, error) {
	return explore.LoadCampaignSpec(path, tc3xx.DefaultCatalog().TargetNames())
}

// attrsRegistered says whether the namespace has tcdse's search attributes, and tells the
// user when it does not (the workflows then keep none).
func attrsRegistered(ctx context.Context, c client.Client, namespace string) bool {
	missing, err := workers.MissingSearchAttributes(ctx, c, namespace)
	if err != nil || len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "note: search attributes %v are not registered in namespace %s (docs/campaigns.md); running without them\n", missing, namespace)
		return false
	}
	return true
}

// campaignAttrs are the search attributes a campaign starts with, or none when the namespace
// has not registered tcdse's (the workflows then keep none up to date).
func campaignAttrs(ctx context.Context, c client.Client, namespace string, spec explore.CampaignSpec) temporal.SearchAttributes {
	if !attrsRegistered(ctx, c, namespace) {
		return temporal.SearchAttributes{}
	}
	return temporal.NewSearchAttributes(workflows.AttrCampaign.ValueSet(spec.Name),
		workflows.AttrTarget.ValueSet(spec.TargetNames(tc3xx.DefaultCatalog().TargetNames())))
}

// startCampaign starts the Campaign workflow.
func startCampaign(ctx context.Context, c client.Client, namespace string, spec explore.CampaignSpec, id string) (client.WorkflowRun, error) {
	if id == "" {
		id = fmt.Sprintf("campaign-%s-%s", spec.Name, time.Now().UTC().Format("20060102-150405"))
	}
	opts := client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue, TypedSearchAttributes: campaignAttrs(ctx, c, namespace, spec),
		Priority: temporal.Priority{PriorityKey: workflows.PriorityKey(spec.Priority)}}
	run, err := c.ExecuteWorkflow(ctx, opts, "Campaign", spec)
	if err != nil {
		return nil, fmt.Errorf("starting campaign %s: %w", spec.Name, err)
	}
	return run, nil
}

func campaignStatus(ctx context.Context, c client.Client, id string) (workflows.CampaignStatus, error) {
	var st workflows.CampaignStatus
	v, err := c.QueryWorkflow(ctx, id, "", workflows.CampaignQuery)
	if err != nil {
		return st, fmt.Errorf("campaign %s: %w", id, err)
	}
	return st, v.Get(&st)
}

func printCampaignStatus(st workflows.CampaignStatus) {
	budget := "unbounded"
	if st.MaxEvaluations > 0 {
		budget = fmt.Sprint(st.MaxEvaluations)
	}
	fmt.Printf("campaign %s (run %d): %d of %d sweeps finished, %d running; %d evaluations (budget %s)",
		st.Name, st.Run, st.Finished, st.Sweeps, len(st.Running), st.Evaluations, budget)
	if !st.Deadline.IsZero() {
		fmt.Printf(", deadline %s", st.Deadline.UTC().Format(time.RFC3339))
	}
	if st.Ended != "" {
		fmt.Printf(", ending: %s", st.Ended)
	}
	fmt.Println()
	for _, id := range st.Running {
		fmt.Printf("  running %s\n", id)
	}
}

// followCampaign prints the campaign's progress when it changes, then its summary. The
// campaign continues as new along the way; its workflow id stays.
func followCampaign(ctx context.Context, c client.Client, id string, asJSON bool) error {
	fmt.Fprintf(os.Stderr, "campaign %s started\n", id)
	done := make(chan struct{})
	go func() {
		last := ""
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				st, err := campaignStatus(qctx, c, id)
				cancel()
				if err != nil {
					continue
				}
				line := fmt.Sprintf("%d/%d sweeps, %d running, %d evaluations %s", st.Finished, st.Sweeps, len(st.Running), st.Evaluations, st.Ended)
				if line != last {
					fmt.Fprintln(os.Stderr, line)
					last = line
				}
			}
		}
	}()
	defer close(done)
	return printCampaignResult(ctx, c, id, asJSON)
}

// printCampaignResult waits for the campaign (following continue-as-new) and prints its summary.
func printCampaignResult(ctx context.Context, c client.Client, id string, asJSON bool) error {
	var res workflows.CampaignResult
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		return fmt.Errorf("campaign %s: %w", id, err)
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res.Summary)
	}
	fmt.Println()
	if err := pareto.WriteSummaryText(os.Stdout, res.Summary); err != nil {
		return err
	}
	fmt.Println("\nOutputs:")
	for _, f := range res.Files {
		fmt.Printf("  %s\n", relPath(f))
	}
	return nil
}
