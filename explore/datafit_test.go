package explore

import (
	"errors"
	"testing"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// int8IO is y = x through an int8 Relu with int8 graph input (scale 0.5, zero point 2) and
// output (scale 0.5, zero point 2): real values in, the same real values out (≥ 0).
func int8IO() *model.Graph {
	q := &model.QuantParams{Scale: []float32{0.5}, ZeroPoint: []int32{2}}
	return &model.Graph{Name: "int8io",
		Inputs:  []model.Value{{Name: "x", Shape: []int{3}}},
		Outputs: []model.Value{{Name: "y"}},
		Nodes:   []*model.Node{{Name: "relu", Op: model.OpRelu, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: model.Attrs{Quant: q}}},
		Quant:   []model.ValueQuant{{Name: "x", Params: q}, {Name: "y", Params: q}},
	}
}

func TestFitDataAndPredictApplyTheModelsQuantization(t *testing.T) {
	g := int8IO()
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	// Real data: quantized on the way in, dequantized on the way out.
	real := &dataset.Dataset{Name: "real", X: &model.Tensor{Shape: []int{1, 1, 3}, Data: []float32{1, 2.5, -3}}}
	if err := FitData(g, real); err != nil {
		t.Fatal(err)
	}
	out, err := Predict(g, real, 4)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, 2.5, 0}; out.Data[0] != want[0] || out.Data[1] != want[1] || out.Data[2] != want[2] {
		t.Errorf("outputs %v, want %v", out.Data, want)
	}
	// Raw int8 codes meet the int8 input: dequantized with the model's parameters.
	codes := &dataset.Dataset{Name: "codes", Codes: "int8", X: &model.Tensor{Shape: []int{1, 3}, Data: []float32{4, 7, 0}}}
	if _, err := Predict(g, codes, 4); err == nil {
		t.Error("Predict took unfitted codes")
	}
	if err := FitData(g, codes); err != nil || codes.Codes != "" || codes.X.Data[0] != 1 || codes.X.Data[1] != 2.5 || codes.X.Data[2] != -1 {
		t.Errorf("fitted codes %v (%q), %v", codes.X.Data, codes.Codes, err)
	}
	// Refused: codes into a float input, uint8 codes, a shape that differs by more than ones.
	f := tinyGraph()
	per := 1
	for _, d := range f.Inputs[0].Shape {
		per *= d
	}
	for _, tc := range []struct {
		g  *model.Graph
		ds *dataset.Dataset
	}{
		{f, &dataset.Dataset{Codes: "int8", X: &model.Tensor{Shape: append([]int{1}, f.Inputs[0].Shape...), Data: make([]float32, per)}}},
		{g, &dataset.Dataset{Codes: "uint8", X: &model.Tensor{Shape: []int{1, 3}, Data: make([]float32, 3)}}},
		{g, &dataset.Dataset{X: &model.Tensor{Shape: []int{1, 4}, Data: make([]float32, 4)}}},
	} {
		if err := FitData(tc.g, tc.ds); !errors.Is(err, ErrDataMismatch) {
			t.Errorf("%v data %v into %s: %v", tc.ds.Codes, tc.ds.SampleShape(), tc.g.Name, err)
		}
	}
	// A raw bin spec without shape or window takes the model's input shape.
	if s := DataSpecFor(g, dataset.Spec{Format: "bin", Path: "x.bin"}); len(s.Shape) != 1 || s.Shape[0] != 3 {
		t.Errorf("spec shape %v", s.Shape)
	}
}
