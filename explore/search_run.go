package explore

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Screening decisions of [SearchRun.Screen]: what happens to a priced design.
const (
	DecideScore     = "score"      // scored (on growing subsets, see ScoreStaged)
	DecideUnfit     = "unfit"      // does not fit the target's memories: never scored
	DecideOutside   = "outside"    // costs at least the reference in some objective: never scored
	DecideDominated = "dominated"  // a scored point at least as cheap is at least as good: never scored
	DecideSameModel = "same-model" // its model (rates and precision) was scored; formats change cost only
	DecideBudget    = "budget"     // no evaluations left
)

// Price is what the cost model says of a design before it is scored: its normalised costs
// (minimised; a search uses cycles, ROM and RAM over the baseline's) and whether it fits the
// target, with Overflow how far it misses (a fraction of the memory it overflows).
type Price struct {
	Costs    []float64 `json:"costs"`
	Fits     bool      `json:"fits"`
	Overflow float64   `json:"overflow,omitempty"`
}

// Screening is the decision on one priced design. For DecideScore, StopLoss is the quality
// loss (normalised like the search's loss objective) beyond which the candidate may be
// stopped: the quality bound (loss 1) or the loss of a scored point that costs no more. For
// DecideSameModel, Loss is the known loss of its model.
type Screening struct {
	Decision string  `json:"decision"`
	StopLoss float64 `json:"stop_loss,omitempty"`
	Loss     float64 `json:"loss,omitempty"`
}

// Outcome is the scoring result of a design sent to be scored: its normalised quality loss
// (the full-data one when Complete, else the subset estimate at the stop).
type Outcome struct {
	Loss     float64 `json:"loss"`
	Complete bool    `json:"complete"`
}

// SearchRecord is everything a search learned about one design, in the order designs were
// priced.
type SearchRecord struct {
	Design   Design  `json:"design"`
	Price    Price   `json:"price"`
	Decision string  `json:"decision"`
	Loss     float64 `json:"loss"`
	// Complete says Loss comes from all samples (scored, or the same model's scored loss);
	// only complete records that fit with Loss ≤ 1 are design points.
	Complete bool `json:"complete"`
	// Evaluation is the 1-based count of scorings when this one was scored; 0 if not scored.
	Evaluation int `json:"evaluation,omitempty"`
}

// SearchConfig configures a [SearchRun].
type SearchConfig struct {
	Space SearchSpace
	// Budget is how many designs may be scored (the expensive step); priced designs that are
	// screened out do not count.
	Budget int
	// Batch is the NSGA-II population and the designs asked per generation.
	Batch int
	Seed  uint64
	// Seeds start the population (sensitivity and GWP points mapped into the space).
	Seeds []Design
	// MaxPriced bounds the designs priced (0 means 50 × Budget), so that a search whose every
	// child is screened out still ends.
	MaxPriced int
	// Reference, when set (one value per cost), bounds the region of interest: a design that
	// costs at least Reference[i] in some cost i is outside it (the hypervolume's reference
	// point: such a design can add nothing to the measured front), is never scored, and
	// counts as infeasible by how far it exceeds the reference.
	Reference []float64
}

// SearchRun drives one multi-objective search in three steps per generation, each of which the
// caller can run anywhere (the sweep workflow runs them as activities): [SearchRun.Next] asks
// a batch of designs, the caller prices them with the cost model, [SearchRun.Screen] decides
// which to score, the caller scores those, and [SearchRun.Record] tells the outcome. The
// objectives are the quality loss (0 at the baseline's quality, 1 at the quality bound) and
// the priced costs, all minimised; a design is infeasible when it does not fit or its loss
// exceeds 1.
type SearchRun struct {
	cfg     SearchConfig
	alg     *NSGA2
	records []SearchRecord
	scored  int
	priced  int
}

// NewSearchRun starts a search.
func NewSearchRun(cfg SearchConfig) (*SearchRun, error) {
	if cfg.Budget < 1 {
		return nil, fmt.Errorf("search: budget %d, want at least 1", cfg.Budget)
	}
	if cfg.Batch < 2 {
		return nil, fmt.Errorf("search: batch %d, want at least 2", cfg.Batch)
	}
	if cfg.MaxPriced == 0 {
		cfg.MaxPriced = 50 * cfg.Budget
	}
	alg, err := NewNSGA2(cfg.Space, cfg.Batch, cfg.Seed, cfg.Seeds)
	if err != nil {
		return nil, err
	}
	return &SearchRun{cfg: cfg, alg: alg}, nil
}

// Done reports whether the budget (or the pricing bound) is used up.
func (r *SearchRun) Done() bool {
	return r.scored >= r.cfg.Budget || r.priced >= r.cfg.MaxPriced
}

// Evaluations returns how many designs have been scored.
func (r *SearchRun) Evaluations() int { return r.scored }

// Records returns what the search learned, in pricing order.
func (r *SearchRun) Records() []SearchRecord { return slices.Clone(r.records) }

// Next returns the next batch of designs to price; nil when the search is done or the space is
// exhausted.
func (r *SearchRun) Next() []Design {
	if r.Done() {
		return nil
	}
	return r.alg.Ask(min(r.cfg.Batch, r.cfg.MaxPriced-r.priced))
}

