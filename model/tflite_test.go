package model

import (
	"encoding/binary"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// tflExample returns the path of a model or data file: the copy bundled under
// testdata/examples when there is one, else the file in ../shared/datasets. The test is
// skipped when neither exists.
func tflExample(t testing.TB, bundled, shared string) string {
	t.Helper()
	if bundled != "" {
		p := filepath.Join("..", "testdata", "examples", bundled)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p := filepath.Join("..", "..", "shared", "datasets", shared)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not found (bundled %q, shared %q)", p, bundled, shared)
	}
	return p
}

func tflLoad(t testing.TB, bundled, shared string) *Graph {
	t.Helper()
	g, err := LoadFile(tflExample(t, bundled, shared))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// tflMissingKernels lists the operators of g that lack a float kernel, or an int8 kernel for
// nodes computing in int8.
func tflMissingKernels(g *Graph) []string {
	var missing []string
	for _, n := range g.Nodes {
		k, ok := kernels[n.Op]
		if !ok || k.Run == nil {
			missing = append(missing, string(n.Op))
			continue
		}
		if n.Attrs.Quant != nil && n.Op != OpQuantize {
			if _, ok := int8Kernels[n.Op]; !ok {
				missing = append(missing, "int8 "+string(n.Op))
			}
		}
	}
	return missing
}

// ad01Windows reads the ToyCar log-mel input and cuts it into 196 windows of 640 floats
// (5 frames of 128 mel bins) with a stride of one frame, as the EEMBC runner does.
func ad01Windows(t *testing.T) *Tensor {
	t.Helper()
	raw, err := os.ReadFile(tflExample(t, "", "mlperf_tiny_ad01/inputs/normal_id_01_00000000_hist_librosa.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 25600*4 {
		t.Fatalf("ToyCar input has %d bytes, want %d", len(raw), 25600*4)
	}
	feat := make([]float32, 25600)
	for i := range feat {
		feat[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	const width, stride = 640, 128
	n := (len(feat)-width)/stride + 1
	x := NewTensor(n, width)
	for w := 0; w < n; w++ {
		copy(x.Data[w*width:(w+1)*width], feat[w*stride:])
	}
	return x
}

// ad01Score is the anomaly score: the mean over windows of the mean squared reconstruction
// error.
func ad01Score(x, y *Tensor) float64 {
	n, width := x.Shape[0], x.Shape[1]
	total := 0.0
	for w := 0; w < n; w++ {
		se := 0.0
		for i := w * width; i < (w+1)*width; i++ {
			d := float64(y.Data[i]) - float64(x.Data[i])
			se += d * d
		}
		total += se / float64(width)
	}
	return total / float64(n)
}

func TestTFLiteAD01FP32(t *testing.T) {
	g := tflLoad(t, "ad01/ad01_fp32.tflite", "mlperf_tiny_ad01/ad01_fp32.tflite")
	if len(g.PrunableLayers()) != 10 || g.NumParams() != 265864 {
		t.Errorf("%d dense layers with %d parameters, want 10 and 265864", len(g.PrunableLayers()), g.NumParams())
	}
	x := ad01Windows(t)
	if x.Shape[0] != 196 {
		t.Fatalf("%d windows, want 196", x.Shape[0])
	}
	out, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	score := ad01Score(x, out[0])
	t.Logf("ad01 fp32 anomaly score %.6f (TFLite golden 9.707108)", score)
	if math.Abs(score-9.70710781339692) > 1e-3 {
		t.Errorf("anomaly score %.6f, want 9.7071 within 1e-3", score)
	}
}

func TestTFLiteAD01Int8(t *testing.T) {
	g := tflLoad(t, "ad01/ad01_int8.tflite", "mlperf_tiny_ad01/ad01_int8.tflite")
	in := g.ValueQuantOf(g.Inputs[0].Name)
	outQ := g.ValueQuantOf(g.Outputs[0].Name)
	if in == nil || outQ == nil || math.Abs(float64(in.Scale[0])-0.391015) > 1e-6 || in.ZeroPoint[0] != 89 ||
		math.Abs(float64(outQ.Scale[0])-0.364498) > 1e-6 || outQ.ZeroPoint[0] != 96 {
		t.Fatalf("input quantization %+v, output %+v; want scale 0.391015 zp 89, scale 0.364498 zp 96", in, outQ)
	}
	layers := g.PrunableLayers()
	if len(layers) != 10 {
		t.Fatalf("%d layers, want 10", len(layers))
	}
	for _, n := range layers {
		w := n.QWeight
		if n.Op != OpDense || w == nil || n.Attrs.Quant == nil || len(n.QBias) != n.Weight.Shape[0] ||
			!slices.Equal(w.Shape, n.Weight.Shape) || len(w.Quant.Scale) != 1 || w.Quant.ZeroPoint[0] != 0 {
			t.Fatalf("node %s: not an int8 dense layer with per-tensor weights and int32 bias", n.Name)
		}
		// Weight holds the dequantized QWeight.
		for i, q := range w.Data {
			if want := w.Quant.Scale[0] * float32(q); math.Abs(float64(n.Weight.Data[i]-want)) > 1e-7 {
				t.Fatalf("node %s: weight %d is %v, want %v", n.Name, i, n.Weight.Data[i], want)
			}
		}
	}
	if m := tflMissingKernels(g); len(m) > 0 {
		t.Skipf("import OK; running needs kernels %v", m)
	}
	x := ad01Windows(t)
	xq := NewTensor(x.Shape...)
	for i, v := range x.Data {
		xq.Data[i] = float32(max(-128, min(127, math.Round(float64(v)/float64(in.Scale[0]))+float64(in.ZeroPoint[0]))))
	}
	out, err := g.Run(xq)
	if err != nil {
		t.Fatal(err)
	}
	y := out[0]
	for i, q := range y.Data {
		if q != float32(math.Round(float64(q))) || q < -128 || q > 127 {
			t.Fatalf("output %d is %v, not an int8 value", i, q)
		}
		y.Data[i] = outQ.Scale[0] * (q - float32(outQ.ZeroPoint[0]))
	}
	score := ad01Score(x, y)
	t.Logf("ad01 int8 anomaly score %.6f (TFLite int8 model with float I/O: 10.260288)", score)
	if math.Abs(score-10.260287884484411) > 0.05 {
		t.Errorf("int8 anomaly score %.6f, want about 10.26", score)
	}
}

// kwsInputs returns the 1000 KWS test inputs (int8 MFCC, 49×10) with their labels.
func kwsInputs(t *testing.T) ([][]int8, []int) {
	t.Helper()
	dir := tflExample(t, "", "mlperf_tiny_kws01/inputs")
	files, err := filepath.Glob(filepath.Join(dir, "tst_*.bin"))
	if err != nil || len(files) != 1000 {
		t.Fatalf("found %d KWS inputs in %s, want 1000 (%v)", len(files), dir, err)
	}
	xs := make([][]int8, len(files))
	labels := make([]int, len(files))
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) != 490 {
			t.Fatalf("%s: %d bytes, want 490", f, len(raw))
		}
		xs[i] = make([]int8, 490)
		for j, b := range raw {
			xs[i][j] = int8(b)
		}
		base := strings.TrimSuffix(filepath.Base(f), ".bin")
		labels[i], err = strconv.Atoi(base[strings.LastIndexByte(base, '_')+1:])
		if err != nil {
			t.Fatalf("%s: no class in the name", f)
		}
	}
	return xs, labels
}

// tflTop1 returns the fraction of rows of y (batch, classes) whose arg max is the label.
func tflTop1(y *Tensor, labels []int) float64 {
	classes := y.Shape[1]
	right := 0
	for i, l := range labels {
		row := y.Data[i*classes : (i+1)*classes]
		best := 0
		for c, v := range row {
			if v > row[best] {
				best = c
			}
		}
		if best == l {
			right++
		}
	}
	return float64(right) / float64(len(labels))
}

func TestTFLiteKWSHybrid(t *testing.T) {
	g := tflLoad(t, "kws01/kws_ref_model_float32.tflite", "mlperf_tiny_kws01/kws_ref_model_float32.tflite")
	if len(g.Quant) != 0 {
		t.Errorf("hybrid model imported with int8 values %v, want a float graph", g.Quant)
	}
	convs, depthwise := 0, 0
	for _, n := range g.Nodes {
		if n.Op == OpConv && n.Groups() == 64 {
			depthwise++
		} else if n.Op == OpConv {
			convs++
		}
		if n.QWeight != nil || n.Attrs.Quant != nil {
			t.Errorf("node %s has int8 parameters in a hybrid (float) graph", n.Name)
		}
	}
	if convs != 5 || depthwise != 4 || !slices.Equal(g.Inputs[0].Shape, []int{49, 10, 1}) {
		t.Fatalf("%d convolutions, %d depthwise, input %v; want 5, 4, [49 10 1]", convs, depthwise, g.Inputs[0].Shape)
	}
	xs, labels := kwsInputs(t)
	x := NewTensor(len(xs), 49, 10, 1)
	for i, s := range xs {
		for j, q := range s {
			x.Data[i*490+j] = (float32(q) - 83) * 0.584703
		}
	}
	out, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	acc := tflTop1(out[0], labels)
	t.Logf("kws float32 (hybrid) top-1 on the 1000 inputs: %.3f (numpy reference 0.901)", acc)
	if math.Abs(acc-0.901) > 0.003 {
		t.Errorf("top-1 %.3f, want 0.901 ± 0.003", acc)
	}
}

func TestTFLiteKWSInt8(t *testing.T) {
	g := tflLoad(t, "kws01/kws_ref_model.tflite", "mlperf_tiny_kws01/kws_ref_model.tflite")
	in := g.ValueQuantOf(g.Inputs[0].Name)
	if in == nil || in.ZeroPoint[0] != 83 || math.Abs(float64(in.Scale[0])-0.584703) > 1e-6 {
		t.Fatalf("input quantization %+v, want scale 0.584703 zero point 83", in)
	}
	for _, n := range g.Nodes {
		if n.Attrs.Quant == nil {
			t.Errorf("node %s (%s) has no output quantization in an int8 graph", n.Name, n.Op)
		}
		if n.Op != OpConv {
			continue
		}
		w := n.QWeight
		if w == nil || !w.Quant.PerChannel() || w.Quant.Axis != 0 || len(w.Quant.Scale) != n.Weight.Shape[0] || len(n.QBias) != n.Weight.Shape[0] {
			t.Fatalf("node %s: want per-channel int8 weights along axis 0 with int32 bias", n.Name)
		}
		// The depthwise filter [1,3,3,64] (quantized along axis 3) becomes [64,1,3,3] (axis 0):
		// each channel's weights dequantize with its own scale.
		per := len(w.Data) / w.Shape[0]
		for i, q := range w.Data {
			if want := w.Quant.Scale[i/per] * float32(q); math.Abs(float64(n.Weight.Data[i]-want)) > 1e-7 {
				t.Fatalf("node %s: weight %d is %v, want %v", n.Name, i, n.Weight.Data[i], want)
			}
		}
	}
	if m := tflMissingKernels(g); len(m) > 0 {
		t.Skipf("import OK; running needs kernels %v", m)
	}
	// The int8 interpreter is slow: the first 200 inputs keep the test short (all 1000 gave
	// 0.901 when this was written).
	xs, labels := kwsInputs(t)
	xs, labels = xs[:200], labels[:200]
	x := NewTensor(len(xs), 49, 10, 1)
	for i, s := range xs {
		for j, q := range s {
			x.Data[i*490+j] = float32(q)
		}
	}
	out, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	acc := tflTop1(out[0], labels)
	t.Logf("kws int8 top-1 on the first %d inputs: %.3f", len(labels), acc)
	if acc < 0.85 {
		t.Errorf("int8 top-1 %.3f, want at least 0.85", acc)
	}
}

// mnistLSTMSamples decodes the ten sample PNGs (28×28 grey, digit N in sampleN.png) into a
// [10, 28, 28] batch scaled to [0, 1].
func mnistLSTMSamples(t *testing.T) *Tensor {
	t.Helper()
	x := NewTensor(10, 28, 28)
	for d := 0; d < 10; d++ {
		name := "sample" + strconv.Itoa(d) + ".png"
		f, err := os.Open(tflExample(t, "mnist_lstm/samples/"+name, "tflm_examples/mnist_lstm/samples/"+name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() != 28 || b.Dy() != 28 {
			t.Fatalf("%s is %v, want 28×28", name, b)
		}
		gray, ok := img.(*image.Gray)
		if !ok {
			t.Fatalf("%s is %T, want 8-bit grey", name, img)
		}
		for y := 0; y < 28; y++ {
			for xx := 0; xx < 28; xx++ {
				x.Data[d*784+y*28+xx] = float32(gray.GrayAt(xx, y).Y) / 255
			}
		}
	}
	return x
}

func TestTFLiteMNISTLSTM(t *testing.T) {
	g := tflLoad(t, "mnist_lstm/trained_lstm.tflite", "tflm_examples/mnist_lstm/trained_lstm.tflite")
	lstm := g.Nodes[0]
	if lstm.Op != OpLSTM || lstm.Attrs.Hidden != 20 || !lstm.Attrs.Sequence || !slices.Equal(lstm.Weight.Shape, []int{80, 28}) ||
		!slices.Equal(lstm.Recurrent.Shape, []int{80, 20}) || !slices.Equal(lstm.Bias.Shape, []int{160}) {
		t.Fatalf("first node %s %s: want an LSTM with H 20 and W [80 28], R [80 20], B [160]", lstm.Name, lstm.Op)
	}
	if m := tflMissingKernels(g); len(m) > 0 {
		t.Skipf("import OK; running needs kernels %v", m)
	}
	x := mnistLSTMSamples(t)
	out, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	labels := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	if acc := tflTop1(out[0], labels); acc != 1 {
		t.Errorf("top-1 %.1f on the ten samples, want every digit right: %v", acc, out[0].Data)
	}
	// TFLite's cell_clip (10) becomes Attrs.CellClip.
	if lstm.Attrs.CellClip != 10 {
		t.Errorf("CellClip %v, want the model's cell_clip 10", lstm.Attrs.CellClip)
	}
	t.Logf("largest |cell state| over the samples: %.3f (cell_clip 10)", tflMaxCell(lstm, x))
}

// tflMaxCell runs a plain LSTM (ONNX gate order i, o, f, c) over a batch [B, T, I] and returns
// the largest absolute cell state.
func tflMaxCell(n *Node, x *Tensor) float64 {
	h := n.Attrs.Hidden
	b, steps, in := x.Shape[0], x.Shape[1], x.Shape[2]
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	most := 0.0
	for s := 0; s < b; s++ {
		hs, cs := make([]float64, h), make([]float64, h)
		for t := 0; t < steps; t++ {
			xt := x.Data[(s*steps+t)*in : (s*steps+t+1)*in]
			gate := make([]float64, 4*h)
			for r := range gate {
				v := float64(n.Bias.Data[r] + n.Bias.Data[4*h+r])
				for k, xv := range xt {
					v += float64(n.Weight.Data[r*in+k]) * float64(xv)
				}
				for k, hv := range hs {
					v += float64(n.Recurrent.Data[r*h+k]) * hv
				}
				gate[r] = v
			}
			for j := 0; j < h; j++ {
				i, o, f, c := sig(gate[j]), sig(gate[h+j]), sig(gate[2*h+j]), math.Tanh(gate[3*h+j])
				cs[j] = f*cs[j] + i*c
				hs[j] = o * math.Tanh(cs[j])
				most = max(most, math.Abs(cs[j]))
			}
		}
	}
	return most
}
