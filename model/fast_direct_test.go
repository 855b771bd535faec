package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// fastDirectCase is one convolution geometry for the direct-path tests.
type fastDirectCase struct {
	c, m, groups, kh, kw, h, w int
	strides, pads, dil         []int
	pruned                     bool
}

// node returns the case's Conv node with random weights and bias, and its per-sample shapes.
func (g fastDirectCase) node(rng *rand.Rand) (n *Node, in, out []int) {
	n = &Node{Name: "conv", Op: OpConv, Outputs: []string{"y"},
		Weight: &Tensor{Shape: []int{g.m, g.c / g.groups, g.kh, g.kw}, Data: fastRandMatrix(rng, g.m*g.c/g.groups*g.kh*g.kw, g.pruned)},
		Bias:   &Tensor{Shape: []int{g.m}, Data: fastRandMatrix(rng, g.m, false)},
		Attrs:  Attrs{Strides: g.strides, Pads: g.pads, Dilations: g.dil, Group: g.groups}}
	oh := (g.h+g.pads[0]+g.pads[2]-g.dil[0]*(g.kh-1)-1)/g.strides[0] + 1
	ow := (g.w+g.pads[1]+g.pads[3]-g.dil[1]*(g.kw-1)-1)/g.strides[1] + 1
	return n, []int{g.c, g.h, g.w}, []int{g.m, oh, ow}
}

// TestFastDirectConvMatchesIm2col runs the direct paths (the AVX-512 kernels where the machine
// has them, their portable forms elsewhere), with and without the fused Relu, over depthwise
// (multipliers 1 and 2, dilated, 1D), pointwise (1 and 2 groups) and im2col geometries (DS-CNN's
// layers, LeNet's, strided, grouped, edge rows and columns), and compares every output bit with
// the im2col path, clamped at zero for the fused Relu. The output starts as NaN, so an element
// the direct paths fail to write shows.
func TestFastDirectConvMatchesIm2col(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	one, two := []int{1, 1}, []int{2, 2}
	cases := []fastDirectCase{
		{c: 64, m: 64, groups: 64, kh: 3, kw: 3, h: 25, w: 5, strides: one, pads: []int{1, 1, 1, 1}, dil: one},
		{c: 64, m: 64, groups: 1, kh: 1, kw: 1, h: 25, w: 5, strides: one, pads: []int{0, 0, 0, 0}, dil: one},
		{c: 1, m: 64, groups: 1, kh: 10, kw: 4, h: 49, w: 10, strides: two, pads: []int{5, 1, 5, 1}, dil: one},
		{c: 4, m: 8, groups: 4, kh: 3, kw: 3, h: 11, w: 13, strides: one, pads: []int{1, 1, 1, 1}, dil: one, pruned: true},
		{c: 3, m: 3, groups: 3, kh: 5, kw: 3, h: 12, w: 9, strides: one, pads: []int{4, 2, 0, 2}, dil: []int{2, 2}},
		{c: 5, m: 5, groups: 5, kh: 1, kw: 7, h: 1, w: 300, strides: one, pads: []int{0, 3, 0, 3}, dil: one},
		{c: 8, m: 8, groups: 8, kh: 3, kw: 3, h: 40, w: 40, strides: one, pads: []int{0, 1, 2, 1}, dil: one},
		{c: 16, m: 12, groups: 1, kh: 1, kw: 1, h: 7, w: 9, strides: one, pads: []int{0, 0, 0, 0}, dil: one},
		{c: 16, m: 20, groups: 2, kh: 1, kw: 1, h: 5, w: 7, strides: one, pads: []int{0, 0, 0, 0}, dil: one},
		{c: 1, m: 32, groups: 1, kh: 5, kw: 5, h: 28, w: 28, strides: one, pads: []int{0, 0, 0, 0}, dil: one},
		{c: 6, m: 40, groups: 1, kh: 5, kw: 5, h: 12, w: 12, strides: one, pads: []int{2, 1, 0, 3}, dil: one},
		{c: 6, m: 76, groups: 2, kh: 3, kw: 2, h: 9, w: 11, strides: one, pads: []int{1, 1, 1, 1}, dil: []int{2, 3}},
		{c: 4, m: 36, groups: 1, kh: 3, kw: 3, h: 13, w: 14, strides: []int{3, 2}, pads: []int{1, 2, 0, 1}, dil: []int{2, 1}},
		{c: 3, m: 33, groups: 1, kh: 1, kw: 5, h: 1, w: 40, strides: []int{1, 3}, pads: []int{0, 2, 0, 2}, dil: []int{1, 2}},
		{c: 16, m: 4, groups: 1, kh: 1, kw: 1, h: 6, w: 6, strides: one, pads: []int{0, 0, 0, 0}, dil: one},
	}
	for i, g := range cases {
		n, in, out := g.node(rng)
		if !fastConvDirectFits(n, in, out) {
			t.Fatalf("case %d (%+v): the direct paths do not take it", i, g)
		}
		batch := 3
		x := &Tensor{Shape: append([]int{batch}, in...), Data: fastRandMatrix(rng, batch*numElems(in), false)}
		want := &Tensor{Shape: append([]int{batch}, out...), Data: make([]float32, batch*numElems(out))}
		runConvIm2col(n, x, want, in, out)
		for _, relu := range []bool{false, true} {
			got := &Tensor{Shape: want.Shape, Data: make([]float32, len(want.Data))}
			for j := range got.Data {
				got.Data[j] = float32(math.NaN())
			}
			fastConvDirect(n, x, got, in, out, relu)
			for j, w := range want.Data {
				if relu {
					w = max(w, 0)
				}
				if math.Float32bits(got.Data[j]) != math.Float32bits(w) {
					t.Fatalf("case %d (%+v) relu=%v: element %d = %v, im2col %v", i, g, relu, j, got.Data[j], w)
				}
			}
		}
	}
}

