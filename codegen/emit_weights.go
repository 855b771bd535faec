package codegen

import (
	"strconv"

	"github.com/tcdse/tcdse/model"
)

// weightSymbols names a layer's C arrays.
type weightSymbols struct {
	w, b, val, col, rowptr string // empty when absent
	r, h0, c0              string // LSTM recurrence weights and initial states
}

func layerWeightSymbols(prefix, id string, ls *layerState) weightSymbols {
	var s weightSymbols
	if ls.node.Weight == nil {
		return s
	}
	base := prefix + "_" + id + "_"
	if ls.csr != nil {
		s.val, s.col, s.rowptr = base+"val", base+"col", base+"rowptr"
		if ls.csr.relBits != 0 {
			s.col = base + "gap"
		}
	} else {
		s.w = base + "w"
	}
	if ls.node.Bias != nil {
		s.b = base + "b"
	}
	if isRecurrentOp(ls.node.Op) {
		s.r = base + "r"
		if ls.node.InitialH != nil {
			s.h0 = base + "h0"
		}
		if ls.node.InitialC != nil {
			s.c0 = base + "c0"
		}
	}
	return s
}

func tensorData(t *model.Tensor) []float32 {
	if t == nil {
		return nil
	}
	return t.Data
}

// emitWeights writes <prefix>_weights.h (declarations) and <prefix>_weights.c (definitions).
func emitWeights(p *Plan, prefix string, ids []string, banner string, o Options) (header, source []byte) {
	var h, c cWriter
	guard := macroPrefix(prefix) + "_WEIGHTS_H"
	h.f("%s#ifndef %s\n#define %s\n\n#include <stdint.h>\n\n", banner, guard, guard)
	h.WriteString(sectionBlock(o.WeightsMemory, o.ArenaMemory, o.Sections))
	h.WriteString("\n")
	c.f("%s#include <stdint.h>\n\n#include \"%s_weights.h\"\n\nTCDSE_TASKING_WEIGHTS_BEGIN\n", banner, prefix)

	for i, ls := range p.layers {
		if ls.custom != nil {
			emitConstOperands(&h, &c, prefix, ids[i], i, ls)
			continue
		}
		if ls.q8 != nil {
			if ls.q8.weights != nil {
				q8EmitWeights(&h, &c, prefix, ids[i], i, ls)
			}
			continue
		}
		if ls.node.Weight == nil {
			continue
		}
		sym := layerWeightSymbols(prefix, ids[i], ls)
		n := ls.node
		c.f("\n/* layer %d %s (%s): weight %s, %s, %d of %d nonzero */\n", i, cComment(n.Name), n.Op,
			shapeString(n.Weight.Shape), ls.plan.Format, ls.plan.NNZ, n.Weight.Len())
		if isRecurrentOp(n.Op) {
			w, r, b := recurrentWeights(n)
			for _, a := range []struct {
				sym  string
				data []float32
			}{{sym.w, w}, {sym.r, r}, {sym.b, b}, {sym.h0, tensorData(n.InitialH)}, {sym.c0, tensorData(n.InitialC)}} {
				if a.sym != "" {
					weightArrayDecl(&h, &c, "float", a.sym, len(a.data))
					c.floatArray(a.data)
					c.f("};\n")
				}
			}
			continue
		}
		if m := ls.csr; m != nil {
			vals, cols := m.values, m.colIdx
			if m.relBits != 0 {
				cols = m.packedGapCodes()
			}
			if len(vals) == 0 { // C has no zero-length arrays; the entry is never read
				vals, cols = []float32{0}, []int{0}
			}
			weightArrayDecl(&h, &c, "float", sym.val, len(vals))
			c.floatArray(vals)
			c.f("};\n")
			weightArrayDecl(&h, &c, cTypeOfSuffix("u"+strconv.Itoa(8*m.idxBytes)), sym.col, len(cols))
			c.intArray(cols)
			c.f("};\n")
			weightArrayDecl(&h, &c, cTypeOfSuffix("u"+strconv.Itoa(8*m.ptrBytes)), sym.rowptr, len(m.rowPtr))
			c.intArray(m.rowPtr)
			c.f("};\n")
		} else {
			weightArrayDecl(&h, &c, "float", sym.w, n.Weight.Len())
			rows := n.Weight.Shape[0]
			groupRows := rows
			if n.Op == model.OpConv && !isDepthwise(n, ls.inShape[0]) {
				groupRows = rows / n.Groups()
			}
			c.floatArray(panelize(n.Weight.Data, rows, n.Weight.Len()/rows, groupRows))
			c.f("};\n")
		}
		if sym.b != "" {
			weightArrayDecl(&h, &c, "float", sym.b, n.Bias.Len())
			c.floatArray(n.Bias.Data)
			c.f("};\n")
		}
	}
	c.f("\nTCDSE_TASKING_END\n")
	h.f("\n#endif /* %s */\n", guard)
	return h.Bytes(), c.Bytes()
}
