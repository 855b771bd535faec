package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newUpCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "up",
		Short: "Start the embedded Temporal server, NATS, a worker and a host board agent, and stay up",
		Long: `up starts everything a sweep needs in this process: the Temporal server (SQLite in the data
dir, frontend on --temporal, namespace --namespace), NATS with JetStream (--nats), a worker on
the "tcdse" task queue and a "host" board agent that builds generated code with gcc, and serves
the Temporal Web UI on --ui (default 127.0.0.1:8233, as 'temporal server start-dev' does; --ui ''
turns it off). It runs until interrupted. Sweeps can then be started with 'tcdse sweep' or the temporal CLI.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			l, err := startLocal(ctx, g, g.ui)
			if err != nil {
				return err
			}
			defer l.stop()
			fmt.Printf("tcdse is up: Temporal %s (namespace %s), NATS %s, data in %s\n",
				l.stack.TemporalHostPort(), g.namespace, l.stack.NATSURL(), g.dataDir)
			if ui := l.stack.UIHostPort(); ui != "" {
				fmt.Printf("Temporal Web UI: http://%s/namespaces/%s/workflows\n", ui, g.namespace)
			}
			fmt.Println("worker on task queue \"tcdse\" and a host board agent are running; Ctrl-C stops")
			<-ctx.Done()
			fmt.Println("stopping")
			return nil
		},
	}
}
