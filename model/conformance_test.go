package model_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/model/onnxpb"
)

// onnxSuite is where Debian's libonnx-testdata installs the ONNX backend conformance tests.
const onnxSuite = "/usr/share/libonnx-testdata/data"

// mustRun lists conformance cases for operators the IR supports that must import and run (not be
// skipped), so that a regression in the importer cannot hide as "unsupported".
var mustRun = []string{
	"node/test_conv_with_strides_padding", "node/test_conv_with_strides_no_padding",
	"node/test_conv_with_strides_and_asymmetric_padding", "node/test_conv_with_autopad_same",
	"node/test_gemm_default_vector_bias", "node/test_gemm_alpha", "node/test_gemm_beta", "node/test_gemm_transposeB",
	"node/test_relu", "node/test_maxpool_2d_default", "node/test_maxpool_2d_pads",
	"node/test_maxpool_2d_same_lower", "node/test_averagepool_2d_strides", "node/test_averagepool_2d_same_upper",
	"node/test_averagepool_2d_pads", "node/test_softmax_axis_2", "node/test_flatten_axis1",
	"node/test_reshape_reordered_last_dims", "node/test_matmul_2d", "node/test_add", "node/test_identity",
	"pytorch-converted/test_Conv2d_groups", "pytorch-converted/test_Conv2d_dilated",
	"pytorch-converted/test_Conv2d_depthwise_strided", "pytorch-converted/test_Linear",
	// activations, broadcasting arithmetic, BatchNormalization lowered to Mul+Add
	"node/test_sigmoid", "node/test_tanh", "node/test_leakyrelu", "node/test_leakyrelu_default", "node/test_clip",
	"node/test_clip_default_min", "node/test_clip_default_max", "node/test_hardswish", "node/test_hardsigmoid",
	"node/test_add_bcast", "node/test_mul_bcast", "node/test_sub_bcast", "node/test_div_bcast", "node/test_mul",
	"node/test_batchnorm_example", "node/test_batchnorm_epsilon", "pytorch-converted/test_BatchNorm2d_eval",
	"node/test_softmax_axis_1",
	// data movement and reductions
	"node/test_concat_2d_axis_1", "node/test_concat_3d_axis_2", "node/test_concat_3d_axis_negative_1",
	"node/test_transpose_all_permutations_0", "node/test_transpose_all_permutations_1",
	"pytorch-operator/test_operator_permute2", "node/test_slice_neg", "node/test_slice_default_axes",
	"node/test_slice_negative_axes", "node/test_slice_end_out_of_bounds", "node/test_slice_start_out_of_bounds",
	"node/test_gather_1", "node/test_gather_2d_indices", "node/test_squeeze_negative_axes", "node/test_unsqueeze_axis_1",
	"node/test_unsqueeze_two_axes", "node/test_unsqueeze_unsorted_axes", "node/test_reduce_mean_keepdims_example",
	"node/test_reduce_mean_do_not_keepdims_random", "node/test_reduce_mean_negative_axes_keepdims_random",
	"node/test_globalaveragepool", "node/test_globalmaxpool", "node/test_constant_pad",
	"pytorch-converted/test_ZeroPad2d", "pytorch-converted/test_PixelShuffle",
	// 1D convolution and pooling
	"pytorch-converted/test_Conv1d", "pytorch-converted/test_Conv1d_dilated", "pytorch-converted/test_Conv1d_groups",
	"pytorch-converted/test_Conv1d_pad2", "pytorch-converted/test_Conv1d_stride", "pytorch-converted/test_MaxPool1d_stride",
	"pytorch-converted/test_AvgPool1d_stride", "node/test_maxpool_1d_default", "node/test_averagepool_1d_default",
}

