package codegen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tcdse/tcdse/model"
)

// Emission of int8 layers: kernel names, parameter tables, calls and weight arrays.

// q8KernelName returns the C kernel variant of an int8 layer, or "" when it emits no code.
func q8KernelName(ls *layerState) string {
	switch {
	case ls.alias || ls.fusedAway:
		return ""
	case ls.copy:
		return "q8_copy"
	}
	switch ls.node.Op {
	case q8OpIn:
		return "q8_in"
	case q8OpOut:
		return "q8_out"
	case model.OpQuantize:
		return "q8_quantize"
	case model.OpDequantize:
		return "q8_dequantize"
	case model.OpConv:
		if ls.q8.sp8 != nil {
			return "q8_conv_" + ls.q8.sp8.kernelSuffix()
		}
		if c := ls.q8.csr; c != nil {
			return "q8_conv_" + c.kernelSuffix()
		}
		return "q8_conv"
	case model.OpDense:
		if ls.q8.sp8 != nil {
			return "q8_dense_" + ls.q8.sp8.kernelSuffix()
		}
		if c := ls.q8.csr; c != nil {
			return "q8_dense_" + c.kernelSuffix()
		}
		return "q8_dense"
	case model.OpMaxPool:
		return "q8_maxpool"
	case model.OpAvgPool:
		return "q8_avgpool"
	case model.OpAdd, model.OpSub:
		return "q8_addsub"
	case model.OpMul:
		return "q8_mul"
	case model.OpRelu, model.OpClip:
		return "q8_clamp"
	case model.OpSoftmax:
		return "q8_softmax"
	case model.OpMean:
		return "q8_mean"
	case model.OpSigmoid:
		return "q8_logistic"
	case model.OpTanh:
		return "q8_tanh"
	case model.OpLeakyRelu:
		return "q8_leaky_relu"
	case model.OpHardSwish:
		return "q8_hard_swish"
	case model.OpLSTM, model.OpGRU, model.OpRNN:
		return rnn8Kernel(ls.node.Op)
	}
	return ""
}

// q8GeometryType is the C type of an int8 layer's parameter table.
func q8GeometryType(ls *layerState) string {
	switch ls.node.Op {
	case model.OpConv:
		return "q8_conv_geom_t"
	case model.OpDense:
		return "q8_dense_geom_t"
	case model.OpMaxPool, model.OpAvgPool:
		return "pool_geom_t"
	case model.OpLSTM, model.OpGRU, model.OpRNN:
		return "q8_rnn_geom_t"
	}
	return "q8_elem_t"
}

