package codegen

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// fuseActCase is one activation (with its attributes) the fusion tests run after every kind
// of producer.
type fuseActCase struct {
	name     string
	op       model.Op
	attrs    model.Attrs
	monotone bool // commutes with max pooling
}

var fuseActCases = []fuseActCase{
	{"relu6", model.OpClip, model.Attrs{Min: 0, Max: 6}, true},
	{"clip", model.OpClip, model.Attrs{Min: -0.4, Max: 0.5}, true},
	{"cliphalfopen", model.OpClip, model.Attrs{Min: float32(math.Inf(-1)), Max: 0.3}, true},
	{"leaky", model.OpLeakyRelu, model.Attrs{Alpha: 0.1}, true},
	{"leakyneg", model.OpLeakyRelu, model.Attrs{Alpha: -0.5}, false},
	{"hsig", model.OpHardSigmoid, model.Attrs{Alpha: 0.2, Beta: 0.5}, true},
	{"hsigneg", model.OpHardSigmoid, model.Attrs{Alpha: -0.3, Beta: 0.4}, false},
	{"hswish", model.OpHardSwish, model.Attrs{}, false},
	{"sigmoid", model.OpSigmoid, model.Attrs{}, true},
	{"tanh", model.OpTanh, model.Attrs{}, true},
}

// fuseActNet: Conv → act → MaxPool 2x2 (fusable with the conv when act is monotone) →
// depthwise Conv → act → flatten → Dense → act → Dense (the graph output).
func fuseActNet(seed int64, c fuseActCase) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	return graph("fa_"+c.name, "x", []int{3, 10, 10}, "y",
		convNode(rng, "c1", "x", "c1", 6, 3, 3, 3, true, model.Attrs{Pads: []int{1, 1, 1, 1}}),
		opNode("a1", c.op, "a1", c.attrs, "c1"),
		opNode("p1", model.OpMaxPool, "p1", model.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}}, "a1"),
		convNode(rng, "c2", "p1", "c2", 6, 1, 3, 3, true, model.Attrs{Group: 6, Pads: []int{1, 1, 1, 1}}),
		opNode("a2", c.op, "a2", c.attrs, "c2"),
		opNode("flat", model.OpReshape, "flat", model.Attrs{Shape: []int{150}}, "a2"),
		denseNode(rng, "fc", "flat", "fc", 12, 150, true),
		opNode("a3", c.op, "a3", c.attrs, "fc"),
		denseNode(rng, "out", "a3", "y", 10, 12, true),
	)
}

// fuseActMixedNet has several different fused activations (act_tab entries, one shared),
// a standalone Clip and Sigmoid (their input has two readers), a Relu fused as before, and a
// fused activation whose output is the graph output.
func fuseActMixedNet(seed int64) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	return graph("fa_mixed", "x", []int{3, 8, 8}, "y",
		convNode(rng, "c1", "x", "c1", 8, 3, 3, 3, true, model.Attrs{Pads: []int{1, 1, 1, 1}}),
		opNode("r1", model.OpRelu, "r1", model.Attrs{}, "c1"),
		convNode(rng, "c2", "r1", "c2", 8, 8, 1, 1, true, model.Attrs{}),
		opNode("clipx", model.OpClip, "clipx", model.Attrs{Min: 0, Max: 6}, "c2"),
		opNode("sigx", model.OpSigmoid, "sigx", model.Attrs{}, "c2"),
		opNode("mix", model.OpMul, "mix", model.Attrs{}, "clipx", "sigx"),
		convNode(rng, "c3", "mix", "c3", 4, 8, 3, 3, true, model.Attrs{Pads: []int{1, 1, 1, 1}}),
		opNode("a3", model.OpClip, "a3", model.Attrs{Min: 0, Max: 6}, "c3"),
		opNode("flat", model.OpReshape, "flat", model.Attrs{Shape: []int{256}}, "a3"),
		denseNode(rng, "fc1", "flat", "fc1", 16, 256, true),
		opNode("a4", model.OpClip, "a4", model.Attrs{Min: 0, Max: 6}, "fc1"),
		denseNode(rng, "fc2", "a4", "fc2", 16, 16, true),
		opNode("a5", model.OpTanh, "a5", model.Attrs{}, "fc2"),
		denseNode(rng, "fc3", "a5", "fc3", 10, 16, true),
		opNode("a6", model.OpHardSwish, "y", model.Attrs{}, "fc3"),
	)
}

// bufferOf returns the arena buffer holding value v, or nil.
func bufferOf(p *Plan, v string) *BufferPlan {
	for i := range p.Buffers {
		for _, name := range p.Buffers[i].Values {
			if name == v {
				return &p.Buffers[i]
			}
		}
	}
	return nil
}

