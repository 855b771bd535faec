package model_test

import (
	"bytes"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/model/onnxpb"
)

// rnnFixtures lists the networks written by testdata/make_rnn_fixtures.py with the IR operators
// their import must produce (every layout operator folded away).
var rnnFixtures = []struct {
	name string
	ops  []model.Op
}{
	{"lstm_head", []model.Op{model.OpLSTM, model.OpDense}},
	{"gru_head", []model.Op{model.OpGRU, model.OpDense}},
	{"gru_bf_last", []model.Op{model.OpGRU, model.OpDense}},
	{"rnn_hn", []model.Op{model.OpRNN, model.OpDense}},
	{"lstm2_seq", []model.Op{model.OpLSTM, model.OpLSTM}},
	{"gru_lbr0", []model.Op{model.OpGRU}},
}

// TestRecurrentMatchesPyTorch imports the PyTorch-exported recurrent networks and compares the
// interpreter with PyTorch's outputs (gru_lbr0: numpy's, in float64).
func TestRecurrentMatchesPyTorch(t *testing.T) {
	for _, f := range rnnFixtures {
		t.Run(f.name, func(t *testing.T) {
			g, err := model.LoadFile(fixtures + f.name + ".onnx")
			if err != nil {
				t.Fatal(err)
			}
			var ops []model.Op
			for _, n := range g.Nodes {
				ops = append(ops, n.Op)
			}
			if len(ops) != len(f.ops) {
				t.Fatalf("IR operators %v, want %v", ops, f.ops)
			}
			for i := range ops {
				if ops[i] != f.ops[i] {
					t.Fatalf("IR operators %v, want %v", ops, f.ops)
				}
			}
			x := loadNPY(t, f.name+"_x.npy")
			if !slices.Equal(g.Inputs[0].Shape, x.Shape[1:]) {
				t.Fatalf("graph input per-sample shape %v, want [T, F] %v", g.Inputs[0].Shape, x.Shape[1:])
			}
			out, err := g.Run(x)
			if err != nil {
				t.Fatal(err)
			}
			assertClose(t, f.name, out[0], loadNPY(t, f.name+"_y.npy"))
		})
	}
}

// TestRecurrentReferenceModelShape checks the parameters of the reference LSTM
// (../shared/bench/reference_models.py: T=16, F=10, H=32, Linear 32->4).
func TestRecurrentReferenceModelShape(t *testing.T) {
	g, err := model.LoadFile(fixtures + "lstm_head.onnx")
	if err != nil {
		t.Fatal(err)
	}
	n := g.Nodes[0]
	if n.Attrs.Hidden != 32 || n.Attrs.Sequence || !slices.Equal(n.Weight.Shape, []int{128, 10}) ||
		!slices.Equal(n.Recurrent.Shape, []int{128, 32}) || !slices.Equal(n.Bias.Shape, []int{256}) || n.InitialH != nil || n.InitialC != nil {
		t.Errorf("LSTM node: hidden %d sequence %v W %v R %v B %v h0 %v c0 %v", n.Attrs.Hidden, n.Attrs.Sequence,
			n.Weight.Shape, n.Recurrent.Shape, n.Bias.Shape, n.InitialH, n.InitialC)
	}
	if !slices.Equal(g.Inputs[0].Shape, []int{16, 10}) || !slices.Equal(g.Outputs[0].Shape, []int{4}) {
		t.Errorf("graph %v -> %v, want [16 10] -> [4]", g.Inputs[0].Shape, g.Outputs[0].Shape)
	}
	// The RNN fixture has a non-zero initial state, which must survive the import and the
	// encoding, like the recurrence weights.
	g, err = model.LoadFile(fixtures + "rnn_hn.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if h0 := g.Nodes[0].InitialH; h0 == nil || h0.CountZeros() == h0.Len() {
		t.Errorf("rnn_hn: initial hidden state %v, want the non-zero buffer", h0)
	}
	var buf bytes.Buffer
	if err := g.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := model.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	x := loadNPY(t, "rnn_hn_x.npy")
	want, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[0].Data, want[0].Data) {
		t.Error("rnn_hn: the decoded graph computes different outputs")
	}
}

