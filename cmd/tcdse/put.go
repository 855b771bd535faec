package main

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/tcdse/tcdse/store"
	"github.com/tcdse/tcdse/workers"
)

func newPutCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "put FILE...",
		Short: "Store files in the artifact store and print the references to write in a sweep spec",
		Long: `put stores each file in the JetStream object store of --nats (bucket tcdse-artifacts), under
the SHA-256 of its content, and prints one artifact:// reference per file. Write these in a spec
submitted with the temporal CLI: workers read a sweep's inputs only from the artifact store.
Storing the same content again sends nothing.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			objs, nc, err := g.openObjects(cmd.Context(), "tcdse-put")
			if err != nil {
				return err
			}
			defer nc.Close()
			for _, path := range args {
				ref, err := objs.PutFile(cmd.Context(), path)
				if err != nil {
					return err
				}
				fmt.Println(ref.URL(path))
			}
			return nil
		},
	}
}

// openObjects connects to NATS and binds the artifact store.
func (g *globalFlags) openObjects(ctx context.Context, name string) (*store.Objects, *nats.Conn, error) {
	nc, err := g.dialNATS(g.nats, name)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("JetStream at %s: %w", redactURL(g.nats), err)
	}
	objs, err := store.OpenObjects(ctx, js, workers.ArtifactBucket)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return objs, nc, nil
}
