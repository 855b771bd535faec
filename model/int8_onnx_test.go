package model_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/model/onnxpb"
)

// TestONNXQuantizedConformance runs the ONNX backend conformance cases of QuantizeLinear,
// DequantizeLinear, QLinearConv and QLinearMatMul (Debian's libonnx-testdata) through the
// importer and the int8 interpreter and requires bit-identical outputs.
//
// The IR holds int8 values in float32 tensors and maps uint8 to int8 by subtracting 128 (see
// int8_onnx.go), so integer graph inputs are declared FLOAT for the import, uint8 inputs are fed
// minus 128 and uint8 outputs are compared plus 128. Rank-1 inputs get a batch dimension of 1.
func TestONNXQuantizedConformance(t *testing.T) {
	if _, err := os.Stat(onnxSuite); err != nil {
		t.Skip("ONNX conformance suite (libonnx-testdata) not installed:", err)
	}
	for _, name := range []string{"test_quantizelinear", "test_quantizelinear_axis", "test_dequantizelinear",
		"test_dequantizelinear_axis", "test_qlinearconv", "test_qlinearmatmul_2D"} {
		t.Run(name, func(t *testing.T) {
			n, err := runQuantizedCase(filepath.Join(onnxSuite, "node", name))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d output values bit-identical", n)
		})
	}
	// [batch, M, K] × [K, N] is beyond the IR's Dense: the importer must say so, not misread it.
	if _, err := runQuantizedCase(filepath.Join(onnxSuite, "node", "test_qlinearmatmul_3D")); err == nil {
		t.Error("test_qlinearmatmul_3D imported, but the IR cannot express a batched 3D QLinearMatMul")
	}
}

// runQuantizedCase imports and runs one case and returns the number of output values compared.
func runQuantizedCase(dir string) (int, error) {
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return 0, err
	}
	m := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(data, m); err != nil {
		return 0, err
	}
	set := filepath.Join(dir, "test_data_set_0")
	gp := m.GetGraph()
	inputs, err := readTensors(set, "input", len(gp.GetInput()))
	if err != nil {
		return 0, err
	}
	outputs, err := readTensors(set, "output", len(gp.GetOutput()))
	if err != nil {
		return 0, err
	}
	// The first input is the activation; declare it FLOAT with a batch dimension.
	tt := gp.GetInput()[0].GetType().GetTensorType()
	tt.ElemType = proto.Int32(int32(onnxpb.TensorProto_FLOAT))
	addBatch := len(tt.GetShape().GetDim()) == 1
	if addBatch {
		one := &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: 1}}
		tt.Shape.Dim = append([]*onnxpb.TensorShapeProto_Dimension{one}, tt.Shape.Dim...)
	}
	var names []string
	for _, in := range gp.GetInput() {
		names = append(names, in.GetName())
	}
	g, _, err := importWithConstants(m, names, inputs, 1)
	if err != nil {
		return 0, fmt.Errorf("import: %w", err)
	}
	x, _, err := quantCaseTensor(inputs[0])
	if err != nil {
		return 0, err
	}
	if addBatch {
		x.Shape = append([]int{1}, x.Shape...)
	}
	outs, err := g.Run(x)
	if err != nil {
		return 0, fmt.Errorf("run: %w", err)
	}
	count := 0
	for i, o := range outputs {
		want, unsigned, err := quantCaseTensor(o)
		if err != nil {
			return 0, err
		}
		got := outs[i]
		if len(got.Data) != len(want.Data) {
			return 0, fmt.Errorf("output %d has %d values, want %d", i, len(got.Data), len(want.Data))
		}
		for j, w := range want.Data {
			gv := got.Data[j]
			if unsigned {
				gv += 128
				w += 128
			}
			if gv != w {
				return 0, fmt.Errorf("output %d element %d is %v, want %v", i, j, gv, w)
			}
			count++
		}
	}
	return count, nil
}

