package codegen

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// Data movement and broadcasting layers: float32 and int8 graphs built with the IR, generated,
// compiled with gcc (strict warnings, ASan and UBSan, poisoned arena) and compared with the
// Go interpreter.

// constOf is a graph constant of the given shape with values drawn from rng (in [-scale, scale]).
func constOf(rng *rand.Rand, name string, scale float64, shape ...int) model.Const {
	return model.Const{Name: name, Tensor: randTensor(rng, scale, shape...)}
}

// moveNet reads the graph input with Transpose, then Slice with negative and clamped steps,
// Pad with negative (cropping) pads, Gather with repeated, negative and descending indices,
// Concat of values and a constant, Mul by a per-channel constant, Add of a constant bias given
// first, Sub of a value broadcast along the last axis, and a final Concat of two flattened
// branches that writes the caller's output. The transpose output has three readers.
func moveNet(seed int64) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	g := graph("movenet", "x", []int{4, 6, 5}, "y",
		opNode("tr", model.OpTranspose, "tr", model.Attrs{Perm: []int{0, 2, 1}}, "x"),
		opNode("sl", model.OpSlice, "sl", model.Attrs{Starts: []int{0, 4, 1}, Ends: []int{4, -100, 6}, Axes: []int{0, 1, 2}, Steps: []int{2, -1, 2}}, "tr"),
		opNode("pad", model.OpPad, "pad", model.Attrs{Pads: []int{0, 1, -1, 1, 0, 2}, Value: 0.5}, "tr"),
		opNode("ga", model.OpGather, "ga", model.Attrs{Axis: 2, Indices: []int{6, 5, 4, 0, 0, -1, 2}}, "pad"),
		opNode("cat", model.OpConcat, "cat", model.Attrs{Axis: 0}, "ga", "kc", "pad"),
		opNode("sc", model.OpMul, "sc", model.Attrs{}, "cat", "scale"),
		opNode("bi", model.OpAdd, "bi", model.Attrs{}, "bias", "sc"),
		opNode("col", model.OpSlice, "col", model.Attrs{Starts: []int{0}, Ends: []int{1}, Axes: []int{2}}, "bi"),
		opNode("sub", model.OpSub, "sub", model.Attrs{}, "bi", "col"),
		opNode("f1", model.OpReshape, "f1", model.Attrs{Shape: []int{12 * 6 * 7}}, "sub"),
		opNode("f2", model.OpReshape, "f2", model.Attrs{Shape: []int{2 * 5 * 3}}, "sl"),
		opNode("tr2f", model.OpReshape, "tr2", model.Attrs{Shape: []int{120}}, "tr"),
		opNode("out", model.OpConcat, "y", model.Attrs{Axis: 0}, "f2", "tr2", "f1"),
	)
	g.Consts = []model.Const{constOf(rng, "kc", 1, 2, 6, 7), constOf(rng, "scale", 2, 12, 1, 1), constOf(rng, "bias", 1, 7)}
	return g
}

// moveIONet: a Transpose from the caller's input straight to the caller's output.
func moveIONet() *model.Graph {
	return graph("moveio", "x", []int{2, 3, 4}, "y",
		opNode("t", model.OpTranspose, "y", model.Attrs{Perm: []int{2, 0, 1}}, "x"))
}

// catSelfNet: Concat of the input with itself, Mul by a one-element constant broadcast to
// everything, Pad with a constant, Pad with -Inf, MaxPool.
func catSelfNet() *model.Graph {
	g := graph("catself", "x", []int{3, 4}, "y",
		opNode("cat", model.OpConcat, "cat", model.Attrs{Axis: 1}, "x", "x"),
		opNode("m", model.OpMul, "m", model.Attrs{}, "k", "cat"),
		opNode("p", model.OpPad, "p", model.Attrs{Pads: []int{2, 0, 0, 1}, Value: -1.25}, "m"),
		opNode("pinf", model.OpPad, "pinf", model.Attrs{Pads: []int{0, 1, 0, 0}, Value: float32(math.Inf(-1))}, "p"),
		opNode("pool", model.OpMaxPool, "y", model.Attrs{Kernel: []int{2, 2}}, "pinf3"),
	)
	g.Nodes = append(g.Nodes[:4], opNode("r3", model.OpReshape, "pinf3", model.Attrs{Shape: []int{1, 5, 10}}, "pinf"), g.Nodes[4])
	k := model.NewTensor(1)
	k.Data[0] = -3
	g.Consts = []model.Const{{Name: "k", Tensor: k}}
	return g
}