// TestONNXConformance runs every case of the ONNX conformance suite (node, pytorch-converted,
// pytorch-operator and simple models) whose operators and shapes the IR supports, and compares
// the interpreter's outputs with the suite's expected outputs. Cases the importer rejects are
// skipped and counted; any mismatch among the cases that ran fails the test.
func TestONNXConformance(t *testing.T) {
	if _, err := os.Stat(onnxSuite); err != nil {
		t.Skip("ONNX conformance suite (libonnx-testdata) not installed:", err)
	}
	var cases []string
	for _, dir := range []string{"node", "pytorch-converted", "pytorch-operator", "simple"} {
		entries, err := os.ReadDir(filepath.Join(onnxSuite, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			cases = append(cases, dir+"/"+e.Name())
		}
	}
	sort.Strings(cases)
	ran, passed := 0, 0
	skipped := map[string]string{}
	for _, name := range cases {
		status, err := runConformanceCase(filepath.Join(onnxSuite, name))
		switch {
		case status == "skip":
			skipped[name] = err.Error()
		case err != nil:
			ran++
			t.Errorf("%s: %v", name, err)
		default:
			ran++
			passed++
		}
	}
	for _, name := range mustRun {
		if reason, ok := skipped[name]; ok {
			t.Errorf("%s was skipped but its operators are supported: %s", name, reason)
		}
	}
	if testing.Verbose() {
		var names []string
		for n := range skipped {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if isSupportedFamily(n) {
				t.Logf("skipped %s: %s", n, skipped[n])
			}
		}
	}
	t.Logf("ONNX conformance: %d cases, %d ran, %d passed, %d skipped (unsupported)", len(cases), ran, passed, len(skipped))
}

// isSupportedFamily reports whether a case is named after an operator the importer handles, so
// that its skip reason is worth reading.
func isSupportedFamily(name string) bool {
	base := strings.ToLower(filepath.Base(name))
	for _, p := range []string{"conv", "gemm", "relu", "maxpool", "averagepool", "avgpool", "softmax", "flatten",
		"reshape", "batchnorm", "matmul", "add", "identity", "dropout", "linear", "globalaveragepool",
		"sigmoid", "tanh", "leakyrelu", "clip", "hardswish", "hardsigmoid", "sub", "mul", "div", "concat", "pad",
		"transpose", "gather", "slice", "squeeze", "unsqueeze", "reduce_mean", "globalmaxpool", "elu"} {
		if strings.HasPrefix(base, "test_"+p) || strings.HasPrefix(base, "test_operator_"+p) {
			return true
		}
	}
	return false
}

// runConformanceCase imports and runs one suite case. It returns "skip" with the reason when the
// case uses something the IR does not support, or "ran" with a mismatch error or nil.
func runConformanceCase(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return "skip", err
	}
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(data, &m); err != nil {
		return "skip", err
	}
	if rnnUsesRecurrent(&m) {
		return "skip", fmt.Errorf("recurrent layers take the batch from dim 1 of X; TestRecurrentConformance runs these cases")
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		return "skip", fmt.Errorf("no test data")
	}
	var graphInputs []string
	inits := map[string]bool{}
	for _, t := range m.GetGraph().GetInitializer() {
		inits[t.GetName()] = true
	}
	for _, in := range m.GetGraph().GetInput() {
		if !inits[in.GetName()] {
			graphInputs = append(graphInputs, in.GetName())
		}
	}
	for _, set := range sets {
		inputs, err := readTensors(set, "input", len(graphInputs))
		if err != nil {
			return "skip", err
		}
		outputs, err := readTensors(set, "output", len(m.GetGraph().GetOutput()))
		if err != nil {
			return "skip", err
		}
		var wants []*model.Tensor
		for i, o := range outputs {
			w, err := floatTensorData(o)
			if err != nil {
				return "skip", fmt.Errorf("output_%d: %w", i, err)
			}
			wants = append(wants, w)
		}
		// First try: the first input is the activation and the others (weights, shapes) are
		// constants, as in a deployed model. Second try: every input is an activation.
		g, acts, err := importWithConstants(&m, graphInputs, inputs, 1)
		if err != nil {
			var err2 error
			if g, acts, err2 = importWithConstants(&m, graphInputs, inputs, len(inputs)); err2 != nil {
				return "skip", err
			}
		}
		var runIn []*model.Tensor
		for _, name := range acts {
			i := indexOf(graphInputs, name)
			x, err := floatTensorData(inputs[i])
			if err != nil {
				return "skip", fmt.Errorf("input_%d: %w", i, err)
			}
			runIn = append(runIn, x)
		}
		outs, err := g.Run(runIn...)
		if err != nil {
			return "ran", fmt.Errorf("run: %w", err)
		}
		for i, want := range wants {
			if err := compareTensors(outs[i], want); err != nil {
				return "ran", fmt.Errorf("%s output %d: %w", filepath.Base(set), i, err)
			}
		}
	}
	return "ran", nil
}

