package dataset

import (
	"math"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

func TestRegressionMetrics(t *testing.T) {
	ds := &Dataset{Name: "reg", X: model.NewTensor(3, 1), Targets: &model.Tensor{Shape: []int{3}, Data: []float32{1, 2, 3}}}
	out := &model.Tensor{Shape: []int{3, 1}, Data: []float32{1, 4, 0}} // errors 0, 2, −3
	want := map[string]float64{"mse": 13.0 / 3, "rmse": math.Sqrt(13.0 / 3), "mae": 5.0 / 3}
	for name, w := range want {
		m, err := MetricByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if m.HigherIsBetter || !m.Better(1, 2) {
			t.Errorf("%s must be lower-is-better", name)
		}
		q, err := m.Score(out, ds)
		if err != nil || !near(q, w) {
			t.Errorf("%s = %v, %v; want %v", name, q, err, w)
		}
		if _, err := m.Score(out, &Dataset{Name: "nt", X: model.NewTensor(3, 1), Labels: []int{0, 1, 2}}); err == nil || !strings.Contains(err.Error(), "no regression targets") {
			t.Errorf("%s without targets: %v", name, err)
		}
		// Unlabeled data without targets: an autoencoder's inputs are its targets.
		ae := &Dataset{Name: "ae", X: &model.Tensor{Shape: []int{3, 1}, Data: []float32{1, 2, 3}}}
		if q, err := m.Score(out, ae); err != nil || !near(q, w) {
			t.Errorf("%s as a reconstruction = %v, %v; want %v", name, q, err, w)
		}
		if _, err := m.Score(&model.Tensor{Shape: []int{3, 2}, Data: make([]float32, 6)}, ae); err == nil || !strings.Contains(err.Error(), "do not reconstruct") {
			t.Errorf("%s reconstruction of another size: %v", name, err)
		}
		if _, err := m.Score(&model.Tensor{Shape: []int{3, 2}, Data: make([]float32, 6)}, ds); err == nil || !strings.Contains(err.Error(), "do not match") {
			t.Errorf("%s with two outputs per sample for one target: %v", name, err)
		}
	}
}
