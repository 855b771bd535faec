package explore

import (
	"fmt"
	"slices"
)

// Search methods of [SearchSpec].
const SearchNSGA2 = "nsga2"

// Search defaults.
const (
	DefaultSearchBatch = 10
	MaxSearchBudget    = 10000
)

// DefaultSearchFormats are the weight formats a layer may take when a search names none: auto
// (codegen's per-layer choice), dense (fastest) and smallest (fewest bytes).
var DefaultSearchFormats = []string{"", "dense", "smallest"}

// SearchSpec is a sweep's optional multi-objective search (docs/sweep-spec.md): after the GWP
// walk, Budget more designs over per-layer pruning rate, int8 or float and weight format are
// scored, chosen by Method and seeded from the GWP steps.
type SearchSpec struct {
	Method string `json:"method" yaml:"method"`
	Budget int    `json:"budget" yaml:"budget"`
	Seed   uint64 `json:"seed,omitempty" yaml:"seed"`
	// Batch is the population: designs priced per generation (0 means DefaultSearchBatch).
	Batch int `json:"batch,omitempty" yaml:"batch"`
	// Float keeps every layer float32 (no mixed precision).
	Float bool `json:"float,omitempty" yaml:"float"`
	// Formats are the per-layer weight formats searched (codegen names, checked at import);
	// nil means DefaultSearchFormats.
	Formats []string `json:"formats,omitempty" yaml:"formats"`
	// Stages are the growing fractions of the data a design is scored on (nil: 10 %, 30 %,
	// all; [1] scores every design in full); Confidence the one-sided confidence of a stop
	// (0: 0.99). See ScoreStaged.
	Stages     []float64 `json:"stages,omitempty" yaml:"stages"`
	Confidence float64   `json:"confidence,omitempty" yaml:"confidence"`
}

// WithDefaults fills the zero fields.
func (s SearchSpec) WithDefaults() SearchSpec {
	if s.Batch == 0 {
		s.Batch = DefaultSearchBatch
	}
	if len(s.Formats) == 0 {
		s.Formats = slices.Clone(DefaultSearchFormats)
	}
	if len(s.Stages) == 0 {
		s.Stages = slices.Clone(DefaultStages)
	}
	if s.Confidence == 0 {
		s.Confidence = DefaultStageConfidence
	}
	return s
}

// Staged returns the staged-scoring options of a design whose scoring may stop at quality
// stop.
func (s SearchSpec) Staged(stop float64) StagedOptions {
	s = s.WithDefaults()
	return StagedOptions{Fractions: s.Stages, Confidence: s.Confidence, Seed: s.Seed, Stop: stop}
}

// validate returns the spec's problems, each naming its field under "search".
func (s *SearchSpec) validate() []error {
	if s == nil {
		return nil
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("search.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if s.Method != SearchNSGA2 {
		bad("method", "%q, want %s", s.Method, SearchNSGA2)
	}
	if s.Budget < 1 || s.Budget > MaxSearchBudget {
		bad("budget", "%d is outside [1, %d] (designs scored)", s.Budget, MaxSearchBudget)
	}
	if s.Batch != 0 && (s.Batch < 2 || s.Batch > 256) {
		bad("batch", "%d is outside [2, 256]", s.Batch)
	}
	if err := s.Staged(0).Validate(); err != nil {
		bad("stages", "%v", err)
	}
	seen := map[string]bool{}
	for i, f := range s.Formats {
		if seen[f] {
			bad(fmt.Sprintf("formats[%d]", i), "%q listed twice", f)
		}
		seen[f] = true
	}
	return errs
}

// QualityBound is the worst quality a design point may have: the floor (a multiple of the
// baseline quality) when set, else the sensitivity threshold's bound. It is the search's
// constraint and the hypervolume's reference on the quality axis.
func (s SweepSpec) QualityBound(baseline float64, higherIsBetter bool) (float64, error) {
	if s.Floor > 0 {
		return s.Floor * baseline, nil
	}
	return s.SensitivityThreshold().Bound(baseline, higherIsBetter)
}
