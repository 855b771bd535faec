package tc3xx

import (
	"math/rand"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

// Int8 layers use the integer MAC cost and pay requantization per output; depthwise
// convolutions are reported as such; recurrent layers (planned by hand here, as codegen has no
// recurrent kernel yet) pay their gate activations.
func TestDataTypeAndKernelClasses(t *testing.T) {
	g := denseChain(21, 64, 32, 10)
	p := mustPlan(t, g)
	tg, _ := Lookup("tc387:cpu0")
	f, err := Estimate(g, p, tg)
	if err != nil {
		t.Fatal(err)
	}
	q := g.Clone()
	for _, n := range q.Nodes {
		if n.Op == model.OpDense {
			n.Attrs.Quant = &model.QuantParams{Scale: []float32{0.1}, ZeroPoint: []int32{0}}
		}
	}
	i8, err := Estimate(q, p, tg)
	if err != nil {
		t.Fatal(err)
	}
	l := i8.Layers[0]
	if l.DType != "int8" || l.Counts["mac_q8"] != float64(p.Layers[0].EffectiveMACs) || l.Counts["mac"] != 0 || l.Counts["requant"] != float64(p.Layers[0].Outputs) {
		t.Errorf("int8 layer counts %v dtype %s", l.Counts, l.DType)
	}
	if f.Layers[0].DType != "float32" || f.Layers[0].Counts["requant"] != 0 {
		t.Errorf("float layer %+v", f.Layers[0])
	}

	dw := &model.Graph{Name: "dw", Inputs: []model.Value{{Name: "x", Shape: []int{8, 10, 10}}}, Outputs: []model.Value{{Name: "y"}},
		Nodes: []*model.Node{{Name: "dw", Op: model.OpConv, Inputs: []string{"x"}, Outputs: []string{"y"},
			Weight: randTensor(rand.New(rand.NewSource(3)), 8, 1, 3, 3), Attrs: model.Attrs{Group: 8, Pads: []int{1, 1, 1, 1}}}}}
	c, err := Estimate(dw, mustPlan(t, dw), tg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Layers[0].Kind != KindDepthwise || c.Layers[0].Counts["loop"] != 8*10*10*3 {
		t.Errorf("depthwise layer %+v", c.Layers[0])
	}

	rnnNode := &model.Node{Name: "lstm", Op: model.OpLSTM}
	lp := codegen.LayerPlan{Node: "lstm", Op: string(model.OpLSTM), Kind: KindRecurrent, MACs: 4 * 28 * (28 + 20) * 20, EffectiveMACs: 4 * 28 * (28 + 20) * 20,
		Ops: 28 * 5 * 20, Outputs: 20, OutBytes: 80, WeightBytes: 4 * 4 * 20 * (28 + 20 + 1)}
	lc, err := layerCounts(rnnNode, lp, tg.withDefaults(), 32, 28*28*4)
	if err != nil {
		t.Fatal(err)
	}
	if lc.Counts["gate_act"] != 28*5*20 || lc.Counts["mac"] != float64(lp.EffectiveMACs) || lc.Counts["pflash_line"] == 0 {
		t.Errorf("recurrent counts %v", lc.Counts)
	}
	lp.Kind, lp.Kernel = "fft", "fft"
	if _, err := layerCounts(rnnNode, lp, tg.withDefaults(), 32, 0); err == nil {
		t.Error("unknown kernel class accepted")
	}
}

// Plans from newer code generators: sparse variants of CSR are costed as CSR, a convolution
// computed inside a fused pooling kernel keeps its MACs but has no call, and reductions read
// their elements.
func TestSparseVariantsFusedConvAndReduce(t *testing.T) {
	g := zeroFraction(convNet(31, 2, 8, 4), 0.8, 1)
	p := mustPlan(t, g)
	tg, _ := Lookup("tc387:cpu0")
	conv := g.Nodes[0]
	lp := p.Layers[0]
	lp.Format = "rcsr8"
	lc, err := layerCounts(conv, lp, tg.withDefaults(), 32, 2*8*8*4)
	if err != nil {
		t.Fatal(err)
	}
	if lc.Counts["scatter_mac"] == 0 || lc.Counts["csr_conv_decode"] == 0 || lc.Counts["mac"] != 0 {
		t.Errorf("rcsr8 conv counts %v", lc.Counts)
	}
	lp = p.Layers[0]
	lp.Kernel, lp.FusedInto = "", "pool"
	lc, err = layerCounts(conv, lp, tg.withDefaults(), 32, 2*8*8*4)
	if err != nil {
		t.Fatal(err)
	}
	if lc.Counts["call"] != 0 || lc.Counts["mac"]+lc.Counts["scatter_mac"] == 0 {
		t.Errorf("fused conv counts %v", lc.Counts)
	}
	red := codegen.LayerPlan{Node: "mean", Op: string(model.OpMean), Kind: KindReduce, Kernel: "mean", Ops: 64 * 25, Outputs: 64, OutBytes: 256}
	lc, err = layerCounts(&model.Node{Name: "mean", Op: model.OpMean}, red, tg.withDefaults(), 32, 64*25*4)
	if err != nil || lc.Counts["pool_tap"] != 64*25 || lc.Counts["output"] != 64 || lc.Counts["call"] != 1 {
		t.Errorf("reduce counts %v, %v", lc.Counts, err)
	}
}
