package codegen

import (
	"fmt"
	"strings"

	"github.com/tcdse/tcdse/model"
)

// emitHeader writes <prefix>.h.
func emitHeader(p *Plan, prefix, banner, signature string) []byte {
	var w cWriter
	mp := macroPrefix(prefix)
	w.f("%s#ifndef %s_H\n#define %s_H\n\n#include <stdint.h>\n\n", banner, mp, mp)
	if signature != "" {
		w.f("/* Which model and settings this code was built from (see the bundle's manifest.json). */\n")
		w.f("#define %s_SIGNATURE \"%s\"\n\n", mp, signature)
	}
	w.f("/* Float elements per sample: input %s %s, output %s %s. */\n",
		cComment(p.Input.Name), shapeString(p.Input.Shape), cComment(p.Output.Name), shapeString(p.Output.Shape))
	w.f("#define %s_INPUT_SIZE %d\n#define %s_OUTPUT_SIZE %d\n", mp, p.Input.Elements, mp, p.Output.Elements)
	w.f("/* Static activation arena and read-only weight data, in bytes. */\n")
	w.f("#define %s_ARENA_BYTES %d\n#define %s_WEIGHT_BYTES %d\n\n", mp, p.ArenaBytes, mp, p.WeightBytes)
	w.f("/* Runs one inference. input holds %s_INPUT_SIZE floats, output receives %s_OUTPUT_SIZE\n", mp, mp)
	w.f(" * floats; they must not overlap. Needs no initialisation and is not reentrant (one static\n")
	w.f(" * arena). Returns 0, or -1 when a pointer is NULL. */\n")
	w.f("int %s_run(const float *restrict input, float *restrict output);\n\n", prefix)
	w.f("/* Test hook: sets every byte of the arena to the given value. */\n")
	w.f("void %s_fill_arena(uint8_t byte);\n\n#endif /* %s_H */\n", prefix, mp)
	return w.Bytes()
}

// emitSource writes <prefix>.c: kernels, geometry tables, the arena and the run function.
func emitSource(p *Plan, prefix string, ids []string, banner string) ([]byte, error) {
	var w cWriter
	w.f("%s#include <math.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n\n", banner)
	w.f("#include \"%s.h\"\n#include \"%s_weights.h\"\n\n", prefix, prefix)
	w.f("/* TCDSE_SECTION_ARENA places the arena: see the memory placement in %s_weights.h. */\n", prefix)
	w.f("#ifndef TCDSE_SECTION_ARENA\n#define TCDSE_SECTION_ARENA\n#endif\n\n")
	w.WriteString(cTypedefs)
	if s := fuseActSource(p.acts); s != "" {
		w.f("\n%s", s)
	}
	if s := q8Helpers(p.Kernels); s != "" {
		w.f("\n%s", s)
	}
	needRange := false
	for _, k := range p.Kernels {
		if strings.Contains(k, "conv2d") {
			needRange = true
		}
	}
	if needRange {
		w.f("\n%s", cKernels["valid_range"])
	}
	for _, k := range p.Kernels {
		src, ok := kernelSource(k)
		if !ok {
			return nil, fmt.Errorf("codegen: internal error: no C source for kernel %q", k)
		}
		if len(p.acts) > 0 {
			var err error
			if src, err = fuseActKernel(k, src); err != nil {
				return nil, err
			}
		}
		w.f("\n%s", src)
	}

	w.f("\n/* Activations: %d bytes, %d buffers, placed by %s (peak live %d bytes). */\n",
		p.ArenaBytes, len(p.Buffers), p.ArenaStrategy, p.PeakLiveBytes)
	if p.ArenaBytes > 0 {
		w.f("TCDSE_TASKING_ARENA_BEGIN\nTCDSE_SECTION_ARENA static float arena[%d];\nTCDSE_TASKING_END\n", p.ArenaBytes/floatBytes)
	}

	w.f("\n/* Layer geometry. */\n")
	for i, ls := range p.layers {
		if ls.custom != nil {
			w.WriteString(ls.custom.tables(ls, ids[i]))
			continue
		}
		if g := geometryInit(ls); g != "" && ls.plan.Kernel != "" {
			w.f("static const %s geom_%s = { %s };\n", geometryType(ls), ids[i], g)
		}
	}

	w.f("\nvoid %s_fill_arena(uint8_t byte)\n{\n", prefix)
	if p.ArenaBytes > 0 {
		w.f("    memset(arena, byte, sizeof arena);\n}\n")
	} else {
		w.f("    (void)byte;\n}\n")
	}

	w.f("\nint %s_run(const float *restrict input, float *restrict output)\n{\n", prefix)
	w.f("    if (input == NULL || output == NULL) {\n        return -1;\n    }\n")
	for i, ls := range p.layers {
		call, err := layerCall(p, prefix, ids, i)
		if err != nil {
			return nil, err
		}
		w.f("    /* %d: %s %s -> %s %s", i, cComment(ls.node.Name), ls.node.Op, ls.plan.OutBuffer, shapeString(ls.outShape))
		switch {
		case ls.intoPool != nil:
			w.f(", computed by %s", cComment(ls.plan.FusedInto))
		case ls.fusedConv != nil:
			w.f(", computes %s on the fly", cComment(ls.plan.FusedConv))
		case ls.fusedAway:
			w.f(", applied by %s", cComment(ls.plan.FusedInto))
		case ls.alias:
			w.f(", aliases its input")
		case ls.inPlace:
			w.f(", in place")
		}
		if ls.plan.Format != "" {
			w.f(", %s weights", ls.plan.Format)
		}
		if ls.fuseRelu {
			w.f(", relu fused")
		}
		if ls.plan.FusedActivation != "" {
			w.f(", %s fused", ls.plan.FusedActivation)
		}
		w.f(" */\n")
		if call != "" {
			w.f("    %s;\n", call)
		}
	}
	w.f("    return 0;\n}\n")
	return w.Bytes(), nil
}

