package explore

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

func structRand(rng *rand.Rand, shape ...int) *model.Tensor {
	t := model.NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.Float64()*2 - 1)
	}
	return t
}

// structNet is conv1 -> relu -> maxpool -> conv2 -> relu -> flatten -> fc1 -> relu -> fc2,
// a LeNet in miniature: every structured-pruning path (Conv->Conv, Conv->Reshape->Dense,
// Dense->Dense) occurs.
func structNet() *model.Graph {
	rng := rand.New(rand.NewPCG(5, 6))
	g := &model.Graph{
		Name:    "struct",
		Inputs:  []model.Value{{Name: "x", Shape: []int{1, 8, 8}}},
		Outputs: []model.Value{{Name: "y"}},
		Nodes: []*model.Node{
			{Name: "conv1", Op: model.OpConv, Inputs: []string{"x"}, Outputs: []string{"c1"},
				Weight: structRand(rng, 6, 1, 3, 3), Bias: structRand(rng, 6), Attrs: model.Attrs{Pads: []int{1, 1, 1, 1}}},
			{Name: "relu1", Op: model.OpRelu, Inputs: []string{"c1"}, Outputs: []string{"r1"}},
			{Name: "pool1", Op: model.OpMaxPool, Inputs: []string{"r1"}, Outputs: []string{"p1"},
				Attrs: model.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}}},
			{Name: "conv2", Op: model.OpConv, Inputs: []string{"p1"}, Outputs: []string{"c2"},
				Weight: structRand(rng, 5, 6, 3, 3), Bias: structRand(rng, 5)},
			{Name: "relu2", Op: model.OpRelu, Inputs: []string{"c2"}, Outputs: []string{"r2"}},
			{Name: "flat", Op: model.OpReshape, Inputs: []string{"r2"}, Outputs: []string{"f"}, Attrs: model.Attrs{Shape: []int{20}}},
			{Name: "fc1", Op: model.OpDense, Inputs: []string{"f"}, Outputs: []string{"d1"},
				Weight: structRand(rng, 7, 20), Bias: structRand(rng, 7)},
			{Name: "relu3", Op: model.OpRelu, Inputs: []string{"d1"}, Outputs: []string{"r3"}},
			{Name: "fc2", Op: model.OpDense, Inputs: []string{"r3"}, Outputs: []string{"y"},
				Weight: structRand(rng, 3, 7), Bias: structRand(rng, 3)},
		},
	}
	if err := g.Validate(); err != nil {
		panic(err)
	}
	return g
}

// zeroChannels returns a copy of g in which the given output channels of a layer have zero
// weights and zero bias: a dense model computing what the structurally pruned one computes.
func zeroChannels(g *model.Graph, removed map[string][]int) *model.Graph {
	out := g.Clone()
	for name, chans := range removed {
		n := out.Node(name)
		per := n.Weight.Len() / n.Weight.Shape[0]
		for _, c := range chans {
			clear(n.Weight.Data[c*per : (c+1)*per])
			n.Bias.Data[c] = 0
		}
	}
	return out
}

// removedChannels lists the channels of layer missing from pruned, by matching bias values.
func removedChannels(t *testing.T, dense, pruned *model.Node) []int {
	var out []int
	j := 0
	for i, b := range dense.Bias.Data {
		if j < len(pruned.Bias.Data) && pruned.Bias.Data[j] == b {
			j++
			continue
		}
		out = append(out, i)
	}
	if j != len(pruned.Bias.Data) {
		t.Fatalf("layer %s: kept biases are not a subsequence of the original ones", dense.Name)
	}
	return out
}

