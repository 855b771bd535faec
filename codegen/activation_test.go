package codegen

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// actNet: Conv → Clip → Conv → LeakyRelu → {HardSwish, HardSigmoid} → Sub → Tanh → Mul of two
// branches → Mul of a value with itself → flatten → Dense → Sigmoid (the graph output). Clip,
// LeakyRelu, HardSigmoid and Sigmoid run in place; HardSwish and Tanh cannot (their inputs have
// later readers).
func actNet(seed int64) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	return graph("actnet", "x", []int{3, 8, 8}, "y",
		convNode(rng, "c1", "x", "c1", 4, 3, 3, 3, true, model.Attrs{Pads: []int{1, 1, 1, 1}}),
		opNode("clip", model.OpClip, "clip", model.Attrs{Min: -0.5, Max: 0.6}, "c1"),
		convNode(rng, "c2", "clip", "c2", 4, 4, 3, 3, true, model.Attrs{Pads: []int{1, 1, 1, 1}}),
		opNode("lrelu", model.OpLeakyRelu, "lrelu", model.Attrs{Alpha: 0.1}, "c2"),
		opNode("hswish", model.OpHardSwish, "hswish", model.Attrs{}, "lrelu"),
		opNode("hsig", model.OpHardSigmoid, "hsig", model.Attrs{Alpha: 0.2, Beta: 0.5}, "lrelu"),
		opNode("diff", model.OpSub, "diff", model.Attrs{}, "hswish", "hsig"),
		opNode("tanh", model.OpTanh, "tanh", model.Attrs{}, "diff"),
		opNode("prod", model.OpMul, "prod", model.Attrs{}, "tanh", "diff"),
		opNode("sq", model.OpMul, "sq", model.Attrs{}, "prod", "prod"),
		opNode("flat", model.OpReshape, "flat", model.Attrs{Shape: []int{256}}, "sq"),
		denseNode(rng, "fc", "flat", "logits", 10, 256, true),
		opNode("sig", model.OpSigmoid, "y", model.Attrs{}, "logits"),
	)
}

// actIONet: activations reading the caller's input (never in place) and writing the caller's
// output, a Clip with an infinite lower bound, and a negative LeakyRelu slope.
func actIONet(seed int64) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	return graph("actio", "x", []int{16}, "y",
		opNode("t", model.OpTanh, "t", model.Attrs{}, "x"),
		denseNode(rng, "d", "t", "d", 16, 16, true),
		opNode("c", model.OpClip, "c", model.Attrs{Min: float32(math.Inf(-1)), Max: 0.3}, "d"),
		opNode("l", model.OpLeakyRelu, "l", model.Attrs{Alpha: -0.5}, "c"),
		opNode("s", model.OpSub, "s", model.Attrs{}, "l", "x"),
		opNode("hs", model.OpHardSwish, "y", model.Attrs{}, "s"),
	)
}

