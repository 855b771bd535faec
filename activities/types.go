package activities

import (
	"fmt"

	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/store"
	"github.com/tcdse/tcdse/tc3xx"
)

// ImportInput asks for a sweep's model and data to be loaded, checked and stored.
type ImportInput struct {
	Spec explore.SweepSpec
}

// LayerInfo describes one prunable layer of the imported model.
type LayerInfo struct {
	Name   string `json:"name"`
	Op     string `json:"op"`
	Params int    `json:"params"`
}

// ImportResult is what the rest of the sweep needs to know about the model and data.
type ImportResult struct {
	Model     store.Ref   `json:"model"`
	ModelHash string      `json:"model_hash"`
	Data      store.Ref   `json:"data"`
	Samples   int         `json:"samples"`
	Layers    []LayerInfo `json:"layers"`
	// Skipped are the prunable layers a structured sweep cannot cut alone, with the reason;
	// they are not probed and not pruned.
	Skipped map[string]string `json:"skipped,omitempty"`
	// UnstructuredLayers are the layers the unstructured phase of a two-phase sweep probes
	// (every prunable layer; see explore.SweepSpec.HasUnstructuredPhase); empty otherwise.
	UnstructuredLayers []LayerInfo `json:"unstructured_layers,omitempty"`
	// SearchLayers are the layers a spec's search gives per-layer choices (every prunable
	// layer); empty without search.
	SearchLayers []string   `json:"search_layers,omitempty"`
	Baseline     Evaluation `json:"baseline"`
	// Train is the stored fine-tuning data when the spec fine-tunes (see FineTuneFor).
	Train *store.Ref `json:"train,omitempty"`
	// CostModel is the spec's calibrated cost model, read once on the worker; nil means the
	// built-in parameters.
	CostModel *tc3xx.CostModel `json:"cost_model,omitempty"`
}

// EvalInput names a candidate: a stored model (the sweep's base or an earlier step), the rates
// to prune it with, and how to score and cost it.
type EvalInput struct {
	Model     store.Ref     `json:"model"`
	ModelHash string        `json:"model_hash"`
	Data      store.Ref     `json:"data"`
	Metric    string        `json:"metric"`
	Target    string        `json:"target"`
	Batch     int           `json:"batch"`
	Rates     explore.Rates `json:"rates,omitempty"`
	Label     string        `json:"label"`
	// Keep stores the pruned model in the object store and returns its reference, so that a
	// later step can start from it.
	Keep bool `json:"keep,omitempty"`
	// Pruning, when set, makes the rates structured or the candidate a GWP step (see
	// PruningInput); nil is unstructured magnitude pruning of Model at Rates. It is part of
	// the candidate id.
	Pruning *PruningInput `json:"pruning,omitempty"`
	// FineTune fine-tunes the pruned model before scoring (and keeping) it; it is part of the
	// candidate id.
	FineTune *FineTuneInput `json:"finetune,omitempty"`
	// Format is the codegen weight format the point is planned and costed with (the spec's
	// generate.format); empty is auto and is left out of the candidate id.
	Format string `json:"format,omitempty"`
	// CostModel replaces the built-in cost parameters of the target's core (see
	// ImportResult.CostModel); its hash is part of the candidate id.
	CostModel *tc3xx.CostModel `json:"cost_model,omitempty"`
	// Quantize quantizes the (pruned, fine-tuned) model to int8 before scoring and costing it,
	// calibrating on the first samples of Data; it is part of the candidate id. With Keep the
	// int8 model is what is stored.
	Quantize *explore.QuantizeSpec `json:"quantize,omitempty"`
	// Calibration, with Quantize, is the stored data whose first samples calibrate the int8
	// model instead of Data's (quantize.data: finetune); its key is part of the candidate id.
	Calibration *store.Ref `json:"calibration,omitempty"`
	// LayerFormats override Format for single layers (a search design's weight formats);
	// they are part of the candidate id.
	LayerFormats map[string]string `json:"layer_formats,omitempty"`
	// Stages, when set, scores on growing subsets and may stop the candidate early (see
	// explore.ScoreStaged); a stopped evaluation is neither cached nor kept. A complete one
	// equals an unstaged evaluation and shares its cache entry.
	Stages *explore.StagedOptions `json:"stages,omitempty"`
	// AlsoTargets are more targets the candidate is priced for (a multi-target sweep): it is
	// built and scored once; the costs are in Evaluation.PerTarget. Part of the candidate id.
	AlsoTargets []string `json:"also_targets,omitempty"`
}

// TargetCost is a candidate's cost on one target of a multi-target sweep.
type TargetCost struct {
	Cycles   int64   `json:"cycles"`
	TimeUS   float64 `json:"time_us"`
	ROMBytes int64   `json:"rom_bytes"`
	RAMBytes int64   `json:"ram_bytes"`
	Fits     bool    `json:"fits"`
	Reason   string  `json:"reason,omitempty"`
}

// OnTarget returns the evaluation with its cost on target (from PerTarget); unchanged when it
// was not priced for that target.
func (e Evaluation) OnTarget(target string) Evaluation {
	if c, ok := e.PerTarget[target]; ok {
		e.Cycles, e.TimeUS, e.ROMBytes, e.RAMBytes, e.Fits, e.Reason = c.Cycles, c.TimeUS, c.ROMBytes, c.RAMBytes, c.Fits, c.Reason
	}
	return e
}

