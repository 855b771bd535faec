// Package host reports what the benchmark commands print about the machine they ran on.
package host

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
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

// ParseSeeds reads a -seeds flag: comma-separated non-negative integers.
func ParseSeeds(s string) ([]uint64, error) {
	var out []uint64
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(p), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("-seeds %q: %q is not a non-negative integer", s, p)
		}
		out = append(out, v)
	}
	return out, nil
}
