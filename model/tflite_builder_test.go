package model

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/tcdse/tcdse/model/tflitefb"
)

// tflSpecTensor describes one tensor of a TFLite model built by a test.
type tflSpecTensor struct {
	name  string
	shape []int32
	typ   tflitefb.TensorType
	data  []byte
	// scale and zp, when set, give the tensor quantization parameters along qdim.
	scale []float32
	zp    []int64
	qdim  int32
}

// tflSpecOp describes one operator; opts builds its options table (nil for none).
type tflSpecOp struct {
	code    tflitefb.BuiltinOperator
	custom  string
	in, out []int32
	optType tflitefb.BuiltinOptions
	opts    func(b *flatbuffers.Builder) flatbuffers.UOffsetT
}

type tflSpec struct {
	tensors         []tflSpecTensor
	ops             []tflSpecOp
	inputs, outputs []int32
	// oldCodes writes only deprecated_builtin_code, as files from before schema 3a do.
	oldCodes bool
}

func tflVecI32(b *flatbuffers.Builder, v []int32) flatbuffers.UOffsetT {
	b.StartVector(4, len(v), 4)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependInt32(v[i])
	}
	return b.EndVector(len(v))
}

func tflVecOffsets(b *flatbuffers.Builder, v []flatbuffers.UOffsetT) flatbuffers.UOffsetT {
	b.StartVector(4, len(v), 4)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependUOffsetT(v[i])
	}
	return b.EndVector(len(v))
}

// build serializes the spec as a .tflite flatbuffer.
func (s *tflSpec) build() []byte {
	b := flatbuffers.NewBuilder(1024)
	tflitefb.BufferStart(b)
	buffers := []flatbuffers.UOffsetT{tflitefb.BufferEnd(b)}
	tensors := make([]flatbuffers.UOffsetT, len(s.tensors))
	for i, t := range s.tensors {
		buf := uint32(0)
		if t.data != nil {
			d := b.CreateByteVector(t.data)
			tflitefb.BufferStart(b)
			tflitefb.BufferAddData(b, d)
			buffers = append(buffers, tflitefb.BufferEnd(b))
			buf = uint32(len(buffers) - 1)
		}
		var quant flatbuffers.UOffsetT
		if t.scale != nil {
			b.StartVector(4, len(t.scale), 4)
			for i := len(t.scale) - 1; i >= 0; i-- {
				b.PrependFloat32(t.scale[i])
			}
			sv := b.EndVector(len(t.scale))
			b.StartVector(8, len(t.zp), 8)
			for i := len(t.zp) - 1; i >= 0; i-- {
				b.PrependInt64(t.zp[i])
			}
			zv := b.EndVector(len(t.zp))
			tflitefb.QuantizationParametersStart(b)
			tflitefb.QuantizationParametersAddScale(b, sv)
			tflitefb.QuantizationParametersAddZeroPoint(b, zv)
			tflitefb.QuantizationParametersAddQuantizedDimension(b, t.qdim)
			quant = tflitefb.QuantizationParametersEnd(b)
		}
		name := b.CreateString(t.name)
		shape := tflVecI32(b, t.shape)
		tflitefb.TensorStart(b)
		if t.scale != nil {
			tflitefb.TensorAddQuantization(b, quant)
		}
		tflitefb.TensorAddShape(b, shape)
		tflitefb.TensorAddType(b, t.typ)
		tflitefb.TensorAddBuffer(b, buf)
		tflitefb.TensorAddName(b, name)
		tensors[i] = tflitefb.TensorEnd(b)
	}
	codeIndex := map[string]uint32{}
	var codes []flatbuffers.UOffsetT
	ops := make([]flatbuffers.UOffsetT, len(s.ops))
	for i, o := range s.ops {
		key := tflOpName(o.code) + "/" + o.custom
		if _, ok := codeIndex[key]; !ok {
			var custom flatbuffers.UOffsetT
			if o.custom != "" {
				custom = b.CreateString(o.custom)
			}
			tflitefb.OperatorCodeStart(b)
			tflitefb.OperatorCodeAddDeprecatedBuiltinCode(b, int8(min(int32(o.code), 127)))
			if !s.oldCodes {
				tflitefb.OperatorCodeAddBuiltinCode(b, o.code)
			}
			if o.custom != "" {
				tflitefb.OperatorCodeAddCustomCode(b, custom)
			}
			tflitefb.OperatorCodeAddVersion(b, 1)
			codeIndex[key] = uint32(len(codes))
			codes = append(codes, tflitefb.OperatorCodeEnd(b))
		}
		var opts flatbuffers.UOffsetT
		if o.opts != nil {
			opts = o.opts(b)
		}
		in, out := tflVecI32(b, o.in), tflVecI32(b, o.out)
		tflitefb.OperatorStart(b)
		tflitefb.OperatorAddOpcodeIndex(b, codeIndex[key])
		tflitefb.OperatorAddInputs(b, in)
		tflitefb.OperatorAddOutputs(b, out)
		if o.opts != nil {
			tflitefb.OperatorAddBuiltinOptionsType(b, o.optType)
			tflitefb.OperatorAddBuiltinOptions(b, opts)
		}
		ops[i] = tflitefb.OperatorEnd(b)
	}
	tv, iv, ov, opv := tflVecOffsets(b, tensors), tflVecI32(b, s.inputs), tflVecI32(b, s.outputs), tflVecOffsets(b, ops)
	name := b.CreateString("main")
	tflitefb.SubGraphStart(b)
	tflitefb.SubGraphAddTensors(b, tv)
	tflitefb.SubGraphAddInputs(b, iv)
	tflitefb.SubGraphAddOutputs(b, ov)
	tflitefb.SubGraphAddOperators(b, opv)
	tflitefb.SubGraphAddName(b, name)
	sg := tflitefb.SubGraphEnd(b)
	sgs, cv, bv := tflVecOffsets(b, []flatbuffers.UOffsetT{sg}), tflVecOffsets(b, codes), tflVecOffsets(b, buffers)
	tflitefb.ModelStart(b)
	tflitefb.ModelAddVersion(b, 3)
	tflitefb.ModelAddOperatorCodes(b, cv)
	tflitefb.ModelAddSubgraphs(b, sgs)
	tflitefb.ModelAddBuffers(b, bv)
	b.FinishWithFileIdentifier(tflitefb.ModelEnd(b), []byte("TFL3"))
	return b.FinishedBytes()
}

