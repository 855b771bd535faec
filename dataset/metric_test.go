package dataset

import (
	"slices"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

func TestTop1(t *testing.T) {
	m, err := MetricByName("top1")
	if err != nil {
		t.Fatal(err)
	}
	ds := &Dataset{Name: "toy", X: model.NewTensor(4, 1), Labels: []int{0, 2, 1, 1}}
	out := &model.Tensor{Shape: []int{4, 3}, Data: []float32{
		0.9, 0.05, 0.05, // 0: right
		0.1, 0.2, 0.7, // 2: right
		0.5, 0.4, 0.1, // 1: wrong
		0.3, 0.3, 0.4, // 1: wrong
	}}
	acc, err := m.Score(out, ds)
	if err != nil || acc != 0.5 {
		t.Errorf("top1 = %v, %v; want 0.5", acc, err)
	}
	if !m.Better(0.9, 0.8) || m.Better(0.8, 0.9) || m.Better(0.5, 0.5) {
		t.Error("top1 must prefer higher accuracy")
	}
	if _, err := m.Score(&model.Tensor{Shape: []int{3, 3}, Data: make([]float32, 9)}, ds); err == nil {
		t.Error("row count mismatch: no error")
	}
	if _, err := m.Score(out, &Dataset{Name: "nolabels", X: model.NewTensor(4, 1)}); err == nil {
		t.Error("dataset without labels: no error")
	}
	wide := &Dataset{Name: "ten-classes", X: model.NewTensor(4, 1), Labels: []int{0, 2, 9, 1}}
	if _, err := m.Score(out, wide); err == nil || !strings.Contains(err.Error(), "label 9 of sample 2") {
		t.Errorf("label 9 for 3 outputs: err = %v, want it to name the label and the sample", err)
	}
	if down := (Metric{Name: "err"}); !down.Better(0.1, 0.2) {
		t.Error("a lower-is-better metric must prefer 0.1 to 0.2")
	}
}

func TestMetricByNameUnknown(t *testing.T) {
	_, err := MetricByName("nope")
	if err == nil || !strings.Contains(err.Error(), "top1") {
		t.Errorf("err = %v, want it to list the known metrics", err)
	}
}

func TestBatchAndCodec(t *testing.T) {
	ds, err := LoadMNIST(bundledImages, bundledLabels, 10, MNISTNormalize)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ds.Batch(2, 5)
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != 3 || b.Labels[0] != ds.Labels[2] || b.X.Data[0] != ds.X.Data[2*784] {
		t.Errorf("batch [2,5): %d samples, labels %v", b.Len(), b.Labels)
	}
	if _, err := ds.Batch(5, 11); err == nil {
		t.Error("batch past the end: no error")
	}
	data, err := ds.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalDataset(data)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.X.Data, ds.X.Data) || !slices.Equal(back.Labels, ds.Labels) || back.Name != ds.Name {
		t.Error("dataset codec round trip changed the data")
	}
}
