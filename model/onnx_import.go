package model

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/tcdse/tcdse/model/onnxpb"
)

// onnxOps lists the ONNX operators (default domain) that ImportONNX can normalise into the IR.
var onnxOps = map[string]func(*onnxImporter, *onnxpb.NodeProto, string) error{
	"Conv":               (*onnxImporter).conv,
	"Gemm":               (*onnxImporter).gemm,
	"MatMul":             (*onnxImporter).matMul,
	"BatchNormalization": (*onnxImporter).batchNorm,
	"Relu":               (*onnxImporter).relu,
	"MaxPool":            (*onnxImporter).pool,
	"AveragePool":        (*onnxImporter).pool,
	"GlobalMaxPool":      (*onnxImporter).globalPool,
	"GlobalAveragePool":  (*onnxImporter).globalPool,
	"Flatten":            (*onnxImporter).flatten,
	"Reshape":            (*onnxImporter).reshape,
	"Softmax":            (*onnxImporter).softmax,
	"Add":                (*onnxImporter).moreAdd,
	"Identity":           (*onnxImporter).identity,
	"Dropout":            (*onnxImporter).identity,
	"Constant":           (*onnxImporter).constant,
}

// ImportONNX parses a serialized ONNX ModelProto and normalises it into the IR: Gemm and MatMul
// become OpDense, BatchNormalization and constant additions are folded into the preceding
// Conv or Dense layer (where there is none, into broadcasting Mul and Add nodes with graph
// constants), Flatten, Reshape, Squeeze and Unsqueeze become OpReshape, Identity and Dropout
// disappear, and nodes computing only on constants are evaluated (see onnx_more_ops.go).
//
// The first dimension of every graph input is the batch; it may be symbolic or any size and is
// stripped from the IR's per-sample shapes. Node names are kept; unnamed nodes get unique
// synthesised names such as "Conv_0" (operator and position). A model using operators the IR
// cannot express is rejected with an error that lists every such node. The returned graph has
// been validated.
func ImportONNX(data []byte) (*Graph, error) {
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("onnx: not a valid ONNX model: %w", err)
	}
	gp := m.GetGraph()
	if gp == nil {
		return nil, errors.New("onnx: the model has no graph (not an ONNX model?)")
	}
	opset := int64(-1)
	for _, o := range m.GetOpsetImport() {
		if o.GetDomain() == "" || o.GetDomain() == "ai.onnx" {
			opset = o.GetVersion()
		}
	}
	if opset < 1 {
		return nil, errors.New("onnx: the model imports no version of the default (ai.onnx) operator set")
	}
	imp := &onnxImporter{
		opset:    opset,
		g:        &Graph{Name: gp.GetName()},
		shapes:   map[string][]int{},
		consts:   map[string]*onnxConst{},
		alias:    map[string]string{},
		producer: map[string]*Node{},
	}
	g, err := imp.importGraph(gp)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	return g, nil
}

// onnxImporter holds the state of one ImportONNX call.
type onnxImporter struct {
	opset int64
	g     *Graph
	// shapes holds the per-sample shape of every activation emitted so far, by IR value name.
	shapes map[string][]int
	// consts holds initializers and Constant outputs, by ONNX value name.
	consts map[string]*onnxConst
	// alias maps an ONNX value that the IR does not materialise (output of Identity, Dropout, a
	// no-op reshape or a folded node) to the IR value that holds the same data.
	alias map[string]string
	// producer maps an IR value to the IR node computing it.
	producer map[string]*Node
	// uses counts, for each ONNX value, the nodes and graph outputs that consume it, looking
	// through Identity and Dropout. Folding into a producer requires exactly one use.
	uses map[string]int
	// passThrough maps the output of an Identity or Dropout to its input.
	passThrough map[string]string
	// declaredBatch is the fixed size of the first graph input's batch dimension, 0 if symbolic.
	declaredBatch int64
}