// q8GeometryInit is the initialiser of an int8 layer's parameter table.
func q8GeometryInit(ls *layerState) string {
	n, q := ls.node, ls.q8
	if q.rnn != nil {
		return rnn8GeometryInit(ls)
	}
	perChannel := b2i(len(q.mult) > 1)
	switch n.Op {
	case model.OpConv:
		ws := n.QWeight.Shape
		g := windowGeometry(n, ls.inShape, ls.outShape, ws[2], ws[3])
		oyLo, oyHi := interiorRange(-g.pt, g.sh, g.dh, g.kh, g.h, g.oh)
		oxLo, oxHi := interiorRange(-g.pl, g.sw, g.dw, g.kw, g.w, g.ow)
		return fmt.Sprintf("%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d",
			g.c, g.h, g.w, g.m, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, g.groups,
			oyLo, oyHi, oxLo, oxHi, perChannel, q.in.zp, q.out.zp, q.qlo, q.qhi)
	case model.OpDense:
		return fmt.Sprintf("%d, %d, %d, %d, %d, %d", ls.plan.Rows, ls.plan.Cols, perChannel, q.out.zp, q.qlo, q.qhi)
	case model.OpMaxPool, model.OpAvgPool:
		g := windowGeometry(n, ls.inShape, ls.outShape, n.Attrs.Kernel[0], n.Attrs.Kernel[1])
		return fmt.Sprintf("%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, 0, 0, 0",
			g.c, g.h, g.w, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.pt, g.pl)
	}
	count, elems := 0, ls.plan.Outputs
	switch n.Op {
	case model.OpSoftmax:
		count = ls.outShape[len(ls.outShape)-1]
		elems /= count
	case model.OpMean:
		_, count, _ = meanRun(n, ls.inShape)
	}
	at := func(s []int32, i int) int32 {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	scale := float32(0)
	switch n.Op {
	case model.OpQuantize:
		scale = q.out.scale
	case model.OpDequantize:
		scale = q.in.scale
	}
	return fmt.Sprintf("%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %s",
		elems, count, q.in.zp, q.in2.zp, q.out.zp, at(q.mult, 0), at(q.shift, 0), q.mult2, q.shift2, q.mult3, q.shift3,
		q.qlo, q.qhi, b2i(q.requant), cFloat(scale))
}

// q8ValueExpr is the C pointer expression of an int8 value in the arena.
func q8ValueExpr(p *Plan, name string) string {
	return fmt.Sprintf("((int8_t *)arena + %d)", p.storage[name].offset)
}

// q8LayerCall is the C statement (without ';') that runs an int8 layer.
func q8LayerCall(p *Plan, prefix, id string, ls *layerState) (string, error) {
	n := ls.node
	x, y := valueExpr(p, n.Inputs[0]), valueExpr(p, n.Outputs[0])
	k := ls.plan.Kernel
	switch {
	case ls.q8.rnn != nil:
		return rnn8Call(p, prefix, id, ls), nil
	case ls.q8.sp8 != nil:
		return sparse8LayerCall(p, prefix, id, ls), nil
	case n.Op == model.OpConv || n.Op == model.OpDense:
		sym := q8WeightSymbols(prefix, id, ls)
		if ls.q8.csr != nil {
			patch := ""
			if n.Op == model.OpConv {
				patch = valueExpr(p, q8PatchName(n)) + ", "
			}
			return fmt.Sprintf("k_%s(%s, %s, %s, %s, %s, %s, %s, %s, %s&geom_%s)", k, x, y, sym.val, sym.col, sym.rowptr, sym.b, sym.mult, sym.shift, patch, id), nil
		}
		if n.Op == model.OpConv {
			return fmt.Sprintf("k_%s(%s, %s, %s, %s, %s, %s, %s, &geom_%s)", k, x, y, sym.w, sym.b, sym.mult, sym.shift, valueExpr(p, q8PatchName(n)), id), nil
		}
		return fmt.Sprintf("k_%s(%s, %s, %s, %s, %s, %s, &geom_%s)", k, x, y, sym.w, sym.b, sym.mult, sym.shift, id), nil
	case n.Op == model.OpMaxPool || n.Op == model.OpAvgPool:
		return fmt.Sprintf("k_%s(%s, %s, &geom_%s, %d)", k, x, y, id, ls.q8.out.zp), nil
	case k == "q8_addsub":
		return fmt.Sprintf("k_q8_addsub(%s, %s, %s, &geom_%s, %d)", x, valueExpr(p, n.Inputs[1]), y, id, b2i(n.Op == model.OpSub)), nil
	case k == "q8_mul":
		return fmt.Sprintf("k_q8_mul(%s, %s, %s, &geom_%s)", x, valueExpr(p, n.Inputs[1]), y, id), nil
	}
	return fmt.Sprintf("k_%s(%s, %s, &geom_%s)", k, x, y, id), nil
}

// q8Symbols names an int8 layer's weight arrays.
type q8Symbols struct{ w, val, col, rowptr, b, mult, shift string }

func q8WeightSymbols(prefix, id string, ls *layerState) q8Symbols {
	base := prefix + "_" + id + "_"
	s := q8Symbols{b: base + "b", mult: base + "mult", shift: base + "shift"}
	if c := ls.q8.csr; c != nil {
		s.val, s.col, s.rowptr = base+"val", base+"col", base+"rowptr"
		if c.relBits != 0 {
			s.col = base + "gap"
		}
	} else {
		s.w = base + "w"
	}
	return s
}

// q8EmitWeights writes an int8 layer's arrays: int8 weights (dense row-major or sparse), the
// int32 bias (Dense: with the input zero point folded in) and the multipliers and shifts.
func q8EmitWeights(h, c *cWriter, prefix, id string, i int, ls *layerState) {
	if ls.q8.rnn != nil {
		rnn8EmitWeights(h, c, prefix, id, i, ls)
		return
	}
	if ls.q8.sp8 != nil {
		sparse8EmitWeights(h, c, prefix, id, i, ls)
		return
	}
	q, n := ls.q8, ls.node
	sym := q8WeightSymbols(prefix, id, ls)
	c.f("\n/* layer %d %s (%s, int8): weight %s, %s, %d of %d nonzero */\n", i, cComment(n.Name), n.Op,
		shapeString(n.QWeight.Shape), ls.plan.Format, ls.plan.NNZ, len(q.weights))
	if m := q.csr; m != nil {
		vals, cols := q8Ints(m.values), m.colIdx
		if m.relBits != 0 {
			cols = m.packedGapCodes()
		}
		if len(vals) == 0 {
			vals, cols = []int{0}, []int{0}
		}
		signedWeightArray(h, c, "int8_t", sym.val, vals)
		weightArrayDecl(h, c, cTypeOfSuffix("u"+strconv.Itoa(8*m.idxBytes)), sym.col, len(cols))
		c.intArray(cols)
		c.f("};\n")
		weightArrayDecl(h, c, cTypeOfSuffix("u"+strconv.Itoa(8*m.ptrBytes)), sym.rowptr, len(m.rowPtr))
		c.intArray(m.rowPtr)
		c.f("};\n")
	} else {
		signedWeightArray(h, c, "int8_t", sym.w, q8Ints(q.weights))
	}
	q8EmitRequantArrays(h, c, sym.b, sym.mult, sym.shift, q)
}

// q8EmitRequantArrays writes an int8 layer's int32 bias, multiplier and shift arrays, per output
// channel, under the names b, mult and shift.
func q8EmitRequantArrays(h, c *cWriter, b, mult, shift string, q *q8Layer) {
	signedWeightArray(h, c, "int32_t", b, q8Int32s(q.bias))
	signedWeightArray(h, c, "int32_t", mult, q8Int32s(q.mult))
	signedWeightArray(h, c, "int32_t", shift, q8Int32s(q.shift))
}

func q8Ints(v []int8) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

func q8Int32s(v []int32) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// signedArray writes the initialiser body of a signed integer array, sixteen values per line;
// INT32_MIN is written as an expression, since its literal does not fit int.
func (w *cWriter) signedArray(vals []int) {
	for i, v := range vals {
		if i%16 == 0 {
			w.WriteString("\n    ")
		} else {
			w.WriteByte(' ')
		}
		if v == -1<<31 {
			w.WriteString("(-2147483647 - 1)")
		} else {
			w.WriteString(strconv.Itoa(v))
		}
		w.WriteByte(',')
	}
	w.WriteByte('\n')
}

// q8Helpers returns the int8 helper code the plan's kernels need, or "".
func q8Helpers(kernels []string) string {
	var b strings.Builder
	fixed := false
	for _, k := range kernels {
		if strings.HasPrefix(k, "q8_") {
			if b.Len() == 0 {
				b.WriteString(cQ8Helpers)
			}
			fixed = fixed || q8NeedsFixedPoint(k)
		}
	}
	if fixed {
		b.WriteString("\n" + cQ8FixedPoint)
	}
	if s := rnn8Helpers(kernels); s != "" {
		b.WriteString("\n" + s)
	}
	return b.String()
}
