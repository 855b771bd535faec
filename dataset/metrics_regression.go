package dataset

import (
	"fmt"
	"math"

	"github.com/tcdse/tcdse/model"
)

func init() {
	Register(Metric{Name: "mse", Score: func(out *model.Tensor, ds *Dataset) (float64, error) {
		return regressionError("mse", out, ds, func(d float64) float64 { return d * d }, nil)
	}})
	Register(Metric{Name: "rmse", Score: func(out *model.Tensor, ds *Dataset) (float64, error) {
		return regressionError("rmse", out, ds, func(d float64) float64 { return d * d }, math.Sqrt)
	}})
	Register(Metric{Name: "mae", Score: func(out *model.Tensor, ds *Dataset) (float64, error) {
		return regressionError("mae", out, ds, math.Abs, nil)
	}})
}

// regressionError is the mean of loss(output − target) over every element of ds.Targets, passed
// through final when it is set. The outputs must have one row per sample holding as many values
// as a target row ([N,1] outputs fit [N] targets). Data with neither targets nor labels whose
// outputs have the inputs' size (an autoencoder) is scored as a reconstruction: the inputs are
// the targets.
func regressionError(name string, out *model.Tensor, ds *Dataset, loss func(float64) float64, final func(float64) float64) (float64, error) {
	n := ds.Len()
	targets := ds.Targets
	if targets == nil {
		if ds.Labels != nil || out == nil || ds.X == nil || len(out.Data) != len(ds.X.Data) {
			return 0, fmt.Errorf("metric %s: dataset %q has no regression targets, and outputs %v do not reconstruct its inputs %v",
				name, ds.Name, shapeOf(out), shapeOf(ds.X))
		}
		targets = ds.X
	}
	if len(targets.Shape) == 0 || targets.Shape[0] != n {
		return 0, fmt.Errorf("metric %s: dataset %q has targets %v for %d samples", name, ds.Name, targets.Shape, n)
	}
	if out == nil || len(out.Shape) == 0 || out.Shape[0] != n || len(out.Data) != len(targets.Data) {
		return 0, fmt.Errorf("metric %s: outputs %v do not match targets %v of dataset %q", name, shapeOf(out), targets.Shape, ds.Name)
	}
	if n == 0 {
		return 0, fmt.Errorf("metric %s: dataset %q is empty", name, ds.Name)
	}
	sum := 0.0
	for i, t := range targets.Data {
		sum += loss(float64(out.Data[i]) - float64(t))
	}
	mean := sum / float64(len(targets.Data))
	if final != nil {
		mean = final(mean)
	}
	return mean, nil
}
