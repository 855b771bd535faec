package pareto

// Point is one evaluated candidate: its quality on the evaluation data and its cost on the
// target.
type Point struct {
	// ID is the candidate's identity (explore.CandidateID); points with the same ID are the
	// same candidate.
	ID string `json:"id"`
	// Label is a short human name, such as "gwp g=0.8".
	Label   string  `json:"label"`
	Quality float64 `json:"quality"`
	// Cycles is the estimated or measured inference time in CPU cycles.
	Cycles   int64 `json:"cycles"`
	ROMBytes int64 `json:"rom_bytes"`
	RAMBytes int64 `json:"ram_bytes"`
	// Fits reports whether the candidate fits the target's memories; Reason says why not.
	Fits   bool   `json:"fits"`
	Reason string `json:"reason,omitempty"`
	// Sparsity is the fraction of zero weights over all prunable layers.
	Sparsity float64            `json:"sparsity"`
	Rates    map[string]float64 `json:"rates,omitempty"`
	// Derived says that the candidate's model is not the base model pruned at Rates alone: it
	// was fine-tuned, structured-pruned, quantized or built on an earlier step's model. Only
	// its kept model (a sweep writes it next to the point's generated code) reproduces it.
	Derived bool           `json:"derived,omitempty"`
	Extra   map[string]any `json:"extra,omitempty"`
	// WeightBytes and ArenaBytes are the generated code's weights and activation arena; their
	// sum is the footprint (see footprint.go). Zero when unknown.
	WeightBytes int64 `json:"weight_bytes,omitempty"`
	ArenaBytes  int64 `json:"arena_bytes,omitempty"`
	// FootprintRatio is the report baseline's footprint divided by this point's (how many
	// times smaller it is); zero when either is unknown. See [Report.SetFootprintRatios].
	FootprintRatio float64 `json:"footprint_ratio,omitempty"`
}

// Dominates reports whether a dominates b: a is no worse than b in quality (higher or lower
// is better as the flag says), cycles, ROM and RAM, and strictly better in at least one.
func Dominates(a, b Point, qualityHigherIsBetter bool) bool {
	qa, qb := a.Quality, b.Quality
	if !qualityHigherIsBetter {
		qa, qb = -qa, -qb
	}
	if qa < qb || a.Cycles > b.Cycles || a.ROMBytes > b.ROMBytes || a.RAMBytes > b.RAMBytes {
		return false
	}
	return qa > qb || a.Cycles < b.Cycles || a.ROMBytes < b.ROMBytes || a.RAMBytes < b.RAMBytes
}
