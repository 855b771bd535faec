package dataset

import "testing"

func TestSpearman(t *testing.T) {
	if r := Spearman([]float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}); r < 0.999 {
		t.Errorf("identical order: %g", r)
	}
	if r := Spearman([]float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}); r > -0.999 {
		t.Errorf("reversed order: %g", r)
	}
	if r := Spearman([]float64{1, 2, 2, 3}, []float64{1, 2, 3, 4}); r < 0.9 || r > 0.99 {
		t.Errorf("tie: %g", r)
	}
	if r := Spearman([]float64{1}, []float64{2}); r != 0 {
		t.Errorf("one item: %g", r)
	}
}
