package codegen

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// gapNet: depthwise and pointwise conv, global average pooling as Mean (kept dims), flatten,
// dense, softmax: the DS-CNN head.
func gapNet(seed int64) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	return graph("gapnet", "x", []int{3, 9, 7}, "prob",
		convNode(rng, "c", "x", "c", 12, 3, 3, 3, true, model.Attrs{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}),
		opNode("r", model.OpRelu, "r", model.Attrs{}, "c"),
		convNode(rng, "dw", "r", "dw", 12, 1, 3, 3, true, model.Attrs{Group: 12, Pads: []int{1, 1, 1, 1}}),
		opNode("r2", model.OpRelu, "r2", model.Attrs{}, "dw"),
		convNode(rng, "pw", "r2", "pw", 12, 12, 1, 1, true, model.Attrs{}),
		opNode("gap", model.OpMean, "gap", model.Attrs{Axes: []int{1, 2}, Shape: []int{12, 1, 1}}, "pw"),
		opNode("flat", model.OpReshape, "flat", model.Attrs{Shape: []int{12}}, "gap"),
		denseNode(rng, "fc", "flat", "logits", 5, 12, true),
		opNode("sm", model.OpSoftmax, "prob", model.Attrs{}, "logits"),
	)
}

func TestMeanKernel(t *testing.T) {
	requireGCC(t)
	g := gapNet(3)
	tv := vectorsFor(t, g, 3)
	p := mustPlan(t, g, Options{})
	if l := layerByNode(t, p, "gap"); l.Kind != KindReduce || l.Kernel != "mean" || l.Ops != 12*5*4 {
		t.Errorf("gap: kind %q kernel %q ops %d", l.Kind, l.Kernel, l.Ops)
	}
	for _, f := range []string{FormatDense, FormatRCSR8} {
		assertPass(t, "gapnet/"+f, buildAndRun(t, generate(t, g, Options{Format: f, Vectors: tv, BenchIterations: 2}), ""), 3, 1e-5)
	}

	bad := gapNet(3)
	bad.Nodes[5].Attrs = model.Attrs{Axes: []int{0, 1}}
	bad.Nodes[6].Attrs.Shape = []int{4}
	bad.Nodes[7] = denseNode(rand.New(rand.NewSource(1)), "fc", "flat", "logits", 5, 4, true)
	if _, err := PlanGraph(bad, Options{}); err == nil || !strings.Contains(err.Error(), `"gap"`) || !strings.Contains(err.Error(), "trailing") {
		t.Errorf("mean over leading axes: %v; want an error naming gap and trailing axes", err)
	}
}

// TestDepthwiseKernels checks that depthwise convolutions use the depthwise kernel, alone and
// fused with a following max pool (with 5 and 12 channels: every block height), under ASan and
// UBSan.
func TestDepthwiseKernels(t *testing.T) {
	requireGCC(t)
	asan := "-std=c99 -O1 -g -Wall -Wextra -Wshadow -Werror -fsanitize=address,undefined -fno-sanitize-recover=all"
	for _, ch := range []int{5, 12} {
		rng := rand.New(rand.NewSource(int64(ch)))
		g := graph("dwpool", "x", []int{2, 11, 9}, "y",
			convNode(rng, "c", "x", "c", ch, 2, 3, 3, true, model.Attrs{Pads: []int{1, 1, 1, 1}}),
			convNode(rng, "dw", "c", "dw", ch, 1, 3, 3, true, model.Attrs{Group: ch, Pads: []int{1, 0, 1, 2}, Strides: []int{1, 2}}),
			opNode("r", model.OpRelu, "r", model.Attrs{}, "dw"),
			opNode("p", model.OpMaxPool, "p", model.Attrs{Kernel: []int{2, 2}, Strides: []int{3, 2}, Pads: []int{0, 0, 1, 1}}, "r"),
			convNode(rng, "dw2", "p", "dw2", ch, 1, 2, 2, false, model.Attrs{Group: ch}),
			opNode("flat", model.OpReshape, "flat", model.Attrs{Shape: []int{-1}}, "dw2"),
			denseNode(rng, "fc", "flat", "y", 3, 0, true),
		)
		// Fill in the flattened width now that the shapes are known.
		probe := g.Clone()
		probe.Nodes = probe.Nodes[:5]
		probe.Outputs = []model.Value{{Name: "dw2"}}
		if err := probe.Validate(); err != nil {
			t.Fatal(err)
		}
		k, _ := model.NumElements(probe.Shapes["dw2"])
		g.Nodes[5].Attrs.Shape = []int{k}
		g.Nodes[6] = denseNode(rng, "fc", "flat", "y", 3, k, true)
		tv := vectorsFor(t, g, 2)
		out := generate(t, g, Options{Vectors: tv, BenchIterations: 2})
		if l := layerByNode(t, out.Plan, "p"); l.FusedConv != "dw" || l.Kernel != "dwconv2d" {
			t.Errorf("%d channels: pool p: fused conv %q kernel %q, want dw with dwconv2d", ch, l.FusedConv, l.Kernel)
		}
		if l := layerByNode(t, out.Plan, "dw2"); l.Kernel != "dwconv2d" {
			t.Errorf("%d channels: dw2 kernel %q", ch, l.Kernel)
		}
		assertPass(t, "depthwise", buildAndRun(t, out, ""), 2, 1e-5)
		assertPass(t, "depthwise (asan+ubsan)", buildAndRun(t, out, asan), 2, 1e-5)
	}
}
