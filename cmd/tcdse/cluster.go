package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/tcdse/tcdse/metrics"
)

// clusterFlags say how to reach a Temporal and a NATS that tcdse did not start: TLS, client
// certificates and credentials, plus metrics and log format. Secrets are read from files or
// the environment, never from flags, and never printed.
type clusterFlags struct {
	temporalChanged, namespaceChanged bool

	temporalProfile, temporalCA, temporalCert, temporalKey, temporalServerName, temporalAPIKeyFile string

	natsCreds, natsNKey, natsUser, natsCA, natsCert, natsKey string

	metrics, logFormat string
}

// Environment variables holding NATS secrets (flags would show them in ps).
const (
	envNATSPassword = "TCDSE_NATS_PASSWORD"
	envNATSToken    = "TCDSE_NATS_TOKEN"
)

// addClusterFlags registers the flags on root.
func (g *globalFlags) addClusterFlags(root *cobra.Command) {
	c := &g.cl
	pf := root.PersistentFlags()
	pf.StringVar(&c.temporalProfile, "temporal-profile", "", "profile of temporal.toml to use (default: TEMPORAL_PROFILE or \"default\"); TEMPORAL_* variables apply on top, flags on top of those")
	pf.StringVar(&c.temporalCA, "temporal-tls-ca", "", "CA certificate (PEM) that signed the Temporal frontend's certificate; turns on TLS")
	pf.StringVar(&c.temporalCert, "temporal-tls-cert", "", "client certificate (PEM) for Temporal mTLS")
	pf.StringVar(&c.temporalKey, "temporal-tls-key", "", "client key (PEM) for Temporal mTLS")
	pf.StringVar(&c.temporalServerName, "temporal-tls-server-name", "", "server name expected in the Temporal frontend's certificate")
	pf.StringVar(&c.temporalAPIKeyFile, "temporal-api-key-file", "", "file holding a Temporal API key (or set TEMPORAL_API_KEY)")
	pf.StringVar(&c.natsCreds, "nats-creds", "", "NATS credentials file (user JWT and nkey seed)")
	pf.StringVar(&c.natsNKey, "nats-nkey", "", "file holding a NATS user nkey seed")
	pf.StringVar(&c.natsUser, "nats-user", "", "NATS user (password from "+envNATSPassword+")")
	pf.StringVar(&c.natsCA, "nats-tls-ca", "", "CA certificate (PEM) that signed the NATS server's certificate; turns on TLS")
	pf.StringVar(&c.natsCert, "nats-tls-cert", "", "client certificate (PEM) for NATS TLS")
	pf.StringVar(&c.natsKey, "nats-tls-key", "", "client key (PEM) for NATS TLS")
	pf.StringVar(&c.metrics, "metrics", "", "serve Prometheus metrics at host:port/metrics (workers and agents), e.g. 127.0.0.1:9464")
	pf.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	prev := root.PersistentPreRunE
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		c.temporalChanged = cmd.Flags().Changed("temporal")
		c.namespaceChanged = cmd.Flags().Changed("namespace")
		if c.logFormat != "text" && c.logFormat != "json" {
			return fmt.Errorf("--log-format %q: want text or json", c.logFormat)
		}
		if prev != nil {
			return prev(cmd, args)
		}
		return nil
	}
}

// temporalOptions are the client options for hostPort: the temporal.toml profile and TEMPORAL_*
// variables (as the temporal CLI reads them), with the flags on top. An explicitly given
// --temporal (or an address other than the flag's, as the embedded stack passes) wins over
// the environment's address.
func (g *globalFlags) temporalOptions(hostPort string) (client.Options, error) {
	c := &g.cl
	prof, err := envconfig.LoadClientConfigProfile(envconfig.LoadClientConfigProfileOptions{ConfigFileProfile: c.temporalProfile})
	if err != nil {
		return client.Options{}, fmt.Errorf("Temporal client configuration (temporal.toml, TEMPORAL_*): %w", err)
	}
	if c.temporalChanged || hostPort != g.temporal || prof.Address == "" {
		prof.Address = hostPort
	}
	if c.namespaceChanged || prof.Namespace == "" {
		prof.Namespace = g.namespace
	}
	if c.temporalAPIKeyFile != "" {
		key, err := os.ReadFile(c.temporalAPIKeyFile)
		if err != nil {
			return client.Options{}, fmt.Errorf("--temporal-api-key-file: %w", err)
		}
		prof.APIKey = strings.TrimSpace(string(key))
	}
	if c.temporalCA != "" || c.temporalCert != "" || c.temporalKey != "" || c.temporalServerName != "" {
		if prof.TLS == nil {
			prof.TLS = &envconfig.ClientConfigTLS{}
		}
		prof.TLS.ServerCACertPath = or(c.temporalCA, prof.TLS.ServerCACertPath)
		prof.TLS.ClientCertPath = or(c.temporalCert, prof.TLS.ClientCertPath)
		prof.TLS.ClientKeyPath = or(c.temporalKey, prof.TLS.ClientKeyPath)
		prof.TLS.ServerName = or(c.temporalServerName, prof.TLS.ServerName)
	}
	opts, err := prof.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return client.Options{}, fmt.Errorf("Temporal client configuration: %w", err)
	}
	if c.metrics != "" {
		opts.MetricsHandler = metrics.TemporalHandler(metrics.Default)
	}
	return opts, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// natsOptions are the connection options the NATS flags and variables give.