// TestRecurrentBitIdentical checks that results do not depend on the goroutine count nor on the
// grouping of samples.
func TestRecurrentBitIdentical(t *testing.T) {
	for _, name := range []string{"lstm_head", "gru_lbr0", "rnn_hn", "lstm2_seq"} {
		g, err := model.LoadFile(fixtures + name + ".onnx")
		if err != nil {
			t.Fatal(err)
		}
		x := rnnRepeat(loadNPY(t, name+"_x.npy"), 40)
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
		var ref *model.Tensor
		for _, procs := range []int{1, 2, 3, 8} {
			runtime.GOMAXPROCS(procs)
			out, err := g.Run(x)
			if err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref = out[0]
			} else if !slices.Equal(out[0].Data, ref.Data) {
				t.Errorf("%s: GOMAXPROCS=%d differs from GOMAXPROCS=1", name, procs)
			}
		}
		per, outPer := len(x.Data)/x.Shape[0], len(ref.Data)/ref.Shape[0]
		for s := 0; s < x.Shape[0]; s += 13 {
			one := &model.Tensor{Shape: append([]int{1}, x.Shape[1:]...), Data: x.Data[s*per : (s+1)*per]}
			out, err := g.Run(one)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(out[0].Data, ref.Data[s*outPer:(s+1)*outPer]) {
				t.Errorf("%s: sample %d alone differs from the batch", name, s)
			}
		}
	}
}

// rnnRepeat returns n samples made from x's samples, each perturbed differently.
func rnnRepeat(x *model.Tensor, n int) *model.Tensor {
	per := len(x.Data) / x.Shape[0]
	out := &model.Tensor{Shape: append([]int{n}, x.Shape[1:]...), Data: make([]float32, n*per)}
	rng := rand.New(rand.NewSource(3))
	for s := 0; s < n; s++ {
		src := x.Data[(s%x.Shape[0])*per:]
		for i := 0; i < per; i++ {
			out.Data[s*per+i] = src[i] + float32(rng.NormFloat64()*0.1)
		}
	}
	return out
}

// TestRecurrentKernelsMatchReference runs hand-built IR graphs of every recurrent operator and
// mode (bias, initial states, every step or the last, GRU with and without linear_before_reset)
// against a direct float64 implementation of the equations written in rnn_kernels.go.
func TestRecurrentKernelsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	randT := func(scale float64, shape ...int) *model.Tensor {
		x := model.NewTensor(shape...)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64() * scale)
		}
		return x
	}
	const batch, steps, in, h = 5, 6, 4, 7
	cases := []struct {
		op                        model.Op
		seq, bias, init, lbr, act bool
	}{
		{op: model.OpRNN}, {op: model.OpRNN, seq: true, bias: true, init: true},
		{op: model.OpLSTM, bias: true}, {op: model.OpLSTM, seq: true, bias: true, init: true, act: true},
		{op: model.OpGRU, bias: true}, {op: model.OpGRU, seq: true, bias: true, init: true, lbr: true},
		{op: model.OpGRU, lbr: true}, {op: model.OpGRU, seq: true, init: true},
	}
	for _, c := range cases {
		gates := model.RecurrentGates(c.op)
		n := &model.Node{Name: "r", Op: c.op, Inputs: []string{"x"}, Outputs: []string{"y"},
			Weight: randT(0.5, gates*h, in), Recurrent: randT(0.5, gates*h, h),
			Attrs: model.Attrs{Hidden: h, Sequence: c.seq, LinearBeforeReset: c.lbr}}
		if c.bias {
			n.Bias = randT(0.3, 2*gates*h)
		}
		if c.init {
			n.InitialH = randT(0.5, h)
			if c.op == model.OpLSTM {
				n.InitialC = randT(0.5, h)
			}
		}
		if c.act {
			n.Attrs.Activations = model.RecurrentActivations(c.op)
		}
		g := &model.Graph{Name: "rnn", Inputs: []model.Value{{Name: "x", Shape: []int{steps, in}}},
			Outputs: []model.Value{{Name: "y"}}, Nodes: []*model.Node{n}}
		x := randT(1, batch, steps, in)
		out, err := g.Run(x)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		want := rnnReference(n, x)
		assertClose(t, string(c.op), out[0], want)
	}
}

