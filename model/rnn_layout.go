package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/tcdse/tcdse/model/onnxpb"
)

// ONNX's recurrent operators put the time first and the batch second (layout 0: X [T, B, I],
// Y [T, D, B, H], Y_h [D, B, H], where D is num_directions), while the IR keeps the batch first
// everywhere. rnnNormalize rewrites an ONNX graph, before its conversion, so that each
// recurrent node reads a batch-first X and writes straight into the value its consumers need:
//
//   - X: a graph input [T, B, I] (the ONNX test suite, PyTorch batch_first=False) is declared
//     [B, T, I] instead, so the IR input is [T, I] per sample and callers feed [B, T, I]; a
//     Transpose(perm=[1,0,2]) in front of the layer (PyTorch batch_first=True) is removed; the
//     time-major output of another recurrent layer (stacked layers) is read as it is. Any other
//     time-major X is an error. layout=1 inputs need nothing.
//   - Outputs: the layout operators after the used output (Squeeze of size-1 dimensions,
//     Transpose, Identity, and taking the last step with Gather(index -1) or
//     Slice(start -1) on the time axis) are folded into the node; the last step of Y becomes
//     the node's Y_h. The folded chain must end batch first ([B, T, H] or [B, H], with any
//     size-1 dimensions, which the importer keeps with a Reshape), or time-major [T, B, H] only
//     where another recurrent layer reads it or it is a graph output (whose IR shape is then
//     [B, T, H]).
//   - Initial states computed by ConstantOfShape with value 0 (PyTorch exports the default
//     zero state so) are dropped together with the shape arithmetic feeding them.
//
// The rewritten node gets layout=1 and the private attribute rnnOutLayout, which records the
// dimensions of its output value as letters: T time, B batch, H hidden, D num_directions and 1
// a kept size-1 time axis.
func init() { onnxGraphRewrites = append(onnxGraphRewrites, rnnNormalize) }

// rnnOutLayout is the private attribute through which rnnNormalize tells the converter the
// dimensions of a recurrent node's output value.
const rnnOutLayout = "tcdse_rnn_out_layout"

// rnnOps lists the recurrent ONNX operators.
var rnnOps = map[string]Op{"RNN": OpRNN, "LSTM": OpLSTM, "GRU": OpGRU}

// rnnGraph is the working state of rnnNormalize.
type rnnGraph struct {
	gp      *onnxpb.GraphProto
	nodes   []*onnxpb.NodeProto
	removed []bool
	inits   map[string]*onnxpb.TensorProto
	outputs map[string]bool
	// ends records, for the output value of each normalised recurrent node, its layout letters.
	ends map[string]string
}

func rnnNormalize(gp *onnxpb.GraphProto) error {
	has := false
	for _, n := range gp.GetNode() {
		if _, ok := rnnOps[n.GetOpType()]; ok && rnnDefaultDomain(n) {
			has = true
		}
	}
	if !has {
		return nil
	}
	// Name every node now, so that removing nodes does not change the names the importer
	// synthesises for the others.
	for i, name := range nodeNames(gp.GetNode()) {
		gp.GetNode()[i].Name = proto.String(name)
	}
	g := &rnnGraph{gp: gp, nodes: gp.GetNode(), removed: make([]bool, len(gp.GetNode())),
		inits: map[string]*onnxpb.TensorProto{}, outputs: map[string]bool{}, ends: map[string]string{}}
	for _, t := range gp.GetInitializer() {
		g.inits[t.GetName()] = t
	}
	for _, o := range gp.GetOutput() {
		g.outputs[o.GetName()] = true
	}
	for i, n := range g.nodes {
		if _, ok := rnnOps[n.GetOpType()]; !ok || !rnnDefaultDomain(n) || g.removed[i] {
			continue
		}
		if err := g.normalize(n); err != nil {
			return fmt.Errorf("node %q (%s): %w", n.GetName(), n.GetOpType(), err)
		}
	}
	kept := g.nodes[:0:0]
	for i, n := range g.nodes {
		if !g.removed[i] {
			kept = append(kept, n)
		}
	}
	gp.Node = kept
	return nil
}

