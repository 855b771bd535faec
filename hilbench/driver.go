package hilbench

import "context"

// Driver builds and runs an unpacked C source tree on one kind of board.
//
// Run is given the directory holding the tree (model.h, model.c, harness.c, test_vectors.h,
// Makefile, manifest.json) and a context whose deadline bounds the whole build and run. It
// fills the build and harness fields of the result; the agent fills JobID, Board, Agent and
// DurationMS. A tree that fails to compile is a result with Built=false and the log tail,
// not an error: errors are for runs that could not be judged (toolchain missing, harness
// crashed, printed no result, timed out); with an error, Run may also return a partial
// result (e.g. Built=true and the build log), which the agent passes on.
type Driver interface {
	// Name identifies the driver in [AgentInfo], e.g. "host".
	Name() string
	// Run builds and runs the tree in dir.
	Run(ctx context.Context, dir string) (*RunResult, error)
}
