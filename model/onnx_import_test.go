package model_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/model/onnxpb"
)

const lenetPath = "../testdata/examples/lenet/fyh620_lenet.onnx"

func loadLeNet(t testing.TB) *model.Graph {
	t.Helper()
	g, err := model.LoadFile(lenetPath)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestImportLeNet(t *testing.T) {
	g := loadLeNet(t)
	if got := g.NumParams(); got != 44426 {
		t.Errorf("NumParams = %d, want 44426", got)
	}
	if len(g.Inputs) != 1 || g.Inputs[0].Name != "input.1" || !slices.Equal(g.Inputs[0].Shape, []int{1, 28, 28}) {
		t.Errorf("inputs = %+v, want input.1 [1 28 28]", g.Inputs)
	}
	if len(g.Outputs) != 1 || g.Outputs[0].Name != "24" || !slices.Equal(g.Outputs[0].Shape, []int{10}) {
		t.Errorf("outputs = %+v, want 24 [10]", g.Outputs)
	}
	want := []struct {
		name  string
		op    model.Op
		shape []int
	}{
		{"Conv_0", model.OpConv, []int{6, 24, 24}},
		{"MaxPool_1", model.OpMaxPool, []int{6, 12, 12}},
		{"Relu_2", model.OpRelu, []int{6, 12, 12}},
		{"Conv_3", model.OpConv, []int{16, 8, 8}},
		{"MaxPool_4", model.OpMaxPool, []int{16, 4, 4}},
		{"Relu_5", model.OpRelu, []int{16, 4, 4}},
		{"Reshape_7", model.OpReshape, []int{256}},
		{"Gemm_8", model.OpDense, []int{120}},
		{"Relu_9", model.OpRelu, []int{120}},
		{"Gemm_10", model.OpDense, []int{84}},
		{"Relu_11", model.OpRelu, []int{84}},
		{"Gemm_12", model.OpDense, []int{10}},
		{"Softmax_13", model.OpSoftmax, []int{10}},
	}
	if len(g.Nodes) != len(want) {
		t.Fatalf("%d nodes, want %d", len(g.Nodes), len(want))
	}
	for i, w := range want {
		n := g.Nodes[i]
		if n.Name != w.name || n.Op != w.op || !slices.Equal(g.Shapes[n.Outputs[0]], w.shape) {
			t.Errorf("node %d = %s %s %v, want %s %s %v", i, n.Name, n.Op, g.Shapes[n.Outputs[0]], w.name, w.op, w.shape)
		}
	}
	if fc1 := g.Node("Gemm_8"); !slices.Equal(fc1.Weight.Shape, []int{120, 256}) || fc1.Bias.Len() != 120 {
		t.Errorf("Gemm_8 weight %v bias %d, want [120 256] and 120", fc1.Weight.Shape, fc1.Bias.Len())
	}
	if c := g.Node("Conv_3"); !slices.Equal(c.Weight.Shape, []int{16, 6, 5, 5}) || c.Groups() != 1 {
		t.Errorf("Conv_3 weight %v group %d", c.Weight.Shape, c.Groups())
	}
}

func TestLoadFileDispatch(t *testing.T) {
	g := loadLeNet(t)
	dir := t.TempDir()

	// tcdse IR round trip through LoadFile.
	var buf bytes.Buffer
	if err := g.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	irPath := filepath.Join(dir, "lenet.tcdse")
	writeFile(t, irPath, buf.Bytes())
	back, err := model.LoadFile(irPath)
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash() != g.Hash() {
		t.Error("IR round trip through LoadFile changed the graph")
	}

	// A TFLite flatbuffer is recognised by its identifier (this one is corrupt).
	tfl := filepath.Join(dir, "m.tflite")
	writeFile(t, tfl, append([]byte{0x1c, 0, 0, 0, 'T', 'F', 'L', '3'}, make([]byte, 64)...))
	if _, err := model.LoadFile(tfl); err == nil || !strings.Contains(err.Error(), "tflite: ") {
		t.Errorf("TFLite: err = %v", err)
	}

	if _, err := model.LoadFile(filepath.Join(dir, "missing.onnx")); err == nil {
		t.Error("missing file: no error")
	}
	empty := filepath.Join(dir, "empty.onnx")
	writeFile(t, empty, nil)
	if _, err := model.LoadFile(empty); err == nil || !strings.Contains(err.Error(), "empty.onnx") {
		t.Errorf("empty file: err = %v, want one naming the file", err)
	}
}

func TestImportRejectsCorruptFiles(t *testing.T) {
	data, err := os.ReadFile(lenetPath)
	if err != nil {
		t.Fatal(err)
	}
	// Every truncation must fail cleanly (the last node or output is always lost).
	for _, n := range []int{1, 2, 10, 100, 1000, 10000, 50000, 100000, 150000, len(data) - 100, len(data) - 1} {
		if _, err := model.ImportONNX(data[:n]); err == nil {
			t.Errorf("truncated to %d of %d bytes: no error", n, len(data))
		}
	}
	garbage := [][]byte{
		[]byte("hello, this is not a model"),
		bytes.Repeat([]byte{0xff}, 100),
		{0x08, 0x07}, // a valid ModelProto with only ir_version
	}
	for _, g := range garbage {
		if _, err := model.ImportONNX(g); err == nil {
			t.Errorf("garbage %q: no error", g)
		}
	}
	// A bit flip inside the Constant node's shape data gives a reshape error, not a panic.
	i := bytes.Index(data, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01})
	if i < 0 {
		t.Fatal("reshape constant not found in LeNet")
	}
	bad := bytes.Clone(data)
	bad[i+9] = 0x03 // 256 -> 768
	if _, err := model.ImportONNX(bad); err == nil || !strings.Contains(err.Error(), "Reshape_7") {
		t.Errorf("corrupt reshape: err = %v, want one naming Reshape_7", err)
	}
}