func (g *globalFlags) natsOptions(name string) ([]nats.Option, error) {
	c := &g.cl
	opts := []nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(500 * time.Millisecond)}
	if c.natsCreds != "" {
		opts = append(opts, nats.UserCredentials(c.natsCreds))
	}
	if c.natsNKey != "" {
		o, err := nats.NkeyOptionFromSeed(c.natsNKey)
		if err != nil {
			return nil, fmt.Errorf("--nats-nkey %s: not an nkey seed file (%s)", c.natsNKey, redactErr(err))
		}
		opts = append(opts, o)
	}
	if c.natsUser != "" {
		opts = append(opts, nats.UserInfo(c.natsUser, os.Getenv(envNATSPassword)))
	}
	if tok := os.Getenv(envNATSToken); tok != "" {
		opts = append(opts, nats.Token(tok))
	}
	if c.natsCA != "" || c.natsCert != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.natsCA != "" {
			pem, err := os.ReadFile(c.natsCA)
			if err != nil {
				return nil, fmt.Errorf("--nats-tls-ca: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("--nats-tls-ca %s: no PEM certificate in it", c.natsCA)
			}
			cfg.RootCAs = pool
		}
		if c.natsCert != "" {
			cert, err := tls.LoadX509KeyPair(c.natsCert, c.natsKey)
			if err != nil {
				return nil, fmt.Errorf("--nats-tls-cert/--nats-tls-key: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, nats.Secure(cfg))
	}
	return opts, nil
}

// natsCredential names the credential the flags give, for errors ("nkey seed file F").
func (c *clusterFlags) natsCredential(u string) string {
	var what []string
	if c.natsCreds != "" {
		what = append(what, "credentials file "+c.natsCreds)
	}
	if c.natsNKey != "" {
		what = append(what, "nkey seed file "+c.natsNKey)
	}
	if c.natsUser != "" {
		what = append(what, "user "+c.natsUser+" with the password in "+envNATSPassword)
	}
	if os.Getenv(envNATSToken) != "" {
		what = append(what, "the token in "+envNATSToken)
	}
	if pu, err := url.Parse(u); err == nil && pu.User != nil {
		what = append(what, "the user and password in the URL")
	}
	if len(what) == 0 {
		return "no credentials"
	}
	return strings.Join(what, " and ")
}

// explainNATS turns a connection error into one that says what was refused, with no secret.
func (g *globalFlags) explainNATS(u string, err error) error {
	where := redactURL(u)
	msg := redactErr(err, urlSecrets(u)...)
	switch {
	case errors.Is(err, nats.ErrAuthorization) || strings.Contains(strings.ToLower(msg), "authorization violation") ||
		strings.Contains(strings.ToLower(msg), "authentication"):
		return fmt.Errorf("NATS at %s refused the credentials (%s): %s", where, g.cl.natsCredential(u), msg)
	case strings.Contains(msg, "x509") || strings.Contains(msg, "tls:") || strings.Contains(msg, "TLS") || errors.Is(err, nats.ErrSecureConnRequired):
		return fmt.Errorf("TLS with NATS at %s failed (CA %q, client certificate %q): %s", where, g.cl.natsCA, g.cl.natsCert, msg)
	case errors.Is(err, nats.ErrNoServers):
		return fmt.Errorf("connecting to NATS at %s: nothing answers there (is `tcdse up` running, or is --nats right?): %s", where, msg)
	}
	return fmt.Errorf("connecting to NATS at %s: %s", where, msg)
}

// redactURL hides a password (or token) in a URL's user info.
func redactURL(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		// Not a URL url.Parse reads: hide whatever stands before an '@' after the scheme.
		if at := strings.LastIndex(u, "@"); at >= 0 {
			scheme, _, _ := strings.Cut(u, "://")
			if scheme == u {
				scheme = ""
			} else {
				scheme += "://"
			}
			return scheme + "REDACTED" + u[at:]
		}
		return u
	}
	if pu.User == nil {
		return u
	}
	if _, has := pu.User.Password(); has {
		pu.User = url.UserPassword(pu.User.Username(), "REDACTED")
	} else {
		pu.User = url.User("REDACTED")
	}
	return pu.String()
}

// redactErr is err's text with any secret the environment holds, and the more given, replaced.
func redactErr(err error, more ...string) string {
	s := err.Error()
	secrets := more
	for _, env := range []string{envNATSPassword, envNATSToken, "TEMPORAL_API_KEY"} {
		secrets = append(secrets, os.Getenv(env))
	}
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "REDACTED")
		}
	}
	return s
}

// urlSecrets are the password, or the token standing as the user, in a URL's user info.
func urlSecrets(u string) []string {
	pu, err := url.Parse(u)
	if err != nil || pu.User == nil {
		return nil
	}
	if pw, has := pu.User.Password(); has {
		return []string{pw}
	}
	return []string{pu.User.Username()}
}

// serveMetrics starts the Prometheus endpoint when --metrics is set.
func (g *globalFlags) serveMetrics(ctx context.Context, log *slog.Logger) error {
	if g.cl.metrics == "" {
		return nil
	}
	addr, err := metrics.Serve(ctx, g.cl.metrics, metrics.Default)
	if err != nil {
		return err
	}
	log.Info("serving Prometheus metrics", "url", "http://"+addr+"/metrics")
	fmt.Fprintf(os.Stderr, "metrics at http://%s/metrics\n", addr)
	return nil
}
