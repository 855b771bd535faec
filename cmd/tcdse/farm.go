package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/store"
	"github.com/tcdse/tcdse/workers"
)

func newFarmCmd(g *globalFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "farm",
		Short: "Show and steer the board farm: status, boards, jobs, drain, undrain, release",
		Long: `farm shows the hardware-in-the-loop farm on --nats: per board class the boards by state,
the queued jobs per priority, the jobs in flight, utilisation and queue wait (status); every
board with its class, driver, state and health (boards); the jobs on boards now and the latest
results (jobs). drain stops a board from taking new jobs (running ones finish), undrain
resumes it, release asks a quarantined board to run its health job and return to service.
See docs/farm.md.`,
	}
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON")
	open := func(cmd *cobra.Command) (*hilbench.Farm, func(), error) { return openFarmCLI(cmd, g) }
	show := func(w io.Writer, v any, text func()) error {
		if asJSON {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		}
		text()
		return nil
	}
	cmd.AddCommand(&cobra.Command{
		Use: "status", Short: "Per board class: boards by state, queue depth, in flight, utilisation, wait", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, done, err := open(cmd)
			if err != nil {
				return err
			}
			defer done()
			st, err := f.Status(cmd.Context())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			return show(w, st, func() {
				if len(st) == 0 {
					fmt.Fprintln(w, "no boards have registered and no jobs are queued")
				}
				for _, c := range st {
					fmt.Fprintln(w, c)
				}
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "boards", Short: "Every registered board", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, done, err := open(cmd)
			if err != nil {
				return err
			}
			defer done()
			bs, err := f.Boards(cmd.Context())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			return show(w, bs, func() { printBoards(w, bs) })
		},
	})
	var last int
	jobs := &cobra.Command{
		Use: "jobs", Short: "Jobs on boards now and the latest results", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, done, err := open(cmd)
			if err != nil {
				return err
			}
			defer done()
			ls, err := f.Leases(cmd.Context())
			if err != nil {
				return err
			}
			rs, err := f.RecentResults(cmd.Context(), last)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			return show(w, struct {
				Running []hilbench.Lease     `json:"running"`
				Results []hilbench.RunResult `json:"results"`
			}{ls, rs}, func() { printJobs(w, ls, rs) })
		},
	}
	jobs.Flags().IntVar(&last, "last", 20, "number of latest results shown")
	cmd.AddCommand(jobs)
	steer := func(use, short string, do func(ctx context.Context, f *hilbench.Farm, board string) error, said string) *cobra.Command {
		return &cobra.Command{
			Use: use + " BOARD", Short: short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				f, done, err := open(cmd)
				if err != nil {
					return err
				}
				defer done()
				if err := do(cmd.Context(), f, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "board %s: %s\n", args[0], said)
				return nil
			},
		}
	}
	cmd.AddCommand(
		steer("drain", "Stop a board from taking new jobs (running ones finish)",
			func(ctx context.Context, f *hilbench.Farm, b string) error { return f.Drain(ctx, b, true) }, "draining"),
		steer("undrain", "Let a drained board take jobs again",
			func(ctx context.Context, f *hilbench.Farm, b string) error { return f.Drain(ctx, b, false) }, "taking jobs"),
		steer("release", "Ask a quarantined board to run its health job and return to service",
			func(ctx context.Context, f *hilbench.Farm, b string) error { return f.Release(ctx, b) }, "release requested (see `tcdse farm boards`)"),
	)
	return cmd
}

// openFarmCLI connects to the farm on --nats; call the returned function when done.
func openFarmCLI(cmd *cobra.Command, g *globalFlags) (*hilbench.Farm, func(), error) {
	nc, err := g.dialNATS(g.nats, "tcdse-farm")
	if err != nil {
		return nil, nil, err
	}
	f, err := hilbench.OpenFarm(cmd.Context(), nc, hilbench.FarmConfig{})
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return f, nc.Close, nil
}

func printBoards(w io.Writer, bs []hilbench.BoardInfo) {
	if len(bs) == 0 {
		fmt.Fprintln(w, "no boards have registered")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BOARD\tCLASS\tDRIVER\tTARGET\tSTATE\tRUNNING\tDONE\tFAILED\tUTIL\tHEALTH\tTAGS\t")
	for _, b := range bs {
		target := strings.Trim(b.Derivative+":"+b.Core, ":")
		util := "-"
		if b.UpMS > 0 {
			util = fmt.Sprintf("%.0f%%", 100*float64(b.BusyMS)/float64(b.UpMS))
		}
		health := "-"
		switch {
		case b.Reason != "":
			health = b.Reason
		case b.Drift != "":
			health = "DRIFT: " + b.Drift
		case b.HealthCycles > 0:
			health = fmt.Sprintf("%.0f cycles (baseline %.0f)", b.HealthCycles, b.HealthBaseline)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d/%d\t%d\t%d\t%s\t%s\t%s\t\n", b.Name, b.Class, b.Driver, target, b.State,
			b.Running, b.Slots, b.JobsDone, b.JobsFailed, util, health, strings.Join(b.Tags, ","))
	}
	tw.Flush()
}

func printJobs(w io.Writer, ls []hilbench.Lease, rs []hilbench.RunResult) {
	if len(ls) == 0 {
		fmt.Fprintln(w, "no jobs on boards now")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RUNNING JOB\tCLASS\tBOARD\tLEASE LEFT\t")
		for _, l := range ls {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", l.Job, l.Class, l.Board, time.Until(time.UnixMilli(l.ExpiresUnixMS)).Round(time.Millisecond))
		}
		tw.Flush()
	}
	if len(rs) == 0 {
		fmt.Fprintln(w, "no results recorded")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tLABEL\tCLASS\tBOARD\tOUTCOME\tCYCLES\tWAIT\tATTEMPT\t")
	for _, r := range rs {
		outcome := "pass"
		switch {
		case r.Error != "":
			outcome = "error: " + truncate(r.Error, 60)
		case !r.Built:
			outcome = "did not build"
		case !r.Pass:
			outcome = "FAILED check"
		}
		cycles := "-"
		if r.CyclesPerInference > 0 {
			cycles = fmt.Sprintf("%.0f %s", r.CyclesPerInference, r.CycleUnit)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d ms\t%d\t\n", r.JobID, r.Label, r.Class, r.Agent, outcome, cycles, r.WaitMS, r.Attempt)
	}
	tw.Flush()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// runOnFarm packs the tree in dir, stores it in the artifact bucket and runs it as an
// interactive job on a board of class, waiting at most timeout.
func runOnFarm(ctx context.Context, g *globalFlags, dir, class string, timeout time.Duration) (*hilbench.RunResult, error) {
	tree, err := hilbench.PackDir(dir)
	if err != nil {
		return nil, err
	}
	nc, err := g.dialNATS(g.nats, "tcdse-validate")
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	objects, err := store.OpenObjects(ctx, js, workers.ArtifactBucket)
	if err != nil {
		return nil, err
	}
	ref, err := objects.Put(ctx, tree)
	if err != nil {
		return nil, err
	}
	f, err := hilbench.OpenFarm(ctx, nc, hilbench.FarmConfig{})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return f.Run(ctx, hilbench.RunRequest{
		Board: class, Priority: hilbench.Interactive, Label: "validate", Bucket: ref.Bucket, Object: ref.Key, SHA256: ref.Key,
		TimeoutSeconds: max(1, int(timeout.Seconds()*0.9)),
	})
}