// quantCaseTensor decodes a FLOAT, INT8 or UINT8 TensorProto into the IR's float storage (uint8
// minus 128) and reports whether it was uint8.
func quantCaseTensor(tp *onnxpb.TensorProto) (*model.Tensor, bool, error) {
	shape := make([]int, len(tp.GetDims()))
	for i, d := range tp.GetDims() {
		shape[i] = int(d)
	}
	n, err := model.NumElements(shape)
	if err != nil {
		return nil, false, err
	}
	dt := onnxpb.TensorProto_DataType(tp.GetDataType())
	t := &model.Tensor{Shape: shape, Data: make([]float32, n)}
	raw := tp.GetRawData()
	switch dt {
	case onnxpb.TensorProto_FLOAT:
		f, err := floatTensorData(tp)
		return f, false, err
	case onnxpb.TensorProto_INT8, onnxpb.TensorProto_UINT8:
		vals := make([]int32, n)
		if raw != nil {
			if len(raw) != n {
				return nil, false, fmt.Errorf("raw data of %d bytes for %d elements", len(raw), n)
			}
			for i, b := range raw {
				if dt == onnxpb.TensorProto_INT8 {
					vals[i] = int32(int8(b))
				} else {
					vals[i] = int32(b)
				}
			}
		} else {
			if len(tp.GetInt32Data()) != n {
				return nil, false, fmt.Errorf("%d int32_data values for %d elements", len(tp.GetInt32Data()), n)
			}
			copy(vals, tp.GetInt32Data())
		}
		for i, v := range vals {
			if dt == onnxpb.TensorProto_UINT8 {
				v -= 128
			}
			t.Data[i] = float32(v)
		}
		return t, dt == onnxpb.TensorProto_UINT8, nil
	}
	return nil, false, fmt.Errorf("data type %v is not FLOAT, INT8 or UINT8", dt)
}

// TestONNXDequantizeLinearConstantFolds checks that DequantizeLinear of a constant (the weights
// of QDQ models) becomes a float constant feeding the float operator.
func TestONNXDequantizeLinearConstantFolds(t *testing.T) {
	f := func(v float32) []byte { return binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)) }
	graph := &onnxpb.GraphProto{
		Name: proto.String("qdq"),
		Initializer: []*onnxpb.TensorProto{
			{Name: proto.String("wq"), Dims: []int64{2, 3}, DataType: proto.Int32(int32(onnxpb.TensorProto_INT8)), RawData: []byte{1, 2, 3, 0xff, 0xfe, 0x80}},
			{Name: proto.String("ws"), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: f(0.5)},
			{Name: proto.String("wz"), DataType: proto.Int32(int32(onnxpb.TensorProto_INT8)), RawData: []byte{1}},
		},
		Node: []*onnxpb.NodeProto{
			{OpType: proto.String("DequantizeLinear"), Input: []string{"wq", "ws", "wz"}, Output: []string{"w"}},
			{OpType: proto.String("MatMul"), Input: []string{"x", "w"}, Output: []string{"y"}},
		},
		Input:  []*onnxpb.ValueInfoProto{q8ValueInfo("x", 1, 2)},
		Output: []*onnxpb.ValueInfoProto{q8ValueInfo("y", 1, 3)},
	}
	m := &onnxpb.ModelProto{IrVersion: proto.Int64(7), Graph: graph,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(13)}}}
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	g, err := model.ImportONNX(data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := g.Run(&model.Tensor{Shape: []int{1, 2}, Data: []float32{1, 10}})
	if err != nil {
		t.Fatal(err)
	}
	// w = 0.5·(q − 1) = [[0, 0.5, 1], [−1, −1.5, −64.5]]; y = x·w
	want := []float32{1*0 + 10*-1, 1*0.5 + 10*-1.5, 1*1 + 10*-64.5}
	for i, w := range want {
		if out[0].Data[i] != w {
			t.Fatalf("y = %v, want %v", out[0].Data, want)
		}
	}
}

func q8ValueInfo(name string, dims ...int64) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: shape}}}}
}
