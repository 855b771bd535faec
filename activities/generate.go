package activities

import (
	"context"
	"fmt"
	"path"
	"sort"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/store"
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
	out, err := codegen.Generate(g, codegen.Options{
		Format: in.Format, LayerFormats: in.LayerFormats,
		Vectors: &codegen.TestVectors{Inputs: sub.X, Outputs: outs[0]},
	})
	if err != nil {
		return GenerateResult{}, badInput("BadModel", fmt.Errorf("point %s: %w", in.Label, err))
	}
	files := make(map[string][]byte, len(out.Files))
	for _, f := range out.Files {
		files[f.Name] = f.Data
	}
	tarball, err := hilbench.PackFiles(files)
	if err != nil {
		return GenerateResult{}, err
	}
	ref, err := a.Objects.Put(ctx, tarball)
	if err != nil {
		return GenerateResult{}, err
	}
	models, err := pointModelFiles(g)
	if err != nil {
		return GenerateResult{}, fmt.Errorf("point %s: %w", in.Label, err)
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

// RunOnBoard sends a generated tree to a board agent over NATS and waits for its verdict,
// heartbeating meanwhile. A build or comparison failure is a result, not an error: the sweep
// records it.
func (a *Activities) RunOnBoard(ctx context.Context, in BoardInput) (hilbench.RunResult, error) {
	if a.HIL == nil {
		return hilbench.RunResult{}, fmt.Errorf("this worker has no NATS connection for boards")
	}
	key := contentKey("board", struct {
		Code  string
		Board string
	}{in.Code.Key, in.Board})
	jobID := in.Label + "-" + in.Code.Key[:12]
	var cached hilbench.RunResult
	if ok, err := a.fromCache(ctx, key, &cached, func() []store.Ref { return nil }); err != nil {
		return hilbench.RunResult{}, err
	} else if ok {
		cached.JobID = jobID
		return cached, nil
	}
	defer keepAlive(ctx, in.Label)()
	res, err := a.HIL.Run(ctx, hilbench.RunRequest{
		Version: hilbench.ProtocolVersion, JobID: in.Label + "-" + in.Code.Key[:12], Board: in.Board,
		Bucket: in.Code.Bucket, Object: in.Code.Key, SHA256: in.Code.Key, TimeoutSeconds: in.TimeoutSeconds,
	})
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
