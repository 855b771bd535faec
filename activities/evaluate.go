package activities

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/tcdse/tcdse/candidate"
	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// Import loads the spec's model and data on the worker, checks that they fit together and
// that the metric applies, stores both in the object store, and evaluates the unpruned model.
func (a *Activities) Import(ctx context.Context, in ImportInput) (ImportResult, error) {
	spec := in.Spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return ImportResult{}, badInput("BadSpec", err)
	}
	spec, err := a.fetchInputs(ctx, spec)
	if err != nil {
		return ImportResult{}, err
	}
	modelPath := spec.Resolve(spec.Model)
	raw, err := os.ReadFile(modelPath)
	if err != nil {
		return ImportResult{}, badInput("BadModel", fmt.Errorf("model: %w", err))
	}
	g, err := model.Load(raw)
	if err != nil {
		return ImportResult{}, badInput("BadModel", fmt.Errorf("model %s: %w", modelPath, err))
	}
	if len(g.Inputs) != 1 {
		return ImportResult{}, badInput("BadModel", fmt.Errorf("model %s has %d inputs; sweeps support one", modelPath, len(g.Inputs)))
	}
	ds, err := dataset.Load(explore.DataSpecFor(g, resolveData(spec)))
	if err != nil {
		return ImportResult{}, badInput("BadData", fmt.Errorf("data: %w", err))
	}
	if err := explore.FitData(g, ds); err != nil {
		return ImportResult{}, badInput("BadData", fmt.Errorf("data for model %s: %w", modelPath, err))
	}
	target, err := tc3xx.Lookup(spec.Target)
	if err != nil {
		return ImportResult{}, badInput("BadSpec", fmt.Errorf("target: %w", err))
	}
	if _, err := codegen.PlanGraph(g, codegen.Options{Format: spec.Generate.Format}); err != nil && spec.Generate.Format != "" {
		return ImportResult{}, badInput("BadSpec", fmt.Errorf("generate.format: %w", err))
	}
	var costModel *tc3xx.CostModel
	if spec.CostModel != "" {
		m, err := a.loadCostModel(ctx, spec)
		if err != nil {
			return ImportResult{}, err
		}
		if m.Arch != target.Core.Arch {
			return ImportResult{}, badInput("BadSpec", fmt.Errorf("cost_model: %s is for %s cores, target %s has a %s", spec.CostModel, m.Arch, target, target.Core.Arch))
		}
		costModel = &m
	}
	ds, trainRef, err := a.prepareFineTune(ctx, spec, g, ds)
	if err != nil {
		return ImportResult{}, err
	}
	var ir bytes.Buffer
	if err := g.Encode(&ir); err != nil {
		return ImportResult{}, err
	}
	modelRef, err := a.Objects.Put(ctx, ir.Bytes())
	if err != nil {
		return ImportResult{}, err
	}
	dsBytes, err := ds.MarshalBinary()
	if err != nil {
		return ImportResult{}, err
	}
	dataRef, err := a.Objects.Put(ctx, dsBytes)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Model: modelRef, ModelHash: modelRef.Key, Data: dataRef, Samples: ds.Len(), CostModel: costModel}
	res.Train = trainRef
	gwp := spec.GWP.WithDefaults()
	layers, skipped := explore.SensitivityLayers(g, spec.Rates, gwp.Structured, gwp.Norm)
	for _, name := range layers {
		n := g.Node(name)
		res.Layers = append(res.Layers, LayerInfo{Name: n.Name, Op: string(n.Op), Params: n.Weight.Len()})
	}
	if len(skipped) > 0 {
		res.Skipped = skipped
	}
	if spec.HasUnstructuredPhase() {
		all, _ := explore.SensitivityLayers(g, spec.Rates, false, "")
		for _, name := range all {
			n := g.Node(name)
			res.UnstructuredLayers = append(res.UnstructuredLayers, LayerInfo{Name: n.Name, Op: string(n.Op), Params: n.Weight.Len()})
		}
	}
	if spec.Search != nil {
		if res.SearchLayers, err = searchLayers(g, spec); err != nil {
			return res, err
		}
	}
	res.Baseline, err = a.Evaluate(ctx, EvalInput{
		Model: modelRef, ModelHash: modelRef.Key, Data: dataRef, Metric: spec.Metric,
		Target: spec.Target, Batch: spec.Batch, Label: "dense", CostModel: costModel,
		Format: spec.Generate.Format, AlsoTargets: AlsoTargets(spec),
	})
	if err != nil {
		return res, err
	}
	m, err := dataset.MetricByName(spec.Metric)
	if err != nil {
		return res, badInput("BadSpec", err)
	}
	if err := spec.SensitivityThreshold().CheckBaseline(res.Baseline.Quality, m.HigherIsBetter); err != nil {
		return res, badInput("BadSpec", fmt.Errorf("sweep %q, metric %s: %w", spec.Name, spec.Metric, err))
	}
	return res, nil
}

