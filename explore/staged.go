package explore

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// Staged scoring defaults.
var DefaultStages = []float64{0.1, 0.3, 1}

const (
	DefaultStageConfidence = 0.99
	// stageChunks is how many equal chunks a stage's samples are cut into to estimate the
	// spread of the metric (its standard error across chunks).
	stageChunks = 20
)

// StagedOptions configures [ScoreStaged].
type StagedOptions struct {
	// Fractions are the growing shares of the data scored at each stage, increasing, the last
	// 1 (nil means DefaultStages: 10 %, 30 %, all).
	Fractions []float64 `json:"fractions,omitempty"`
	// Confidence is the one-sided confidence with which a stopped candidate's full-data
	// quality is worse than Stop (0 means DefaultStageConfidence).
	Confidence float64 `json:"confidence,omitempty"`
	// Seed orders the samples; every candidate of a search uses the same order, so their
	// subset scores are compared on the same samples.
	Seed uint64 `json:"seed,omitempty"`
	// Stop is the quality a candidate must be able to reach to go on: the quality bound, or
	// the quality of a scored point at least as cheap. NaN never stops.
	Stop float64 `json:"stop"`
}

// withDefaults fills zero fields.
func (o StagedOptions) withDefaults() StagedOptions {
	if len(o.Fractions) == 0 {
		o.Fractions = DefaultStages
	}
	if o.Confidence == 0 {
		o.Confidence = DefaultStageConfidence
	}
	return o
}

// Validate checks the fractions and the confidence.
func (o StagedOptions) Validate() error {
	o = o.withDefaults()
	var errs []error
	for i, f := range o.Fractions {
		if math.IsNaN(f) || f <= 0 || f > 1 || (i > 0 && f <= o.Fractions[i-1]) {
			errs = append(errs, fmt.Errorf("staged scoring: fractions %v must increase within (0, 1]", o.Fractions))
			break
		}
	}
	if o.Fractions[len(o.Fractions)-1] != 1 {
		errs = append(errs, fmt.Errorf("staged scoring: fractions %v must end at 1 (all samples)", o.Fractions))
	}
	if !(o.Confidence > 0.5 && o.Confidence < 1) {
		errs = append(errs, fmt.Errorf("staged scoring: confidence %v is outside (0.5, 1)", o.Confidence))
	}
	return errors.Join(errs...)
}

// StagedScore is the outcome of [ScoreStaged].
type StagedScore struct {
	// Quality is the full-data quality when Complete (bit-identical to [Evaluate]), else the
	// estimate from the samples scored when the candidate was stopped.
	Quality float64 `json:"quality"`
	// Best is the best full-data quality still plausible at the stop (the one-sided confidence
	// bound); equal to Quality when Complete.
	Best     float64 `json:"best"`
	Complete bool    `json:"complete"`
	// Samples is how many samples were run, of Total.
	Samples int `json:"samples"`
	Total   int `json:"total"`
	// Stage is the index of the last stage run.
	Stage int `json:"stage"`
}

