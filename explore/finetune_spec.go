package explore

import (
	"fmt"
	"math"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// FineTuneSpec is a sweep's optional fine-tuning: after every GWP step the pruned model is
// trained (pruned weights held at zero) before it is scored and before the next step prunes it
// further. docs/sweep-spec.md documents the fields.
//
// Fine-tuning on the scored data would inflate the scores, so the spec names separate data:
// either Train (another dataset, e.g. the training set) or Split, a fraction of the sweep's
// data set aside for fine-tuning. With Split, the last round(Split·N) samples of data (in file
// order) train and only the first N − round(Split·N) are scored — for the baseline, the
// sensitivity probes and every step alike.
type FineTuneSpec struct {
	Epochs      int     `json:"epochs,omitempty" yaml:"epochs"`
	Batch       int     `json:"batch,omitempty" yaml:"batch"`
	LR          float64 `json:"lr,omitempty" yaml:"lr"`
	Optimizer   string  `json:"optimizer,omitempty" yaml:"optimizer"`
	Loss        string  `json:"loss,omitempty" yaml:"loss"`
	Temperature float64 `json:"temperature,omitempty" yaml:"temperature"`
	Alpha       float64 `json:"alpha,omitempty" yaml:"alpha"`
	Seed        uint64  `json:"seed,omitempty" yaml:"seed"`
	// Train is the fine-tuning data; its file names are relative to the spec file.
	Train *dataset.Spec `json:"train,omitempty" yaml:"train"`
	// Split is the fraction of the sweep's data used for fine-tuning instead of scoring.
	Split float64 `json:"split,omitempty" yaml:"split"`
}

// Options returns the training options, distilling from teacher when the loss needs one.
func (f FineTuneSpec) Options(teacher *model.Graph) FineTuneOptions {
	return FineTuneOptions{
		Epochs: f.Epochs, Batch: f.Batch, LR: f.LR, Optimizer: f.Optimizer, Loss: f.Loss,
		Temperature: f.Temperature, Alpha: f.Alpha, Teacher: teacher, Seed: f.Seed,
	}
}

// validate returns the spec's problems, each naming its field under "finetune".
func (f *FineTuneSpec) validate() []error {
	if f == nil {
		return nil
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("finetune.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	switch {
	case f.Train == nil && f.Split == 0:
		bad("train", "set train (separate fine-tuning data) or split (a fraction of data held out for it): fine-tuning on the scored data would inflate every score")
	case f.Train != nil && f.Split != 0:
		bad("split", "set train or split, not both")
	case f.Train != nil && f.Train.Format == "":
		bad("train.format", "missing (one of mnist, npy, npz)")
	case math.IsNaN(f.Split) || f.Split < 0 || f.Split >= 1:
		bad("split", "%v is outside (0, 1)", f.Split)
	}
	if f.Epochs < 0 || f.Epochs > 1000 {
		bad("epochs", "%d is outside [0, 1000] (0 means %d)", f.Epochs, DefaultFineTuneEpochs)
	}
	if f.Batch < 0 || f.Batch > 1<<16 {
		bad("batch", "%d is outside [0, 65536] (0 means %d)", f.Batch, DefaultFineTuneBatch)
	}
	if math.IsNaN(f.LR) || math.IsInf(f.LR, 0) || f.LR < 0 {
		bad("lr", "%v, want a positive learning rate (0 means the optimizer's default)", f.LR)
	}
	if f.Optimizer != "" && f.Optimizer != "sgd" && f.Optimizer != "adam" {
		bad("optimizer", "%q, want sgd or adam", f.Optimizer)
	}
	switch f.Loss {
	case "", "ce", "mse", "distill", "distill_mse":
	default:
		bad("loss", "%q, want ce, mse, distill or distill_mse", f.Loss)
	}
	if math.IsNaN(f.Temperature) || f.Temperature < 0 {
		bad("temperature", "%v, want > 0 (0 means %v)", f.Temperature, DefaultTemperature)
	}
	if math.IsNaN(f.Alpha) || f.Alpha < 0 || f.Alpha > 1 {
		bad("alpha", "%v is outside [0, 1]", f.Alpha)
	}
	return errs
}

// SplitForFineTune splits ds for a spec with Split set: the first N − round(split·N) samples
// are scored, the rest fine-tune. Both parts must be non-empty.
func SplitForFineTune(ds *dataset.Dataset, split float64) (score, train *dataset.Dataset, err error) {
	n := ds.Len()
	k := int(math.Round(split * float64(n)))
	if k < 1 || k >= n {
		return nil, nil, fmt.Errorf("finetune.split: %v of %d samples leaves %d to fine-tune and %d to score; both must be at least 1", split, n, k, n-k)
	}
	if score, err = ds.Batch(0, n-k); err != nil {
		return nil, nil, err
	}
	if train, err = ds.Batch(n-k, n); err != nil {
		return nil, nil, err
	}
	score.Name, train.Name = ds.Name+" (scored part)", ds.Name+" (fine-tuning part)"
	return score, train, nil
}
