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
// as a target row ([N,1] outputs fit [N] targets).
func regressionError(name string, out *model.Tensor, ds *Dataset, loss func(float64) float64, final func(float64) float64) (float64, error) {
	n := ds.Len()
	if ds.Targets == nil {
		return 0, fmt.Errorf("metric %s: dataset %q has no regression targets", name, ds.Name)
	}
	if len(ds.Targets.Shape) == 0 || ds.Targets.Shape[0] != n {
		return 0, fmt.Errorf("metric %s: dataset %q has targets %v for %d samples", name, ds.Name, ds.Targets.Shape, n)
	}
	if out == nil || len(out.Shape) == 0 || out.Shape[0] != n || len(out.Data) != len(ds.Targets.Data) {
		return 0, fmt.Errorf("metric %s: outputs %v do not match targets %v of dataset %q", name, shapeOf(out), ds.Targets.Shape, ds.Name)
	}
	if n == 0 {
		return 0, fmt.Errorf("metric %s: dataset %q is empty", name, ds.Name)
	}
	sum := 0.0
	for i, t := range ds.Targets.Data {
		sum += loss(float64(out.Data[i]) - float64(t))
	}
	mean := sum / float64(len(ds.Targets.Data))
	if final != nil {
		mean = final(mean)
	}
	return mean, nil
}
