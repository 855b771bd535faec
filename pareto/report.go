package pareto

import (
	"encoding/json"
	"fmt"
	"io"
)

// Report is the outcome of one exploration: every evaluated point, the Pareto front among
// them, and the context needed to read them.
type Report struct {
	// Metric names the quality metric; HigherIsBetter gives its direction.
	Metric         string `json:"metric"`
	HigherIsBetter bool   `json:"higher_is_better"`
	// Target names the hardware target, and ClockMHz its CPU clock, used to turn cycles into
	// time.
	Target   string  `json:"target"`
	ClockMHz float64 `json:"clock_mhz"`
	// Baseline is the unpruned model.
	Baseline Point `json:"baseline"`
	// Points holds every evaluated candidate; Front the non-dominated fitting ones.
	Points []Point `json:"points"`
	Front  []Point `json:"front"`
	// Hypervolume is the front's normalised hypervolume and its curve over Points (see
	// [Report.SetHypervolume]); nil when not measured.
	Hypervolume *HypervolumeResult `json:"hypervolume,omitempty"`
}

// WriteJSON writes r as indented JSON.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing report JSON: %w", err)
	}
	return nil
}

// ReadJSON reads a report written by WriteJSON.
func ReadJSON(r io.Reader) (Report, error) {
	var rep Report
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return Report{}, fmt.Errorf("reading report JSON: %w", err)
	}
	return rep, nil
}

// Microseconds converts cycles to microseconds at clockMHz; it returns 0 when the clock is not
// positive.
func Microseconds(cycles int64, clockMHz float64) float64 {
	if clockMHz <= 0 {
		return 0
	}
	return float64(cycles) / clockMHz
}