// onnxGraphRewrites run, in order, on the ONNX graph before it is converted. Each may rewrite
// it (operator files register them from init functions, e.g. to fold layout changes around
// recurrent layers) or reject it with an error.
var onnxGraphRewrites []func(gp *onnxpb.GraphProto) error

func (imp *onnxImporter) importGraph(gp *onnxpb.GraphProto) (*Graph, error) {
	for _, rewrite := range onnxGraphRewrites {
		if err := rewrite(gp); err != nil {
			return nil, err
		}
	}
	names := nodeNames(gp.GetNode())
	if err := checkSupported(gp.GetNode(), names); err != nil {
		return nil, err
	}
	if len(gp.GetSparseInitializer()) > 0 {
		return nil, errors.New("sparse initializers are not supported")
	}
	for _, t := range gp.GetInitializer() {
		c, err := decodeONNXTensor(t)
		if err != nil {
			return nil, fmt.Errorf("initializer: %w", err)
		}
		imp.consts[t.GetName()] = c
	}
	if err := imp.graphInputs(gp); err != nil {
		return nil, err
	}
	if len(gp.GetOutput()) == 0 {
		return nil, errors.New("the graph has no outputs")
	}
	imp.countUses(gp)
	for i, n := range gp.GetNode() {
		if err := onnxOps[n.GetOpType()](imp, n, names[i]); err != nil {
			return nil, fmt.Errorf("node %q (%s): %w", names[i], n.GetOpType(), err)
		}
	}
	if err := imp.graphOutputs(gp); err != nil {
		return nil, err
	}
	if err := imp.g.Validate(); err != nil {
		return nil, fmt.Errorf("imported graph is invalid: %w", err)
	}
	return imp.g, nil
}

// nodeNames returns a unique name for every node: its own name when it has one that is not yet
// taken, else OpType_index, suffixed until unique.
func nodeNames(nodes []*onnxpb.NodeProto) []string {
	taken := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		if n.GetName() != "" {
			taken[n.GetName()] = true
		}
	}
	names := make([]string, len(nodes))
	seen := make(map[string]bool, len(nodes))
	for i, n := range nodes {
		name := n.GetName()
		if name == "" || seen[name] {
			base := name
			if base == "" {
				base = fmt.Sprintf("%s_%d", n.GetOpType(), i)
			}
			name = base
			for k := 1; taken[name]; k++ {
				name = fmt.Sprintf("%s_%d", base, k)
			}
		}
		seen[name] = true
		taken[name] = true
		names[i] = name
	}
	return names
}

