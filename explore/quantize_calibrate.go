package explore

import (
	"fmt"
	"math"
	"slices"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// quantRange is the calibrated real range [lo, hi] of one graph value.
type quantRange struct{ lo, hi float64 }

// calibrationBatch is how many calibration samples run through the float graph at once.
const calibrationBatch = 50

// quantCalibrate runs the float graph g on the first samples of calib and returns the range of
// every graph input and node output: the minimum and maximum ("minmax"), or the
// (100−percentile)-th and percentile-th percentiles ("percentile"). Percentile calibration
// keeps every observed value in memory (samples × activation elements per value).
func quantCalibrate(g *model.Graph, calib *dataset.Dataset, o QuantizeOptions) (map[string]quantRange, error) {
	n := min(o.Samples, calib.Len())
	sub, err := calib.Batch(0, n)
	if err != nil {
		return nil, fmt.Errorf("quantize: calibration data: %w", err)
	}
	// Run a copy of g that returns every value as an output.
	probe := g.Clone()
	var names []string
	for _, in := range g.Inputs {
		names = append(names, in.Name)
	}
	for _, nd := range g.Nodes {
		names = append(names, nd.Outputs[0])
	}
	probe.Outputs = probe.Outputs[:0]
	for _, name := range names {
		probe.Outputs = append(probe.Outputs, model.Value{Name: name})
	}
	if err := probe.Validate(); err != nil {
		return nil, fmt.Errorf("quantize: calibration graph: %w", err)
	}
	percentile := o.Calibration == CalibrationPercentile
	ranges := make(map[string]quantRange, len(names))
	observed := make(map[string][]float32)
	for from := 0; from < n; from += calibrationBatch {
		to := min(from+calibrationBatch, n)
		b, err := sub.Batch(from, to)
		if err != nil {
			return nil, fmt.Errorf("quantize: calibration data: %w", err)
		}
		outs, err := probe.Run(b.X)
		if err != nil {
			return nil, fmt.Errorf("quantize: calibrating graph %q on samples [%d,%d): %w", g.Name, from, to, err)
		}
		for i, name := range names {
			data := outs[i].Data
			if percentile {
				observed[name] = append(observed[name], data...)
				continue
			}
			r, seen := ranges[name]
			if !seen {
				r = quantRange{lo: math.Inf(1), hi: math.Inf(-1)}
			}
			for _, v := range data {
				r.lo, r.hi = math.Min(r.lo, float64(v)), math.Max(r.hi, float64(v))
			}
			ranges[name] = r
		}
	}
	if percentile {
		for _, name := range names {
			ranges[name] = quantPercentileRange(observed[name], o.Percentile)
		}
	}
	for _, name := range names {
		r := ranges[name]
		if math.IsNaN(r.lo) || math.IsNaN(r.hi) || math.IsInf(r.lo, 0) || math.IsInf(r.hi, 0) {
			return nil, fmt.Errorf("quantize: value %q of graph %q has calibrated range [%v, %v], want finite numbers", name, g.Name, r.lo, r.hi)
		}
	}
	return ranges, nil
}

// quantPercentileRange returns the nearest-rank (100−p)-th and p-th percentiles of v.
func quantPercentileRange(v []float32, p float64) quantRange {
	if len(v) == 0 {
		return quantRange{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	at := func(q float64) float64 {
		i := int(math.Ceil(q/100*float64(len(s)))) - 1
		return float64(s[min(max(i, 0), len(s)-1)])
	}
	return quantRange{lo: at(100 - p), hi: at(p)}
}

// quantActivationParams returns asymmetric int8 parameters for a real range, widened first to
// include 0 so that 0 is exactly representable: scale (hi−lo)/255, zero point
// round(−128 − lo/scale). An all-zero range gets scale 1.
func quantActivationParams(r quantRange) *model.QuantParams {
	lo, hi := math.Min(r.lo, 0), math.Max(r.hi, 0)
	scale := (hi - lo) / 255
	if !(float32(scale) > 0) {
		return &model.QuantParams{Scale: []float32{1}, ZeroPoint: []int32{0}}
	}
	zp := math.Round(-128 - lo/scale)
	zp = math.Min(math.Max(zp, -128), 127)
	return &model.QuantParams{Scale: []float32{float32(scale)}, ZeroPoint: []int32{int32(zp)}}
}