func rnnDefaultDomain(n *onnxpb.NodeProto) bool {
	return n.GetDomain() == "" || n.GetDomain() == "ai.onnx"
}

// normalize rewrites one recurrent node and its surroundings.
func (g *rnnGraph) normalize(n *onnxpb.NodeProto) error {
	layout, err := attrsOf(n).int("layout", 0)
	if err != nil {
		return err
	}
	if layout != 0 && layout != 1 {
		return fmt.Errorf("layout %d is not 0 or 1", layout)
	}
	if err := g.normalizeX(n, layout); err != nil {
		return err
	}
	for _, i := range []int{5, 6} {
		g.dropZeroState(n, i)
	}
	if err := g.foldOutput(n, layout); err != nil {
		return err
	}
	rnnSetAttr(n, &onnxpb.AttributeProto{Name: proto.String("layout"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)})
	return nil
}

// normalizeX makes the node's X batch first.
func (g *rnnGraph) normalizeX(n *onnxpb.NodeProto, layout int64) error {
	if len(n.GetInput()) == 0 || n.GetInput()[0] == "" {
		return errors.New("has no input X")
	}
	x := n.GetInput()[0]
	if lab, ok := g.ends[x]; ok {
		want := "BTH"
		if layout == 0 {
			want = "TBH"
		}
		if rnnMajor(lab) != want {
			return fmt.Errorf("input X %q has dimensions %s (from the recurrent layer before), want %s", x, lab, want)
		}
		return nil
	}
	if layout == 1 {
		return nil
	}
	if p := g.producer(x); p >= 0 && g.nodes[p].GetOpType() == "Transpose" && len(g.consumers(x)) == 1 && !g.outputs[x] {
		perm, err := attrsOf(g.nodes[p]).ints("perm", -1, nil, 0, 2)
		if err == nil && slices.Equal(perm, []int{1, 0, 2}) && len(g.nodes[p].GetInput()) == 1 {
			n.Input[0] = g.nodes[p].GetInput()[0]
			g.removed[p] = true
			return nil
		}
	}
	if in := g.graphInput(x); in != nil {
		for _, c := range g.consumers(x) {
			cn := g.nodes[c.node]
			lay, _ := attrsOf(cn).int("layout", 0)
			if _, rec := rnnOps[cn.GetOpType()]; !rec || c.input != 0 || (lay != 0 && in.GetDocString() != rnnSwapped) {
				return fmt.Errorf("input X %q is a time-major graph input [T, B, I] that node %q (%s) also reads; the IR can only take the batch from its second dimension when recurrent layers alone read it",
					x, cn.GetName(), cn.GetOpType())
			}
		}
		if g.outputs[x] {
			return fmt.Errorf("input X %q is also a graph output", x)
		}
		dims := in.GetType().GetTensorType().GetShape().GetDim()
		if len(dims) != 3 {
			return fmt.Errorf("input X %q is a graph input of rank %d, want [T, B, I]", x, len(dims))
		}
		if in.GetDocString() != rnnSwapped {
			dims[0], dims[1] = dims[1], dims[0]
			in.DocString = proto.String(rnnSwapped)
		}
		return nil
	}
	return fmt.Errorf("input X %q is time-major [T, B, I] (layout 0) but comes from neither a graph input nor a Transpose(perm=[1,0,2]) of a batch-first value; the IR keeps the batch first", x)
}

// rnnSwapped marks (in its doc string) a graph input whose declared dimensions rnnNormalize has
// swapped from [T, B, I] to [B, T, I].
const rnnSwapped = "tcdse: declared [T, B, I] in the ONNX model, taken as [B, T, I]"

