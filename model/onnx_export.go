package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/tcdse/tcdse/model/onnxpb"
)

// ONNXExportOpset is the version of the default ONNX operator set that ExportONNX writes: 17,
// the newest whose ReduceMean still takes its axes as an attribute. It is the first with
// HardSwish (14) and the recurrent operators' layout attribute (14).
const ONNXExportOpset = 17

// onnxExportIRVersion is the ONNX IR version that goes with opset 17.
const onnxExportIRVersion = 8

// onnxExportBatch is the symbolic name of the batch dimension of the exported graph's inputs
// and outputs.
const onnxExportBatch = "batch"

// ExportONNX writes the graph as a serialized ONNX ModelProto (opset ONNXExportOpset) that
// ImportONNX reads back into a graph computing the same outputs bit for bit.
//
// Every weight is written as a float32 initializer exactly as the IR holds it, so pruned
// (zero) weights stay zero. Conv becomes Conv (1D or 2D), Dense becomes Gemm with transB=1
// (preceded by Flatten when its input has more than one axis), pools keep count_include_pad=0,
// graph constants become initializers, Clip's bounds, Reshape's shape, Pad's pads and Slice's
// and Gather's indices become initializers, Mean becomes ReduceMean, and RNN, LSTM and GRU
// become the ONNX operators with layout=1 (batch first), followed by a Squeeze of their
// num_directions axis: Y for a node that outputs every step, Y_h for one that outputs the last.
// An Add of a constant to the output of a Conv or Dense layer that nothing else reads is written
// as a Sub of the negated constant, since ImportONNX would fold an Add into the layer's bias
// and round differently. The batch dimension is symbolic ("batch"), except that a graph with a recurrent node that has
// a non-zero initial state declares a batch of 1, since ONNX initial states have a fixed batch.
//
// Graphs computing in int8 (quantized nodes, Quantize, Dequantize) are refused, as are
// operators and attributes ONNX cannot express the IR's way (LSTM cell clipping, non-default
// recurrent activations); the error lists every such node.
func (g *Graph) ExportONNX(w io.Writer) error {
	data, err := g.EncodeONNX()
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// EncodeONNX is ExportONNX returning the serialized model.
func (g *Graph) EncodeONNX() ([]byte, error) {
	m, err := g.ONNXModel()
	if err != nil {
		return nil, err
	}
	data, err := proto.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("onnx export: %w", err)
	}
	return data, nil
}

// ONNXModel returns the ONNX model ExportONNX writes.
func (g *Graph) ONNXModel() (*onnxpb.ModelProto, error) {
	c := g.Clone()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("onnx export: graph %q is invalid: %w", g.Name, err)
	}
	ex := newONNXExporter(c)
	if err := ex.export(); err != nil {
		return nil, fmt.Errorf("onnx export of graph %q: %w", g.Name, err)
	}
	name := c.Name
	if name == "" {
		name = "tcdse"
	}
	ex.gp.Name = proto.String(name)
	return &onnxpb.ModelProto{
		IrVersion:       proto.Int64(onnxExportIRVersion),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(ONNXExportOpset)}},
		ProducerName:    proto.String("tcdse"),
		ProducerVersion: proto.String("1"),
		Graph:           ex.gp,
	}, nil
}

// onnxExporter holds the state of one export.
type onnxExporter struct {
	g  *Graph
	gp *onnxpb.GraphProto
	// taken holds every value and node name in use, so that added ones are unique.
	taken map[string]bool
	// consts are the graph's constants by name; written holds those already emitted.
	consts  map[string]*Tensor
	written map[string]bool
	// batch1 makes the batch dimension fixed at 1 instead of symbolic.
	batch1 bool
	// uses counts the nodes and graph outputs reading each value.
	uses map[string]int
	// producer maps each node output to its node.
	producer map[string]*Node
}

func newONNXExporter(g *Graph) *onnxExporter {
	ex := &onnxExporter{
		g: g, gp: &onnxpb.GraphProto{}, taken: map[string]bool{},
		consts: map[string]*Tensor{}, written: map[string]bool{},
		uses: map[string]int{}, producer: map[string]*Node{},
	}
	for _, v := range g.Outputs {
		ex.uses[v.Name]++
	}
	for _, v := range g.Inputs {
		ex.taken[v.Name] = true
	}
	for _, c := range g.Consts {
		ex.taken[c.Name] = true
		ex.consts[c.Name] = c.Tensor
	}
	for _, n := range g.Nodes {
		ex.taken[n.Name] = true
		for _, o := range n.Outputs {
			ex.taken[o] = true
			ex.producer[o] = n
		}
		for _, in := range n.Inputs {
			ex.uses[in]++
		}
		if (n.InitialH != nil || n.InitialC != nil) && isRecurrentOp(n.Op) {
			ex.batch1 = true
		}
	}
	return ex
}