// rnnReference computes a recurrent node in float64, one sample and one step at a time.
func rnnReference(n *model.Node, x *model.Tensor) *model.Tensor {
	batch, steps, in := x.Shape[0], x.Shape[1], x.Shape[2]
	h := n.Attrs.Hidden
	gh := model.RecurrentGates(n.Op) * h
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	par := func(t *model.Tensor, i int) float64 {
		if t == nil {
			return 0
		}
		return float64(t.Data[i])
	}
	// lin returns row r of W·x + Wb (input) or R·v + Rb (recurrence).
	lin := func(m *model.Tensor, off, r int, v []float64) float64 {
		s := par(n.Bias, off+r)
		k := len(v)
		for j := 0; j < k; j++ {
			s += float64(m.Data[r*k+j]) * v[j]
		}
		return s
	}
	var y *model.Tensor
	if n.Attrs.Sequence {
		y = model.NewTensor(batch, steps, h)
	} else {
		y = model.NewTensor(batch, h)
	}
	for b := 0; b < batch; b++ {
		hs, cs := make([]float64, h), make([]float64, h)
		for j := range hs {
			hs[j], cs[j] = par(n.InitialH, j), par(n.InitialC, j)
		}
		for s := 0; s < steps; s++ {
			xs := make([]float64, in)
			for i := range xs {
				xs[i] = float64(x.Data[(b*steps+s)*in+i])
			}
			next := make([]float64, h)
			for j := 0; j < h; j++ {
				g := func(k int) float64 { return lin(n.Weight, 0, k*h+j, xs) + lin(n.Recurrent, gh, k*h+j, hs) }
				switch n.Op {
				case model.OpRNN:
					next[j] = math.Tanh(g(0))
				case model.OpLSTM:
					i, o, f, c := sig(g(0)), sig(g(1)), sig(g(2)), math.Tanh(g(3))
					cs[j] = f*cs[j] + i*c
					next[j] = o * math.Tanh(cs[j])
				case model.OpGRU:
					z, r := sig(g(0)), sig(g(1))
					var c float64
					if n.Attrs.LinearBeforeReset {
						c = math.Tanh(lin(n.Weight, 0, 2*h+j, xs) + r*lin(n.Recurrent, gh, 2*h+j, hs))
					} else {
						rh := make([]float64, h)
						for k := range rh {
							rh[k] = sig(lin(n.Weight, 0, h+k, xs)+lin(n.Recurrent, gh, h+k, hs)) * hs[k]
						}
						c = math.Tanh(lin(n.Weight, 0, 2*h+j, xs) + lin(n.Recurrent, gh, 2*h+j, rh))
					}
					next[j] = (1-z)*c + z*hs[j]
				}
			}
			hs = next
			if n.Attrs.Sequence {
				for j, v := range hs {
					y.Data[(b*steps+s)*h+j] = float32(v)
				}
			}
		}
		if !n.Attrs.Sequence {
			for j, v := range hs {
				y.Data[b*h+j] = float32(v)
			}
		}
	}
	return y
}

// rnnSuiteCases are the recurrent cases of the ONNX conformance suite (Debian's
// libonnx-testdata) and whether the IR supports them.
var rnnSuiteCases = []struct {
	name   string
	reject string // an expected import error, or "" when the case must run and match
}{
	{"test_lstm_defaults", ""},
	{"test_lstm_with_initial_bias", ""},
	{"test_lstm_batchwise", ""},
	{"test_lstm_with_peepholes", "peephole"},
	{"test_gru_defaults", ""},
	{"test_gru_with_initial_bias", ""},
	{"test_gru_seq_length", ""},
	{"test_gru_batchwise", ""},
	{"test_rnn_seq_length", ""},
	{"test_simple_rnn_defaults", ""},
	{"test_simple_rnn_with_initial_bias", ""},
	{"test_simple_rnn_batchwise", ""},
}