// dropZeroState removes input i (initial_h or initial_c) when it is computed as zeros: by a
// ConstantOfShape with value 0, possibly sliced or reshaped (PyTorch's default state), together
// with the nodes that only served to compute it.
func (g *rnnGraph) dropZeroState(n *onnxpb.NodeProto, i int) {
	if i >= len(n.GetInput()) || n.GetInput()[i] == "" || !g.zeros(n.GetInput()[i], 0) {
		return
	}
	p := g.producer(n.GetInput()[i])
	n.Input[i] = ""
	g.dropDead(p)
}

// zeros reports whether value name is all zeros computed by a ConstantOfShape followed by
// operators that only move or select data.
func (g *rnnGraph) zeros(name string, depth int) bool {
	p := g.producer(name)
	if p < 0 || depth > 16 {
		return false
	}
	n := g.nodes[p]
	switch n.GetOpType() {
	case "ConstantOfShape":
		v, ok := attrsOf(n)["value"]
		if !ok {
			return true // the default value is a float 0
		}
		c, err := decodeONNXTensor(v.GetT())
		return err == nil && len(c.F)+len(c.I) == 1 && ((c.isFloat() && c.F[0] == 0) || (!c.isFloat() && c.I[0] == 0))
	case "Slice", "Gather", "Identity", "Reshape", "Squeeze", "Unsqueeze", "Expand", "Transpose":
		return len(n.GetInput()) > 0 && g.zeros(n.GetInput()[0], depth+1)
	}
	return false
}

// dropDead removes node p if none of its outputs is used, then does the same for the nodes that
// computed its inputs.
func (g *rnnGraph) dropDead(p int) {
	if p < 0 || g.removed[p] {
		return
	}
	for _, out := range g.nodes[p].GetOutput() {
		if out != "" && (g.outputs[out] || len(g.consumers(out)) > 0) {
			return
		}
	}
	g.removed[p] = true
	for _, in := range g.nodes[p].GetInput() {
		if in != "" {
			g.dropDead(g.producer(in))
		}
	}
}

// foldOutput folds the layout operators after the node's used output into it.
func (g *rnnGraph) foldOutput(n *onnxpb.NodeProto, layout int64) error {
	outs := n.GetOutput()
	slot := -1
	var used []string
	for i, o := range outs {
		if o != "" && (g.outputs[o] || len(g.consumers(o)) > 0) {
			used = append(used, [3]string{"Y", "Y_h", "Y_c"}[min(i, 2)])
			slot = i
		}
	}
	switch {
	case len(used) == 0:
		return errors.New("none of its outputs is used")
	case len(used) > 1:
		return fmt.Errorf("uses several outputs (%s); an IR recurrent node has one output: use either Y (every step) or Y_h (the last step)", strings.Join(used, ", "))
	case slot > 1:
		return errors.New("uses its cell state output Y_c, which the IR does not provide (use Y or Y_h)")
	}
	lab := [2][2]string{{"TDBH", "DBH"}, {"BTDH", "BDH"}}[layout][slot]
	cur := outs[slot]
	seq := slot == 0
	for !g.outputs[cur] {
		cs := g.consumers(cur)
		if len(cs) != 1 {
			break
		}
		c := g.nodes[cs[0].node]
		next, last, ok := g.foldStep(c, lab, seq)
		if !ok {
			break
		}
		if last {
			seq = false
		}
		g.removed[cs[0].node] = true
		for _, in := range c.GetInput()[1:] {
			if in != "" {
				g.dropDead(g.producer(in))
			}
		}
		lab, cur = next, c.GetOutput()[0]
	}
	major := rnnMajor(lab)
	switch {
	case major == "BTH" || major == "BH":
	case major == "TBH":
		for _, c := range g.consumers(cur) {
			cn := g.nodes[c.node]
			lay, _ := attrsOf(cn).int("layout", 0)
			if _, rec := rnnOps[cn.GetOpType()]; !rec || c.input != 0 || lay != 0 {
				return fmt.Errorf("its output reaches %q time-major (dimensions %s), which node %q (%s) reads; the IR keeps the batch first: transpose it to [B, T, H] (PyTorch batch_first=True) or take the last step", cur, lab, cn.GetName(), cn.GetOpType())
			}
		}
	default:
		return fmt.Errorf("its output reaches %q with dimensions %s, which the IR cannot express", cur, lab)
	}
	for i := range outs {
		outs[i] = ""
	}
	if seq {
		outs[0] = cur
	} else {
		for len(n.Output) < 2 {
			n.Output = append(n.Output, "")
		}
		n.Output[1] = cur
	}
	g.ends[cur] = lab
	rnnSetAttr(n, &onnxpb.AttributeProto{Name: proto.String(rnnOutLayout), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(lab)})
	return nil
}

