package explore

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// SearchSpace is the per-layer design space of [NSGA2]: for every prunable layer a pruning
// rate (one of Rates), int8 or float32 (when Int8), and a weight format (one of Formats).
type SearchSpace struct {
	// Layers are the prunable layers (Conv, Dense, recurrent), the genome's order.
	Layers []string `json:"layers"`
	// Rates are the rate levels, strictly increasing, the first 0 (unpruned).
	Rates []float64 `json:"rates"`
	// Int8 allows each layer to be quantized to int8 (mixed precision); false keeps every
	// layer float32.
	Int8 bool `json:"int8,omitempty"`
	// Formats are the weight formats a layer may take (codegen names; "" is auto); nil means
	// auto only.
	Formats []string `json:"formats,omitempty"`
}

// Gene is one layer's choice: indices into the space's Rates and Formats, and int8 or not.
type Gene struct {
	Rate   int  `json:"rate"`
	Int8   bool `json:"int8,omitempty"`
	Format int  `json:"format,omitempty"`
}

// Design is one candidate of a search: one gene per layer of its space, in order.
type Design []Gene

// NewSearchSpace returns the space over layers with rate levels 0 and rates (sorted, deduped)
// and formats (nil: auto only).
func NewSearchSpace(layers []string, rates []float64, int8 bool, formats []string) (SearchSpace, error) {
	s := SearchSpace{Layers: slices.Clone(layers), Rates: []float64{0}, Int8: int8, Formats: slices.Clone(formats)}
	rs := slices.Clone(rates)
	slices.Sort(rs)
	for _, r := range slices.Compact(rs) {
		if r > 0 {
			s.Rates = append(s.Rates, r)
		}
	}
	if len(s.Formats) == 0 {
		s.Formats = []string{""}
	}
	return s, s.Validate()
}

// Validate checks the space.
func (s SearchSpace) Validate() error {
	var errs []error
	if len(s.Layers) == 0 {
		errs = append(errs, errors.New("search space: no layers"))
	}
	if len(s.Rates) == 0 || s.Rates[0] != 0 {
		errs = append(errs, fmt.Errorf("search space: rate levels %v must start at 0", s.Rates))
	}
	for i, r := range s.Rates {
		if math.IsNaN(r) || r < 0 || r > MaxLayerRate || (i > 0 && r <= s.Rates[i-1]) {
			errs = append(errs, fmt.Errorf("search space: rate levels %v must increase within [0, %v]", s.Rates, MaxLayerRate))
			break
		}
	}
	if len(s.Formats) == 0 {
		errs = append(errs, errors.New("search space: no weight formats"))
	}
	if slices.Contains(s.Layers, "") {
		errs = append(errs, errors.New("search space: empty layer name"))
	}
	return errors.Join(errs...)
}

// valid reports whether d is a design of s.
func (s SearchSpace) valid(d Design) bool {
	if len(d) != len(s.Layers) {
		return false
	}
	for _, g := range d {
		if g.Rate < 0 || g.Rate >= len(s.Rates) || g.Format < 0 || g.Format >= len(s.Formats) || (g.Int8 && !s.Int8) {
			return false
		}
	}
	return true
}

// Key identifies d within s: equal keys are the same candidate.
func (s SearchSpace) Key(d Design) string { return geneKey(d, true) }

// ModelKey identifies the model d builds, leaving out the weight formats: designs with one
// model key have one quality (formats change only the generated code and its cost).
func (s SearchSpace) ModelKey(d Design) string { return geneKey(d, false) }

// geneKey writes every gene as its rate level, "q" when int8, and with formats "f" and the
// format's index.
func geneKey(d Design, formats bool) string {
	var b strings.Builder
	for i, g := range d {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(g.Rate))
		if g.Int8 {
			b.WriteString("q")
		}
		if formats {
			b.WriteString("f" + strconv.Itoa(g.Format))
		}
	}
	return b.String()
}

// PruneRates returns d's pruning rates (layers at rate 0 left out).
func (s SearchSpace) PruneRates(d Design) Rates {
	r := Rates{}
	for i, g := range d {
		if s.Rates[g.Rate] > 0 {
			r[s.Layers[i]] = s.Rates[g.Rate]
		}
	}
	return r
}

// Quantized reports whether d has an int8 layer; FloatLayers are then the layers it keeps
// float32 (QuantizeOptions.Float).
func (s SearchSpace) Quantized(d Design) bool {
	return slices.ContainsFunc(d, func(g Gene) bool { return g.Int8 })
}

// FloatLayers returns the layers d keeps float32 when it is quantized, in layer order.
func (s SearchSpace) FloatLayers(d Design) []string {
	var out []string
	for i, g := range d {
		if !g.Int8 {
			out = append(out, s.Layers[i])
		}
	}
	return out
}

