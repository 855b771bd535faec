package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"go.temporal.io/sdk/activity"

	"github.com/tcdse/tcdse/candidate"
	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/tc3xx"
)

// Generate writes the C code of one point to OutDir/Label, with test vectors computed by the
// Go interpreter on the first Vectors samples, and stores the tree as a tar.gz in the object
// store for the boards. Running it twice writes the same files.
func (a *Activities) Generate(ctx context.Context, in GenerateInput) (GenerateResult, error) {
	defer keepAlive(ctx, in.Label)()
	base, err := a.graph(ctx, in.Model)
	if err != nil {
		return GenerateResult{}, err
	}
	g := base
	if len(in.Rates) > 0 {
		if g, err = explore.Prune(base, in.Rates); err != nil {
			return GenerateResult{}, badInput("BadRates", err)
		}
	}
	ds, err := a.data(ctx, in.Data)
	if err != nil {
		return GenerateResult{}, err
	}
	n := min(in.Vectors, ds.Len())
	if n < 1 {
		n = 1
	}
	sub, err := ds.Batch(0, n)
	if err != nil {
		return GenerateResult{}, err
	}
	outs, err := g.Run(sub.X)
	if err != nil {
		return GenerateResult{}, badInput("BadModel", err)
	}
	opts := codegen.Options{
		Format: in.Format, LayerFormats: in.LayerFormats,
		Vectors: &codegen.TestVectors{Inputs: sub.X, Outputs: outs[0]},
	}
	if in.Target != "" {
		target, err := tc3xx.Lookup(in.Target)
		if err != nil {
			return GenerateResult{}, badInput("BadSpec", err)
		}
		costing, err := candidate.CostingFor(target, in.CostModel)
		if err != nil {
			return GenerateResult{}, badInput("BadSpec", err)
		}
		priced, err := candidate.Price(g, opts, costing)
		if err != nil {
			return GenerateResult{}, badInput("BadModel", fmt.Errorf("point %s: %w", in.Label, err))
		}
		opts.WeightsMemory, opts.ArenaMemory = priced.Cost.CodegenMemories()
	}
	out, err := codegen.Generate(g, opts)
	if err != nil {
		return GenerateResult{}, badInput("BadModel", fmt.Errorf("point %s: %w", in.Label, err))
	}
	dir := filepath.Join(in.OutDir, "points", in.Label)
	if err := out.WriteDir(dir, true); err != nil {
		return GenerateResult{}, err
	}
	if err := writePointModel(dir, g); err != nil {
		return GenerateResult{}, fmt.Errorf("point %s: %w", in.Label, err)
	}
	files := make(map[string][]byte, len(out.Files))
	for _, f := range out.Files {
		files[f.Name] = f.Data
	}
	// The graph travels with the code, so that a sim board can price the plan it generated.
	if files[hilbench.ModelFile], err = os.ReadFile(filepath.Join(dir, PointModelFile)); err != nil {
		return GenerateResult{}, fmt.Errorf("point %s: %w", in.Label, err)
	}
	tarball, err := hilbench.PackFiles(files)
	if err != nil {
		return GenerateResult{}, err
	}
	ref, err := a.Objects.Put(ctx, tarball)
	if err != nil {
		return GenerateResult{}, err
	}
	res := GenerateResult{Label: in.Label, Dir: dir, Code: ref, ArenaBytes: out.Plan.ArenaBytes, WeightBytes: out.Plan.WeightBytes}
	for name := range files {
		res.Files = append(res.Files, name)
	}
	sort.Strings(res.Files)
	return res, nil
}

// RunOnBoard queues a generated tree as a job of the board class in.Board on the farm's
// durable queue and waits for its recorded result, heartbeating meanwhile. The job id is
// derived from the workflow, the point, the class and the code, so a retried activity waits
// for the same job instead of queueing another, and a job already measured is not run
// again. A build or comparison failure is a result, not an error: the sweep records it.
func (a *Activities) RunOnBoard(ctx context.Context, in BoardInput) (hilbench.RunResult, error) {
	if a.HIL == nil {
		return hilbench.RunResult{}, fmt.Errorf("this worker has no NATS connection for boards")
	}
	defer keepAlive(ctx, in.Label)()
	run := ""
	if activity.IsActivity(ctx) {
		run = activity.GetInfo(ctx).WorkflowExecution.ID
	}
	prio, err := hilbench.ParsePriority(in.Priority)
	if err != nil {
		return hilbench.RunResult{}, badInput("BadSpec", err)
	}
	res, err := a.HIL.Run(ctx, hilbench.RunRequest{
		Version: hilbench.ProtocolVersion, JobID: boardJobID(run, in), Board: in.Board, Label: in.Label, Priority: prio,
		Bucket: in.Code.Bucket, Object: in.Code.Key, SHA256: in.Code.Key, TimeoutSeconds: in.TimeoutSeconds,
	})
	var agentErr *hilbench.AgentError
	if errors.As(err, &agentErr) && res != nil {
		return *res, nil // the board gave up on the job after its retries: recorded, not retried here
	}
	if err != nil {
		return hilbench.RunResult{}, err
	}
	return *res, nil
}

// boardJobID is the farm job id of a point's run: a token (letters and digits) naming the
// workflow, the point, the board class and the code.
func boardJobID(workflowID string, in BoardInput) string {
	sum := sha256.Sum256([]byte(workflowID + "\x00" + in.Label + "\x00" + in.Board + "\x00" + in.Code.Key))
	return "sweep-" + hex.EncodeToString(sum[:12])
}