// checkSupported returns an error listing every node whose operator the IR cannot express.
func checkSupported(nodes []*onnxpb.NodeProto, names []string) error {
	var bad []string
	for i, n := range nodes {
		d := n.GetDomain()
		_, ok := onnxOps[n.GetOpType()]
		if (d != "" && d != "ai.onnx") || !ok {
			op := n.GetOpType()
			if d != "" && d != "ai.onnx" {
				op = d + "." + op
			}
			bad = append(bad, fmt.Sprintf("%s (node %q)", op, names[i]))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d unsupported operator(s): %s", len(bad), strings.Join(bad, ", "))
	}
	return nil
}

// graphInputs declares the graph inputs that are not initializers, stripping the batch dimension.
func (imp *onnxImporter) graphInputs(gp *onnxpb.GraphProto) error {
	for _, in := range gp.GetInput() {
		name := in.GetName()
		if _, isConst := imp.consts[name]; isConst {
			continue
		}
		tt := in.GetType().GetTensorType()
		if tt == nil {
			return fmt.Errorf("graph input %q is not a tensor", name)
		}
		if et := onnxpb.TensorProto_DataType(tt.GetElemType()); et != onnxpb.TensorProto_FLOAT {
			return fmt.Errorf("graph input %q has element type %v, want FLOAT", name, et)
		}
		if tt.GetShape() == nil {
			return fmt.Errorf("graph input %q has no shape", name)
		}
		dims := tt.GetShape().GetDim()
		if len(dims) < 2 {
			return fmt.Errorf("graph input %q has rank %d; want a batch dimension and at least one more", name, len(dims))
		}
		shape := make([]int, len(dims)-1)
		for i, d := range dims[1:] {
			v := d.GetDimValue()
			if v < 1 || v > MaxElements {
				return fmt.Errorf("graph input %q: dimension %d must be a fixed positive size, got %q", name, i+1, dimString(d))
			}
			shape[i] = int(v)
		}
		if _, err := NumElements(shape); err != nil {
			return fmt.Errorf("graph input %q: %w", name, err)
		}
		if _, dup := imp.shapes[name]; dup {
			return fmt.Errorf("graph input %q is declared twice", name)
		}
		if len(imp.g.Inputs) == 0 {
			imp.declaredBatch = dims[0].GetDimValue()
		}
		imp.g.Inputs = append(imp.g.Inputs, Value{Name: name, Shape: shape})
		imp.shapes[name] = shape
	}
	if len(imp.g.Inputs) == 0 {
		return errors.New("the graph has no inputs that are not initializers")
	}
	return nil
}

func dimString(d *onnxpb.TensorShapeProto_Dimension) string {
	if p := d.GetDimParam(); p != "" {
		return p
	}
	return fmt.Sprint(d.GetDimValue())
}

// countUses fills imp.uses and imp.passThrough.
func (imp *onnxImporter) countUses(gp *onnxpb.GraphProto) {
	imp.uses = map[string]int{}
	imp.passThrough = map[string]string{}
	for _, n := range gp.GetNode() {
		if isPassThrough(n) && len(n.GetInput()) > 0 && len(n.GetOutput()) > 0 {
			imp.passThrough[n.GetOutput()[0]] = n.GetInput()[0]
		}
	}
	for _, n := range gp.GetNode() {
		if isPassThrough(n) {
			continue
		}
		for _, in := range n.GetInput() {
			if in != "" {
				imp.uses[imp.throughPass(in)]++
			}
		}
	}
	for _, out := range gp.GetOutput() {
		imp.uses[imp.throughPass(out.GetName())]++
	}
}

func isPassThrough(n *onnxpb.NodeProto) bool {
	return n.GetOpType() == "Identity" || n.GetOpType() == "Dropout"
}

// throughPass follows Identity and Dropout nodes back to the value they copy.
func (imp *onnxImporter) throughPass(name string) string {
	for i := 0; i <= len(imp.passThrough); i++ {
		src, ok := imp.passThrough[name]
		if !ok {
			break
		}
		name = src
	}
	return name
}

// graphOutputs declares the graph outputs. An output that the IR holds under another name (the
// ONNX graph ends in an Identity, say) gets its ONNX name back by renaming the IR value.
func (imp *onnxImporter) graphOutputs(gp *onnxpb.GraphProto) error {
	renamed := map[string]bool{}
	for _, out := range gp.GetOutput() {
		name := out.GetName()
		ir := imp.resolve(name)
		if _, ok := imp.shapes[ir]; !ok {
			if _, isConst := imp.consts[name]; isConst {
				return fmt.Errorf("graph output %q is a constant", name)
			}
			return fmt.Errorf("graph output %q is not computed by any node", name)
		}
		if ir != name && imp.producer[ir] != nil && !renamed[ir] {
			imp.renameValue(ir, name)
			renamed[ir] = true
			ir = name
		} else if renamed[ir] {
			ir = imp.resolve(name)
		}
		imp.g.Outputs = append(imp.g.Outputs, Value{Name: ir})
	}
	return nil
}

// renameValue renames IR value from to to in every node.
func (imp *onnxImporter) renameValue(from, to string) {
	for _, n := range imp.g.Nodes {
		for i, v := range n.Inputs {
			if v == from {
				n.Inputs[i] = to
			}
		}
		for i, v := range n.Outputs {
			if v == from {
				n.Outputs[i] = to
			}
		}
	}
	imp.shapes[to] = imp.shapes[from]
	imp.producer[to] = imp.producer[from]
	delete(imp.shapes, from)
	delete(imp.producer, from)
	for k, v := range imp.alias {
		if v == from {
			imp.alias[k] = to
		}
	}
	imp.alias[from] = to
}

// resolve maps an ONNX value name to the IR value holding its data.
func (imp *onnxImporter) resolve(name string) string {
	for i := 0; i <= len(imp.alias); i++ {
		to, ok := imp.alias[name]
		if !ok {
			break
		}
		name = to
	}
	return name
}

// activation returns the IR value and per-sample shape of an ONNX input that must be an
// activation (computed from the graph inputs), or an error.
func (imp *onnxImporter) activation(name string) (string, []int, error) {
	ir := imp.resolve(name)
	if s, ok := imp.shapes[ir]; ok {
		return ir, s, nil
	}
	if _, ok := imp.consts[name]; ok {
		return "", nil, fmt.Errorf("input %q is a constant where an activation is needed", name)
	}
	return "", nil, fmt.Errorf("input %q is not defined by an earlier node, an initializer or a graph input", name)
}

// constInput returns input i of n as a constant; optional inputs that are absent give nil.
func (imp *onnxImporter) constInput(n *onnxpb.NodeProto, i int, what string, optional bool) (*onnxConst, error) {
	if i >= len(n.GetInput()) || n.GetInput()[i] == "" {
		if optional {
			return nil, nil
		}
		return nil, fmt.Errorf("missing input %d (%s)", i, what)
	}
	name := n.GetInput()[i]
	c, ok := imp.consts[imp.throughPass(name)]
	if !ok {
		c, ok = imp.consts[name]
	}
	if !ok {
		if _, isAct := imp.shapes[imp.resolve(name)]; isAct {
			return nil, fmt.Errorf("%s %q must be a constant (initializer or Constant), not an activation", what, name)
		}
		return nil, fmt.Errorf("%s %q is not defined", what, name)
	}
	return c, nil
}

// isConst reports whether ONNX value name is a constant.
func (imp *onnxImporter) isConst(name string) bool {
	_, ok := imp.consts[imp.throughPass(name)]
	if !ok {
		_, ok = imp.consts[name]
	}
	return ok
}

// emit appends an IR node, infers its output shape and records it as the producer.
func (imp *onnxImporter) emit(n *Node) error {
	ins := make([][]int, len(n.Inputs))
	for i, v := range n.Inputs {
		ins[i] = imp.shapes[v]
	}
	shape, err := inferNode(n, ins)
	if err != nil {
		return err
	}
	if _, err := NumElements(shape); err != nil {
		return fmt.Errorf("output shape: %w", err)
	}
	out := n.Outputs[0]
	if _, dup := imp.shapes[out]; dup {
		return fmt.Errorf("output %q is already defined", out)
	}
	imp.g.Nodes = append(imp.g.Nodes, n)
	imp.shapes[out] = shape
	imp.producer[out] = n
	return nil
}

// onlyOutput returns the node's first output and checks that any further outputs are unused.
func (imp *onnxImporter) onlyOutput(n *onnxpb.NodeProto) (string, error) {
	outs := n.GetOutput()
	if len(outs) == 0 || outs[0] == "" {
		return "", errors.New("has no output")
	}
	for _, extra := range outs[1:] {
		if extra != "" && imp.uses[extra] > 0 {
			return "", fmt.Errorf("its extra output %q is used, which the IR cannot express", extra)
		}
	}
	return outs[0], nil
}

// foldTarget returns the Conv or Dense IR node whose output the ONNX value name is, if that
// output feeds nothing but the node being folded; otherwise nil.
func (imp *onnxImporter) foldTarget(name string) *Node {
	for i := 0; i <= len(imp.alias); i++ {
		if imp.uses[imp.throughPass(name)] != 1 {
			return nil
		}
		to, ok := imp.alias[name]
		if !ok {
			break
		}
		name = to
	}
	p := imp.producer[name]
	if p == nil || (p.Op != OpConv && p.Op != OpDense) {
		return nil
	}
	return p
}
