package explore

import (
	"errors"
	"fmt"
	"math"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// FineTuneOptions configures [FineTune].
type FineTuneOptions struct {
	Epochs int     // passes over the data; 0 means 1
	Batch  int     // samples per optimizer step; 0 means 32
	LR     float64 // learning rate; 0 means 1e-3 (adam) or 1e-2 (sgd)
	// Optimizer is "adam" (default) or "sgd" (momentum 0.9).
	Optimizer string
	// Loss is "ce" (default; needs labels), "mse" (needs targets), "distill" (KL divergence to
	// the teacher's softened outputs, mixed with label cross-entropy by Alpha) or
	// "distill_mse" (mean squared difference of logits). The distillation losses work on
	// unlabelled data.
	Loss        string
	Temperature float64 // distill: softening temperature; 0 means 2
	Alpha       float64 // distill: weight of label cross-entropy, in [0, 1]
	// Teacher is the model distilled from, usually the unpruned one.
	Teacher *model.Graph
	Seed    uint64 // shuffling seed
}

// Fine-tuning defaults.
const (
	DefaultFineTuneEpochs = 1
	DefaultFineTuneBatch  = 32
	DefaultTemperature    = 2
)

// withDefaults fills zero fields.
func (o FineTuneOptions) withDefaults() FineTuneOptions {
	if o.Epochs == 0 {
		o.Epochs = DefaultFineTuneEpochs
	}
	if o.Batch == 0 {
		o.Batch = DefaultFineTuneBatch
	}
	if o.Optimizer == "" {
		o.Optimizer = "adam"
	}
	if o.LR == 0 {
		o.LR = map[string]float64{"adam": 1e-3, "sgd": 1e-2}[o.Optimizer]
	}
	if o.Loss == "" {
		o.Loss = "ce"
	}
	if o.Loss == "distill" && o.Temperature == 0 {
		o.Temperature = DefaultTemperature
	}
	return o
}

// loss returns the model loss the options name.
func (o FineTuneOptions) loss() model.Loss {
	return model.Loss{Kind: model.LossKind(o.Loss), Temperature: o.Temperature, Alpha: o.Alpha}
}

// Validate checks the options (after defaults) against a dataset: all problems at once.
func (o FineTuneOptions) Validate(ds *dataset.Dataset) error {
	o = o.withDefaults()
	var errs []error
	if o.Epochs < 1 || o.Epochs > 1000 {
		errs = append(errs, fmt.Errorf("fine-tune: epochs %d outside [1, 1000]", o.Epochs))
	}
	if o.Batch < 1 || o.Batch > 1<<16 {
		errs = append(errs, fmt.Errorf("fine-tune: batch %d outside [1, 65536]", o.Batch))
	}
	if _, err := model.NewOptimizer(o.Optimizer, o.LR); err != nil {
		errs = append(errs, fmt.Errorf("fine-tune: %w", err))
	}
	l := o.loss()
	if err := l.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("fine-tune: %w", err))
	} else {
		if l.NeedsTeacher() && o.Teacher == nil {
			errs = append(errs, fmt.Errorf("fine-tune: loss %s needs a teacher model (the unpruned one)", o.Loss))
		}
		if ds != nil && l.NeedsLabels() && ds.Labels == nil {
			errs = append(errs, fmt.Errorf("fine-tune: loss %s needs class labels, but dataset %q has none", o.Loss, ds.Name))
		}
		if ds != nil && l.NeedsTargets() && ds.Targets == nil {
			errs = append(errs, fmt.Errorf("fine-tune: loss %s needs regression targets, but dataset %q has none", o.Loss, ds.Name))
		}
	}
	if math.IsNaN(o.Alpha) || o.Alpha < 0 || o.Alpha > 1 {
		errs = append(errs, fmt.Errorf("fine-tune: alpha %v outside [0, 1]", o.Alpha))
	}
	return errors.Join(errs...)
}

// FineTune returns a copy of g trained on ds with the given options. Weights (and recurrent
// layers' recurrence weights) that are exactly zero in g (pruned) stay exactly zero, so the
// copy has at least g's sparsity. The result is deterministic: it depends on g, ds and the
// options (including Seed) only.
func FineTune(g *model.Graph, ds *dataset.Dataset, opts FineTuneOptions) (*model.Graph, error) {
	_, out, err := FineTuneHistory(g, ds, opts)
	return out, err
}

// FineTuneHistory is [FineTune] that also returns the mean training loss of every epoch.
func FineTuneHistory(g *model.Graph, ds *dataset.Dataset, opts FineTuneOptions) ([]float64, *model.Graph, error) {
	switch {
	case g == nil:
		return nil, nil, errors.New("fine-tune: nil graph")
	case ds == nil || ds.Len() == 0:
		return nil, nil, errors.New("fine-tune: empty dataset")
	}
	opts = opts.withDefaults()
	if err := opts.Validate(ds); err != nil {
		return nil, nil, err
	}
	opt, _ := model.NewOptimizer(opts.Optimizer, opts.LR)
	out := g.Clone()
	if err := out.Validate(); err != nil {
		return nil, nil, fmt.Errorf("fine-tune: graph %q: %w", g.Name, err)
	}
	tr := &model.Trainer{Graph: out, Loss: opts.loss(), Optimizer: opt, Masks: model.ZeroMasks(out),
		RecurrentMasks: model.ZeroRecurrentMasks(out), Teacher: opts.Teacher}
	hist, err := tr.Fit(ds.X, ds.Labels, ds.Targets, opts.Epochs, opts.Batch, opts.Seed)
	if err != nil {
		return nil, nil, fmt.Errorf("fine-tune graph %q on %q: %w", g.Name, ds.Name, err)
	}
	return hist, out, nil
}
