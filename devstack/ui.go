package devstack

import (
	"context"
	"fmt"
	"net/http"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// startUI serves the Temporal Web UI (the ui-server the temporal CLI's dev server embeds) on
// hostPort (port 0: a free one) against the frontend at frontend, and returns once it answers
// HTTP, with its address.
func startUI(ctx context.Context, hostPort, frontend string) (*uiserver.Server, string, error) {
	host, port, err := splitHostPort(hostPort)
	if err != nil {
		return nil, "", fmt.Errorf("ui: %w", err)
	}
	if port == 0 {
		free, err := freePorts(host, 1)
		if err != nil {
			return nil, "", fmt.Errorf("ui: %w", err)
		}
		port = free[0]
	}
	addr := joinHostPort(host, port)
	// The ui-server exits the process when it cannot listen: make sure it can.
	if err := checkFree(addr); err != nil {
		return nil, "", fmt.Errorf("ui: %w", err)
	}
	srv := uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
		Host:                host,
		Port:                port,
		TemporalGRPCAddress: frontend,
		EnableUI:            true,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		HideLogs:            true,
	}))
	go func() { _ = srv.Start() }()
	deadline := time.Now().Add(30 * time.Second)
	url := "http://" + addr + "/"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return srv, addr, nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			srv.Stop()
			return nil, "", fmt.Errorf("ui: %s did not answer: %w", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
