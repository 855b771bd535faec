package activities

import (
	"context"
	"fmt"
	"maps"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/store"
	"github.com/tcdse/tcdse/tc3xx"
)

// priceCalibrationSamples calibrate the int8 graph of a design that is only priced: its
// weights, and so its sizes, sparsity and cost, do not depend on the activation ranges.
const priceCalibrationSamples = 8

// searchLayers returns the layers of g a spec's search chooses for (every prunable layer), and
// checks the search's weight formats.
func searchLayers(g *model.Graph, spec explore.SweepSpec) ([]string, error) {
	for _, f := range spec.Search.WithDefaults().Formats {
		if f == "" {
			continue
		}
		if _, err := codegen.PlanGraph(g, codegen.Options{Format: f}); err != nil {
			return nil, badInput("BadSpec", fmt.Errorf("search.formats: %w", err))
		}
	}
	layers, _ := explore.SensitivityLayers(g, spec.Rates, false, "")
	if len(layers) == 0 {
		return nil, badInput("BadSpec", fmt.Errorf("search: model %s has no prunable layer", spec.Model))
	}
	return layers, nil
}

// PriceInput asks for the cost of search designs before any is scored.
type PriceInput struct {
	Model     store.Ref            `json:"model"`
	Data      store.Ref            `json:"data"`
	Target    string               `json:"target"`
	CostModel *tc3xx.CostModel     `json:"cost_model,omitempty"`
	Format    string               `json:"format,omitempty"`
	Space     explore.SearchSpace  `json:"space"`
	Designs   []explore.Design     `json:"designs"`
	Quantize  explore.QuantizeSpec `json:"quantize"`
}

// DesignCost is the cost model's estimate of one design.
type DesignCost struct {
	Cycles      int64   `json:"cycles"`
	TimeUS      float64 `json:"time_us"`
	ROMBytes    int64   `json:"rom_bytes"`
	RAMBytes    int64   `json:"ram_bytes"`
	WeightBytes int64   `json:"weight_bytes,omitempty"`
	ArenaBytes  int64   `json:"arena_bytes,omitempty"`
	Fits        bool    `json:"fits"`
	Reason      string  `json:"reason,omitempty"`
}

// PriceDesigns builds every design (pruned, quantized with a few calibration samples) and
// estimates its cost on the target: milliseconds a design, against seconds to score it.
func (a *Activities) PriceDesigns(ctx context.Context, in PriceInput) ([]DesignCost, error) {
	defer keepAlive(ctx, "price")()
	target, err := tc3xx.Lookup(in.Target)
	if err != nil {
		return nil, badInput("BadSpec", err)
	}
	base, err := a.graph(ctx, in.Model)
	if err != nil {
		return nil, err
	}
	ds, err := a.data(ctx, in.Data)
	if err != nil {
		return nil, err
	}
	calib, err := ds.Batch(0, min(priceCalibrationSamples, ds.Len()))
	if err != nil {
		return nil, badInput("BadData", err)
	}
	out := make([]DesignCost, len(in.Designs))
	for i, d := range in.Designs {
		g, err := in.Space.BuildDesign(base, calib, d, in.Quantize.Options())
		if err != nil {
			return nil, badInput("BadModel", err)
		}
		c, err := tc3xx.EstimateGraph(in.CostModel, g, codegen.Options{Format: in.Format, LayerFormats: in.Space.LayerFormats(d)}, target)
		if err != nil {
			return nil, badInput("BadModel", fmt.Errorf("design %s: %w", in.Space.Label(d), err))
		}
		out[i] = DesignCost{Cycles: c.Cycles, TimeUS: c.TimeUS, ROMBytes: c.ROMBytes, RAMBytes: c.RAMBytes,
			WeightBytes: c.WeightBytes, ArenaBytes: c.ArenaBytes, Fits: c.Fits, Reason: c.Reason}
	}
	return out, nil
}

// DesignEvalInput turns base (a sweep's evaluation input for its imported model) into the
// evaluation of design d: its rates, its int8 layers (quantized with q, the other layers kept
// float), its per-layer formats, and staged scoring with stages.
func DesignEvalInput(base EvalInput, space explore.SearchSpace, d explore.Design, q explore.QuantizeSpec, stages explore.StagedOptions) EvalInput {
	in := base
	in.Label = space.Label(d)
	in.Rates = space.PruneRates(d)
	in.LayerFormats = maps.Clone(space.LayerFormats(d))
	in.Quantize = nil
	if space.Quantized(d) {
		q.Float = space.FloatLayers(d)
		in.Quantize = &q
	}
	in.Stages = &stages
	return in
}