// tflRand returns n deterministic pseudo-random values in [-1, 1).
func tflRand(seed uint32, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		seed = seed*1664525 + 1013904223
		out[i] = float32(seed>>8)/float32(1<<23) - 1
	}
	return out
}

func tflF32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func tflI32Bytes(v ...int32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return b
}

// tflNHWC is a reference float64 tensor [H, W, C] for one sample.
type tflNHWC struct {
	h, w, c int
	d       []float64
}

func (t tflNHWC) at(y, x, c int) float64 { return t.d[(y*t.w+x)*t.c+c] }

// tflRefConv is TFLite's convolution in NHWC: filter [O, kh, kw, I] (depthwise: [1, kh, kw,
// C·m], output channel o reading input channel o/m), padding before pt, pl.
func tflRefConv(x tflNHWC, f []float32, fshape []int, bias []float32, s, pt, pl, oh, ow int, depthwise bool) tflNHWC {
	o, kh, kw := fshape[0], fshape[1], fshape[2]
	if depthwise {
		o = fshape[3]
	}
	y := tflNHWC{oh, ow, o, make([]float64, oh*ow*o)}
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			for oc := 0; oc < o; oc++ {
				v := float64(bias[oc])
				for ky := 0; ky < kh; ky++ {
					for kx := 0; kx < kw; kx++ {
						iy, ix := oy*s+ky-pt, ox*s+kx-pl
						if iy < 0 || iy >= x.h || ix < 0 || ix >= x.w {
							continue
						}
						if depthwise {
							v += float64(f[(ky*kw+kx)*o+oc]) * x.at(iy, ix, oc/(o/x.c))
							continue
						}
						for ic := 0; ic < x.c; ic++ {
							v += float64(f[((oc*kh+ky)*kw+kx)*x.c+ic]) * x.at(iy, ix, ic)
						}
					}
				}
				y.d[(oy*ow+ox)*o+oc] = v
			}
		}
	}
	return y
}

