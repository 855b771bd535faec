package codegen

import "strconv"

// weightSymbols names a layer's C arrays.
type weightSymbols struct {
	w, b, val, col, rowptr string // empty when absent
}

func layerWeightSymbols(prefix, id string, ls *layerState) weightSymbols {
	var s weightSymbols
	if ls.node.Weight == nil {
		return s
	}
	base := prefix + "_" + id + "_"
	if ls.csr != nil {
		s.val, s.col, s.rowptr = base+"val", base+"col", base+"rowptr"
	} else {
		s.w = base + "w"
	}
	if ls.node.Bias != nil {
		s.b = base + "b"
	}
	return s
}

// emitWeights writes <prefix>_weights.h (declarations) and <prefix>_weights.c (definitions).
func emitWeights(p *Plan, prefix string, ids []string, banner string) (header, source []byte) {
	var h, c cWriter
	guard := macroPrefix(prefix) + "_WEIGHTS_H"
	h.f("%s#ifndef %s\n#define %s\n\n#include <stdint.h>\n\n", banner, guard, guard)
	h.f("/* Define TCDSE_WEIGHTS_SECTION (e.g. as a section attribute) to place the weight arrays. */\n")
	h.f("#ifndef TCDSE_WEIGHTS_SECTION\n#define TCDSE_WEIGHTS_SECTION\n#endif\n\n")
	c.f("%s#include <stdint.h>\n\n#include \"%s_weights.h\"\n", banner, prefix)

	decl := func(ctype, name string, n int) {
		h.f("extern const %s %s[%d];\n", ctype, name, n)
		c.f("TCDSE_WEIGHTS_SECTION const %s %s[%d] = {", ctype, name, n)
	}
	for i, ls := range p.layers {
		if ls.node.Weight == nil {
			continue
		}
		sym := layerWeightSymbols(prefix, ids[i], ls)
		n := ls.node
		c.f("\n/* layer %d %s (%s): weight %s, %s, %d of %d nonzero */\n", i, cComment(n.Name), n.Op,
			shapeString(n.Weight.Shape), ls.plan.Format, ls.plan.NNZ, n.Weight.Len())
		if m := ls.csr; m != nil {
			vals, cols := m.values, m.colIdx
			if len(vals) == 0 { // C has no zero-length arrays; the entry is never read
				vals, cols = []float32{0}, []int{0}
			}
			decl("float", sym.val, len(vals))
			c.floatArray(vals)
			c.f("};\n")
			decl(cTypeOfSuffix("u"+strconv.Itoa(8*m.idxBytes)), sym.col, len(cols))
			c.intArray(cols)
			c.f("};\n")
			decl(cTypeOfSuffix("u"+strconv.Itoa(8*m.ptrBytes)), sym.rowptr, len(m.rowPtr))
			c.intArray(m.rowPtr)
			c.f("};\n")
		} else {
			decl("float", sym.w, n.Weight.Len())
			c.floatArray(n.Weight.Data)
			c.f("};\n")
		}
		if sym.b != "" {
			decl("float", sym.b, n.Bias.Len())
			c.floatArray(n.Bias.Data)
			c.f("};\n")
		}
	}
	h.f("\n#endif /* %s */\n", guard)
	return h.Bytes(), c.Bytes()
}
