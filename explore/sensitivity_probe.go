package explore

import (
	"errors"
	"fmt"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// ProbeOptions says how a sensitivity probe prunes its layer and whether it fine-tunes.
type ProbeOptions struct {
	// Structured cuts whole channels with [PruneStructured] instead of zeroing single weights.
	Structured bool
	// Norm ranks channels when Structured: "l1" or "l2" (empty means l2).
	Norm string
	// FineTune, when non-nil, trains the pruned model on Train (pruned weights stay zero)
	// before it is scored. Train must be set with it and must not be the scored data.
	FineTune *FineTuneOptions
	Train    *dataset.Dataset
}

// norm returns the channel norm of structured probes.
func (o ProbeOptions) norm() string {
	if o.Norm == "" {
		return "l2"
	}
	return o.Norm
}

// PruneProbe returns the model a probe scores: g with only p.Layer pruned at p.Rate,
// unstructured or structured, fine-tuned when the options say so.
func PruneProbe(g *model.Graph, p Probe, opts ProbeOptions) (*model.Graph, error) {
	var pruned *model.Graph
	var err error
	if opts.Structured {
		pruned, err = PruneStructured(g, map[string]float64{p.Layer: p.Rate}, opts.norm())
	} else {
		pruned, err = Prune(g, Rates{p.Layer: p.Rate})
	}
	if err != nil {
		return nil, fmt.Errorf("probe %s@%v: %w", p.Layer, p.Rate, err)
	}
	if opts.FineTune != nil {
		if opts.Train == nil {
			return nil, fmt.Errorf("probe %s@%v: fine-tuning needs training data", p.Layer, p.Rate)
		}
		if pruned, err = FineTune(pruned, opts.Train, *opts.FineTune); err != nil {
			return nil, fmt.Errorf("probe %s@%v: %w", p.Layer, p.Rate, err)
		}
	}
	return pruned, nil
}

// RunProbeWith is [RunProbe] with options: it scores [PruneProbe]'s model on ds.
func RunProbeWith(g *model.Graph, ds *dataset.Dataset, m dataset.Metric, p Probe, batch int, opts ProbeOptions) (ProbeResult, error) {
	pruned, err := PruneProbe(g, p, opts)
	if err != nil {
		return ProbeResult{}, err
	}
	q, err := Evaluate(pruned, ds, m, batch)
	if err != nil {
		return ProbeResult{}, fmt.Errorf("probe %s@%v: %w", p.Layer, p.Rate, err)
	}
	return ProbeResult{Layer: p.Layer, Rate: p.Rate, Quality: q}, nil
}

// SensitivityLayers returns the layers a sensitivity analysis probes, in graph order: every
// prunable layer for unstructured pruning; for structured pruning the layers [PruneStructured]
// can cut alone at every one of rates. skipped gives, for each layer left out, the reason.
func SensitivityLayers(g *model.Graph, rates []float64, structured bool, norm string) (layers []string, skipped map[string]string) {
	skipped = map[string]string{}
	for _, n := range g.PrunableLayers() {
		if !structured {
			layers = append(layers, n.Name)
			continue
		}
		ok := true
		for _, r := range rates {
			if _, err := PlanStructured(g, map[string]float64{n.Name: r}, norm); err != nil {
				skipped[n.Name] = fmt.Sprintf("rate %v: %v", r, err)
				ok = false
				break
			}
		}
		if ok {
			layers = append(layers, n.Name)
		}
	}
	return layers, skipped
}

// SensitivityOptions configures [SensitivityWith].
type SensitivityOptions struct {
	Threshold Threshold
	// Rule is RuleFirstFail (default) or RuleLastPass.
	Rule  string
	Probe ProbeOptions
	// Batch is the interpreter batch size; 0 means DefaultBatch.
	Batch int
}

// SensitivityWith runs the whole sensitivity analysis in this process like [Sensitivity], with
// a rule, structured and fine-tuned probes. With structured probes, layers that cannot be cut
// alone are not probed; they are listed in the result's Skipped and get no entry in Layers.
func SensitivityWith(g *model.Graph, ds *dataset.Dataset, m dataset.Metric, rates []float64, opts SensitivityOptions) (*SensitivityResult, error) {
	if err := ValidateProbeRates(rates); err != nil {
		return nil, err
	}
	if err := opts.Threshold.Validate(); err != nil {
		return nil, err
	}
	if opts.Probe.FineTune != nil && opts.Probe.Train == nil {
		return nil, errors.New("sensitivity: fine-tuned probes need training data")
	}
	batch := opts.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	baseline, err := Evaluate(g, ds, m, batch)
	if err != nil {
		return nil, fmt.Errorf("sensitivity baseline: %w", err)
	}
	layers, skipped := SensitivityLayers(g, rates, opts.Probe.Structured, opts.Probe.norm())
	res := &SensitivityResult{Baseline: baseline}
	if len(skipped) > 0 {
		res.Skipped = skipped
	}
	for _, p := range probePlan(layers, rates) {
		r, err := RunProbeWith(g, ds, m, p, batch, opts.Probe)
		if err != nil {
			return nil, fmt.Errorf("sensitivity: %w", err)
		}
		res.Probes = append(res.Probes, r)
	}
	res.Layers, err = MaxRatesRule(baseline, m, opts.Threshold, opts.Rule, res.Probes)
	if err != nil {
		return nil, err
	}
	return res, nil
}
