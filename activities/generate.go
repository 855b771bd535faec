package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"sort"

	"go.temporal.io/sdk/activity"

	"github.com/tcdse/tcdse/candidate"
	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/store"
	"github.com/tcdse/tcdse/tc3xx"
)

// Generate makes the C code of one point, with test vectors computed by the Go interpreter on
// the first Vectors samples, and stores it in the artifact store: the tree as a tar.gz for the
// boards, and every file of it and of the point's model as outputs under points/LABEL.
// Running it twice stores nothing new. It writes nothing on the worker's disk.
func (a *Activities) Generate(ctx context.Context, in GenerateInput) (GenerateResult, error) {
	in.OutDir = ""
	key := contentKey("generate", in)
	var res GenerateResult
	if ok, err := a.fromCache(ctx, key, &res, res.refs); err != nil || ok {
		return res, err
	}
	res, err := a.generate(ctx, in)
	if err != nil {
		return GenerateResult{}, err
	}
	return res, a.toCache(key, res)
}

// generate does Generate's work.
func (a *Activities) generate(ctx context.Context, in GenerateInput) (GenerateResult, error) {
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
	files := make(map[string][]byte, len(out.Files))
	for _, f := range out.Files {
		files[f.Name] = f.Data
	}
	models, err := pointModelFiles(g)
	if err != nil {
		return GenerateResult{}, fmt.Errorf("point %s: %w", in.Label, err)
	}
	// The graph travels with the code, so that a sim board can price the plan it generated.
	files[hilbench.ModelFile] = models[PointModelFile]
	tarball, err := hilbench.PackFiles(files)
	if err != nil {
		return GenerateResult{}, err
	}
	ref, err := a.Objects.Put(ctx, tarball)
	if err != nil {
		return GenerateResult{}, err
	}
	dir := PointDir(in.Label)
	res := GenerateResult{Label: in.Label, Dir: dir, Code: ref, ArenaBytes: out.Plan.ArenaBytes, WeightBytes: out.Plan.WeightBytes}
	for name := range files {
		res.Files = append(res.Files, name)
	}
	for _, set := range []map[string][]byte{files, models} {
		for name, data := range set {
			o, err := a.storeOutput(ctx, path.Join(dir, name), data)
			if err != nil {
				return GenerateResult{}, err
			}
			res.Outputs = append(res.Outputs, o)
		}
	}
	SortOutputs(res.Outputs)
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
	key := contentKey("board", struct {
		Code  string
		Board string
	}{in.Code.Key, in.Board})
	run := ""
	if activity.IsActivity(ctx) {
		run = activity.GetInfo(ctx).WorkflowExecution.ID
	}
	var cached hilbench.RunResult
	if ok, err := a.fromCache(ctx, key, &cached, func() []store.Ref { return nil }); err != nil {
		return hilbench.RunResult{}, err
	} else if ok {
		cached.JobID = boardJobID(run, in)
		return cached, nil
	}
	defer keepAlive(ctx, in.Label)()
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
	countBoard(res)
	if res.Built {
		// Identical code on the same board kind gives the same verdict: a repeated sweep does
		// not run it again.
		if err := a.toCache(key, res); err != nil {
			return hilbench.RunResult{}, err
		}
	}
	return *res, nil
}

// boardJobID is the farm job id of a point's run: a token (letters and digits) naming the
// workflow, the point, the board class and the code.
func boardJobID(workflowID string, in BoardInput) string {
	sum := sha256.Sum256([]byte(workflowID + "\x00" + in.Label + "\x00" + in.Board + "\x00" + in.Code.Key))
	return "sweep-" + hex.EncodeToString(sum[:12])
}
