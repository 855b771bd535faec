package explore

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/tcdse/tcdse/model"
)

// channelwise lists the operators that act on each channel separately and keep the channel
// count, so that structured pruning can see through them to the next layer.
var channelwise = map[model.Op]bool{
	model.OpRelu: true, model.OpMaxPool: true, model.OpAvgPool: true, model.OpClip: true,
	model.OpLeakyRelu: true, model.OpSigmoid: true, model.OpTanh: true, model.OpHardSwish: true,
}

// ChannelNorms returns the L1 ("l1") or L2 ("l2") norm of every output channel (Conv filter)
// or neuron (Dense row) of a layer's weight.
func ChannelNorms(n *model.Node, norm string) ([]float64, error) {
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
		var s float64
		for _, v := range n.Weight.Data[i*per : (i+1)*per] {
			if norm == "l1" {
				s += math.Abs(float64(v))
			} else {
				s += float64(v) * float64(v)
			}
		}
		if norm == "l2" {
			s = math.Sqrt(s)
		}
		out[i] = s
	}
	return out, nil
}

// structuredEdit is what pruning one layer's output channels does to the graph: the layer's
// kept rows, and the consumer whose input channels (or flattened features) shrink with them.
type structuredEdit struct {
	layer    *model.Node
	keep     []int       // kept output channels, ascending
	consumer *model.Node // Conv or Dense reading the channels
	reshape  *model.Node // a flattening Reshape between a Conv layer and a Dense consumer
	spatial  int         // features per channel the consumer reads (H·W after a flatten, else 1 or kH·kW)
}

// PruneStructured removes whole output channels from Conv layers (filters) and neurons from
// Dense layers: for every layer named in rates, the round(rate·M) of its M output channels with
// the smallest L1 or L2 weight norm (norm "l1" or "l2"; ties: lower index removed first; at
// least one channel is kept). The layer's weight rows and bias entries go, and so do the
// matching inputs of the layer that reads them: the input channels of a following Conv, the
// columns of a following Dense, or — through a flattening Reshape — the Dense columns of the
// removed channels' flattened features. Channelwise operators in between (Relu, pooling,
// elementwise activations) are followed. The result really is smaller; it is validated.
//
// Layers whose output feeds anything else (a residual Add, a Concat, several consumers, a
// grouped or depthwise convolution, a graph output) are refused with an error naming the layer
// and the node in the way. Rates are validated like [Rates.Validate]. g is not modified.
func PruneStructured(g *model.Graph, rates map[string]float64, norm string) (*model.Graph, error) {
	if g == nil {
		return nil, errors.New("structured pruning: nil graph")
	}
	if err := Rates(rates).Validate(g); err != nil {
		return nil, fmt.Errorf("structured pruning: %w", err)
	}
	out := g.Clone()
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("structured pruning: graph %q: %w", g.Name, err)
	}
	var edits []structuredEdit
	var errs []error
	for _, name := range Rates(rates).Layers() {
		n := out.Node(name)
		e, err := planStructured(out, n, rates[name], norm)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		edits = append(edits, e)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// Every keep set was chosen from the original weights; apply the input-side cuts first
	// (they index the consumer's original input channels), then the output-side cuts.
	for _, e := range edits {
		cutInputs(e)
	}
	for _, e := range edits {
		cutOutputs(e.layer, e.keep)
	}
	out.Shapes = nil
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("structured pruning: the pruned graph is invalid: %w", err)
	}
	return out, nil
}