func TestActivationKernels(t *testing.T) {
	requireGCC(t)
	g := actNet(7)
	unfused := Options{NoActivationFusion: true} // the standalone kernels (fuse_act_test.go tests fusion)
	p := mustPlan(t, g, unfused)
	for node, want := range map[string]struct {
		kernel  string
		inPlace bool
	}{
		"clip": {"clip", true}, "lrelu": {"leaky_relu", true}, "hswish": {"hard_swish", false},
		"hsig": {"hard_sigmoid", true}, "diff": {"sub", false}, "tanh": {"tanh", false},
		"prod": {"mul", false}, "sq": {"mul", false}, "sig": {"sigmoid", true}, // logits are computed in the output buffer
	} {
		l := layerByNode(t, p, node)
		if l.Kind != KindElementwise || l.Kernel != want.kernel || l.InPlace != want.inPlace || l.Ops != l.Outputs {
			t.Errorf("%s: kind %q kernel %q in place %v ops %d; want elementwise %q in place %v ops %d",
				node, l.Kind, l.Kernel, l.InPlace, l.Ops, want.kernel, want.inPlace, l.Outputs)
		}
	}
	// tanh reads diff, which prod reads later: tanh must not overwrite it.
	if l := layerByNode(t, p, "tanh"); l.OutOffset == layerByNode(t, p, "diff").OutOffset && l.OutBuffer == BufferArena {
		t.Errorf("tanh shares diff's buffer although prod reads diff later")
	}

	asan := "-std=c99 -O1 -g -Wall -Wextra -Wshadow -Werror -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
	for _, g := range []*model.Graph{actNet(7), prune(actNet(8), 0.6), actIONet(9)} {
		tv := vectorsFor(t, g, 3)
		for _, f := range []string{FormatDense, FormatCSR, FormatRCSR4} {
			out := generate(t, g, Options{Format: f, Vectors: tv, BenchIterations: 2})
			assertPass(t, g.Name+"/"+f, buildAndRun(t, out, ""), 3, 1e-5)
		}
		out := generate(t, g, Options{Vectors: tv, BenchIterations: 2})
		assertPass(t, g.Name+" (asan+ubsan)", buildAndRun(t, out, asan), 3, 1e-5)
		out = generate(t, g, Options{Vectors: tv, BenchIterations: 2, NoActivationFusion: true})
		assertPass(t, g.Name+" unfused (asan+ubsan)", buildAndRun(t, out, asan), 3, 1e-5)
	}

	io := mustPlan(t, actIONet(9), unfused)
	if l := layerByNode(t, io, "t"); l.InPlace {
		t.Error("t: an activation of the caller's input runs in place")
	}
	if l := layerByNode(t, io, "hs"); l.OutBuffer != BufferOutput {
		t.Errorf("hs: output in %q, want the caller's output", l.OutBuffer)
	}
	out := generate(t, actIONet(9), unfused)
	c, _ := out.File("model.c")
	if !strings.Contains(string(c), "k_clip(") || !strings.Contains(string(c), "-INFINITY, 0.3f)") {
		t.Errorf("model.c lacks the Clip call with an infinite lower bound")
	}
}

func TestBinaryOpErrors(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	g := graph("subbcast", "x", []int{4, 3, 3}, "y",
		convNode(rng, "c", "x", "c", 4, 4, 1, 1, true, model.Attrs{}),
		opNode("gp", model.OpAvgPool, "gp", model.Attrs{Kernel: []int{3, 3}, Strides: []int{3, 3}}, "c"),
		opNode("sub", model.OpSub, "y", model.Attrs{}, "c", "gp"),
	)
	if l := layerByNode(t, mustPlan(t, g, Options{}), "sub"); l.Kernel != "bcast_sub" { // layer_bcast.go
		t.Errorf("Sub of different shapes: kernel %q, want bcast_sub", l.Kernel)
	}

	scale := model.NewTensor(16)
	for i := range scale.Data {
		scale.Data[i] = float32(i)
	}
	g = graph("mulconst", "x", []int{16}, "y",
		denseNode(rng, "d", "x", "d", 16, 16, true),
		opNode("mul", model.OpMul, "y", model.Attrs{}, "d", "scale"),
	)
	g.Consts = []model.Const{{Name: "scale", Tensor: scale}}
	if l := layerByNode(t, mustPlan(t, g, Options{}), "mul"); l.Kernel != "bcast_mul" {
		t.Errorf("Mul by a constant: kernel %q, want bcast_mul", l.Kernel)
	}

	g = graph("hsignan", "x", []int{4}, "y",
		opNode("h", model.OpHardSigmoid, "y", model.Attrs{Alpha: float32(math.NaN()), Beta: 0.5}, "x"))
	if _, err := PlanGraph(g, Options{}); err == nil || !strings.Contains(err.Error(), `"h"`) {
		t.Errorf("HardSigmoid with a NaN alpha: %v; want an error naming h", err)
	}
}
