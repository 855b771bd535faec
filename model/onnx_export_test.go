package model_test

import (
	"bytes"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// exportPruneMagnitude zeroes the fraction rate of smallest-magnitude weights of every layer,
// in place, and returns the number of zero weights per layer.
func exportPruneMagnitude(g *model.Graph, rate float64) map[string]int {
	zeros := map[string]int{}
	for _, n := range g.PrunableLayers() {
		mags := make([]float64, len(n.Weight.Data))
		for i, v := range n.Weight.Data {
			mags[i] = math.Abs(float64(v))
		}
		sort.Float64s(mags)
		k := int(rate * float64(len(mags)))
		if k > 0 {
			thr := mags[k-1]
			for i, v := range n.Weight.Data {
				if math.Abs(float64(v)) <= thr {
					n.Weight.Data[i] = 0
				}
			}
		}
		zeros[n.Name] = n.Weight.CountZeros()
	}
	return zeros
}

// exportRoundTrip exports g to ONNX, checks the file with the python onnx checker when it is
// installed, imports it again and requires bit-identical outputs on x. It returns the
// re-imported graph.
func exportRoundTrip(t *testing.T, g *model.Graph, x *model.Tensor) *model.Graph {
	t.Helper()
	var buf bytes.Buffer
	if err := g.ExportONNX(&buf); err != nil {
		t.Fatalf("export: %v", err)
	}
	path := filepath.Join(t.TempDir(), "exported.onnx")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	exportONNXCheck(t, path)
	back, err := model.Load(buf.Bytes())
	if err != nil {
		t.Fatalf("re-import of the exported model: %v", err)
	}
	want, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.Run(x)
	if err != nil {
		t.Fatalf("running the re-imported model: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d outputs after the round trip, want %d", len(got), len(want))
	}
	for o := range want {
		if !slices.Equal(got[o].Shape, want[o].Shape) {
			t.Fatalf("output %d: shape %v, want %v", o, got[o].Shape, want[o].Shape)
		}
		for i := range want[o].Data {
			if math.Float32bits(got[o].Data[i]) != math.Float32bits(want[o].Data[i]) {
				t.Fatalf("output %d element %d: %v after the round trip, want %v (bit-identical)", o, i, got[o].Data[i], want[o].Data[i])
			}
		}
	}
	t.Logf("%d nodes -> %d bytes of ONNX -> %d nodes; %d outputs bit-identical on %v", len(g.Nodes), buf.Len(), len(back.Nodes), len(want), x.Shape)
	return back
}

// exportONNXCheck runs Debian's python3 onnx checker (full_check) on the file, or logs that it
// is not available.
func exportONNXCheck(t *testing.T, path string) {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Logf("onnx checker skipped: %v", err)
		return
	}
	if err := exec.Command(py, "-c", "import onnx").Run(); err != nil {
		t.Logf("onnx checker skipped: python3 has no onnx module (%v)", err)
		return
	}
	out, err := exec.Command(py, "-c", "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)", path).CombinedOutput()
	if err != nil {
		t.Errorf("onnx.checker rejects the exported model: %v\n%s", err, out)
	}
}

// exportRandomInput returns a seeded standard-normal batch for the graph's single input.
func exportRandomInput(t *testing.T, g *model.Graph, batch int) *model.Tensor {
	t.Helper()
	if len(g.Inputs) != 1 {
		t.Fatalf("graph has %d inputs, want 1", len(g.Inputs))
	}
	x := model.NewTensor(append([]int{batch}, g.Inputs[0].Shape...)...)
	rng := rand.New(rand.NewSource(7))
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	return x
}

