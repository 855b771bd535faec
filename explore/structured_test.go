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
		a := mustRun(t, p, x)
		b := mustRun(t, z, x)
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
	// A residual Add of conv1's output and the graph input (conv1 keeps the input's size).
	res := structNet()
	res.Inputs[0].Shape = []int{6, 8, 8}
	res.Node("conv1").Weight = structRand(rand.New(rand.NewPCG(2, 2)), 6, 6, 3, 3)
	res.Nodes = append(res.Nodes[:1], append([]*model.Node{
		{Name: "skip", Op: model.OpAdd, Inputs: []string{"c1", "x"}, Outputs: []string{"c1s"}},
	}, res.Nodes[1:]...)...)
	res.Node("relu1").Inputs = []string{"c1s"}
	res.Shapes = nil
	if err := res.Validate(); err != nil {
		t.Fatal(err)
	}
	// A Softmax over conv channels.
	soft := structNet()
	soft.Nodes = append(soft.Nodes[:6], append([]*model.Node{
		{Name: "soft", Op: model.OpSoftmax, Inputs: []string{"f"}, Outputs: []string{"fs"}},
	}, soft.Nodes[6:]...)...)
	soft.Node("fc1").Inputs = []string{"fs"}
	soft.Shapes = nil
	if err := soft.Validate(); err != nil {
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
		{res, map[string]float64{"conv1": 0.5}, "l1", []string{`"conv1"`, `"skip"`, `graph input "x"`}},
		{soft, map[string]float64{"conv2": 0.5}, "l1", []string{`"conv2"`, `"soft"`, "Softmax"}},
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

// TestPruneStructuredConcat concatenates two conv outputs around the graph input: each conv's
// cut lands at its offset in the concatenation, the input's channels stay, and the cut passes
// a Pad and a Mean without kept axes.
func TestPruneStructuredConcat(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	g := &model.Graph{
		Name:    "concat",
		Inputs:  []model.Value{{Name: "x", Shape: []int{2, 6, 6}}},
		Outputs: []model.Value{{Name: "y"}},
		Nodes: []*model.Node{
			{Name: "convA", Op: model.OpConv, Inputs: []string{"x"}, Outputs: []string{"a0"},
				Weight: structRand(rng, 3, 2, 3, 3), Bias: structRand(rng, 3), Attrs: model.Attrs{Pads: []int{1, 1, 1, 1}}},
			{Name: "reluA", Op: model.OpRelu, Inputs: []string{"a0"}, Outputs: []string{"a"}},
			{Name: "convB", Op: model.OpConv, Inputs: []string{"x"}, Outputs: []string{"b"},
				Weight: structRand(rng, 4, 2, 3, 3), Bias: structRand(rng, 4), Attrs: model.Attrs{Pads: []int{1, 1, 1, 1}}},
			{Name: "cat", Op: model.OpConcat, Inputs: []string{"a", "x", "b"}, Outputs: []string{"c"}},
			{Name: "pad", Op: model.OpPad, Inputs: []string{"c"}, Outputs: []string{"cp"}, Attrs: model.Attrs{Pads: []int{0, 1, 1, 0, 1, 1}}},
			{Name: "convC", Op: model.OpConv, Inputs: []string{"cp"}, Outputs: []string{"d"},
				Weight: structRand(rng, 5, 9, 3, 3), Bias: structRand(rng, 5)},
			{Name: "mean", Op: model.OpMean, Inputs: []string{"d"}, Outputs: []string{"m"}, Attrs: model.Attrs{Axes: []int{1, 2}}},
			{Name: "fc", Op: model.OpDense, Inputs: []string{"m"}, Outputs: []string{"y"},
				Weight: structRand(rng, 3, 5), Bias: structRand(rng, 3)},
		},
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	x := structRand(rand.New(rand.NewPCG(1, 2)), 4, 2, 6, 6)
	p, groups := assertPrunedMatchesZeroed(t, g, x, map[string]float64{"convA": 0.34, "convB": 0.5, "convC": 0.4}, "l1")
	weightShape(t, p, "convC", 3, 6, 3, 3)
	weightShape(t, p, "fc", 3, 3)
	// The kept input channels of convC are convA's kept channels, both input channels, then
	// convB's kept channels, in order.
	var want []int
	for _, sg := range groups {
		if sg.Layers[0] == "convA" {
			want = append(want, sg.Keep...)
		}
	}
	want = append(want, 3, 4)
	for _, sg := range groups {
		if sg.Layers[0] == "convB" {
			for _, k := range sg.Keep {
				want = append(want, 5+k)
			}
		}
	}
	r0 := 0 // convC's first kept filter
	for _, sg := range groups {
		if sg.Layers[0] == "convC" {
			r0 = sg.Keep[0]
		}
	}
	wc, pc := g.Node("convC").Weight, p.Node("convC").Weight
	for i, c := range want {
		if wc.Data[(r0*9+c)*9] != pc.Data[i*9] {
			t.Errorf("convC input channel %d is not original channel %d", i, c)
		}
	}
}

// TestPruneStructuredFoldsConstants swaps structNet's Relus for Sigmoid, HardSigmoid and
// HardSwish: a removed channel then carries a non-zero constant (sigmoid(0) = 0.5) into the next
// layer, which must absorb it into its bias (conv2 has no padding; fc1 reads a flatten).
func TestPruneStructuredFoldsConstants(t *testing.T) {
	g := structNet()
	g.Node("relu1").Op = model.OpSigmoid
	g.Node("relu2").Op, g.Node("relu2").Attrs = model.OpHardSigmoid, model.Attrs{Alpha: 0.2, Beta: 0.5}
	g.Node("relu3").Op = model.OpHardSwish
	g.Shapes = nil
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	x := structRand(rand.New(rand.NewPCG(9, 9)), 10, 1, 8, 8)
	rates := map[string]float64{"conv1": 0.5, "conv2": 0.4, "fc1": 0.3}
	assertPrunedMatchesZeroed(t, g, x, rates, "l1")
	// Without the folds the pruned model would differ from the zeroed one: check that the
	// biases of the readers changed.
	p, err := PruneStructured(g, rates, "l1")
	if err != nil {
		t.Fatal(err)
	}
	groups, _ := PlanStructured(g, rates, "l1")
	for _, sg := range groups {
		if sg.Layers[0] != "conv2" {
			continue
		}
		for i, k := range sg.Keep {
			if p.Node("conv2").Bias.Data[i] == g.Node("conv2").Bias.Data[k] {
				t.Errorf("conv2 bias %d unchanged: conv1's removed channels (sigmoid 0.5) were not folded in", k)
			}
		}
	}
	if got := unaryConsts(g.Node("relu1"), []float64{0, math.NaN(), 2}); got[0] != 0.5 || !math.IsNaN(got[1]) || math.Abs(got[2]-1/(1+math.Exp(-2))) > 1e-6 {
		t.Errorf("sigmoid of constants [0 NaN 2] = %v", got)
	}
	// A padded reader cannot absorb a constant: conv2 with padding refuses conv1's cut.
	padded := g.Clone()
	padded.Node("conv2").Attrs.Pads = []int{1, 1, 1, 1}
	padded.Node("flat").Attrs.Shape = []int{80}
	padded.Node("fc1").Weight = structRand(rand.New(rand.NewPCG(3, 3)), 7, 80)
	padded.Shapes = nil
	if err := padded.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := PruneStructured(padded, map[string]float64{"conv1": 0.5}, "l1"); err == nil || !strings.Contains(err.Error(), `"conv1"`) || !strings.Contains(err.Error(), "pads") {
		t.Errorf("padded reader of a constant channel: error %v", err)
	}
}
