package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func newRunCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run SPEC.yaml",
		Short: "Run one sweep on the embedded stack, start to finish (what `make run` does)",
		Long: `run starts the embedded Temporal server and NATS with a worker and a host board agent in this
process (or uses the ones of a running 'tcdse up'), runs the sweep, prints the Pareto front and
where the outputs are, and stops.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			spec, err := loadSpecForSubmit(args[0])
			if err != nil {
				return err
			}
			if g.temporalReachable(ctx, g.temporal) {
				fmt.Fprintf(os.Stderr, "using the tcdse already running at %s\n", g.temporal)
				c, objs, closeAll, err := g.connect(ctx, "tcdse-run")
				if err != nil {
					return err
				}
				defer closeAll()
				r, err := submit(ctx, c, objs, g.namespace, spec, "")
				if err != nil {
					return err
				}
				return follow(ctx, g, c, objs, r.GetID(), r.GetRunID(), outDir(spec))
			}
			fmt.Fprintf(os.Stderr, "starting the embedded Temporal server and NATS (state in %s)\n", g.dataDir)
			l, err := startLocal(ctx, g, "")
			if err != nil {
				return err
			}
			defer l.stop()
			r, err := submit(ctx, l.client, l.worker.Objects(), g.namespace, spec, "")
			if err != nil {
				return err
			}
			return follow(ctx, g, l.client, l.worker.Objects(), r.GetID(), r.GetRunID(), outDir(spec))
		},
	}
	cmd.Flags().BoolVar(&g.json, "json", false, "print the sweep's result as JSON instead of the front table")
	return cmd
}