// foldStep returns the layout letters after node c, which reads a value with letters lab (every
// step when seq), and whether c takes the last time step; ok is false when c is not a layout
// operator that can be folded.
func (g *rnnGraph) foldStep(c *onnxpb.NodeProto, lab string, seq bool) (next string, last, ok bool) {
	if !rnnDefaultDomain(c) || len(c.GetOutput()) != 1 || c.GetOutput()[0] == "" || len(c.GetInput()) == 0 {
		return "", false, false
	}
	next, last, ok = g.foldLayoutOp(c, lab, seq)
	return next, last, ok && c.GetInput()[0] != ""
}

// foldLayoutOp is foldStep for one operator type.
func (g *rnnGraph) foldLayoutOp(c *onnxpb.NodeProto, lab string, seq bool) (string, bool, bool) {
	a := attrsOf(c)
	rank := len(lab)
	axis := func(v int64) (int, bool) {
		if v < 0 {
			v += int64(rank)
		}
		return int(v), v >= 0 && v < int64(rank)
	}
	switch c.GetOpType() {
	case "Identity":
		return lab, false, true
	case "Squeeze":
		var axes []int64
		if p, ok := a["axes"]; ok {
			axes = p.GetInts()
		} else if len(c.GetInput()) > 1 && c.GetInput()[1] != "" {
			v, _, ok := g.ints(c.GetInput()[1])
			if !ok {
				return "", false, false
			}
			axes = v
		}
		if len(axes) == 0 {
			return "", false, false
		}
		drop := make([]bool, rank)
		for _, v := range axes {
			ax, ok := axis(v)
			if !ok || (lab[ax] != 'D' && lab[ax] != '1') {
				return "", false, false
			}
			drop[ax] = true
		}
		var b strings.Builder
		for i := range lab {
			if !drop[i] {
				b.WriteByte(lab[i])
			}
		}
		return b.String(), false, true
	case "Transpose":
		perm, err := a.ints("perm", rank, nil, 0, int64(rank-1))
		if err != nil || perm == nil {
			return "", false, false
		}
		out := make([]byte, rank)
		for i, p := range perm {
			out[i] = lab[p]
		}
		return string(out), false, rnnIsPerm(perm)
	case "Gather":
		v, err := a.int("axis", 0)
		ax, ok := axis(v)
		if err != nil || !ok || len(c.GetInput()) != 2 {
			return "", false, false
		}
		idx, dims, ok := g.ints(c.GetInput()[1])
		if !ok || len(idx) != 1 {
			return "", false, false
		}
		switch {
		case lab[ax] == 'D' && (idx[0] == 0 || idx[0] == -1): // h_n[-1] of a one-direction layer
			if len(dims) == 0 {
				return lab[:ax] + lab[ax+1:], false, true
			}
			return lab, false, true
		case lab[ax] == 'T' && seq && idx[0] == -1: // the last step of Y
			if len(dims) == 0 {
				return lab[:ax] + lab[ax+1:], true, true
			}
			return lab[:ax] + "1" + lab[ax+1:], true, true
		}
		return "", false, false
	case "Slice": // opset 10 and later: starts, ends, axes, steps are inputs
		if !seq || len(c.GetInput()) < 3 {
			return "", false, false
		}
		starts, _, ok1 := g.ints(c.GetInput()[1])
		ends, _, ok2 := g.ints(c.GetInput()[2])
		axes := []int64{0}
		ok3, ok4 := true, true
		if len(c.GetInput()) > 3 && c.GetInput()[3] != "" {
			axes, _, ok3 = g.ints(c.GetInput()[3])
		}
		if len(c.GetInput()) > 4 && c.GetInput()[4] != "" {
			var steps []int64
			steps, _, ok4 = g.ints(c.GetInput()[4])
			ok4 = ok4 && len(steps) == 1 && steps[0] == 1
		}
		if !ok1 || !ok2 || !ok3 || !ok4 || len(starts) != 1 || len(ends) != 1 || len(axes) != 1 {
			return "", false, false
		}
		ax, ok := axis(axes[0])
		if !ok || lab[ax] != 'T' || starts[0] != -1 || ends[0] < MaxElements {
			return "", false, false
		}
		return lab[:ax] + "1" + lab[ax+1:], true, true
	}
	return "", false, false
}

