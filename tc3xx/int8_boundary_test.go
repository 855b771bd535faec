package tc3xx

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

// fullInt8Dense is a full-integer graph as a TFLite converter writes it: an int8 graph input,
// one int8 Dense layer and an int8 graph output, so the plan has a synthetic boundary layer on
// each side.
func fullInt8Dense() *model.Graph {
	const k, n = 16, 4
	w := &model.QTensor{Shape: []int{n, k}, Data: make([]int8, n*k), Quant: model.QuantParams{Scale: []float32{0.02}, ZeroPoint: []int32{0}}}
	wf := model.NewTensor(n, k)
	for i := range w.Data {
		w.Data[i] = int8(i%7 - 3)
		wf.Data[i] = 0.02 * float32(w.Data[i])
	}
	in := &model.QuantParams{Scale: []float32{0.5}, ZeroPoint: []int32{3}}
	out := &model.QuantParams{Scale: []float32{0.25}, ZeroPoint: []int32{-5}}
	return &model.Graph{Name: "int8io",
		Inputs:  []model.Value{{Name: "x", Shape: []int{k}}},
		Outputs: []model.Value{{Name: "y"}},
		Nodes: []*model.Node{{Name: "fc", Op: model.OpDense, Inputs: []string{"x"}, Outputs: []string{"y"},
			Weight: wf, QWeight: w, QBias: make([]int32, n), Attrs: model.Attrs{Quant: out}}},
		Quant: []model.ValueQuant{{Name: "x", Params: in}, {Name: "y", Params: out}},
	}
}

// A full-integer model's plan carries synthetic int8 boundary layers that have no graph node;
// the estimate prices them as conversions and still matches every other layer to its node.
func TestFullIntegerBoundariesArePriced(t *testing.T) {
	g := fullInt8Dense()
	p := mustPlan(t, g)
	if len(p.Layers) != len(g.Nodes)+2 || !codegen.IsBoundaryLayer(p.Layers[0]) || !codegen.IsBoundaryLayer(p.Layers[2]) {
		t.Fatalf("plan layers %d (want the node plus two boundaries): %+v", len(p.Layers), p.Layers)
	}
	tg, _ := Lookup("tc387:cpu2")
	c, err := Estimate(g, p, tg)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Layers) != 3 {
		t.Fatalf("%d cost layers, want 3", len(c.Layers))
	}
	for _, i := range []int{0, 2} {
		l := c.Layers[i]
		if l.DType != "int8" || l.Counts["elementwise"] != float64(p.Layers[i].Outputs) || l.Counts["call"] != 1 || l.Cycles <= 0 {
			t.Errorf("boundary layer %s: %+v", l.Node, l)
		}
	}
	if l := c.Layers[1]; l.Node != "fc" || l.DType != "int8" || l.Counts["mac_q8"] != 64 {
		t.Errorf("dense layer %+v", l)
	}
	// A graph that does not match the plan is still refused.
	h := g.Clone()
	h.Nodes[0].Name = "other"
	if _, err := Estimate(h, p, tg); err == nil {
		t.Error("mismatched graph accepted")
	}
}

// The MLPerf Tiny full-integer models (kws01 DS-CNN, ad01 autoencoder) cost on tc387:cpu2.
func TestMLPerfTinyInt8ModelsCost(t *testing.T) {
	for _, f := range []string{"mlperf_tiny_kws01/kws_ref_model.tflite", "mlperf_tiny_ad01/ad01_int8.tflite"} {
		path := filepath.Join("../../shared/datasets", f)
		if _, err := os.Stat(path); err != nil {
			t.Logf("skipping %s: %v", f, err)
			continue
		}
		g, err := model.LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tg, _ := Lookup("tc387:cpu2")
		placed, err := Place(g, mustPlan(t, g), tg)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if placed.Best == nil || placed.Best.Cycles <= 0 {
			t.Errorf("%s: no fitting placement: %+v", f, placed.Options)
		}
	}
}
