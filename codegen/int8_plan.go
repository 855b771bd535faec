package codegen

import (
	"fmt"
	"math"

	"github.com/tcdse/tcdse/model"
)

// Int8 planning. A node with Attrs.Quant (and every Dequantize node) computes in int8 with the
// arithmetic of the Go interpreter's int8 kernels (model/int8_*.go, after TFLite's reference
// integer kernels); its int8 activations take one byte per element in the arena. The C API
// stays float: when the graph input is an int8 value (a full-integer TFLite model), a synthetic
// first layer converts the caller's floats, which hold the integer values exactly as the
// interpreter stores them, to int8; when the graph output is int8, a synthetic last layer
// writes the integers back as floats. Test vectors from model.Run therefore apply unchanged, and
// the harness compares int8 graphs exactly (see emit_harness.go).

// Synthetic operators of the int8 boundary layers. A Plan of a graph with an int8 input or
// output has one more layer than the graph has nodes for each: OpInt8Input first, OpInt8Output
// last (see IsBoundaryLayer).
const (
	OpInt8Input  model.Op = "Int8Input"  // caller floats (integer values) -> int8
	OpInt8Output model.Op = "Int8Output" // int8 -> caller floats

	q8OpIn  = OpInt8Input
	q8OpOut = OpInt8Output
)

// IsBoundaryLayer reports whether a plan layer is a synthetic int8 boundary layer, which has no
// node in the graph.
func IsBoundaryLayer(l LayerPlan) bool {
	return model.Op(l.Op) == OpInt8Input || model.Op(l.Op) == OpInt8Output
}

// q8Affine is a per-tensor quantization, real = scale·(q − zp).
type q8Affine struct {
	scale float32
	zp    int32
}

// q8Layer holds the precomputed int8 parameters of one layer.
type q8Layer struct {
	in, in2, out q8Affine
	// Per output channel (Conv, Dense), or one entry: the requantization multiplier and shift
	// (positive: left), as model.QuantizeMultiplier computes them.
	mult  []int32
	shift []int32
	// Second and third multipliers (Add/Sub: input 2 and output; Softmax/Logistic/Tanh:
	// the input rescaling, with radius in lo).
	mult2, mult3   int32
	shift2, shift3 int32
	// qlo and qhi clamp the output (activation bounds).
	qlo, qhi int32
	// weights as int8 row-major [rows, cols] and the int32 bias (Dense: folded with the input
	// zero point, bias − zp_x·Σw).
	weights []int8
	bias    []int32
	csr     *q8CSR
	sp8     *sparse8Matrix // the sparse8 form (sparse8_format.go), or nil
	// requant: Relu/Clip/Reshape copy must requantize input to output quantization.
	requant bool
	rnn     *rnn8Params // RNN, LSTM and GRU (layer_rnn8.go)
}

// q8Min and q8Max bound int8.
const (
	q8Min = math.MinInt8
	q8Max = math.MaxInt8
)

// q8PerTensor checks and returns a per-tensor int8 quantization.
func q8PerTensor(n *model.Node, q *model.QuantParams, what string) (q8Affine, error) {
	if q == nil {
		return q8Affine{}, fmt.Errorf("codegen: node %q (%s): %s has no int8 quantization", n.Name, n.Op, what)
	}
	if len(q.Scale) != 1 || len(q.ZeroPoint) > 1 {
		return q8Affine{}, fmt.Errorf("codegen: node %q (%s): %s needs per-tensor quantization, got %d scales and %d zero points", n.Name, n.Op, what, len(q.Scale), len(q.ZeroPoint))
	}
	a := q8Affine{scale: q.Scale[0]}
	if len(q.ZeroPoint) == 1 {
		a.zp = q.ZeroPoint[0]
	}
	if !(a.scale > 0) || math.IsInf(float64(a.scale), 0) {
		return q8Affine{}, fmt.Errorf("codegen: node %q (%s): %s has scale %v, want a positive finite number", n.Name, n.Op, what, a.scale)
	}
	if a.zp < q8Min || a.zp > q8Max {
		return q8Affine{}, fmt.Errorf("codegen: node %q (%s): %s has zero point %d outside int8", n.Name, n.Op, what, a.zp)
	}
	return a, nil
}

