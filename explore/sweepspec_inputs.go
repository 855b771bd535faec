package explore

import (
	"fmt"
	"strings"
)

// MapInputs returns a copy of the spec in which every input file name it holds — model,
// data.images, data.labels, data.path, finetune.train.images, finetune.train.labels,
// finetune.train.path and cost_model — is replaced by f(field, name); empty names, and a
// cost_model of the form farm:CLASS (a model the farm stores, not a file), are left alone. The spec itself is not changed (finetune.train is copied, not shared). The first
// error from f is returned, prefixed with its field.
func (s SweepSpec) MapInputs(f func(field, name string) (string, error)) (SweepSpec, error) {
	if s.FineTune != nil {
		ft := *s.FineTune
		if ft.Train != nil {
			train := *ft.Train
			ft.Train = &train
		}
		s.FineTune = &ft
	}
	fields := []struct {
		name string
		p    *string
	}{
		{"model", &s.Model},
		{"data.images", &s.Data.Images}, {"data.labels", &s.Data.Labels}, {"data.path", &s.Data.Path},
	}
	if !strings.HasPrefix(s.CostModel, FarmCostModelPrefix) {
		fields = append(fields, struct {
			name string
			p    *string
		}{"cost_model", &s.CostModel})
	}
	if s.FineTune != nil && s.FineTune.Train != nil {
		t := s.FineTune.Train
		fields = append(fields, []struct {
			name string
			p    *string
		}{{"finetune.train.images", &t.Images}, {"finetune.train.labels", &t.Labels}, {"finetune.train.path", &t.Path}}...)
	}
	for _, fd := range fields {
		if *fd.p == "" {
			continue
		}
		v, err := f(fd.name, *fd.p)
		if err != nil {
			return SweepSpec{}, fmt.Errorf("%s: %w", fd.name, err)
		}
		*fd.p = v
	}
	return s, nil
}
