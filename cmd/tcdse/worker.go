package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/workers"
)

func newWorkerCmd(g *globalFlags) *cobra.Command {
	var name, roleList string
	var concurrency int
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a worker for some roles (task queues) against --temporal and --nats",
		Long: `worker serves the roles given by --roles, each on its task queue: workflow (tcdse: workflow
tasks), eval (tcdse-eval: import, prune, fine-tune, quantize, score, price), codegen
(tcdse-codegen: generate C, reports) and board (tcdse-board: hardware-in-the-loop dispatch).
It shares nothing with the submitter but Temporal and NATS: inputs and outputs move through
the artifact store.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			roles, err := activities.ParseRoles(roleList)
			if err != nil {
				return fmt.Errorf("--roles: %w", err)
			}
			c, err := g.dialTemporal(ctx, g.temporal)
			if err != nil {
				return err
			}
			defer c.Close()
			nc, err := g.dialNATS(g.nats, "tcdse-worker-"+name)
			if err != nil {
				return err
			}
			defer nc.Close()
			w, err := workers.Start(ctx, workers.Config{Client: c, NATS: nc, DataDir: g.dataDir, Name: name, MaxConcurrentActivities: concurrency, Roles: roles})
			if err != nil {
				return err
			}
			defer w.Stop()
			if err := g.serveMetrics(ctx, g.logger()); err != nil {
				return err
			}
			var queues []string
			for _, r := range roles {
				queues = append(queues, activities.TaskQueue(r))
			}
			fmt.Fprintf(os.Stderr, "worker %s (pid %d) serving %s on task queues %s at %s\n", name, os.Getpid(),
				strings.Join(roles, ","), strings.Join(queues, ", "), g.temporal)
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "worker", "worker name; its evaluation cache is DATA-DIR/evalcache-NAME.db")
	cmd.Flags().IntVar(&concurrency, "concurrency", 0, "evaluations (and code generations) run at once (default: CPUs for eval, 2 for codegen)")
	cmd.Flags().StringVar(&roleList, "roles", "all", "roles served, comma-separated: workflow,eval,codegen,board (or all)")
	return cmd
}

func newAgentCmd(g *globalFlags) *cobra.Command {
	var name, board, workDir, cc, config string
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run a farm board agent: --config FILE (see docs/farm.md), or a host board (gcc) from flags",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var cfg hilbench.FarmAgentConfig
			if config != "" {
				for _, f := range []string{"name", "board", "cc"} {
					if cmd.Flags().Changed(f) {
						return fmt.Errorf("--%s: give it in the configuration file %s instead", f, config)
					}
				}
				var err error
				if cfg, err = hilbench.LoadAgentFile(config); err != nil {
					return err
				}
			} else {
				cfg = hilbench.FarmAgentConfig{Name: name, Class: board, Driver: &hilbench.HostDriver{CC: cc}, Toolchain: cc}
			}
			if workDir != "" {
				cfg.WorkDir = workDir
			} else if cfg.WorkDir == "" {
				cfg.WorkDir = filepath.Join(g.dataDir, "boards", cfg.Name)
			}
			cfg.Logger = g.logger()
			nc, err := g.dialNATS(g.nats, "tcdse-agent-"+cfg.Name)
			if err != nil {
				return err
			}
			defer nc.Close()
			agent, err := hilbench.NewFarmAgent(nc, cfg)
			if err != nil {
				return err
			}
			if err := g.serveMetrics(cmd.Context(), g.logger()); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "agent %s (%s driver) serving board class %q on %s\n", cfg.Name, cfg.Driver.Name(), cfg.Class, redactURL(g.nats))
			return agent.Serve(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "agent configuration file (YAML; see docs/farm.md)")
	cmd.Flags().StringVar(&name, "name", "host-1", "agent name")
	cmd.Flags().StringVar(&board, "board", "host", "board class served")
	cmd.Flags().StringVar(&workDir, "work-dir", "", "where trees are unpacked and built (default DATA-DIR/boards)")
	cmd.Flags().StringVar(&cc, "cc", "gcc", "C compiler of the host board")
	return cmd
}
