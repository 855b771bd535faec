package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/tcdse/tcdse/model/tflitefb"
)

// ImportTFLite parses a TensorFlow Lite flatbuffer (file identifier "TFL3") and normalises its
// main subgraph into the IR.
//
// Layout: TFLite activations are NHWC, the IR's are NCHW. Every rank-4 activation becomes a
// per-sample [C,H,W] value; convolution weights OHWI and depthwise weights 1HWO become OIHW
// and [C·mult,1,kH,kW] with Group C; axes of RESHAPE, MEAN, CONCATENATION and PAD are remapped.
// A rank-4 graph input keeps the caller's NHWC data order ([H,W,C] per sample): a Transpose
// to [C,H,W] follows it (a Reshape when the two orders hold the same bytes). A rank-4 graph
// output is transposed back to [H,W,C]. A RESHAPE from a rank-4 value first restores HWC order,
// so a flatten before FULLY_CONNECTED feeds the weights in TFLite's order.
//
// Fused activations (RELU, RELU6, RELU_N1_TO_1, TANH) become a following activation node.
// SAME and VALID padding are turned into explicit pads as TFLite computes them.
//
// Quantization: an operator whose activations are int8 keeps its quantization. Its node gets
// Attrs.Quant (the output's parameters) and every int8 activation is listed in Graph.Quant.
// Conv and Dense nodes get QWeight (the int8 weights in IR layout with per-tensor or
// per-channel parameters, channel axis 0) and QBias (int32, scale = input scale × weight
// scale), and also Weight and Bias holding the dequantized values, so that the float tools
// (pruning, exploration, code generation) see the layer. Int8 constant operands of
// elementwise operators become graph constants holding the integer values, listed in
// Graph.Quant. A fused RELU or RELU6 that the int8 output range already implies (its
// zero-point sits at −128 and, for RELU6, 6 is beyond the range) is dropped, as TFLite
// itself does not compute it. QUANTIZE and DEQUANTIZE become OpQuantize and OpDequantize.
// Hybrid models (float activations with int8 weights, or DEQUANTIZE of a constant) are
// imported as float graphs with the weights dequantized.
//
// UNIDIRECTIONAL_SEQUENCE_LSTM becomes OpLSTM (float, hybrid, or full-integer with an int16 cell
// state, see int8_rnn_tflite.go); its cell_clip becomes Attrs.CellClip (see tflImporter.lstm).
//
// The batch dimension of every activation must be 1 and is stripped. A model using operators
// the IR cannot express is rejected with an error listing every such operator with its index.
// The returned graph has been validated. Corrupt input gives an error, never a panic.
func ImportTFLite(data []byte) (g *Graph, err error) {
	defer func() {
		if r := recover(); r != nil {
			if tflRepanicOwnBugs && !tflPanicInFlatbuffers() {
				panic(r)
			}
			g, err = nil, fmt.Errorf("tflite: corrupt flatbuffer: %v", r)
		}
	}()
	imp, err := newTFLImporter(data)
	if err != nil {
		return nil, fmt.Errorf("tflite: %w", err)
	}
	if g, err = imp.importGraph(); err != nil {
		return nil, fmt.Errorf("tflite: %w", err)
	}
	return g, nil
}

// tflRepanicOwnBugs makes ImportTFLite re-raise panics that do not come from the flatbuffers
// accessors (which panic on corrupt input by design), so that fuzzing finds the importer's
// own bugs.
var tflRepanicOwnBugs = false

// tflPanicInFlatbuffers reports whether the panic being recovered was raised in the
// flatbuffers runtime or the generated tflitefb code. Called from a deferred function, the
// panicking frames are still on the stack.
func tflPanicInFlatbuffers() bool {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	inPanic := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			inPanic = true
		case inPanic && !strings.HasPrefix(f.Function, "runtime."):
			return strings.HasPrefix(f.Function, "github.com/google/flatbuffers/") || strings.Contains(f.Function, "/model/tflitefb.")
		}
		if !more {
			return false
		}
	}
}

// tflMaxVector bounds any vector length read from the file; the file's own size bounds it
// further.
const tflMaxVector = 1 << 28

