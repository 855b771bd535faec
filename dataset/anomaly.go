package dataset

import (
	"fmt"

	"github.com/tcdse/tcdse/model"
)

// MLPerf Tiny anomaly detection (ad01) feeds an autoencoder 5 stacked 128-bin log-mel frames
// (640 floats) and slides that window one frame (128 floats) at a time over a file's features.
const (
	AD01Window = 640
	AD01Stride = 128
)

// SlidingWindows cuts x into windows of window values that start stride values apart and returns
// them as a tensor [count, window], count = (len(x) − window)/stride + 1. Values after the last
// full window are not used. It copies x.
func SlidingWindows(x []float32, window, stride int) (*model.Tensor, error) {
	switch {
	case window < 1:
		return nil, fmt.Errorf("sliding windows: window %d, want at least 1", window)
	case stride < 1:
		return nil, fmt.Errorf("sliding windows: stride %d, want at least 1", stride)
	case len(x) < window:
		return nil, fmt.Errorf("sliding windows: %d values are fewer than one window of %d", len(x), window)
	}
	count := (len(x)-window)/stride + 1
	t := &model.Tensor{Shape: []int{count, window}, Data: make([]float32, 0, count*window)}
	for i := 0; i < count; i++ {
		t.Data = append(t.Data, x[i*stride:i*stride+window]...)
	}
	return t, nil
}

// ItemScore is the anomaly score of one item: a file of sliding windows when the dataset has
// Groups, else one sample.
type ItemScore struct {
	Name    string  `json:"name"`
	Score   float64 `json:"score"`   // mean over the item's samples of their reconstruction MSE
	Samples int     `json:"samples"` // windows averaged
	Label   int     `json:"label"`   // the item's label, or -1 when the dataset has none
}

// AnomalyScores scores an autoencoder's outputs: each sample's score is the mean squared error
// between its output and its input (the outputs must have the inputs' shape), and an item's
// score is the mean of its samples' scores. That is the MLPerf Tiny / DCASE 2020 Task 2 anomaly
// score when the samples are a file's sliding windows. Items come in group order; when ds has
// labels, every sample of an item must carry the same one.
func AnomalyScores(out *model.Tensor, ds *Dataset) ([]ItemScore, error) {
	n := ds.Len()
	if n == 0 {
		return nil, fmt.Errorf("anomaly score: dataset %q is empty", ds.Name)
	}
	if out == nil || len(out.Data) != len(ds.X.Data) || len(out.Shape) == 0 || out.Shape[0] != n {
		return nil, fmt.Errorf("anomaly score: outputs %v do not reconstruct inputs %v of dataset %q (an autoencoder's output has its input's shape)",
			shapeOf(out), ds.X.Shape, ds.Name)
	}
	if err := ds.checkGroups(); err != nil {
		return nil, fmt.Errorf("anomaly score: %w", err)
	}
	per := len(out.Data) / n
	items := ds.itemCount()
	scores := make([]ItemScore, items)
	for i := range scores {
		scores[i].Label = -1
		scores[i].Name = ds.itemName(i)
	}
	for s := 0; s < n; s++ {
		sum := 0.0
		for j := s * per; j < (s+1)*per; j++ {
			d := float64(out.Data[j]) - float64(ds.X.Data[j])
			sum += d * d
		}
		it := &scores[ds.itemOf(s)]
		it.Score += sum / float64(per)
		if ds.Labels != nil {
			if it.Samples > 0 && it.Label != ds.Labels[s] {
				return nil, fmt.Errorf("anomaly score: item %q has samples labelled %d and %d", it.Name, it.Label, ds.Labels[s])
			}
			it.Label = ds.Labels[s]
		}
		it.Samples++
	}
	kept := scores[:0]
	for _, it := range scores {
		if it.Samples == 0 { // a group with no samples left, e.g. after a limit
			continue
		}
		it.Score /= float64(it.Samples)
		kept = append(kept, it)
	}
	return kept, nil
}

// anomalyScoresAndLabels returns the item scores and labels for an AUC.
func anomalyScoresAndLabels(out *model.Tensor, ds *Dataset) ([]float64, []int, error) {
	if ds.Labels == nil {
		return nil, nil, fmt.Errorf("dataset %q has no labels (1 = anomalous, 0 = normal) to rank anomaly scores against", ds.Name)
	}
	items, err := AnomalyScores(out, ds)
	if err != nil {
		return nil, nil, err
	}
	scores, labels := make([]float64, len(items)), make([]int, len(items))
	for i, it := range items {
		scores[i], labels[i] = it.Score, it.Label
	}
	return scores, labels, nil
}

// checkGroups checks that Groups has one entry per sample, each naming a group in GroupNames
// (when GroupNames is set) or at least not negative.
func (d *Dataset) checkGroups() error {
	if d.Groups == nil {
		return nil
	}
	if len(d.Groups) != d.Len() {
		return fmt.Errorf("dataset %q: %d group indices for %d samples", d.Name, len(d.Groups), d.Len())
	}
	for i, g := range d.Groups {
		if g < 0 || (d.GroupNames != nil && g >= len(d.GroupNames)) {
			return fmt.Errorf("dataset %q: sample %d is in group %d, outside the %d named groups", d.Name, i, g, len(d.GroupNames))
		}
	}
	return nil
}

// itemCount is the number of items: groups, or samples when there are none.
func (d *Dataset) itemCount() int {
	if d.Groups == nil {
		return d.Len()
	}
	if d.GroupNames != nil {
		return len(d.GroupNames)
	}
	m := 0
	for _, g := range d.Groups {
		m = max(m, g+1)
	}
	return m
}

func (d *Dataset) itemOf(sample int) int {
	if d.Groups == nil {
		return sample
	}
	return d.Groups[sample]
}

func (d *Dataset) itemName(i int) string {
	if d.Groups != nil && i < len(d.GroupNames) {
		return d.GroupNames[i]
	}
	return fmt.Sprintf("%s[%d]", d.Name, i)
}
