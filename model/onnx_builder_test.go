package model_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tcdse/tcdse/model/onnxpb"
)

// This file builds small ONNX models in Go for the importer tests.

// onnxModel is a graph under construction.
type onnxModel struct {
	opset   int64
	nodes   []*onnxpb.NodeProto
	inits   []*onnxpb.TensorProto
	inputs  []*onnxpb.ValueInfoProto
	outputs []*onnxpb.ValueInfoProto
}

func newONNXModel() *onnxModel { return &onnxModel{opset: 13} }

// input declares a float graph input; a string dim is symbolic.
func (m *onnxModel) input(name string, dims ...any) *onnxModel {
	m.inputs = append(m.inputs, valueInfo(name, dims...))
	return m
}

func (m *onnxModel) output(name string) *onnxModel {
	m.outputs = append(m.outputs, &onnxpb.ValueInfoProto{Name: proto.String(name)})
	return m
}

func (m *onnxModel) node(op, name string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxModel {
	m.nodes = append(m.nodes, &onnxpb.NodeProto{
		OpType: proto.String(op), Name: proto.String(name), Input: in, Output: out, Attribute: attrs,
	})
	return m
}

// floats adds a float initializer stored as float_data.
func (m *onnxModel) floats(name string, dims []int64, data []float32) *onnxModel {
	m.inits = append(m.inits, floatTensor(name, dims, data))
	return m
}

// ints adds an int64 initializer.
func (m *onnxModel) ints(name string, data ...int64) *onnxModel {
	m.inits = append(m.inits, &onnxpb.TensorProto{
		Name: proto.String(name), Dims: []int64{int64(len(data))},
		DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: data,
	})
	return m
}

func (m *onnxModel) bytes(t testing.TB) []byte {
	t.Helper()
	mp := &onnxpb.ModelProto{
		IrVersion:   proto.Int64(7),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(m.opset)}},
		Graph: &onnxpb.GraphProto{
			Name: proto.String("test"), Node: m.nodes, Initializer: m.inits,
			Input: m.inputs, Output: m.outputs,
		},
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func floatTensor(name string, dims []int64, data []float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{
		Name: proto.String(name), Dims: dims,
		DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), FloatData: data,
	}
}

func valueInfo(name string, dims ...any) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{}
		switch v := d.(type) {
		case string:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: v}
		case int:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(v)}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{
		Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: shape,
		}}},
	}
}

func attrInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func attrInts(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func attrFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

func attrString(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(v)}
}

func attrTensor(name string, t *onnxpb.TensorProto) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: t}
}

func strs(s ...string) []string { return s }

// seq returns n floats start, start+step, ...
func seq(n int, start, step float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = start + float32(i)*step
	}
	return out
}