// isQ8Node reports whether a node computes in int8.
func isQ8Node(n *model.Node) bool {
	return n.Attrs.Quant != nil || n.Op == model.OpDequantize || n.Op == q8OpIn || n.Op == q8OpOut
}

// q8WrapBoundary returns g with synthetic int8 boundary layers when its input or output is an
// int8 value; g itself is not modified (nodes that change are copied).
func q8WrapBoundary(g *model.Graph) *model.Graph {
	in, out := g.Inputs[0].Name, g.Outputs[0].Name
	inQ, outQ := g.ValueQuantOf(in), g.ValueQuantOf(out)
	if inQ == nil && outQ == nil {
		return g
	}
	h := *g
	h.Shapes = make(map[string][]int, len(g.Shapes)+2)
	for k, v := range g.Shapes {
		h.Shapes[k] = v
	}
	h.Quant = append([]model.ValueQuant(nil), g.Quant...)
	h.Nodes = make([]*model.Node, 0, len(g.Nodes)+2)
	inner := in
	if inQ != nil {
		inner = in + "#int8"
		h.Shapes[inner] = g.Shapes[in]
		h.Quant = append(h.Quant, model.ValueQuant{Name: inner, Params: inQ})
		h.Nodes = append(h.Nodes, &model.Node{Name: in + "#to_int8", Op: q8OpIn, Inputs: []string{in}, Outputs: []string{inner},
			Attrs: model.Attrs{Quant: inQ}})
	}
	innerOut := out
	if outQ != nil {
		innerOut = out + "#int8"
		h.Shapes[innerOut] = g.Shapes[out]
		h.Quant = append(h.Quant, model.ValueQuant{Name: innerOut, Params: outQ})
	}
	for _, n := range g.Nodes {
		c := n
		rename := func(s string) string {
			switch s {
			case in:
				return inner
			case out:
				return innerOut
			}
			return s
		}
		changed := false
		for _, v := range append(append([]string(nil), n.Inputs...), n.Outputs...) {
			if rename(v) != v {
				changed = true
			}
		}
		if changed {
			cp := *n
			cp.Inputs = make([]string, len(n.Inputs))
			for i, v := range n.Inputs {
				cp.Inputs[i] = rename(v)
			}
			cp.Outputs = make([]string, len(n.Outputs))
			for i, v := range n.Outputs {
				cp.Outputs[i] = rename(v)
			}
			c = &cp
		}
		h.Nodes = append(h.Nodes, c)
	}
	if outQ != nil {
		h.Nodes = append(h.Nodes, &model.Node{Name: out + "#from_int8", Op: q8OpOut, Inputs: []string{innerOut}, Outputs: []string{out}})
	}
	return &h
}

// binaryMultipliers sets the fixed-point requantization of an int8 Add, Sub or Mul (op) from
// the scales of its two inputs and its output, as TFLite's Prepare does: for Mul one multiplier
// s_a·s_b/s_y (mult, shift); for Add and Sub the input multipliers s_a/(2·max) and s_b/(2·max)
// (mult, shift and mult2, shift2) and the output multiplier 2·max/(2^20·s_y) (mult3, shift3).
func (q *q8Layer) binaryMultipliers(op model.Op) {
	if op == model.OpMul {
		m, s := model.QuantizeMultiplier(float64(q.in.scale) * float64(q.in2.scale) / float64(q.out.scale))
		q.mult, q.shift = []int32{m}, []int32{int32(s)}
		return
	}
	twiceMax := float64(2 * max(q.in.scale, q.in2.scale))
	m1, s1 := model.QuantizeMultiplier(float64(q.in.scale) / twiceMax)
	m2, s2 := model.QuantizeMultiplier(float64(q.in2.scale) / twiceMax)
	mo, so := model.QuantizeMultiplier(twiceMax / (float64(1<<20) * float64(q.out.scale)))
	q.mult, q.shift = []int32{m1}, []int32{int32(s1)}
	q.mult2, q.shift2, q.mult3, q.shift3 = m2, int32(s2), mo, int32(so)
}