// tflTestModel builds a model exercising the NHWC→NCHW conversion: CONV_2D (stride 2, SAME
// with asymmetric pads, fused RELU), DEPTHWISE_CONV_2D (multiplier 2, fused RELU6), ADD of a
// channel vector, PAD, MAX_POOL_2D, CONCATENATION on the channel axis, MEAN over H with
// keep_dims, RESHAPE (flatten), FULLY_CONNECTED and SOFTMAX; outputs: the softmax and the
// rank-4 concatenation.
func tflTestModel(oldCodes bool) (*tflSpec, map[string][]float32) {
	p := map[string][]float32{
		"w1": tflRand(1, 4*3*3*3), "b1": tflRand(2, 4),
		"w2": tflRand(3, 3*3*8), "b2": tflRand(4, 8),
		"c3": tflRand(5, 8),
		"w8": tflRand(6, 5*32), "b8": tflRand(7, 5),
	}
	f32 := tflitefb.TensorTypeFLOAT32
	s := &tflSpec{oldCodes: oldCodes, inputs: []int32{0}, outputs: []int32{19, 10}}
	s.tensors = []tflSpecTensor{
		{name: "x", shape: []int32{1, 5, 6, 3}, typ: f32},                                                                  // 0
		{name: "conv", shape: []int32{1, 3, 3, 4}, typ: f32},                                                               // 1
		{name: "dw", shape: []int32{1, 3, 3, 8}, typ: f32},                                                                 // 2
		{name: "add", shape: []int32{1, 3, 3, 8}, typ: f32},                                                                // 3
		{name: "pad", shape: []int32{1, 4, 4, 8}, typ: f32},                                                                // 4
		{name: "pool", shape: []int32{1, 2, 2, 8}, typ: f32},                                                               // 5
		{name: "w1", shape: []int32{4, 3, 3, 3}, typ: f32, data: tflF32Bytes(p["w1"])},                                     // 6
		{name: "b1", shape: []int32{4}, typ: f32, data: tflF32Bytes(p["b1"])},                                              // 7
		{name: "w2", shape: []int32{1, 3, 3, 8}, typ: f32, data: tflF32Bytes(p["w2"])},                                     // 8
		{name: "b2", shape: []int32{8}, typ: f32, data: tflF32Bytes(p["b2"])},                                              // 9
		{name: "concat", shape: []int32{1, 2, 2, 16}, typ: f32},                                                            // 10
		{name: "c3", shape: []int32{8}, typ: f32, data: tflF32Bytes(p["c3"])},                                              // 11
		{name: "paddings", shape: []int32{4, 2}, typ: tflitefb.TensorTypeINT32, data: tflI32Bytes(0, 0, 1, 0, 0, 1, 0, 0)}, // 12
		{name: "axes", shape: []int32{1}, typ: tflitefb.TensorTypeINT32, data: tflI32Bytes(1)},                             // 13
		{name: "mean", shape: []int32{1, 1, 2, 16}, typ: f32},                                                              // 14
		{name: "newshape", shape: []int32{2}, typ: tflitefb.TensorTypeINT32, data: tflI32Bytes(1, 32)},                     // 15
		{name: "flat", shape: []int32{1, 32}, typ: f32},                                                                    // 16
		{name: "w8", shape: []int32{5, 32}, typ: f32, data: tflF32Bytes(p["w8"])},                                          // 17
		{name: "b8", shape: []int32{5}, typ: f32, data: tflF32Bytes(p["b8"])},                                              // 18
		{name: "probs", shape: []int32{1, 5}, typ: f32},                                                                    // 19
		{name: "logits", shape: []int32{1, 5}, typ: f32},                                                                   // 20
	}
	s.ops = []tflSpecOp{
		{code: tflitefb.BuiltinOperatorCONV_2D, in: []int32{0, 6, 7}, out: []int32{1}, optType: tflitefb.BuiltinOptionsConv2DOptions,
			opts: func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
				tflitefb.Conv2DOptionsStart(b)
				tflitefb.Conv2DOptionsAddPadding(b, tflitefb.PaddingSAME)
				tflitefb.Conv2DOptionsAddStrideH(b, 2)
				tflitefb.Conv2DOptionsAddStrideW(b, 2)
				tflitefb.Conv2DOptionsAddFusedActivationFunction(b, tflitefb.ActivationFunctionTypeRELU)
				return tflitefb.Conv2DOptionsEnd(b)
			}},
		{code: tflitefb.BuiltinOperatorDEPTHWISE_CONV_2D, in: []int32{1, 8, 9}, out: []int32{2}, optType: tflitefb.BuiltinOptionsDepthwiseConv2DOptions,
			opts: func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
				tflitefb.DepthwiseConv2DOptionsStart(b)
				tflitefb.DepthwiseConv2DOptionsAddPadding(b, tflitefb.PaddingSAME)
				tflitefb.DepthwiseConv2DOptionsAddStrideH(b, 1)
				tflitefb.DepthwiseConv2DOptionsAddStrideW(b, 1)
				tflitefb.DepthwiseConv2DOptionsAddDepthMultiplier(b, 2)
				tflitefb.DepthwiseConv2DOptionsAddFusedActivationFunction(b, tflitefb.ActivationFunctionTypeRELU6)
				return tflitefb.DepthwiseConv2DOptionsEnd(b)
			}},
		{code: tflitefb.BuiltinOperatorADD, in: []int32{2, 11}, out: []int32{3}},
		{code: tflitefb.BuiltinOperatorPAD, in: []int32{3, 12}, out: []int32{4}},
		{code: tflitefb.BuiltinOperatorMAX_POOL_2D, in: []int32{4}, out: []int32{5}, optType: tflitefb.BuiltinOptionsPool2DOptions,
			opts: func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
				tflitefb.Pool2DOptionsStart(b)
				tflitefb.Pool2DOptionsAddPadding(b, tflitefb.PaddingVALID)
				tflitefb.Pool2DOptionsAddStrideH(b, 2)
				tflitefb.Pool2DOptionsAddStrideW(b, 2)
				tflitefb.Pool2DOptionsAddFilterHeight(b, 2)
				tflitefb.Pool2DOptionsAddFilterWidth(b, 2)
				return tflitefb.Pool2DOptionsEnd(b)
			}},
		{code: tflitefb.BuiltinOperatorCONCATENATION, in: []int32{5, 5}, out: []int32{10}, optType: tflitefb.BuiltinOptionsConcatenationOptions,
			opts: func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
				tflitefb.ConcatenationOptionsStart(b)
				tflitefb.ConcatenationOptionsAddAxis(b, -1)
				return tflitefb.ConcatenationOptionsEnd(b)
			}},
		{code: tflitefb.BuiltinOperatorMEAN, in: []int32{10, 13}, out: []int32{14}, optType: tflitefb.BuiltinOptionsReducerOptions,
			opts: func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
				tflitefb.ReducerOptionsStart(b)
				tflitefb.ReducerOptionsAddKeepDims(b, true)
				return tflitefb.ReducerOptionsEnd(b)
			}},
		{code: tflitefb.BuiltinOperatorRESHAPE, in: []int32{14, 15}, out: []int32{16}},
		{code: tflitefb.BuiltinOperatorFULLY_CONNECTED, in: []int32{16, 17, 18}, out: []int32{20}},
		{code: tflitefb.BuiltinOperatorSOFTMAX, in: []int32{20}, out: []int32{19}, optType: tflitefb.BuiltinOptionsSoftmaxOptions,
			opts: func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
				tflitefb.SoftmaxOptionsStart(b)
				tflitefb.SoftmaxOptionsAddBeta(b, 1)
				return tflitefb.SoftmaxOptionsEnd(b)
			}},
	}
	return s, p
}

