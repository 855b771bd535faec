package explore

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// Evaluate runs g on every sample of ds, batch samples at a time, and scores the model's
// output with m. The graph must have exactly one input, whose per-sample shape matches ds, and
// its first output is the one scored; the batch outputs are concatenated in sample order and
// scored once, so the result does not depend on batch. It is deterministic.
func Evaluate(g *model.Graph, ds *dataset.Dataset, m dataset.Metric, batch int) (float64, error) {
	out, err := Predict(g, ds, batch)
	if err != nil {
		return 0, err
	}
	if m.Score == nil {
		return 0, fmt.Errorf("evaluate: metric %q has no Score function", m.Name)
	}
	q, err := m.Score(out, ds)
	if err != nil {
		return 0, fmt.Errorf("evaluate graph %q on %q: %w", g.Name, ds.Name, err)
	}
	if math.IsNaN(q) || math.IsInf(q, 0) {
		return 0, fmt.Errorf("evaluate graph %q on %q: metric %q gave %v", g.Name, ds.Name, m.Name, q)
	}
	return q, nil
}

// Predict runs g on every sample of ds, batch samples at a time, and returns the first graph
// output for all samples, shape [N, ...].
func Predict(g *model.Graph, ds *dataset.Dataset, batch int) (*model.Tensor, error) {
	return PredictProgress(g, ds, batch, nil)
}

// PredictProgress is Predict calling progress (when not nil) after every batch with the samples
// done and their total.
func PredictProgress(g *model.Graph, ds *dataset.Dataset, batch int, progress func(done, total int)) (*model.Tensor, error) {
	switch {
	case g == nil:
		return nil, errors.New("evaluate: nil graph")
	case ds == nil || ds.Len() == 0:
		return nil, errors.New("evaluate: empty dataset")
	case batch < 1:
		return nil, fmt.Errorf("evaluate: batch size %d, want at least 1", batch)
	case len(g.Inputs) != 1:
		return nil, fmt.Errorf("evaluate: graph %q has %d inputs, want 1", g.Name, len(g.Inputs))
	case len(g.Outputs) == 0:
		return nil, fmt.Errorf("evaluate: graph %q has no outputs", g.Name)
	}
	if want, got := g.Inputs[0].Shape, ds.SampleShape(); !slices.Equal(want, got) {
		return nil, fmt.Errorf("evaluate: dataset %q samples have shape %v, graph %q input %q wants %v",
			ds.Name, got, g.Name, g.Inputs[0].Name, want)
	}
	n := ds.Len()
	var all *model.Tensor
	for from := 0; from < n; from += batch {
		to := min(from+batch, n)
		b, err := ds.Batch(from, to)
		if err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
		outs, err := g.Run(b.X)
		if err != nil {
			return nil, fmt.Errorf("evaluate graph %q on samples [%d,%d) of %q: %w", g.Name, from, to, ds.Name, err)
		}
		if len(outs) == 0 || outs[0] == nil || len(outs[0].Shape) == 0 || outs[0].Shape[0] != to-from {
			return nil, fmt.Errorf("evaluate graph %q on samples [%d,%d) of %q: interpreter returned no output with %d rows",
				g.Name, from, to, ds.Name, to-from)
		}
		o := outs[0]
		if all == nil {
			per := len(o.Data) / (to - from)
			all = &model.Tensor{Shape: append([]int{n}, o.Shape[1:]...), Data: make([]float32, 0, n*per)}
		} else if !slices.Equal(all.Shape[1:], o.Shape[1:]) {
			return nil, fmt.Errorf("evaluate graph %q: output shape changed from %v to %v between batches", g.Name, all.Shape[1:], o.Shape[1:])
		}
		all.Data = append(all.Data, o.Data...)
		if progress != nil {
			progress(to, n)
		}
	}
	return all, nil
}
