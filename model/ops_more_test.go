package model_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// This file tests the kernels of the operators beyond LeNet (activations, broadcasting
// arithmetic, data movement, Mean, 1D convolution and pooling) against straightforward
// reference loops written independently of the kernels' index arithmetic.

// opsGraph builds a one-node graph on activation inputs of the given per-sample shapes (named
// x0, x1, ...) and constants, validates it, and returns it.
func opsGraph(t *testing.T, n *model.Node, shapes [][]int, consts ...model.Const) *model.Graph {
	t.Helper()
	g := &model.Graph{Name: "t", Outputs: []model.Value{{Name: "y"}}, Nodes: []*model.Node{n}, Consts: consts}
	for i, s := range shapes {
		g.Inputs = append(g.Inputs, model.Value{Name: "x" + string(rune('0'+i)), Shape: s})
	}
	n.Outputs = []string{"y"}
	if err := g.Validate(); err != nil {
		t.Fatalf("%s: %v", n.Name, err)
	}
	return g
}

// opsRun runs a one-output graph and returns the output.
func opsRun(t *testing.T, g *model.Graph, xs ...*model.Tensor) *model.Tensor {
	t.Helper()
	out, err := g.Run(xs...)
	if err != nil {
		t.Fatal(err)
	}
	return out[0]
}

// opsCheck compares got with want (shape and values within tol).
func opsCheck(t *testing.T, what string, got *model.Tensor, wantShape []int, want []float64, tol float64) {
	t.Helper()
	if !slices.Equal(got.Shape, wantShape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, wantShape)
	}
	if len(got.Data) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got.Data), len(want))
	}
	for i, w := range want {
		if d := math.Abs(float64(got.Data[i]) - w); d > tol || math.IsNaN(float64(got.Data[i])) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got.Data[i], w)
		}
	}
}

// unravel returns the multi-index of flat offset i in a row-major shape.
func opsUnravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for ax := len(shape) - 1; ax >= 0; ax-- {
		idx[ax] = i % shape[ax]
		i /= shape[ax]
	}
	return idx
}

// ravel returns the flat offset of a multi-index in a row-major shape.
func opsRavel(idx, shape []int) int {
	o := 0
	for ax, v := range idx {
		o = o*shape[ax] + v
	}
	return o
}

func opsProd(s []int) int {
	p := 1
	for _, d := range s {
		p *= d
	}
	return p
}