// TestRecurrentConformance runs the ONNX suite's recurrent cases. Their X is time-major [T, B, I]
// (layout 0) or batch-first (layout 1, the "batchwise" cases); the IR takes [B, T, I] and gives
// Y as [B, T, H] and Y_h as [B, H], so the test transposes the suite's data accordingly. Cases
// whose node outputs both Y and Y_h run once per output, since an IR recurrent node has one.
func TestRecurrentConformance(t *testing.T) {
	if _, err := os.Stat(onnxSuite); err != nil {
		t.Skip("ONNX conformance suite (libonnx-testdata) not installed:", err)
	}
	found, _ := filepath.Glob(filepath.Join(onnxSuite, "node", "test_*"))
	listed := map[string]bool{}
	for _, c := range rnnSuiteCases {
		listed[c.name] = true
	}
	for _, dir := range found {
		base := filepath.Base(dir)
		if (strings.Contains(base, "lstm") || strings.Contains(base, "gru") || strings.Contains(base, "rnn")) && !listed[base] {
			t.Errorf("suite case %s is not in rnnSuiteCases", base)
		}
	}
	ran := 0
	for _, c := range rnnSuiteCases {
		dir := filepath.Join(onnxSuite, "node", c.name)
		data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
		if err != nil {
			t.Logf("%s: not in this version of the suite", c.name)
			continue
		}
		var m onnxpb.ModelProto
		if err := proto.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		inputs, err := readTensors(filepath.Join(dir, "test_data_set_0"), "input", len(m.GetGraph().GetInput()))
		if err != nil {
			t.Fatal(err)
		}
		outputs, err := readTensors(filepath.Join(dir, "test_data_set_0"), "output", len(m.GetGraph().GetOutput()))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, in := range m.GetGraph().GetInput() {
			names = append(names, in.GetName())
		}
		layout := int64(0)
		for _, a := range m.GetGraph().GetNode()[0].GetAttribute() {
			if a.GetName() == "layout" {
				layout = a.GetI()
			}
		}
		for o, out := range m.GetGraph().GetOutput() {
			one := proto.Clone(&m).(*onnxpb.ModelProto)
			one.Graph.Output = []*onnxpb.ValueInfoProto{out}
			g, _, err := importWithConstants(one, names, inputs, 1)
			if c.reject != "" {
				if err == nil || !strings.Contains(err.Error(), c.reject) {
					t.Errorf("%s: import error %v, want one mentioning %q", c.name, err, c.reject)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s (output %s): %v", c.name, out.GetName(), err)
				continue
			}
			x, err := floatTensorData(inputs[0])
			if err != nil {
				t.Fatal(err)
			}
			want, err := floatTensorData(outputs[o])
			if err != nil {
				t.Fatal(err)
			}
			if layout == 0 {
				x = rnnSwap01(x) // [T, B, I] -> [B, T, I]
				if len(want.Shape) == 4 {
					// Y [T, 1, B, H] -> [B, T, H]
					want = rnnSwap01(&model.Tensor{Shape: []int{want.Shape[0], want.Shape[2], want.Shape[3]}, Data: want.Data})
				} else {
					// Y_h [1, B, H] -> [B, H]: the same data
					want = &model.Tensor{Shape: want.Shape[1:], Data: want.Data}
				}
			}
			res, err := g.Run(x)
			if err != nil {
				t.Errorf("%s: run: %v", c.name, err)
				continue
			}
			if err := compareTensors(res[0], want); err != nil {
				t.Errorf("%s output %s: %v", c.name, out.GetName(), err)
				continue
			}
			ran++
			t.Logf("%s output %s: IR %v matches", c.name, out.GetName(), res[0].Shape)
		}
	}
	if ran < 10 {
		t.Errorf("only %d recurrent suite outputs ran and matched", ran)
	}
}

// rnnSwap01 swaps the first two dimensions of a rank-3 tensor.
func rnnSwap01(x *model.Tensor) *model.Tensor {
	a, b, c := x.Shape[0], x.Shape[1], x.Shape[2]
	y := model.NewTensor(b, a, c)
	for i := 0; i < a; i++ {
		for j := 0; j < b; j++ {
			copy(y.Data[(j*a+i)*c:(j*a+i+1)*c], x.Data[(i*b+j)*c:(i*b+j+1)*c])
		}
	}
	return y
}

// rnnUsesRecurrent reports whether a model has recurrent nodes; the generic conformance runner
// leaves those to TestRecurrentConformance, which knows their batch layout.
func rnnUsesRecurrent(m *onnxpb.ModelProto) bool {
	for _, n := range m.GetGraph().GetNode() {
		switch n.GetOpType() {
		case "RNN", "LSTM", "GRU":
			return true
		}
	}
	return false
}

// rnnTestModel builds a time-major LSTM (T=3, B=2, I=2, H=2) whose pieces the error tests
// change.
type rnnTestModel struct {
	attrs   []*onnxpb.AttributeProto
	inputs  []string // LSTM inputs after X, W, R
	outputs []string
	x       string // the LSTM's X
	extra   func(m *onnxModel)
	wDims   []int64
}

func (c rnnTestModel) bytes(t *testing.T) []byte {
	const h, in = 2, 2
	wDims := c.wDims
	if wDims == nil {
		wDims = []int64{1, 4 * h, in}
	}
	wn := int(wDims[0] * wDims[1] * wDims[2])
	m := newONNXModel().input("x", 3, 2, in).
		floats("W", wDims, seq(wn, -0.5, 0.05)).
		floats("R", []int64{1, 4 * h, h}, seq(4*h*h, 0.3, -0.04)).
		floats("B", []int64{1, 8 * h}, seq(8*h, 0.1, 0.01)).
		floats("P", []int64{1, 3 * h}, seq(3*h, 0.1, 0.01)).
		floats("h0", []int64{1, 2, h}, []float32{1, 2, 3, 4})
	x := c.x
	if x == "" {
		x = "x"
	}
	outs := c.outputs
	if outs == nil {
		outs = strs("", "yh")
	}
	m.node("LSTM", "lstm", append(strs(x, "W", "R"), c.inputs...), outs, append([]*onnxpb.AttributeProto{attrInt("hidden_size", h)}, c.attrs...)...)
	for _, o := range outs {
		if o != "" {
			m.output(o)
		}
	}
	if c.extra != nil {
		c.extra(m)
	}
	return m.bytes(t)
}

// TestRecurrentImportErrors checks that every unsupported feature gives an error naming the node
// and the feature.
func TestRecurrentImportErrors(t *testing.T) {
	cases := []struct {
		name string
		m    rnnTestModel
		want string
	}{
		{"bidirectional", rnnTestModel{attrs: []*onnxpb.AttributeProto{attrString("direction", "bidirectional")}}, "direction \"bidirectional\""},
		{"reverse", rnnTestModel{attrs: []*onnxpb.AttributeProto{attrString("direction", "reverse")}}, "direction \"reverse\""},
		{"two directions of weights", rnnTestModel{wDims: []int64{2, 8, 2}}, "W \"W\" has shape [2 8 2]"},
		{"wrong input size", rnnTestModel{wDims: []int64{1, 8, 3}}, "W \"W\" has shape [1 8 3]"},
		{"peepholes", rnnTestModel{inputs: strs("B", "", "", "", "P")}, "peephole"},
		{"clip", rnnTestModel{attrs: []*onnxpb.AttributeProto{attrFloat("clip", -1)}}, "clip -1"},
		{"input_forget", rnnTestModel{attrs: []*onnxpb.AttributeProto{attrInt("input_forget", 1)}}, "input_forget"},
		{"activations", rnnTestModel{attrs: []*onnxpb.AttributeProto{{Name: proto.String("activations"),
			Type: onnxpb.AttributeProto_STRINGS.Enum(), Strings: [][]byte{[]byte("Relu"), []byte("Tanh"), []byte("Tanh")}}}}, "activations [Relu Tanh Tanh]"},
		{"hidden_size", rnnTestModel{attrs: []*onnxpb.AttributeProto{attrInt("hidden_size", 3)}}, "hidden_size 3"},
		{"Y and Y_h", rnnTestModel{outputs: strs("y", "yh")}, "several outputs (Y, Y_h)"},
		{"Y_c", rnnTestModel{outputs: strs("", "", "yc")}, "Y_c"},
		{"per-sample initial state", rnnTestModel{inputs: strs("B", "", "h0")}, "differs between samples"},
		{"initial state from an input", rnnTestModel{inputs: strs("B", "", "h1"), extra: func(m *onnxModel) {
			m.input("h1", 1, 2, 2)
		}}, "initial_h \"h1\" is computed at run time"},
		{"short sequences", rnnTestModel{inputs: strs("B", "lens"), extra: func(m *onnxModel) {
			m.ints("lens", 3, 2)
		}}, "full length T=3"},
		{"time-major activation", rnnTestModel{x: "xr", extra: func(m *onnxModel) {
			m.nodes = append([]*onnxpb.NodeProto{{OpType: proto.String("Relu"), Name: proto.String("relu"),
				Input: strs("x"), Output: strs("xr")}}, m.nodes...)
		}}, "comes from neither a graph input nor a Transpose"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := model.ImportONNX(c.m.bytes(t))
			if err == nil {
				t.Fatal("import succeeded")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `"lstm"`) {
				t.Errorf("error %q, want one naming node \"lstm\" and containing %q", err, c.want)
			}
		})
	}
	// The unchanged model imports, with the graph input taken as [B, T, I].
	g, err := model.ImportONNX(rnnTestModel{inputs: strs("B")}.bytes(t))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.Inputs[0].Shape, []int{3, 2}) || !slices.Equal(g.Outputs[0].Shape, []int{2}) {
		t.Errorf("graph %v -> %v, want [3 2] -> [2]", g.Inputs[0].Shape, g.Outputs[0].Shape)
	}
}

