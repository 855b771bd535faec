package codegen

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
)

// TestSparse8Encode checks the sparse8 streams on a matrix with an empty row, a gap longer
// than a nibble, and columns in a second block.
func TestSparse8Encode(t *testing.T) {
	const rows, cols = 3, 300
	w := make([]int8, rows*cols)
	w[1*cols+0], w[1*cols+40], w[1*cols+254], w[1*cols+255], w[1*cols+299] = 1, -2, 3, -128, 127
	w[2*cols+17] = 5
	m := encodeSparse8(w, rows)
	if m.blocks != 2 {
		t.Fatalf("%d blocks for %d columns, want 2", m.blocks, cols)
	}
	wantCounts := []uint8{0, 0, 3, 2, 1, 0}
	wantVals := []int8{1, -2, 3, -128, 127, 5}
	wantCols := []uint8{0, 40, 254, 0, 44, 17}
	if fmt.Sprint(m.counts) != fmt.Sprint(wantCounts) || fmt.Sprint(m.values) != fmt.Sprint(wantVals) || fmt.Sprint(m.columns) != fmt.Sprint(wantCols) {
		t.Errorf("counts %v values %v columns %v; want %v %v %v", m.counts, m.values, m.columns, wantCounts, wantVals, wantCols)
	}
	// Decoding the streams gives the matrix back.
	got := make([]int8, rows*cols)
	j := 0
	for r := 0; r < rows; r++ {
		for b := 0; b < m.blocks; b++ {
			for k := 0; k < int(m.counts[r*m.blocks+b]); k++ {
				got[r*cols+b*sparse8Block+int(m.columns[j])] = m.values[j]
				j++
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(w) {
		t.Error("decoded matrix differs from the input")
	}
	if b := sparse8Bytes(rows, cols, 6, 0); b != 2*6+rows*2 {
		t.Errorf("sparse8Bytes = %d, want %d", b, 2*6+rows*2)
	}
}

// sparse8Edges gives the first Dense layer of g an all-zero row and a row whose only
// nonzeros are its first and last columns (a gap far longer than 15).
func sparse8Edges(t *testing.T, g *model.Graph) {
	t.Helper()
	for _, n := range g.Nodes {
		if n.Op != model.OpDense || n.QWeight == nil {
			continue
		}
		rows := n.QWeight.Shape[0]
		cols := len(n.QWeight.Data) / rows
		if rows < 2 || cols < 20 {
			continue
		}
		for c := 0; c < cols; c++ {
			n.QWeight.Data[c] = 0
			n.QWeight.Data[cols+c] = 0
		}
		n.QWeight.Data[cols], n.QWeight.Data[2*cols-1] = 7, -9
		return
	}
	t.Fatalf("%s: no Dense layer to edit", g.Name)
}

// sparse8LeNet returns the MNIST LeNet quantized to int8 (per-tensor, 64 calibration images)
// and 4 test images, or skips when the shared data is absent.
func sparse8LeNet(t *testing.T) (*model.Graph, *model.Tensor) {
	t.Helper()
	g, x := loadLeNet(t, 64)
	q, err := explore.Quantize(g, &dataset.Dataset{Name: "mnist calibration", X: x}, explore.QuantizeOptions{PerTensor: true})
	if err != nil {
		t.Fatal(err)
	}
	in := model.NewTensor(append([]int{4}, x.Shape[1:]...)...)
	copy(in.Data, x.Data)
	return q, in
}

// TestSparse8Exact checks that sparse8 code is bit-exact with the interpreter on the ad01
// autoencoder (the ae_mlp shape) and on LeNet at 50, 80 and 90 % sparsity, with an empty row
// and a long gap, and that auto picks sparse8 for every layer at 80 %.
func TestSparse8Exact(t *testing.T) {
	requireGCC(t)
	ad := loadExample(t, "ad01/ad01_int8.tflite")
	adIn, _ := ad01Inputs(t, ad, 3)
	lenet, lenetIn := sparse8LeNet(t)
	for _, c := range []struct {
		name string
		g    *model.Graph
		in   *model.Tensor
	}{{"ad01", ad, adIn}, {"lenet", lenet, lenetIn}} {
		for _, sp := range []float64{0.5, 0.8, 0.9} {
			g := q8Sparse(c.g, sp, 11)
			sparse8Edges(t, g)
			tv, err := interpreterVectors(g, c.in)
			if err != nil {
				t.Fatal(err)
			}
			what := fmt.Sprintf("%s %.0f%% sparse8", c.name, 100*sp)
			out := generate(t, g, Options{Format: FormatSparse8, Vectors: tv, BenchIterations: 1})
			for _, l := range out.Plan.Layers {
				if (l.Kind == KindDense || l.Kind == KindConv) && l.Format != FormatSparse8 {
					t.Errorf("%s: layer %s has format %q", what, l.Node, l.Format)
				}
			}
			assertExact(t, what, buildAndRun(t, out, ""), c.in.Shape[0])
			if sp != 0.8 {
				continue
			}
			auto := generate(t, g, Options{Vectors: tv, BenchIterations: 1})
			dense := generate(t, g, Options{Format: FormatDense})
			for _, l := range auto.Plan.Layers {
				if (l.Kind == KindDense || l.Kind == KindConv) && l.Rows*l.Cols >= 1024 && l.Format != FormatSparse8 {
					t.Errorf("%s auto: layer %s (%dx%d) has format %q, want sparse8", c.name, l.Node, l.Rows, l.Cols, l.Format)
				}
			}
			if auto.Plan.WeightBytes*100 > dense.Plan.WeightBytes*45 {
				t.Errorf("%s 80%% auto: %d weight bytes, dense %d: want <= 0.45x", c.name, auto.Plan.WeightBytes, dense.Plan.WeightBytes)
			}
			assertExact(t, c.name+" 80% auto", buildAndRun(t, auto, ""), c.in.Shape[0])
		}
	}
}

// TestSparse8Sanitized runs sparse8 code (Dense; regular, depthwise and pointwise convolutions
// with padded borders) under ASan and UBSan.
func TestSparse8Sanitized(t *testing.T) {
	requireGCC(t)
	ad := q8Sparse(loadExample(t, "ad01/ad01_int8.tflite"), 0.8, 3)
	sparse8Edges(t, ad)
	for _, g := range []*model.Graph{q8Sparse(q8KernelNet(), 0.8, 9), q8Sparse(q8KernelNet(), 0.9, 4), ad} {
		tv := q8Vectors(t, g, 3)
		out := generate(t, g, Options{Format: FormatSparse8, Vectors: tv, BenchIterations: 1})
		assertExact(t, g.Name+"/sparse8 (asan+ubsan)", buildAndRun(t, out, sanitizeFlags), 3)
	}
}

// TestSparse8FloatFallsBack checks that a float graph asked for sparse8 gets its float
// counterpart, rcsr4.
func TestSparse8FloatFallsBack(t *testing.T) {
	g, _ := loadLeNet(t, 1)
	p, err := PlanGraph(g, Options{Format: FormatSparse8})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range p.Layers {
		if l.Kind == KindDense && l.Format != FormatRCSR4 {
			t.Errorf("float layer %s: format %q, want rcsr4", l.Node, l.Format)
		}
	}
}

// sparse8WideNet has convolutions of more than 255 columns per group (two column blocks),
// one of them grouped, with padding borders, and a per-tensor Dense layer of 2 blocks.
func sparse8WideNet() *model.Graph {
	rng := rand.New(rand.NewSource(44))
	g := graph("sparse8wide", "x", []int{32, 6, 7}, "y",
		q8Op("xq", model.OpQuantize, q8Params(0.05, -7), model.Attrs{}, "x"),
		q8WeightNode(rng, model.OpConv, "wide", "xq", q8Params(0.3, 4), true,
			model.Attrs{Pads: []int{1, 1, 1, 1}}, 64, 32, 3, 3),
		q8WeightNode(rng, model.OpConv, "grouped", "wide", q8Params(0.6, -2), false,
			model.Attrs{Group: 2, Pads: []int{1, 0, 1, 0}, Strides: []int{2, 2}}, 6, 32, 3, 3),
		q8Op("flat", model.OpReshape, q8Params(0.6, -2), model.Attrs{Shape: []int{6 * 3 * 3}}, "grouped"),
		q8WeightNode(rng, model.OpDense, "fc", "flat", q8Params(0.5, 1), false, model.Attrs{}, 300, 6*3*3),
		q8WeightNode(rng, model.OpDense, "fc2", "fc", q8Params(0.5, 1), false, model.Attrs{}, 10, 300),
		&model.Node{Name: "y", Op: model.OpDequantize, Inputs: []string{"fc2"}, Outputs: []string{"y"}},
	)
	setQ8Values(g)
	return g
}

// TestSparse8Blocked checks the blocked kernels (more than 255 columns) bit-exactly, plain
// and under ASan and UBSan.
func TestSparse8Blocked(t *testing.T) {
	requireGCC(t)
	for _, sp := range []float64{0.5, 0.9} {
		g := q8Sparse(sparse8WideNet(), sp, 5)
		tv := q8Vectors(t, g, 3)
		out := generate(t, g, Options{Format: FormatSparse8, Vectors: tv, BenchIterations: 1})
		blocked := 0
		for _, k := range out.Plan.Kernels {
			if strings.HasSuffix(k, "_sparse8_blocked") {
				blocked++
			}
		}
		if blocked != 2 {
			t.Errorf("%.0f%%: kernels %v, want the blocked conv and Dense kernels", 100*sp, out.Plan.Kernels)
		}
		assertExact(t, fmt.Sprintf("wide %.0f%% sparse8", 100*sp), buildAndRun(t, out, ""), 3)
		assertExact(t, fmt.Sprintf("wide %.0f%% sparse8 (asan+ubsan)", 100*sp), buildAndRun(t, out, sanitizeFlags), 3)
	}
}
