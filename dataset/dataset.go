package dataset

import (
	"fmt"

	"github.com/tcdse/tcdse/model"
)

// Dataset is a set of N samples: inputs X with shape [N, ...] (the per-sample part matches the
// model's input), and for supervised metrics either class Labels (len N) or regression Targets
// with shape [N, ...].
//
// Groups, when set (len N), says which source item each sample came from, for example the file
// a sliding window was cut from (see SlidingWindows); GroupNames names the items. Metrics that
// score items rather than samples (anomaly) average over a group's samples.
//
// Codes, when set ("int8" or "uint8"), says X holds raw integer codes that were not dequantized
// (bin data of that dtype read without a scale or zero point); empty means X holds real values.
type Dataset struct {
	Name       string
	X          *model.Tensor
	Labels     []int
	Targets    *model.Tensor
	Groups     []int
	GroupNames []string
	Codes      string
}

// Len returns the number of samples.
func (d *Dataset) Len() int {
	if d.X == nil || len(d.X.Shape) == 0 {
		return 0
	}
	return d.X.Shape[0]
}

// SampleShape returns the per-sample input shape.
func (d *Dataset) SampleShape() []int {
	if d.X == nil || len(d.X.Shape) == 0 {
		return nil
	}
	return append([]int(nil), d.X.Shape[1:]...)
}

// Batch returns samples [from, to) as a new dataset whose tensors share no memory with d.
func (d *Dataset) Batch(from, to int) (*Dataset, error) {
	n := d.Len()
	if from < 0 || to > n || from > to {
		return nil, fmt.Errorf("dataset %q: batch [%d,%d) outside [0,%d)", d.Name, from, to, n)
	}
	b := &Dataset{Name: d.Name, X: slice(d.X, from, to), Codes: d.Codes}
	if d.Labels != nil {
		b.Labels = append([]int(nil), d.Labels[from:to]...)
	}
	if d.Targets != nil {
		b.Targets = slice(d.Targets, from, to)
	}
	if d.Groups != nil {
		b.Groups = append([]int(nil), d.Groups[from:to]...)
		b.GroupNames = append([]string(nil), d.GroupNames...)
	}
	return b, nil
}

func slice(t *model.Tensor, from, to int) *model.Tensor {
	per := 1
	for _, s := range t.Shape[1:] {
		per *= s
	}
	shape := append([]int{to - from}, t.Shape[1:]...)
	return &model.Tensor{Shape: shape, Data: append([]float32(nil), t.Data[from*per:to*per]...)}
}
