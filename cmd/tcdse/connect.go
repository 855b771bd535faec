package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

// logger returns the slog logger commands use: warnings only unless --verbose.
func (g *globalFlags) logger() *slog.Logger {
	level := slog.LevelWarn
	if g.verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// dialTemporal connects to Temporal and checks the connection, with a clear error when nothing
// listens there.
func (g *globalFlags) dialTemporal(ctx context.Context, hostPort string) (client.Client, error) {
	c, err := client.DialContext(ctx, client.Options{
		HostPort: hostPort, Namespace: g.namespace,
		Logger: sdklog.NewStructuredLogger(g.logger()),
	})
	if err != nil {
		return nil, fmt.Errorf("connecting to Temporal at %s (is `tcdse up` running?): %w", hostPort, err)
	}
	return c, nil
}

// dialNATS connects to NATS with reconnects, so a restarted server is picked up again.
func dialNATS(url, name string) (*nats.Conn, error) {
	nc, err := nats.Connect(url, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(500*time.Millisecond))
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS at %s (is `tcdse up` running?): %w", url, err)
	}
	return nc, nil
}

// temporalReachable reports whether a Temporal frontend answers at hostPort within a second.
func (g *globalFlags) temporalReachable(ctx context.Context, hostPort string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{
		HostPort: hostPort, Namespace: g.namespace,
		Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	})
	if err != nil {
		return false
	}
	defer c.Close()
	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err == nil
}