// TestRecurrentValidateErrors checks the IR-level shape checks of recurrent nodes.
func TestRecurrentValidateErrors(t *testing.T) {
	good := func() *model.Node {
		return &model.Node{Name: "gru", Op: model.OpGRU, Inputs: []string{"x"}, Outputs: []string{"y"},
			Weight: model.NewTensor(9, 4), Recurrent: model.NewTensor(9, 3), Attrs: model.Attrs{Hidden: 3}}
	}
	cases := []struct {
		what   string
		change func(n *model.Node)
		input  []int
		want   string
	}{
		{"rank-3 input", func(n *model.Node) {}, []int{5, 4, 1}, "want [T, I]"},
		{"weight rows", func(n *model.Node) { n.Weight = model.NewTensor(8, 4) }, nil, "weight has shape [8 4], want [9 4]"},
		{"input size", func(n *model.Node) { n.Weight = model.NewTensor(9, 5) }, nil, "weight has shape [9 5], want [9 4]"},
		{"no recurrent weight", func(n *model.Node) { n.Recurrent = nil }, nil, "has no recurrent weight"},
		{"bias size", func(n *model.Node) { n.Bias = model.NewTensor(9) }, nil, "bias has shape [9], want [18]"},
		{"cell state on a GRU", func(n *model.Node) { n.InitialC = model.NewTensor(3) }, nil, "only LSTM"},
		{"hidden size", func(n *model.Node) { n.Attrs.Hidden = 0 }, nil, "hidden size 0"},
		{"activations", func(n *model.Node) { n.Attrs.Activations = []string{"Relu", "Tanh"} }, nil, "only the defaults"},
		{"short data", func(n *model.Node) { n.Recurrent.Data = n.Recurrent.Data[:5] }, nil, "does not match its 5 elements"},
	}
	for _, c := range cases {
		n := good()
		c.change(n)
		in := c.input
		if in == nil {
			in = []int{5, 4}
		}
		g := &model.Graph{Inputs: []model.Value{{Name: "x", Shape: in}}, Outputs: []model.Value{{Name: "y"}}, Nodes: []*model.Node{n}}
		err := g.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `"gru"`) {
			t.Errorf("%s: error %v, want one naming node \"gru\" and containing %q", c.what, err, c.want)
		}
	}
}

