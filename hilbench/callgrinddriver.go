package hilbench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CallgrindDriver is the host build run under valgrind's callgrind: its count is the number
// of instructions executed inside the model's run function per inference, deterministic for
// a tree and a compiler, so the measure-and-calibrate loop can be tested on a real,
// reproducible measurement.
type CallgrindDriver struct {
	// CC is the C compiler (empty: gcc).
	CC string
	// Valgrind is the valgrind program (empty: "valgrind").
	Valgrind string
	// Iterations is the number of timed inferences the harness runs under valgrind (0: 2).
	Iterations int
}

// Name returns "callgrind".
func (*CallgrindDriver) Name() string { return "callgrind" }

// Run builds the harness with few iterations, runs it under callgrind collecting only inside
// <prefix>_run, checks its report and divides the collected instructions by the number of
// inferences (vectors plus iterations).
func (d *CallgrindDriver) Run(ctx context.Context, dir string) (*RunResult, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("callgrind driver: %w", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("callgrind driver: %w", err)
	}
	var man simManifest
	if err := json.Unmarshal(raw, &man); err != nil || !validToken(man.Prefix) {
		return nil, fmt.Errorf("callgrind driver: manifest.json: no usable prefix (%v)", err)
	}
	iters := d.Iterations
	if iters <= 0 {
		iters = 2
	}
	res, err := makeHarness(ctx, "callgrind driver", dir, d.CC,
		[]string{fmt.Sprintf("CFLAGS=-std=c99 -O2 -DTCDSE_BENCH_ITERATIONS=%d", iters)})
	if err != nil || !res.Built {
		return res, err
	}
	vg := d.Valgrind
	if vg == "" {
		vg = "valgrind"
	}
	out := filepath.Join(dir, "callgrind.out")
	rep, err := runHarness(ctx, "callgrind driver", dir, []string{vg, "--tool=callgrind", "--quiet",
		"--callgrind-out-file=" + out, "--toggle-collect=" + man.Prefix + "_run", filepath.Join(dir, "harness")})
	if err != nil {
		return res, err
	}
	res.fill(rep)
	total, err := callgrindTotal(out)
	if err != nil {
		return res, fmt.Errorf("callgrind driver: %w", err)
	}
	n := rep.Vectors + rep.Iterations
	if total <= 0 || n <= 0 {
		return res, fmt.Errorf("callgrind driver: %d instructions over %d inferences", total, n)
	}
	res.CyclesPerInference, res.CycleUnit = float64(total)/float64(n), "instructions"
	return res, nil
}

// callgrindTotal reads the "totals:" (or "summary:") line of a callgrind output file.
func callgrindTotal(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var summary int64 = -1
	for sc.Scan() {
		line := sc.Text()
		for _, key := range []string{"totals:", "summary:"} {
			if rest, ok := strings.CutPrefix(line, key); ok {
				fields := strings.Fields(rest)
				if len(fields) == 0 {
					return 0, fmt.Errorf("%s: empty %s line", path, key)
				}
				n, err := strconv.ParseInt(fields[0], 10, 64)
				if err != nil {
					return 0, fmt.Errorf("%s: %s %q: %v", path, key, fields[0], err)
				}
				if key == "totals:" {
					return n, nil
				}
				summary = n
			}
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if summary < 0 {
		return 0, fmt.Errorf("%s: no totals or summary line", path)
	}
	return summary, nil
}
