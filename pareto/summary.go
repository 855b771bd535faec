package pareto

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// Sweep states, as a campaign records them.
const (
	StateDone    = "done"    // the sweep ran to its end
	StatePartial = "partial" // stopped early (budget, deadline, stop): the front of what was measured
	StateFailed  = "failed"  // the sweep failed; Error says why
	StateNotRun  = "not run" // the campaign's budget or deadline ended before it started
)

// Verdicts of a summary row.
const (
	VerdictFits           = "fits"            // a fitting point meets the quality bound
	VerdictBelowThreshold = "below threshold" // points fit, but none meets the quality bound
	VerdictDoesNotFit     = "does not fit"    // no evaluated point fits the target
	VerdictNoResult       = "no result"       // the sweep failed or did not run
)

// SweepOutcome is what the morning summary needs from one model × target sweep.
type SweepOutcome struct {
	Model  string `json:"model"`
	Target string `json:"target"`
	State  string `json:"state"`
	Error  string `json:"error,omitempty"`
	// Report holds the front, the baseline and the metric; its Points may be left out.
	Report Report `json:"report"`
	// Bound, when HasBound, is the quality a point must reach to be acceptable (the model's
	// threshold applied to its baseline).
	Bound    float64 `json:"bound,omitempty"`
	HasBound bool    `json:"has_bound,omitempty"`
	// Measured says, by point label, how the point did on a board ("passed on host", ...).
	Measured    map[string]string `json:"measured,omitempty"`
	Evaluations int               `json:"evaluations"`
}

// SummaryPoint is the chosen point of a summary row.
type SummaryPoint struct {
	Label   string  `json:"label"`
	ID      string  `json:"id"`
	Quality float64 `json:"quality"`
	// QualityLoss is how much worse than the baseline the point is, in metric units (positive
	// is worse, whatever the metric's direction); RelativeLoss divides it by the baseline.
	QualityLoss    float64 `json:"quality_loss"`
	RelativeLoss   float64 `json:"relative_loss"`
	Cycles         int64   `json:"cycles"`
	TimeUS         float64 `json:"time_us"`
	ROMBytes       int64   `json:"rom_bytes"`
	RAMBytes       int64   `json:"ram_bytes"`
	FootprintRatio float64 `json:"footprint_ratio,omitempty"`
}

// SummaryRow is one model × target of the morning summary.
type SummaryRow struct {
	Model       string        `json:"model"`
	Target      string        `json:"target"`
	Metric      string        `json:"metric,omitempty"`
	State       string        `json:"state"`
	Verdict     string        `json:"verdict"`
	Baseline    float64       `json:"baseline"`
	Best        *SummaryPoint `json:"best,omitempty"`
	Measured    string        `json:"measured"`
	Evaluations int           `json:"evaluations"`
	Error       string        `json:"error,omitempty"`
	// Changes say what differs from the previous summary of the same campaign.
	Changes []string `json:"changes,omitempty"`
}

// Summary is the morning summary of a campaign run.
type Summary struct {
	Campaign    string       `json:"campaign"`
	Run         string       `json:"run"`
	Partial     bool         `json:"partial"`
	Reason      string       `json:"reason,omitempty"`
	Evaluations int          `json:"evaluations"`
	Rows        []SummaryRow `json:"rows"`
	// Previous is the run the changes are relative to; empty for the first.
	Previous string `json:"previous,omitempty"`
}

// Summarize builds the summary rows, sorted by model then target. A row's best point is, among
// the fitting front points that meet the bound, the one with the smallest footprint (ROM + RAM
// when the footprint is unknown), then the fewest cycles, then the best quality; when none
// meets the bound, the fitting point of best quality (verdict below threshold).
func Summarize(campaign, run string, outcomes []SweepOutcome) Summary {
	s := Summary{Campaign: campaign, Run: run}
	for _, o := range outcomes {
		s.Evaluations += o.Evaluations
		if o.State != StateDone {
			s.Partial = true
		}
		s.Rows = append(s.Rows, summarizeOne(o))
	}
	sort.SliceStable(s.Rows, func(i, j int) bool {
		if s.Rows[i].Model != s.Rows[j].Model {
			return s.Rows[i].Model < s.Rows[j].Model
		}
		return s.Rows[i].Target < s.Rows[j].Target
	})
	return s
}

