package codegen

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// Int8 data movement, broadcasting arithmetic, LeakyRelu and HardSwish against the interpreter's
// int8 kernels, bit for bit.

// q8Const is an int8 graph constant with random integer values and its Graph.Quant entry.
func q8Const(rng *rand.Rand, g *model.Graph, name string, q *model.QuantParams, shape ...int) {
	t := model.NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.Intn(256) - 128)
	}
	g.Consts = append(g.Consts, model.Const{Name: name, Tensor: t})
	g.Quant = append(g.Quant, model.ValueQuant{Name: name, Params: q})
}

// q8MoveNet: the int8 counterpart of moveNet. Transpose keeps its quantization (a plain copy);
// Slice, Pad and Gather requantize; the Concat mixes a requantizing value, a requantizing int8
// constant and a value already in the output quantization; Mul by a per-channel constant, Add
// of a constant given first, Sub of a broadcast value, LeakyRelu, HardSwish, and a broadcasting
// Add whose Relu is folded into its clamp, and a requantizing Reshape.
func q8MoveNet(alpha float32) *model.Graph {
	rng := rand.New(rand.NewSource(5))
	g := graph("q8movenet", "x", []int{4, 6, 5}, "y",
		q8Op("xq", model.OpQuantize, q8Params(0.05, -7), model.Attrs{}, "x"),
		q8Op("tr", model.OpTranspose, q8Params(0.05, -7), model.Attrs{Perm: []int{0, 2, 1}}, "xq"),
		q8Op("sl", model.OpSlice, q8Params(0.04, 3), model.Attrs{Starts: []int{0, 4, 1}, Ends: []int{4, -100, 6}, Axes: []int{0, 1, 2}, Steps: []int{2, -1, 2}}, "tr"),
		q8Op("pad", model.OpPad, q8Params(0.07, -2), model.Attrs{Pads: []int{0, 1, -1, 1, 0, 2}, Value: 0.5}, "tr"),
		q8Op("ga", model.OpGather, q8Params(0.06, 0), model.Attrs{Axis: 2, Indices: []int{6, 5, 4, 0, 0, -1, 2}}, "pad"),
		q8Op("cat", model.OpConcat, q8Params(0.07, -2), model.Attrs{Axis: 0}, "ga", "kc", "pad"),
		q8Op("sc", model.OpMul, q8Params(0.05, 1), model.Attrs{}, "cat", "scale"),
		q8Op("bi", model.OpAdd, q8Params(0.06, -3), model.Attrs{}, "bias", "sc"),
		q8Op("col", model.OpSlice, q8Params(0.06, -3), model.Attrs{Starts: []int{0}, Ends: []int{1}, Axes: []int{2}}, "bi"),
		q8Op("sub", model.OpSub, q8Params(0.05, 0), model.Attrs{}, "bi", "col"),
		q8Op("lr", model.OpLeakyRelu, q8Params(0.04, -10), model.Attrs{Alpha: alpha}, "sub"),
		q8Op("hs", model.OpHardSwish, q8Params(0.03, 5), model.Attrs{}, "lr"),
		q8Op("ad", model.OpAdd, q8Params(0.05, 3), model.Attrs{}, "hs", "col"),
		q8Op("rl", model.OpRelu, q8Params(0.05, 3), model.Attrs{}, "ad"),
		q8Op("f1", model.OpReshape, q8Params(0.05, 3), model.Attrs{Shape: []int{12 * 6 * 7}}, "rl"),
		q8Op("f2", model.OpReshape, q8Params(0.045, 2), model.Attrs{Shape: []int{30}}, "sl"),
		q8Op("out", model.OpConcat, q8Params(0.05, 3), model.Attrs{Axis: 0}, "f2", "f1"),
		&model.Node{Name: "y", Op: model.OpDequantize, Inputs: []string{"out"}, Outputs: []string{"y"}},
	)
	setQ8Values(g)
	q8Const(rng, g, "kc", q8Params(0.1, 4), 2, 6, 7)
	q8Const(rng, g, "scale", q8Params(0.02, 0), 12, 1, 1)
	q8Const(rng, g, "bias", q8Params(0.03, -5), 7)
	return g
}

// q8UnaryNet: LeakyRelu with a slope above 1 and a negative one, and HardSwish with output
// scales below and above the input's, each reading a wide-range quantized input.
func q8UnaryNet() *model.Graph {
	g := graph("q8unary", "x", []int{64}, "y",
		q8Op("xq", model.OpQuantize, q8Params(0.06, 20), model.Attrs{}, "x"),
		q8Op("l1", model.OpLeakyRelu, q8Params(0.05, -30), model.Attrs{Alpha: 1.7}, "xq"),
		q8Op("l2", model.OpLeakyRelu, q8Params(0.09, 60), model.Attrs{Alpha: -0.35}, "l1"),
		q8Op("h1", model.OpHardSwish, q8Params(0.02, -100), model.Attrs{}, "l2"),
		q8Op("h2", model.OpHardSwish, q8Params(0.5, 0), model.Attrs{}, "xq"),
		q8Op("s", model.OpAdd, q8Params(0.04, 1), model.Attrs{}, "h1", "h2"),
		&model.Node{Name: "y", Op: model.OpDequantize, Inputs: []string{"s"}, Outputs: []string{"y"}},
	)
	setQ8Values(g)
	return g
}

