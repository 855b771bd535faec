package explore

import (
	"testing"

	"github.com/tcdse/tcdse/model"
)

// Pruning a full-integer model prunes its int8 weights: every zeroed float weight is its
// channel's zero point in QWeight, and the int8 model computes something else afterwards.
func TestPruneFullIntegerModelPrunesInt8Weights(t *testing.T) {
	g, err := model.LoadFile("../testdata/examples/ad01/ad01_int8.tflite")
	if err != nil {
		t.Skip(err)
	}
	layer := g.PrunableLayers()[1].Name
	p, err := Prune(g, Rates{layer: 0.6})
	if err != nil {
		t.Fatal(err)
	}
	n := p.Node(layer)
	if n.QWeight == nil {
		t.Fatalf("layer %s has no int8 weights", layer)
	}
	zeros, qzeros := 0, 0
	for i, v := range n.Weight.Data {
		if v == 0 {
			zeros++
			if n.QWeight.Data[i] == 0 { // TFLite int8 weights have zero point 0
				qzeros++
			}
		}
	}
	if zeros < n.Weight.Len()/2 || qzeros != zeros {
		t.Errorf("%d of %d float weights zero, %d of them zero in QWeight", zeros, n.Weight.Len(), qzeros)
	}
	x := model.NewTensor(2, g.Inputs[0].Shape[0])
	for i := range x.Data {
		x.Data[i] = float32(i%17) - 8
	}
	a, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	same := true
	for i := range a[0].Data {
		same = same && a[0].Data[i] == b[0].Data[i]
	}
	if same {
		t.Error("pruning the int8 model left its outputs unchanged")
	}
	if g.Node(layer).QWeight.Data[0] != n.QWeight.Data[0] && g.Node(layer).Weight.Data[0] != 0 && n.Weight.Data[0] != 0 {
		t.Error("a kept weight changed")
	}
}