// Screen decides, for designs priced in order, which are scored. A design that does not fit, or
// (with a Reference) lies outside the region of interest, is never scored; nor one that a
// complete, fitting point dominates for certain: that point costs no more in every priced
// objective and its loss is no larger than the design's least possible loss, which is its
// model's loss when that model was scored with other formats, else the largest loss of a
// scored design it compresses at least as much as (see [AtLeastAsCompressed]; pruning or
// quantizing more is assumed not to help quality), else 0. A design whose model was scored and
// that no point dominates is a point of its own without scoring (DecideSameModel).
// Designs beyond the remaining budget are DecideBudget. Screen does not change the run.
func (r *SearchRun) Screen(designs []Design, prices []Price) ([]Screening, error) {
	if len(designs) != len(prices) {
		return nil, fmt.Errorf("search: %d designs but %d prices", len(designs), len(prices))
	}
	space := r.cfg.Space
	exact := map[string]float64{}
	var complete []SearchRecord
	for _, rec := range r.records {
		if rec.Complete {
			exact[space.ModelKey(rec.Design)] = rec.Loss
			complete = append(complete, rec)
		}
	}
	left := r.cfg.Budget - r.scored
	out := make([]Screening, len(designs))
	for i, d := range designs {
		p := prices[i]
		if !p.Fits {
			out[i] = Screening{Decision: DecideUnfit}
			continue
		}
		if r.excess(p.Costs) > 0 {
			out[i] = Screening{Decision: DecideOutside}
			continue
		}
		// least is the least loss d can have: its model's when scored, else the largest loss of
		// a scored design it compresses at least as much as.
		least, known := exact[space.ModelKey(d)]
		if !known {
			for _, y := range complete {
				if AtLeastAsCompressed(d, y.Design) {
					least = math.Max(least, y.Loss)
				}
			}
		}
		stop := 1.0
		dominated := false
		for _, z := range complete {
			if !z.Price.Fits || z.Loss > 1 || !costsNoMore(z.Price.Costs, p.Costs) {
				continue
			}
			stop = math.Min(stop, z.Loss)
			if z.Loss <= least {
				dominated = true
			}
		}
		switch {
		case dominated:
			out[i] = Screening{Decision: DecideDominated, Loss: least}
		case known:
			out[i] = Screening{Decision: DecideSameModel, Loss: least}
		case left <= 0:
			out[i] = Screening{Decision: DecideBudget}
		default:
			left--
			out[i] = Screening{Decision: DecideScore, StopLoss: stop}
		}
	}
	return out, nil
}

// excess is how far costs exceed the reference (0 inside, or without a reference); a cost
// equal to its reference counts as a small excess, since it adds no volume either.
func (r *SearchRun) excess(costs []float64) float64 {
	ex := 0.0
	for i, ref := range r.cfg.Reference {
		if i < len(costs) && costs[i] >= ref {
			ex += costs[i] - ref + 1e-9
		}
	}
	return ex
}

// costsNoMore reports whether a ≤ b in every cost.
func costsNoMore(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] > b[i] {
			return false
		}
	}
	return true
}

// Record tells the run the screening of designs and the outcomes of those scored (outcomes[i]
// is read only when screens[i] is DecideScore), and moves the search on a generation.
func (r *SearchRun) Record(designs []Design, prices []Price, screens []Screening, outcomes []Outcome) error {
	if len(prices) != len(designs) || len(screens) != len(designs) || len(outcomes) != len(designs) {
		return errors.New("search: designs, prices, screenings and outcomes differ in length")
	}
	var told []SearchPoint
	for i, d := range designs {
		rec := SearchRecord{Design: d, Price: prices[i], Decision: screens[i].Decision}
		r.priced++
		switch rec.Decision {
		case DecideScore:
			r.scored++
			rec.Evaluation = r.scored
			rec.Loss, rec.Complete = outcomes[i].Loss, outcomes[i].Complete
		case DecideSameModel:
			rec.Loss, rec.Complete = screens[i].Loss, true
		case DecideDominated:
			rec.Loss = screens[i].Loss
		case DecideUnfit, DecideOutside:
			rec.Loss = math.NaN()
		case DecideBudget:
			// Not learned; asked again never (the run ends with this generation).
			r.records = append(r.records, rec)
			continue
		default:
			return fmt.Errorf("search: unknown decision %q", rec.Decision)
		}
		r.records = append(r.records, rec)
		told = append(told, r.searchPoint(rec))
	}
	r.alg.Tell(told)
	return nil
}

// searchPoint turns a record into the algorithm's view: objectives (loss, costs...) and Deb's
// violation (not fitting: 1 plus the overflow; outside the reference: the excess; a loss
// beyond the bound: its excess).
func (r *SearchRun) searchPoint(rec SearchRecord) SearchPoint {
	p := SearchPoint{Design: rec.Design, Objectives: append([]float64{rec.Loss}, rec.Price.Costs...)}
	switch {
	case !rec.Price.Fits:
		p.Objectives[0] = 1
		p.Violation = 1 + math.Max(0, rec.Price.Overflow)
	case rec.Decision == DecideOutside:
		p.Objectives[0] = 1
		p.Violation = r.excess(rec.Price.Costs)
	case rec.Loss > 1:
		p.Violation = rec.Loss - 1
	}
	return p
}

// Run runs a whole search with caller-supplied pricing and scoring (for benchmarks and
// in-process use; the sweep workflow calls Next, Screen and Record itself).
func (r *SearchRun) Run(price func([]Design) ([]Price, error), score func(d Design, stopLoss float64) (Outcome, error)) error {
	for !r.Done() {
		designs := r.Next()
		if len(designs) == 0 {
			return nil
		}
		prices, err := price(designs)
		if err != nil {
			return err
		}
		screens, err := r.Screen(designs, prices)
		if err != nil {
			return err
		}
		outcomes := make([]Outcome, len(designs))
		for i, s := range screens {
			if s.Decision == DecideScore {
				if outcomes[i], err = score(designs[i], s.StopLoss); err != nil {
					return err
				}
			}
		}
		if err := r.Record(designs, prices, screens, outcomes); err != nil {
			return err
		}
	}
	return nil
}
