package explore

import "github.com/tcdse/tcdse/model"

// LayerSparsity describes the weights of one prunable layer.
type LayerSparsity struct {
	Layer    string   `json:"layer"`
	Op       model.Op `json:"op"`
	Weights  int      `json:"weights"`
	Zeros    int      `json:"zeros"`
	Sparsity float64  `json:"sparsity"`
}

// Summary describes the parameters of a graph after pruning.
type Summary struct {
	// Params counts all weight and bias elements; NonzeroParams those that are not zero.
	Params        int `json:"params"`
	NonzeroParams int `json:"nonzero_params"`
	// Weights counts the weight elements of prunable layers (biases excluded) and ZeroWeights
	// those that are zero; Sparsity is their ratio.
	Weights     int             `json:"weights"`
	ZeroWeights int             `json:"zero_weights"`
	Sparsity    float64         `json:"sparsity"`
	Layers      []LayerSparsity `json:"layers"`
}

// Summarize counts the parameters and zeros of g.
func Summarize(g *model.Graph) Summary {
	s := Summary{Layers: SparsityByLayer(g)}
	for _, l := range s.Layers {
		s.Weights += l.Weights
		s.ZeroWeights += l.Zeros
	}
	s.Params = g.NumParams()
	s.NonzeroParams = NonzeroParams(g)
	s.Sparsity = ratio(s.ZeroWeights, s.Weights)
	return s
}

// SparsityByLayer returns the weight sparsity of every prunable layer, in graph order. Biases
// are not counted, as pruning never touches them.
func SparsityByLayer(g *model.Graph) []LayerSparsity {
	var out []LayerSparsity
	for _, n := range g.PrunableLayers() {
		z := n.Weight.CountZeros()
		out = append(out, LayerSparsity{Layer: n.Name, Op: n.Op, Weights: n.Weight.Len(), Zeros: z, Sparsity: ratio(z, n.Weight.Len())})
	}
	return out
}

// Sparsity returns the fraction of zero weights over all prunable layers (biases
// excluded), 0 for a graph without weights.
func Sparsity(g *model.Graph) float64 {
	zeros, total := 0, 0
	for _, n := range g.PrunableLayers() {
		zeros += n.Weight.CountZeros()
		total += n.Weight.Len()
	}
	return ratio(zeros, total)
}

// NonzeroParams returns the number of weight, recurrent-weight and bias elements that are not
// zero, counting the same tensors as model.Graph.NumParams.
func NonzeroParams(g *model.Graph) int {
	nz := 0
	for _, n := range g.Nodes {
		for _, t := range []*model.Tensor{n.Weight, n.Bias, n.Recurrent} {
			if t != nil {
				nz += t.Len() - t.CountZeros()
			}
		}
	}
	return nz
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
