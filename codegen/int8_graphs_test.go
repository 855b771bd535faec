package codegen

import (
	"math/rand"

	"github.com/tcdse/tcdse/model"
)

// Hand-built int8 graphs covering every int8 kernel: negative and positive zero points,
// per-channel and per-tensor weights, padding borders, strides, dilation, groups, requantizing
// activations and saturation.

func q8Params(scale float32, zp int32) *model.QuantParams {
	return &model.QuantParams{Scale: []float32{scale}, ZeroPoint: []int32{zp}}
}

// q8WeightNode builds a Conv or Dense node with random int8 weights (per-channel scales when
// perChannel), a random int32 bias and the float weights the shape inference reads.
func q8WeightNode(rng *rand.Rand, op model.Op, name, in string, out *model.QuantParams, perChannel bool, a model.Attrs, shape ...int) *model.Node {
	rows := shape[0]
	k := 1
	for _, d := range shape {
		k *= d
	}
	w := &model.QTensor{Shape: shape, Data: make([]int8, k)}
	for i := range w.Data {
		w.Data[i] = int8(rng.Intn(255) - 127)
	}
	nsc := 1
	if perChannel {
		nsc = rows
	}
	for c := 0; c < nsc; c++ {
		w.Quant.Scale = append(w.Quant.Scale, float32(0.002+0.01*rng.Float64()))
		w.Quant.ZeroPoint = append(w.Quant.ZeroPoint, 0)
	}
	fw := model.NewTensor(shape...)
	for i, v := range w.Data {
		s := w.Quant.Scale[0]
		if perChannel {
			s = w.Quant.Scale[i/(k/rows)]
		}
		fw.Data[i] = float32(v) * s
	}
	bias := make([]int32, rows)
	fb := model.NewTensor(rows)
	for i := range bias {
		bias[i] = int32(rng.Intn(8001) - 4000)
	}
	a.Quant = out
	return &model.Node{Name: name, Op: op, Inputs: []string{in}, Outputs: []string{name}, Weight: fw, Bias: fb,
		QWeight: w, QBias: bias, Attrs: a}
}

// q8Op is an int8 node without weights.
func q8Op(name string, op model.Op, q *model.QuantParams, a model.Attrs, ins ...string) *model.Node {
	a.Quant = q
	return &model.Node{Name: name, Op: op, Inputs: ins, Outputs: []string{name}, Attrs: a}
}

// setQ8Values records every int8 node output in Graph.Quant, as the importers do.
func setQ8Values(g *model.Graph) {
	g.Quant = nil
	for _, n := range g.Nodes {
		if n.Attrs.Quant != nil && n.Op != model.OpDequantize {
			g.Quant = append(g.Quant, model.ValueQuant{Name: n.Outputs[0], Params: n.Attrs.Quant})
		}
	}
}

// q8KernelNet: Quantize, strided dilated padded per-channel Conv, Relu, requantizing Clip,
// padded MaxPool, depthwise Conv, padded AvgPool, 1x1 per-tensor Conv, Add, Sub, Mul, Reshape,
// per-channel Dense, Softmax, Dequantize.
func q8KernelNet() *model.Graph {
	rng := rand.New(rand.NewSource(42))
	nodes := []*model.Node{
		q8Op("xq", model.OpQuantize, q8Params(0.05, -7), model.Attrs{}, "x"),
		q8WeightNode(rng, model.OpConv, "conv", "xq", q8Params(0.08, 5), true,
			model.Attrs{Strides: []int{2, 1}, Pads: []int{1, 2, 0, 1}, Dilations: []int{1, 2}}, 8, 3, 3, 3),
		q8Op("relu", model.OpRelu, q8Params(0.08, 5), model.Attrs{}, "conv"),
		q8Op("clip", model.OpClip, q8Params(0.03, -20), model.Attrs{Min: -0.5, Max: 2}, "relu"),
		q8Op("maxpool", model.OpMaxPool, q8Params(0.03, -20), model.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}, Pads: []int{0, 0, 1, 1}}, "clip"),
		q8WeightNode(rng, model.OpConv, "dw", "maxpool", q8Params(0.1, -3), true,
			model.Attrs{Group: 8, Pads: []int{1, 1, 1, 1}}, 8, 1, 3, 3),
		q8Op("avgpool", model.OpAvgPool, q8Params(0.1, -3), model.Attrs{Kernel: []int{3, 3}, Strides: []int{1, 2}, Pads: []int{1, 1, 1, 1}}, "dw"),
		q8WeightNode(rng, model.OpConv, "pw", "avgpool", q8Params(0.07, 10), false, model.Attrs{}, 8, 8, 1, 1),
		q8Op("add", model.OpAdd, q8Params(0.09, -1), model.Attrs{}, "avgpool", "pw"),
		q8Op("sub", model.OpSub, q8Params(0.05, 2), model.Attrs{}, "add", "avgpool"),
		q8Op("mul", model.OpMul, q8Params(0.02, -5), model.Attrs{}, "sub", "pw"),
	}
	g := graph("q8kernels", "x", []int{3, 11, 13}, "mul", nodes...)
	if err := g.Validate(); err != nil { // for the flattened size
		panic(err)
	}
	g.Outputs = []model.Value{{Name: "y"}}
	s := g.Shapes["mul"]
	flat := s[0] * s[1] * s[2]
	g.Nodes = append(g.Nodes,
		q8Op("flat", model.OpReshape, q8Params(0.02, -5), model.Attrs{Shape: []int{flat}}, "mul"),
		q8WeightNode(rng, model.OpDense, "fc", "flat", q8Params(0.2, 3), true, model.Attrs{}, 10, flat),
		q8Op("softmax", model.OpSoftmax, q8Params(1.0/256, -128), model.Attrs{}, "fc"),
		&model.Node{Name: "y", Op: model.OpDequantize, Inputs: []string{"softmax"}, Outputs: []string{"y"}},
	)
	g.Shapes = nil
	setQ8Values(g)
	return g
}

// q8ActivationNet: Quantize, Sigmoid, Tanh, Add of their outputs (different scales), Mean over
// the last axis, Reshape, per-tensor Dense, Dequantize.
func q8ActivationNet() *model.Graph {
	rng := rand.New(rand.NewSource(43))
	g := graph("q8activations", "x", []int{2, 6, 10}, "y",
		q8Op("xq", model.OpQuantize, q8Params(0.04, 12), model.Attrs{}, "x"),
		q8Op("sig", model.OpSigmoid, q8Params(1.0/256, -128), model.Attrs{}, "xq"),
		q8Op("tanh", model.OpTanh, q8Params(1.0/128, 0), model.Attrs{}, "xq"),
		q8Op("sum", model.OpAdd, q8Params(0.012, -30), model.Attrs{}, "sig", "tanh"),
		q8Op("mean", model.OpMean, q8Params(0.004, -100), model.Attrs{Axes: []int{2}}, "sum"),
		q8Op("flat", model.OpReshape, q8Params(0.004, -100), model.Attrs{Shape: []int{12}}, "mean"),
		q8WeightNode(rng, model.OpDense, "fc", "flat", q8Params(0.05, 7), false, model.Attrs{}, 5, 12),
		&model.Node{Name: "y", Op: model.OpDequantize, Inputs: []string{"fc"}, Outputs: []string{"y"}},
	)
	setQ8Values(g)
	return g
}