// tflTensor is the decoded metadata of one TFLite tensor.
type tflTensor struct {
	name   string
	shape  []int
	typ    tflitefb.TensorType
	quant  *QuantParams // nil when the tensor has no quantization
	data   []byte       // constant data; nil for activations
	isVar  bool
	sparse bool
}

// tflValue is an IR activation that holds a TFLite tensor.
type tflValue struct {
	name  string
	shape []int // IR per-sample shape
	// nchw says that the value is a rank-4 TFLite tensor stored as [C,H,W].
	nchw bool
}

// tflImporter holds the state of one ImportTFLite call.
type tflImporter struct {
	model   *tflitefb.Model
	sg      *tflitefb.SubGraph
	bufLen  int
	tensors []tflTensor
	g       *Graph
	// vals maps a TFLite tensor index to the IR value holding it.
	vals map[int32]*tflValue
	// folded holds float constants computed at import time (DEQUANTIZE of a constant).
	folded map[int32]*Tensor
	// taken holds every IR value name in use, nodeNames every node name.
	taken, nodeNames map[string]bool
	// expect records the per-sample shape the importer expects for each IR value, checked
	// against shape inference at the end.
	expect map[string][]int
	// quantNoted holds the values already listed in Graph.Quant.
	quantNoted map[string]bool
}

// tflVector checks that the vector in field slot of table t lies inside the buffer, with
// elements of elemSize bytes, and returns its length (0 when absent).
func tflVector(t flatbuffers.Table, field int, elemSize int, what string) (int, error) {
	o := flatbuffers.UOffsetT(t.Offset(flatbuffers.VOffsetT(4 + 2*field)))
	if o == 0 {
		return 0, nil
	}
	pos := int(t.Pos) + int(o)
	if pos < 0 || pos+4 > len(t.Bytes) {
		return 0, fmt.Errorf("%s: vector offset out of range", what)
	}
	start := pos + int(binary.LittleEndian.Uint32(t.Bytes[pos:]))
	if start < 0 || start+4 > len(t.Bytes) {
		return 0, fmt.Errorf("%s: vector out of range", what)
	}
	n := int(binary.LittleEndian.Uint32(t.Bytes[start:]))
	if n > tflMaxVector || start+4+n*elemSize > len(t.Bytes) {
		return 0, fmt.Errorf("%s: vector of %d elements runs past the end of the file", what, n)
	}
	return n, nil
}

// tflTable checks that a table starting at pos has its vtable inside the buffer.
func tflTable(buf []byte, pos int, what string) error {
	if pos < 0 || pos+4 > len(buf) {
		return fmt.Errorf("%s: table offset %d out of range", what, pos)
	}
	vt := pos - int(int32(binary.LittleEndian.Uint32(buf[pos:])))
	if vt < 0 || vt+4 > len(buf) {
		return fmt.Errorf("%s: vtable out of range", what)
	}
	vlen := int(binary.LittleEndian.Uint16(buf[vt:]))
	if vlen < 4 || vt+vlen > len(buf) {
		return fmt.Errorf("%s: vtable of %d bytes out of range", what, vlen)
	}
	return nil
}

// newTFLImporter checks the file identifier and the model's and first subgraph's tables.
func newTFLImporter(data []byte) (*tflImporter, error) {
	if len(data) < 8 || string(data[4:8]) != "TFL3" {
		return nil, errors.New(`not a TFLite model (no "TFL3" file identifier)`)
	}
	root := int(binary.LittleEndian.Uint32(data))
	if err := tflTable(data, root, "model"); err != nil {
		return nil, err
	}
	m := tflitefb.GetRootAsModel(data, 0)
	t := m.Table()
	for _, f := range []struct {
		field int
		what  string
	}{{1, "operator_codes"}, {2, "subgraphs"}, {4, "buffers"}} {
		if _, err := tflVector(t, f.field, 4, f.what); err != nil {
			return nil, err
		}
	}
	if m.SubgraphsLength() == 0 {
		return nil, errors.New("the model has no subgraph")
	}
	sg := new(tflitefb.SubGraph)
	if !m.Subgraphs(sg, 0) {
		return nil, errors.New("cannot read subgraph 0")
	}
	if err := tflTable(data, int(sg.Table().Pos), "subgraph 0"); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		field int
		what  string
	}{{0, "tensors"}, {1, "inputs"}, {2, "outputs"}, {3, "operators"}} {
		if _, err := tflVector(sg.Table(), f.field, 4, "subgraph 0 "+f.what); err != nil {
			return nil, err
		}
	}
	name := string(sg.Name())
	if name == "" {
		name = "tflite"
	}
	return &tflImporter{
		model: m, sg: sg, bufLen: len(data),
		g:    &Graph{Name: name},
		vals: map[int32]*tflValue{}, folded: map[int32]*Tensor{},
		taken: map[string]bool{}, nodeNames: map[string]bool{}, expect: map[string][]int{}, quantNoted: map[string]bool{},
	}, nil
}