// TestExportLeNetPruned exports LeNet pruned at 80% and requires the same outputs and the same
// zero weights, counted per layer, after re-import.
func TestExportLeNetPruned(t *testing.T) {
	g := loadLeNet(t)
	zeros := exportPruneMagnitude(g, 0.8)
	total, params := 0, 0
	for _, n := range g.PrunableLayers() {
		total += zeros[n.Name]
		params += n.Weight.Len()
	}
	if total < params*79/100 {
		t.Fatalf("pruning left %d of %d weights zero, want at least 79%%", total, params)
	}
	back := exportRoundTrip(t, g, loadNPY(t, "lenet_x.npy"))
	mp, err := g.ONNXModel()
	if err != nil {
		t.Fatal(err)
	}
	if d := mp.GetGraph().GetInput()[0].GetType().GetTensorType().GetShape().GetDim()[0]; d.GetDimParam() != "batch" {
		t.Errorf("batch dimension %v, want the symbolic \"batch\"", d)
	}
	for _, n := range g.PrunableLayers() {
		m := back.Node(n.Name)
		if m == nil || m.Weight == nil {
			t.Fatalf("layer %q is missing after the round trip (nodes %v)", n.Name, nodeNames(back))
		}
		if got := m.Weight.CountZeros(); got != zeros[n.Name] {
			t.Errorf("layer %q: %d zero weights after the round trip, want %d", n.Name, got, zeros[n.Name])
		}
		for i, v := range n.Weight.Data {
			if math.Float32bits(m.Weight.Data[i]) != math.Float32bits(v) {
				t.Fatalf("layer %q weight %d: %v after the round trip, want %v", n.Name, i, m.Weight.Data[i], v)
			}
		}
	}
	t.Logf("LeNet: %d of %d weights zero, all kept", total, params)
}

// TestExportFixtures round-trips the PyTorch fixtures (dense, convolutional, depthwise,
// residual, TCN, LSTM, GRU and RNN models), unpruned and with half of every layer's weights
// zeroed.
func TestExportFixtures(t *testing.T) {
	for _, name := range []string{
		"mlp", "convnet", "dscnn", "rescnn", "tcn", "conv1d",
		"lstm_head", "lstm2_seq", "gru_head", "gru_lbr0", "gru_bf_last", "rnn_hn",
	} {
		t.Run(name, func(t *testing.T) {
			g, err := model.LoadFile(fixtures + name + ".onnx")
			if err != nil {
				t.Fatal(err)
			}
			x := loadNPY(t, name+"_x.npy")
			exportRoundTrip(t, g, x)
			zeros := exportPruneMagnitude(g, 0.5)
			back := exportRoundTrip(t, g, x)
			for layer, z := range zeros {
				if m := back.Node(layer); m == nil || m.Weight.CountZeros() != z {
					t.Errorf("layer %q: zero weights not kept (want %d)", layer, z)
				}
			}
		})
	}
}

// TestExportTFLiteAD01 exports the MLPerf Tiny anomaly-detection autoencoder, imported from
// TFLite, to ONNX.
func TestExportTFLiteAD01(t *testing.T) {
	g := exportExample(t, "ad01/ad01_fp32.tflite", "mlperf_tiny_ad01/ad01_fp32.tflite")
	exportRoundTrip(t, g, exportRandomInput(t, g, 5))
}

// TestExportTFLiteKWS exports the MLPerf Tiny keyword-spotting DS-CNN, imported from TFLite,
// pruned at 60%.
func TestExportTFLiteKWS(t *testing.T) {
	g := exportExample(t, "kws01/kws_ref_model_float32.tflite", "")
	zeros := exportPruneMagnitude(g, 0.6)
	back := exportRoundTrip(t, g, exportRandomInput(t, g, 3))
	for layer, z := range zeros {
		if m := back.Node(layer); m == nil || m.Weight.CountZeros() != z {
			t.Errorf("layer %q: zero weights not kept (want %d)", layer, z)
		}
	}
}

// exportExample loads a model bundled in testdata/examples, else from the shared data sets, or
// skips the test.
func exportExample(t *testing.T, bundled, shared string) *model.Graph {
	t.Helper()
	paths := []string{filepath.Join("..", "testdata", "examples", bundled)}
	if shared != "" {
		paths = append(paths, filepath.Join(sharedData, shared))
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			g, err := model.LoadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
	}
	t.Skipf("none of %v exists", paths)
	return nil
}