func TestActivationsMatchFormulas(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := randTensor(rng, 3, 5, 7)
	for i := range x.Data {
		x.Data[i] *= 5 // reach both saturation ends of Clip, HardSwish and HardSigmoid
	}
	cases := []struct {
		op    model.Op
		attrs model.Attrs
		f     func(v float64) float64
	}{
		{model.OpClip, model.Attrs{Min: 0, Max: 6}, func(v float64) float64 { return math.Min(math.Max(v, 0), 6) }},
		{model.OpClip, model.Attrs{Min: -1.5, Max: 2}, func(v float64) float64 { return math.Min(math.Max(v, -1.5), 2) }},
		{model.OpLeakyRelu, model.Attrs{Alpha: 0.1}, func(v float64) float64 {
			if v < 0 {
				return 0.1 * v
			}
			return v
		}},
		{model.OpSigmoid, model.Attrs{}, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
		{model.OpTanh, model.Attrs{}, math.Tanh},
		{model.OpHardSwish, model.Attrs{}, func(v float64) float64 {
			switch {
			case v <= -3:
				return 0
			case v >= 3:
				return v
			}
			return v * (v + 3) / 6
		}},
		{model.OpHardSigmoid, model.Attrs{Alpha: 0.2, Beta: 0.5}, func(v float64) float64 { return math.Max(0, math.Min(1, 0.2*v+0.5)) }},
	}
	for _, c := range cases {
		g := opsGraph(t, &model.Node{Name: string(c.op), Op: c.op, Inputs: []string{"x0"}, Attrs: c.attrs}, [][]int{{5, 7}})
		want := make([]float64, len(x.Data))
		for i, v := range x.Data {
			want[i] = c.f(float64(v))
		}
		opsCheck(t, string(c.op), opsRun(t, g, x), x.Shape, want, 1e-6)
	}
}

// opsRefBroadcast computes f over numpy-broadcast operands of per-sample shapes sa and sb (nil data
// batch index when constant).
func opsRefBroadcast(batch int, a *model.Tensor, sa []int, aConst bool, b *model.Tensor, sb []int, bConst bool,
	out []int, f func(x, y float64) float64) []float64 {
	per := opsProd(out)
	res := make([]float64, batch*per)
	pick := func(t *model.Tensor, s []int, isConst bool, smp int, idx []int) float64 {
		sub := make([]int, len(s))
		for i := range s {
			v := idx[len(out)-len(s)+i]
			if s[i] == 1 {
				v = 0
			}
			sub[i] = v
		}
		o := opsRavel(sub, s)
		if !isConst {
			o += smp * opsProd(s)
		}
		return float64(t.Data[o])
	}
	for smp := 0; smp < batch; smp++ {
		for i := 0; i < per; i++ {
			idx := opsUnravel(i, out)
			res[smp*per+i] = f(pick(a, sa, aConst, smp, idx), pick(b, sb, bConst, smp, idx))
		}
	}
	return res
}

func TestBroadcastArithmetic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ops := map[model.Op]func(x, y float64) float64{
		model.OpAdd: func(x, y float64) float64 { return x + y },
		model.OpSub: func(x, y float64) float64 { return x - y },
		model.OpMul: func(x, y float64) float64 { return x * y },
		model.OpDiv: func(x, y float64) float64 { return x / y },
	}
	cases := []struct {
		name           string
		sa, sb         []int
		aConst, bConst bool
		out            []int
	}{
		{"same shapes", []int{3, 4}, []int{3, 4}, false, false, []int{3, 4}},
		{"activations, size-1 axes", []int{3, 1, 5}, []int{1, 4, 5}, false, false, []int{3, 4, 5}},
		{"per-channel constant", []int{3, 4, 5}, []int{3, 1, 1}, false, true, []int{3, 4, 5}},
		{"constant of lower rank", []int{3, 4, 5}, []int{5}, false, true, []int{3, 4, 5}},
		{"scalar constant", []int{2, 3}, []int{}, false, true, []int{2, 3}},
		{"constant first, expanding the activation", []int{4, 1}, []int{4, 3}, true, false, []int{4, 3}},
		{"constant with more axes", []int{2, 1, 3}, []int{3}, true, false, []int{2, 1, 3}},
	}
	for _, c := range cases {
		for op, f := range ops {
			batch := 3
			var shapes [][]int
			var ins []string
			var consts []model.Const
			var feeds []*model.Tensor
			var ts [2]*model.Tensor
			for i, s := range [][]int{c.sa, c.sb} {
				isConst := []bool{c.aConst, c.bConst}[i]
				if isConst {
					ts[i] = randTensor(rng, s...)
					consts = append(consts, model.Const{Name: "k" + string(rune('0'+i)), Tensor: ts[i]})
					ins = append(ins, consts[len(consts)-1].Name)
					continue
				}
				ts[i] = randTensor(rng, append([]int{batch}, s...)...)
				ins = append(ins, "x"+string(rune('0'+len(shapes))))
				shapes = append(shapes, s)
				feeds = append(feeds, ts[i])
			}
			if op == model.OpDiv {
				for _, tt := range ts {
					for j := range tt.Data {
						tt.Data[j] = float32(math.Copysign(0.5+math.Abs(float64(tt.Data[j])), float64(tt.Data[j])))
					}
				}
			}
			g := opsGraph(t, &model.Node{Name: c.name, Op: op, Inputs: ins}, shapes, consts...)
			if !slices.Equal(g.Shapes["y"], c.out) {
				t.Fatalf("%s %s: shape %v, want %v", op, c.name, g.Shapes["y"], c.out)
			}
			want := opsRefBroadcast(batch, ts[0], c.sa, c.aConst, ts[1], c.sb, c.bConst, c.out, f)
			opsCheck(t, string(op)+" "+c.name, opsRun(t, g, feeds...), append([]int{batch}, c.out...), want, 1e-5)
		}
	}
	// shapes that do not broadcast
	g := &model.Graph{Inputs: []model.Value{{Name: "a", Shape: []int{3, 4}}, {Name: "b", Shape: []int{3, 5}}},
		Nodes: []*model.Node{{Name: "bad", Op: model.OpMul, Inputs: []string{"a", "b"}, Outputs: []string{"y"}}}, Outputs: []model.Value{{Name: "y"}}}
	if err := g.Validate(); err == nil || !strings.Contains(err.Error(), `"bad"`) {
		t.Errorf("[3 4] × [3 5]: err = %v, want one naming the node", err)
	}
}

func TestConcatPadTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	batch := 2
	// Concat along axis 1 of [2,3,4], [2,1,4] and a constant [2,2,4]
	a, b, k := randTensor(rng, batch, 2, 3, 4), randTensor(rng, batch, 2, 1, 4), randTensor(rng, 2, 2, 4)
	g := opsGraph(t, &model.Node{Name: "cat", Op: model.OpConcat, Inputs: []string{"x0", "x1", "k"}, Attrs: model.Attrs{Axis: 1}},
		[][]int{{2, 3, 4}, {2, 1, 4}}, model.Const{Name: "k", Tensor: k})
	out := []int{2, 6, 4}
	var want []float64
	for s := 0; s < batch; s++ {
		for i := 0; i < 2; i++ {
			for j := 0; j < 6; j++ {
				for l := 0; l < 4; l++ {
					switch {
					case j < 3:
						want = append(want, float64(a.Data[((s*2+i)*3+j)*4+l]))
					case j < 4:
						want = append(want, float64(b.Data[(s*2+i)*4+l]))
					default:
						want = append(want, float64(k.Data[(i*2+j-4)*4+l]))
					}
				}
			}
		}
	}
	opsCheck(t, "concat", opsRun(t, g, a, b), append([]int{batch}, out...), want, 0)

	// Pad [3,4,5] with begins (1,0,-1) and ends (0,2,1): the last axis is cropped at the start
	x := randTensor(rng, batch, 3, 4, 5)
	pads := []int{1, 0, -1, 0, 2, 1}
	g = opsGraph(t, &model.Node{Name: "pad", Op: model.OpPad, Inputs: []string{"x0"}, Attrs: model.Attrs{Pads: pads, Value: 7}}, [][]int{{3, 4, 5}})
	out = []int{4, 6, 5}
	want = nil
	for s := 0; s < batch; s++ {
		for i := 0; i < opsProd(out); i++ {
			idx := opsUnravel(i, out)
			src := []int{idx[0] - 1, idx[1], idx[2] + 1}
			v := 7.0
			if src[0] >= 0 && src[0] < 3 && src[1] < 4 && src[2] < 5 {
				v = float64(x.Data[s*60+opsRavel(src, []int{3, 4, 5})])
			}
			want = append(want, v)
		}
	}
	opsCheck(t, "pad", opsRun(t, g, x), append([]int{batch}, out...), want, 0)

	// Transpose: every permutation of three axes
	in := []int{2, 3, 4}
	x = randTensor(rng, append([]int{batch}, in...)...)
	for _, perm := range [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
		g = opsGraph(t, &model.Node{Name: "tr", Op: model.OpTranspose, Inputs: []string{"x0"}, Attrs: model.Attrs{Perm: perm}}, [][]int{in})
		out = []int{in[perm[0]], in[perm[1]], in[perm[2]]}
		want = nil
		for s := 0; s < batch; s++ {
			for i := 0; i < opsProd(out); i++ {
				idx := opsUnravel(i, out)
				src := make([]int, 3)
				for k, p := range perm {
					src[p] = idx[k]
				}
				want = append(want, float64(x.Data[s*24+opsRavel(src, in)]))
			}
		}
		opsCheck(t, "transpose", opsRun(t, g, x), append([]int{batch}, out...), want, 0)
	}
}

func TestGatherSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	batch := 2
	in := []int{4, 5, 3}
	x := randTensor(rng, append([]int{batch}, in...)...)
	g := opsGraph(t, &model.Node{Name: "ga", Op: model.OpGather, Inputs: []string{"x0"}, Attrs: model.Attrs{Axis: 1, Indices: []int{4, -5, 2, 2}}}, [][]int{in})
	out := []int{4, 4, 3}
	var want []float64
	for s := 0; s < batch; s++ {
		for i := 0; i < 4; i++ {
			for _, j := range []int{4, 0, 2, 2} {
				for l := 0; l < 3; l++ {
					want = append(want, float64(x.Data[s*60+opsRavel([]int{i, j, l}, in)]))
				}
			}
		}
	}
	opsCheck(t, "gather", opsRun(t, g, x), append([]int{batch}, out...), want, 0)

	// Slice cases: per axis, the indices it must pick (written out by hand).
	in = []int{6, 5, 4}
	x = randTensor(rng, append([]int{batch}, in...)...)
	cases := []struct {
		attrs model.Attrs
		pick  [3][]int
	}{
		{model.Attrs{Starts: []int{1}, Ends: []int{4}}, [3][]int{{1, 2, 3}, {0, 1, 2, 3, 4}, {0, 1, 2, 3}}},
		{model.Attrs{Starts: []int{-1, 0}, Ends: []int{-1000, 100}, Axes: []int{2, 1}, Steps: []int{-2, 2}},
			[3][]int{{0, 1, 2, 3, 4, 5}, {0, 2, 4}, {3, 1}}},
		{model.Attrs{Starts: []int{100, -3}, Ends: []int{-100, -1}, Axes: []int{0, 1}, Steps: []int{-3, 1}},
			[3][]int{{5, 2}, {2, 3}, {0, 1, 2, 3}}},
		{model.Attrs{Starts: []int{2}, Ends: []int{2}, Axes: []int{2}}, [3][]int{{0, 1, 2, 3, 4, 5}, {0, 1, 2, 3, 4}, {}}},
	}
	for _, c := range cases {
		g := opsGraph(t, &model.Node{Name: "sl", Op: model.OpSlice, Inputs: []string{"x0"}, Attrs: c.attrs}, [][]int{in})
		out := []int{len(c.pick[0]), len(c.pick[1]), len(c.pick[2])}
		want = nil
		for s := 0; s < batch; s++ {
			for _, i := range c.pick[0] {
				for _, j := range c.pick[1] {
					for _, l := range c.pick[2] {
						want = append(want, float64(x.Data[s*120+opsRavel([]int{i, j, l}, in)]))
					}
				}
			}
		}
		opsCheck(t, "slice", opsRun(t, g, x), append([]int{batch}, out...), want, 0)
	}
}

func TestMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	batch := 3
	in := []int{3, 4, 5}
	x := randTensor(rng, append([]int{batch}, in...)...)
	cases := []struct {
		axes  []int
		shape []int // Attrs.Shape
		out   []int
	}{
		{[]int{1, 2}, []int{3, 1, 1}, []int{3, 1, 1}},
		{[]int{1, 2}, nil, []int{3}},
		{[]int{0, 2}, nil, []int{4}},
		{[]int{1}, []int{3, 1, 5}, []int{3, 1, 5}},
		{nil, nil, []int{}},
	}
	for _, c := range cases {
		g := opsGraph(t, &model.Node{Name: "mean", Op: model.OpMean, Inputs: []string{"x0"}, Attrs: model.Attrs{Axes: c.axes, Shape: c.shape}}, [][]int{in})
		red := map[int]bool{}
		for _, a := range c.axes {
			red[a] = true
		}
		if c.axes == nil {
			red = map[int]bool{0: true, 1: true, 2: true}
		}
		// reference: average the input elements whose kept coordinates match each output element
		var kept []int
		for ax := range in {
			if !red[ax] {
				kept = append(kept, ax)
			}
		}
		var want []float64
		per := opsProd(in)
		for s := 0; s < batch; s++ {
			sums, counts := map[int]float64{}, map[int]int{}
			for i := 0; i < per; i++ {
				idx := opsUnravel(i, in)
				key := 0
				for _, ax := range kept {
					key = key*in[ax] + idx[ax]
				}
				sums[key] += float64(x.Data[s*per+i])
				counts[key]++
			}
			for key := 0; key < len(sums); key++ {
				want = append(want, sums[key]/float64(counts[key]))
			}
		}
		opsCheck(t, "mean", opsRun(t, g, x), append([]int{batch}, c.out...), want, 1e-6)
	}
	bad := &model.Graph{Inputs: []model.Value{{Name: "x", Shape: in}}, Outputs: []model.Value{{Name: "y"}},
		Nodes: []*model.Node{{Name: "m", Op: model.OpMean, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: model.Attrs{Axes: []int{1}, Shape: []int{3, 5}}}}}
	if err := bad.Validate(); err == nil {
		t.Error("Mean with a Shape that is not the kept shape: no error")
	}
}

func TestConv1DAndPool1DMatchDirectLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	ran := 0
	for trial := 0; trial < 40; trial++ {
		groups := 1 + rng.IntN(3)
		c := groups * (1 + rng.IntN(3))
		m := groups * (1 + rng.IntN(3))
		if trial%4 == 0 { // depthwise
			groups, c, m = 5, 5, 5
		}
		k := 1 + rng.IntN(5)
		l := 1 + rng.IntN(20)
		s, d := 1+rng.IntN(3), 1+rng.IntN(3)
		pl, pr := rng.IntN(4), rng.IntN(4)
		n := &model.Node{Name: "conv1d", Op: model.OpConv, Inputs: []string{"x0"},
			Weight: randTensor(rng, m, c/groups, k), Bias: randTensor(rng, m),
			Attrs: model.Attrs{Strides: []int{1, s}, Pads: []int{0, pl, 0, pr}, Dilations: []int{1, d}, Group: groups}}
		g := &model.Graph{Inputs: []model.Value{{Name: "x0", Shape: []int{c, l}}}, Outputs: []model.Value{{Name: "y"}}, Nodes: []*model.Node{n}}
		n.Outputs = []string{"y"}
		if g.Validate() != nil {
			continue
		}
		ran++
		batch := 1 + rng.IntN(3)
		x := randTensor(rng, batch, c, l)
		ol := (l+pl+pr-(k-1)*d-1)/s + 1
		var want []float64
		for b := 0; b < batch; b++ {
			for o := 0; o < m; o++ {
				grp := o / (m / groups)
				for p := 0; p < ol; p++ {
					sum := float64(n.Bias.Data[o])
					for ci := 0; ci < c/groups; ci++ {
						for j := 0; j < k; j++ {
							pos := p*s - pl + j*d
							if pos >= 0 && pos < l {
								sum += float64(n.Weight.Data[(o*(c/groups)+ci)*k+j]) * float64(x.Data[(b*c+grp*(c/groups)+ci)*l+pos])
							}
						}
					}
					want = append(want, sum)
				}
			}
		}
		opsCheck(t, "conv1d", opsRun(t, g, x), []int{batch, m, ol}, want, 1e-4)

		// max and average pooling with the same window (no dilation)
		if k > l+pl+pr || pl >= k || pr >= k {
			continue
		}
		for _, op := range []model.Op{model.OpMaxPool, model.OpAvgPool} {
			pn := &model.Node{Name: "pool1d", Op: op, Inputs: []string{"x0"}, Attrs: model.Attrs{Kernel: []int{1, k}, Strides: []int{1, s}, Pads: []int{0, pl, 0, pr}}}
			pg := opsGraph(t, pn, [][]int{{c, l}})
			ol := (l+pl+pr-k)/s + 1
			want = want[:0]
			for b := 0; b < batch; b++ {
				for ch := 0; ch < c; ch++ {
					for p := 0; p < ol; p++ {
						best, sum, cnt := math.Inf(-1), 0.0, 0
						for j := 0; j < k; j++ {
							if pos := p*s - pl + j; pos >= 0 && pos < l {
								v := float64(x.Data[(b*c+ch)*l+pos])
								best, sum, cnt = math.Max(best, v), sum+v, cnt+1
							}
						}
						if op == model.OpMaxPool {
							want = append(want, best)
						} else {
							want = append(want, sum/float64(cnt))
						}
					}
				}
			}
			opsCheck(t, string(op)+" 1d", opsRun(t, pg, x), []int{batch, c, ol}, want, 1e-5)
		}
	}
	if ran < 25 {
		t.Errorf("only %d of 40 random 1D geometries were valid", ran)
	}
}