// importGraph converts subgraph 0 and validates the result against the declared shapes.
func (imp *tflImporter) importGraph() (*Graph, error) {
	if err := imp.readTensors(); err != nil {
		return nil, err
	}
	ops, err := imp.readOperators()
	if err != nil {
		return nil, err
	}
	if err := imp.graphInputs(); err != nil {
		return nil, err
	}
	for _, op := range ops {
		if err := tflOps[op.code](imp, op); err != nil {
			return nil, fmt.Errorf("operator %d (%s): %w", op.index, op.codeName(), err)
		}
	}
	if err := imp.graphOutputs(); err != nil {
		return nil, err
	}
	if err := imp.g.Validate(); err != nil {
		return nil, fmt.Errorf("imported graph is invalid: %w", err)
	}
	for name, want := range imp.expect {
		if got := imp.g.Shapes[name]; !slices.Equal(got, want) {
			return nil, fmt.Errorf("value %q: shape inference gives %v, the model declares %v", name, got, want)
		}
	}
	return imp.g, nil
}

// readTensors decodes every tensor's metadata and constant data.
func (imp *tflImporter) readTensors() error {
	n := imp.sg.TensorsLength()
	imp.tensors = make([]tflTensor, n)
	nbuf := imp.model.BuffersLength()
	var tt tflitefb.Tensor
	var b tflitefb.Buffer
	for i := 0; i < n; i++ {
		if !imp.sg.Tensors(&tt, i) {
			return fmt.Errorf("cannot read tensor %d", i)
		}
		if err := tflTable(tt.Table().Bytes, int(tt.Table().Pos), fmt.Sprintf("tensor %d", i)); err != nil {
			return err
		}
		t := &imp.tensors[i]
		t.name = string(tt.Name())
		t.typ = tt.Type()
		t.isVar = tt.IsVariable()
		t.sparse = tt.Sparsity(nil) != nil
		what := fmt.Sprintf("tensor %d %q", i, t.name)
		k, err := tflVector(tt.Table(), 0, 4, what+" shape")
		if err != nil {
			return err
		}
		t.shape = make([]int, k)
		for j := range t.shape {
			t.shape[j] = int(tt.Shape(j))
		}
		if _, err := NumElements(t.shape); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if q := tt.Quantization(nil); q != nil {
			if t.quant, err = tflQuant(q, what); err != nil {
				return err
			}
		}
		bi := int(tt.Buffer())
		if bi == 0 {
			continue
		}
		if bi >= nbuf || !imp.model.Buffers(&b, bi) {
			return fmt.Errorf("%s: buffer %d does not exist (%d buffers)", what, bi, nbuf)
		}
		if err := tflTable(b.Table().Bytes, int(b.Table().Pos), what+" buffer"); err != nil {
			return err
		}
		if b.Offset() > 1 {
			return fmt.Errorf("%s: data stored outside the flatbuffer is not supported", what)
		}
		if _, err := tflVector(b.Table(), 0, 1, what+" data"); err != nil {
			return err
		}
		if d := b.DataBytes(); len(d) > 0 {
			t.data = d
		}
	}
	return nil
}

