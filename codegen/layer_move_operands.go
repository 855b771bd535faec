package codegen

import (
	"fmt"
	"math"

	"github.com/tcdse/tcdse/model"
)

// Layers planned and emitted by their own files (data movement in layer_move.go, broadcasting
// binary operators in layer_bcast.go), in float32 or int8, with operands that may be graph
// constants (Graph.Consts). Constants become read-only arrays next to the weights.

// customLayer is a layer that writes its own kernel calls and tables.
type customLayer interface {
	// kernels lists the C kernel variants the layer calls; the first is LayerPlan.Kernel.
	kernels() []string
	// constants are the layer's constant operands.
	constants() []constOperand
	// tables returns the static const parameter tables of model.c.
	tables(ls *layerState, id string) string
	// call returns the C statements (joined, without the final ';') that run the layer.
	call(p *Plan, ls *layerState, prefix, id string) (string, error)
}

// constOperand is a graph constant read by a layer: its operand index and data, float32 for
// float layers, int8 for int8 layers.
type constOperand struct {
	input int
	name  string
	f32   []float32
	q8    []int8
}

// customOperands describes a custom layer's operands.
type customOperands struct {
	int8   bool
	quant  []q8Affine // int8 layers: the quantization of every operand
	consts []constOperand
}

// isCustomNode reports whether a node is planned by planCustom: a data movement operator, or
// Add, Sub or Mul whose operand shapes differ or that reads a constant.
func isCustomNode(n *model.Node, g *model.Graph) bool {
	if moveOps[n.Op] || n.Op == model.OpDiv {
		return true
	}
	if n.Op == model.OpReshape && n.Attrs.Quant != nil && len(n.Inputs) == 1 {
		// an int8 Reshape that requantizes is a flat copy with requantization
		in := g.ValueQuantOf(n.Inputs[0])
		return in != nil && !q8SameQuant(in, n.Attrs.Quant)
	}
	switch n.Op {
	case model.OpAdd, model.OpSub, model.OpMul:
	default:
		return false
	}
	if len(n.Inputs) != 2 {
		return false
	}
	return constTensor(g, n.Inputs[0]) != nil || constTensor(g, n.Inputs[1]) != nil ||
		!model.EqualShapes(g.Shapes[n.Inputs[0]], g.Shapes[n.Inputs[1]])
}

// q8SameQuant reports whether two quantizations are the same per-tensor affine map (either
// may be malformed; then they differ and planning reports why).
func q8SameQuant(a, b *model.QuantParams) bool {
	if len(a.Scale) != 1 || len(b.Scale) != 1 || len(a.ZeroPoint) > 1 || len(b.ZeroPoint) > 1 {
		return false
	}
	var za, zb int32
	if len(a.ZeroPoint) == 1 {
		za = a.ZeroPoint[0]
	}
	if len(b.ZeroPoint) == 1 {
		zb = b.ZeroPoint[0]
	}
	return a.Scale[0] == b.Scale[0] && za == zb
}

// constTensor returns the graph constant called name, or nil.
func constTensor(g *model.Graph, name string) *model.Tensor {
	for _, c := range g.Consts {
		if c.Name == name {
			return c.Tensor
		}
	}
	return nil
}

// planCustom plans a data movement or broadcasting binary node, float32 or int8 (when it has
// Attrs.Quant).
func planCustom(n *model.Node, g *model.Graph, int8Values map[string]bool) (*layerState, error) {
	if len(n.Inputs) == 0 || len(n.Outputs) != 1 {
		return nil, fmt.Errorf("codegen: node %q (%s): %d inputs and %d outputs; want at least one input and one output", n.Name, n.Op, len(n.Inputs), len(n.Outputs))
	}
	ls := &layerState{node: n, inShape: g.Shapes[n.Inputs[0]], outShape: g.Shapes[n.Outputs[0]]}
	outElems, _ := model.NumElements(ls.outShape)
	lp := &LayerPlan{
		Node: n.Name, Op: string(n.Op),
		Inputs: append([]string(nil), n.Inputs...), Output: n.Outputs[0],
		OutShape: append([]int(nil), ls.outShape...), Outputs: outElems,
		OutBytes: outElems * valueBytes(int8Values, n.Outputs[0]),
		Ops:      outElems,
	}
	ls.plan = lp
	ops, err := planOperands(ls, g, int8Values)
	if err != nil {
		return nil, err
	}
	if moveOps[n.Op] || n.Op == model.OpReshape {
		lp.Kind = KindMove
		m, err := planMove(ls, g, ops)
		if err != nil {
			return nil, err
		}
		ls.custom = m
	} else {
		lp.Kind = KindElementwise
		b, err := planBcast(ls, g, ops)
		if err != nil {
			return nil, err
		}
		ls.custom = b
	}
	for _, c := range ops.consts {
		if ops.int8 {
			lp.WeightBytes += len(c.q8)
		} else {
			lp.WeightBytes += len(c.f32) * floatBytes
		}
	}
	return ls, nil
}