// resolveData makes the data spec's file names relative to the sweep spec.
func resolveData(spec explore.SweepSpec) dataset.Spec {
	d := spec.Data
	d.Images, d.Labels, d.Path = spec.Resolve(d.Images), spec.Resolve(d.Labels), spec.Resolve(d.Path)
	return d
}

// Evaluate prunes a stored model with the input's rates, scores it on the stored data and
// estimates its cost on the target. Results are cached by candidate id, so a retry, a replay
// or a second sweep over the same candidate costs a cache read.
func (a *Activities) Evaluate(ctx context.Context, in EvalInput) (Evaluation, error) {
	opts := evalOptions{Data: in.Data.Key, Metric: in.Metric, Target: in.Target, Keep: in.Keep}
	if in.CostModel != nil {
		opts.CostModel = in.CostModel.Hash()
	}
	opts.FineTune = in.FineTune.identity()
	opts.Pruning = in.Pruning
	opts.Format = in.Format
	opts.AlsoTargets = in.AlsoTargets
	opts.Quantize = in.Quantize
	opts.LayerFormats = in.LayerFormats
	if in.Quantize != nil && in.Calibration != nil {
		opts.Calibration = in.Calibration.Key
	}
	id := explore.CandidateID(in.ModelHash, in.Rates, opts)
	var ev Evaluation
	key := evalCacheKey(id, in.Target)
	if ok, err := a.fromCache(ctx, key, &ev, ev.refs); err != nil {
		return Evaluation{}, err
	} else if ok {
		countEval(true, 0)
		ev.Label = in.Label
		return ev, nil
	}
	defer keepAlive(ctx, in.Label)()
	start := time.Now()
	m, err := dataset.MetricByName(in.Metric)
	if err != nil {
		return Evaluation{}, badInput("BadSpec", err)
	}
	target, err := tc3xx.Lookup(in.Target)
	if err != nil {
		return Evaluation{}, badInput("BadSpec", err)
	}
	base, err := a.graph(ctx, in.Model)
	if err != nil {
		return Evaluation{}, err
	}
	ds, err := a.data(ctx, in.Data)
	if err != nil {
		return Evaluation{}, err
	}
	g, rates, err := a.prune(ctx, base, in)
	if err != nil {
		return Evaluation{}, err
	}
	if in.FineTune != nil {
		if g, err = a.fineTune(ctx, in.FineTune, g); err != nil {
			return Evaluation{}, err
		}
	}
	if in.Quantize != nil {
		calib := ds
		if in.Calibration != nil {
			if calib, err = a.data(ctx, *in.Calibration); err != nil {
				return Evaluation{}, err
			}
		}
		if g, err = explore.Quantize(g, calib, in.Quantize.Options()); err != nil {
			return Evaluation{}, badInput("BadModel", fmt.Errorf("point %s: %w", in.Label, err))
		}
	}
	var staged explore.StagedScore
	if in.Stages != nil {
		staged, err = explore.ScoreStaged(g, ds, m, in.Batch, *in.Stages)
	} else {
		staged.Quality, err = explore.Evaluate(g, ds, m, in.Batch)
		staged.Complete = true
	}
	if err != nil {
		return Evaluation{}, badInput("BadData", err)
	}
	q := staged.Quality
	costing, err := candidate.CostingFor(target, in.CostModel)
	if err != nil {
		return Evaluation{}, badInput("BadSpec", err)
	}
	codegenOpts := codegen.Options{Format: in.Format, LayerFormats: in.LayerFormats}
	priced, err := candidate.Price(g, codegenOpts, costing)
	if err != nil {
		return Evaluation{}, badInput("BadModel", err)
	}
	cost := priced.Cost
	ev = Evaluation{
		CandidateID: id, Label: in.Label, Rates: rates, Quality: q, Sparsity: explore.Sparsity(g),
		Cycles: cost.Cycles, TimeUS: cost.TimeUS, ROMBytes: cost.ROMBytes, RAMBytes: cost.RAMBytes,
		WeightBytes: cost.WeightBytes, ArenaBytes: cost.ArenaBytes,
		Fits: cost.Fits, Reason: cost.Reason, ModelHash: in.ModelHash, Seconds: time.Since(start).Seconds(),
		LayerFormats: in.LayerFormats, Weights: string(cost.Weights), Activations: string(cost.Activations),
	}
	if ev.PerTarget, err = priceOn(in.AlsoTargets, in.CostModel, g, codegenOpts); err != nil {
		return Evaluation{}, err
	}
	if !staged.Complete {
		ev.Stopped, ev.Samples, ev.Total = true, staged.Samples, staged.Total
		return ev, nil
	}
	if in.Keep {
		var buf bytes.Buffer
		if err := g.Encode(&buf); err != nil {
			return Evaluation{}, err
		}
		ref, err := a.Objects.Put(ctx, buf.Bytes())
		if err != nil {
			return Evaluation{}, err
		}
		ev.Model, ev.ModelHash = &ref, ref.Key
	}
	if err := a.toCache(key, ev); err != nil {
		return Evaluation{}, err
	}
	countEval(false, time.Since(start))
	return ev, nil
}