// tflQuant reads quantization parameters; it returns nil when there is no scale.
func tflQuant(q *tflitefb.QuantizationParameters, what string) (*QuantParams, error) {
	if err := tflTable(q.Table().Bytes, int(q.Table().Pos), what+" quantization"); err != nil {
		return nil, err
	}
	ns, err := tflVector(q.Table(), 2, 4, what+" scale")
	if err != nil {
		return nil, err
	}
	nz, err := tflVector(q.Table(), 3, 8, what+" zero_point")
	if err != nil {
		return nil, err
	}
	if ns == 0 {
		return nil, nil
	}
	if q.DetailsType() != tflitefb.QuantizationDetailsNONE {
		return nil, fmt.Errorf("%s: custom quantization is not supported", what)
	}
	if nz != ns && nz != 0 {
		return nil, fmt.Errorf("%s: %d scales but %d zero points", what, ns, nz)
	}
	p := &QuantParams{Scale: make([]float32, ns), ZeroPoint: make([]int32, ns), Axis: int(q.QuantizedDimension())}
	for i := range p.Scale {
		p.Scale[i] = q.Scale(i)
		if nz > 0 {
			z := q.ZeroPoint(i)
			if z < math.MinInt32 || z > math.MaxInt32 {
				return nil, fmt.Errorf("%s: zero point %d out of range", what, z)
			}
			p.ZeroPoint[i] = int32(z)
		}
		if s := p.Scale[i]; !(s > 0) || math.IsInf(float64(s), 0) {
			return nil, fmt.Errorf("%s: scale %v is not positive and finite", what, s)
		}
	}
	if ns == 1 {
		p.Axis = 0
	}
	return p, nil
}

// tflOp is one operator of the subgraph, decoded.
type tflOp struct {
	index   int
	code    tflitefb.BuiltinOperator
	custom  string
	inputs  []int32 // -1 for an absent optional input
	outputs []int32
	op      *tflitefb.Operator
}

// codeName names the operator for messages, with the custom code of CUSTOM operators.
func (o *tflOp) codeName() string {
	if o.code == tflitefb.BuiltinOperatorCUSTOM {
		return fmt.Sprintf("CUSTOM %q", o.custom)
	}
	return tflOpName(o.code)
}

// tflOpName returns the schema name of a builtin operator code.
func tflOpName(c tflitefb.BuiltinOperator) string {
	if s, ok := tflitefb.EnumNamesBuiltinOperator[c]; ok {
		return s
	}
	return fmt.Sprintf("builtin operator %d", int32(c))
}

// readOperators decodes every operator and fails listing all the unsupported ones.
func (imp *tflImporter) readOperators() ([]*tflOp, error) {
	ncodes := imp.model.OperatorCodesLength()
	ntens := int32(len(imp.tensors))
	var ops []*tflOp
	var bad []string
	for i := 0; i < imp.sg.OperatorsLength(); i++ {
		op := new(tflitefb.Operator)
		if !imp.sg.Operators(op, i) {
			return nil, fmt.Errorf("cannot read operator %d", i)
		}
		if err := tflTable(op.Table().Bytes, int(op.Table().Pos), fmt.Sprintf("operator %d", i)); err != nil {
			return nil, err
		}
		oi := int(op.OpcodeIndex())
		if oi >= ncodes {
			return nil, fmt.Errorf("operator %d: opcode index %d out of range (%d codes)", i, oi, ncodes)
		}
		var oc tflitefb.OperatorCode
		imp.model.OperatorCodes(&oc, oi)
		if err := tflTable(oc.Table().Bytes, int(oc.Table().Pos), fmt.Sprintf("operator code %d", oi)); err != nil {
			return nil, err
		}
		// TFLite reads the larger of the two fields: old files only set the byte.
		code := tflitefb.BuiltinOperator(max(int32(oc.DeprecatedBuiltinCode()), int32(oc.BuiltinCode())))
		o := &tflOp{index: i, code: code, custom: string(oc.CustomCode()), op: op}
		for _, f := range []struct {
			field int
			dst   *[]int32
			get   func(int) int32
		}{{1, &o.inputs, op.Inputs}, {2, &o.outputs, op.Outputs}} {
			n, err := tflVector(op.Table(), f.field, 4, fmt.Sprintf("operator %d", i))
			if err != nil {
				return nil, err
			}
			*f.dst = make([]int32, n)
			for j := range *f.dst {
				v := f.get(j)
				if v < -1 || v >= ntens {
					return nil, fmt.Errorf("operator %d (%s): tensor index %d out of range (%d tensors)", i, o.codeName(), v, ntens)
				}
				(*f.dst)[j] = v
			}
		}
		if _, ok := tflOps[code]; !ok {
			bad = append(bad, fmt.Sprintf("operator %d %s", i, o.codeName()))
		}
		ops = append(ops, o)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%d unsupported operator(s): %s", len(bad), strings.Join(bad, ", "))
	}
	if len(ops) == 0 {
		return nil, errors.New("the subgraph has no operators")
	}
	return ops, nil
}

