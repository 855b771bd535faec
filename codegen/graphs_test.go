package codegen

import (
	"math"
	"math/rand"
	"sort"

	"github.com/tcdse/tcdse/model"
)

// Hand-built test graphs with small random weights from a seeded generator.

func randTensor(rng *rand.Rand, scale float64, shape ...int) *model.Tensor {
	t := model.NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = float32((rng.Float64()*2 - 1) * scale)
	}
	return t
}

func convNode(rng *rand.Rand, name, in, out string, m, cpg, kh, kw int, bias bool, a model.Attrs) *model.Node {
	fan := float64(cpg * kh * kw)
	n := &model.Node{Name: name, Op: model.OpConv, Inputs: []string{in}, Outputs: []string{out}, Attrs: a,
		Weight: randTensor(rng, math.Sqrt(3/fan), m, cpg, kh, kw)}
	if bias {
		n.Bias = randTensor(rng, 0.1, m)
	}
	return n
}

func denseNode(rng *rand.Rand, name, in, out string, outN, k int, bias bool) *model.Node {
	n := &model.Node{Name: name, Op: model.OpDense, Inputs: []string{in}, Outputs: []string{out},
		Weight: randTensor(rng, math.Sqrt(3/float64(k)), outN, k)}
	if bias {
		n.Bias = randTensor(rng, 0.1, outN)
	}
	return n
}

func opNode(name string, op model.Op, out string, a model.Attrs, ins ...string) *model.Node {
	return &model.Node{Name: name, Op: op, Inputs: ins, Outputs: []string{out}, Attrs: a}
}

func graph(name string, in string, inShape []int, out string, nodes ...*model.Node) *model.Graph {
	return &model.Graph{Name: name, Inputs: []model.Value{{Name: in, Shape: inShape}},
		Outputs: []model.Value{{Name: out}}, Nodes: nodes}
}

// convNet: conv+relu (fused), maxpool, grouped dilated padded conv, relu, avgpool with padding,
// reshape, dense+relu, dense, softmax.
func convNet(seed int64) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	return graph("convnet", "x", []int{3, 12, 12}, "prob",
		convNode(rng, "c1", "x", "c1", 8, 3, 3, 3, true, model.Attrs{Pads: []int{1, 1, 1, 1}}),
		opNode("r1", model.OpRelu, "r1", model.Attrs{}, "c1"),
		opNode("p1", model.OpMaxPool, "p1", model.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}}, "r1"),
		convNode(rng, "c2", "p1", "c2", 6, 4, 3, 3, true, model.Attrs{Group: 2, Dilations: []int{2, 2}, Pads: []int{2, 2, 2, 2}}),
		opNode("r2", model.OpRelu, "r2", model.Attrs{}, "c2"),
		opNode("p2", model.OpAvgPool, "p2", model.Attrs{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, "r2"),
		opNode("flat", model.OpReshape, "flat", model.Attrs{Shape: []int{54}}, "p2"),
		denseNode(rng, "d1", "flat", "d1", 16, 54, true),
		opNode("r3", model.OpRelu, "r3", model.Attrs{}, "d1"),
		denseNode(rng, "d2", "r3", "logits", 10, 16, true),
		opNode("sm", model.OpSoftmax, "prob", model.Attrs{}, "logits"),
	)
}

// residualNet: a residual block (Add of a conv and a Relu that has two readers), Relu fused
// into the Add, a depthwise strided conv with asymmetric padding, padded max pooling, and a
// bias-free dense layer.
func residualNet(seed int64) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	return graph("residual", "in", []int{4, 8, 8}, "out",
		convNode(rng, "a", "in", "a", 4, 4, 3, 3, true, model.Attrs{Pads: []int{1, 1, 1, 1}}),
		opNode("ra", model.OpRelu, "ra", model.Attrs{}, "a"),
		convNode(rng, "b", "ra", "b", 4, 4, 3, 3, false, model.Attrs{Pads: []int{1, 1, 1, 1}}),
		opNode("sum", model.OpAdd, "sum", model.Attrs{}, "b", "ra"),
		opNode("rs", model.OpRelu, "rs", model.Attrs{}, "sum"),
		convNode(rng, "dw", "rs", "dw", 4, 1, 3, 3, true, model.Attrs{Group: 4, Strides: []int{2, 2}, Pads: []int{0, 0, 1, 1}}),
		opNode("mp", model.OpMaxPool, "mp", model.Attrs{Kernel: []int{3, 3}, Pads: []int{1, 1, 1, 1}}, "dw"),
		opNode("flat", model.OpReshape, "flat", model.Attrs{Shape: []int{64}}, "mp"),
		denseNode(rng, "fc", "flat", "out", 5, 64, false),
	)
}