// divNet: float Div by a per-column constant and of a constant by the result.
func divNet() *model.Graph {
	g := graph("divnet", "x", []int{3, 4}, "y",
		opNode("d1", model.OpDiv, "d1", model.Attrs{}, "x", "k"),
		opNode("d2", model.OpDiv, "y", model.Attrs{}, "one", "d1"))
	k, one := model.NewTensor(4), model.NewTensor(1)
	copy(k.Data, []float32{0.7, -1.3, 2.9, -0.55})
	one.Data[0] = 1
	g.Consts = []model.Const{{Name: "k", Tensor: k}, {Name: "one", Tensor: one}}
	return g
}

// residualCNN: Conv+Relu, Conv, Mul by a per-channel constant, Add of a per-channel constant
// with a fused Relu, a residual Add, two Conv branches joined by a Concat, AvgPool, Dense.
func residualCNN(seed int64) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	g := graph("rescnn", "x", []int{3, 8, 8}, "y",
		convNode(rng, "c1", "x", "c1", 8, 3, 3, 3, true, model.Attrs{Pads: []int{1, 1, 1, 1}}),
		opNode("r1", model.OpRelu, "r1", model.Attrs{}, "c1"),
		convNode(rng, "c2", "r1", "c2", 8, 8, 3, 3, true, model.Attrs{Pads: []int{1, 1, 1, 1}}),
		opNode("sc", model.OpMul, "sc", model.Attrs{}, "c2", "gamma"),
		opNode("sh", model.OpAdd, "sh", model.Attrs{}, "sc", "beta"),
		opNode("r2", model.OpRelu, "r2", model.Attrs{}, "sh"),
		opNode("res", model.OpAdd, "res", model.Attrs{}, "r2", "r1"),
		convNode(rng, "b1", "res", "b1", 4, 8, 3, 3, true, model.Attrs{Pads: []int{1, 1, 1, 1}}),
		convNode(rng, "b2", "res", "b2", 4, 8, 1, 1, true, model.Attrs{}),
		opNode("cat", model.OpConcat, "cat", model.Attrs{Axis: 0}, "b1", "b2"),
		opNode("pool", model.OpAvgPool, "pool", model.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}}, "cat"),
		opNode("flat", model.OpReshape, "flat", model.Attrs{Shape: []int{128}}, "pool"),
		denseNode(rng, "fc", "flat", "y", 10, 128, true),
	)
	g.Consts = []model.Const{constOf(rng, "gamma", 1.5, 8, 1, 1), constOf(rng, "beta", 0.5, 8, 1, 1)}
	return g
}

// moveBranchNet is a random DAG over [4, 6] values: each node applies a Transpose pair, a
// Slice+Pad, a Gather, a Concat+Slice or a broadcasting Add/Mul to one or two earlier values,
// so values stay live across several nodes and have several readers.
func moveBranchNet(seed int64, nodes int) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	g := &model.Graph{Name: fmt.Sprintf("movebranch%d", seed), Inputs: []model.Value{{Name: "x", Shape: []int{4, 6}}}}
	vals := []string{"x"}
	pick := func() string { return vals[rng.Intn(len(vals))] }
	for i := 0; i < nodes; i++ {
		name := fmt.Sprintf("v%d", i)
		a, b := pick(), pick()
		switch rng.Intn(5) {
		case 0:
			g.Nodes = append(g.Nodes, opNode(name+"t", model.OpTranspose, name+"t", model.Attrs{Perm: []int{1, 0}}, a),
				opNode(name, model.OpTranspose, name, model.Attrs{Perm: []int{1, 0}}, name+"t"))
		case 1:
			g.Nodes = append(g.Nodes, opNode(name+"s", model.OpSlice, name+"s", model.Attrs{Starts: []int{1, 0}, Ends: []int{4, 6}, Steps: []int{1, 2}}, a),
				opNode(name, model.OpPad, name, model.Attrs{Pads: []int{1, 1, 0, 2}, Value: 0.25}, name+"s"))
		case 2:
			g.Nodes = append(g.Nodes, opNode(name, model.OpGather, name, model.Attrs{Axis: 1, Indices: []int{5, 0, 1, 2, 2, 3}}, a))
		case 3:
			g.Nodes = append(g.Nodes, opNode(name+"c", model.OpConcat, name+"c", model.Attrs{Axis: 0}, a, b),
				opNode(name, model.OpSlice, name, model.Attrs{Starts: []int{7}, Ends: []int{-100}, Axes: []int{0}, Steps: []int{-2}}, name+"c"))
		default:
			g.Nodes = append(g.Nodes, opNode(name+"r", model.OpSlice, name+"r", model.Attrs{Starts: []int{2}, Ends: []int{3}, Axes: []int{0}}, b),
				opNode(name, []model.Op{model.OpAdd, model.OpMul, model.OpSub}[rng.Intn(3)], name, model.Attrs{}, a, name+"r"))
		}
		vals = append(vals, name)
	}
	// The output sums the last value with an earlier one, keeping it live to the end.
	g.Nodes = append(g.Nodes, opNode("y", model.OpAdd, "y", model.Attrs{}, vals[len(vals)-1], vals[1+rng.Intn(len(vals)-1)]))
	g.Outputs = []model.Value{{Name: "y"}}
	return g
}