// uniqueName returns base, or base suffixed with _1, _2… when base is taken, and reserves it.
func (imp *tflImporter) uniqueName(base string) string {
	if base == "" {
		base = "t"
	}
	name := base
	for k := 1; imp.taken[name]; k++ {
		name = fmt.Sprintf("%s_%d", base, k)
	}
	imp.taken[name] = true
	return name
}

// tensorValueName returns the IR name for a TFLite tensor.
func (imp *tflImporter) tensorValueName(ti int32) string {
	t := &imp.tensors[ti]
	if t.name == "" {
		return imp.uniqueName(fmt.Sprintf("tensor_%d", ti))
	}
	return imp.uniqueName(t.name)
}

// tflPerSample converts a TFLite activation shape to the IR's per-sample shape: the batch
// dimension (which must be 1) is dropped, and rank 4 NHWC becomes [C,H,W].
func tflPerSample(shape []int) ([]int, bool, error) {
	if len(shape) < 2 {
		return nil, false, fmt.Errorf("shape %v: want a batch dimension and at least one more", shape)
	}
	if shape[0] != 1 {
		return nil, false, fmt.Errorf("shape %v: batch dimension %d, want 1", shape, shape[0])
	}
	for _, d := range shape[1:] {
		if d < 1 {
			return nil, false, fmt.Errorf("shape %v: dimensions must be positive", shape)
		}
	}
	if len(shape) == 4 {
		return []int{shape[3], shape[1], shape[2]}, true, nil
	}
	return cloneInts(shape[1:]), false, nil
}

// isInt8 reports whether a tensor holds int8 values with quantization.
func (t *tflTensor) isInt8() bool { return t.typ == tflitefb.TensorTypeINT8 && t.quant != nil }

// checkActivationType rejects activation types other than float32 and quantized int8.
func (t *tflTensor) checkActivationType() error {
	switch {
	case t.typ == tflitefb.TensorTypeFLOAT32:
		return nil
	case t.isInt8():
		if t.quant.PerChannel() {
			return fmt.Errorf("tensor %q: per-channel quantization of an activation is not supported", t.name)
		}
		return nil
	}
	return fmt.Errorf("tensor %q: activation type %s is not supported (want FLOAT32 or quantized INT8)", t.name, tflitefb.EnumNamesTensorType[t.typ])
}

// graphInputs declares the subgraph inputs.
func (imp *tflImporter) graphInputs() error {
	n, err := tflVector(imp.sg.Table(), 1, 4, "subgraph inputs")
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		ti := imp.sg.Inputs(i)
		if ti < 0 || int(ti) >= len(imp.tensors) {
			return fmt.Errorf("graph input %d: tensor index %d out of range", i, ti)
		}
		t := &imp.tensors[ti]
		if err := t.checkActivationType(); err != nil {
			return fmt.Errorf("graph input %d: %w", i, err)
		}
		if t.data != nil {
			return fmt.Errorf("graph input %q has constant data", t.name)
		}
		shape, nchw, err := tflPerSample(t.shape)
		if err != nil {
			return fmt.Errorf("graph input %q: %w", t.name, err)
		}
		name := imp.tensorValueName(ti)
		q := imp.valueQuant(ti)
		if !nchw {
			imp.g.Inputs = append(imp.g.Inputs, Value{Name: name, Shape: shape})
			imp.setValue(ti, name, shape, false, q)
			continue
		}
		hwc := []int{t.shape[1], t.shape[2], t.shape[3]}
		imp.g.Inputs = append(imp.g.Inputs, Value{Name: name, Shape: hwc})
		imp.noteQuant(name, q)
		out := imp.uniqueName(name + "/nchw")
		imp.relayout(name, out, hwc, []int{2, 0, 1}, q)
		imp.setValue(ti, out, shape, true, q)
	}
	if len(imp.g.Inputs) == 0 {
		return errors.New("the subgraph has no inputs")
	}
	return nil
}

