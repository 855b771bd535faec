package explore

import (
	"errors"
	"fmt"
	"slices"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// The one rule for data meeting a model's input, used by eval, the sweep's import and every
// other caller that scores a model on data:
//
//   - Shape: the data's per-sample shape must equal the model input's, or differ from it only
//     by dimensions of size 1 ([49,10,1] and [1,49,10] hold the same values in the same order),
//     in which case the samples are reshaped. A raw bin file read without a shape or window
//     takes the model input's shape (DataSpecFor).
//   - Quantization: a fitted dataset always holds real values. Raw int8 codes (bin data read
//     without --scale/--zero-point) meet an int8 model input by being dequantized with the
//     model's own input quantization (Predict quantizes them back to the same codes); raw codes
//     meeting a float input, or uint8 codes, are an error that says how to resolve it. Real data
//     meeting an int8 input is quantized with the model's parameters at run time, and an int8
//     output is dequantized before scoring (Predict), so metrics compare real values.

// ErrDataMismatch is the kind of every error FitData returns: the data cannot feed the model
// as it stands (a permanent, user-correctable problem).
var ErrDataMismatch = errors.New("data does not fit the model input")

// DataSpecFor completes a data spec for the model it will feed: raw bin data given neither a
// per-sample shape nor a sliding window takes the model input's per-sample shape (LoadRaw then
// refuses a file that is not a whole number of such samples).
func DataSpecFor(g *model.Graph, spec dataset.Spec) dataset.Spec {
	if spec.Format == "bin" && len(spec.Shape) == 0 && spec.Window == 0 && g != nil && len(g.Inputs) == 1 {
		spec.Shape = append([]int(nil), g.Inputs[0].Shape...)
	}
	return spec
}

// FitData makes ds feed g's single input (see the rule above), in place, or returns an error
// wrapping ErrDataMismatch that names the data, the input and what to change.
func FitData(g *model.Graph, ds *dataset.Dataset) error {
	if g == nil || len(g.Inputs) != 1 {
		n := 0
		if g != nil {
			n = len(g.Inputs)
		}
		return fmt.Errorf("%w: the model has %d inputs; data feeds exactly one", ErrDataMismatch, n)
	}
	if ds == nil || ds.Len() == 0 {
		return fmt.Errorf("%w: the data set is empty", ErrDataMismatch)
	}
	in := g.Inputs[0]
	want, got := in.Shape, ds.SampleShape()
	if !slices.Equal(want, got) {
		if !slices.Equal(dropOnes(want), dropOnes(got)) {
			return fmt.Errorf("%w: data %q samples have shape %v, but model input %q wants %v", ErrDataMismatch, ds.Name, got, in.Name, want)
		}
		ds.X.Shape = append([]int{ds.Len()}, want...)
	}
	inQ := g.ValueQuantOf(in.Name)
	switch {
	case ds.Codes == "":
		return nil
	case inQ == nil:
		return fmt.Errorf("%w: data %q holds raw %s codes but model input %q is float: give the data's dequantization (--scale and --zero-point, or scale/zero_point in the data spec)",
			ErrDataMismatch, ds.Name, ds.Codes, in.Name)
	case ds.Codes != "int8":
		return fmt.Errorf("%w: data %q holds raw %s codes but model input %q is int8: give the data's dequantization (--scale and --zero-point) so it can be requantized with the model's",
			ErrDataMismatch, ds.Name, ds.Codes, in.Name)
	}
	if err := model.DequantizeCodes(ds.X.Data, inQ); err != nil {
		return fmt.Errorf("%w: model input %q: %v", ErrDataMismatch, in.Name, err)
	}
	ds.Codes = ""
	return nil
}

// dropOnes returns s without its dimensions of size 1.
func dropOnes(s []int) []int {
	var out []int
	for _, d := range s {
		if d != 1 {
			out = append(out, d)
		}
	}
	return out
}
