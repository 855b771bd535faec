package explore

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tcdse/tcdse/model"
)

// ChannelNorms returns the L1 ("l1") or L2 ("l2") norm of every output channel (Conv filter)
// or neuron (Dense row) of a layer's weight. For an RNN, LSTM or GRU node it returns the norm of
// every hidden unit: over the unit's row in every gate block of the input weight W and the
// recurrence weight R.
func ChannelNorms(n *model.Node, norm string) ([]float64, error) {
	if n.Op == model.OpRNN || n.Op == model.OpLSTM || n.Op == model.OpGRU {
		return recurrentUnitNorms(n, norm)
	}
	if n.Weight == nil || len(n.Weight.Shape) < 2 || n.Weight.Shape[0] == 0 {
		return nil, fmt.Errorf("channel norms: node %q has no weight with output channels", n.Name)
	}
	if norm != "l1" && norm != "l2" {
		return nil, fmt.Errorf("channel norms: unknown norm %q (want l1 or l2)", norm)
	}
	m := n.Weight.Shape[0]
	per := n.Weight.Len() / m
	out := make([]float64, m)
	for i := range out {
		out[i] = rowsNorm(norm, n.Weight.Data[i*per:(i+1)*per])
	}
	return out, nil
}

// rowsNorm returns the L1 norm (norm "l1": Σ|v|) or otherwise the L2 norm (√Σv²) of the values
// of all rows taken together, summed in float64 in the order given.
func rowsNorm(norm string, rows ...[]float32) float64 {
	var s float64
	for _, row := range rows {
		for _, v := range row {
			if norm == "l1" {
				s += math.Abs(float64(v))
			} else {
				s += float64(v) * float64(v)
			}
		}
	}
	if norm == "l2" {
		s = math.Sqrt(s)
	}
	return s
}

// StructuredGroup is a set of channel spaces cut with one keep-set: the output channels of one
// layer, or of several layers whose outputs meet in residual Adds (or Sub, Mul), so that
// channel c of one is added to channel c of the others.
type StructuredGroup struct {
	// Layers are the producers of the group's channels, in graph order.
	Layers []string `json:"layers"`
	// Channels is the channel count before pruning.
	Channels int `json:"channels"`
	// Rate is the rate the group is cut at: the smallest rate named for any of its layers.
	Rate float64 `json:"rate"`
	// Keep lists the kept channels, ascending.
	Keep []int `json:"keep"`
}

// Removed returns the channels of the group that are cut, ascending.
func (sg StructuredGroup) Removed() []int {
	var out []int
	for c := range sg.Channels {
		if _, ok := slices.BinarySearch(sg.Keep, c); !ok {
			out = append(out, c)
		}
	}
	return out
}

// PruneStructured removes whole output channels: filters of ungrouped Conv layers, neurons of
// Dense layers and hidden units of RNN, LSTM and GRU layers. For every layer named in rates,
// the round(rate·M) of its M output channels with the smallest L1 or L2 weight norm are cut
// (norm "l1" or "l2"; ties: lower index first; at least one channel is kept). The layer's
// weight rows and bias entries go (for a recurrent layer: the unit's row in every gate block
// of W, R and both biases, its column of R and its initial states), and so does everything
// downstream that reads them, followed through the graph:
//
//   - the input channels of a Conv, the columns of a Dense (also through Flatten/Reshape), the
//     input columns of a following recurrent layer;
//   - per-channel operators on the way: activations, pooling, Pad, Mean, Transpose, Reshape,
//     and Add/Sub/Mul with a constant (a per-channel constant loses the same entries);
//   - depthwise convolutions, which lose the matching filters (and groups) and pass the cut on;
//   - Concat, where the cut lands at the input's offset in the output.
//
// Layers whose outputs meet in an Add, Sub or Mul (residual connections, gates) form a
// [StructuredGroup] cut with one keep-set chosen from the sum of the members' channel norms,
// at the smallest rate named for a member.
//
// The result computes exactly what the unpruned model computes with the removed channels
// zeroed (weights and bias; see [ZeroStructured]): where a removed channel does not stay zero
// downstream (a bias after a depthwise convolution, a Sigmoid, a constant subtracted), its
// constant contribution is folded into the bias of the layer that reads it. Cuts that cannot
// keep that promise are refused with an error naming the layer and the node in the way: a
// channel read by a graph output, a grouped convolution, a Softmax or another operator that
// mixes channels, a residual Add with a graph input, a non-zero constant entering a padded
// Conv. Depthwise and grouped convolutions cannot be named in rates. Rates are validated like
// [Rates.Validate]. g is not modified; the result is validated.
func PruneStructured(g *model.Graph, rates map[string]float64, norm string) (*model.Graph, error) {
	out, _, err := pruneStructured(g, rates, norm)
	return out, err
}