// TestFastDirectConvDeclines checks the geometries the direct paths leave to runConv: sparse
// (pruned) dense weights, strided depthwise convolutions, depthwise ones whose output rows are
// narrower than the input's, and LeNet's convolutions (too few output channels to gather an
// im2col matrix for).
func TestFastDirectConvDeclines(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	one := []int{1, 1}
	for i, g := range []fastDirectCase{
		{c: 16, m: 16, groups: 1, kh: 1, kw: 1, h: 5, w: 5, strides: one, pads: []int{0, 0, 0, 0}, dil: one, pruned: true},
		{c: 8, m: 8, groups: 8, kh: 3, kw: 3, h: 25, w: 5, strides: []int{2, 2}, pads: []int{1, 1, 1, 1}, dil: one},
		{c: 8, m: 8, groups: 8, kh: 3, kw: 3, h: 25, w: 5, strides: one, pads: []int{0, 0, 0, 0}, dil: one},
		{c: 1, m: 6, groups: 1, kh: 5, kw: 5, h: 28, w: 28, strides: one, pads: []int{0, 0, 0, 0}, dil: one},
		{c: 6, m: 16, groups: 1, kh: 5, kw: 5, h: 12, w: 12, strides: one, pads: []int{0, 0, 0, 0}, dil: one},
	} {
		n, in, out := g.node(rng)
		if fastConvDirectFits(n, in, out) {
			t.Errorf("case %d (%+v): the direct paths take it", i, g)
		}
	}
}

// TestFastDirectKernelsMatchPortable checks the assembly kernels (AVX-512, or AVX2 without it)
// against their portable Go forms bit for bit, over every column count of a block, with and without Relu, on inputs that
// include NaN, infinities and zeros.
func TestFastDirectKernelsMatchPortable(t *testing.T) {
	if !fastDirectMachine() {
		t.Skip("neither AVX-512 nor AVX2: the portable forms are the ones that run")
	}
	rng := rand.New(rand.NewPCG(15, 16))
	special := func(v []float32) {
		for i := range v {
			switch rng.IntN(40) {
			case 0:
				v[i] = float32(math.NaN())
			case 1:
				v[i] = float32(math.Inf(1 - 2*rng.IntN(2)))
			case 2:
				v[i] = 0
			}
		}
	}
	for _, k := range []int{1, 7, 64, 150} {
		for nj := 1; nj <= 32; nj++ {
			for _, relu := range []bool{false, true} {
				ldb, ldc := nj+rng.IntN(5), nj+rng.IntN(5)
				a, b, bias := fastRandMatrix(rng, 8*k, false), fastRandMatrix(rng, k*ldb, false), fastRandMatrix(rng, 8, false)
				special(b)
				got, want := fastRandMatrix(rng, 8*ldc, false), make([]float32, 8*ldc)
				copy(want, got) // the columns past nj must stay as they were
				fastGemm8x32(k, nj, a, b, ldb, got, ldc, bias, relu)
				fastGemm8x32Go(k, nj, a, b, ldb, want, ldc, bias, relu)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("fastGemm8x32 k=%d nj=%d relu=%v: element %d = %v (%#x), portable %v (%#x)", k, nj, relu, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}
			}
		}
	}
	for _, geo := range [][9]int{ // h, w, kh, kw, dy, dx, py, px, oh
		{25, 5, 3, 3, 1, 1, 1, 1, 25},
		{12, 9, 5, 3, 2, 2, 4, 2, 8},
		{1, 300, 1, 7, 1, 1, 0, 3, 1},
		{9, 16, 3, 3, 1, 1, 0, 1, 9},
	} {
		h, w, kh, kw, dy, dx, py, px, oh := geo[0], geo[1], geo[2], geo[3], geo[4], geo[5], geo[6], geo[7], geo[8]
		p := newFastDepthwisePlan(h, w, oh, kh, kw, dy, dx, py, px)
		for _, relu := range []bool{false, true} {
			x, ws := fastRandMatrix(rng, h*w, false), fastRandMatrix(rng, kh*kw, false)
			special(x)
			got, want := make([]float32, p.outLen+5), make([]float32, p.outLen+5)
			fastDepthwisePlane(p, x, got, ws, 0.25, relu)
			fastDepthwiseGo(p, x, want, ws, 0.25, relu)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("fastDepthwisePlane %v relu=%v: element %d = %v, portable %v", geo, relu, i, got[i], want[i])
				}
			}
		}
	}
}

