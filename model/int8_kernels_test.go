package model_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// q8P returns per-tensor quantization parameters.
func q8P(scale float32, zp int32) *model.QuantParams {
	return &model.QuantParams{Scale: []float32{scale}, ZeroPoint: []int32{zp}}
}

// q8Random fills n int8 values.
func q8Random(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.IntN(256) - 128)
	}
	return v
}

// q8RunOne runs a one-node int8 graph whose input "x" has quantization inQ.
func q8RunOne(t *testing.T, n *model.Node, inShape []int, inQ *model.QuantParams, x *model.Tensor, consts ...model.Const) *model.Tensor {
	t.Helper()
	g := &model.Graph{Name: "int8", Inputs: []model.Value{{Name: "x", Shape: inShape}}, Outputs: []model.Value{{Name: "y"}},
		Nodes: []*model.Node{n}, Consts: consts}
	if inQ != nil {
		g.Quant = append(g.Quant, model.ValueQuant{Name: "x", Params: inQ})
	}
	if n.Attrs.Quant != nil {
		g.Quant = append(g.Quant, model.ValueQuant{Name: "y", Params: n.Attrs.Quant})
	}
	for _, c := range consts {
		if c.Name == "cq" {
			g.Quant = append(g.Quant, model.ValueQuant{Name: "cq", Params: q8P(0.03, -7)})
		}
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	out, err := g.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	return out[0]
}

// q8Requant is the int8 output stage written out: zp + MBQM(acc, M, shift) clamped.
func q8Requant(acc int64, real float64, zp int32) int32 {
	m, s := model.QuantizeMultiplier(real)
	v := int64(model.MultiplyByQuantizedMultiplier(int32(acc), m, s)) + int64(zp)
	return int32(min(max(v, -128), 127))
}

// q8Nearest quantizes a real value exactly (round half away from zero), clamped.
func q8Nearest(v float64, scale float32, zp int32) int32 {
	return int32(min(max(math.Round(v/float64(scale))+float64(zp), -128), 127))
}

type convCase struct {
	c, h, w, m, kh, kw, group int
	strides, pads, dil        []int
	perChannel                bool
}

// TestInt8ConvMatchesReference checks the int8 convolution (plain, grouped, depthwise, strided,
// padded, dilated, 1D) against a direct int64 evaluation of TFLite's ConvPerChannel formula, and
// checks that the dequantized result is within one output step of the real-valued convolution.
func TestInt8ConvMatchesReference(t *testing.T) {
	cases := []convCase{
		{c: 3, h: 7, w: 6, m: 4, kh: 3, kw: 3, group: 1, strides: []int{1, 1}, pads: []int{1, 1, 1, 1}, dil: []int{1, 1}, perChannel: true},
		{c: 4, h: 8, w: 8, m: 4, kh: 3, kw: 3, group: 4, strides: []int{2, 2}, pads: []int{0, 0, 1, 1}, dil: []int{1, 1}, perChannel: true},
		{c: 2, h: 9, w: 5, m: 6, kh: 2, kw: 3, group: 2, strides: []int{1, 2}, pads: []int{0, 1, 2, 0}, dil: []int{2, 1}},
		{c: 8, h: 5, w: 5, m: 16, kh: 1, kw: 1, group: 1, strides: []int{1, 1}, pads: []int{0, 0, 0, 0}, dil: []int{1, 1}, perChannel: true},
		{c: 3, h: 1, w: 10, m: 2, kh: 1, kw: 3, group: 1, strides: []int{1, 1}, pads: []int{0, 1, 0, 1}, dil: []int{1, 1}},
	}
	r := rand.New(rand.NewPCG(11, 12))
	for ci, cc := range cases {
		t.Run(fmt.Sprint(ci), func(t *testing.T) {
			cg := cc.c / cc.group
			inQ := q8P(0.02+0.05*r.Float32(), int32(r.IntN(60)-30))
			outQ := q8P(0.05+0.2*r.Float32(), int32(r.IntN(60)-30))
			ws := []float32{0.002 + 0.01*r.Float32()}
			if cc.perChannel {
				ws = make([]float32, cc.m)
				for i := range ws {
					ws[i] = 0.002 + 0.01*r.Float32()
				}
			}
			wShape := []int{cc.m, cg, cc.kh, cc.kw}
			qw := &model.QTensor{Shape: wShape, Data: make([]int8, cc.m*cg*cc.kh*cc.kw), Quant: model.QuantParams{Scale: ws, ZeroPoint: make([]int32, len(ws))}}
			wf := model.NewTensor(wShape...)
			wsc := func(o int) float32 { return ws[min(o, len(ws)-1)] }
			per := cg * cc.kh * cc.kw
			for i := range qw.Data {
				qw.Data[i] = int8(r.IntN(255) - 127)
				wf.Data[i] = wsc(i/per) * float32(qw.Data[i])
			}
			qb := make([]int32, cc.m)
			for i := range qb {
				qb[i] = int32(r.IntN(4000) - 2000)
			}
			n := &model.Node{Name: "conv", Op: model.OpConv, Inputs: []string{"x"}, Outputs: []string{"y"}, Weight: wf, QWeight: qw, QBias: qb,
				Attrs: model.Attrs{Strides: cc.strides, Pads: cc.pads, Dilations: cc.dil, Group: cc.group, Quant: outQ}}
			inShape := []int{cc.c, cc.h, cc.w}
			if cc.h == 1 { // 1D: [C, L] input and [M, C/g, k] weight
				inShape = []int{cc.c, cc.w}
				qw.Shape, wf.Shape = []int{cc.m, cg, cc.kw}, []int{cc.m, cg, cc.kw}
			}
			const batch = 3
			x := &model.Tensor{Shape: append([]int{batch}, inShape...), Data: q8Random(r, batch*cc.c*cc.h*cc.w)}
			y := q8RunOne(t, n, inShape, inQ, x)
			oh, ow := y.Shape[len(y.Shape)-2], y.Shape[len(y.Shape)-1]
			if cc.h == 1 {
				oh = 1
			}
			checked := 0
			for s := 0; s < batch; s++ {
				for o := 0; o < cc.m; o++ {
					g := o / (cc.m / cc.group)
					for oy := 0; oy < oh; oy++ {
						for ox := 0; ox < ow; ox++ {
							var acc int64
							var real float64
							for ic := 0; ic < cg; ic++ {
								for ky := 0; ky < cc.kh; ky++ {
									for kx := 0; kx < cc.kw; kx++ {
										iy := oy*cc.strides[0] - cc.pads[0] + ky*cc.dil[0]
										ix := ox*cc.strides[1] - cc.pads[1] + kx*cc.dil[1]
										if iy < 0 || iy >= cc.h || ix < 0 || ix >= cc.w {
											continue
										}
										xv := int64(x.Data[((s*cc.c+g*cg+ic)*cc.h+iy)*cc.w+ix]) - int64(inQ.ZeroPoint[0])
										wv := int64(qw.Data[((o*cg+ic)*cc.kh+ky)*cc.kw+kx])
										acc += wv * xv
										real += float64(inQ.Scale[0]) * float64(xv) * float64(wsc(o)) * float64(wv)
									}
								}
							}
							acc += int64(qb[o])
							real += float64(qb[o]) * float64(inQ.Scale[0]) * float64(wsc(o))
							got := int32(y.Data[((s*cc.m+o)*oh+oy)*ow+ox])
							want := q8Requant(acc, float64(inQ.Scale[0])*float64(wsc(o))/float64(outQ.Scale[0]), outQ.ZeroPoint[0])
							if got != want {
								t.Fatalf("sample %d channel %d (%d,%d): %d, reference %d", s, o, oy, ox, got, want)
							}
							if near := q8Nearest(real, outQ.Scale[0], outQ.ZeroPoint[0]); got-near > 1 || near-got > 1 {
								t.Fatalf("sample %d channel %d (%d,%d): %d, real value quantizes to %d", s, o, oy, ox, got, near)
							}
							checked++
						}
					}
				}
			}
			if checked != len(y.Data) {
				t.Fatalf("checked %d of %d outputs", checked, len(y.Data))
			}
		})
	}
}

// TestInt8DenseMatchesReference checks the int8 fully connected layer against TFLite's
// FullyConnected formula and the real-valued product.
func TestInt8DenseMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const k, nOut, batch = 37, 9, 4
	inQ, outQ := q8P(0.04, 11), q8P(0.3, -5)
	ws := float32(0.006)
	qw := &model.QTensor{Shape: []int{nOut, k}, Data: make([]int8, nOut*k), Quant: model.QuantParams{Scale: []float32{ws}, ZeroPoint: []int32{0}}}
	wf := model.NewTensor(nOut, k)
	for i := range qw.Data {
		qw.Data[i] = int8(r.IntN(255) - 127)
		wf.Data[i] = ws * float32(qw.Data[i])
	}
	qb := make([]int32, nOut)
	for i := range qb {
		qb[i] = int32(r.IntN(20000) - 10000)
	}
	n := &model.Node{Name: "fc", Op: model.OpDense, Inputs: []string{"x"}, Outputs: []string{"y"}, Weight: wf, QWeight: qw, QBias: qb,
		Attrs: model.Attrs{Quant: outQ}}
	x := &model.Tensor{Shape: []int{batch, k}, Data: q8Random(r, batch*k)}
	y := q8RunOne(t, n, []int{k}, inQ, x)
	for s := 0; s < batch; s++ {
		for o := 0; o < nOut; o++ {
			var acc int64
			for i := 0; i < k; i++ {
				acc += int64(qw.Data[o*k+i]) * (int64(x.Data[s*k+i]) - int64(inQ.ZeroPoint[0]))
			}
			acc += int64(qb[o])
			want := q8Requant(acc, float64(inQ.Scale[0])*float64(ws)/float64(outQ.Scale[0]), outQ.ZeroPoint[0])
			got := int32(y.Data[s*nOut+o])
			if got != want {
				t.Fatalf("sample %d output %d: %d, reference %d", s, o, got, want)
			}
			real := float64(acc) * float64(inQ.Scale[0]) * float64(ws)
			if near := q8Nearest(real, outQ.Scale[0], outQ.ZeroPoint[0]); got-near > 1 || near-got > 1 {
				t.Fatalf("sample %d output %d: %d, real value quantizes to %d", s, o, got, near)
			}
		}
	}
}