// graphOutputs declares the subgraph outputs, restoring NHWC order for rank-4 ones.
func (imp *tflImporter) graphOutputs() error {
	n, err := tflVector(imp.sg.Table(), 2, 4, "subgraph outputs")
	if err != nil {
		return err
	}
	if n == 0 {
		return errors.New("the subgraph has no outputs")
	}
	for i := 0; i < n; i++ {
		ti := imp.sg.Outputs(i)
		v := imp.vals[ti]
		if ti < 0 || int(ti) >= len(imp.tensors) || v == nil {
			return fmt.Errorf("graph output %d (tensor %d) is not computed by any operator", i, ti)
		}
		if imp.isGraphInput(v.name) {
			return fmt.Errorf("graph output %q is a graph input", v.name)
		}
		name := v.name
		if v.nchw {
			name = imp.uniqueName(v.name + "/nhwc")
			imp.relayout(v.name, name, v.shape, []int{1, 2, 0}, imp.valueQuant(ti))
		}
		imp.g.Outputs = append(imp.g.Outputs, Value{Name: name})
	}
	return nil
}

// isGraphInput reports whether name is a graph input.
func (imp *tflImporter) isGraphInput(name string) bool {
	for _, in := range imp.g.Inputs {
		if in.Name == name {
			return true
		}
	}
	return false
}

// valueQuant returns the quantization of an int8 activation tensor, or nil.
func (imp *tflImporter) valueQuant(ti int32) *QuantParams {
	if t := &imp.tensors[ti]; t.isInt8() {
		return t.quant.Clone()
	}
	return nil
}

// noteQuant lists an int8 value in Graph.Quant, once.
func (imp *tflImporter) noteQuant(name string, q *QuantParams) {
	if q != nil && !imp.quantNoted[name] {
		imp.quantNoted[name] = true
		imp.g.Quant = append(imp.g.Quant, ValueQuant{Name: name, Params: q.Clone()})
	}
}

// setValue records that IR value name holds TFLite tensor ti.
func (imp *tflImporter) setValue(ti int32, name string, shape []int, nchw bool, q *QuantParams) {
	imp.vals[ti] = &tflValue{name: name, shape: cloneInts(shape), nchw: nchw}
	imp.expect[name] = cloneInts(shape)
	imp.noteQuant(name, q)
}

// emit appends a node, naming it uniquely from base (node names and value names are
// separate namespaces).
func (imp *tflImporter) emit(base string, n *Node) *Node {
	name := base
	for k := 1; imp.nodeNames[name]; k++ {
		name = fmt.Sprintf("%s_%d", base, k)
	}
	imp.nodeNames[name] = true
	n.Name = name
	imp.g.Nodes = append(imp.g.Nodes, n)
	return n
}

// relayout emits a node computing out from in (per-sample shape shape) by the permutation
// perm: a Reshape when the permutation moves no data (at most one axis larger than 1 changes
// place), else a Transpose. q is the value's quantization (nil for float).
func (imp *tflImporter) relayout(in, out string, shape, perm []int, q *QuantParams) {
	outShape := make([]int, len(perm))
	for i, p := range perm {
		outShape[i] = shape[p]
	}
	n := &Node{Inputs: []string{in}, Outputs: []string{out}}
	if tflPermMovesNoData(shape, perm) {
		n.Op, n.Attrs.Shape = OpReshape, outShape
	} else {
		n.Op, n.Attrs.Perm = OpTranspose, cloneInts(perm)
	}
	n.Attrs.Quant = q.Clone()
	imp.emit(out, n)
	imp.expect[out] = outShape
	imp.noteQuant(out, q)
}

// tflPermMovesNoData reports whether transposing shape by perm leaves the row-major data
// unchanged: the axes larger than 1 keep their relative order.
func tflPermMovesNoData(shape, perm []int) bool {
	last := -1
	for _, p := range perm {
		if shape[p] == 1 {
			continue
		}
		if p < last {
			return false
		}
		last = p
	}
	return true
}