func TestPruneStructuredMatchesZeroedChannels(t *testing.T) {
	g := structNet()
	rates := map[string]float64{"conv1": 0.5, "conv2": 0.4, "fc1": 0.3}
	for _, norm := range []string{"l1", "l2"} {
		p, err := PruneStructured(g, rates, norm)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]int{"conv1": {3, 1, 3, 3}, "conv2": {3, 3, 3, 3}, "fc1": {5, 12}, "fc2": {3, 5}}
		for name, w := range want {
			if got := p.Node(name).Weight.Shape; !slices.Equal(got, w) {
				t.Errorf("%s: layer %s weight shape %v, want %v", norm, name, got, w)
			}
		}
		if s := p.Node("flat").Attrs.Shape; !slices.Equal(s, []int{12}) {
			t.Errorf("flatten shape %v, want [12] (3 channels × 2×2)", s)
		}
		if p.NumParams() >= g.NumParams() {
			t.Errorf("pruned model has %d params, dense %d", p.NumParams(), g.NumParams())
		}
		removed := map[string][]int{}
		for name := range rates {
			removed[name] = removedChannels(t, g.Node(name), p.Node(name))
		}
		// The removed channels are those of smallest norm.
		for name, chans := range removed {
			norms, _ := ChannelNorms(g.Node(name), norm)
			for _, c := range chans {
				for i, v := range norms {
					if !containsInt(chans, i) && v < norms[c] {
						t.Errorf("%s: layer %s removed channel %d (norm %v) but kept %d (norm %v)", norm, name, c, norms[c], i, v)
					}
				}
			}
		}
		z := zeroChannels(g, removed)
		x := structRand(rand.New(rand.NewPCG(9, 9)), 10, 1, 8, 8)
		a, err := p.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		b, err := z.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a[0].Data {
			if d := math.Abs(float64(a[0].Data[i] - b[0].Data[i])); d > 1e-5 {
				t.Fatalf("%s: output %d: pruned %v, zeroed dense %v", norm, i, a[0].Data[i], b[0].Data[i])
			}
		}
		t.Logf("%s: %d params -> %d; removed %v", norm, g.NumParams(), p.NumParams(), removed)
	}
	if g.Node("conv1").Weight.Shape[0] != 6 {
		t.Error("PruneStructured modified its input graph")
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestPruneStructuredRefusals(t *testing.T) {
	g := structNet()
	// A residual Add reading conv2's output.
	res := structNet()
	res.Nodes = append(res.Nodes[:4], append([]*model.Node{
		{Name: "skip", Op: model.OpAdd, Inputs: []string{"c2", "c2"}, Outputs: []string{"c2s"}},
	}, res.Nodes[4:]...)...)
	res.Node("relu2").Inputs = []string{"c2s"}
	res.Shapes = nil
	if err := res.Validate(); err != nil {
		t.Fatal(err)
	}
	grouped := structNet()
	grouped.Node("conv2").Attrs.Group = 2
	grouped.Node("conv2").Weight = structRand(rand.New(rand.NewPCG(1, 1)), 6, 3, 3, 3)
	grouped.Node("conv2").Bias = structRand(rand.New(rand.NewPCG(1, 1)), 6)
	grouped.Node("flat").Attrs.Shape = []int{24}
	grouped.Node("fc1").Weight = structRand(rand.New(rand.NewPCG(1, 1)), 7, 24)
	grouped.Shapes = nil
	if err := grouped.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		g     *model.Graph
		rates map[string]float64
		norm  string
		want  []string
	}{
		{res, map[string]float64{"conv2": 0.5}, "l1", []string{`"conv2"`, `"skip"`}},
		{grouped, map[string]float64{"conv1": 0.5}, "l1", []string{`"conv1"`, `"conv2"`, "grouped"}},
		{g, map[string]float64{"fc2": 0.5}, "l1", []string{`"fc2"`, "graph output"}},
		{g, map[string]float64{"relu1": 0.5}, "l1", []string{`"relu1"`}},
		{g, map[string]float64{"conv1": 0.5}, "l3", []string{"l3"}},
		{g, map[string]float64{"conv1": 1.5}, "l1", []string{`"conv1"`, "1.5"}},
	}
	for i, c := range cases {
		_, err := PruneStructured(c.g, c.rates, c.norm)
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("case %d: error %q does not mention %s", i, err, w)
			}
		}
	}
}

func TestPruneStructuredLeNet(t *testing.T) {
	g, ds := loadLeNet(t)
	m := top1(t)
	rates := map[string]float64{}
	for _, n := range g.PrunableLayers()[:len(g.PrunableLayers())-1] {
		rates[n.Name] = 0.25
	}
	p, err := PruneStructured(g, rates, "l2")
	if err != nil {
		t.Fatal(err)
	}
	acc, err := Evaluate(p, ds, m, 100)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := Evaluate(g, ds, m, 100)
	t.Logf("LeNet structured 25%% of channels/neurons (l2) in %v: %d -> %d params, top-1 %.4f (dense %.4f)", rates, g.NumParams(), p.NumParams(), acc, base)
	if p.NumParams() >= g.NumParams()*9/10 {
		t.Errorf("params %d -> %d: expected a real reduction", g.NumParams(), p.NumParams())
	}
	if acc < 0.5 {
		t.Errorf("accuracy %v after removing a quarter of the channels: too low to be a correct cut", acc)
	}
}