// planStructured picks the channels of n to keep and finds the layer that reads them.
func planStructured(g *model.Graph, n *model.Node, rate float64, norm string) (structuredEdit, error) {
	if n.Op != model.OpConv && n.Op != model.OpDense {
		return structuredEdit{}, fmt.Errorf("structured pruning: layer %q is a %s; only Conv and Dense layers can lose channels", n.Name, n.Op)
	}
	if n.Op == model.OpConv && n.Groups() != 1 {
		return structuredEdit{}, fmt.Errorf("structured pruning: layer %q is a grouped convolution (%d groups); removing its filters would break the groups", n.Name, n.Groups())
	}
	norms, err := ChannelNorms(n, norm)
	if err != nil {
		return structuredEdit{}, fmt.Errorf("structured pruning: %w", err)
	}
	m := len(norms)
	drop := min(int(math.Round(rate*float64(m))), m-1)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(norms[a], norms[b]) })
	keep := slices.Clone(idx[drop:])
	slices.Sort(keep)
	e := structuredEdit{layer: n, keep: keep}

	// Follow the output through channelwise operators to the one layer that reads it.
	value := n.Outputs[0]
	for {
		for _, o := range g.Outputs {
			if o.Name == value {
				return e, fmt.Errorf("structured pruning: layer %q: value %q is a graph output, its size cannot change", n.Name, value)
			}
		}
		var readers []*model.Node
		for _, c := range g.Nodes {
			if slices.Contains(c.Inputs, value) {
				readers = append(readers, c)
			}
		}
		if len(readers) != 1 {
			names := make([]string, len(readers))
			for i, r := range readers {
				names[i] = r.Name
			}
			return e, fmt.Errorf("structured pruning: layer %q: value %q is read by %d nodes %v, want exactly one", n.Name, value, len(readers), names)
		}
		c := readers[0]
		switch {
		case channelwise[c.Op]:
			value = c.Outputs[0]
			continue
		case c.Op == model.OpConv && n.Op == model.OpConv:
			if c.Groups() != 1 {
				return e, fmt.Errorf("structured pruning: layer %q feeds node %q, a grouped or depthwise convolution (%d groups); not supported", n.Name, c.Name, c.Groups())
			}
			e.consumer, e.spatial = c, 1
			return e, nil
		case c.Op == model.OpDense && n.Op == model.OpDense:
			e.consumer, e.spatial = c, 1
			return e, nil
		case c.Op == model.OpDense && n.Op == model.OpConv:
			// A Dense reading a [C,H,W] activation flattens it implicitly.
			s := g.Shapes[value]
			e.consumer, e.spatial = c, s[1]*s[2]
			return e, nil
		case c.Op == model.OpReshape && n.Op == model.OpConv:
			s := g.Shapes[value]
			if len(c.Attrs.Shape) != 1 || len(s) != 3 {
				return e, fmt.Errorf("structured pruning: layer %q feeds node %q, a Reshape to %v that is not a flatten of [C,H,W]", n.Name, c.Name, c.Attrs.Shape)
			}
			var next []*model.Node
			for _, d := range g.Nodes {
				if slices.Contains(d.Inputs, c.Outputs[0]) {
					next = append(next, d)
				}
			}
			if len(next) != 1 || next[0].Op != model.OpDense || slices.ContainsFunc(g.Outputs, func(v model.Value) bool { return v.Name == c.Outputs[0] }) {
				return e, fmt.Errorf("structured pruning: layer %q: the flatten %q must feed exactly one Dense layer", n.Name, c.Name)
			}
			e.reshape, e.consumer, e.spatial = c, next[0], s[1]*s[2]
			return e, nil
		default:
			return e, fmt.Errorf("structured pruning: layer %q feeds node %q (%s), which cannot follow a change in channel count", n.Name, c.Name, c.Op)
		}
	}
}

// cutOutputs keeps only the given output channels (weight rows, bias entries) of n.
func cutOutputs(n *model.Node, keep []int) {
	m := n.Weight.Shape[0]
	per := n.Weight.Len() / m
	w := make([]float32, 0, len(keep)*per)
	for _, k := range keep {
		w = append(w, n.Weight.Data[k*per:(k+1)*per]...)
	}
	n.Weight.Data = w
	n.Weight.Shape[0] = len(keep)
	if n.Bias != nil {
		b := make([]float32, len(keep))
		for i, k := range keep {
			b[i] = n.Bias.Data[k]
		}
		n.Bias.Data, n.Bias.Shape = b, []int{len(keep)}
	}
}

// cutInputs removes from e's consumer the inputs that came from the removed channels: input
// channels of a Conv (weight axis 1), or columns of a Dense, spatial features per channel.
func cutInputs(e structuredEdit) {
	c := e.consumer
	if c.Op == model.OpConv {
		m, cin, kk := c.Weight.Shape[0], c.Weight.Shape[1], c.Weight.Shape[2]*c.Weight.Shape[3]
		w := make([]float32, 0, m*len(e.keep)*kk)
		for o := 0; o < m; o++ {
			for _, k := range e.keep {
				w = append(w, c.Weight.Data[(o*cin+k)*kk:(o*cin+k+1)*kk]...)
			}
		}
		c.Weight.Data = w
		c.Weight.Shape[1] = len(e.keep)
		return
	}
	rows, cols := c.Weight.Shape[0], c.Weight.Shape[1]
	w := make([]float32, 0, rows*len(e.keep)*e.spatial)
	for r := 0; r < rows; r++ {
		row := c.Weight.Data[r*cols : (r+1)*cols]
		for _, k := range e.keep {
			w = append(w, row[k*e.spatial:(k+1)*e.spatial]...)
		}
	}
	c.Weight.Data = w
	c.Weight.Shape[1] = len(e.keep) * e.spatial
	if e.reshape != nil {
		e.reshape.Attrs.Shape = []int{len(e.keep) * e.spatial}
	}
}
