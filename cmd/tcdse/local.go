package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/nats-io/nats.go"
	"go.temporal.io/sdk/client"

	"github.com/tcdse/tcdse/devstack"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/workers"
)

// localStack is the embedded Temporal server and NATS with a worker and a host board agent in
// this process: what `tcdse up` serves and what `tcdse run` uses when nothing runs yet.
type localStack struct {
	stack  *devstack.Stack
	client client.Client
	nc     *nats.Conn
	worker *workers.Worker
	cancel context.CancelFunc
	agent  chan error
}

// startLocal starts everything, and the Temporal Web UI at uiHostPort unless that is empty;
// close it with stop.
func startLocal(ctx context.Context, g *globalFlags, uiHostPort string) (*localStack, error) {
	if err := os.MkdirAll(g.dataDir, 0o755); err != nil {
		return nil, err
	}
	natsHostPort, err := hostPortOfURL(g.nats)
	if err != nil {
		return nil, err
	}
	st, err := devstack.Start(ctx, devstack.Config{
		DataDir: g.dataDir, TemporalHostPort: g.temporal, NATSHostPort: natsHostPort, Namespace: g.namespace,
		UIHostPort: uiHostPort,
	})
	if err != nil {
		return nil, err
	}
	l := &localStack{stack: st}
	if err := l.attach(ctx, g, st.TemporalHostPort(), st.NATSURL()); err != nil {
		l.stop()
		return nil, err
	}
	if err := workers.RegisterSearchAttributes(ctx, l.client, g.namespace); err != nil {
		l.stop()
		return nil, err
	}
	return l, nil
}

// withTemporal calls f with a client of the tcdse running at --temporal.
func (g *globalFlags) withTemporal(ctx context.Context, f func(client.Client) error) error {
	c, err := g.dialTemporal(ctx, g.temporal)
	if err != nil {
		return err
	}
	defer c.Close()
	return f(c)
}

// withClient calls f with a client of the running tcdse at --temporal, or of an embedded stack
// started for the call when none runs.
func (g *globalFlags) withClient(ctx context.Context, f func(client.Client) error) error {
	if g.temporalReachable(ctx, g.temporal) {
		fmt.Fprintf(os.Stderr, "using the tcdse already running at %s\n", g.temporal)
		c, err := g.dialTemporal(ctx, g.temporal)
		if err != nil {
			return err
		}
		defer c.Close()
		return f(c)
	}
	fmt.Fprintf(os.Stderr, "starting the embedded Temporal server and NATS (state in %s)\n", g.dataDir)
	l, err := startLocal(ctx, g, "")
	if err != nil {
		return err
	}
	defer l.stop()
	return f(l.client)
}

// attach starts a worker and a host board agent against running services.
func (l *localStack) attach(ctx context.Context, g *globalFlags, temporalHostPort, natsURL string) error {
	var err error
	if l.client, err = g.dialTemporal(ctx, temporalHostPort); err != nil {
		return err
	}
	if l.nc, err = g.dialNATS(natsURL, "tcdse"); err != nil {
		return err
	}
	if l.worker, err = workers.Start(ctx, workers.Config{Client: l.client, NATS: l.nc, DataDir: g.dataDir, Name: "local"}); err != nil {
		return err
	}
	agent, err := hilbench.NewFarmAgent(l.nc, hilbench.FarmAgentConfig{
		Name: "host-local", Class: "host", Driver: &hilbench.HostDriver{},
		WorkDir: filepath.Join(g.dataDir, "boards"), Concurrency: 1, Logger: g.logger(),
	})
	if err != nil {
		return err
	}
	actx, cancel := context.WithCancel(ctx)
	l.cancel = cancel
	l.agent = make(chan error, 1)
	go func() { l.agent <- agent.Serve(actx) }()
	return nil
}

// stop shuts down in reverse order.
func (l *localStack) stop() {
	if l.cancel != nil {
		l.cancel()
		<-l.agent
	}
	if l.worker != nil {
		l.worker.Stop()
	}
	if l.nc != nil {
		l.nc.Close()
	}
	if l.client != nil {
		l.client.Close()
	}
	if l.stack != nil {
		if err := l.stack.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "tcdse: stopping the embedded stack:", err)
		}
	}
}

// hostPortOfURL turns nats://host:port into host:port.
func hostPortOfURL(u string) (string, error) {
	const scheme = "nats://"
	hp := u
	if len(u) > len(scheme) && u[:len(scheme)] == scheme {
		hp = u[len(scheme):]
	}
	if _, _, err := net.SplitHostPort(hp); err != nil {
		return "", fmt.Errorf("--nats %q: want nats://host:port", redactURL(u))
	}
	return hp, nil
}