func TestImportListsEveryUnsupportedOp(t *testing.T) {
	m := newONNXModel().input("x", "N", 4).
		node("Relu", "r", strs("x"), strs("a")).
		node("Erf", "erf1", strs("a"), strs("b")).
		node("Acosh", "", strs("b"), strs("c")).
		node("Relu", "r2", strs("c"), strs("y")).output("y")
	_, err := model.ImportONNX(m.bytes(t))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`Erf (node "erf1")`, `Acosh (node "Acosh_2")`, "2 unsupported"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestImportTensorChecks(t *testing.T) {
	conv := func(w *onnxpb.TensorProto) []byte {
		m := newONNXModel().input("x", 1, 1, 4, 4)
		m.inits = append(m.inits, w)
		return m.node("Conv", "c", strs("x", "w"), strs("y")).output("y").bytes(t)
	}
	cases := map[string]struct {
		w    *onnxpb.TensorProto
		want string
	}{
		"dims disagree with float_data": {floatTensor("w", []int64{1, 1, 2, 2}, seq(3, 0, 1)), "declare 4 elements but the data holds 3"},
		"dims disagree with raw_data": {&onnxpb.TensorProto{Name: proto.String("w"), Dims: []int64{1, 1, 2, 2},
			DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: make([]byte, 12)}, "declare 4 elements"},
		"absurd dims":      {floatTensor("w", []int64{1 << 20, 1 << 20, 1 << 20, 1}, nil), "more than"},
		"negative dim":     {floatTensor("w", []int64{1, -1, 2, 2}, nil), "dimension 1 is -1"},
		"external data":    {&onnxpb.TensorProto{Name: proto.String("w"), Dims: []int64{1}, DataType: proto.Int32(1), DataLocation: onnxpb.TensorProto_EXTERNAL.Enum()}, "external"},
		"unsupported type": {&onnxpb.TensorProto{Name: proto.String("w"), Dims: []int64{1}, DataType: proto.Int32(int32(onnxpb.TensorProto_STRING))}, "not supported"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := model.ImportONNX(conv(c.w))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// TestImportFoldsAndRenames checks BatchNormalization and constant-Add folding, Identity and
// Dropout removal, synthesised names, and that graph outputs keep their ONNX names.
func TestImportFoldsAndRenames(t *testing.T) {
	m := newONNXModel().input("x", "batch", 2, 3, 3).
		floats("w", []int64{2, 2, 1, 1}, []float32{1, 0, 0, 1}).
		floats("scale", []int64{2}, []float32{2, 3}).
		floats("bnb", []int64{2}, []float32{0.5, -1}).
		floats("mean", []int64{2}, []float32{1, 2}).
		floats("var", []int64{2}, []float32{4 - 1e-5, 9 - 1e-5}).
		floats("shift", []int64{1, 2, 1, 1}, []float32{10, 20}).
		node("Conv", "", strs("x", "w"), strs("c")).
		node("BatchNormalization", "bn", strs("c", "scale", "bnb", "mean", "var"), strs("b")).
		node("Add", "addc", strs("shift", "b"), strs("s")).
		node("Dropout", "", strs("s"), strs("d")).
		node("Relu", "", strs("d"), strs("r")).
		node("Identity", "id", strs("r"), strs("y")).
		output("y")
	g, err := model.ImportONNX(m.bytes(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != 2 || g.Nodes[0].Name != "Conv_0" || g.Nodes[1].Name != "Relu_4" {
		t.Fatalf("nodes = %v, want Conv_0 and Relu_4", nodeNames(g))
	}
	if g.Outputs[0].Name != "y" || g.Nodes[1].Outputs[0] != "y" {
		t.Errorf("graph output %q, last node output %q; want both y", g.Outputs[0].Name, g.Nodes[1].Outputs[0])
	}
	conv := g.Nodes[0]
	// BN: w' = w·scale/sqrt(var+eps) = w·[1, 1]; b' = (0 − mean)·that + B = [−0.5, −3]; then +[10, 20].
	wantW := []float32{1, 0, 0, 1}
	wantB := []float32{9.5, 17}
	for i := range wantW {
		if math.Abs(float64(conv.Weight.Data[i]-wantW[i])) > 1e-6 {
			t.Errorf("weight %v, want %v", conv.Weight.Data, wantW)
			break
		}
	}
	for i := range wantB {
		if math.Abs(float64(conv.Bias.Data[i]-wantB[i])) > 1e-5 {
			t.Errorf("bias %v, want %v", conv.Bias.Data, wantB)
			break
		}
	}
}

func TestImportGemmAttributes(t *testing.T) {
	// y = 2·x·B + 0.5·C with B [3,2] (transB=0) and a [1,2] bias.
	m := newONNXModel().input("x", 1, 3).
		floats("B", []int64{3, 2}, []float32{1, 2, 3, 4, 5, 6}).
		floats("C", []int64{1, 2}, []float32{10, 20}).
		node("Gemm", "g", strs("x", "B", "C"), strs("y"), attrFloat("alpha", 2), attrFloat("beta", 0.5)).
		output("y")
	g, err := model.ImportONNX(m.bytes(t))
	if err != nil {
		t.Fatal(err)
	}
	out, err := g.Run(&model.Tensor{Shape: []int{2, 3}, Data: []float32{1, 1, 1, 1, 0, -1}})
	if err != nil {
		t.Fatal(err)
	}
	// sample 0: 2·[9, 12] + [5, 10]; sample 1: 2·[−4, −4] + [5, 10]
	want := []float32{23, 34, -3, 2}
	if !slices.Equal(out[0].Data, want) || !slices.Equal(out[0].Shape, []int{2, 2}) {
		t.Errorf("Gemm output %v %v, want [2 2] %v", out[0].Shape, out[0].Data, want)
	}

	transA := newONNXModel().input("x", 1, 3).floats("B", []int64{3, 2}, seq(6, 0, 1)).
		node("Gemm", "g", strs("x", "B"), strs("y"), attrInt("transA", 1)).output("y")
	if _, err := model.ImportONNX(transA.bytes(t)); err == nil || !strings.Contains(err.Error(), `"g"`) {
		t.Errorf("transA: err = %v, want one naming node g", err)
	}
	rowBias := newONNXModel().input("x", 2, 3).floats("B", []int64{3, 2}, seq(6, 0, 1)).
		floats("C", []int64{2, 2}, seq(4, 0, 1)).
		node("Gemm", "g", strs("x", "B", "C"), strs("y")).output("y")
	if _, err := model.ImportONNX(rowBias.bytes(t)); err == nil || !strings.Contains(err.Error(), "per channel") {
		t.Errorf("per-row bias: err = %v", err)
	}
}

func TestImportMatMulAddFoldsIntoDense(t *testing.T) {
	m := newONNXModel().input("x", "N", 2).
		floats("W", []int64{2, 3}, []float32{1, 2, 3, 4, 5, 6}).
		floats("b", []int64{3}, []float32{0.5, 0.25, 0}).
		node("MatMul", "mm", strs("x", "W"), strs("h")).
		node("Add", "add", strs("h", "b"), strs("y")).output("y")
	g, err := model.ImportONNX(m.bytes(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != 1 || g.Nodes[0].Op != model.OpDense || !slices.Equal(g.Nodes[0].Weight.Shape, []int{3, 2}) {
		t.Fatalf("nodes %v, want one Dense with weight [3 2]", nodeNames(g))
	}
	out, err := g.Run(&model.Tensor{Shape: []int{1, 2}, Data: []float32{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{9.5, 12.25, 15}; !slices.Equal(out[0].Data, want) {
		t.Errorf("output %v, want %v", out[0].Data, want)
	}
}

func TestImportSemanticErrorsNameTheNode(t *testing.T) {
	cases := map[string]struct {
		m    *onnxModel
		want string
	}{
		"Pad in reflect mode": {newONNXModel().input("x", 1, 3).ints("p", 0, 1, 0, 1).
			node("Pad", "pd", strs("x", "p"), strs("y"), attrString("mode", "reflect")).output("y"), `"pd"`},
		"Transpose that moves the batch": {newONNXModel().input("x", 2, 3).
			node("Transpose", "tp", strs("x"), strs("y"), attrInts("perm", 1, 0)).output("y"), `"tp"`},
		"Slice of the batch axis": {newONNXModel().input("x", 4, 3).ints("st", 1).ints("en", 3).ints("ax", 0).
			node("Slice", "sl", strs("x", "st", "en", "ax"), strs("y")).output("y"), `"sl"`},
		"Softmax over the batch axis": {newONNXModel().input("x", 1, 3, 4).
			node("Softmax", "sm", strs("x"), strs("y"), attrInt("axis", 0)).output("y"), `"sm"`},
		"Mul by a constant that varies over the batch": {newONNXModel().input("x", "N", 3).floats("c", []int64{2, 3}, seq(6, 0, 1)).
			node("Mul", "mu", strs("x", "c"), strs("y")).output("y"), `"mu"`},
		"Gather with activation indices": {newONNXModel().input("x", 1, 3).input("i", 1, 2).
			node("Gather", "ga", strs("x", "i"), strs("y"), attrInt("axis", 1)).output("y"), `"ga"`},
		"Concat with a constant": {newONNXModel().input("x", 1, 3).floats("c", []int64{1, 2}, seq(2, 0, 1)).
			node("Concat", "cc", strs("x", "c"), strs("y"), attrInt("axis", 1)).output("y"), `"cc"`},
		"Squeeze of a dimension that is not 1": {newONNXModel().input("x", 1, 3, 2).ints("a", 1).
			node("Squeeze", "sq", strs("x", "a"), strs("y")).output("y"), `"sq"`},
		"ReduceMean over the batch": {newONNXModel().input("x", 1, 3, 2).ints("a", 0, 1).
			node("ReduceMean", "rm", strs("x"), strs("y"), attrInts("axes", 0, 1)).output("y"), `"rm"`},
		"Flatten into the batch": {newONNXModel().input("x", 1, 3, 4).
			node("Flatten", "fl", strs("x"), strs("y"), attrInt("axis", 2)).output("y"), `"fl"`},
		"Reshape across the batch": {newONNXModel().input("x", 2, 3, 4).ints("s", 6, 4).
			node("Reshape", "rs", strs("x", "s"), strs("y")).output("y"), `"rs"`},
		"ceil_mode that changes the size": {newONNXModel().input("x", 1, 1, 5, 5).
			node("MaxPool", "mp", strs("x"), strs("y"), attrInts("kernel_shape", 2, 2), attrInts("strides", 2, 2), attrInt("ceil_mode", 1)).output("y"), `"mp"`},
		"Conv weight that is an activation": {newONNXModel().input("x", 1, 1, 3, 3).input("w", 1, 1, 1, 1).
			node("Conv", "cv", strs("x", "w"), strs("y")).output("y"), `"cv"`},
		"Add of activations that differ in shape": {newONNXModel().input("x", 1, 2).input("z", 1, 3).
			node("Add", "ad", strs("x", "z"), strs("y")).output("y"), `"ad"`},
		"undefined input": {newONNXModel().input("x", 1, 2).
			node("Relu", "r", strs("nope"), strs("y")).output("y"), `"nope"`},
		"output not computed": {newONNXModel().input("x", 1, 2).
			node("Relu", "r", strs("x"), strs("y")).output("zz"), `"zz"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := model.ImportONNX(c.m.bytes(t))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to name %s", err, c.want)
			}
		})
	}
}

func TestImportReshapeAndPoolVariants(t *testing.T) {
	// Reshape [N,2,3,4] with (0, -1, 4) -> per sample [6,4]; ceil_mode that changes nothing is
	// accepted; Flatten of [N,6,4] -> [24]; Softmax on the last axis.
	m := newONNXModel().input("x", "N", 2, 4, 4).ints("s", 0, -1, 4).
		node("MaxPool", "mp", strs("x"), strs("p"), attrInts("kernel_shape", 2, 2), attrInts("strides", 2, 2), attrInt("ceil_mode", 1)).
		node("AveragePool", "ap", strs("p"), strs("q"), attrInts("kernel_shape", 2, 2), attrString("auto_pad", "SAME_UPPER")).
		node("Reshape", "rs", strs("q", "s"), strs("r")).
		node("Softmax", "sm", strs("r"), strs("t")).
		node("Flatten", "fl", strs("t"), strs("y")).output("y")
	g, err := model.ImportONNX(m.bytes(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{"p": {2, 2, 2}, "q": {2, 2, 2}, "r": {2, 4}, "t": {2, 4}, "y": {8}}
	for v, s := range want {
		if !slices.Equal(g.Shapes[v], s) {
			t.Errorf("shape of %s = %v, want %v", v, g.Shapes[v], s)
		}
	}
	if ap := g.Node("ap"); !slices.Equal(ap.Attrs.Pads, []int{0, 0, 1, 1}) {
		t.Errorf("SAME_UPPER pads = %v, want [0 0 1 1]", ap.Attrs.Pads)
	}
}

func TestRunRejectsWrongInputs(t *testing.T) {
	g := loadLeNet(t)
	cases := map[string][]*model.Tensor{
		"wrong shape":     {model.NewTensor(2, 1, 28, 27)},
		"missing batch":   {model.NewTensor(1, 28, 28)},
		"too many inputs": {model.NewTensor(1, 1, 28, 28), model.NewTensor(1, 1, 28, 28)},
		"nil":             {nil},
		"short data":      {{Shape: []int{1, 1, 28, 28}, Data: make([]float32, 5)}},
	}
	for name, in := range cases {
		if _, err := g.Run(in...); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	_, err := g.Run(model.NewTensor(2, 1, 28, 27))
	if err == nil || !strings.Contains(err.Error(), "expected shape [B [1 28 28]], got [2 1 28 27]") {
		t.Errorf("err = %v, want expected vs got", err)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func nodeNames(g *model.Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		out = append(out, n.Name+":"+string(n.Op))
	}
	return out
}