// TestInt8AddSubMulBroadcast checks int8 Add, Sub and Mul with a broadcast int8 constant
// against TFLite's formulas (Add/Sub: 20-bit left shift, rescale to twice the larger input scale)
// and against the real-valued result.
func TestInt8AddSubMulBroadcast(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	inQ, cQ, outQ := q8P(0.05, 3), q8P(0.03, -7), q8P(0.07, -2)
	c := model.Const{Name: "cq", Tensor: &model.Tensor{Shape: []int{4}, Data: q8Random(r, 4)}}
	x := &model.Tensor{Shape: []int{5, 3, 4}, Data: q8Random(r, 5*3*4)}
	for _, op := range []model.Op{model.OpAdd, model.OpSub, model.OpMul} {
		n := &model.Node{Name: string(op), Op: op, Inputs: []string{"x", "cq"}, Outputs: []string{"y"}, Attrs: model.Attrs{Quant: outQ}}
		y := q8RunOne(t, n, []int{3, 4}, inQ, x, c)
		for i, v := range x.Data {
			a := int32(v) - inQ.ZeroPoint[0]
			b := int32(c.Tensor.Data[i%4]) - cQ.ZeroPoint[0]
			var want int32
			var real float64
			switch op {
			case model.OpMul:
				want = q8Requant(int64(a*b), float64(inQ.Scale[0])*float64(cQ.Scale[0])/float64(outQ.Scale[0]), outQ.ZeroPoint[0])
				real = float64(inQ.Scale[0]) * float64(a) * float64(cQ.Scale[0]) * float64(b)
			default:
				tm := 2 * float64(max(inQ.Scale[0], cQ.Scale[0]))
				m1, s1 := model.QuantizeMultiplier(float64(inQ.Scale[0]) / tm)
				m2, s2 := model.QuantizeMultiplier(float64(cQ.Scale[0]) / tm)
				v1 := model.MultiplyByQuantizedMultiplier(a<<20, m1, s1)
				v2 := model.MultiplyByQuantizedMultiplier(b<<20, m2, s2)
				sign := int32(1)
				if op == model.OpSub {
					sign = -1
				}
				want = q8Requant(int64(v1+sign*v2), tm/(float64(1<<20)*float64(outQ.Scale[0])), outQ.ZeroPoint[0])
				real = float64(inQ.Scale[0])*float64(a) + float64(sign)*float64(cQ.Scale[0])*float64(b)
			}
			got := int32(y.Data[i])
			if got != want {
				t.Fatalf("%s element %d: %d, reference %d", op, i, got, want)
			}
			if near := q8Nearest(real, outQ.Scale[0], outQ.ZeroPoint[0]); got-near > 1 || near-got > 1 {
				t.Fatalf("%s element %d: %d, real value quantizes to %d", op, i, got, near)
			}
		}
	}
}