// tflTestReference computes the test model on one NHWC sample: the softmax output and the
// concatenation in NHWC order.
func tflTestReference(p map[string][]float32, in []float32) ([]float64, []float64) {
	x := tflNHWC{5, 6, 3, make([]float64, 90)}
	for i, v := range in {
		x.d[i] = float64(v)
	}
	// SAME, stride 2: 5 rows → 3, total pad 2 (1 top); 6 columns → 3, total pad 1 (0 left).
	y := tflRefConv(x, p["w1"], []int{4, 3, 3, 3}, p["b1"], 2, 1, 0, 3, 3, false)
	for i, v := range y.d {
		y.d[i] = max(v, 0)
	}
	y = tflRefConv(y, p["w2"], []int{1, 3, 3, 8}, p["b2"], 1, 1, 1, 3, 3, true)
	for i, v := range y.d {
		y.d[i] = min(max(v, 0), 6) + float64(p["c3"][i%8])
	}
	// PAD one row on top and one column on the right.
	pad := tflNHWC{4, 4, 8, make([]float64, 4*4*8)}
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			for ch := 0; ch < 8; ch++ {
				pad.d[((r+1)*4+c)*8+ch] = y.at(r, c, ch)
			}
		}
	}
	pool := tflNHWC{2, 2, 8, make([]float64, 2*2*8)}
	for r := 0; r < 2; r++ {
		for c := 0; c < 2; c++ {
			for ch := 0; ch < 8; ch++ {
				m := math.Inf(-1)
				for dy := 0; dy < 2; dy++ {
					for dx := 0; dx < 2; dx++ {
						m = max(m, pad.at(2*r+dy, 2*c+dx, ch))
					}
				}
				pool.d[(r*2+c)*8+ch] = m
			}
		}
	}
	concat := make([]float64, 0, 64)
	for i := 0; i < 4; i++ {
		concat = append(concat, pool.d[i*8:(i+1)*8]...)
		concat = append(concat, pool.d[i*8:(i+1)*8]...)
	}
	// MEAN over H (keep_dims) → [1, 2, 16], flattened in NHWC order.
	flat := make([]float64, 32)
	for c := 0; c < 2; c++ {
		for ch := 0; ch < 16; ch++ {
			flat[c*16+ch] = (concat[(0*2+c)*16+ch] + concat[(1*2+c)*16+ch]) / 2
		}
	}
	logits := make([]float64, 5)
	sum := 0.0
	for n := range logits {
		v := float64(p["b8"][n])
		for k, f := range flat {
			v += float64(p["w8"][n*32+k]) * f
		}
		logits[n] = math.Exp(v)
		sum += logits[n]
	}
	for n := range logits {
		logits[n] /= sum
	}
	return logits, concat
}