// TestExportRefusesInt8 requires one error naming every int8 node.
func TestExportRefusesInt8(t *testing.T) {
	g := exportExample(t, "ad01/ad01_int8.tflite", "mlperf_tiny_ad01/ad01_int8.tflite")
	err := g.ExportONNX(&bytes.Buffer{})
	if err == nil {
		t.Fatal("exporting an int8 graph succeeded")
	}
	for _, n := range g.Nodes {
		if n.Attrs.Quant != nil && !strings.Contains(err.Error(), `"`+n.Name+`"`) {
			t.Errorf("error does not name int8 node %q: %v", n.Name, err)
		}
	}
}

// TestExportRefusesCellClip requires an LSTM with TFLite cell clipping to be refused by name,
// together with every other such node.
func TestExportRefusesCellClip(t *testing.T) {
	g, err := model.LoadFile(fixtures + "lstm2_seq.onnx")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range g.Nodes {
		if n.Op == model.OpLSTM {
			n.Attrs.CellClip = 3
			names = append(names, n.Name)
		}
	}
	if len(names) < 2 {
		t.Fatalf("lstm2_seq has LSTM nodes %v, want two", names)
	}
	err = g.ExportONNX(&bytes.Buffer{})
	if err == nil {
		t.Fatal("exporting LSTMs with cell clipping succeeded")
	}
	for _, name := range names {
		if !strings.Contains(err.Error(), `"`+name+`"`) {
			t.Errorf("error does not name node %q: %v", name, err)
		}
	}
}

