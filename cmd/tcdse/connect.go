package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

// logger returns the slog logger commands use: warnings only unless --verbose, as text or
// JSON (--log-format).
func (g *globalFlags) logger() *slog.Logger {
	level := slog.LevelWarn
	if g.verbose {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if g.cl.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// dialTemporal connects to Temporal (address, namespace, TLS and API key from the flags, the
// TEMPORAL_* variables and temporal.toml) and checks the connection, with an error that says
// what failed.
func (g *globalFlags) dialTemporal(ctx context.Context, hostPort string) (client.Client, error) {
	opts, err := g.temporalOptions(hostPort)
	if err != nil {
		return nil, err
	}
	opts.Logger = sdklog.NewStructuredLogger(g.logger())
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, explainTemporal(opts, err)
	}
	return c, nil
}

// explainTemporal says what refused a Temporal connection, without the API key.
func explainTemporal(opts client.Options, err error) error {
	msg := redactErr(err)
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "unauthenticated") || strings.Contains(low, "permissiondenied") || strings.Contains(low, "permission denied"):
		return fmt.Errorf("Temporal at %s (namespace %s) refused the credentials (API key or client certificate): %s", opts.HostPort, opts.Namespace, msg)
	case strings.Contains(low, "x509") || strings.Contains(low, "tls") || strings.Contains(low, "handshake"):
		return fmt.Errorf("TLS with Temporal at %s failed (check --temporal-tls-ca, the client certificate and the server name): %s", opts.HostPort, msg)
	case strings.Contains(low, "namespace") && strings.Contains(low, "not found"):
		return fmt.Errorf("Temporal at %s has no namespace %q: %s", opts.HostPort, opts.Namespace, msg)
	}
	return fmt.Errorf("connecting to Temporal at %s (is `tcdse up` running, or is --temporal / TEMPORAL_ADDRESS right?): %s", opts.HostPort, msg)
}

// dialNATS connects to NATS with the credentials and TLS the flags give, reconnecting
// forever, so a restarted server is picked up again. Errors say what was refused and never
// hold a secret.
func (g *globalFlags) dialNATS(u, name string) (*nats.Conn, error) {
	opts, err := g.natsOptions(name)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(u, opts...)
	if err != nil {
		return nil, g.explainNATS(u, err)
	}
	return nc, nil
}

// temporalReachable reports whether a Temporal frontend answers at hostPort within a second.
func (g *globalFlags) temporalReachable(ctx context.Context, hostPort string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	opts, err := g.temporalOptions(hostPort)
	if err != nil {
		return false
	}
	opts.Logger = sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return false
	}
	defer c.Close()
	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err == nil
}
