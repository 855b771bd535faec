package model_test

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// This file tests how the ONNX importer maps the operators beyond LeNet onto the IR.

func opsImport(t *testing.T, m *onnxModel) *model.Graph {
	t.Helper()
	g, err := model.ImportONNX(m.bytes(t))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func opsOf(g *model.Graph) []model.Op {
	var ops []model.Op
	for _, n := range g.Nodes {
		ops = append(ops, n.Op)
	}
	return ops
}

func opsSame(a, b []model.Op) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestImportBatchNormWithoutLayerBecomesMulAdd(t *testing.T) {
	scale, bias, mean, vr := []float32{1.5, 0.5}, []float32{0.1, -0.2}, []float32{0.3, -1}, []float32{2, 0.25}
	m := newONNXModel().input("x", "N", 2, 2, 3).
		floats("s", []int64{2}, scale).floats("b", []int64{2}, bias).floats("m", []int64{2}, mean).floats("v", []int64{2}, vr).
		node("BatchNormalization", "bn", strs("x", "s", "b", "m", "v"), strs("y"), attrFloat("epsilon", 1e-3)).output("y")
	g := opsImport(t, m)
	if got := opsOf(g); !opsSame(got, []model.Op{model.OpMul, model.OpAdd}) {
		t.Fatalf("ops %v, want [Mul Add]", got)
	}
	if len(g.Consts) != 2 || !slices.Equal(g.Consts[0].Tensor.Shape, []int{2, 1, 1}) || !slices.Equal(g.Consts[1].Tensor.Shape, []int{2, 1, 1}) {
		t.Fatalf("constants %+v, want two of shape [2 1 1]", g.Consts)
	}
	x := &model.Tensor{Shape: []int{2, 2, 2, 3}, Data: seq(24, -3, 0.25)}
	out, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range x.Data {
		c := (i / 6) % 2
		want := float64(scale[c])*(float64(v)-float64(mean[c]))/math.Sqrt(float64(vr[c])+1e-3) + float64(bias[c])
		if math.Abs(float64(out[0].Data[i])-want) > 1e-5 {
			t.Fatalf("element %d = %v, want %v", i, out[0].Data[i], want)
		}
	}
	// Encode and Decode keep the constants.
	var buf bytes.Buffer
	if err := g.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := model.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	out2, err := back.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out[0].Data, out2[0].Data) {
		t.Error("decoded graph computes different values")
	}
}