// TestInt8PoolingMatchesReference checks int8 average pooling (TFLite's rounded integer
// division over the in-bounds window) and max pooling.
func TestInt8PoolingMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	q := q8P(0.1, 4)
	const c, h, w = 3, 7, 6
	x := &model.Tensor{Shape: []int{2, c, h, w}, Data: q8Random(r, 2*c*h*w)}
	for _, op := range []model.Op{model.OpAvgPool, model.OpMaxPool} {
		n := &model.Node{Name: "pool", Op: op, Inputs: []string{"x"}, Outputs: []string{"y"},
			Attrs: model.Attrs{Kernel: []int{3, 2}, Strides: []int{2, 2}, Pads: []int{1, 0, 1, 1}, Quant: q}}
		y := q8RunOne(t, n, []int{c, h, w}, q, x)
		oh, ow := y.Shape[2], y.Shape[3]
		for p := 0; p < 2*c; p++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					sum, cnt, mx := 0, 0, -128
					for ky := 0; ky < 3; ky++ {
						for kx := 0; kx < 2; kx++ {
							iy, ix := oy*2-1+ky, ox*2+kx
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							v := int(x.Data[(p*h+iy)*w+ix])
							sum, cnt, mx = sum+v, cnt+1, max(mx, v)
						}
					}
					want := mx
					if op == model.OpAvgPool {
						want = int(math.Round(float64(sum) / float64(cnt))) // half away from zero
					}
					if got := int(y.Data[(p*oh+oy)*ow+ox]); got != want {
						t.Fatalf("%s plane %d (%d,%d): %d, want %d", op, p, oy, ox, got, want)
					}
				}
			}
		}
	}
}

