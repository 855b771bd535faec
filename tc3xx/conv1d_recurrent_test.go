package tc3xx

import (
	"math/rand"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

// conv1DChain is a causal dilated Conv1d, ReLU, depthwise Conv1d and 1D max pool over [4, 50];
// as2D writes the same network with a unit height.
func conv1DChain(seed int64, as2D bool) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	in, w1, w2 := []int{4, 50}, []int{8, 4, 3}, []int{8, 1, 3}
	if as2D {
		in, w1, w2 = []int{4, 1, 50}, []int{8, 4, 1, 3}, []int{8, 1, 1, 3}
	}
	return &model.Graph{Name: "conv1d", Inputs: []model.Value{{Name: "x", Shape: in}}, Outputs: []model.Value{{Name: "y"}},
		Nodes: []*model.Node{
			{Name: "c1", Op: model.OpConv, Inputs: []string{"x"}, Outputs: []string{"c1"}, Weight: randTensor(rng, w1...),
				Attrs: model.Attrs{Pads: []int{0, 4, 0, 0}, Dilations: []int{1, 2}}},
			{Name: "r1", Op: model.OpRelu, Inputs: []string{"c1"}, Outputs: []string{"r1"}},
			{Name: "dw", Op: model.OpConv, Inputs: []string{"r1"}, Outputs: []string{"dw"}, Weight: randTensor(rng, w2...),
				Attrs: model.Attrs{Group: 8, Pads: []int{0, 1, 0, 1}}},
			{Name: "y", Op: model.OpMaxPool, Inputs: []string{"dw"}, Outputs: []string{"y"},
				Attrs: model.Attrs{Kernel: []int{1, 3}, Strides: []int{1, 2}}},
		}}
}

// TestConv1DCost: a 1D convolution costs what the same convolution written in 2D with height 1
// costs, dense and sparse; the depthwise one is reported as such.
func TestConv1DCost(t *testing.T) {
	tg, _ := Lookup("tc387:cpu0")
	for _, format := range []string{codegen.FormatDense, codegen.FormatCSR} {
		var cycles [2]int64
		for i, as2D := range []bool{false, true} {
			g := conv1DChain(5, as2D)
			p, err := codegen.PlanGraph(g, codegen.Options{Format: format})
			if err != nil {
				t.Fatal(err)
			}
			c, err := Estimate(g, p, tg)
			if err != nil {
				t.Fatalf("%s (2D %v): %v", format, as2D, err)
			}
			cycles[i] = c.Cycles
			l := c.Layers[0]
			if format == codegen.FormatDense {
				if l.Counts["mac"] != float64(p.Layers[0].EffectiveMACs) || l.Counts["loop"] != 8*50*4*1 {
					t.Errorf("dense conv1d counts %v, want %d MACs and %d loops", l.Counts, p.Layers[0].EffectiveMACs, 8*50*4)
				}
			} else if l.Counts["loop"] != float64(p.Layers[0].NNZ) {
				t.Errorf("csr conv1d counts %v, want one output row loop per nonzero (%d)", l.Counts, p.Layers[0].NNZ)
			}
			if c.Layers[2].Kind != KindDepthwise {
				t.Errorf("%s: depthwise conv1d reported as %q", format, c.Layers[2].Kind)
			}
		}
		if cycles[0] <= 0 || cycles[0] != cycles[1] {
			t.Errorf("%s: conv1d network costs %d cycles, its 2D form %d", format, cycles[0], cycles[1])
		}
	}
}

// TestGRUAndRNNCost: GRU and RNN layers planned by codegen are priced as recurrent layers:
// every gate MAC and every gate activation.
func TestGRUAndRNNCost(t *testing.T) {
	tg, _ := Lookup("tc387:cpu0")
	rng := rand.New(rand.NewSource(9))
	for _, op := range []model.Op{model.OpGRU, model.OpRNN} {
		const steps, in, hid = 12, 6, 10
		gates := model.RecurrentGates(op)
		g := &model.Graph{Name: "rec", Inputs: []model.Value{{Name: "x", Shape: []int{steps, in}}}, Outputs: []model.Value{{Name: "h"}},
			Nodes: []*model.Node{{Name: "h", Op: op, Inputs: []string{"x"}, Outputs: []string{"h"},
				Attrs:  model.Attrs{Hidden: hid, LinearBeforeReset: op == model.OpGRU},
				Weight: randTensor(rng, gates*hid, in), Recurrent: randTensor(rng, gates*hid, hid), Bias: randTensor(rng, 2*gates*hid)}}}
		p := mustPlan(t, g)
		c, err := Estimate(g, p, tg)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		l := c.Layers[0]
		if l.Kind != KindRecurrent || l.Counts["mac"] != float64(steps*gates*hid*(in+hid)) || l.Counts["gate_act"] != float64(steps*gates*hid) || l.Cycles <= 0 {
			t.Errorf("%s layer cost %+v", op, l)
		}
	}
}