func TestMoveLayersPlan(t *testing.T) {
	p := mustPlan(t, moveNet(1), Options{})
	for node, want := range map[string]struct{ kind, kernel string }{
		"tr": {KindMove, "move"}, "sl": {KindMove, "move"}, "pad": {KindMove, "move"}, "ga": {KindMove, "move"},
		"cat": {KindMove, "move"}, "sc": {KindElementwise, "bcast_mul"}, "bi": {KindElementwise, "bcast_add"},
		"sub": {KindElementwise, "bcast_sub"}, "out": {KindMove, "move"},
	} {
		l := layerByNode(t, p, node)
		if l.Kind != want.kind || l.Kernel != want.kernel || l.Ops != l.Outputs {
			t.Errorf("%s: kind %q kernel %q ops %d; want %q %q ops %d", node, l.Kind, l.Kernel, l.Ops, want.kind, want.kernel, l.Outputs)
		}
	}
	if l := layerByNode(t, p, "out"); l.OutBuffer != BufferOutput {
		t.Errorf("out: output in %q, want the caller's output", l.OutBuffer)
	}
	// Constants are read-only data: kc (2*6*7), scale (12) and bias (7) floats.
	if p.WeightBytes != (84+12+7)*4 {
		t.Errorf("weight bytes %d, want %d (the three constants)", p.WeightBytes, (84+12+7)*4)
	}
	for _, k := range []string{"bcast_add", "bcast_mul", "bcast_sub", "fill", "move"} {
		if !contains(p.Kernels, k) {
			t.Errorf("kernels %v lack %q", p.Kernels, k)
		}
	}
	checkArena(t, p, len(p.Layers))
	out := generate(t, moveNet(1), Options{})
	src := string(mustFile(t, out, "model.c"))
	// The gather indices 6,5,4 | 0,0 | -1(=6) | 2 form four constant-step runs.
	if !strings.Contains(src, "static const move_geom_t") || strings.Count(src, "k_move(") < 10 {
		t.Errorf("model.c lacks the move tables or calls")
	}
	w := string(mustFile(t, out, "model_weights.c"))
	if !strings.Contains(w, `constant operand "scale"`) {
		t.Errorf("model_weights.c lacks the constant operand arrays")
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestMoveLayersMatchInterpreter(t *testing.T) {
	requireGCC(t)
	for _, g := range []*model.Graph{moveNet(1), moveIONet(), catSelfNet(), divNet()} {
		assertExactSanitized(t, g, 3)
	}
	if l := layerByNode(t, mustPlan(t, moveIONet(), Options{}), "t"); l.OutBuffer != BufferOutput || l.Kernel != "move" {
		t.Errorf("moveio t: buffer %q kernel %q; want output, move", l.OutBuffer, l.Kernel)
	}
}

// assertExactSanitized generates g with n interpreter test vectors, runs it under ASan and
// UBSan and requires the C outputs to equal the interpreter's exactly.
func assertExactSanitized(t *testing.T, g *model.Graph, n int) {
	t.Helper()
	out := generate(t, g, Options{Vectors: vectorsFor(t, g, n), BenchIterations: 1})
	r := buildAndRun(t, out, sanitizeFlags)
	assertPass(t, g.Name+" (asan+ubsan)", r, n, 1e-6)
	if r.MaxAbsErr != 0 {
		t.Errorf("%s: differs from the interpreter by %g; want exact", g.Name, r.MaxAbsErr)
	}
}

func TestResidualCNNWithConstants(t *testing.T) {
	requireGCC(t)
	g := residualCNN(3)
	p := mustPlan(t, g, Options{})
	if l := layerByNode(t, p, "sh"); !l.FusedRelu || l.Kernel != "bcast_add" {
		t.Errorf("sh: fused relu %v kernel %q; want the Relu fused into bcast_add", l.FusedRelu, l.Kernel)
	}
	if l := layerByNode(t, p, "res"); l.Kernel != "add" {
		t.Errorf("res: kernel %q; the same-shape residual Add keeps k_add", l.Kernel)
	}
	checkArena(t, p, len(p.Layers))
	tv := vectorsFor(t, g, 3)
	for _, f := range []string{FormatDense, FormatCSR} {
		out := generate(t, prune(g.Clone(), 0.5), Options{Format: f, Vectors: vectorsFor(t, prune(g.Clone(), 0.5), 3), BenchIterations: 1})
		assertPass(t, g.Name+"/"+f, buildAndRun(t, out, ""), 3, 1e-5)
	}
	out := generate(t, g, Options{Vectors: tv, BenchIterations: 1})
	assertPass(t, g.Name+" (asan+ubsan)", buildAndRun(t, out, sanitizeFlags), 3, 1e-5)
}

func TestMoveBranchArena(t *testing.T) {
	exhaustive := 0
	for seed := int64(1); seed <= 60; seed++ {
		g := moveBranchNet(seed, 3+int(seed%6))
		p := mustPlan(t, g, Options{})
		checkArena(t, p, len(p.Layers))
		if len(p.Buffers) > 7 {
			continue
		}
		exhaustive++
		if opt := bestFirstFitOverOrders(p.Buffers); float64(p.ArenaBytes) > branchedArenaBound*float64(opt) {
			t.Errorf("%s: arena %d (%s) above %.2f x the best first fit over all orders (%d)", g.Name, p.ArenaBytes, p.ArenaStrategy, branchedArenaBound, opt)
		}
	}
	if exhaustive < 10 {
		t.Errorf("only %d graphs small enough for the exhaustive check", exhaustive)
	}
	requireGCC(t)
	for _, seed := range []int64{3, 8, 11} {
		g := moveBranchNet(seed, 3+int(seed%6))
		assertExactSanitized(t, g, 2)
	}
}

func TestMoveLayerErrors(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, c := range []struct {
		g    *model.Graph
		node string
		want string
	}{
		{func() *model.Graph {
			g := graph("padconst", "x", []int{4}, "y",
				opNode("p", model.OpPad, "pk", model.Attrs{Pads: []int{1, 1}}, "k"),
				opNode("a", model.OpAdd, "y", model.Attrs{}, "x", "x"))
			g.Consts = []model.Const{constOf(rng, "k", 1, 4)}
			return g
		}(), "p", "constant"},
		{graph("rank7", "x", []int{2, 3, 2, 3, 2, 3, 2}, "y",
			opNode("t", model.OpTranspose, "y", model.Attrs{Perm: []int{6, 5, 4, 3, 2, 1, 0}}, "x")), "t", "axes"},
		{func() *model.Graph {
			g := graph("q8constnoquant", "x", []int{4}, "y",
				q8Op("xq", model.OpQuantize, q8Params(0.1, 0), model.Attrs{}, "x"),
				q8Op("m", model.OpMul, q8Params(0.1, 0), model.Attrs{}, "xq", "k"),
				&model.Node{Name: "y", Op: model.OpDequantize, Inputs: []string{"m"}, Outputs: []string{"y"}})
			setQ8Values(g)
			g.Consts = []model.Const{{Name: "k", Tensor: model.NewTensor(4)}}
			return g
		}(), "m", "quantization"},
		{func() *model.Graph {
			g := graph("q8div", "x", []int{4}, "y",
				q8Op("xq", model.OpQuantize, q8Params(0.1, 0), model.Attrs{}, "x"),
				q8Op("d", model.OpDiv, q8Params(0.1, 0), model.Attrs{}, "xq", "xq"),
				&model.Node{Name: "y", Op: model.OpDequantize, Inputs: []string{"d"}, Outputs: []string{"y"}})
			setQ8Values(g)
			return g
		}(), "d", "int8 Div"},
		{func() *model.Graph {
			g := graph("reluconst", "x", []int{4}, "y",
				opNode("r", model.OpRelu, "r", model.Attrs{}, "k"),
				opNode("a", model.OpAdd, "y", model.Attrs{}, "x", "r"))
			g.Consts = []model.Const{constOf(rng, "k", 1, 4)}
			return g
		}(), "r", "constant"},
	} {
		_, err := PlanGraph(c.g, Options{})
		if err == nil || !strings.Contains(err.Error(), `"`+c.node+`"`) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v; want one naming %q and saying %q", c.g.Name, err, c.node, c.want)
		}
	}
}
