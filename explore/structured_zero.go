package explore

import (
	"fmt"
	"slices"

	"github.com/tcdse/tcdse/model"
)

// ZeroStructured returns a copy of g in which the removed channels of every group are zeroed
// instead of cut: the filter or neuron weights and bias of every member layer (for a recurrent
// layer, the unit's rows of W and R in every gate block, its biases and initial states). It is
// the dense reference that [PruneStructured]'s result computes exactly. g is not modified.
func ZeroStructured(g *model.Graph, groups []StructuredGroup) (*model.Graph, error) {
	if g == nil {
		return nil, fmt.Errorf("zero structured: nil graph")
	}
	out := g.Clone()
	for _, sg := range groups {
		keep := make([]bool, sg.Channels)
		for _, k := range sg.Keep {
			if k < 0 || k >= sg.Channels {
				return nil, fmt.Errorf("zero structured: group %v keeps channel %d of %d", sg.Layers, k, sg.Channels)
			}
			keep[k] = true
		}
		for _, name := range sg.Layers {
			n := out.Node(name)
			m, ok := 0, false
			if n != nil {
				m, ok = isSource(n)
			}
			if !ok || m != sg.Channels {
				return nil, fmt.Errorf("zero structured: %q is not a layer with %d output channels in graph %q", name, sg.Channels, g.Name)
			}
			if n.Op != model.OpConv && n.Op != model.OpDense {
				zeroRecurrentUnits(n, keep)
				continue
			}
			per := n.Weight.Len() / m
			for c := range m {
				if slices.Contains(sg.Keep, c) {
					continue
				}
				clear(n.Weight.Data[c*per : (c+1)*per])
				if n.Bias != nil {
					n.Bias.Data[c] = 0
				}
			}
		}
	}
	return out, nil
}
