package dataset

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tcdse/tcdse/model"
)

// Metric scores a model's outputs on a dataset. HigherIsBetter tells which direction is good:
// accuracy and AUC go up, errors go down.
type Metric struct {
	Name           string
	HigherIsBetter bool
	// Score compares outputs (shape [N, ...], one row per sample of ds) with ds.
	Score func(outputs *model.Tensor, ds *Dataset) (float64, error)
}

// Better reports whether quality a is strictly better than b under m's direction.
func (m Metric) Better(a, b float64) bool {
	if m.HigherIsBetter {
		return a > b
	}
	return a < b
}

var metrics = map[string]Metric{}

// Register adds a metric to the registry used by MetricByName. It panics on a duplicate name,
// which is a programming error.
func Register(m Metric) {
	if _, dup := metrics[m.Name]; dup {
		panic("dataset: metric registered twice: " + m.Name)
	}
	metrics[m.Name] = m
}

// MetricByName returns a registered metric, or an error that lists the known ones.
func MetricByName(name string) (Metric, error) {
	m, ok := metrics[name]
	if !ok {
		return Metric{}, fmt.Errorf("unknown metric %q (known: %s)", name, strings.Join(MetricNames(), ", "))
	}
	return m, nil
}

// MetricNames returns the registered metric names, sorted.
func MetricNames() []string {
	var names []string
	for n := range metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func init() {
	Register(Metric{Name: "top1", HigherIsBetter: true, Score: top1})
}

// top1 is the fraction of samples whose highest output is the label.
func top1(out *model.Tensor, ds *Dataset) (float64, error) {
	n := ds.Len()
	if ds.Labels == nil {
		return 0, fmt.Errorf("metric top1: dataset %q has no labels", ds.Name)
	}
	if len(out.Shape) < 2 || out.Shape[0] != n {
		return 0, fmt.Errorf("metric top1: outputs %v do not have one row per sample (%d)", out.Shape, n)
	}
	k := len(out.Data) / n
	for i, l := range ds.Labels[:n] {
		if l < 0 || l >= k {
			return 0, fmt.Errorf("metric top1: label %d of sample %d is not one of the model's %d outputs per sample; is top1 the right metric for this model?", l, i, k)
		}
	}
	correct := 0
	for i := 0; i < n; i++ {
		row := out.Data[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if best == ds.Labels[i] {
			correct++
		}
	}
	return float64(correct) / float64(n), nil
}
