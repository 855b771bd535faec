package hilbench

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// CommandDriver is a real board reached through command templates from the agent's own
// configuration (never from a job): Build compiles the tree (e.g. `make -C {dir} tricore`
// with a HighTec or TASKING toolchain), Flash writes it to the board, Run resets the board and
// (the Console template) prints its console until the harness's result line ([ParseResultLine]). Each template is an
// argument vector, run without a shell, in the job directory, with "{dir}" replaced by that
// directory; the job's time limit bounds all three and kills their process groups.
type CommandDriver struct {
	Build, Flash, Console []string
	// ClockMHz converts cycles to nanoseconds (0: no time is reported).
	ClockMHz float64
	// OutputLimit bounds the console output kept, in bytes (0: 64 KiB).
	OutputLimit int
}

// Name returns "command".
func (*CommandDriver) Name() string { return "command" }

// Run builds, flashes and runs the tree in dir. A failing build is a result (Built=false);
// a failing flash, a run without a valid result line or a timeout is an error.
func (d *CommandDriver) Run(ctx context.Context, dir string) (*RunResult, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("command driver: %w", err)
	}
	res := &RunResult{}
	if len(d.Build) > 0 {
		out, err := d.step(ctx, "build", d.Build, dir)
		res.BuildLog = out
		if err != nil {
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) && ctx.Err() == nil {
				return res, nil
			}
			return res, err
		}
	}
	res.Built = true
	if len(d.Flash) > 0 {
		if out, err := d.step(ctx, "flash", d.Flash, dir); err != nil {
			return res, fmt.Errorf("%w; output tail:\n%s", err, out)
		}
	}
	if len(d.Console) == 0 {
		return res, errors.New("command driver: no run (console) command configured")
	}
	out, err := d.step(ctx, "run", d.Console, dir)
	line, perr := ParseResultLine([]byte(out))
	if perr != nil {
		if err != nil {
			return res, fmt.Errorf("%w; %v; console tail:\n%s", err, perr, truncateTail(out, MaxLogTail))
		}
		return res, fmt.Errorf("command driver: %w; console tail:\n%s", perr, truncateTail(out, MaxLogTail))
	}
	res.Pass, res.Vectors, res.MaxAbsErr, res.MaxRelErr, res.Iterations = line.Pass, line.Vectors, line.MaxAbsErr, line.MaxRelErr, 1
	res.CyclesPerInference, res.CycleUnit = line.Cycles, "cycles"
	if d.ClockMHz > 0 {
		res.NsPerInference = line.Cycles / d.ClockMHz * 1e3
	}
	return res, nil
}

// step runs one template in dir and returns its combined output tail.
func (d *CommandDriver) step(ctx context.Context, name string, template []string, dir string) (string, error) {
	argv := make([]string, len(template))
	for i, a := range template {
		argv[i] = strings.ReplaceAll(a, "{dir}", dir)
	}
	limit := d.OutputLimit
	if limit <= 0 {
		limit = maxHarnessStdout
	}
	out := newTailBuffer(limit)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout = out
	cmd.Stderr = out
	killGroupOnCancel(cmd)
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return out.String(), fmt.Errorf("command driver: %s %q stopped: %w", name, argv[0], context.Cause(ctx))
		}
		return out.String(), fmt.Errorf("command driver: %s %q: %w", name, argv[0], err)
	}
	return out.String(), nil
}