// valueExpr is the C pointer expression of a value's storage.
func valueExpr(p *Plan, name string) string {
	s := p.storage[name]
	switch s.buffer {
	case BufferInput:
		return "input"
	case BufferOutput:
		return "output"
	}
	if p.q8Values[name] {
		return q8ValueExpr(p, name)
	}
	return fmt.Sprintf("(arena + %d)", s.offset/floatBytes)
}

func geometryType(ls *layerState) string {
	if ls.q8 != nil {
		return q8GeometryType(ls)
	}
	if ls.fusedConv != nil {
		return "conv_geom_t"
	}
	switch ls.node.Op {
	case model.OpLSTM, model.OpGRU, model.OpRNN:
		return recurrentGeometryType(ls.node.Op)
	case model.OpConv:
		return "conv_geom_t"
	case model.OpMaxPool, model.OpAvgPool:
		return "pool_geom_t"
	case model.OpDense:
		return "dense_geom_t"
	}
	return ""
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// geometryInit is the initialiser of the layer's geometry table, or "".
func geometryInit(ls *layerState) string {
	if ls.q8 != nil {
		return q8GeometryInit(ls)
	}
	n := ls.node
	switch n.Op {
	case model.OpLSTM, model.OpGRU, model.OpRNN:
		return recurrentGeometryInit(ls)
	case model.OpConv:
		return convGeometryInit(ls, nil, ls.actSelector())
	case model.OpMaxPool, model.OpAvgPool:
		if c := ls.fusedConv; c != nil {
			sel := c.actSelector()
			if sel == 0 {
				sel = b2i(ls.fuseRelu)
			}
			return convGeometryInit(c, ls, sel)
		}
		g := windowGeometry(n, ls.inShape, ls.outShape, n.Attrs.Kernel[0], n.Attrs.Kernel[1])
		return fmt.Sprintf("%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, 0, 0",
			g.c, g.h, g.w, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.pt, g.pl, b2i(ls.fuseRelu))
	case model.OpDense:
		return fmt.Sprintf("%d, %d, %d", n.Weight.Shape[0], n.Weight.Len()/n.Weight.Shape[0], ls.actSelector())
	}
	return ""
}

// layerCall is the C statement (without ';') that runs a layer, or "" when it emits no code.
func layerCall(p *Plan, prefix string, ids []string, i int) (string, error) {
	ls, id := p.layers[i], ids[i]
	if ls.plan.Kernel == "" {
		return "", nil
	}
	if ls.custom != nil {
		return ls.custom.call(p, ls, prefix, id)
	}
	if ls.q8 != nil {
		return q8LayerCall(p, prefix, id, ls)
	}
	convID := ""
	for j, l := range p.layers {
		if l == ls.fusedConv {
			convID = ids[j]
		}
	}
	n := ls.node
	x := valueExpr(p, n.Inputs[0])
	y := valueExpr(p, n.Outputs[0])
	if y == "input" {
		return "", fmt.Errorf("codegen: node %q: internal error: would write the read-only input", n.Name)
	}
	elems := ls.plan.Outputs
	orNull := func(s string) string {
		if s == "" {
			return "NULL"
		}
		return s
	}
	switch n.Op {
	case model.OpConv, model.OpDense:
		sym := layerWeightSymbols(prefix, id, ls)
		if ls.csr != nil {
			return fmt.Sprintf("k_%s(%s, %s, %s, %s, %s, %s, &geom_%s)", ls.plan.Kernel, x, y, sym.val, sym.col, sym.rowptr, orNull(sym.b), id), nil
		}
		return fmt.Sprintf("k_%s(%s, %s, %s, %s, &geom_%s)", ls.plan.Kernel, x, y, sym.w, orNull(sym.b), id), nil
	case model.OpMaxPool, model.OpAvgPool:
		if c := ls.fusedConv; c != nil {
			sym := layerWeightSymbols(prefix, convID, c)
			return fmt.Sprintf("k_%s(%s, %s, %s, %s, &geom_%s)", ls.plan.Kernel, valueExpr(p, c.node.Inputs[0]), y, sym.w, orNull(sym.b), id), nil
		}
		return fmt.Sprintf("k_%s(%s, %s, &geom_%s)", ls.plan.Kernel, x, y, id), nil
	case model.OpAdd:
		return fmt.Sprintf("k_add(%s, %s, %s, %d, %d)", x, valueExpr(p, n.Inputs[1]), y, elems, b2i(ls.fuseRelu)), nil
	case model.OpRelu:
		if ls.inPlace {
			return fmt.Sprintf("k_relu_inplace(%s, %d)", y, elems), nil
		}
		return fmt.Sprintf("k_relu(%s, %s, %d)", x, y, elems), nil
	case model.OpSub, model.OpMul:
		return activationCall(n, x, valueExpr(p, n.Inputs[1]), y, elems), nil
	case model.OpClip, model.OpLeakyRelu, model.OpSigmoid, model.OpTanh, model.OpHardSwish, model.OpHardSigmoid:
		return activationCall(n, x, "", y, elems), nil
	case model.OpSoftmax:
		last := ls.outShape[len(ls.outShape)-1]
		return fmt.Sprintf("k_softmax(%s, %s, %d, %d)", x, y, elems/last, last), nil
	case model.OpReshape:
		return fmt.Sprintf("k_copy(%s, %s, %d)", x, y, elems), nil
	case model.OpLSTM, model.OpGRU, model.OpRNN:
		return recurrentCall(ls, x, y, valueExpr(p, scratchName(n)), id, layerWeightSymbols(prefix, id, ls)), nil
	case model.OpMean:
		outs, count, err := meanRun(n, ls.inShape)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("k_mean(%s, %s, %d, %d)", x, y, outs, count), nil
	}
	return "", fmt.Errorf("codegen: node %q: operator %q has no C kernel", n.Name, n.Op)
}
