package model_test

import (
	"slices"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// TestRunMoreMatchesPyTorch compares the interpreter with PyTorch on the networks of
// testdata/make_fixtures.py that use the operators beyond LeNet: a 1D CNN, a depthwise-separable
// CNN, a residual CNN and a temporal convolutional network. Each case also checks that the
// import produced the IR operators it is meant to exercise.
func TestRunMoreMatchesPyTorch(t *testing.T) {
	cases := []struct {
		name string
		ops  []model.Op // operators the imported graph must contain
	}{
		{"conv1d", []model.Op{model.OpConv, model.OpMul, model.OpAdd, model.OpMaxPool, model.OpLeakyRelu, model.OpPad, model.OpAvgPool, model.OpMean}},
		{"dscnn", []model.Op{model.OpConv, model.OpMul, model.OpAdd, model.OpClip, model.OpHardSigmoid, model.OpMean}},
		{"rescnn", []model.Op{model.OpAdd, model.OpMul, model.OpSub, model.OpSigmoid, model.OpTanh, model.OpConcat, model.OpTranspose, model.OpMean}},
		{"tcn", []model.Op{model.OpPad, model.OpConv, model.OpSlice, model.OpAdd, model.OpGather}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := model.LoadFile(fixtures + c.name + ".onnx")
			if err != nil {
				t.Fatal(err)
			}
			have := map[model.Op]bool{}
			for _, n := range g.Nodes {
				have[n.Op] = true
			}
			for _, op := range c.ops {
				if !have[op] {
					t.Errorf("imported graph has no %s node: %v", op, opsOf(g))
				}
			}
			out, err := g.Run(loadNPY(t, c.name+"_x.npy"))
			if err != nil {
				t.Fatal(err)
			}
			assertClose(t, c.name, out[0], loadNPY(t, c.name+"_y.npy"))
		})
	}
	// the depthwise layer keeps one group per channel
	g, err := model.LoadFile(fixtures + "dscnn.onnx")
	if err != nil {
		t.Fatal(err)
	}
	var groups []int
	for _, n := range g.Nodes {
		if n.Op == model.OpConv {
			groups = append(groups, n.Groups())
		}
	}
	if !slices.Equal(groups, []int{1, 8, 1}) {
		t.Errorf("dscnn conv groups %v, want [1 8 1]", groups)
	}
}