// q8Inputs draws n inputs spanning several times the int8 range of a 0.05-scale quantization.
func q8WideVectors(t *testing.T, g *model.Graph, n int) *TestVectors {
	t.Helper()
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(11))
	x := model.NewTensor(append([]int{n}, g.Shapes[g.Inputs[0].Name]...)...)
	for i := range x.Data {
		x.Data[i] = float32((rng.Float64()*2 - 1) * 12)
	}
	tv, err := interpreterVectors(g, x)
	if err != nil {
		t.Fatal(err)
	}
	return tv
}

func TestInt8MoveAndBroadcastExact(t *testing.T) {
	requireGCC(t)
	p := mustPlan(t, q8MoveNet(0.2), Options{})
	for node, kernel := range map[string]string{
		"tr": "q8_move", "sl": "q8_move_rq", "pad": "q8_move_rq", "ga": "q8_move_rq", "sc": "q8_bcast_mul",
		"bi": "q8_bcast_addsub", "sub": "q8_bcast_addsub", "lr": "q8_leaky_relu", "hs": "q8_hard_swish", "ad": "q8_bcast_addsub",
		"f2": "q8_move_rq", // a requantizing Reshape
	} {
		if l := layerByNode(t, p, node); l.Kernel != kernel {
			t.Errorf("%s: kernel %q, want %q", node, l.Kernel, kernel)
		}
	}
	if l := layerByNode(t, p, "rl"); l.FusedInto != "ad" {
		t.Errorf("rl: fused into %q, want the broadcasting Add ad", l.FusedInto)
	}
	if p.WeightBytes != 84+12+7 {
		t.Errorf("weight bytes %d, want %d (three int8 constants)", p.WeightBytes, 84+12+7)
	}
	for _, k := range []string{"q8_move", "q8_move_rq", "q8_fill"} {
		if !contains(p.Kernels, k) {
			t.Errorf("kernels %v lack %q", p.Kernels, k)
		}
	}
	checkArena(t, p, len(p.Layers))
	for _, g := range []*model.Graph{q8MoveNet(0.2), q8MoveNet(-1.5), q8UnaryNet()} {
		tv := q8WideVectors(t, g, 5)
		out := generate(t, g, Options{Vectors: tv, BenchIterations: 1})
		assertExact(t, g.Name+" (asan+ubsan)", buildAndRun(t, out, sanitizeFlags), 5)
		assertExact(t, g.Name+" -O2", buildAndRun(t, out, ""), 5)
	}
}

// TestInt8HardSwishAllInputs runs every int8 input value through HardSwish and LeakyRelu with
// several quantizations, comparing C with the interpreter on all 256 codes.
func TestInt8HardSwishAllInputs(t *testing.T) {
	requireGCC(t)
	for _, c := range []struct {
		in, out *model.QuantParams
		alpha   float32
	}{
		{q8Params(0.1, -128), q8Params(0.05, 10), 0.01},
		{q8Params(0.02, 127), q8Params(0.0003, -128), 3},
		{q8Params(0.5, 0), q8Params(0.9, 127), -0.5},
	} {
		g := graph("q8all", "x", []int{256}, "y",
			q8Op("h", model.OpHardSwish, c.out, model.Attrs{}, "x"),
			q8Op("l", model.OpLeakyRelu, c.out, model.Attrs{Alpha: c.alpha}, "x"),
			q8Op("y", model.OpConcat, c.out, model.Attrs{Axis: 0}, "h", "l"),
		)
		setQ8Values(g)
		g.Quant = append(g.Quant, model.ValueQuant{Name: "x", Params: c.in})
		if err := g.Validate(); err != nil {
			t.Fatal(err)
		}
		x := model.NewTensor(2, 256)
		for i := range x.Data {
			x.Data[i] = float32(i%256 - 128)
		}
		tv, err := interpreterVectors(g, x)
		if err != nil {
			t.Fatal(err)
		}
		out := generate(t, g, Options{Vectors: tv, BenchIterations: 1})
		assertExact(t, "hard_swish/leaky_relu all codes (asan+ubsan)", buildAndRun(t, out, sanitizeFlags), 2)
	}
}

func TestInt8UnaryErrors(t *testing.T) {
	g := graph("q8hswide", "x", []int{8}, "y",
		q8Op("xq", model.OpQuantize, q8Params(1, 0), model.Attrs{}, "x"),
		q8Op("h", model.OpHardSwish, q8Params(0.001, 0), model.Attrs{}, "xq"),
		&model.Node{Name: "y", Op: model.OpDequantize, Inputs: []string{"h"}, Outputs: []string{"y"}},
	)
	setQ8Values(g)
	if _, err := PlanGraph(g, Options{}); err == nil || !strings.Contains(err.Error(), `"h"`) || !strings.Contains(err.Error(), "output scale") {
		t.Errorf("HardSwish with a too fine output scale: %v; want an error naming h", err)
	}
	g = graph("q8mixed", "x", []int{8}, "y",
		q8Op("xq", model.OpQuantize, q8Params(0.1, 0), model.Attrs{}, "x"),
		q8Op("c", model.OpConcat, q8Params(0.1, 0), model.Attrs{Axis: 0}, "xq", "x"),
		&model.Node{Name: "y", Op: model.OpDequantize, Inputs: []string{"c"}, Outputs: []string{"y"}},
	)
	setQ8Values(g)
	if _, err := PlanGraph(g, Options{}); err == nil || !strings.Contains(err.Error(), `"c"`) || !strings.Contains(err.Error(), "float value") {
		t.Errorf("int8 Concat of a float input: %v; want an error naming c", err)
	}
}