// TestShapeOpsRejectBadAttributes checks that shape inference names the node for each kind of
// inconsistent attribute.
func TestShapeOpsRejectBadAttributes(t *testing.T) {
	cases := map[string]*model.Node{
		"perm not a permutation":  {Op: model.OpTranspose, Attrs: model.Attrs{Perm: []int{0, 0, 1}}},
		"perm of the wrong rank":  {Op: model.OpTranspose, Attrs: model.Attrs{Perm: []int{1, 0}}},
		"pads of the wrong count": {Op: model.OpPad, Attrs: model.Attrs{Pads: []int{1, 1}}},
		"pads cropping too much":  {Op: model.OpPad, Attrs: model.Attrs{Pads: []int{-2, 0, 0, -2, 0, 0}}},
		"gather index too large":  {Op: model.OpGather, Attrs: model.Attrs{Axis: 1, Indices: []int{3}}},
		"gather axis too large":   {Op: model.OpGather, Attrs: model.Attrs{Axis: 3, Indices: []int{0}}},
		"slice step 0":            {Op: model.OpSlice, Attrs: model.Attrs{Starts: []int{0}, Ends: []int{1}, Steps: []int{0}}},
		"slice lengths differ":    {Op: model.OpSlice, Attrs: model.Attrs{Starts: []int{0, 0}, Ends: []int{1}}},
		"slice axis repeated":     {Op: model.OpSlice, Attrs: model.Attrs{Starts: []int{0, 0}, Ends: []int{1, 1}, Axes: []int{1, 1}}},
		"mean axis repeated":      {Op: model.OpMean, Attrs: model.Attrs{Axes: []int{1, 1}}},
		"concat axis too large":   {Op: model.OpConcat, Attrs: model.Attrs{Axis: 3}},
		"conv1d weight too short": {Op: model.OpConv, Weight: model.NewTensor(2, 3, 9)},
	}
	for name, n := range cases {
		n.Name, n.Inputs, n.Outputs = "bad_"+strings.ReplaceAll(name, " ", "_"), []string{"x"}, []string{"y"}
		in := []int{2, 3, 4}
		if n.Op == model.OpConv {
			in = []int{3, 5}
		}
		g := &model.Graph{Inputs: []model.Value{{Name: "x", Shape: in}}, Outputs: []model.Value{{Name: "y"}}, Nodes: []*model.Node{n}}
		if err := g.Validate(); err == nil || !strings.Contains(err.Error(), n.Name) {
			t.Errorf("%s: err = %v, want one naming %s", name, err, n.Name)
		}
	}
	// Concat of inputs whose other axes differ
	g := &model.Graph{Inputs: []model.Value{{Name: "a", Shape: []int{2, 3}}, {Name: "b", Shape: []int{3, 3}}}, Outputs: []model.Value{{Name: "y"}},
		Nodes: []*model.Node{{Name: "cat", Op: model.OpConcat, Inputs: []string{"a", "b"}, Outputs: []string{"y"}, Attrs: model.Attrs{Axis: 1}}}}
	if err := g.Validate(); err == nil || !strings.Contains(err.Error(), `"cat"`) {
		t.Errorf("concat [2 3] and [3 3] on axis 1: err = %v", err)
	}
}
