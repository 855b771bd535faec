package dataset

import (
	"fmt"
	"math"
	"sort"

	"github.com/tcdse/tcdse/model"
)

// DefaultMaxFPR is the false-positive rate up to which the pauc metrics integrate, as in DCASE
// 2020 Task 2 and MLPerf Tiny anomaly detection.
const DefaultMaxFPR = 0.1

// AUCOptions chooses what an AUC metric ranks and how much of the ROC curve it integrates.
type AUCOptions struct {
	// Column is the output column scored as "positive" (label 1) for each sample; -1 means the
	// last column (the positive class of a two-class softmax, or a single score output).
	Column int
	// Anomaly ranks items (files, see Dataset.Groups) by their anomaly score, the mean
	// reconstruction error of AnomalyScores, instead of ranking samples by an output column.
	Anomaly bool
	// MaxFPR > 0 gives the standardized partial AUC up to that false-positive rate (see
	// PartialAUC); 0 gives the full ROC AUC.
	MaxFPR float64
}

// NewAUCMetric returns a higher-is-better metric named name that computes the ROC AUC (or the
// partial AUC) of binary labels (0 normal, 1 positive/anomalous) under the scores o selects.
func NewAUCMetric(name string, o AUCOptions) Metric {
	return Metric{Name: name, HigherIsBetter: true, Score: func(out *model.Tensor, ds *Dataset) (float64, error) {
		var (
			scores []float64
			labels []int
			err    error
		)
		if o.Anomaly {
			scores, labels, err = anomalyScoresAndLabels(out, ds)
		} else {
			scores, labels, err = columnScores(out, ds, o.Column)
		}
		if err != nil {
			return 0, fmt.Errorf("metric %s: %w", name, err)
		}
		var q float64
		if o.MaxFPR > 0 {
			q, err = PartialAUC(scores, labels, o.MaxFPR, true)
		} else {
			q, err = ROCAUC(scores, labels)
		}
		if err != nil {
			return 0, fmt.Errorf("metric %s on %q: %w", name, ds.Name, err)
		}
		return q, nil
	}}
}

func init() {
	Register(NewAUCMetric("auc", AUCOptions{Column: -1}))
	Register(NewAUCMetric("pauc", AUCOptions{Column: -1, MaxFPR: DefaultMaxFPR}))
	Register(NewAUCMetric("anomaly", AUCOptions{Anomaly: true}))
	Register(NewAUCMetric("anomaly_pauc", AUCOptions{Anomaly: true, MaxFPR: DefaultMaxFPR}))
}

// columnScores takes column col (-1 = last) of every output row as that sample's score.
func columnScores(out *model.Tensor, ds *Dataset, col int) ([]float64, []int, error) {
	n := ds.Len()
	if ds.Labels == nil {
		return nil, nil, fmt.Errorf("dataset %q has no labels", ds.Name)
	}
	if out == nil || len(out.Shape) == 0 || out.Shape[0] != n || n == 0 || len(out.Data)%n != 0 {
		return nil, nil, fmt.Errorf("outputs %v do not have one row per sample (%d)", shapeOf(out), n)
	}
	per := len(out.Data) / n
	if col < 0 {
		col = per - 1
	}
	if col >= per {
		return nil, nil, fmt.Errorf("score column %d is outside the %d outputs per sample", col, per)
	}
	scores := make([]float64, n)
	for i := range scores {
		scores[i] = float64(out.Data[i*per+col])
	}
	return scores, ds.Labels, nil
}

// checkBinary checks that scores and labels pair up, that every label is 0 or 1 and that both
// classes occur, and returns the number of positives and negatives.
func checkBinary(scores []float64, labels []int) (pos, neg int, err error) {
	if len(scores) != len(labels) {
		return 0, 0, fmt.Errorf("%d scores for %d labels", len(scores), len(labels))
	}
	for i, l := range labels {
		switch l {
		case 0:
			neg++
		case 1:
			pos++
		default:
			return 0, 0, fmt.Errorf("label %d is %d; AUC needs binary labels 0 (normal) and 1 (positive)", i, l)
		}
		if math.IsNaN(scores[i]) {
			return 0, 0, fmt.Errorf("score %d is NaN", i)
		}
	}
	if pos == 0 || neg == 0 {
		return 0, 0, fmt.Errorf("AUC needs both classes, got %d positive and %d negative", pos, neg)
	}
	return pos, neg, nil
}

// ROCAUC returns the area under the ROC curve of scores for binary labels (1 = positive, ranked
// high): the Mann–Whitney statistic, the probability that a random positive scores above a
// random negative. Tied scores get the average of their ranks, so a tie counts one half.
func ROCAUC(scores []float64, labels []int) (float64, error) {
	pos, neg, err := checkBinary(scores, labels)
	if err != nil {
		return 0, err
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var rankSum float64 // sum of the (1-based, tie-averaged) ranks of the positives
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+1+j) / 2 // mean of ranks i+1 … j
		for k := i; k < j; k++ {
			if labels[idx[k]] == 1 {
				rankSum += avg
			}
		}
		i = j
	}
	u := rankSum - float64(pos)*float64(pos+1)/2
	return u / (float64(pos) * float64(neg)), nil
}

// PartialAUC returns the area under the ROC curve of scores for binary labels from false-positive
// rate 0 to maxFPR (0 < maxFPR ≤ 1), the curve linearly interpolated at maxFPR and through tied
// scores. With standardized it applies McClish's correction, 0.5·(1 + (A − min)/(max − min)) with
// min = maxFPR²/2 and max = maxFPR, which maps a random ranking to 0.5 and a perfect one to 1;
// that is scikit-learn's roc_auc_score(max_fpr=…), the pAUC DCASE 2020 Task 2 and MLPerf Tiny
// report. Without it the result is the raw area, at most maxFPR.
func PartialAUC(scores []float64, labels []int, maxFPR float64, standardized bool) (float64, error) {
	if !(maxFPR > 0 && maxFPR <= 1) {
		return 0, fmt.Errorf("partial AUC: max FPR %v is outside (0, 1]", maxFPR)
	}
	pos, neg, err := checkBinary(scores, labels)
	if err != nil {
		return 0, err
	}
	fpr, tpr := rocCurve(scores, labels, pos, neg)
	area := 0.0
	for i := 1; i < len(fpr); i++ {
		x0, x1, y0, y1 := fpr[i-1], fpr[i], tpr[i-1], tpr[i]
		if x0 >= maxFPR {
			break
		}
		if x1 > maxFPR {
			y1 = y0 + (y1-y0)*(maxFPR-x0)/(x1-x0)
			x1 = maxFPR
		}
		area += (x1 - x0) * (y0 + y1) / 2
	}
	if !standardized {
		return area, nil
	}
	lo, hi := maxFPR*maxFPR/2, maxFPR
	return 0.5 * (1 + (area-lo)/(hi-lo)), nil
}

// rocCurve returns the ROC points from (0,0) to (1,1), one per distinct score, highest first.
func rocCurve(scores []float64, labels []int, pos, neg int) (fpr, tpr []float64) {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	fpr, tpr = []float64{0}, []float64{0}
	tp, fp := 0, 0
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			if labels[idx[j]] == 1 {
				tp++
			} else {
				fp++
			}
			j++
		}
		fpr = append(fpr, float64(fp)/float64(neg))
		tpr = append(tpr, float64(tp)/float64(pos))
		i = j
	}
	return fpr, tpr
}

// shapeOf is t's shape, or "nil" for a missing tensor, for error messages.
func shapeOf(t *model.Tensor) string {
	if t == nil {
		return "nil"
	}
	return fmt.Sprint(t.Shape)
}