// planOperands checks that every operand is of the node's type (int8 or float32) and reads
// the constant ones.
func planOperands(ls *layerState, g *model.Graph, int8Values map[string]bool) (*customOperands, error) {
	n := ls.node
	ops := &customOperands{int8: n.Attrs.Quant != nil}
	fail := func(format string, args ...any) error {
		kind := ""
		if ops.int8 {
			kind = ", int8"
		}
		return fmt.Errorf("codegen: node %q (%s%s): %s", n.Name, n.Op, kind, fmt.Sprintf(format, args...))
	}
	if ops.int8 {
		out, err := q8PerTensor(n, n.Attrs.Quant, "the output")
		if err != nil {
			return nil, err
		}
		ls.q8 = &q8Layer{out: out, qlo: q8Min, qhi: q8Max}
	}
	nConst := 0
	for i, name := range n.Inputs {
		t := constTensor(g, name)
		if t == nil {
			if int8Values[name] != ops.int8 {
				if ops.int8 {
					return nil, fail("input %q is a float value; an int8 node needs int8 inputs", name)
				}
				return nil, fail("input %q is an int8 value; a float node needs float inputs", name)
			}
		} else {
			nConst++
			// Concat, Add, Sub and Mul take constant operands, as the interpreter does.
			if moveOps[n.Op] && n.Op != model.OpConcat {
				return nil, fail("the input %q is a constant; fold it before code generation", name)
			}
			c := constOperand{input: i, name: name}
			if ops.int8 {
				q := g.ValueQuantOf(name)
				if q == nil {
					return nil, fail("constant operand %q has no int8 quantization in Graph.Quant", name)
				}
				c.q8 = make([]int8, len(t.Data))
				for j, v := range t.Data {
					if v != float32(math.Trunc(float64(v))) || v < q8Min || v > q8Max {
						return nil, fail("constant operand %q element %d is %v, not an int8 value", name, j, v)
					}
					c.q8[j] = int8(v)
				}
			} else {
				if g.ValueQuantOf(name) != nil {
					return nil, fail("constant operand %q is int8; a float node needs a float constant", name)
				}
				if err := t.CheckFinite(); err != nil {
					return nil, fail("constant operand %q: %v", name, err)
				}
				c.f32 = t.Data
			}
			ops.consts = append(ops.consts, c)
		}
		if ops.int8 {
			a, err := q8PerTensor(n, g.ValueQuantOf(name), "input "+name)
			if err != nil {
				return nil, err
			}
			ops.quant = append(ops.quant, a)
		}
	}
	if nConst == len(n.Inputs) {
		return nil, fail("every operand is a constant; fold the node before code generation")
	}
	if ops.int8 {
		ls.q8.in = ops.quant[0]
		if len(ops.quant) > 1 {
			ls.q8.in2 = ops.quant[1]
		}
	}
	return ops, nil
}

// constSymbol names the C array of a layer's constant operand.
func constSymbol(prefix, id string, input int) string {
	return fmt.Sprintf("%s_%s_k%d", prefix, id, input)
}

// operandExpr is the C expression of operand input of a custom layer: its constant array or
// its value's storage.
func operandExpr(p *Plan, ls *layerState, consts []constOperand, prefix, id string, input int) string {
	for _, c := range consts {
		if c.input == input {
			return constSymbol(prefix, id, input)
		}
	}
	return valueExpr(p, ls.node.Inputs[input])
}

// emitConstOperands writes a custom layer's constant operands to the weight files.
func emitConstOperands(h, c *cWriter, prefix, id string, i int, ls *layerState) {
	for _, k := range ls.custom.constants() {
		sym := constSymbol(prefix, id, k.input)
		c.f("\n/* layer %d %s (%s): constant operand %s */\n", i, cComment(ls.node.Name), ls.node.Op, cComment(k.name))
		if k.q8 != nil {
			signedWeightArray(h, c, "int8_t", sym, q8Ints(k.q8))
			continue
		}
		weightArrayDecl(h, c, "float", sym, len(k.f32))
		c.floatArray(k.f32)
		c.f("};\n")
	}
}

// customKernelName is LayerPlan.Kernel of a custom layer.
func customKernelName(ls *layerState) string {
	if ks := ls.custom.kernels(); len(ks) > 0 {
		return ks[0]
	}
	return ""
}