// BenchmarkLSTMHeadBatch64 measures the reference LSTM head (T=16, F=10, H=32) on 64 samples.
func BenchmarkLSTMHeadBatch64(b *testing.B) {
	g, err := model.LoadFile(fixtures + "lstm_head.onnx")
	if err != nil {
		b.Fatal(err)
	}
	x := rnnRepeat(loadNPY(b, "lstm_head_x.npy"), 64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := g.Run(x); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRecurrentLastStepPatterns checks that the ways of taking the last step of Y (Slice with
// start -1, Gather with index -1) fold into the node and agree with its Y_h output.
func TestRecurrentLastStepPatterns(t *testing.T) {
	build := func(tail func(m *onnxModel)) *model.Graph {
		m := newONNXModel().input("x", "batch", 3, 2).
			floats("W", []int64{1, 8, 2}, seq(16, -0.5, 0.07)).
			floats("R", []int64{1, 8, 2}, seq(16, 0.4, -0.05)).
			floats("B", []int64{1, 16}, seq(16, 0.1, 0.02)).
			ints("ax0", 0).ints("ax1", 1).ints("start", -1).ints("end", math.MaxInt64).ints("idx", -1).
			node("Transpose", "tr", strs("x"), strs("xt"), attrInts("perm", 1, 0, 2))
		tail(m)
		m.output("out")
		g, err := model.ImportONNX(m.bytes(t))
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	yh := build(func(m *onnxModel) {
		m.node("LSTM", "lstm", strs("xt", "W", "R", "B"), strs("", "h"), attrInt("hidden_size", 2)).
			node("Squeeze", "sq", strs("h", "ax0"), strs("out"))
	})
	slice := build(func(m *onnxModel) {
		m.node("LSTM", "lstm", strs("xt", "W", "R", "B"), strs("y"), attrInt("hidden_size", 2)).
			node("Squeeze", "sq", strs("y", "ax1"), strs("ys")).
			node("Slice", "last", strs("ys", "start", "end", "ax0"), strs("yl")).
			node("Squeeze", "sq2", strs("yl", "ax0"), strs("out"))
	})
	gather := build(func(m *onnxModel) {
		m.node("LSTM", "lstm", strs("xt", "W", "R", "B"), strs("y"), attrInt("hidden_size", 2)).
			node("Squeeze", "sq", strs("y", "ax1"), strs("ys")).
			node("Transpose", "tr2", strs("ys"), strs("yb"), attrInts("perm", 1, 0, 2)).
			node("Constant", "minus1", nil, strs("idx0"), attrInt("value_int", -1)).
			node("Gather", "last", strs("yb", "idx0"), strs("out"), attrInt("axis", 1))
	})
	// A 1-D index keeps the time axis, [B, 1, H]: the importer adds a Reshape.
	gather1 := build(func(m *onnxModel) {
		m.node("LSTM", "lstm", strs("xt", "W", "R", "B"), strs("y"), attrInt("hidden_size", 2)).
			node("Squeeze", "sq", strs("y", "ax1"), strs("ys")).
			node("Transpose", "tr2", strs("ys"), strs("yb"), attrInts("perm", 1, 0, 2)).
			node("Gather", "last", strs("yb", "idx"), strs("out"), attrInt("axis", 1))
	})
	x := &model.Tensor{Shape: []int{4, 3, 2}, Data: seq(24, -1, 0.09)}
	want, err := yh.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	for name, g := range map[string]*model.Graph{"slice": slice, "gather": gather} {
		if len(g.Nodes) != 1 || g.Nodes[0].Op != model.OpLSTM || g.Nodes[0].Attrs.Sequence {
			t.Errorf("%s: IR nodes %v, want one last-step LSTM", name, nodeNames(g))
		}
		got, err := g.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got[0].Shape, []int{4, 2}) || !slices.Equal(got[0].Data, want[0].Data) {
			t.Errorf("%s: %v %v, want %v %v", name, got[0].Shape, got[0].Data, want[0].Shape, want[0].Data)
		}
	}
	got, err := gather1.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	if len(gather1.Nodes) != 2 || gather1.Nodes[1].Op != model.OpReshape || !slices.Equal(got[0].Shape, []int{4, 1, 2}) || !slices.Equal(got[0].Data, want[0].Data) {
		t.Errorf("1-D index: nodes %v, output %v %v, want LSTM, Reshape and [4 1 2] %v", nodeNames(gather1), got[0].Shape, got[0].Data, want[0].Data)
	}
}