// TestInt8SoftmaxTFLMGoldens runs TFLite Micro's int8 softmax test cases (softmax_test.cc:
// input scale 0.1, output scale 1/256 and zero point −128) and requires every output within one
// step of the quantized golden values, the tolerance TFLite Micro's own test uses.
func TestInt8SoftmaxTFLMGoldens(t *testing.T) {
	input := []float32{1, 2, 3, 4, 5, -1, -2, -3, -4, -5}
	golden := []float64{0.011656231, 0.031684921, 0.086128544, 0.234121657, 0.636408647,
		0.636408647, 0.234121657, 0.086128544, 0.031684921, 0.011656231}
	inQ, outQ := q8P(0.1, 0), q8P(1.0/256, -128)
	x := &model.Tensor{Shape: []int{2, 5}}
	for _, v := range input {
		x.Data = append(x.Data, float32(q8Nearest(float64(v), 0.1, 0)))
	}
	n := &model.Node{Name: "softmax", Op: model.OpSoftmax, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: model.Attrs{Quant: outQ}}
	y := q8RunOne(t, n, []int{5}, inQ, x)
	for i, g := range golden {
		want := q8Nearest(g, 1.0/256, -128)
		if got := int32(y.Data[i]); got-want > 1 || want-got > 1 {
			t.Errorf("element %d: %d, golden %d", i, got, want)
		}
	}
}