// PlanStructured returns the channel groups [PruneStructured] would cut, with their keep-sets,
// without building the pruned graph.
func PlanStructured(g *model.Graph, rates map[string]float64, norm string) ([]StructuredGroup, error) {
	_, groups, err := pruneStructured(g, rates, norm)
	return groups, err
}

func pruneStructured(g *model.Graph, rates map[string]float64, norm string) (*model.Graph, []StructuredGroup, error) {
	if g == nil {
		return nil, nil, errors.New("structured pruning: nil graph")
	}
	if norm != "l1" && norm != "l2" {
		return nil, nil, fmt.Errorf("structured pruning: unknown norm %q (want l1 or l2)", norm)
	}
	if err := Rates(rates).Validate(g); err != nil {
		return nil, nil, fmt.Errorf("structured pruning: %w", err)
	}
	src := g.Clone()
	if err := src.Validate(); err != nil {
		return nil, nil, fmt.Errorf("structured pruning: graph %q: %w", g.Name, err)
	}
	if len(src.Quant) > 0 {
		return nil, nil, fmt.Errorf("structured pruning: graph %q is quantized; prune the float model", g.Name)
	}
	f := followChannels(src)
	groups, keep, err := f.chooseKeeps(rates, norm)
	if err != nil {
		return nil, nil, err
	}
	out := src.Clone()
	if err := f.apply(out, keep); err != nil {
		return nil, nil, err
	}
	out.Shapes = nil
	if err := out.Validate(); err != nil {
		return nil, nil, fmt.Errorf("structured pruning: the pruned graph is invalid: %w", err)
	}
	return out, groups, nil
}

// chooseKeeps picks the kept channels of every group with a named member. keep maps a group's
// root space to a mask of kept channels.
func (f *chanFlow) chooseKeeps(rates map[string]float64, norm string) ([]StructuredGroup, map[int][]bool, error) {
	var errs []error
	roots := map[int]bool{}
	for _, name := range Rates(rates).Layers() {
		n := f.g.Node(name)
		sp, ok := f.source[name]
		if !ok {
			what := string(n.Op)
			if n.Op == model.OpConv {
				what = fmt.Sprintf("grouped or depthwise Conv (%d groups; a depthwise Conv loses the channels its input loses)", n.Groups())
			}
			errs = append(errs, fmt.Errorf("structured pruning: layer %q is a %s; only ungrouped Conv, Dense, RNN, LSTM and GRU layers can lose channels", name, what))
			continue
		}
		roots[f.find(sp)] = true
	}
	var groups []StructuredGroup
	keep := map[int][]bool{}
	for sp := range f.spaces {
		root := f.find(sp)
		if !roots[root] || sp != root {
			continue
		}
		var members []*model.Node
		rate := math.Inf(1)
		for s := range f.spaces {
			if f.find(s) == root {
				m := f.spaces[s].producer
				members = append(members, m)
				if r, ok := rates[m.Name]; ok {
					rate = math.Min(rate, r)
				}
			}
		}
		names := make([]string, len(members))
		for i, m := range members {
			names[i] = m.Name
		}
		if why := f.spaces[root].pinned; why != "" {
			var named []string
			for _, name := range names {
				if _, ok := rates[name]; ok {
					named = append(named, strconv.Quote(name))
				}
			}
			tied := ""
			if len(names) > 1 {
				tied = fmt.Sprintf(" (tied to the channels of %v, whose outputs meet in residual or gating operators)", names)
			}
			errs = append(errs, fmt.Errorf("structured pruning: the output channels of %s%s cannot shrink: %s", strings.Join(named, ", "), tied, why))
			continue
		}
		m := f.spaces[root].size
		total := make([]float64, m)
		for _, p := range members {
			norms, err := ChannelNorms(p, norm)
			if err != nil {
				errs = append(errs, fmt.Errorf("structured pruning: %w", err))
				continue
			}
			for i, v := range norms {
				total[i] += v
			}
		}
		drop := min(int(math.Round(rate*float64(m))), m-1)
		idx := make([]int, m)
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(total[a], total[b]) })
		kept := slices.Clone(idx[drop:])
		slices.Sort(kept)
		mask := make([]bool, m)
		for _, k := range kept {
			mask[k] = true
		}
		keep[root] = mask
		groups = append(groups, StructuredGroup{Layers: names, Channels: m, Rate: rate, Keep: kept})
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return groups, keep, nil
}