// fastDSCNNGraph returns a small DS-CNN: a strided Conv, then depthwise and pointwise Convs each
// followed by a Relu, a global average pool and a Dense layer; with convOut, the first
// pointwise Conv's output (before its Relu) is also a graph output, so that Run must not fold
// that Relu into it.
func fastDSCNNGraph(rng *rand.Rand, ch, h, w int, convOut bool) *Graph {
	conv := func(name, in string, c, m, groups, k, stride, pad int) *Node {
		n, _, _ := fastDirectCase{c: c, m: m, groups: groups, kh: k, kw: k, h: h, w: w,
			strides: []int{stride, stride}, pads: []int{pad, pad, pad, pad}, dil: []int{1, 1}}.node(rng)
		n.Name, n.Inputs, n.Outputs = name, []string{in}, []string{name}
		return n
	}
	relu := func(name, in string) *Node {
		return &Node{Name: name, Op: OpRelu, Inputs: []string{in}, Outputs: []string{name}}
	}
	g := &Graph{Name: "dscnn", Inputs: []Value{{Name: "x", Shape: []int{1, h, w}}}}
	g.Nodes = append(g.Nodes, conv("c0", "x", 1, ch, 1, 3, 2, 1), relu("r0", "c0"),
		conv("dw1", "r0", ch, ch, ch, 3, 1, 1), relu("r1", "dw1"),
		conv("pw1", "r1", ch, ch, 1, 1, 1, 0), relu("r2", "pw1"),
		conv("dw2", "r2", ch, ch, ch, 3, 1, 1), relu("r3", "dw2"),
		&Node{Name: "gap", Op: OpMean, Inputs: []string{"r3"}, Outputs: []string{"gap"}, Attrs: Attrs{Axes: []int{1, 2}}},
		&Node{Name: "fc", Op: OpDense, Inputs: []string{"gap"}, Outputs: []string{"fc"},
			Weight: &Tensor{Shape: []int{5, ch}, Data: fastRandMatrix(rng, 5*ch, false)},
			Bias:   &Tensor{Shape: []int{5}, Data: fastRandMatrix(rng, 5, false)}})
	g.Outputs = []Value{{Name: "fc"}}
	if convOut {
		g.Outputs = append(g.Outputs, Value{Name: "pw1"})
	}
	return g
}

// TestRunFusedConvRelu runs a small DS-CNN through Run, whose convolutions take the direct
// paths and absorb their Relus, on a batch that Run splits into several slices (so later
// slices write to pooled memory), and compares every output bit with the same graph run one
// node at a time through runNode (runConv and a separate Relu), sample by sample; a second Run
// call, which reuses the first one's buffers, must give the same bits. A graph that also outputs
// a convolution's pre-Relu value must give that value unclamped.
func TestRunFusedConvRelu(t *testing.T) {
	for _, convOut := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(17, 18))
		g := fastDSCNNGraph(rng, 32, 40, 20, convOut)
		if err := g.Validate(); err != nil {
			t.Fatal(err)
		}
		for _, n := range g.Nodes {
			if n.Op == OpConv && fastDirectMachine() && !fastConvDirectApplies(n, g.Shapes[n.Inputs[0]], g.Shapes[n.Outputs[0]]) {
				t.Fatalf("%s does not take the direct paths", n.Name)
			}
		}
		batch := 3*g.chunkSize() + 5
		x := &Tensor{Shape: []int{batch, 1, 40, 20}, Data: fastRandMatrix(rng, batch*800, false)}
		outs, err := g.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		// A second call writes to the buffers the first one left (fastBufShared).
		again, err := g.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		for o := range outs {
			for j, v := range outs[o].Data {
				if math.Float32bits(again[o].Data[j]) != math.Float32bits(v) {
					t.Fatalf("convOut=%v output %s element %d: %v on the second call, %v on the first", convOut, g.Outputs[o].Name, j, again[o].Data[j], v)
				}
			}
		}
		for s := 0; s < batch; s += 7 {
			want := fastRunNodeByNode(t, g, &Tensor{Shape: []int{1, 1, 40, 20}, Data: x.Data[s*800 : (s+1)*800]})
			for o, w := range want {
				per := len(w.Data)
				for j, v := range w.Data {
					if got := outs[o].Data[s*per+j]; math.Float32bits(got) != math.Float32bits(v) {
						t.Fatalf("convOut=%v output %s sample %d element %d = %v, node by node %v", convOut, g.Outputs[o].Name, s, j, got, v)
					}
				}
			}
		}
	}
}