// LayerFormats returns d's per-layer weight formats, leaving out auto ("").
func (s SearchSpace) LayerFormats(d Design) map[string]string {
	out := map[string]string{}
	for i, g := range d {
		if f := s.Formats[g.Format]; f != "" {
			out[s.Layers[i]] = f
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Label is a short human name of d, such as "r[0.5 0.7 0 0.9] q[1 1 0 1]".
func (s SearchSpace) Label(d Design) string {
	var r, q, f []string
	anyFormat := false
	for _, g := range d {
		r = append(r, strconv.FormatFloat(s.Rates[g.Rate], 'g', -1, 64))
		q = append(q, map[bool]string{true: "8", false: "f"}[g.Int8])
		name := s.Formats[g.Format]
		if name == "" {
			name = "auto"
		} else {
			anyFormat = true
		}
		f = append(f, name)
	}
	out := "r[" + strings.Join(r, " ") + "]"
	if s.Quantized(d) {
		out += " p[" + strings.Join(q, "") + "]"
	}
	if anyFormat {
		out += " w[" + strings.Join(f, " ") + "]"
	}
	return out
}

// Uniform returns the design with every layer at rate level ri, int8 or not, format 0.
func (s SearchSpace) Uniform(ri int, int8 bool) Design {
	d := make(Design, len(s.Layers))
	for i := range d {
		d[i] = Gene{Rate: ri, Int8: int8 && s.Int8}
	}
	return d
}

// FromRates returns the design nearest to rates from below: every layer at the largest level
// not above its rate (so a seed never prunes more than the point it comes from), float32 or
// int8, format 0.
func (s SearchSpace) FromRates(rates Rates, int8 bool) Design {
	d := s.Uniform(0, int8)
	for i, name := range s.Layers {
		r := rates[name]
		for k, lv := range s.Rates {
			if lv <= r+1e-12 {
				d[i].Rate = k
			}
		}
	}
	return d
}

// AtLeastAsCompressed reports whether a prunes every layer at least as hard as b and keeps no
// layer float that b quantizes: under the usual monotonicity of magnitude pruning and
// quantization, a's quality is then no better than b's.
func AtLeastAsCompressed(a, b Design) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Rate < b[i].Rate || (b[i].Int8 && !a[i].Int8) {
			return false
		}
	}
	return true
}

// BuildDesign returns the model of design d: g pruned at d's rates and, when d has an int8
// layer, quantized with opts (its Float replaced by d's float layers), calibrated on calib.
// Weight formats are not part of the model; pass [SearchSpace.LayerFormats] to codegen.
func (s SearchSpace) BuildDesign(g *model.Graph, calib *dataset.Dataset, d Design, opts QuantizeOptions) (*model.Graph, error) {
	if !s.valid(d) {
		return nil, fmt.Errorf("search: design %v does not belong to the space of %d layers", d, len(s.Layers))
	}
	pruned, err := Prune(g, s.PruneRates(d))
	if err != nil {
		return nil, fmt.Errorf("design %s: %w", s.Label(d), err)
	}
	if !s.Quantized(d) {
		return pruned, nil
	}
	opts.Float = s.FloatLayers(d)
	q, err := Quantize(pruned, calib, opts)
	if err != nil {
		return nil, fmt.Errorf("design %s: %w", s.Label(d), err)
	}
	return q, nil
}

// SizePriorSeeds returns designs that cost no evaluation to propose: for every global rate,
// the weights of all layers ranked together by [GlobalWeightedRates] with a layer's tolerance
// proportional to its weight count (the largest layer 1), so that big layers, which hold the
// bytes and cycles, are pruned hard and small ones (often the first convolution and the
// classifier, which are sensitive and cheap to keep) barely; each mapped into the space from
// below, float32 and, when the space allows it, int8. They seed a search that has no
// sensitivity results.
func (s SearchSpace) SizePriorSeeds(g *model.Graph, globalRates []float64) ([]Design, error) {
	largest := 0
	for _, name := range s.Layers {
		if n := g.Node(name); n != nil && n.Weight != nil {
			largest = max(largest, n.Weight.Len())
		}
	}
	sens := map[string]float64{}
	for _, name := range s.Layers {
		if n := g.Node(name); n != nil && n.Weight != nil && largest > 0 {
			sens[name] = 1 - float64(n.Weight.Len())/float64(largest)
		}
	}
	var out []Design
	for _, r := range globalRates {
		rates, err := GlobalWeightedRates(g, sens, r)
		if err != nil {
			return nil, err
		}
		if s.Int8 {
			out = append(out, s.FromRates(rates, true))
		}
		out = append(out, s.FromRates(rates, false))
	}
	return out, nil
}

// SearchRateLevels returns the rate levels a search offers every layer: the sweep's probe
// rates and, beyond the highest, two more, halfway to 1 and MaxLayerRate, as GWP steps with
// g > 1 reach past the probed rates too.
func SearchRateLevels(rates []float64) []float64 {
	out := slices.Clone(rates)
	slices.Sort(out)
	top := 0.0
	if len(out) > 0 {
		top = out[len(out)-1]
	}
	for _, r := range []float64{(top + 1) / 2, MaxLayerRate} {
		if r > top && r <= MaxLayerRate {
			out = append(out, r)
			top = r
		}
	}
	return out
}