// q8ValueTypes returns the int8 values of a graph: those with a Graph.Quant entry.
func q8ValueTypes(g *model.Graph) map[string]bool {
	m := map[string]bool{}
	for _, q := range g.Quant {
		m[q.Name] = true
	}
	return m
}

// planQ8Layer classifies an int8 node, checks what the C kernels support and precomputes the
// fixed-point parameters exactly as the interpreter does.
func planQ8Layer(ls *layerState, g *model.Graph, opts Options) error {
	n, lp := ls.node, ls.plan
	q := &q8Layer{}
	ls.q8 = q
	fail := func(format string, args ...any) error {
		return fmt.Errorf("codegen: node %q (%s, int8): %s", n.Name, n.Op, fmt.Sprintf(format, args...))
	}
	inQ := func(i int) (q8Affine, error) {
		return q8PerTensor(n, g.ValueQuantOf(n.Inputs[i]), "input "+n.Inputs[i])
	}
	var err error
	switch n.Op {
	case q8OpIn, q8OpOut, model.OpDequantize, model.OpQuantize:
		lp.Kind = KindElementwise
		lp.Ops = lp.Outputs
		if n.Op == model.OpDequantize {
			q.in, err = inQ(0)
			return err
		}
		if n.Op == model.OpQuantize {
			if g.ValueQuantOf(n.Inputs[0]) != nil {
				return fail("requantizing an int8 input has no C kernel yet")
			}
			q.out, err = q8PerTensor(n, n.Attrs.Quant, "the output")
		}
		return err
	}
	if q.out, err = q8PerTensor(n, n.Attrs.Quant, "the output"); err != nil {
		return err
	}
	if len(n.Inputs) == 0 || g.ValueQuantOf(n.Inputs[0]) == nil {
		return fail("input %v is not an int8 value", n.Inputs)
	}
	if q.in, err = inQ(0); err != nil {
		return err
	}
	q.qlo, q.qhi = q8Min, q8Max
	switch n.Op {
	case model.OpConv, model.OpDense:
		if n.Op == model.OpConv {
			lp.Kind = KindConv
		} else {
			lp.Kind = KindDense
		}
		return planQ8Weights(ls, g, opts)
	case model.OpMaxPool, model.OpAvgPool:
		lp.Kind = KindPool
		if q.in != q.out {
			return fail("int8 pooling needs equal input and output quantization, got %+v and %+v", q.in, q.out)
		}
		if len(ls.inShape) != 3 || len(ls.outShape) != 3 || len(n.Attrs.Kernel) != 2 {
			return fail("only 2D pooling over [C,H,W] has an int8 C kernel")
		}
		w := windowGeometry(n, ls.inShape, ls.outShape, n.Attrs.Kernel[0], n.Attrs.Kernel[1])
		lp.Ops = ls.inShape[0] * w.taps()
	case model.OpRelu, model.OpClip:
		lp.Kind = KindElementwise
		lp.Ops = lp.Outputs
		lo, hi := float32(0), float32(math.Inf(1))
		if n.Op == model.OpClip {
			lo, hi = n.Attrs.Min, n.Attrs.Max
		}
		q.qlo, q.qhi = q8ActivationBound(lo, q.out), q8ActivationBound(hi, q.out)
		q.requant = q.in != q.out
		m, s := model.QuantizeMultiplier(float64(q.in.scale) / float64(q.out.scale))
		q.mult, q.shift = []int32{m}, []int32{int32(s)}
	case model.OpReshape:
		lp.Kind = KindReshape
		if q.in != q.out {
			return fail("an int8 Reshape that requantizes (%+v to %+v) has no C kernel", q.in, q.out)
		}
	case model.OpAdd, model.OpSub, model.OpMul:
		lp.Kind = KindElementwise
		lp.Ops = lp.Outputs
		if len(n.Inputs) != 2 || !model.EqualShapes(g.Shapes[n.Inputs[0]], g.Shapes[n.Inputs[1]]) {
			return fail("broadcasting %v and %v has no int8 C kernel; only equal shapes", g.Shapes[n.Inputs[0]], g.Shapes[n.Inputs[1]])
		}
		if g.ValueQuantOf(n.Inputs[1]) == nil {
			return fail("input %q is not an int8 value", n.Inputs[1])
		}
		if q.in2, err = inQ(1); err != nil {
			return err
		}
		q.binaryMultipliers(n.Op)
	case model.OpLeakyRelu, model.OpHardSwish:
		if err := planQ8Unary(ls); err != nil { // layer_bcast_q8unary.go
			return err
		}
	case model.OpLSTM, model.OpGRU, model.OpRNN:
		return planQ8Recurrent(ls) // layer_rnn8.go
	case model.OpMean:
		lp.Kind = KindReduce
		if _, _, err := meanRun(n, ls.inShape); err != nil {
			return err
		}
		lp.Ops, _ = model.NumElements(ls.inShape)
		m, s := model.QuantizeMultiplier(float64(q.in.scale) / float64(q.out.scale))
		q.mult, q.shift = []int32{m}, []int32{int32(s)}
	case model.OpSoftmax:
		lp.Kind = KindSoftmax
		lp.Ops = lp.Outputs
		if q.out != (q8Affine{1.0 / 256, -128}) {
			return fail("output quantization %+v is not TFLite's (1/256, -128); the interpreter's float fallback has no C kernel", q.out)
		}
		if d := ls.outShape[len(ls.outShape)-1]; d > 256 {
			return fail("softmax over %d classes; the int8 C kernel handles at most 256", d)
		}
		real := min(float64(q.in.scale)*float64(int64(1)<<(31-5)), float64(math.MaxInt32))
		m, s := model.QuantizeMultiplier(real)
		q.mult, q.shift = []int32{m}, []int32{int32(s)}
		q.qlo = -q8InputRadius(5, s) // diff_min
	case model.OpSigmoid, model.OpTanh:
		lp.Kind = KindElementwise
		lp.Ops = lp.Outputs
		want := q8Affine{1.0 / 256, -128}
		if n.Op == model.OpTanh {
			want = q8Affine{1.0 / 128, 0}
		}
		if q.out != want {
			return fail("output quantization %+v is not TFLite's %+v; the interpreter's float fallback has no C kernel", q.out, want)
		}
		fr, exp := math.Frexp(float64(q.in.scale) * float64(int64(1)<<27))
		q.mult = []int32{int32(int64(math.Round(fr * (1 << 31))))}
		q.shift = []int32{int32(exp)}
		if exp < 0 || exp > 31 {
			return fail("input scale %v gives a rescaling shift %d outside [0, 31]", q.in.scale, exp)
		}
		q.qlo = q8InputRadius(4, exp)
	default:
		return fail("operator has no int8 C kernel")
	}
	for _, s := range q.shift {
		if s > 31 || s < -31 {
			return fail("requantization shift %d outside [-31, 31]", s)
		}
	}
	return nil
}