func TestTFLiteLayoutConversion(t *testing.T) {
	for _, old := range []bool{false, true} {
		spec, p := tflTestModel(old)
		g, err := Load(spec.build())
		if err != nil {
			t.Fatalf("oldCodes %v: %v", old, err)
		}
		if !slices.Equal(g.Inputs[0].Shape, []int{5, 6, 3}) || !slices.Equal(g.Outputs[1].Shape, []int{2, 2, 16}) {
			t.Fatalf("input %v, second output %v: want NHWC [5 6 3] and [2 2 16]", g.Inputs[0].Shape, g.Outputs[1].Shape)
		}
		transposes := 0
		for _, n := range g.Nodes {
			if n.Op == OpTranspose {
				transposes++
			}
		}
		// After the input, before the flatten and before the rank-4 output.
		if transposes != 3 {
			t.Errorf("oldCodes %v: %d Transpose nodes, want 3", old, transposes)
		}
		conv := g.Nodes[1]
		if conv.Op != OpConv || !slices.Equal(conv.Attrs.Pads, []int{1, 0, 1, 1}) || !slices.Equal(conv.Weight.Shape, []int{4, 3, 3, 3}) {
			t.Fatalf("node %s: pads %v weight %v, want Conv with pads [1 0 1 1] and OIHW [4 3 3 3]", conv.Name, conv.Attrs.Pads, conv.Weight.Shape)
		}
		const batch = 2
		x := NewTensor(batch, 5, 6, 3)
		copy(x.Data, tflRand(99, len(x.Data)))
		out, err := g.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		for s := 0; s < batch; s++ {
			probs, concat := tflTestReference(p, x.Data[s*90:(s+1)*90])
			for i, want := range probs {
				if got := out[0].Data[s*5+i]; math.Abs(float64(got)-want) > 1e-5 {
					t.Fatalf("oldCodes %v sample %d: probability %d is %v, want %v", old, s, i, got, want)
				}
			}
			for i, want := range concat {
				if got := out[1].Data[s*64+i]; math.Abs(float64(got)-want) > 1e-5 {
					t.Fatalf("oldCodes %v sample %d: concatenation element %d is %v, want %v", old, s, i, got, want)
				}
			}
		}
	}
}

func TestTFLiteUnsupportedOperators(t *testing.T) {
	f32 := tflitefb.TensorTypeFLOAT32
	s := &tflSpec{inputs: []int32{0}, outputs: []int32{3}}
	s.tensors = []tflSpecTensor{{name: "x", shape: []int32{1, 4}, typ: f32}, {name: "a", shape: []int32{1, 4}, typ: f32}, {name: "b", shape: []int32{1, 4}, typ: f32}, {name: "c", shape: []int32{1, 4}, typ: f32}}
	s.ops = []tflSpecOp{
		{code: tflitefb.BuiltinOperatorRELU, in: []int32{0}, out: []int32{1}},
		{code: tflitefb.BuiltinOperatorSQUEEZE, in: []int32{1}, out: []int32{2}},
		{code: tflitefb.BuiltinOperatorCUSTOM, custom: "MyOp", in: []int32{2}, out: []int32{3}},
		{code: tflitefb.BuiltinOperatorGELU, in: []int32{3}, out: []int32{3}},
	}
	_, err := ImportTFLite(s.build())
	want := `3 unsupported operator(s): operator 1 SQUEEZE, operator 2 CUSTOM "MyOp", operator 3 GELU`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want an error containing %q", err, want)
	}
}

