package explore

import (
	"math"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// quantCalibSet returns the first n samples of ds.
func quantCalibSet(t *testing.T, ds *dataset.Dataset, n int) *dataset.Dataset {
	t.Helper()
	c, err := ds.Batch(0, n)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkInt8Graph checks the structure Quantize promises: every node other than Quantize and
// Dequantize nodes of the float interface and the float layers computes in int8, every int8
// value is listed in Graph.Quant, and Conv/Dense nodes carry QWeight and QBias whose dequantized
// values are Weight and Bias.
func checkInt8Graph(t *testing.T, q *model.Graph, float map[string]bool) {
	t.Helper()
	listed := map[string]bool{}
	for _, v := range q.Quant {
		listed[v.Name] = true
	}
	for _, n := range q.Nodes {
		switch {
		case n.Op == model.OpDequantize:
			if n.Attrs.Quant != nil || !listed[n.Inputs[0]] {
				t.Errorf("Dequantize %q: input %q not int8 or node quantized", n.Name, n.Inputs[0])
			}
		case float[n.Name]:
			if n.Attrs.Quant != nil || n.QWeight != nil || listed[n.Outputs[0]] {
				t.Errorf("float layer %q was quantized", n.Name)
			}
			for _, in := range n.Inputs {
				if listed[in] {
					t.Errorf("float layer %q reads int8 value %q", n.Name, in)
				}
			}
		default:
			if n.Attrs.Quant == nil || !listed[n.Outputs[0]] {
				t.Errorf("node %q (%s) is not int8 (output %q listed: %v)", n.Name, n.Op, n.Outputs[0], listed[n.Outputs[0]])
			}
			if n.Op == model.OpConv || n.Op == model.OpDense {
				w := n.QWeight
				if w == nil || len(w.Quant.Scale) != n.Weight.Shape[0] || w.Quant.Axis != 0 || len(n.QBias) != n.Weight.Shape[0] {
					t.Fatalf("node %q: QWeight %+v / QBias %d not per channel along axis 0", n.Name, w, len(n.QBias))
				}
				per := len(w.Data) / len(w.Quant.Scale)
				for i, v := range w.Data {
					if v < -127 || n.Weight.Data[i] != w.Quant.Scale[i/per]*float32(v) {
						t.Fatalf("node %q weight %d: int8 %d scale %v, float %v", n.Name, i, v, w.Quant.Scale[i/per], n.Weight.Data[i])
					}
					if w.Quant.ZeroPoint[i/per] != 0 {
						t.Fatalf("node %q: weight zero point %d, want 0 (symmetric)", n.Name, w.Quant.ZeroPoint[i/per])
					}
				}
			}
		}
	}
	for _, o := range q.Outputs {
		if listed[o.Name] {
			t.Errorf("graph output %q is int8, want float", o.Name)
		}
	}
}

// TestQuantizeLeNet quantizes the bundled LeNet with 200 calibration images and checks its
// int8 accuracy on the 1000 bundled images against the float model, the TFLite rules
// (pooling keeps its input's quantization, ReLU is a clamp, softmax 1/256 −128) and that the
// quantized graph survives Encode/Decode.
func TestQuantizeLeNet(t *testing.T) {
	g, ds := loadLeNet(t)
	m := top1(t)
	base, err := Evaluate(g, ds, m, 250)
	if err != nil {
		t.Fatal(err)
	}
	for _, calib := range []string{CalibrationMinMax, CalibrationPercentile} {
		q, err := Quantize(g, quantCalibSet(t, ds, 200), QuantizeOptions{Calibration: calib, Samples: 200})
		if err != nil {
			t.Fatal(err)
		}
		checkInt8Graph(t, q, nil)
		acc, err := Evaluate(q, ds, m, 250)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("LeNet top-1: float %.4f, int8 (%s calibration) %.4f", base, calib, acc)
		if math.Abs(acc-base) > 0.005 {
			t.Errorf("%s: int8 top-1 %v, float %v: want within 0.5 points", calib, acc, base)
		}
		conv, pool, relu := q.Node("Conv_0"), q.Node("MaxPool_1"), q.Node("Relu_2")
		if pool.Attrs.Quant.Scale[0] != conv.Attrs.Quant.Scale[0] || relu.Attrs.Quant.Scale[0] != conv.Attrs.Quant.Scale[0] ||
			conv.Attrs.Quant.ZeroPoint[0] != -128 || relu.Attrs.Quant.ZeroPoint[0] != -128 {
			t.Errorf("Conv_0 %+v, MaxPool_1 %+v, Relu_2 %+v: want one quantization with zero point -128 (ReLU fused as clamp)",
				conv.Attrs.Quant, pool.Attrs.Quant, relu.Attrs.Quant)
		}
		if sm := q.Node("Softmax_13").Attrs.Quant; sm.Scale[0] != 1.0/256 || sm.ZeroPoint[0] != -128 {
			t.Errorf("softmax output quantization %+v, want 1/256, -128", sm)
		}
		if calib != CalibrationMinMax {
			continue
		}
		back := encodeDecode(t, q)
		want, err := Predict(q, ds, 250)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Predict(back, ds, 250)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.Data {
			if got.Data[i] != want.Data[i] {
				t.Fatalf("decoded graph output %d is %v, want %v", i, got.Data[i], want.Data[i])
			}
		}
	}
}

// TestQuantizeMatchesReference quantizes the tiny dense network and recomputes its int8 output
// step by step with TFLite's arithmetic (quantize the input, int32 accumulate, fixed-point
// requantize, clamp), then checks the interpreter agrees exactly and that the dequantized
// result is close to the float network.
func TestQuantizeMatchesReference(t *testing.T) {
	g := tinyGraph()
	x := &model.Tensor{Shape: []int{6, 4}, Data: []float32{
		1, 0.5, -0.3, 2, -1, 0.2, 0.7, 0.1, 0.3, -0.8, 1.5, -0.2,
		0, 0, 0, 0, 2, 2, -2, 1, -0.5, 0.25, 0.75, -1.25}}
	calib := &dataset.Dataset{Name: "tiny", X: x}
	q, err := Quantize(g, calib, QuantizeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkInt8Graph(t, q, nil)
	outs := mustRun(t, q, x)
	fouts := mustRun(t, g, x)
	quantOf := func(name string) (float64, int32) {
		p := q.ValueQuantOf(name)
		if p == nil {
			t.Fatalf("value %q has no quantization", name)
		}
		return float64(p.Scale[0]), p.ZeroPoint[0]
	}
	var quantizeNode *model.Node
	for _, n := range q.Nodes {
		if n.Op == model.OpQuantize {
			quantizeNode = n
		}
	}
	if quantizeNode == nil || quantizeNode.Inputs[0] != "x" {
		t.Fatalf("no Quantize node reads the graph input")
	}
	xs, xzp := quantOf(quantizeNode.Outputs[0])
	dense := func(n *model.Node, in []int32, inScale float64, inZP int32) []int32 {
		w := n.QWeight
		k := w.Shape[1]
		outScale, outZP := quantOf(n.Outputs[0])
		out := make([]int32, w.Shape[0])
		for o := range out {
			acc := n.QBias[o]
			for i := 0; i < k; i++ {
				acc += int32(w.Data[o*k+i]) * (in[i] - inZP)
			}
			mult, shift := model.QuantizeMultiplier(inScale * float64(w.Quant.Scale[o]) / outScale)
			out[o] = min(max(model.MultiplyByQuantizedMultiplier(acc, mult, shift)+outZP, -128), 127)
		}
		return out
	}
	fc1, act, fc2 := q.Node("fc1"), q.Node("act"), q.Node("fc2")
	for s := 0; s < 6; s++ {
		in := make([]int32, 4)
		for i, v := range x.Data[s*4 : s*4+4] {
			in[i] = int32(min(max(math.Round(float64(v)/xs)+float64(xzp), -128), 127))
		}
		h := dense(fc1, in, xs, xzp)
		hs, hzp := quantOf(fc1.Outputs[0])
		if as, azp := quantOf(act.Outputs[0]); as != hs || azp != hzp {
			t.Fatalf("fc1 output (%v, %d) and relu output (%v, %d) differ: want the relu fused as a clamp", hs, hzp, as, azp)
		}
		for i := range h {
			h[i] = max(h[i], hzp) // ReLU: clamp at the quantized zero
		}
		y := dense(fc2, h, hs, hzp)
		ys, yzp := quantOf(fc2.Outputs[0])
		for o, v := range y {
			want := float32(ys * float64(v-yzp))
			if got := outs[0].Data[s*2+o]; got != want {
				t.Errorf("sample %d output %d: interpreter %v, reference %v", s, o, got, want)
			}
			if f := fouts[0].Data[s*2+o]; math.Abs(float64(want-f)) > 3*ys {
				t.Errorf("sample %d output %d: int8 %v, float %v: more than 3 steps of %v apart", s, o, want, f, ys)
			}
		}
	}
}

// TestQuantizePrunedLeNetKeepsZeros prunes LeNet (without fine-tuning), quantizes it and
// checks that every pruned weight is zero in the int8 and dequantized weights. The pruned model's
// activations have outliers (ReLU outputs up to ~200 while most are a few units), so it uses
// percentile calibration; min/max calibration loses about 2.4 points on it.
func TestQuantizePrunedLeNetKeepsZeros(t *testing.T) {
	g, ds := loadLeNet(t)
	p, err := Prune(g, Rates{"Conv_0": 0.5, "Conv_3": 0.6, "Gemm_8": 0.9, "Gemm_10": 0.8, "Gemm_12": 0.3})
	if err != nil {
		t.Fatal(err)
	}
	q, err := Quantize(p, quantCalibSet(t, ds, 200), QuantizeOptions{Calibration: CalibrationPercentile})
	if err != nil {
		t.Fatal(err)
	}
	checkInt8Graph(t, q, nil)
	for _, n := range p.PrunableLayers() {
		qn := q.Node(n.Name)
		for i, v := range n.Weight.Data {
			if v == 0 && (qn.QWeight.Data[i] != 0 || qn.Weight.Data[i] != 0) {
				t.Fatalf("layer %s weight %d: pruned, but int8 %d, dequantized %v", n.Name, i, qn.QWeight.Data[i], qn.Weight.Data[i])
			}
			if (qn.QWeight.Data[i] == 0) != (qn.Weight.Data[i] == 0) {
				t.Fatalf("layer %s weight %d: int8 %d, dequantized %v", n.Name, i, qn.QWeight.Data[i], qn.Weight.Data[i])
			}
		}
	}
	// Weights below half a quantization step round to zero as well.
	if Sparsity(q) < Sparsity(p) {
		t.Errorf("sparsity %v after quantization, %v before", Sparsity(q), Sparsity(p))
	}
	m := top1(t)
	fa, _ := Evaluate(p, ds, m, 250)
	qa, err := Evaluate(q, ds, m, 250)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pruned LeNet (sparsity %.3f): float top-1 %.4f, int8 %.4f", Sparsity(p), fa, qa)
	if math.Abs(qa-fa) > 0.01 {
		t.Errorf("pruned LeNet: int8 top-1 %v, float %v: want within 1 point", qa, fa)
	}
}

// TestQuantizeMixedPrecision keeps one LeNet layer float and checks the Dequantize/Quantize
// nodes around it and the accuracy.
func TestQuantizeMixedPrecision(t *testing.T) {
	g, ds := loadLeNet(t)
	q, err := Quantize(g, quantCalibSet(t, ds, 200), QuantizeOptions{Float: []string{"Gemm_8"}})
	if err != nil {
		t.Fatal(err)
	}
	checkInt8Graph(t, q, map[string]bool{"Gemm_8": true})
	fc := q.Node("Gemm_8")
	var before, after *model.Node
	for _, n := range q.Nodes {
		if n.Outputs[0] == fc.Inputs[0] {
			before = n
		}
		if len(n.Inputs) > 0 && n.Inputs[0] == fc.Outputs[0] {
			after = n
		}
	}
	if before == nil || before.Op != model.OpDequantize || after == nil || after.Op != model.OpQuantize {
		t.Fatalf("Gemm_8 reads from %+v and feeds %+v: want a Dequantize before and a Quantize after", before, after)
	}
	if fc.QWeight != nil || fc.Weight.Data[0] != g.Node("Gemm_8").Weight.Data[0] {
		t.Errorf("float layer Gemm_8 weights changed")
	}
	m := top1(t)
	base, _ := Evaluate(g, ds, m, 250)
	acc, err := Evaluate(q, ds, m, 250)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("LeNet with Gemm_8 float: top-1 %.4f (float %.4f)", acc, base)
	if math.Abs(acc-base) > 0.005 {
		t.Errorf("mixed precision top-1 %v, float %v: want within 0.5 points", acc, base)
	}
}

// TestQuantizeErrors checks the errors for bad options and operators without int8 kernels, and
// that such an operator can be kept float.
func TestQuantizeErrors(t *testing.T) {
	g := tinyGraph()
	x := &model.Tensor{Shape: []int{2, 4}, Data: []float32{1, 2, 3, 4, -1, -2, -3, -4}}
	calib := &dataset.Dataset{Name: "tiny", X: x}
	for _, tc := range []struct {
		opts QuantizeOptions
		want string
	}{
		{QuantizeOptions{Calibration: "kl"}, `calibration "kl"`},
		{QuantizeOptions{Calibration: CalibrationPercentile, Percentile: 101}, "percentile 101"},
		{QuantizeOptions{Samples: -1}, "-1 calibration samples"},
		{QuantizeOptions{Float: []string{"fc9"}}, `float layer "fc9": no such node`},
	} {
		if _, err := Quantize(g, calib, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("options %+v: error %v, want one containing %q", tc.opts, err, tc.want)
		}
	}
	leaky := tinyGraph()
	leaky.Node("act").Op = model.OpLeakyRelu
	leaky.Node("act").Attrs.Alpha = 0.1
	if _, err := Quantize(leaky, calib, QuantizeOptions{}); err == nil || !strings.Contains(err.Error(), `node "act" (LeakyRelu)`) {
		t.Errorf("LeakyRelu: error %v, want one naming node act", err)
	}
	q, err := Quantize(leaky, calib, QuantizeOptions{Float: []string{"act"}})
	if err != nil {
		t.Fatal(err)
	}
	checkInt8Graph(t, q, map[string]bool{"act": true})
	if _, err := Quantize(q, calib, QuantizeOptions{}); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("quantizing twice: error %v, want 'already quantized'", err)
	}
}

// TestSweepSpecQuantize checks that a sweep spec's quantize section parses, validates and
// converts to options, and that every bad field is named.
func TestSweepSpecQuantize(t *testing.T) {
	base := `model: m.onnx
data: {format: mnist, images: i, labels: l}
metric: top1
threshold: {relative: 0.99}
rates: [0.5]
schedule: [1]
target: tc387:cpu2
out: out
`
	s, err := ParseSweepSpec([]byte(base+"quantize: {calibration: percentile, percentile: 99.9, samples: 100, float: [Gemm_12], per_tensor: true}\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	o := s.Quantize.Options()
	if o.Calibration != CalibrationPercentile || o.Percentile != 99.9 || o.Samples != 100 || len(o.Float) != 1 || o.Float[0] != "Gemm_12" || !o.PerTensor {
		t.Errorf("options %+v do not match the spec", o)
	}
	bad := map[string][]string{
		"quantize: {calibration: kl}\n":                      {"quantize.calibration", "kl"},
		"quantize: {percentile: 30, samples: -2}\n":          {"quantize.percentile", "quantize.samples"},
		"quantize: {float: [a, a]}\n":                        {"quantize.float[1]", "twice"},
		"quantize: {calibration: minmax, sample_count: 3}\n": {"sample_count"},
	}
	for y, wants := range bad {
		s, err := ParseSweepSpec([]byte(base+y), "")
		if err == nil {
			err = s.Validate()
		}
		for _, w := range wants {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: err = %v, want it to mention %q", y, err, w)
			}
		}
	}
}