// mlpNet: the input is reshaped (an alias of the caller's buffer) and the output is produced by
// a Relu fused into the last dense layer.
func mlpNet(seed int64) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	return graph("mlp", "img", []int{2, 3, 4}, "y",
		opNode("flatten", model.OpReshape, "v", model.Attrs{Shape: []int{24}}, "img"),
		denseNode(rng, "h", "v", "h", 12, 24, true),
		opNode("hr", model.OpRelu, "hr", model.Attrs{}, "h"),
		denseNode(rng, "o", "hr", "o", 6, 12, true),
		opNode("or", model.OpRelu, "y", model.Attrs{}, "o"),
	)
}

// inPlaceNet: a Relu whose input has another reader before it runs in place; an Add reads the
// same buffer twice.
func inPlaceNet(seed int64) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	return graph("inplace", "x", []int{16}, "out",
		denseNode(rng, "d", "x", "d", 16, 16, true),
		opNode("twice", model.OpAdd, "twice", model.Attrs{}, "d", "d"),
		opNode("relu", model.OpRelu, "r", model.Attrs{}, "d"),
		opNode("sum", model.OpAdd, "out", model.Attrs{}, "twice", "r"),
	)
}

// copyNet: the output is a reshape of the input, which must become a copy.
func copyNet() *model.Graph {
	return graph("copy", "x", []int{2, 3}, "y",
		opNode("r1", model.OpReshape, "x6", model.Attrs{Shape: []int{6}}, "x"),
		opNode("r2", model.OpReshape, "y", model.Attrs{Shape: []int{3, 2}}, "x6"),
	)
}

// nastyNet has node and value names that are not C identifiers, are C keywords, are empty or
// repeat, and a softmax over the last axis of a 3-D tensor.
func nastyNet(seed int64) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	return graph("nasty */ \"graph\"\n", "input:0", []int{2, 5, 5}, "out/0",
		convNode(rng, "1/conv:0", "input:0", "1/conv:0", 3, 2, 3, 3, true, model.Attrs{Pads: []int{1, 1, 1, 1}}),
		opNode("", model.OpRelu, "", model.Attrs{}, "1/conv:0"),
		convNode(rng, "for", "", "for", 3, 3, 1, 1, true, model.Attrs{}),
		convNode(rng, "dup", "for", "dup:a", 3, 3, 1, 1, true, model.Attrs{}),
		convNode(rng, "dup", "dup:a", "dup:b", 3, 3, 1, 1, false, model.Attrs{}),
		opNode("a*/b", model.OpAdd, "a*/b", model.Attrs{}, "dup:b", "for"),
		opNode("x\ny??/", model.OpSoftmax, "out/0", model.Attrs{}, "a*/b"),
	)
}

// chainNet is a chain of dense layers with the given output widths (the last is the graph
// output), each followed by a fused Relu except the last.
func chainNet(seed int64, in int, widths ...int) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	g := &model.Graph{Name: "chain", Inputs: []model.Value{{Name: "x", Shape: []int{in}}}}
	prev, k := "x", in
	for i, w := range widths {
		name := "d" + string(rune('a'+i))
		g.Nodes = append(g.Nodes, denseNode(rng, name, prev, name, w, k, true))
		prev, k = name, w
		if i < len(widths)-1 {
			g.Nodes = append(g.Nodes, opNode(name+"_relu", model.OpRelu, name+"_relu", model.Attrs{}, name))
			prev = name + "_relu"
		}
	}
	g.Outputs = []model.Value{{Name: prev}}
	return g
}

// prune zeroes the given fraction of each weighted layer's smallest-magnitude weights.
func prune(g *model.Graph, fraction float64) *model.Graph {
	c := g.Clone()
	for _, n := range c.PrunableLayers() {
		mags := make([]float64, len(n.Weight.Data))
		for i, v := range n.Weight.Data {
			mags[i] = math.Abs(float64(v))
		}
		sorted := append([]float64(nil), mags...)
		sort.Float64s(sorted)
		cut := sorted[int(fraction*float64(len(sorted)-1))]
		for i := range n.Weight.Data {
			if mags[i] <= cut {
				n.Weight.Data[i] = 0
			}
		}
	}
	return c
}
