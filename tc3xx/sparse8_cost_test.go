package tc3xx

import (
	"math/rand"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
)

// TestSparse8ConvCost: an int8 convolution at 80% sparsity stored as sparse8 (a gather over an
// offset table, measured at about half the instructions of dense int8 in bench/peers) must be
// estimated cheaper than the same layer in dense int8, priced as a gather (no CSR decoding or
// scatter), and its cost must fall as it gets sparser. Whether it beats the CSR scatter kernel on
// TriCore is for a board to say: the host's instruction counts favour sparse8, the assumed
// TriCore parameters do not.
func TestSparse8ConvCost(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	g := &model.Graph{Name: "conv8", Inputs: []model.Value{{Name: "x", Shape: []int{6, 14, 14}}}, Outputs: []model.Value{{Name: "y"}},
		Nodes: []*model.Node{
			{Name: "c", Op: model.OpConv, Inputs: []string{"x"}, Outputs: []string{"c"}, Weight: randTensor(rng, 16, 6, 5, 5), Bias: randTensor(rng, 16)},
			{Name: "y", Op: model.OpRelu, Inputs: []string{"c"}, Outputs: []string{"y"}},
		}}
	x := model.NewTensor(32, 6, 14, 14)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	calib := &dataset.Dataset{Name: "gauss", X: x}
	tg, _ := Lookup("tc387:cpu0")
	convCost := func(rate float64, format string) LayerCost {
		t.Helper()
		p, err := explore.Prune(g, explore.Rates{"c": rate})
		if err != nil {
			t.Fatal(err)
		}
		q, err := explore.Quantize(p, calib, explore.QuantizeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		plan, err := codegen.PlanGraph(q, codegen.Options{LayerFormats: map[string]string{"c": format}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := Estimate(q, plan, tg)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range c.Layers {
			if l.Node == "c" {
				if l.Format != format {
					t.Fatalf("layer c planned as %q, asked for %q", l.Format, format)
				}
				return l
			}
		}
		t.Fatal("no cost for layer c")
		return LayerCost{}
	}
	convCycles := func(rate float64, format string) int64 { return convCost(rate, format).Cycles }
	if c := convCost(0.8, codegen.FormatSparse8).Counts; c["scatter_mac"] != 0 || c["csr_conv_decode"] != 0 || c["csr_index"] == 0 {
		t.Errorf("sparse8 conv counts %v: want a gather (csr_index), no scatter or CSR decoding", c)
	}
	dense, csr, sp8 := convCycles(0.8, codegen.FormatDense), convCycles(0.8, codegen.FormatCSR), convCycles(0.8, codegen.FormatSparse8)
	t.Logf("80%% sparse int8 conv: dense %d, csr %d, sparse8 %d cycles", dense, csr, sp8)
	if sp8 >= dense {
		t.Errorf("sparse8 conv at 80%%: %d cycles, dense %d; want it cheaper", sp8, dense)
	}
	if sp9 := convCycles(0.9, codegen.FormatSparse8); sp9 >= sp8 {
		t.Errorf("sparse8 conv: %d cycles at 90%%, %d at 80%%", sp9, sp8)
	}
}
