package model

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/tcdse/tcdse/model/onnxpb"
)

// ONNX writers of the IR operators, the inverse of the importer's converters (onnx_ops.go,
// onnx_more_ops.go). Each writes one IR node as one or more ONNX nodes; the ONNX node keeps the
// IR node's name, and values and initializers added on the way get unique names derived from it.

// plain writes an operator whose ONNX form has the same name, inputs and no attributes.
func (ex *onnxExporter) plain(n *Node) error {
	ex.node(string(n.Op), n.Name, ex.inputs(n), n.Outputs)
	return nil
}

// add writes Add. ImportONNX folds an Add of a constant into the bias of the Conv or Dense
// layer before it when nothing else reads that layer's output, which rounds differently; such
// an Add is written as the Sub of the negated constant, which IEEE 754 computes bit for bit
// the same (x − (−c) = x + c) and the importer keeps as a node.
func (ex *onnxExporter) add(n *Node) error {
	ci := -1
	for i, in := range n.Inputs {
		if _, ok := ex.consts[in]; ok {
			ci = i
		}
	}
	if ci < 0 || len(n.Inputs) != 2 {
		return ex.plain(n)
	}
	act := n.Inputs[1-ci]
	p := ex.producer[act]
	if p == nil || (p.Op != OpConv && p.Op != OpDense) || ex.uses[act] != 1 {
		return ex.plain(n)
	}
	c := ex.consts[n.Inputs[ci]]
	neg := make([]float32, len(c.Data))
	for i, v := range c.Data {
		neg[i] = -v
	}
	ex.node("Sub", n.Name, []string{act, ex.floats(n.Inputs[ci]+"/neg", c.Shape, neg)}, n.Outputs)
	return nil
}

func (ex *onnxExporter) leakyRelu(n *Node) error {
	ex.node("LeakyRelu", n.Name, ex.inputs(n), n.Outputs, onnxAttrFloat("alpha", n.Attrs.Alpha))
	return nil
}

func (ex *onnxExporter) hardSigmoid(n *Node) error {
	ex.node("HardSigmoid", n.Name, ex.inputs(n), n.Outputs,
		onnxAttrFloat("alpha", n.Attrs.Alpha), onnxAttrFloat("beta", n.Attrs.Beta))
	return nil
}

// clip writes Clip with its bounds as scalar initializers (opset 11 and later).
func (ex *onnxExporter) clip(n *Node) error {
	lo := ex.floats(n.Name+"/min", []int{}, []float32{n.Attrs.Min})
	hi := ex.floats(n.Name+"/max", []int{}, []float32{n.Attrs.Max})
	ex.node("Clip", n.Name, []string{n.Inputs[0], lo, hi}, n.Outputs)
	return nil
}

// softmax writes Softmax over the last axis (opset 13 normalises that axis alone).
func (ex *onnxExporter) softmax(n *Node) error {
	ex.node("Softmax", n.Name, ex.inputs(n), n.Outputs, onnxAttrInt("axis", -1))
	return nil
}

// window returns the attributes of a Conv or pool in ONNX's form for an input of per-sample
// rank r (2: 1D, 3: 2D): the IR keeps 1D windows in 2D form with a unit first axis.
func onnxWindow(r int, strides, pads, dil []int) (s, p, d []int) {
	s, p, d = strides, pads, dil
	if s == nil {
		s = []int{1, 1}
	}
	if p == nil {
		p = []int{0, 0, 0, 0}
	}
	if d == nil {
		d = []int{1, 1}
	}
	if r == 2 {
		return []int{s[1]}, []int{p[1], p[3]}, []int{d[1]}
	}
	return s, p, d
}

func (ex *onnxExporter) conv(n *Node) error {
	r := len(ex.g.Shapes[n.Inputs[0]])
	if r != 2 && r != 3 {
		return fmt.Errorf("input %q has per-sample rank %d, want 2 (1D) or 3 (2D)", n.Inputs[0], r)
	}
	s, p, d := onnxWindow(r, n.Attrs.Strides, n.Attrs.Pads, n.Attrs.Dilations)
	in := []string{n.Inputs[0], ex.floats(n.Name+"/W", n.Weight.Shape, n.Weight.Data)}
	if n.Bias != nil {
		in = append(in, ex.floats(n.Name+"/B", n.Bias.Shape, n.Bias.Data))
	}
	ex.node("Conv", n.Name, in, n.Outputs,
		onnxAttrInts("kernel_shape", n.Weight.Shape[2:]...), onnxAttrInts("strides", s...),
		onnxAttrInts("pads", p...), onnxAttrInts("dilations", d...), onnxAttrInt("group", int64(n.Attrs.group())))
	return nil
}