// tensorOf returns the tensor at an operator's input position i, or an error when it is absent.
func (imp *tflImporter) tensorOf(op *tflOp, i int) (int32, *tflTensor, error) {
	if i >= len(op.inputs) || op.inputs[i] < 0 {
		return -1, nil, fmt.Errorf("input %d is missing", i)
	}
	ti := op.inputs[i]
	return ti, &imp.tensors[ti], nil
}

// isConst reports whether an operator input is a constant (stored data or folded).
func (imp *tflImporter) isConst(ti int32) bool {
	return imp.tensors[ti].data != nil || imp.folded[ti] != nil
}

// act returns the IR value of an operator's activation input i.
func (imp *tflImporter) act(op *tflOp, i int) (*tflValue, *tflTensor, error) {
	ti, t, err := imp.tensorOf(op, i)
	if err != nil {
		return nil, nil, err
	}
	v := imp.vals[ti]
	if v == nil {
		if imp.isConst(ti) {
			return nil, nil, fmt.Errorf("input %d (%q) is a constant, want an activation", i, t.name)
		}
		return nil, nil, fmt.Errorf("input %d (%q) is not computed by an earlier operator", i, t.name)
	}
	return v, t, nil
}

// outTensor returns the operator's single output tensor after checking its type.
func (imp *tflImporter) outTensor(op *tflOp) (int32, *tflTensor, error) {
	if len(op.outputs) != 1 || op.outputs[0] < 0 {
		return -1, nil, fmt.Errorf("has %d outputs, want 1", len(op.outputs))
	}
	ti := op.outputs[0]
	t := &imp.tensors[ti]
	if _, done := imp.vals[ti]; done || imp.isConst(ti) {
		return -1, nil, fmt.Errorf("output tensor %q is already defined", t.name)
	}
	if err := t.checkActivationType(); err != nil {
		return -1, nil, err
	}
	return ti, t, nil
}

// tflElemSize returns the byte size of a tensor element type the importer decodes.
func tflElemSize(typ tflitefb.TensorType) int {
	switch typ {
	case tflitefb.TensorTypeFLOAT32, tflitefb.TensorTypeINT32:
		return 4
	case tflitefb.TensorTypeINT64:
		return 8
	case tflitefb.TensorTypeFLOAT16, tflitefb.TensorTypeINT16:
		return 2
	case tflitefb.TensorTypeINT8, tflitefb.TensorTypeUINT8:
		return 1
	}
	return 0
}

// checkData verifies that a constant tensor's data holds exactly its shape's elements.
func (t *tflTensor) checkData() (int, error) {
	n, err := NumElements(t.shape)
	if err != nil {
		return 0, fmt.Errorf("tensor %q: %w", t.name, err)
	}
	size := tflElemSize(t.typ)
	if size == 0 {
		return 0, fmt.Errorf("tensor %q: constant type %s is not supported", t.name, tflitefb.EnumNamesTensorType[t.typ])
	}
	if t.sparse {
		return 0, fmt.Errorf("tensor %q: sparse tensors are not supported", t.name)
	}
	if len(t.data) != n*size {
		return 0, fmt.Errorf("tensor %q: shape %v needs %d bytes of %s, the buffer has %d", t.name, t.shape, n*size, tflitefb.EnumNamesTensorType[t.typ], len(t.data))
	}
	return n, nil
}

// constFloat returns an operator's constant input i as float32 values in TFLite layout:
// FLOAT32 as is, FLOAT16 widened, quantized INT8 and INT32 dequantized.
func (imp *tflImporter) constFloat(op *tflOp, i int) (*Tensor, error) {
	ti, t, err := imp.tensorOf(op, i)
	if err != nil {
		return nil, err
	}
	if f := imp.folded[ti]; f != nil {
		return f.Clone(), nil
	}
	if t.data == nil {
		return nil, fmt.Errorf("input %d (%q) must be a constant", i, t.name)
	}
	return t.floats()
}