// q8InputRadius is TFLite's CalculateInputRadius with 31 total bits, as the interpreter
// computes it.
func q8InputRadius(intBits, leftShift int) int32 {
	v := 1.0 * float64(int64(1)<<intBits-1) * float64(int64(1)<<(31-intBits)) / float64(int64(1)<<leftShift)
	return int32(math.Floor(v))
}

// q8ActivationBound quantizes a real clamp bound like the interpreter (TFLite's
// CalculateActivationRangeQuantized): zp + round(v/scale) in float32, limited to int8.
func q8ActivationBound(v float32, out q8Affine) int32 {
	if math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) {
		if v < 0 {
			return q8Min
		}
		return q8Max
	}
	r := math.Round(float64(v/out.scale)) + float64(out.zp)
	return int32(min(max(r, q8Min), q8Max))
}

// planQ8Weights checks a Conv or Dense node's int8 weights and bias, precomputes the
// per-channel requantization and chooses the weight format by bytes.
func planQ8Weights(ls *layerState, g *model.Graph, opts Options) error {
	n, lp, q := ls.node, ls.plan, ls.q8
	fail := func(format string, args ...any) error {
		return fmt.Errorf("codegen: node %q (%s, int8): %s", n.Name, n.Op, fmt.Sprintf(format, args...))
	}
	w := n.QWeight
	if w == nil || len(w.Shape) == 0 {
		return fail("computes in int8 but has no QWeight")
	}
	if k, err := model.NumElements(w.Shape); err != nil || k != len(w.Data) || k == 0 {
		return fail("QWeight shape %v does not match its %d elements", w.Shape, len(w.Data))
	}
	rows := w.Shape[0]
	cols := len(w.Data) / rows
	if n.QBias != nil && len(n.QBias) != rows {
		return fail("QBias has %d elements, want %d", len(n.QBias), rows)
	}
	for _, z := range w.Quant.ZeroPoint {
		if z != 0 {
			return fail("weight zero point %d; the int8 C kernels need symmetric weights (zero point 0)", z)
		}
	}
	ws := w.Quant.Scale
	if len(ws) != 1 && len(ws) != rows {
		return fail("weight has %d scales, want 1 or %d", len(ws), rows)
	}
	if len(ws) > 1 && w.Quant.Axis != 0 {
		return fail("weight is quantized per channel along axis %d, want 0", w.Quant.Axis)
	}
	q.mult, q.shift = make([]int32, len(ws)), make([]int32, len(ws))
	for c, s := range ws {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return fail("weight scale %d is %v", c, s)
		}
		m, sh := model.QuantizeMultiplier(float64(q.in.scale) * float64(s) / float64(q.out.scale))
		q.mult[c], q.shift[c] = m, int32(sh)
	}
	if n.Attrs.FloatRequant {
		return fail("ONNX float requantization (QLinear*) has no int8 C kernel")
	}
	// Every partial sum must fit int32 so that C (no overflow allowed) and the interpreter
	// (wrapping int32) agree: |bias| + cols·128·(255 + 128 + 128) < 2^31 bounds the direct
	// and the zero-point-folded sums.
	var maxBias int64
	for _, b := range n.QBias {
		maxBias = max(maxBias, int64(b), -int64(b))
	}
	if maxBias+int64(cols)*128*(255+128+128) >= math.MaxInt32 {
		return fail("%d inputs per output with bias up to %d could overflow the int32 accumulator", cols, maxBias)
	}
	q.weights = w.Data
	q.bias = make([]int32, rows)
	copy(q.bias, n.QBias)
	switch n.Op {
	case model.OpDense:
		if len(w.Shape) != 2 {
			return fail("QWeight shape %v, want [N, K]", w.Shape)
		}
		if k, _ := model.NumElements(ls.inShape); k != cols {
			return fail("input has %d elements, QWeight expects %d", k, cols)
		}
		lp.MACs = rows * cols
	case model.OpConv:
		if len(w.Shape) != 4 || len(ls.inShape) != 3 || len(ls.outShape) != 3 {
			return fail("only 2D convolution [M, C/group, kH, kW] over [C,H,W] has an int8 C kernel (weight %v)", w.Shape)
		}
		grp := n.Groups()
		c := ls.inShape[0]
		if rows != ls.outShape[0] || c%grp != 0 || rows%grp != 0 || w.Shape[1]*grp != c {
			return fail("QWeight %v does not fit input channels %d, output channels %d, group %d", w.Shape, c, rows, grp)
		}
		geo := windowGeometry(n, ls.inShape, ls.outShape, w.Shape[2], w.Shape[3])
		lp.MACs = w.Shape[0] * w.Shape[1] * geo.taps()
	}
	// Fold the input zero point into the bias: Σ w(x − zp) = Σ wx − zp·Σw. Convolutions pad
	// with the zero point, so the folded form holds at the borders too.
	for r := 0; r < rows; r++ {
		var s int32
		for _, v := range w.Data[r*cols : (r+1)*cols] {
			s += int32(v)
		}
		q.bias[r] -= q.in.zp * s
	}
	lp.EffectiveMACs = lp.MACs
	nnz := 0
	for _, v := range w.Data {
		if v != 0 {
			nnz++
		}
	}
	lp.Params = len(w.Data) + rows
	lp.NNZ, lp.Rows, lp.Cols = nnz, rows, cols
	return planQ8Format(ls, opts)
}

