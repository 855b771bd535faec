// Command tcdse explores how far a trained neural network can be compressed for an Infineon
// AURIX TC3xx microcontroller and generates C code for the chosen design points.
//
// Run `tcdse help` for the commands; README.md shows the common ones.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tcdse/tcdse/report"
)

// globalFlags are the addresses and directories every command shares.
type globalFlags struct {
	temporal  string
	namespace string
	nats      string
	dataDir   string
	verbose   bool
	ui        string
	json      bool // set by the commands that take --json
	cl        clusterFlags
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRoot().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "tcdse:", err)
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "tcdse",
		Short:         "Design-space exploration of neural network compression for AURIX TC3xx",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.temporal, "temporal", "127.0.0.1:7233", "Temporal frontend host:port")
	pf.StringVar(&g.namespace, "namespace", "default", "Temporal namespace")
	pf.StringVar(&g.nats, "nats", "nats://127.0.0.1:4222", "NATS server URL")
	pf.StringVar(&g.dataDir, "data-dir", ".tcdse", "directory for the embedded stack's state and the evaluation cache")
	pf.BoolVarP(&g.verbose, "verbose", "v", false, "log Temporal and NATS client details")
	g.addClusterFlags(root)
	pf.StringVar(&g.ui, "ui", report.DefaultUIAddress, "the Temporal Web UI's host:port ('tcdse up' serves it there; empty: none)")
	root.AddCommand(
		newUpCmd(g), newRunCmd(g), newSweepCmd(g), newWorkerCmd(g), newAgentCmd(g),
		newTargetsCmd(),
		newCalibrateCmd(g),
		newAnalyzeCmd(),
		newEvalCmd(),
	)
	root.AddCommand(newFarmCmd(g))
	root.AddCommand(newGenerateCmd(g))
	root.AddCommand(newValidateCmd(g))
	root.AddCommand(newExportCmd(g))
	root.AddCommand(newDeployCmd(g))
	root.AddCommand(newPutCmd(g))
	root.AddCommand(newResultsCmd(g))
	root.AddCommand(newReportCmd(g))
	root.AddCommand(newCampaignCmd(g), newScheduleCmd(g))
	return root
}