// fastRunNodeByNode runs g on x with runNode alone (no fusion, no pooled memory).
func fastRunNodeByNode(t *testing.T, g *Graph, x *Tensor) []*Tensor {
	vals := map[string]*Tensor{g.Inputs[0].Name: x}
	for _, n := range g.Nodes {
		args := RunArgs{Batch: x.Shape[0], Ins: []*Tensor{vals[n.Inputs[0]]}, InShape: [][]int{g.Shapes[n.Inputs[0]]},
			IsConst: []bool{false}, Out: g.Shapes[n.Outputs[0]], InQuant: []*QuantParams{nil}}
		out, err := runNode(n, args, nil)
		if err != nil {
			t.Fatal(err)
		}
		vals[n.Outputs[0]] = out
	}
	var outs []*Tensor
	for _, o := range g.Outputs {
		outs = append(outs, vals[o.Name])
	}
	return outs
}

// TestFastMeanTrailing compares Mean over trailing axes (the fast path) with the float64 sum in
// input order that runMean promises, for output counts around the 8-wide blocks, and checks
// that Mean over leading axes still takes the general path.
func TestFastMeanTrailing(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	for _, shape := range [][]int{{64, 25, 5}, {3, 7}, {13, 1, 9}, {9, 4, 4}} {
		r := len(shape)
		for _, axes := range [][]int{{r - 1}, {r - 2, r - 1}, {0}} {
			batch := 3
			x := &Tensor{Shape: append([]int{batch}, shape...), Data: fastRandMatrix(rng, batch*numElems(shape), false)}
			n := &Node{Name: "mean", Op: OpMean, Attrs: Attrs{Axes: axes}}
			red, err := meanAxes(n, shape)
			if err != nil {
				t.Fatal(err)
			}
			var keep []int
			for i, d := range shape {
				if !red[i] {
					keep = append(keep, d)
				}
			}
			y := NewTensor(append([]int{batch}, keep...)...)
			args := RunArgs{Batch: batch, Ins: []*Tensor{x}, InShape: [][]int{shape}, IsConst: []bool{false}, Out: keep, Y: y}
			if err := runMean(n, args); err != nil {
				t.Fatal(err)
			}
			trailing := axes[len(axes)-1] == r-1 && (len(axes) == 1 || axes[0] == r-2)
			if got := fastMeanTrailing(args, red); got != trailing {
				t.Fatalf("shape %v axes %v: fast path taken %v, want %v", shape, axes, got, trailing)
			}
			if !trailing {
				continue
			}
			count := numElems(shape) / numElems(keep)
			for o := range y.Data {
				var acc float64
				for _, v := range x.Data[o*count : (o+1)*count] {
					acc += float64(v)
				}
				if want := float32(acc / float64(count)); math.Float32bits(y.Data[o]) != math.Float32bits(want) {
					t.Fatalf("shape %v axes %v: output %d = %v, want %v", shape, axes, o, y.Data[o], want)
				}
			}
		}
	}
}

// BenchmarkDirectDSCNN times the direct paths on the DS-CNN layer shapes at batch 64, with the
// fused Relu.
func BenchmarkDirectDSCNN(b *testing.B) {
	one := []int{1, 1}
	for _, c := range []struct {
		name string
		g    fastDirectCase
	}{
		{"depthwise", fastDirectCase{c: 64, m: 64, groups: 64, kh: 3, kw: 3, h: 25, w: 5, strides: one, pads: []int{1, 1, 1, 1}, dil: one}},
		{"pointwise", fastDirectCase{c: 64, m: 64, groups: 1, kh: 1, kw: 1, h: 25, w: 5, strides: one, pads: []int{0, 0, 0, 0}, dil: one}},
		{"first", fastDirectCase{c: 1, m: 64, groups: 1, kh: 10, kw: 4, h: 49, w: 10, strides: []int{2, 2}, pads: []int{5, 1, 5, 1}, dil: one}},
	} {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			n, in, out := c.g.node(rng)
			batch := 64
			x := &Tensor{Shape: append([]int{batch}, in...), Data: fastRandMatrix(rng, batch*numElems(in), false)}
			y := &Tensor{Shape: append([]int{batch}, out...), Data: make([]float32, batch*numElems(out))}
			for range b.N {
				fastConvDirect(n, x, y, in, out, true)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/sample")
		})
	}
}