// floats decodes a constant tensor as float32 (dequantizing integer types).
func (t *tflTensor) floats() (*Tensor, error) {
	n, err := t.checkData()
	if err != nil {
		return nil, err
	}
	out := &Tensor{Shape: cloneInts(t.shape), Data: make([]float32, n)}
	d := t.data
	switch t.typ {
	case tflitefb.TensorTypeFLOAT32:
		for i := range out.Data {
			out.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(d[4*i:]))
		}
		return out, nil
	case tflitefb.TensorTypeFLOAT16:
		for i := range out.Data {
			out.Data[i] = tflHalf(binary.LittleEndian.Uint16(d[2*i:]))
		}
		return out, nil
	case tflitefb.TensorTypeINT8, tflitefb.TensorTypeINT32:
		if t.quant == nil {
			return nil, fmt.Errorf("tensor %q: %s data without quantization cannot be read as real values", t.name, tflitefb.EnumNamesTensorType[t.typ])
		}
		ints := t.ints()
		channel, zp, err := tflChannelParams(t.quant, t.shape, t.name)
		if err != nil {
			return nil, err
		}
		for i, q := range ints {
			c := channel(i)
			out.Data[i] = float32(float64(t.quant.Scale[c]) * float64(q-int64(zp[c])))
		}
		return out, nil
	}
	return nil, fmt.Errorf("tensor %q: type %s cannot be read as real values", t.name, tflitefb.EnumNamesTensorType[t.typ])
}

// tflChannelParams returns a function from flat element index to quantization channel, and
// the zero points, checking that per-channel parameters match the tensor's shape.
func tflChannelParams(q *QuantParams, shape []int, name string) (func(int) int, []int32, error) {
	if !q.PerChannel() {
		return func(int) int { return 0 }, q.ZeroPoint, nil
	}
	if q.Axis < 0 || q.Axis >= len(shape) || shape[q.Axis] != len(q.Scale) {
		return nil, nil, fmt.Errorf("tensor %q: %d scales along axis %d do not match shape %v", name, len(q.Scale), q.Axis, shape)
	}
	inner := 1
	for _, d := range shape[q.Axis+1:] {
		inner *= d
	}
	c := len(q.Scale)
	return func(i int) int { return (i / inner) % c }, q.ZeroPoint, nil
}

// ints returns integer constant data widened to int64 (checkData must have passed).
func (t *tflTensor) ints() []int64 {
	d := t.data
	size := tflElemSize(t.typ)
	out := make([]int64, len(d)/size)
	for i := range out {
		switch t.typ {
		case tflitefb.TensorTypeINT8:
			out[i] = int64(int8(d[i]))
		case tflitefb.TensorTypeUINT8:
			out[i] = int64(d[i])
		case tflitefb.TensorTypeINT16:
			out[i] = int64(int16(binary.LittleEndian.Uint16(d[2*i:])))
		case tflitefb.TensorTypeINT32:
			out[i] = int64(int32(binary.LittleEndian.Uint32(d[4*i:])))
		case tflitefb.TensorTypeINT64:
			out[i] = int64(binary.LittleEndian.Uint64(d[8*i:]))
		}
	}
	return out
}

// constInts returns an operator's constant integer input i (INT32 or INT64), such as axes.
func (imp *tflImporter) constInts(op *tflOp, i int) ([]int, []int, error) {
	_, t, err := imp.tensorOf(op, i)
	if err != nil {
		return nil, nil, err
	}
	if t.data == nil || (t.typ != tflitefb.TensorTypeINT32 && t.typ != tflitefb.TensorTypeINT64) {
		return nil, nil, fmt.Errorf("input %d (%q) must be a constant INT32 or INT64 tensor", i, t.name)
	}
	if _, err := t.checkData(); err != nil {
		return nil, nil, err
	}
	v := t.ints()
	out := make([]int, len(v))
	for k, x := range v {
		if x < -MaxElements || x > MaxElements {
			return nil, nil, fmt.Errorf("input %d (%q): value %d out of range", i, t.name, x)
		}
		out[k] = int(x)
	}
	return out, t.shape, nil
}

// tflHalf converts an IEEE 754 half-precision value to float32.
func tflHalf(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch exp {
	case 0:
		f := float32(frac) / (1 << 24)
		if sign != 0 {
			return -f
		}
		return f
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | frac<<13)
}
