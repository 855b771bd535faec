// Package host reports what the benchmark commands print about the machine they ran on.
package host

import (
	"errors"
	"io"
	"os"
	"strings"
)

// LoadAverage is the 1-minute load average, or "?" where /proc/loadavg is missing.
func LoadAverage() string {
	f, err := os.Open("/proc/loadavg")
	if err != nil {
		return "?"
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64))
	if err != nil && !errors.Is(err, io.EOF) {
		return "?"
	}
	if fields := strings.Fields(string(b)); len(fields) > 0 {
		return fields[0]
	}
	return "?"
}
