package model

import (
	"math"
	"os"
	"slices"
	"testing"
)

// TestTFLiteMNISTLSTMInt8 imports TFLite Micro's full-integer MNIST LSTM example (int8
// activations and weights, int16 cell state of scale 2^-12) and runs it with the int8 LSTM
// kernel: each sample digit must be recognised, as the upstream example test asserts, and the
// probabilities must stay close to the float model's. No TFLite runtime is available here, so
// this checks agreement in effect, not bit-exactness with TFLite.
func TestTFLiteMNISTLSTMInt8(t *testing.T) {
	path := tflExample(t, "mnist_lstm/trained_lstm_int8.tflite", "tflm_examples/mnist_lstm/trained_lstm_int8.tflite")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := ImportTFLite(data)
	if err != nil {
		t.Fatal(err)
	}
	lstm := g.Nodes[0]
	rq := lstm.RecurrentQuant
	if lstm.Op != OpLSTM || lstm.Attrs.Quant == nil || rq == nil || lstm.QWeight == nil || len(lstm.QBias) != 80 {
		t.Fatalf("first node %s (%s): want an int8 LSTM with QWeight, QBias [80] and RecurrentQuant", lstm.Name, lstm.Op)
	}
	if rq.CellIntBits != 3 || !slices.Equal(rq.Recurrent.Shape, []int{80, 20}) || !slices.Equal(lstm.QWeight.Shape, []int{80, 28}) {
		t.Errorf("cell bits %d (want 3: scale 2^-12), R %v, W %v", rq.CellIntBits, rq.Recurrent.Shape, lstm.QWeight.Shape)
	}
	// The dequantized float weights must be the int8 ones times their row scales.
	for i, v := range lstm.QWeight.Data {
		s := lstm.QWeight.Quant.Scale[0]
		if len(lstm.QWeight.Quant.Scale) > 1 {
			s = lstm.QWeight.Quant.Scale[i/28]
		}
		if math.Abs(float64(lstm.Weight.Data[i])-float64(s)*float64(v)) > 1e-6 {
			t.Fatalf("weight %d: float %v, int8 %d × scale %v", i, lstm.Weight.Data[i], v, s)
		}
	}
	x := mnistLSTMSamples(t)
	in := g.ValueQuantOf(g.Inputs[0].Name)
	if in == nil {
		t.Fatal("the graph input is not int8")
	}
	xq := NewTensor(x.Shape...)
	for i, v := range x.Data {
		xq.Data[i] = float32(q8QuantizeValue(v, in.Scale[0], in.ZeroPoint[0], false))
	}
	out, err := g.Run(xq)
	if err != nil {
		t.Fatal(err)
	}
	oq := g.ValueQuantOf(g.Outputs[0].Name)
	fg := tflLoad(t, "mnist_lstm/trained_lstm.tflite", "tflm_examples/mnist_lstm/trained_lstm.tflite")
	want, err := fg.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for d := 0; d < 10; d++ {
		probs := make([]float64, 10)
		for k := range probs {
			probs[k] = float64(oq.Scale[0]) * (float64(out[0].Data[d*10+k]) - float64(oq.ZeroPoint[0]))
			worst = math.Max(worst, math.Abs(probs[k]-float64(want[0].Data[d*10+k])))
		}
		if got := slices.Index(probs, slices.Max(probs)); got != d {
			t.Errorf("sample%d.png: int8 model predicts %d (probabilities %.3f)", d, got, probs)
		}
	}
	t.Logf("largest |int8 − float| probability over the ten samples: %.4f (output step %.4f)", worst, oq.Scale[0])
	if worst > 0.05 {
		t.Errorf("int8 probabilities differ from the float model's by up to %.4f, want ≤ 0.05", worst)
	}
}
