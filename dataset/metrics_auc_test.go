package dataset

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestROCAUCAndPartialAUC(t *testing.T) {
	cases := []struct {
		name         string
		scores       []float64
		labels       []int
		auc          float64
		maxFPR       float64
		raw, stdized float64
	}{
		// scikit-learn's documented example: roc_auc_score = 0.75.
		{"sklearn", []float64{0.1, 0.4, 0.35, 0.8}, []int{0, 0, 1, 1}, 0.75, 0.5, 0.25, 2.0 / 3},
		// All tied: a random ranking, AUC 0.5 and standardized pAUC 0.5.
		{"all tied", []float64{0.5, 0.5, 0.5, 0.5}, []int{0, 1, 0, 1}, 0.5, 0.1, 0.005, 0.5},
		// A positive tied with one of two negatives: the tie counts one half. The ROC curve runs
		// (0,0)→(0.5,1)→(1,1), so at FPR 0.25 it is interpolated to TPR 0.5.
		{"tie interpolated", []float64{0.9, 0.9, 0.1}, []int{1, 0, 0}, 0.75, 0.25, 0.0625, 0.5 * (1 + (0.0625-0.03125)/(0.25-0.03125))},
		// Perfect and inverted rankings.
		{"perfect", []float64{3, 4, 1, 2}, []int{1, 1, 0, 0}, 1, 0.1, 0.1, 1},
		{"inverted", []float64{1, 2, 3, 4}, []int{1, 1, 0, 0}, 0, 0.1, 0, 0.5 * (1 + (0-0.005)/(0.1-0.005))},
	}
	for _, c := range cases {
		auc, err := ROCAUC(c.scores, c.labels)
		if err != nil || !near(auc, c.auc) {
			t.Errorf("%s: AUC = %v, %v; want %v", c.name, auc, err, c.auc)
		}
		raw, err := PartialAUC(c.scores, c.labels, c.maxFPR, false)
		if err != nil || !near(raw, c.raw) {
			t.Errorf("%s: raw pAUC(%v) = %v, %v; want %v", c.name, c.maxFPR, raw, err, c.raw)
		}
		std, err := PartialAUC(c.scores, c.labels, c.maxFPR, true)
		if err != nil || !near(std, c.stdized) {
			t.Errorf("%s: standardized pAUC(%v) = %v, %v; want %v", c.name, c.maxFPR, std, err, c.stdized)
		}
	}
}

// The rank formula (ROCAUC) and the integrated ROC curve (PartialAUC up to FPR 1) are two
// independent computations of the same area, ties included.
func TestAUCRankFormulaMatchesCurve(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		n := 2 + r.IntN(40)
		scores, labels := make([]float64, n), make([]int, n)
		for i := range scores {
			scores[i] = float64(r.IntN(6)) // many ties
			labels[i] = r.IntN(2)
		}
		labels[0], labels[1] = 0, 1
		a, err1 := ROCAUC(scores, labels)
		b, err2 := PartialAUC(scores, labels, 1, false)
		if err1 != nil || err2 != nil || !near(a, b) {
			t.Fatalf("trial %d: rank AUC %v (%v) vs curve %v (%v) for %v %v", trial, a, err1, b, err2, scores, labels)
		}
		// Brute force: P(pos > neg) + P(tie)/2.
		var wins float64
		var pairs int
		for i := range scores {
			for j := range scores {
				if labels[i] == 1 && labels[j] == 0 {
					pairs++
					if scores[i] > scores[j] {
						wins++
					} else if scores[i] == scores[j] {
						wins += 0.5
					}
				}
			}
		}
		if !near(a, wins/float64(pairs)) {
			t.Fatalf("trial %d: AUC %v, pairwise %v", trial, a, wins/float64(pairs))
		}
	}
}

func TestAUCErrors(t *testing.T) {
	if _, err := ROCAUC([]float64{1, 2}, []int{1, 1}); err == nil || !strings.Contains(err.Error(), "both classes") {
		t.Errorf("one class: %v", err)
	}
	if _, err := ROCAUC([]float64{1, 2}, []int{0, 2}); err == nil || !strings.Contains(err.Error(), "binary") {
		t.Errorf("label 2: %v", err)
	}
	if _, err := ROCAUC([]float64{1}, []int{0, 1}); err == nil {
		t.Error("length mismatch: no error")
	}
	if _, err := PartialAUC([]float64{1, 2}, []int{0, 1}, 0, true); err == nil {
		t.Error("max FPR 0: no error")
	}
}

func TestAUCMetrics(t *testing.T) {
	auc, _ := MetricByName("auc")
	pauc, _ := MetricByName("pauc")
	if !auc.HigherIsBetter || !pauc.HigherIsBetter {
		t.Fatal("auc and pauc must be higher-is-better")
	}
	ds := &Dataset{Name: "bin", X: model.NewTensor(4, 1), Labels: []int{0, 0, 1, 1}}
	// Two-class softmax rows: the last column is the positive class.
	out := &model.Tensor{Shape: []int{4, 2}, Data: []float32{0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8}}
	q, err := auc.Score(out, ds)
	if err != nil || !near(q, 0.75) {
		t.Errorf("auc = %v, %v; want 0.75", q, err)
	}
	first := NewAUCMetric("auc0", AUCOptions{Column: 0})
	if q, err := first.Score(out, ds); err != nil || !near(q, 0.25) {
		t.Errorf("auc on column 0 = %v, %v; want 0.25", q, err)
	}
	if _, err := NewAUCMetric("x", AUCOptions{Column: 2}).Score(out, ds); err == nil || !strings.Contains(err.Error(), "column 2") {
		t.Errorf("column out of range: %v", err)
	}
	if q, err := pauc.Score(out, ds); err != nil || q < 0 || q > 1 {
		t.Errorf("pauc = %v, %v", q, err)
	}
	if _, err := auc.Score(out, &Dataset{Name: "nolabels", X: model.NewTensor(4, 1)}); err == nil || !strings.Contains(err.Error(), "no labels") {
		t.Errorf("no labels: %v", err)
	}
	if _, err := auc.Score(&model.Tensor{Shape: []int{3, 2}, Data: make([]float32, 6)}, ds); err == nil {
		t.Error("3 output rows for 4 samples: no error")
	}
}