func TestFuseActivationPlan(t *testing.T) {
	for _, c := range fuseActCases {
		p := mustPlan(t, fuseActNet(1, c), Options{})
		for _, pair := range [][2]string{{"c1", "a1"}, {"c2", "a2"}, {"fc", "a3"}} {
			prod, act := layerByNode(t, p, pair[0]), layerByNode(t, p, pair[1])
			if prod.FusedActivation != string(c.op) || prod.FusedRelu {
				t.Errorf("%s: %s fused activation %q (relu %v), want %q", c.name, pair[0], prod.FusedActivation, prod.FusedRelu, c.op)
			}
			if act.Kernel != "" {
				t.Errorf("%s: %s still calls kernel %q", c.name, pair[1], act.Kernel)
			}
		}
		pool, a1 := layerByNode(t, p, "p1"), layerByNode(t, p, "a1")
		if c.monotone {
			if pool.FusedConv != "c1" || a1.FusedInto != "p1" || bufferOf(p, "c1") != nil || bufferOf(p, "a1") != nil {
				t.Errorf("%s: monotone activation: pool fused conv %q, a1 fused into %q; want c1 and p1 with neither value stored",
					c.name, pool.FusedConv, a1.FusedInto)
			}
		} else {
			if pool.FusedConv != "" || a1.FusedInto != "c1" || pool.Kernel != "maxpool" {
				t.Errorf("%s: non-monotone activation fused into max pooling (pool fused conv %q, a1 into %q)", c.name, pool.FusedConv, a1.FusedInto)
			}
		}
		// The pre-activation tensor is not stored apart: it shares the activation's buffer.
		for _, pair := range [][2]string{{"c2", "a2"}, {"fc", "a3"}} {
			bp, ba := bufferOf(p, pair[0]), bufferOf(p, pair[1])
			if bp == nil || bp != ba {
				t.Errorf("%s: %s and %s are not in one arena buffer", c.name, pair[0], pair[1])
			}
		}
		out := generate(t, fuseActNet(1, c), Options{})
		src, _ := out.File("model.c")
		k := "k_" + activationOps[c.op] + "("
		if strings.Contains(string(src), k) || !strings.Contains(string(src), "act_block(") {
			t.Errorf("%s: model.c calls %s or lacks act_block", c.name, k)
		}
	}

	// A Relu-only graph gets the C it got before the extension: no act table, no act_apply.
	out := generate(t, convNet(3), Options{})
	src, _ := out.File("model.c")
	if s := string(src); strings.Contains(s, "act_apply") || strings.Contains(s, "act_tab") || !strings.Contains(s, "(g->relu != 0 && best[j] < 0.0f) ? 0.0f : best[j]") {
		t.Error("a Relu-only model's C changed: act_apply or act_tab present, or the ReLU store missing")
	}
	if p := mustPlan(t, convNet(3), Options{}); len(p.acts) != 0 {
		t.Errorf("convNet: %d activation table entries, want 0", len(p.acts))
	}

	// Mixed: one table entry per distinct activation; a Clip and Sigmoid sharing an input stay
	// separate kernels.
	p := mustPlan(t, fuseActMixedNet(2), Options{})
	if len(p.acts) != 3 {
		t.Errorf("mixed: %d act_tab entries, want 3 (Clip 0..6 shared, Tanh, HardSwish)", len(p.acts))
	}
	for node, kernel := range map[string]string{"clipx": "clip", "sigx": "sigmoid", "r1": "", "a3": "", "a4": "", "a5": "", "a6": ""} {
		if l := layerByNode(t, p, node); l.Kernel != kernel {
			t.Errorf("mixed: %s kernel %q, want %q", node, l.Kernel, kernel)
		}
	}
	if l := layerByNode(t, p, "c1"); !l.FusedRelu || l.FusedActivation != "" {
		t.Errorf("mixed: c1 relu %v activation %q; want the ReLU fused as before", l.FusedRelu, l.FusedActivation)
	}
	if l := layerByNode(t, p, "fc3"); l.OutBuffer != BufferOutput || l.FusedActivation != string(model.OpHardSwish) {
		t.Errorf("mixed: fc3 writes %q with activation %q; want the caller's output with HardSwish", l.OutBuffer, l.FusedActivation)
	}
}