func isRecurrentOp(op Op) bool { return op == OpRNN || op == OpLSTM || op == OpGRU }

// export fills ex.gp, or returns one error that lists every node it cannot export.
func (ex *onnxExporter) export() error {
	if err := ex.unexportable(); err != nil {
		return err
	}
	for _, v := range ex.g.Inputs {
		ex.gp.Input = append(ex.gp.Input, ex.valueInfo(v.Name, ex.g.Shapes[v.Name]))
	}
	for _, n := range ex.g.Nodes {
		if err := onnxExportOps[n.Op](ex, n); err != nil {
			return fmt.Errorf("node %q (%s): %w", n.Name, n.Op, err)
		}
	}
	for _, v := range ex.g.Outputs {
		if _, isConst := ex.consts[v.Name]; isConst {
			return fmt.Errorf("graph output %q is a constant", v.Name)
		}
		ex.gp.Output = append(ex.gp.Output, ex.valueInfo(v.Name, ex.g.Shapes[v.Name]))
	}
	return nil
}

// unexportable returns an error listing every node that ExportONNX cannot write, grouped by
// reason, or nil.
func (ex *onnxExporter) unexportable() error {
	var int8, noOp, other []string
	for _, n := range ex.g.Nodes {
		id := fmt.Sprintf("%q (%s)", n.Name, n.Op)
		switch {
		case n.Op == OpQuantize || n.Op == OpDequantize || n.Attrs.Quant != nil || n.QWeight != nil || n.RecurrentQuant != nil:
			int8 = append(int8, id)
		case onnxExportOps[n.Op] == nil:
			noOp = append(noOp, id)
		case isRecurrentOp(n.Op):
			if why := onnxRecurrentUnexportable(n); why != "" {
				other = append(other, fmt.Sprintf("node %s %s", id, why))
			}
		}
	}
	if len(int8) == 0 && len(ex.g.Quant) > 0 {
		int8 = append(int8, fmt.Sprintf("(graph quantization of value %q)", ex.g.Quant[0].Name))
	}
	var parts []string
	if len(int8) > 0 {
		parts = append(parts, fmt.Sprintf("%d node(s) compute in int8, which the exporter does not write (export the float model before quantization): %s", len(int8), strings.Join(int8, ", ")))
	}
	if len(noOp) > 0 {
		parts = append(parts, fmt.Sprintf("%d node(s) have an operator with no ONNX export: %s", len(noOp), strings.Join(noOp, ", ")))
	}
	parts = append(parts, other...)
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrExportUnsupported, strings.Join(parts, "; "))
}

// ErrExportUnsupported is the kind of the error that lists every node ExportONNX cannot write.
var ErrExportUnsupported = errors.New("unsupported by the ONNX export")

// onnxRecurrentUnexportable says why a recurrent node cannot be exported, or returns "".
func onnxRecurrentUnexportable(n *Node) string {
	if n.Attrs.CellClip != 0 {
		return fmt.Sprintf("clips its cell state (cell_clip %v), which ONNX LSTM cannot express", n.Attrs.CellClip)
	}
	if a := n.Attrs.Activations; a != nil {
		def := RecurrentActivations(n.Op)
		same := len(a) == len(def)
		for i := 0; same && i < len(a); i++ {
			same = strings.EqualFold(a[i], def[i])
		}
		if !same {
			return fmt.Sprintf("has activations %v; only the defaults %v are exported", a, def)
		}
	}
	return ""
}

