package devstack

import (
	"fmt"
	"net"
	"strconv"
)

// checkFree reports a clear error when hostPort cannot be listened on,
// typically because another stack is already running.
func checkFree(hostPort string) error {
	l, err := net.Listen("tcp", hostPort)
	if err != nil {
		return fmt.Errorf("%s is in use: is `tcdse up` already running? (%w)", hostPort, err)
	}
	return l.Close()
}

// freePorts returns n distinct ports on host that were free a moment ago.
// All listeners stay open until every port is chosen, so the ports differ.
func freePorts(host string, n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("find a free port on %s: %w", host, err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// joinHostPort is net.JoinHostPort for an int port.
func joinHostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