func TestTFLiteRejectsBadInput(t *testing.T) {
	spec, _ := tflTestModel(false)
	good := spec.build()
	cases := map[string][]byte{
		"empty":         {},
		"no identifier": append([]byte{8, 0, 0, 0, 'X', 'X', 'X', 'X'}, good[8:]...),
		"root offset":   append([]byte{0xff, 0xff, 0xff, 0x7f}, good[4:]...),
	}
	for _, n := range []int{8, 16, 64, len(good) / 2} {
		cases["truncated to "+strconv.Itoa(n)] = good[:n]
	}
	for name, data := range cases {
		if _, err := ImportTFLite(data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Every single-byte corruption gives a graph or an error, never a panic.
	for i := 0; i < len(good); i += 7 {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0xa5
		_, _ = ImportTFLite(bad)
	}
}

// TestTFLiteQuantizeDequantize checks a DEQUANTIZE of constant int8 weights (folded into a
// float Dense, as hybrid models need) and QUANTIZE/DEQUANTIZE of activations.
func TestTFLiteQuantizeDequantize(t *testing.T) {
	f32, i8 := tflitefb.TensorTypeFLOAT32, tflitefb.TensorTypeINT8
	wq := []int8{1, -3, 5, 7, 0, 2, -4, 9}
	wb := make([]byte, len(wq))
	for i, v := range wq {
		wb[i] = byte(v)
	}
	s := &tflSpec{inputs: []int32{0}, outputs: []int32{5}}
	s.tensors = []tflSpecTensor{
		{name: "x", shape: []int32{1, 4}, typ: f32},                                                            // 0
		{name: "wq", shape: []int32{2, 4}, typ: i8, data: wb, scale: []float32{0.5, 0.25}, zp: []int64{1, -1}}, // 1
		{name: "w", shape: []int32{2, 4}, typ: f32},                                                            // 2
		{name: "y", shape: []int32{1, 2}, typ: f32},                                                            // 3
		{name: "yq", shape: []int32{1, 2}, typ: i8, scale: []float32{0.1}, zp: []int64{3}},                     // 4
		{name: "out", shape: []int32{1, 2}, typ: f32},                                                          // 5
	}
	s.ops = []tflSpecOp{
		{code: tflitefb.BuiltinOperatorDEQUANTIZE, in: []int32{1}, out: []int32{2}},
		{code: tflitefb.BuiltinOperatorFULLY_CONNECTED, in: []int32{0, 2, -1}, out: []int32{3}},
		{code: tflitefb.BuiltinOperatorQUANTIZE, in: []int32{3}, out: []int32{4}},
		{code: tflitefb.BuiltinOperatorDEQUANTIZE, in: []int32{4}, out: []int32{5}},
	}
	g, err := ImportTFLite(s.build())
	if err != nil {
		t.Fatal(err)
	}
	var ops []Op
	for _, n := range g.Nodes {
		ops = append(ops, n.Op)
	}
	if len(ops) != 3 || ops[0] != OpDense || ops[1] != OpQuantize || ops[2] != OpDequantize {
		t.Fatalf("nodes %v, want Dense, Quantize, Dequantize", ops)
	}
	dense, quant := g.Nodes[0], g.Nodes[1]
	// Per-channel (axis 0) dequantization: row 0 (q−1)·0.5, row 1 (q+1)·0.25.
	want := []float32{0, -2, 2, 3, 0.25, 0.75, -0.75, 2.5}
	for i, v := range want {
		if dense.Weight.Data[i] != v {
			t.Fatalf("dequantized weights %v, want %v", dense.Weight.Data, want)
		}
	}
	if dense.QWeight != nil || dense.Attrs.Quant != nil {
		t.Error("the hybrid Dense node carries int8 parameters")
	}
	if q := quant.Attrs.Quant; q == nil || q.Scale[0] != 0.1 || q.ZeroPoint[0] != 3 || g.ValueQuantOf(quant.Outputs[0]) == nil {
		t.Errorf("Quantize node: output quantization %+v, want scale 0.1 zero point 3 listed in Graph.Quant", q)
	}
	if g.ValueQuantOf(g.Outputs[0].Name) != nil {
		t.Error("the dequantized output is listed as int8")
	}
}