// onnxExportOps writes each IR operator as ONNX nodes.
var onnxExportOps = map[Op]func(*onnxExporter, *Node) error{
	OpConv:        (*onnxExporter).conv,
	OpDense:       (*onnxExporter).dense,
	OpRelu:        (*onnxExporter).plain,
	OpSigmoid:     (*onnxExporter).plain,
	OpTanh:        (*onnxExporter).plain,
	OpHardSwish:   (*onnxExporter).plain,
	OpLeakyRelu:   (*onnxExporter).leakyRelu,
	OpHardSigmoid: (*onnxExporter).hardSigmoid,
	OpClip:        (*onnxExporter).clip,
	OpSoftmax:     (*onnxExporter).softmax,
	OpMaxPool:     (*onnxExporter).pool,
	OpAvgPool:     (*onnxExporter).pool,
	OpAdd:         (*onnxExporter).add,
	OpSub:         (*onnxExporter).plain,
	OpMul:         (*onnxExporter).plain,
	OpDiv:         (*onnxExporter).plain,
	OpReshape:     (*onnxExporter).reshape,
	OpConcat:      (*onnxExporter).concat,
	OpPad:         (*onnxExporter).pad,
	OpTranspose:   (*onnxExporter).transpose,
	OpGather:      (*onnxExporter).gather,
	OpSlice:       (*onnxExporter).slice,
	OpMean:        (*onnxExporter).mean,
	OpRNN:         (*onnxExporter).recurrent,
	OpLSTM:        (*onnxExporter).recurrent,
	OpGRU:         (*onnxExporter).recurrent,
}

// fresh returns base, or base with a numeric suffix, unused by any value or node, and takes it.
func (ex *onnxExporter) fresh(base string) string {
	name := base
	for k := 1; ex.taken[name]; k++ {
		name = fmt.Sprintf("%s_%d", base, k)
	}
	ex.taken[name] = true
	return name
}

// node appends an ONNX node.
func (ex *onnxExporter) node(op, name string, in, out []string, attrs ...*onnxpb.AttributeProto) {
	ex.gp.Node = append(ex.gp.Node, &onnxpb.NodeProto{
		OpType: proto.String(op), Name: proto.String(name), Input: in, Output: out, Attribute: attrs,
	})
}

// inputs returns the node's inputs, writing the graph constants among them as initializers.
func (ex *onnxExporter) inputs(n *Node) []string {
	for _, in := range n.Inputs {
		if t, ok := ex.consts[in]; ok && !ex.written[in] {
			ex.written[in] = true
			ex.gp.Initializer = append(ex.gp.Initializer, onnxFloatTensor(in, t.Shape, t.Data))
		}
	}
	return append([]string(nil), n.Inputs...)
}

// floats adds a float32 initializer named after base and returns its name.
func (ex *onnxExporter) floats(base string, shape []int, data []float32) string {
	name := ex.fresh(base)
	ex.gp.Initializer = append(ex.gp.Initializer, onnxFloatTensor(name, shape, data))
	return name
}

// int64s adds a 1-D int64 initializer named after base and returns its name.
func (ex *onnxExporter) int64s(base string, v []int64) string {
	name := ex.fresh(base)
	raw := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(x))
	}
	ex.gp.Initializer = append(ex.gp.Initializer, &onnxpb.TensorProto{
		Name: proto.String(name), Dims: []int64{int64(len(v))},
		DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), RawData: raw,
	})
	return name
}

// onnxFloatTensor returns a float32 TensorProto holding data exactly (raw little-endian).
func onnxFloatTensor(name string, shape []int, data []float32) *onnxpb.TensorProto {
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	return &onnxpb.TensorProto{
		Name: proto.String(name), Dims: dims,
		DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: raw,
	}
}

// valueInfo declares a float tensor [batch, shape...].
func (ex *onnxExporter) valueInfo(name string, shape []int) *onnxpb.ValueInfoProto {
	batch := &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: onnxExportBatch}}
	if ex.batch1 {
		batch = &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 1}}
	}
	dims := []*onnxpb.TensorShapeProto_Dimension{batch}
	for _, d := range shape {
		dims = append(dims, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
	}
	return &onnxpb.ValueInfoProto{
		Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: &onnxpb.TensorShapeProto{Dim: dims},
		}}},
	}
}

func onnxAttrInts(name string, v ...int) *onnxpb.AttributeProto {
	is := make([]int64, len(v))
	for i, x := range v {
		is[i] = int64(x)
	}
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: is}
}

func onnxAttrInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func onnxAttrFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

// onnxSampleAxes returns per-sample axes as ONNX axes (the batch is axis 0).
func onnxSampleAxes(axes []int) []int {
	out := make([]int, len(axes))
	for i, a := range axes {
		out[i] = a + 1
	}
	return out
}

// onnxInt64s converts ints to int64s.
func onnxInt64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}
