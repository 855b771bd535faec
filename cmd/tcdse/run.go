package main

import (
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
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
			return g.withClient(ctx, func(c client.Client) error {
				r, err := submit(ctx, c, g.namespace, spec, "")
				if err != nil {
					return err
				}
				return follow(ctx, g, c, r)
			})
		},
	}
	cmd.Flags().BoolVar(&g.json, "json", false, "print the sweep's result as JSON instead of the front table")
	return cmd
}
