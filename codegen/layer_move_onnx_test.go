package codegen

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

// ONNX backend conformance cases (Debian's libonnx-testdata) whose single input feeds the data
// movement or activation layers of this package: the generated C must reproduce the suite's
// own expected outputs. (Transposes that move the batch axis do not import; the concat, slice,
// gather and pad cases with several or tensor-valued inputs need more than one graph input.)

// onnxConformance is where libonnx-testdata installs the suite.
const onnxConformance = "/usr/share/libonnx-testdata/data"

// readONNXTensor reads a float32 TensorProto file as a model tensor.
func readONNXTensor(path string) (*model.Tensor, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var tp onnxpb.TensorProto
	if err := proto.Unmarshal(raw, &tp); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if tp.GetDataType() != int32(onnxpb.TensorProto_FLOAT) {
		return nil, fmt.Errorf("%s: data type %d, want float", path, tp.GetDataType())
	}
	var shape []int
	for _, d := range tp.GetDims() {
		shape = append(shape, int(d))
	}
	t := model.NewTensor(shape...)
	switch {
	case len(tp.GetRawData()) == 4*len(t.Data):
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(tp.GetRawData()[4*i:]))
		}
	case len(tp.GetFloatData()) == len(t.Data):
		copy(t.Data, tp.GetFloatData())
	default:
		return nil, fmt.Errorf("%s: %d raw bytes and %d floats for shape %v", path, len(tp.GetRawData()), len(tp.GetFloatData()), shape)
	}
	return t, nil
}

func TestONNXConformanceMoveCases(t *testing.T) {
	if _, err := os.Stat(onnxConformance); err != nil {
		t.Skip("ONNX conformance suite (libonnx-testdata) not installed:", err)
	}
	requireGCC(t)
	cases := []struct {
		name   string
		kernel string // a kernel the generated code must use
	}{
		{"node/test_transpose_all_permutations_1", "move"},
		{"pytorch-operator/test_operator_permute2", "move"},
		{"pytorch-converted/test_PixelShuffle", "move"},
		{"pytorch-converted/test_ZeroPad2d", "fill"},
		{"pytorch-converted/test_ConstantPad2d", "fill"},
		{"node/test_leakyrelu", "leaky_relu"},
		{"node/test_hardswish", "hard_swish"},
	}
	for _, c := range cases {
		dir := filepath.Join(onnxConformance, c.name)
		g, err := model.LoadFile(filepath.Join(dir, "model.onnx"))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		in, err := readONNXTensor(filepath.Join(dir, "test_data_set_0", "input_0.pb"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := readONNXTensor(filepath.Join(dir, "test_data_set_0", "output_0.pb"))
		if err != nil {
			t.Fatal(err)
		}
		out := generate(t, g, Options{Vectors: &TestVectors{Inputs: in, Outputs: want}, BenchIterations: 1})
		if !contains(out.Plan.Kernels, c.kernel) {
			t.Errorf("%s: kernels %v lack %q", c.name, out.Plan.Kernels, c.kernel)
		}
		assertPass(t, c.name+" (asan+ubsan)", buildAndRun(t, out, sanitizeFlags), in.Shape[0], 1e-6)
	}
}
