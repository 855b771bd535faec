package explore

import "fmt"

// CheckBaseline returns an error when the unpruned model's quality already fails t: every
// sensitivity probe would then get a maximum rate of 0 and the sweep could find nothing, so it
// is refused before any work starts. Invalid thresholds give [Threshold.Bound]'s errors.
func (t Threshold) CheckBaseline(baseline float64, higherIsBetter bool) error {
	bound, err := t.Bound(baseline, higherIsBetter)
	if err != nil {
		return err
	}
	if passes(baseline, bound, higherIsBetter) {
		return nil
	}
	want := "at least"
	if !higherIsBetter {
		want = "at most"
	}
	return fmt.Errorf("threshold: the unpruned model scores %.6g, which already fails the threshold (%s %.6g); no layer could be pruned", baseline, want, bound)
}
