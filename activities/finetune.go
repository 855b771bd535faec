package activities

import (
	"context"
	"fmt"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/store"
)

// FineTuneInput asks Evaluate to fine-tune a kept candidate after pruning it: the spec's
// options, the stored fine-tuning data, and the stored unpruned model (the teacher for the
// distillation losses).
type FineTuneInput struct {
	Spec    explore.FineTuneSpec `json:"spec"`
	Train   store.Ref            `json:"train"`
	Teacher store.Ref            `json:"teacher"`
}

// FineTuneFor returns the fine-tuning a sweep's GWP steps get, or nil when the spec has none.
func FineTuneFor(spec explore.SweepSpec, imp ImportResult) *FineTuneInput {
	if spec.FineTune == nil || imp.Train == nil {
		return nil
	}
	return &FineTuneInput{Spec: *spec.FineTune, Train: *imp.Train, Teacher: imp.Model}
}

// fineTuneIdentity is the part of a candidate's id that fine-tuning adds.
type fineTuneIdentity struct {
	Spec    explore.FineTuneSpec `json:"spec"`
	Train   string               `json:"train"`
	Teacher string               `json:"teacher"`
}

// identity returns what makes a fine-tuned candidate differ, or nil without fine-tuning.
func (f *FineTuneInput) identity() *fineTuneIdentity {
	if f == nil {
		return nil
	}
	s := f.Spec
	s.Train = nil // the data is identified by its stored key
	return &fineTuneIdentity{Spec: s, Train: f.Train.Key, Teacher: f.Teacher.Key}
}

// prepareFineTune sets the fine-tuning data of a sweep apart from the scored data: it loads
// finetune.train or splits data by finetune.split, checks that the data suits the loss (labels
// for ce, targets for mse) and the model's input, and stores it. It returns the data to score
// and the stored fine-tuning data (nil without fine-tuning).
func (a *Activities) prepareFineTune(ctx context.Context, spec explore.SweepSpec, g *model.Graph, ds *dataset.Dataset) (*dataset.Dataset, *store.Ref, error) {
	f := spec.FineTune
	if f == nil {
		return ds, nil, nil
	}
	var train *dataset.Dataset
	var err error
	if f.Split != 0 {
		if ds, train, err = explore.SplitForFineTune(ds, f.Split); err != nil {
			return nil, nil, badInput("BadData", err)
		}
	} else {
		t := *f.Train
		t.Images, t.Labels, t.Path = spec.Resolve(t.Images), spec.Resolve(t.Labels), spec.Resolve(t.Path)
		if train, err = dataset.Load(explore.DataSpecFor(g, t)); err != nil {
			return nil, nil, badInput("BadData", fmt.Errorf("finetune.train: %w", err))
		}
		if err := explore.FitData(g, train); err != nil {
			return nil, nil, badInput("BadData", fmt.Errorf("finetune.train: %w", err))
		}
	}
	if err := f.Options(g).Validate(train); err != nil {
		return nil, nil, badInput("BadData", fmt.Errorf("finetune: %w", err))
	}
	raw, err := train.MarshalBinary()
	if err != nil {
		return nil, nil, err
	}
	ref, err := a.Objects.Put(ctx, raw)
	if err != nil {
		return nil, nil, err
	}
	return ds, &ref, nil
}

// fineTune trains a pruned candidate as f says, keeping its zeros.
func (a *Activities) fineTune(ctx context.Context, f *FineTuneInput, g *model.Graph) (*model.Graph, error) {
	train, err := a.data(ctx, f.Train)
	if err != nil {
		return nil, err
	}
	teacher, err := a.graph(ctx, f.Teacher)
	if err != nil {
		return nil, err
	}
	out, err := explore.FineTune(g, train, f.Spec.Options(teacher.Clone()))
	if err != nil {
		return nil, badInput("BadData", err)
	}
	return out, nil
}
