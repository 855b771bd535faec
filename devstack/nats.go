package devstack

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// natsReadyTimeout bounds how long startNATS waits for the client listener.
const natsReadyTimeout = 30 * time.Second

// startNATS starts an in-process NATS server with JetStream storing under
// dataDir/nats, listening on hostPort (port 0: a free port).
func startNATS(hostPort, dataDir string, logs *lineWriter) (*server.Server, error) {
	host, port, err := splitHostPort(hostPort)
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	} else if err := checkFree(hostPort); err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	storeDir := filepath.Join(dataDir, "nats")
	ns, err := server.NewServer(&server.Options{
		ServerName: "tcdse-devstack",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   storeDir,
		NoSigs:     true, // the embedding program owns signal handling
	})
	if err != nil {
		return nil, fmt.Errorf("nats: configure server on %s with store %s: %w", hostPort, storeDir, err)
	}
	ns.SetLoggerV2(natsLogger{out: logs}, false, false, false)
	ns.Start()
	if !ns.ReadyForConnections(natsReadyTimeout) {
		ns.Shutdown()
		return nil, fmt.Errorf("nats: server on %s not ready after %s (see the nats log)", hostPort, natsReadyTimeout)
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		return nil, fmt.Errorf("nats: JetStream did not start with store %s (see the nats log)", storeDir)
	}
	return ns, nil
}