func summarizeOne(o SweepOutcome) SummaryRow {
	r := o.Report
	row := SummaryRow{Model: o.Model, Target: o.Target, Metric: r.Metric, State: o.State, Baseline: r.Baseline.Quality,
		Error: o.Error, Evaluations: o.Evaluations, Measured: "not measured"}
	if o.State == StateFailed || o.State == StateNotRun {
		row.Verdict = VerdictNoResult
		return row
	}
	hib := r.HigherIsBetter
	better := func(a, b float64) bool { return (a > b) == hib && a != b }
	meets := func(q float64) bool { return !o.HasBound || q == o.Bound || better(q, o.Bound) }
	size := func(p Point) int64 {
		if p.Footprint() > 0 {
			return p.Footprint()
		}
		return p.ROMBytes + p.RAMBytes
	}
	var best *Point
	var fallback *Point
	for i := range r.Front {
		p := &r.Front[i]
		if !p.Fits {
			continue
		}
		if fallback == nil || better(p.Quality, fallback.Quality) || p.Quality == fallback.Quality && p.ID < fallback.ID {
			fallback = p
		}
		if !meets(p.Quality) {
			continue
		}
		if best == nil || size(*p) < size(*best) ||
			size(*p) == size(*best) && (p.Cycles < best.Cycles ||
				p.Cycles == best.Cycles && (better(p.Quality, best.Quality) || p.Quality == best.Quality && p.ID < best.ID)) {
			best = p
		}
	}
	switch {
	case best != nil:
		row.Verdict = VerdictFits
	case fallback != nil:
		row.Verdict, best = VerdictBelowThreshold, fallback
	default:
		row.Verdict = VerdictDoesNotFit
		return row
	}
	loss := r.Baseline.Quality - best.Quality
	if !hib {
		loss = -loss
	}
	rel := 0.0
	if r.Baseline.Quality != 0 {
		rel = loss / math.Abs(r.Baseline.Quality)
	}
	row.Best = &SummaryPoint{Label: best.Label, ID: best.ID, Quality: best.Quality, QualityLoss: loss, RelativeLoss: rel,
		Cycles: best.Cycles, TimeUS: Microseconds(best.Cycles, r.ClockMHz), ROMBytes: best.ROMBytes, RAMBytes: best.RAMBytes,
		FootprintRatio: FootprintRatio(r.Baseline, *best)}
	if m, ok := o.Measured[best.Label]; ok {
		row.Measured = m
	}
	return row
}

// CompareWith fills every row's Changes with what differs from prev (a model × target that no
// longer fits, a quality regression, a larger or slower best point, a new or vanished row), and
// sets Previous. Quality and cost differences below 0.1 % are not reported.
func (s *Summary) CompareWith(prev Summary) {
	s.Previous = prev.Run
	old := map[[2]string]SummaryRow{}
	for _, r := range prev.Rows {
		old[[2]string{r.Model, r.Target}] = r
	}
	for i := range s.Rows {
		r := &s.Rows[i]
		key := [2]string{r.Model, r.Target}
		p, ok := old[key]
		delete(old, key)
		if !ok {
			r.Changes = append(r.Changes, "new")
			continue
		}
		r.Changes = append(r.Changes, rowChanges(p, *r)...)
	}
	var gone []SummaryRow
	for _, r := range old {
		gone = append(gone, r)
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].Model+" "+gone[i].Target < gone[j].Model+" "+gone[j].Target })
	for _, r := range gone {
		s.Rows = append(s.Rows, SummaryRow{Model: r.Model, Target: r.Target, Metric: r.Metric, State: StateNotRun,
			Verdict: VerdictNoResult, Measured: "not measured", Changes: []string{"not in this run"}})
	}
}

