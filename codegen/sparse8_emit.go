package codegen

import (
	"fmt"
	"strings"

	"github.com/tcdse/tcdse/model"
)

// Emission of int8 layers in the sparse8 format: weight arrays and the kernel call.

// sparse8Symbols names a sparse8 layer's arrays; ident is "NULL" when the layer has none.
type sparse8Symbols struct{ ent, count, tap, ident, b, mult, shift string }

func sparse8WeightSymbols(prefix, id string, m *sparse8Matrix) sparse8Symbols {
	base := prefix + "_" + id + "_"
	s := sparse8Symbols{ent: base + "ent", count: base + "count",
		tap: "NULL", ident: "NULL", b: base + "b", mult: base + "mult", shift: base + "shift"}
	if m.taps != nil {
		s.tap = base + "tap"
	}
	if m.ident != nil {
		s.ident = base + "ident"
	}
	return s
}

// sparse8EmitWeights writes a sparse8 layer's arrays: the entry stream, the counts, the conv
// tap tables, the int32 bias (input zero point folded in) and the multipliers and shifts.
func sparse8EmitWeights(h, c *cWriter, prefix, id string, i int, ls *layerState) {
	q, n, m := ls.q8, ls.node, ls.q8.sp8
	sym := sparse8WeightSymbols(prefix, id, m)
	c.f("\n/* layer %d %s (%s, int8): weight %s, sparse8, %d of %d nonzero */\n", i, cComment(n.Name), n.Op,
		shapeString(n.QWeight.Shape), len(m.values), len(q.weights))
	ent := q8Ints(m.stream())
	if len(ent) == 0 { // C has no empty arrays
		ent = []int{0}
	}
	counts := make([]int, len(m.counts))
	for j, v := range m.counts {
		counts[j] = int(v)
	}
	signedWeightArray(h, c, "int8_t", sym.ent, ent)
	weightArrayDecl(h, c, "uint8_t", sym.count, len(counts))
	c.intArray(counts)
	c.f("};\n")
	for _, t := range []struct {
		name string
		vals []int
	}{{sym.tap, m.taps}, {sym.ident, m.ident}} {
		if t.vals != nil {
			weightArrayDecl(h, c, "uint16_t", t.name, len(t.vals))
			c.intArray(t.vals)
			c.f("};\n")
		}
	}
	q8EmitRequantArrays(h, c, sym.b, sym.mult, sym.shift, q)
}

// sparse8LayerCall is the C statement (without ';') that runs a sparse8 layer.
func sparse8LayerCall(p *Plan, prefix, id string, ls *layerState) string {
	n := ls.node
	sym := sparse8WeightSymbols(prefix, id, ls.q8.sp8)
	args := []string{valueExpr(p, n.Inputs[0]), valueExpr(p, n.Outputs[0]), sym.ent, sym.count}
	if n.Op == model.OpConv {
		args = append(args, sym.tap, sym.ident)
	}
	args = append(args, sym.b, sym.mult, sym.shift)
	if n.Op == model.OpConv {
		args = append(args, valueExpr(p, q8PatchName(n)))
	}
	return fmt.Sprintf("k_%s(%s, &geom_%s)", ls.plan.Kernel, strings.Join(args, ", "), id)
}