// Evaluation is a scored and costed candidate.
type Evaluation struct {
	CandidateID string        `json:"candidate_id"`
	Label       string        `json:"label"`
	Rates       explore.Rates `json:"rates,omitempty"`
	Quality     float64       `json:"quality"`
	Sparsity    float64       `json:"sparsity"`
	Cycles      int64         `json:"cycles"`
	TimeUS      float64       `json:"time_us"`
	ROMBytes    int64         `json:"rom_bytes"`
	RAMBytes    int64         `json:"ram_bytes"`
	// WeightBytes and ArenaBytes are the generated code's read-only weights (biases and int8
	// requantization tables included) and activation arena, as codegen plans them: their sum
	// is the point's footprint. ROMBytes adds the code size estimate, RAMBytes the I/O buffers.
	WeightBytes int64  `json:"weight_bytes,omitempty"`
	ArenaBytes  int64  `json:"arena_bytes,omitempty"`
	Fits        bool   `json:"fits"`
	Reason      string `json:"reason,omitempty"`
	// Weights and Activations are the placement priced (candidate.Price): the one generate
	// writes for this point on the same target and cost model.
	Weights     string `json:"weights,omitempty"`
	Activations string `json:"activations,omitempty"`
	// Model is set when the candidate's pruned model was kept in the object store.
	Model     *store.Ref `json:"model,omitempty"`
	ModelHash string     `json:"model_hash,omitempty"`
	// Stopped says staged scoring stopped the candidate after Samples of Total samples:
	// Quality is then the subset's estimate, and the point never enters a front.
	Stopped bool `json:"stopped,omitempty"`
	Samples int  `json:"samples,omitempty"`
	Total   int  `json:"total,omitempty"`
	// Seconds is the host time the evaluation took (building and scoring) when it ran.
	Seconds float64 `json:"seconds,omitempty"`
	// LayerFormats are the per-layer weight formats the point was costed with (a search
	// design's); its code is generated with them.
	LayerFormats map[string]string `json:"layer_formats,omitempty"`
	// PerTarget is the cost on each of EvalInput.AlsoTargets (see OnTarget).
	PerTarget map[string]TargetCost `json:"per_target,omitempty"`
}

// Point converts an evaluation into a Pareto point. A stopped evaluation's point does not
// fit (it is not fully scored), with the reason.
func (e Evaluation) Point() pareto.Point {
	p := pareto.Point{
		ID: e.CandidateID, Label: e.Label, Quality: e.Quality, Cycles: e.Cycles,
		ROMBytes: e.ROMBytes, RAMBytes: e.RAMBytes, Fits: e.Fits, Reason: e.Reason,
		Sparsity: e.Sparsity, Rates: e.Rates, Derived: e.Model != nil, WeightBytes: e.WeightBytes, ArenaBytes: e.ArenaBytes,
	}
	if e.Stopped {
		p.Fits, p.Reason = false, fmt.Sprintf("stopped after %d of %d samples (estimate %.4g)", e.Samples, e.Total, e.Quality)
	}
	return p
}

// GenerateInput asks for C code for one point.
type GenerateInput struct {
	Model  store.Ref `json:"model"`
	Format string    `json:"format,omitempty"`
	// LayerFormats override Format for single layers (a search point's formats).
	LayerFormats map[string]string `json:"layer_formats,omitempty"`
	Rates        explore.Rates     `json:"rates,omitempty"`
	Data         store.Ref         `json:"data"`
	Label        string            `json:"label"`
	// OutDir is not used: outputs go to the artifact store. It is kept so that histories of
	// sweeps from before that decode unchanged.
	OutDir  string `json:"out_dir,omitempty"`
	Vectors int    `json:"vectors"`
	// Target and CostModel, when set, place the weights and arena where the sweep's Evaluate
	// priced them (candidate.Price); without a target the code keeps codegen's defaults.
	Target    string           `json:"target,omitempty"`
	CostModel *tc3xx.CostModel `json:"cost_model,omitempty"`
}

// GenerateResult tells where the generated tree is: Dir is its path under the sweep's output
// directory, Outputs its files (and the point's model) in the artifact store, Code the packed
// tree the boards build.
type GenerateResult struct {
	Label       string    `json:"label"`
	Dir         string    `json:"dir"`
	Outputs     []Output  `json:"outputs,omitempty"`
	Code        store.Ref `json:"code"`
	ArenaBytes  int       `json:"arena_bytes"`
	WeightBytes int       `json:"weight_bytes"`
	Files       []string  `json:"files"`
}

// BoardInput asks for a generated tree to be built and run on a board.
type BoardInput struct {
	Code           store.Ref `json:"code"`
	Board          string    `json:"board"`
	Label          string    `json:"label"`
	TimeoutSeconds int       `json:"timeout_seconds"`
	// Priority is the farm priority ("interactive" or "batch"; empty: batch).
	Priority string `json:"priority,omitempty"`
}

// ReportInput asks for the sweep's reports to be written.
type ReportInput struct {
	OutDir string               `json:"out_dir"`
	Report pareto.Report        `json:"report"`
	Code   []GenerateResult     `json:"code,omitempty"`
	Boards []hilbench.RunResult `json:"boards,omitempty"`
	// Name, Sensitivity and UnstructuredSensitivity, when set, go into the HTML report (the
	// sensitivity curves' bounds and maximum rates); without them the curves are read off the
	// probe points.
	Name                    string                              `json:"name,omitempty"`
	Sensitivity             map[string]explore.LayerSensitivity `json:"sensitivity,omitempty"`
	UnstructuredSensitivity map[string]explore.LayerSensitivity `json:"unstructured_sensitivity,omitempty"`
}