// TestInt8LogisticTanh checks int8 Sigmoid and Tanh over every int8 input for several input
// scales: within one output step of the exact function.
func TestInt8LogisticTanh(t *testing.T) {
	x := &model.Tensor{Shape: []int{256, 1}}
	for v := -128; v < 128; v++ {
		x.Data = append(x.Data, float32(v))
	}
	for _, sc := range []float32{0.01, 0.0625, 0.1, 0.25} {
		inQ := q8P(sc, 7)
		for _, c := range []struct {
			op    model.Op
			outQ  *model.QuantParams
			exact func(float64) float64
		}{
			{model.OpSigmoid, q8P(1.0/256, -128), func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
			{model.OpTanh, q8P(1.0/128, 0), math.Tanh},
		} {
			n := &model.Node{Name: "act", Op: c.op, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: model.Attrs{Quant: c.outQ}}
			y := q8RunOne(t, n, []int{1}, inQ, x)
			for i, v := range x.Data {
				want := q8Nearest(c.exact(float64(sc)*float64(int32(v)-7)), c.outQ.Scale[0], c.outQ.ZeroPoint[0])
				if got := int32(y.Data[i]); got-want > 1 || want-got > 1 {
					t.Fatalf("%s scale %g input %v: %d, exact %d", c.op, sc, v, got, want)
				}
			}
		}
	}
}

// TestInt8QuantizeRounding checks Quantize's rounding (TFLite: half away from zero; nodes from
// ONNX: half to even), saturation and Dequantize.
func TestInt8QuantizeRounding(t *testing.T) {
	in := []float32{0.5, -0.5, 2.5, -2.5, 1.4999, 300, -300, 0}
	x := &model.Tensor{Shape: []int{1, len(in)}, Data: in}
	for _, onnx := range []bool{false, true} {
		n := &model.Node{Name: "q", Op: model.OpQuantize, Inputs: []string{"x"}, Outputs: []string{"y"},
			Attrs: model.Attrs{Quant: q8P(1, 0), FloatRequant: onnx}}
		y := q8RunOne(t, n, []int{len(in)}, nil, x)
		want := []float32{1, -1, 3, -3, 1, 127, -128, 0}
		if onnx {
			want = []float32{0, 0, 2, -2, 1, 127, -128, 0}
		}
		for i := range want {
			if y.Data[i] != want[i] {
				t.Fatalf("onnx=%v: Quantize(%v) = %v, want %v", onnx, in, y.Data, want)
			}
		}
	}
	n := &model.Node{Name: "dq", Op: model.OpDequantize, Inputs: []string{"x"}, Outputs: []string{"y"}}
	xq := &model.Tensor{Shape: []int{1, 3}, Data: []float32{-128, 0, 127}}
	y := q8RunOne(t, n, []int{3}, q8P(0.25, -3), xq)
	for i, want := range []float32{-31.25, 0.75, 32.5} {
		if y.Data[i] != want {
			t.Fatalf("Dequantize = %v, want element %d = %v", y.Data, i, want)
		}
	}
}

// TestInt8ClampAndMean checks ReLU6 as a quantized clamp (fused-activation bounds) and the
// integer Mean.
func TestInt8ClampAndMean(t *testing.T) {
	q := q8P(0.05, -20)
	x := &model.Tensor{Shape: []int{1, 2, 4}, Data: []float32{-128, -21, -20, 0, 99, 100, 101, 127}}
	n := &model.Node{Name: "relu6", Op: model.OpClip, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: model.Attrs{Min: 0, Max: 6, Quant: q}}
	y := q8RunOne(t, n, []int{2, 4}, q, x)
	// bounds: zp + round(0/0.05) = −20, zp + round(6/0.05) = 100
	for i, want := range []float32{-20, -20, -20, 0, 99, 100, 100, 100} {
		if y.Data[i] != want {
			t.Fatalf("Relu6 = %v, element %d want %v", y.Data, i, want)
		}
	}
	outQ := q8P(0.03, 5)
	m := &model.Node{Name: "mean", Op: model.OpMean, Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: model.Attrs{Axes: []int{1}, Quant: outQ}}
	y = q8RunOne(t, m, []int{2, 4}, q, x)
	mult, shift := model.QuantizeMultiplier(0.05 / float64(float32(0.03)))
	for row := 0; row < 2; row++ {
		var acc int32
		for _, v := range x.Data[row*4 : row*4+4] {
			acc += int32(v) + 20
		}
		v := model.MultiplyByQuantizedMultiplier(acc, mult, shift)
		if v > 0 {
			v = (v + 2) / 4
		} else {
			v = (v - 2) / 4
		}
		want := min(max(v+5, -128), 127)
		if got := int32(y.Data[row]); got != want {
			t.Fatalf("mean row %d: %d, want %d", row, got, want)
		}
		real := 0.05 * float64(acc) / 4
		if near := q8Nearest(real, 0.03, 5); got(y, row)-near > 1 || near-got(y, row) > 1 {
			t.Fatalf("mean row %d: %d, real value quantizes to %d", row, got(y, row), near)
		}
	}
}

func got(y *model.Tensor, i int) int32 { return int32(y.Data[i]) }