// planQ8Node is planLayer for an int8 node: the layer's output takes one byte per element when
// it is an int8 value.
func planQ8Node(n *model.Node, g *model.Graph, int8Values map[string]bool, opts Options) (*layerState, error) {
	ls := &layerState{node: n, inShape: g.Shapes[n.Inputs[0]], outShape: g.Shapes[n.Outputs[0]]}
	outElems, _ := model.NumElements(ls.outShape)
	ls.plan = &LayerPlan{
		Node: n.Name, Op: string(n.Op),
		Inputs: append([]string(nil), n.Inputs...), Output: n.Outputs[0],
		OutShape: append([]int(nil), ls.outShape...), Outputs: outElems,
		OutBytes: outElems * valueBytes(int8Values, n.Outputs[0]),
	}
	conv1DAs2D(ls) // 1D Conv and pooling run on the 2D kernels with height 1
	if err := planQ8Layer(ls, g, opts); err != nil {
		return nil, err
	}
	return ls, nil
}

// q8PatchName names the scratch buffer an int8 convolution gathers its kernel windows into,
// or an int8 recurrent layer keeps its state in.
func q8PatchName(n *model.Node) string {
	if model.RecurrentGates(n.Op) > 0 {
		return scratchName(n)
	}
	return n.Name + "#patch"
}