func TestImportAddFoldsOrBroadcasts(t *testing.T) {
	// Conv then Add of a per-channel constant [1,2,1,1]: folded into the bias.
	m := newONNXModel().input("x", "N", 1, 3, 3).floats("w", []int64{2, 1, 1, 1}, []float32{1, 2}).
		floats("c", []int64{1, 2, 1, 1}, []float32{10, 20}).
		node("Conv", "cv", strs("x", "w"), strs("h")).node("Add", "ad", strs("h", "c"), strs("y")).output("y")
	g := opsImport(t, m)
	if got := opsOf(g); !opsSame(got, []model.Op{model.OpConv}) || !slices.Equal(g.Nodes[0].Bias.Data, []float32{10, 20}) {
		t.Fatalf("ops %v bias %v, want the Add folded into the Conv bias [10 20]", got, g.Nodes[0].Bias)
	}
	// The same Add when the Conv output is also used elsewhere: a broadcasting Add with a
	// constant [2,1,1] (the leading batch 1 dropped), then Mul of the two branches.
	m = newONNXModel().input("x", "N", 1, 3, 3).floats("w", []int64{2, 1, 1, 1}, []float32{1, 2}).
		floats("c", []int64{1, 2, 1, 1}, []float32{10, 20}).
		node("Conv", "cv", strs("x", "w"), strs("h")).node("Add", "ad", strs("h", "c"), strs("a")).
		node("Mul", "mu", strs("a", "h"), strs("y")).output("y")
	g = opsImport(t, m)
	if got := opsOf(g); !opsSame(got, []model.Op{model.OpConv, model.OpAdd, model.OpMul}) {
		t.Fatalf("ops %v, want [Conv Add Mul]", got)
	}
	if len(g.Consts) != 1 || !slices.Equal(g.Consts[0].Tensor.Shape, []int{2, 1, 1}) {
		t.Fatalf("constants %+v, want one [2 1 1]", g.Consts)
	}
	x := &model.Tensor{Shape: []int{1, 1, 3, 3}, Data: seq(9, -1, 0.5)}
	out, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out[0].Data {
		c, xv := i/9, float64(x.Data[i%9])
		h := xv * float64(c+1)
		if want := (h + float64(10*(c+1))) * h; math.Abs(float64(v)-want) > 1e-4 {
			t.Fatalf("element %d = %v, want %v", i, v, want)
		}
	}
	// Sub with the constant first, a scalar.
	m = newONNXModel().input("x", "N", 3).floats("c", []int64{}, []float32{1}).
		node("Sub", "sb", strs("c", "x"), strs("y")).output("y")
	g = opsImport(t, m)
	out, err = g.Run(&model.Tensor{Shape: []int{1, 3}, Data: []float32{0.5, 2, -1}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out[0].Data, []float32{0.5, -1, 2}) {
		t.Errorf("1 - x = %v", out[0].Data)
	}
}

func TestImportClipForms(t *testing.T) {
	m := newONNXModel().input("x", "N", 4).floats("lo", []int64{}, []float32{0}).floats("hi", []int64{}, []float32{6}).
		node("Clip", "relu6", strs("x", "lo", "hi"), strs("a")).
		node("Clip", "floor", strs("a", "lo"), strs("b")).
		node("Clip", "ceil", strs("b", "", "hi"), strs("y")).output("y")
	g := opsImport(t, m)
	want := [][2]float32{{0, 6}, {0, math.MaxFloat32}, {-math.MaxFloat32, 6}}
	for i, n := range g.Nodes {
		if n.Op != model.OpClip || n.Attrs.Min != want[i][0] || n.Attrs.Max != want[i][1] {
			t.Errorf("node %s: %s [%v, %v], want Clip %v", n.Name, n.Op, n.Attrs.Min, n.Attrs.Max, want[i])
		}
	}
	old := newONNXModel().input("x", "N", 4).node("Clip", "c", strs("x"), strs("y"), attrFloat("min", -1), attrFloat("max", 2)).output("y")
	old.opset = 6
	g = opsImport(t, old)
	if a := g.Nodes[0].Attrs; a.Min != -1 || a.Max != 2 {
		t.Errorf("opset 6 Clip attrs [%v, %v], want [-1, 2]", a.Min, a.Max)
	}
	out, err := g.Run(&model.Tensor{Shape: []int{1, 4}, Data: []float32{-3, 0.5, 2.5, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out[0].Data, []float32{-1, 0.5, 2, 1}) {
		t.Errorf("clip = %v", out[0].Data)
	}
}

func TestImportShapeOperators(t *testing.T) {
	// [N,2,3,4] -> Gather scalar index 1 on axis 2 -> [2,4] -> Unsqueeze axes 1,3 -> [1,2,1,4]
	// -> Squeeze (no axes) -> [2,4] -> Slice axis 2 reversed -> Transpose -> [4,2]
	// -> ReduceMean axis 1 keepdims -> [4,1] -> Concat with itself -> [4,2]
	m := newONNXModel().input("x", "N", 2, 3, 4).ints("one", 1).ints("ua", 1, 3).
		ints("st", -1, 0).ints("en", math.MinInt64, math.MaxInt64).ints("sa", 2, 0).ints("ss", -1, 1).
		node("Gather", "ga", strs("x", "one"), strs("g"), attrInt("axis", 2)).
		node("Unsqueeze", "un", strs("g", "ua"), strs("u")).
		node("Squeeze", "sq", strs("u"), strs("s")).
		node("Slice", "sl", strs("s", "st", "en", "sa", "ss"), strs("l")).
		node("Transpose", "tr", strs("l"), strs("t"), attrInts("perm", 0, 2, 1)).
		node("ReduceMean", "rm", strs("t"), strs("r"), attrInts("axes", -1)).
		node("Concat", "cc", strs("r", "r"), strs("y"), attrInt("axis", 2)).output("y")
	// Gather's indices are a 1-element vector above; make a scalar one.
	m.inits[0].Dims = nil
	g := opsImport(t, m)
	want := map[string][]int{"g": {2, 4}, "u": {1, 2, 1, 4}, "s": {2, 4}, "l": {2, 4}, "t": {4, 2}, "r": {4, 1}, "y": {4, 2}}
	for v, s := range want {
		if !slices.Equal(g.Shapes[v], s) {
			t.Errorf("shape of %s = %v, want %v", v, g.Shapes[v], s)
		}
	}
	x := &model.Tensor{Shape: []int{2, 2, 3, 4}, Data: seq(48, 0, 1)}
	out, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	// Per sample: g[c][w] = x[c][1][w]; reversed over w, then transposed: t[w][c] = x[c][1][3-w];
	// mean over c, twice.
	for s := 0; s < 2; s++ {
		for w := 0; w < 4; w++ {
			mean := (float64(x.Data[s*24+0*12+4+3-w]) + float64(x.Data[s*24+1*12+4+3-w])) / 2
			for k := 0; k < 2; k++ {
				if got := out[0].Data[s*8+w*2+k]; float64(got) != mean {
					t.Fatalf("sample %d row %d: %v, want %v", s, w, got, mean)
				}
			}
		}
	}
}

func TestImportSoftmaxOnAnyAxis(t *testing.T) {
	for _, opset := range []int64{11, 13} {
		m := newONNXModel().input("x", "N", 3, 2, 2).node("Softmax", "sm", strs("x"), strs("y"), attrInt("axis", 1)).output("y")
		m.opset = opset
		g := opsImport(t, m)
		x := &model.Tensor{Shape: []int{2, 3, 2, 2}, Data: seq(24, -2, 0.3)}
		out, err := g.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		for s := 0; s < 2; s++ {
			for i := 0; i < 12; i++ {
				var num, den float64
				for j := 0; j < 12; j++ {
					// opset 13 normalises axis 1 only; opset 11 everything from axis 1 on
					if opset == 13 && j%4 != i%4 {
						continue
					}
					e := math.Exp(float64(x.Data[s*12+j]))
					den += e
					if j == i {
						num = e
					}
				}
				if got := float64(out[0].Data[s*12+i]); math.Abs(got-num/den) > 1e-6 {
					t.Fatalf("opset %d: element %d = %v, want %v", opset, i, got, num/den)
				}
			}
		}
	}
}

func TestImportConvAutoPad(t *testing.T) {
	cases := []struct {
		dims    []any
		wdims   []int64
		autoPad string
		strides []int64
		pads    []int
	}{
		{[]any{"N", 1, 10}, []int64{1, 1, 4}, "SAME_UPPER", []int64{1}, []int{0, 1, 0, 2}},
		{[]any{"N", 1, 10}, []int64{1, 1, 4}, "SAME_LOWER", []int64{1}, []int{0, 2, 0, 1}},
		{[]any{"N", 1, 7, 7}, []int64{1, 1, 2, 4}, "SAME_LOWER", []int64{2, 2}, []int{1, 2, 0, 1}},
		{[]any{"N", 1, 7, 7}, []int64{1, 1, 2, 4}, "SAME_UPPER", []int64{2, 2}, []int{0, 1, 1, 2}},
	}
	for _, c := range cases {
		m := newONNXModel().input("x", c.dims...).floats("w", c.wdims, seq(int(c.wdims[2]*opsLast(c.wdims)), 1, 0)).
			node("Conv", "cv", strs("x", "w"), strs("y"), attrString("auto_pad", c.autoPad), attrInts("strides", c.strides...)).output("y")
		g := opsImport(t, m)
		if n := g.Nodes[0]; !slices.Equal(n.Attrs.Pads, c.pads) {
			t.Errorf("%v %s: pads %v, want %v", c.dims, c.autoPad, n.Attrs.Pads, c.pads)
		}
		// SAME keeps ceil(size / stride)
		in := g.Inputs[0].Shape
		for i, d := range g.Shapes["y"][1:] {
			if s := int(c.strides[i]); d != (in[1+i]+s-1)/s {
				t.Errorf("%v %s: output %v", c.dims, c.autoPad, g.Shapes["y"])
			}
		}
	}
}

func opsLast(s []int64) int64 {
	if len(s) == 4 {
		return s[3]
	}
	return 1
}
