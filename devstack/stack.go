package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/temporal"

	uiserver "github.com/temporalio/ui-server/v2/server"
)

// File names inside Config.DataDir.
const (
	TemporalDBFile  = "temporal.db"
	TemporalLogFile = "temporal.log"
	NATSLogFile     = "nats.log"
)

// maxReadyWait bounds how long Start waits for the Temporal frontend when
// its context has no deadline.
const maxReadyWait = 2 * time.Minute

// Stack is a running Temporal server and NATS server. Stop it with Stop.
type Stack struct {
	namespace        string
	temporalHostPort string
	temporal         temporal.Server
	ui               *uiserver.Server
	uiHostPort       string
	nats             *server.Server
	logFiles         []*os.File

	stopOnce sync.Once
	stopErr  error
}

// Start starts NATS and then Temporal as configured and returns once both
// accept connections and the namespace answers DescribeNamespace. On error
// nothing is left running.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	cfg, err = cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	// Fail early, before anything starts, when a fixed port is taken.
	for _, hp := range []string{cfg.TemporalHostPort, cfg.NATSHostPort} {
		if _, port, _ := splitHostPort(hp); port != 0 {
			if err := checkFree(hp); err != nil {
				return nil, fmt.Errorf("devstack: %w", err)
			}
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("devstack: data dir: %w", err)
	}

	s := &Stack{namespace: cfg.Namespace}
	defer func() {
		if err != nil {
			_ = s.Stop()
		}
	}()

	temporalLogs, natsLogs, err := s.openLogs(cfg)
	if err != nil {
		return nil, err
	}

	s.nats, err = startNATS(cfg.NATSHostPort, cfg.DataDir, natsLogs)
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}

	host, port, _ := splitHostPort(cfg.TemporalHostPort)
	ports, err := pickTemporalPorts(host, port)
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	dbPath := filepath.Join(cfg.DataDir, TemporalDBFile)
	sql := sqliteConfig(dbPath)
	if err := prepareDatabase(sql, dbPath, cfg.Namespace); err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	srv, err := newTemporalServer(host, ports, sql, &temporalLogger{out: temporalLogs})
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	s.temporalHostPort = joinHostPort(host, ports.frontend)
	if err := srv.Start(); err != nil {
		_ = srv.Stop() // services that did start must not linger
		return nil, fmt.Errorf("devstack: temporal: start server on %s: %w", s.temporalHostPort, err)
	}
	s.temporal = srv
	if err := waitForNamespace(ctx, s.temporalHostPort, cfg.Namespace); err != nil {
		return nil, fmt.Errorf("devstack: temporal: %w", err)
	}
	if cfg.UIHostPort != "" {
		if s.ui, s.uiHostPort, err = startUI(ctx, cfg.UIHostPort, s.temporalHostPort); err != nil {
			return nil, fmt.Errorf("devstack: %w", err)
		}
	}
	return s, nil
}

// openLogs returns the destinations of the Temporal and NATS logs: both
// cfg.LogWriter when set, otherwise files in cfg.DataDir, appended to.
func (s *Stack) openLogs(cfg Config) (temporalLogs, natsLogs *lineWriter, err error) {
	if cfg.LogWriter != nil {
		w := &lineWriter{w: cfg.LogWriter}
		return w, w, nil
	}
	open := func(name string) (*lineWriter, error) {
		path := filepath.Join(cfg.DataDir, name)
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("devstack: open log: %w", err)
		}
		s.logFiles = append(s.logFiles, f)
		return &lineWriter{w: f}, nil
	}
	if temporalLogs, err = open(TemporalLogFile); err != nil {
		return nil, nil, err
	}
	if natsLogs, err = open(NATSLogFile); err != nil {
		return nil, nil, err
	}
	return temporalLogs, natsLogs, nil
}

// waitForNamespace polls the frontend at hostPort until DescribeNamespace
// succeeds for namespace, or ctx (capped at maxReadyWait) ends.
func waitForNamespace(ctx context.Context, hostPort, namespace string) error {
	ctx, cancel := context.WithTimeout(ctx, maxReadyWait)
	defer cancel()
	nc, err := client.NewNamespaceClient(client.Options{
		HostPort: hostPort,
		Logger:   sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	})
	if err != nil {
		return fmt.Errorf("client for %s: %w", hostPort, err)
	}
	defer nc.Close()
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 5*time.Second)
		_, err = nc.Describe(attempt, namespace)
		cancelAttempt()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("frontend %s did not serve namespace %q in time: %w (last error: %v)", hostPort, namespace, ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// TemporalHostPort returns the frontend gRPC address, e.g. "127.0.0.1:7233".
func (s *Stack) TemporalHostPort() string { return s.temporalHostPort }

// UIHostPort returns where the Temporal Web UI is served, or "" when it is not.
func (s *Stack) UIHostPort() string { return s.uiHostPort }

// NATSURL returns the NATS client URL, e.g. "nats://127.0.0.1:4222".
func (s *Stack) NATSURL() string { return s.nats.ClientURL() }

// Namespace returns the registered Temporal namespace.
func (s *Stack) Namespace() string { return s.namespace }

// Stop shuts down Temporal, then NATS, and closes the log files. It is safe
// to call more than once; later calls return the first result.
func (s *Stack) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if s.ui != nil {
			s.ui.Stop()
		}
		if s.temporal != nil {
			if err := s.temporal.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("devstack: stop temporal: %w", err))
			}
		}
		if s.nats != nil {
			s.nats.Shutdown()
			s.nats.WaitForShutdown()
		}
		for _, f := range s.logFiles {
			if err := f.Close(); err != nil {
				errs = append(errs, fmt.Errorf("devstack: close log: %w", err))
			}
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}