// ScoreStaged scores g on ds with m in stages: a seeded random order of the samples is run a
// growing prefix at a time (opts.Fractions), and after each stage but the last the candidate
// stops when even its optimistic quality is worse than opts.Stop. The optimistic quality is the
// subset's score plus t·SE (minus for a lower-is-better metric), where SE is the standard error
// of the metric across stageChunks equal chunks of the subset times the finite-population
// factor √(1 − n/N) (the unscored samples are what is uncertain), and t the Student quantile of
// opts.Confidence with chunks−1 degrees of freedom. A metric that cannot score a chunk (an AUC
// over one class) never stops early. A candidate that is not stopped is scored on all samples
// in their original order, so its quality equals Evaluate's exactly.
func ScoreStaged(g *model.Graph, ds *dataset.Dataset, m dataset.Metric, batch int, opts StagedOptions) (StagedScore, error) {
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return StagedScore{}, err
	}
	if m.Score == nil {
		return StagedScore{}, fmt.Errorf("staged scoring: metric %q has no Score function", m.Name)
	}
	n := ds.Len()
	if n == 0 {
		return StagedScore{}, errors.New("staged scoring: empty dataset")
	}
	order := rand.New(rand.NewPCG(opts.Seed, 0x5747)).Perm(n)
	var rows *model.Tensor // outputs in the original sample order
	per := 0
	done := 0
	for stage, f := range opts.Fractions {
		cut := int(math.Ceil(f * float64(n)))
		if stage == len(opts.Fractions)-1 {
			cut = n
		}
		if cut <= done {
			continue
		}
		part, err := subsetRows(ds, order[done:cut])
		if err != nil {
			return StagedScore{}, err
		}
		out, err := Predict(g, part, batch)
		if err != nil {
			return StagedScore{}, err
		}
		if rows == nil {
			per = len(out.Data) / out.Shape[0]
			rows = &model.Tensor{Shape: append([]int{n}, out.Shape[1:]...), Data: make([]float32, n*per)}
		}
		for k, i := range order[done:cut] {
			copy(rows.Data[i*per:(i+1)*per], out.Data[k*per:(k+1)*per])
		}
		done = cut
		if cut == n {
			q, err := m.Score(rows, ds)
			if err != nil {
				return StagedScore{}, fmt.Errorf("staged scoring of graph %q: %w", g.Name, err)
			}
			if math.IsNaN(q) || math.IsInf(q, 0) {
				return StagedScore{}, fmt.Errorf("staged scoring of graph %q: metric %q gave %v", g.Name, m.Name, q)
			}
			return StagedScore{Quality: q, Best: q, Complete: true, Samples: n, Total: n, Stage: stage}, nil
		}
		q, best, ok := stageBound(rows, per, ds, m, order[:cut], opts.Confidence)
		if ok && !math.IsNaN(opts.Stop) && m.Better(opts.Stop, best) {
			return StagedScore{Quality: q, Best: best, Samples: cut, Total: n, Stage: stage}, nil
		}
	}
	return StagedScore{}, errors.New("staged scoring: no stage scored all samples")
}

// stageBound scores the samples idx (outputs in rows) and returns the score and its optimistic
// full-data bound; ok is false when the metric cannot score a chunk.
func stageBound(rows *model.Tensor, per int, ds *dataset.Dataset, m dataset.Metric, idx []int, confidence float64) (q, best float64, ok bool) {
	score := func(idx []int) (float64, bool) {
		sub, err := subsetRows(ds, idx)
		if err != nil {
			return 0, false
		}
		out := &model.Tensor{Shape: append([]int{len(idx)}, rows.Shape[1:]...), Data: make([]float32, 0, len(idx)*per)}
		for _, i := range idx {
			out.Data = append(out.Data, rows.Data[i*per:(i+1)*per]...)
		}
		v, err := m.Score(out, sub)
		return v, err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)
	}
	q, ok = score(idx)
	chunks := min(stageChunks, len(idx))
	if !ok || chunks < 2 {
		return q, q, false
	}
	var sum, sum2 float64
	for c := range chunks {
		v, ok := score(idx[c*len(idx)/chunks : (c+1)*len(idx)/chunks])
		if !ok {
			return q, q, false
		}
		sum += v
		sum2 += v * v
	}
	k := float64(chunks)
	variance := math.Max(0, (sum2-sum*sum/k)/(k-1))
	se := math.Sqrt(variance/k) * math.Sqrt(1-float64(len(idx))/float64(ds.Len()))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: k - 1}.Quantile(confidence)
	if m.HigherIsBetter {
		return q, q + t*se, true
	}
	return q, q - t*se, true
}

// subsetRows returns the samples idx of ds, in that order, as a new dataset.
func subsetRows(ds *dataset.Dataset, idx []int) (*dataset.Dataset, error) {
	n := ds.Len()
	for _, i := range idx {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("dataset %q: sample %d outside [0,%d)", ds.Name, i, n)
		}
	}
	sub := &dataset.Dataset{Name: ds.Name, X: gatherRows(ds.X, idx), GroupNames: ds.GroupNames}
	if ds.Labels != nil {
		sub.Labels = make([]int, len(idx))
		for k, i := range idx {
			sub.Labels[k] = ds.Labels[i]
		}
	}
	if ds.Targets != nil {
		sub.Targets = gatherRows(ds.Targets, idx)
	}
	if ds.Groups != nil {
		sub.Groups = make([]int, len(idx))
		for k, i := range idx {
			sub.Groups[k] = ds.Groups[i]
		}
	}
	return sub, nil
}

// gatherRows returns rows idx of t (its first axis).
func gatherRows(t *model.Tensor, idx []int) *model.Tensor {
	per := 1
	for _, s := range t.Shape[1:] {
		per *= s
	}
	out := &model.Tensor{Shape: append([]int{len(idx)}, t.Shape[1:]...), Data: make([]float32, 0, len(idx)*per)}
	for _, i := range idx {
		out.Data = append(out.Data, t.Data[i*per:(i+1)*per]...)
	}
	return out
}
