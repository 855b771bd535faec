package hilbench

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"
)

// maxHarnessStdout bounds how much of the harness's stdout is kept for finding its result.
const maxHarnessStdout = 64 << 10

// HostDriver is the "host" board: it builds the tree with the host's make and C compiler and
// runs the harness natively. It checks generated code for correctness on any machine; its
// timings are those of the host, not of a TC3xx.
type HostDriver struct {
	// CC is the C compiler passed to make as CC=...; empty means "gcc".
	CC string
	// MakeArgs are extra arguments to make, placed before the "harness" target
	// (e.g. "CFLAGS=-O2 -Wall").
	MakeArgs []string
}

// Name returns "host".
func (HostDriver) Name() string { return "host" }

// Run runs `make -B -C dir CC=<CC> <MakeArgs...> harness`, then dir/harness in dir, both bound
// by ctx (on cancellation the whole process group is killed). A failing make yields
// Built=false and the log tail with a nil error. The harness's single JSON line is parsed
// into the result; a missing or malformed line, a crash, a timeout, or an exit status that
// contradicts the reported pass flag (the harness exits 0 iff it passes) is an error that
// quotes the output tail, returned with a partial result (Built=true and the build log).
func (d HostDriver) Run(ctx context.Context, dir string) (*RunResult, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("host driver: %w", err)
	}
	res, err := makeHarness(ctx, "host driver", dir, d.CC, d.MakeArgs)
	if err != nil || !res.Built {
		return res, err
	}
	rep, err := runHarness(ctx, "host driver", dir, []string{filepath.Join(dir, "harness")})
	if err != nil {
		return res, err
	}
	res.fill(rep)
	return res, nil
}

// fill copies a harness report into the result.
func (r *RunResult) fill(rep *HarnessReport) {
	r.Pass = rep.Pass
	r.Vectors = rep.Vectors
	r.MaxAbsErr = rep.MaxAbsErr
	r.MaxRelErr = rep.MaxRelErr
	r.Iterations = rep.Iterations
	r.NsPerInference = rep.NsPerInference
	if rep.CyclesPerInference > 0 {
		r.CyclesPerInference, r.CycleUnit = rep.CyclesPerInference, "cycles"
	}
}

// makeHarness runs `make -B -C dir CC=<cc> <makeArgs...> harness` bound by ctx. A failing make
// is a result with Built=false and the log tail, not an error.
func makeHarness(ctx context.Context, who, dir, cc string, makeArgs []string) (*RunResult, error) {
	if cc == "" {
		cc = "gcc"
	}
	// -B: rebuild even if the tree shipped a harness binary that looks up to date.
	args := append([]string{"-B", "-C", dir, "CC=" + cc}, makeArgs...)
	args = append(args, "harness")

	buildLog := newTailBuffer(MaxLogTail)
	build := exec.CommandContext(ctx, "make", args...)
	build.Stdout = buildLog
	build.Stderr = buildLog
	killGroupOnCancel(build)
	err := build.Run()
	res := &RunResult{BuildLog: buildLog.String()}
	if err != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("%s: build in %s stopped: %w; build log tail:\n%s", who, dir, context.Cause(ctx), res.BuildLog)
		}
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return res, nil // The tree does not compile: a result, not an error.
		}
		return res, fmt.Errorf("%s: running make in %s: %w", who, dir, err)
	}
	res.Built = true
	return res, nil
}

// runHarness runs argv (the harness, possibly under a tool) in dir and parses its report.
// A missing or malformed line, a crash, a timeout, or an exit status that contradicts the
// reported pass flag (the harness exits 0 iff it passes) is an error that quotes the output.
func runHarness(ctx context.Context, who, dir string, argv []string) (*HarnessReport, error) {
	stdout := newTailBuffer(maxHarnessStdout)
	stderr := newTailBuffer(MaxLogTail)
	harness := exec.CommandContext(ctx, argv[0], argv[1:]...)
	harness.Dir = dir
	harness.Stdout = stdout
	harness.Stderr = stderr
	killGroupOnCancel(harness)
	runErr := harness.Run()
	outputTail := func() string {
		return fmt.Sprintf("stdout tail:\n%s\nstderr tail:\n%s",
			truncateTail(stdout.String(), MaxLogTail), stderr.String())
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s: harness in %s stopped: %w; %s", who, dir, context.Cause(ctx), outputTail())
	}
	exitCode := 0
	if runErr != nil {
		var exitErr *exec.ExitError
		if !errors.As(runErr, &exitErr) {
			return nil, fmt.Errorf("%s: starting %s: %w", who, argv[0], runErr)
		}
		if !exitErr.Exited() {
			return nil, fmt.Errorf("%s: harness in %s died: %v; %s", who, dir, exitErr, outputTail())
		}
		exitCode = exitErr.ExitCode()
	}
	rep, err := ParseHarnessOutput([]byte(stdout.String()))
	if err != nil {
		return nil, fmt.Errorf("%s: harness in %s (exit status %d): %w; %s", who, dir, exitCode, err, outputTail())
	}
	if rep.Pass != (exitCode == 0) {
		return nil, fmt.Errorf("%s: harness in %s reported pass=%t but exited with status %d; %s",
			who, dir, rep.Pass, exitCode, outputTail())
	}
	return rep, nil
}

// processWaitDelay is how long Wait waits for output pipes after the process was killed.
const processWaitDelay = 5 * time.Second
