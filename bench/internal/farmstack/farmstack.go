// Package farmstack starts what the farm benchmarks run on: an in-process NATS server with
// JetStream in a temporary directory, the artifact bucket, and board agents that serve until
// the stack is stopped.
package farmstack

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tcdse/tcdse/hilbench"
)

// Bucket is the artifact bucket trees are stored in.
const Bucket = "tcdse-artifacts"

// Stack is a running server with its agents.
type Stack struct {
	Server *server.Server
	// NC is a connection for the benchmark's own use.
	NC      *nats.Conn
	objects jetstream.ObjectStore
	dir     string
	ctx     context.Context
	cancel  context.CancelFunc
	served  sync.WaitGroup
	conns   []*nats.Conn
}

// Start runs the server on a random loopback port.
func Start() (*Stack, error) {
	dir, err := os.MkdirTemp("", "tcdse-farm-bench-")
	if err != nil {
		return nil, err
	}
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go s.Start()
	st := &Stack{Server: s, dir: dir}
	st.ctx, st.cancel = context.WithCancel(context.Background())
	if !s.ReadyForConnections(10 * time.Second) {
		st.Close()
		return nil, fmt.Errorf("nats server did not start")
	}
	if st.NC, err = st.Connect(); err != nil {
		st.Close()
		return nil, err
	}
	js, _ := jetstream.New(st.NC)
	if st.objects, err = js.CreateOrUpdateObjectStore(st.ctx, jetstream.ObjectStoreConfig{Bucket: Bucket}); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// Connect opens another connection, closed with the stack.
func (st *Stack) Connect() (*nats.Conn, error) {
	nc, err := nats.Connect(st.Server.ClientURL())
	if err != nil {
		return nil, err
	}
	st.conns = append(st.conns, nc)
	return nc, nil
}

// Put stores a packed tree and returns a request for it on class.
func (st *Stack) Put(tree []byte, class string) (hilbench.RunRequest, error) {
	sum := hilbench.SHA256Hex(tree)
	if _, err := st.objects.PutBytes(st.ctx, sum, tree); err != nil {
		return hilbench.RunRequest{}, err
	}
	return hilbench.RunRequest{Board: class, Bucket: Bucket, Object: sum, SHA256: sum}, nil
}

// StartAgent serves a board agent on its own connection, quietly, with a work directory in the
// stack's, until Stop.
func (st *Stack) StartAgent(cfg hilbench.FarmAgentConfig) error {
	nc, err := st.Connect()
	if err != nil {
		return err
	}
	cfg.WorkDir = filepath.Join(st.dir, "agent-"+cfg.Name)
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := hilbench.NewFarmAgent(nc, cfg)
	if err != nil {
		return err
	}
	st.served.Add(1)
	go func() { defer st.served.Done(); _ = a.Serve(st.ctx) }()
	<-a.Ready()
	return nil
}

// StopAgents stops the agents and waits for them.
func (st *Stack) StopAgents() {
	st.cancel()
	st.served.Wait()
}

// Close stops everything and removes the server's directory.
func (st *Stack) Close() {
	st.StopAgents()
	for _, nc := range st.conns {
		nc.Close()
	}
	st.Server.Shutdown()
	os.RemoveAll(st.dir)
}