// dense writes Gemm(x, W, B) with transB=1, so that W keeps the IR's [N, K] layout; an input
// with more than one axis is flattened first.
func (ex *onnxExporter) dense(n *Node) error {
	x := n.Inputs[0]
	if len(ex.g.Shapes[x]) != 1 {
		flat := ex.fresh(n.Name + "/flat")
		ex.node("Flatten", ex.fresh(n.Name+"/flatten"), []string{x}, []string{flat}, onnxAttrInt("axis", 1))
		x = flat
	}
	in := []string{x, ex.floats(n.Name+"/W", n.Weight.Shape, n.Weight.Data)}
	if n.Bias != nil {
		in = append(in, ex.floats(n.Name+"/B", n.Bias.Shape, n.Bias.Data))
	}
	ex.node("Gemm", n.Name, in, n.Outputs, onnxAttrInt("transB", 1))
	return nil
}

// pool writes MaxPool or AveragePool (count_include_pad=0, as the IR computes).
func (ex *onnxExporter) pool(n *Node) error {
	r := len(ex.g.Shapes[n.Inputs[0]])
	if r != 2 && r != 3 {
		return fmt.Errorf("input %q has per-sample rank %d, want 2 (1D) or 3 (2D)", n.Inputs[0], r)
	}
	k := n.Attrs.Kernel
	if r == 2 {
		k = k[1:]
	}
	s, p, _ := onnxWindow(r, n.Attrs.Strides, n.Attrs.Pads, nil)
	attrs := []*onnxpb.AttributeProto{onnxAttrInts("kernel_shape", k...), onnxAttrInts("strides", s...), onnxAttrInts("pads", p...)}
	if n.Op == OpAvgPool {
		attrs = append(attrs, onnxAttrInt("count_include_pad", 0))
	}
	ex.node(string(n.Op), n.Name, ex.inputs(n), n.Outputs, attrs...)
	return nil
}

// reshape writes Reshape to [-1, shape...]: the batch is inferred.
func (ex *onnxExporter) reshape(n *Node) error {
	shape := append([]int64{-1}, onnxInt64s(n.Attrs.Shape)...)
	ex.node("Reshape", n.Name, []string{n.Inputs[0], ex.int64s(n.Name+"/shape", shape)}, n.Outputs)
	return nil
}

func (ex *onnxExporter) concat(n *Node) error {
	ex.node("Concat", n.Name, ex.inputs(n), n.Outputs, onnxAttrInt("axis", int64(n.Attrs.Axis+1)))
	return nil
}

// pad writes Pad in constant mode: pads (with zeros for the batch) and the value as inputs.
func (ex *onnxExporter) pad(n *Node) error {
	r := len(n.Attrs.Pads) / 2
	pads := make([]int64, 0, 2*(r+1))
	pads = append(append(pads, 0), onnxInt64s(n.Attrs.Pads[:r])...)
	pads = append(append(pads, 0), onnxInt64s(n.Attrs.Pads[r:])...)
	ex.node("Pad", n.Name, []string{
		n.Inputs[0], ex.int64s(n.Name+"/pads", pads), ex.floats(n.Name+"/value", []int{}, []float32{n.Attrs.Value}),
	}, n.Outputs, &onnxpb.AttributeProto{Name: proto.String("mode"), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte("constant")})
	return nil
}

func (ex *onnxExporter) transpose(n *Node) error {
	perm := append([]int{0}, onnxSampleAxes(n.Attrs.Perm)...)
	ex.node("Transpose", n.Name, ex.inputs(n), n.Outputs, onnxAttrInts("perm", perm...))
	return nil
}

// gather writes Gather with 1-D constant indices, which keeps the axis as the IR does.
func (ex *onnxExporter) gather(n *Node) error {
	idx := ex.int64s(n.Name+"/indices", onnxInt64s(n.Attrs.Indices))
	ex.node("Gather", n.Name, []string{n.Inputs[0], idx}, n.Outputs, onnxAttrInt("axis", int64(n.Attrs.Axis+1)))
	return nil
}

// slice writes Slice with starts, ends, axes and steps as initializers.
func (ex *onnxExporter) slice(n *Node) error {
	a := n.Attrs
	steps := a.Steps
	if steps == nil {
		steps = make([]int, len(a.Starts))
		for i := range steps {
			steps[i] = 1
		}
	}
	in := []string{
		n.Inputs[0],
		ex.int64s(n.Name+"/starts", onnxInt64s(a.Starts)),
		ex.int64s(n.Name+"/ends", onnxInt64s(a.Ends)),
		ex.int64s(n.Name+"/axes", onnxInt64s(onnxSampleAxes(a.Axes))),
		ex.int64s(n.Name+"/steps", onnxInt64s(steps)),
	}
	ex.node("Slice", n.Name, in, n.Outputs)
	return nil
}

// mean writes ReduceMean over the node's axes (all per-sample axes when it has none);
// keepdims=1 when the IR keeps the reduced axes as 1.
func (ex *onnxExporter) mean(n *Node) error {
	axes := n.Attrs.Axes
	if len(axes) == 0 {
		for i := range ex.g.Shapes[n.Inputs[0]] {
			axes = append(axes, i)
		}
	}
	keep := int64(0)
	if n.Attrs.Shape != nil {
		keep = 1
	}
	ex.node("ReduceMean", n.Name, ex.inputs(n), n.Outputs,
		onnxAttrInts("axes", onnxSampleAxes(axes)...), onnxAttrInt("keepdims", keep))
	return nil
}