func TestFuseActivationMatchesInterpreter(t *testing.T) {
	requireGCC(t)
	asan := "-std=c99 -O1 -g -Wall -Wextra -Wshadow -Werror -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
	for _, c := range fuseActCases {
		dense, sparse := fuseActNet(5, c), prune(fuseActNet(5, c), 0.6)
		tvd, tvs := vectorsFor(t, dense, 2), vectorsFor(t, sparse, 2)
		assertPass(t, c.name+"/dense", buildAndRun(t, generate(t, dense, Options{Vectors: tvd, BenchIterations: 1}), asan), 2, 1e-5)
		for _, f := range []string{FormatCSR, FormatRCSR4} {
			out := generate(t, sparse, Options{Format: f, Vectors: tvs, BenchIterations: 1})
			if l := layerByNode(t, out.Plan, "c1"); l.Format != f || l.FusedActivation != string(c.op) {
				t.Fatalf("%s/%s: c1 format %q activation %q", c.name, f, l.Format, l.FusedActivation)
			}
			assertPass(t, c.name+"/"+f, buildAndRun(t, out, asan), 2, 1e-5)
		}
	}
	g := fuseActMixedNet(6)
	tv := vectorsFor(t, g, 3)
	assertPass(t, "mixed", buildAndRun(t, generate(t, g, Options{Vectors: tv, BenchIterations: 1}), ""), 3, 1e-5)
	assertPass(t, "mixed (asan+ubsan)", buildAndRun(t, generate(t, g, Options{Vectors: tv, BenchIterations: 1}), asan), 3, 1e-5)
}

// fuseActQ8Net: int8 Conv → Relu6 (same quantization: folded into the requantization clamp)
// → Conv → LeakyRelu (own requantization: separate) → flatten → Dense → Relu6 (folded) →
// Dense → HardSwish (separate) → Dequantize.
func fuseActQ8Net() *model.Graph {
	rng := rand.New(rand.NewSource(44))
	relu6 := model.Attrs{Min: 0, Max: 6}
	g := graph("fa_q8", "x", []int{3, 6, 6}, "y",
		q8Op("xq", model.OpQuantize, q8Params(0.05, -7), model.Attrs{}, "x"),
		q8WeightNode(rng, model.OpConv, "c1", "xq", q8Params(0.08, 5), true, model.Attrs{Pads: []int{1, 1, 1, 1}}, 8, 3, 3, 3),
		q8Op("r6a", model.OpClip, q8Params(0.08, 5), relu6, "c1"),
		q8WeightNode(rng, model.OpConv, "c2", "r6a", q8Params(0.1, -3), true, model.Attrs{}, 4, 8, 1, 1),
		q8Op("lrelu", model.OpLeakyRelu, q8Params(0.05, 10), model.Attrs{Alpha: 0.1}, "c2"),
		q8Op("flat", model.OpReshape, q8Params(0.05, 10), model.Attrs{Shape: []int{144}}, "lrelu"),
		q8WeightNode(rng, model.OpDense, "fc", "flat", q8Params(0.2, 3), true, model.Attrs{}, 16, 144),
		q8Op("r6b", model.OpClip, q8Params(0.2, 3), relu6, "fc"),
		q8WeightNode(rng, model.OpDense, "fc2", "r6b", q8Params(0.1, 0), false, model.Attrs{}, 10, 16),
		q8Op("hswish", model.OpHardSwish, q8Params(0.03, 5), model.Attrs{}, "fc2"),
		&model.Node{Name: "y", Op: model.OpDequantize, Inputs: []string{"hswish"}, Outputs: []string{"y"}},
	)
	setQ8Values(g)
	return g
}

// TestFuseActivationInt8 checks the int8 side: a Relu6 (Clip) with its producer's quantization
// is folded into the Conv or Dense requantization clamp; LeakyRelu and HardSwish requantize and
// keep their own kernels. The C equals the interpreter exactly.
func TestFuseActivationInt8(t *testing.T) {
	requireGCC(t)
	g := fuseActQ8Net()
	p := mustPlan(t, g, Options{})
	for _, pair := range [][2]string{{"c1", "r6a"}, {"fc", "r6b"}} {
		prod, act := layerByNode(t, p, pair[0]), layerByNode(t, p, pair[1])
		if !prod.FusedRelu || act.Kernel != "" || act.FusedInto != pair[0] {
			t.Errorf("%s: clamp fused %v, %s kernel %q fused into %q; want Relu6 folded into %s", pair[0], prod.FusedRelu, pair[1], act.Kernel, act.FusedInto, pair[0])
		}
	}
	for _, n := range []string{"lrelu", "hswish"} {
		if l := layerByNode(t, p, n); l.Kernel == "" || l.FusedInto != "" {
			t.Errorf("%s: kernel %q fused into %q; want its own requantizing kernel", n, l.Kernel, l.FusedInto)
		}
	}
	if len(p.acts) != 0 {
		t.Errorf("int8 graph: %d float act_tab entries, want 0", len(p.acts))
	}
	tv := q8Vectors(t, g, 3)
	assertExact(t, "fa_q8 (asan+ubsan)", buildAndRun(t, generate(t, g, Options{Vectors: tv, BenchIterations: 1}), sanitizeFlags), 3)
}