func rnnIsPerm(p []int) bool {
	seen := make([]bool, len(p))
	for _, v := range p {
		if v < 0 || v >= len(p) || seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
}

// rnnMajor returns the layout letters without the size-1 dimensions D and 1.
func rnnMajor(lab string) string {
	return strings.NewReplacer("D", "", "1", "").Replace(lab)
}

// rnnSetAttr sets attribute a on n, replacing one of the same name.
func rnnSetAttr(n *onnxpb.NodeProto, a *onnxpb.AttributeProto) {
	for i, old := range n.GetAttribute() {
		if old.GetName() == a.GetName() {
			n.Attribute[i] = a
			return
		}
	}
	n.Attribute = append(n.Attribute, a)
}

// rnnUse is one input of one node.
type rnnUse struct{ node, input int }

// consumers returns the inputs of the remaining nodes that read value name.
func (g *rnnGraph) consumers(name string) []rnnUse {
	var out []rnnUse
	for i, n := range g.nodes {
		if g.removed[i] {
			continue
		}
		for j, in := range n.GetInput() {
			if in == name {
				out = append(out, rnnUse{i, j})
			}
		}
	}
	return out
}

// producer returns the index of the remaining node computing value name, or -1.
func (g *rnnGraph) producer(name string) int {
	for i, n := range g.nodes {
		if g.removed[i] {
			continue
		}
		for _, o := range n.GetOutput() {
			if o == name {
				return i
			}
		}
	}
	return -1
}

// graphInput returns the graph input (not an initializer) called name, or nil.
func (g *rnnGraph) graphInput(name string) *onnxpb.ValueInfoProto {
	if _, isInit := g.inits[name]; isInit {
		return nil
	}
	for _, in := range g.gp.GetInput() {
		if in.GetName() == name {
			return in
		}
	}
	return nil
}

// ints returns the integer values and dimensions of a constant (initializer or Constant node).
func (g *rnnGraph) ints(name string) ([]int64, []int, bool) {
	var c *onnxConst
	var err error
	if t, ok := g.inits[name]; ok {
		c, err = decodeONNXTensor(t)
	} else if p := g.producer(name); p >= 0 && g.nodes[p].GetOpType() == "Constant" {
		a := attrsOf(g.nodes[p])
		switch {
		case a.has("value"):
			c, err = decodeONNXTensor(a["value"].GetT())
		case a.has("value_int"):
			c = &onnxConst{Dims: []int{}, I: []int64{a["value_int"].GetI()}}
		case a.has("value_ints"):
			c = &onnxConst{Dims: []int{len(a["value_ints"].GetInts())}, I: a["value_ints"].GetInts()}
		default:
			return nil, nil, false
		}
	} else {
		return nil, nil, false
	}
	if err != nil || c.isFloat() {
		return nil, nil, false
	}
	return c.I, c.Dims, true
}