// q8ScratchBytes is the scratch an int8 layer needs live at its node: a convolution's patch
// (one group's kernel window, int8), a recurrent layer's state (layer_rnn8.go), else 0.
func q8ScratchBytes(ls *layerState) int {
	if ls.q8 != nil && ls.q8.rnn != nil {
		return rnn8ScratchBytes(ls)
	}
	if ls.q8 == nil || ls.node.Op != model.OpConv {
		return 0
	}
	return ls.plan.Cols
}

// valueBytes is the size of one element of a value: 1 for int8 values, 4 for float32.
func valueBytes(int8Values map[string]bool, name string) int {
	if int8Values[name] {
		return 1
	}
	return floatBytes
}

// HasInt8 reports whether the plan has int8 layers; their harness compares outputs exactly.
func (p *Plan) HasInt8() bool {
	for _, ls := range p.layers {
		if ls.q8 != nil {
			return true
		}
	}
	return false
}

// q8DecideFusion folds an int8 Relu or Clip into its producer's output clamp when the
// activation does not requantize (TFLite's fused activation: the clamp bounds are the
// activation's quantized range), the producer is an int8 Conv, Dense, Add, Sub or Mul, and the
// activation is the only reader of the producer's output, which is not the graph output. The
// activation then emits no code and shares the producer's buffer.
func q8DecideFusion(layers []*layerState, graphOutput string) {
	producer, readers := producersAndReaders(layers)
	for _, ls := range layers {
		op := ls.node.Op
		if ls.q8 == nil || (op != model.OpRelu && op != model.OpClip) || ls.q8.requant {
			continue
		}
		x := ls.node.Inputs[0]
		p := producer[x]
		if p == nil || p.q8 == nil || readers[x] != 1 || x == graphOutput || p.fuseRelu {
			continue
		}
		switch p.node.Op {
		case model.OpConv, model.OpDense, model.OpAdd, model.OpSub, model.OpMul:
		default:
			continue
		}
		p.q8.qlo, p.q8.qhi = max(p.q8.qlo, ls.q8.qlo), min(p.q8.qhi, ls.q8.qhi)
		p.fuseRelu = true
		p.plan.FusedRelu = true
		ls.fusedAway = true
		ls.plan.FusedInto = p.node.Name
	}
}