// rowChanges says how cur differs from prev.
func rowChanges(prev, cur SummaryRow) []string {
	var out []string
	if prev.Verdict != cur.Verdict {
		switch {
		case prev.Verdict == VerdictFits:
			out = append(out, fmt.Sprintf("no longer fits (was %s, now %s)", prev.Verdict, cur.Verdict))
		case cur.Verdict == VerdictFits:
			out = append(out, fmt.Sprintf("now fits (was %s)", prev.Verdict))
		default:
			out = append(out, fmt.Sprintf("%s (was %s)", cur.Verdict, prev.Verdict))
		}
	}
	if prev.Best == nil || cur.Best == nil {
		return out
	}
	a, b := prev.Best, cur.Best
	const tol = 1e-3
	if scale := math.Max(math.Abs(prev.Baseline), 1e-12); (b.QualityLoss-a.QualityLoss)/scale > tol {
		out = append(out, fmt.Sprintf("quality regression: loss %s → %s", pct(a.RelativeLoss), pct(b.RelativeLoss)))
	} else if (a.QualityLoss-b.QualityLoss)/scale > tol {
		out = append(out, fmt.Sprintf("quality improved: loss %s → %s", pct(a.RelativeLoss), pct(b.RelativeLoss)))
	}
	grew := func(what string, x, y int64, unit func(int64) string) {
		if x > 0 && math.Abs(float64(y-x))/float64(x) > tol {
			dir := "larger"
			if what == "cycles" {
				dir = "slower"
			}
			if y < x {
				dir = "smaller"
				if what == "cycles" {
					dir = "faster"
				}
			}
			out = append(out, fmt.Sprintf("%s %s: %s → %s", what, dir, unit(x), unit(y)))
		}
	}
	kb := func(v int64) string { return fmt.Sprintf("%.1f KB", float64(v)/1024) }
	grew("ROM", a.ROMBytes, b.ROMBytes, kb)
	grew("RAM", a.RAMBytes, b.RAMBytes, kb)
	grew("cycles", a.Cycles, b.Cycles, func(v int64) string { return fmt.Sprint(v) })
	if prev.Measured != cur.Measured {
		out = append(out, fmt.Sprintf("board: %s (was %s)", cur.Measured, prev.Measured))
	}
	return out
}

func pct(f float64) string { return fmt.Sprintf("%.2f%%", 100*f) }

// WriteSummaryJSON writes s as indented JSON.
func WriteSummaryJSON(w io.Writer, s Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("writing the summary JSON: %w", err)
	}
	return nil
}

// ReadSummaryJSON reads a summary written by WriteSummaryJSON.
func ReadSummaryJSON(r io.Reader) (Summary, error) {
	var s Summary
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return Summary{}, fmt.Errorf("reading the summary JSON: %w", err)
	}
	return s, nil
}

// WriteSummaryText writes s for the terminal: a header line, one row per model × target
// (verdict, best point's label, quality loss, cycles and time, ROM, RAM, footprint ratio,
// board status), then the changes since the previous run and the errors.
func WriteSummaryText(w io.Writer, s Summary) error {
	state := "complete"
	if s.Partial {
		state = "PARTIAL"
		if s.Reason != "" {
			state += " (" + s.Reason + ")"
		}
	}
	if _, err := fmt.Fprintf(w, "campaign %s, run %s: %s, %d evaluations\n\n", s.Campaign, s.Run, state, s.Evaluations); err != nil {
		return err
	}
	rows := [][]string{{"model", "target", "verdict", "point", "loss", "cycles", "time µs", "ROM KB", "RAM KB", "x smaller", "board"}}
	for _, r := range s.Rows {
		row := []string{r.Model, r.Target, r.Verdict, "-", "-", "-", "-", "-", "-", "-", r.Measured}
		if r.State == StatePartial {
			row[2] += " (partial)"
		}
		if b := r.Best; b != nil {
			row[3], row[4] = b.Label, pct(b.RelativeLoss)
			row[5], row[6] = fmt.Sprint(b.Cycles), fmt.Sprintf("%.1f", b.TimeUS)
			row[7], row[8] = fmt.Sprintf("%.1f", float64(b.ROMBytes)/1024), fmt.Sprintf("%.1f", float64(b.RAMBytes)/1024)
			if b.FootprintRatio > 0 {
				row[9] = fmt.Sprintf("%.2f", b.FootprintRatio)
			}
		}
		rows = append(rows, row)
	}
	if err := writeRows(w, rows, 4); err != nil {
		return err
	}
	var notes []string
	for _, r := range s.Rows {
		for _, c := range r.Changes {
			notes = append(notes, fmt.Sprintf("  %s %s: %s", r.Model, r.Target, c))
		}
	}
	if len(notes) > 0 {
		since := "the previous run"
		if s.Previous != "" {
			since = "run " + s.Previous
		}
		if _, err := fmt.Fprintf(w, "\nchanges since %s:\n%s\n", since, strings.Join(notes, "\n")); err != nil {
			return err
		}
	}
	var errs []string
	for _, r := range s.Rows {
		if r.Error != "" {
			errs = append(errs, fmt.Sprintf("  %s %s: %s", r.Model, r.Target, r.Error))
		}
	}
	if len(errs) > 0 {
		if _, err := fmt.Fprintf(w, "\nerrors:\n%s\n", strings.Join(errs, "\n")); err != nil {
			return err
		}
	}
	return nil
}