// evalOptions is the part of a candidate's identity besides model and rates.
type evalOptions struct {
	Data   string `json:"data"`
	Metric string `json:"metric"`
	Target string `json:"target"`
	Keep   bool   `json:"keep"`
	// CostModel is the hash of a calibrated cost model; empty (and left out of the id) for
	// the built-in one, so ids of uncalibrated sweeps are unchanged.
	CostModel string `json:"cost_model,omitempty"`
	// FineTune identifies the fine-tuning of a GWP step or probe; nil (left out) otherwise.
	FineTune *fineTuneIdentity `json:"finetune,omitempty"`
	// Format is the generated code's weight format; empty (auto, left out) by default.
	Format string `json:"format,omitempty"`
	// Pruning identifies structured or weighted-global pruning; nil (left out) for the
	// default, so ids of default sweeps are unchanged.
	Pruning *PruningInput `json:"pruning,omitempty"`
	// Quantize identifies an int8 point; nil (left out) for float points.
	Quantize *explore.QuantizeSpec `json:"quantize,omitempty"`
	// Calibration is the key of separate calibration data for an int8 point; empty (left
	// out) when it calibrates on the scored data.
	Calibration string `json:"calibration,omitempty"`
	// LayerFormats are a search design's per-layer weight formats; nil (left out) otherwise.
	LayerFormats map[string]string `json:"layer_formats,omitempty"`
	// AlsoTargets are a multi-target sweep's other targets; nil (left out) otherwise.
	AlsoTargets []string `json:"also_targets,omitempty"`
}
