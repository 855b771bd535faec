package devstack

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
)

// Defaults used for empty Config fields.
const (
	DefaultTemporalHostPort = "127.0.0.1:7233"
	DefaultNATSHostPort     = "127.0.0.1:4222"
	DefaultNamespace        = "default"
	DefaultUIHostPort       = "127.0.0.1:8233"
)

// Config says where the stack keeps its state and where it listens.
type Config struct {
	// DataDir holds the Temporal SQLite file, the JetStream store and the
	// logs. It is created if missing. Required.
	DataDir string
	// TemporalHostPort is the frontend gRPC address. Empty means
	// DefaultTemporalHostPort; port 0 picks a free port.
	TemporalHostPort string
	// NATSHostPort is the NATS client address. Empty means
	// DefaultNATSHostPort; port 0 picks a free port.
	NATSHostPort string
	// Namespace is registered (idempotently) before the server starts.
	// Empty means DefaultNamespace.
	Namespace string
	// UIHostPort, when set, is where the Temporal Web UI is served (as the temporal CLI's dev
	// server does; DefaultUIHostPort is its usual address); port 0 picks a free port. Empty
	// serves no UI.
	UIHostPort string
	// LogWriter, if set, receives the Temporal and NATS server logs instead
	// of the files temporal.log and nats.log in DataDir.
	LogWriter io.Writer
}

// withDefaults returns cfg with empty fields filled in, or an error naming the
// first invalid field.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.DataDir == "" {
		return cfg, errors.New("devstack: Config.DataDir is empty")
	}
	if cfg.TemporalHostPort == "" {
		cfg.TemporalHostPort = DefaultTemporalHostPort
	}
	if cfg.NATSHostPort == "" {
		cfg.NATSHostPort = DefaultNATSHostPort
	}
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	if _, _, err := splitHostPort(cfg.TemporalHostPort); err != nil {
		return cfg, fmt.Errorf("devstack: Config.TemporalHostPort: %w", err)
	}
	if _, _, err := splitHostPort(cfg.NATSHostPort); err != nil {
		return cfg, fmt.Errorf("devstack: Config.NATSHostPort: %w", err)
	}
	if cfg.UIHostPort != "" {
		if _, _, err := splitHostPort(cfg.UIHostPort); err != nil {
			return cfg, fmt.Errorf("devstack: Config.UIHostPort: %w", err)
		}
	}
	return cfg, nil
}

// splitHostPort splits "host:port" and checks that host is non-empty and
// port is a number in [0, 65535].
func splitHostPort(hostPort string) (host string, port int, err error) {
	host, p, err := net.SplitHostPort(hostPort)
	if err != nil {
		return "", 0, err
	}
	if host == "" {
		return "", 0, fmt.Errorf("%q has no host (use 127.0.0.1 for local only)", hostPort)
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("%q: port %q is not a number in 0..65535", hostPort, p)
	}
	return host, port, nil
}