// importWithConstants imports the model with all graph inputs from position nAct on turned into
// initializers holding the test data, and returns the graph and its activation inputs.
func importWithConstants(m *onnxpb.ModelProto, names []string, data []*onnxpb.TensorProto, nAct int) (*model.Graph, []string, error) {
	c := proto.Clone(m).(*onnxpb.ModelProto)
	for i := nAct; i < len(names); i++ {
		init := proto.Clone(data[i]).(*onnxpb.TensorProto)
		init.Name = proto.String(names[i])
		c.Graph.Initializer = append(c.Graph.Initializer, init)
	}
	b, err := proto.Marshal(c)
	if err != nil {
		return nil, nil, err
	}
	g, err := model.ImportONNX(b)
	if err != nil {
		return nil, nil, err
	}
	var acts []string
	for _, in := range g.Inputs {
		acts = append(acts, in.Name)
	}
	return g, acts, nil
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// readTensors reads prefix_0.pb .. prefix_{n-1}.pb.
func readTensors(dir, prefix string, n int) ([]*onnxpb.TensorProto, error) {
	var out []*onnxpb.TensorProto
	for i := 0; i < n; i++ {
		data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%s_%d.pb", prefix, i)))
		if err != nil {
			return nil, err
		}
		tp := &onnxpb.TensorProto{}
		if err := proto.Unmarshal(data, tp); err != nil {
			return nil, fmt.Errorf("%s_%d: %w", prefix, i, err)
		}
		out = append(out, tp)
	}
	return out, nil
}

// floatTensorData decodes a FLOAT TensorProto.
func floatTensorData(tp *onnxpb.TensorProto) (*model.Tensor, error) {
	if onnxpb.TensorProto_DataType(tp.GetDataType()) != onnxpb.TensorProto_FLOAT {
		return nil, fmt.Errorf("data type %v is not FLOAT", onnxpb.TensorProto_DataType(tp.GetDataType()))
	}
	shape := make([]int, len(tp.GetDims()))
	for i, d := range tp.GetDims() {
		shape[i] = int(d)
	}
	n, err := model.NumElements(shape)
	if err != nil {
		return nil, err
	}
	t := &model.Tensor{Shape: shape, Data: tp.GetFloatData()}
	if raw := tp.GetRawData(); raw != nil {
		t.Data = make([]float32, len(raw)/4)
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	}
	if len(t.Data) != n {
		return nil, fmt.Errorf("shape %v but %d values", shape, len(t.Data))
	}
	return t, nil
}

// compareTensors checks shape and values: |got − want| ≤ 1e-5 + 1e-5·|want|.
func compareTensors(got, want *model.Tensor) error {
	if !slices.Equal(got.Shape, want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	for i, w := range want.Data {
		if d := math.Abs(float64(got.Data[i] - w)); d > 1e-5+1e-5*math.Abs(float64(w)) || math.IsNaN(float64(got.Data[i])) != math.IsNaN(float64(w)) {
			return fmt.Errorf("element %d is %v, want %v", i, got.Data[i], w)
		}
	}
	return nil
}