// TestExportOperators round-trips a graph that uses the elementwise, data-movement and
// reduction operators with their attributes and graph constants.
func TestExportOperators(t *testing.T) {
	c3 := &model.Tensor{Shape: []int{3}, Data: []float32{0.5, -2, 1.25}}
	c13 := &model.Tensor{Shape: []int{1, 3}, Data: []float32{0.1, 0, -0.3}}
	c4 := &model.Tensor{Shape: []int{4, 1, 1}, Data: []float32{2, 4, 0.5, 8}}
	w := model.NewTensor(3, 4)
	for i := range w.Data {
		w.Data[i] = float32(i%5) - 2 // includes zeros
	}
	g := &model.Graph{
		Name:   "ops",
		Inputs: []model.Value{{Name: "x", Shape: []int{2, 4, 5}}},
		Consts: []model.Const{{Name: "c3", Tensor: c3}, {Name: "c13", Tensor: c13}, {Name: "c4", Tensor: c4}},
		Nodes: []*model.Node{
			{Name: "clip", Op: model.OpClip, Inputs: []string{"x"}, Outputs: []string{"a"}, Attrs: model.Attrs{Min: -0.5, Max: 0.75}},
			{Name: "leaky", Op: model.OpLeakyRelu, Inputs: []string{"x"}, Outputs: []string{"b"}, Attrs: model.Attrs{Alpha: 0.1}},
			{Name: "cat", Op: model.OpConcat, Inputs: []string{"a", "b"}, Outputs: []string{"c"}},
			{Name: "pad", Op: model.OpPad, Inputs: []string{"c"}, Outputs: []string{"d"}, Attrs: model.Attrs{Pads: []int{0, 1, 0, 0, 0, 2}, Value: 0.25}},
			{Name: "tr", Op: model.OpTranspose, Inputs: []string{"d"}, Outputs: []string{"e"}, Attrs: model.Attrs{Perm: []int{0, 2, 1}}},
			{Name: "sl", Op: model.OpSlice, Inputs: []string{"e"}, Outputs: []string{"f"}, Attrs: model.Attrs{Starts: []int{1}, Ends: []int{6}, Axes: []int{1}, Steps: []int{2}}},
			{Name: "ga", Op: model.OpGather, Inputs: []string{"f"}, Outputs: []string{"g"}, Attrs: model.Attrs{Axis: 2, Indices: []int{4, 0, 2}}},
			{Name: "mul", Op: model.OpMul, Inputs: []string{"g", "c3"}, Outputs: []string{"h"}},
			{Name: "sub", Op: model.OpSub, Inputs: []string{"h", "c13"}, Outputs: []string{"i"}},
			{Name: "div", Op: model.OpDiv, Inputs: []string{"i", "c4"}, Outputs: []string{"j"}},
			{Name: "hsig", Op: model.OpHardSigmoid, Inputs: []string{"j"}, Outputs: []string{"k"}, Attrs: model.Attrs{Alpha: 0.3, Beta: 0.4}},
			{Name: "hsw", Op: model.OpHardSwish, Inputs: []string{"j"}, Outputs: []string{"l"}},
			{Name: "sum", Op: model.OpAdd, Inputs: []string{"k", "l"}, Outputs: []string{"m"}},
			{Name: "sig", Op: model.OpSigmoid, Inputs: []string{"m"}, Outputs: []string{"n"}},
			{Name: "tanh", Op: model.OpTanh, Inputs: []string{"n"}, Outputs: []string{"o"}},
			{Name: "mean", Op: model.OpMean, Inputs: []string{"o"}, Outputs: []string{"p"}, Attrs: model.Attrs{Axes: []int{1, 2}, Shape: []int{4, 1, 1}}},
			{Name: "fc", Op: model.OpDense, Inputs: []string{"p"}, Outputs: []string{"q0"}, Weight: w, Bias: &model.Tensor{Shape: []int{3}, Data: []float32{1, 0, -1}}},
			// an Add the importer would fold into fc's bias, rounding differently
			{Name: "shift", Op: model.OpAdd, Inputs: []string{"c3", "q0"}, Outputs: []string{"q"}},
			{Name: "sm", Op: model.OpSoftmax, Inputs: []string{"q"}, Outputs: []string{"y"}},
			{Name: "mean2", Op: model.OpMean, Inputs: []string{"o"}, Outputs: []string{"r"}, Attrs: model.Attrs{Axes: []int{2}}},
			{Name: "flat", Op: model.OpReshape, Inputs: []string{"r"}, Outputs: []string{"s"}, Attrs: model.Attrs{Shape: []int{12}}},
		},
		Outputs: []model.Value{{Name: "y"}, {Name: "s"}},
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	back := exportRoundTrip(t, g, exportRandomInput(t, g, 3))
	for _, name := range []string{"clip", "cat", "pad", "tr", "sl", "ga", "mul", "sub", "div", "hsig", "mean", "fc", "shift", "sm", "mean2", "flat"} {
		if back.Node(name) == nil {
			t.Errorf("node %q is missing after the round trip (nodes %v)", name, nodeNames(back))
		}
	}
}

// TestExportRecurrentStates round-trips an LSTM with non-zero initial states and gate clipping,
// and a GRU with initial state, and checks the attributes survive.
func TestExportRecurrentStates(t *testing.T) {
	for _, name := range []string{"lstm_head", "gru_lbr0"} {
		t.Run(name, func(t *testing.T) {
			g, err := model.LoadFile(fixtures + name + ".onnx")
			if err != nil {
				t.Fatal(err)
			}
			var rec *model.Node
			for _, n := range g.Nodes {
				if n.Op == model.OpLSTM || n.Op == model.OpGRU {
					rec = n
				}
			}
			if rec == nil {
				t.Fatalf("%s has no recurrent node", name)
			}
			h := rec.Attrs.Hidden
			rec.InitialH = &model.Tensor{Shape: []int{h}, Data: seqFloats(h, -0.4, 0.07)}
			if rec.Op == model.OpLSTM {
				rec.InitialC = &model.Tensor{Shape: []int{h}, Data: seqFloats(h, 0.3, -0.05)}
				rec.Attrs.GateClip = 0.75
			}
			back := exportRoundTrip(t, g, loadNPY(t, name+"_x.npy"))
			mp, err := g.ONNXModel()
			if err != nil {
				t.Fatal(err)
			}
			if d := mp.GetGraph().GetInput()[0].GetType().GetTensorType().GetShape().GetDim()[0]; d.GetDimValue() != 1 {
				t.Errorf("batch dimension %v with initial states, want fixed 1", d)
			}
			m := back.Node(rec.Name)
			if m == nil {
				t.Fatalf("node %q is missing after the round trip", rec.Name)
			}
			if !slices.Equal(m.InitialH.Data, rec.InitialH.Data) || m.Attrs.GateClip != rec.Attrs.GateClip ||
				m.Attrs.LinearBeforeReset != rec.Attrs.LinearBeforeReset || m.Attrs.Sequence != rec.Attrs.Sequence {
				t.Errorf("node %q after the round trip: %+v, initial h %v; want %+v, %v", rec.Name, m.Attrs, m.InitialH, rec.Attrs, rec.InitialH)
			}
			if rec.InitialC != nil && (m.InitialC == nil || !slices.Equal(m.InitialC.Data, rec.InitialC.Data)) {
				t.Errorf("node %q: initial c %v after the round trip, want %v", rec.Name, m.InitialC, rec.InitialC)
			}
		})
	}
}

// TestExportWindows1D round-trips 1D pooling with padding and a grouped, dilated, strided 1D
// convolution.
func TestExportWindows1D(t *testing.T) {
	w := model.NewTensor(6, 1, 3)
	for i := range w.Data {
		w.Data[i] = float32(i%7)*0.25 - 0.5
	}
	g := &model.Graph{
		Name:   "win1d",
		Inputs: []model.Value{{Name: "x", Shape: []int{3, 11}}},
		Nodes: []*model.Node{
			{Name: "avg", Op: model.OpAvgPool, Inputs: []string{"x"}, Outputs: []string{"a"}, Attrs: model.Attrs{Kernel: []int{1, 3}, Strides: []int{1, 2}, Pads: []int{0, 1, 0, 1}}},
			{Name: "max", Op: model.OpMaxPool, Inputs: []string{"x"}, Outputs: []string{"b"}, Attrs: model.Attrs{Kernel: []int{1, 2}, Strides: []int{1, 2}, Pads: []int{0, 0, 0, 1}}},
			{Name: "cat", Op: model.OpConcat, Inputs: []string{"a", "b"}, Outputs: []string{"c"}, Attrs: model.Attrs{Axis: 1}},
			{Name: "conv", Op: model.OpConv, Inputs: []string{"c"}, Outputs: []string{"y"}, Weight: w,
				Attrs: model.Attrs{Strides: []int{1, 2}, Pads: []int{0, 2, 0, 1}, Dilations: []int{1, 2}, Group: 3}},
		},
		Outputs: []model.Value{{Name: "y"}},
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	back := exportRoundTrip(t, g, exportRandomInput(t, g, 4))
	for _, name := range []string{"avg", "max", "conv"} {
		n, m := g.Node(name), back.Node(name)
		if m == nil || !slices.Equal(m.Attrs.Pads, n.Attrs.Pads) || !slices.Equal(m.Attrs.Strides, n.Attrs.Strides) {
			t.Errorf("node %q after the round trip: %+v, want %+v", name, m, n.Attrs)
		}
	}
}

func seqFloats(n int, start, step float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = start + float32(i)*step
	}
	return out
}

// exportTestOp is an operator with a kernel but no ONNX export, registered for
// TestExportListsEveryUnexportableNode.
const exportTestOp model.Op = "ExportTestNoONNX"

func init() {
	model.RegisterOp(exportTestOp, model.OpKernel{Inputs: 1, Infer: func(_ *model.Node, ins [][]int) ([]int, error) {
		return ins[0], nil
	}})
}

// TestExportListsEveryUnexportableNode requires one error naming every node that cannot be
// exported, whatever the reason.
func TestExportListsEveryUnexportableNode(t *testing.T) {
	g := &model.Graph{
		Inputs: []model.Value{{Name: "x", Shape: []int{4}}},
		Nodes: []*model.Node{
			{Name: "odd1", Op: exportTestOp, Inputs: []string{"x"}, Outputs: []string{"a"}},
			{Name: "fine", Op: model.OpRelu, Inputs: []string{"a"}, Outputs: []string{"b"}},
			{Name: "odd2", Op: exportTestOp, Inputs: []string{"b"}, Outputs: []string{"y"}},
		},
		Outputs: []model.Value{{Name: "y"}},
	}
	err := g.ExportONNX(&bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), `"odd1"`) || !strings.Contains(err.Error(), `"odd2"`) || strings.Contains(err.Error(), `"fine"`) {
		t.Errorf("error %v; want one naming odd1 and odd2 only", err)
	}
}
