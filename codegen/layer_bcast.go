package codegen

import (
	"fmt"
	"strings"

	"github.com/tcdse/tcdse/model"
)

// Broadcasting Add, Sub, Mul and (float only) Div (numpy rules over per-sample shapes, as model/ops_elementwise.go)
// in float32 and int8, for operands whose shapes differ or that are graph constants (a
// per-channel scale, a bias, a residual with broadcast). The output is written contiguously;
// each operand is read with its own strides, 0 along broadcast axes, after merging axes that are
// contiguous for all three, so the kernels need no index tables. The int8 arithmetic is
// model/int8_elementwise.go's (TFLite's integer add.h, sub.h and mul.h), bit for bit.

// bcastLayer is a planned broadcasting binary layer.
type bcastLayer struct {
	op     model.Op
	int8   bool
	n      [moveRank]int // extents, outermost first
	as, bs [moveRank]int // operand strides (0: broadcast)
	consts []constOperand
}

const cBcastGeom = `#ifndef TCDSE_BCAST_GEOM_T
#define TCDSE_BCAST_GEOM_T
typedef struct {
    int32_t n[6];           /* output extents, outermost first (the output is contiguous) */
    int32_t as[6], bs[6];   /* operand element strides, 0 along broadcast axes */
    int32_t relu;           /* float Add: apply max(x, 0) */
} bcast_geom_t;
#endif
`

// bcastKernel instantiates the broadcasting loop: the five outer axes run as an odometer, the
// innermost as a plain loop; body computes y[yo + i] from a[ao + i * as] and b[bo + i * bs].
func bcastKernel(comment, signature, body string) string {
	return cBcastGeom + "\n/* " + comment + " */\n" + signature + `
{
    int32_t idx[5] = {0, 0, 0, 0, 0};
    int32_t ao = 0, bo = 0, yo = 0;
    const int32_t rows = g->n[0] * g->n[1] * g->n[2] * g->n[3] * g->n[4];
    const int32_t len = g->n[5], as = g->as[5], bs = g->bs[5];
    for (int32_t r = 0; r < rows; ++r) {
        for (int32_t i = 0; i < len; ++i) {
` + body + `
        }
        yo += len;
        for (int32_t k = 4; k >= 0; --k) {
            ao += g->as[k];
            bo += g->bs[k];
            if (++idx[k] < g->n[k]) {
                break;
            }
            ao -= g->as[k] * g->n[k];
            bo -= g->bs[k] * g->n[k];
            idx[k] = 0;
        }
    }
}
`
}

func init() {
	for name, op := range map[string]string{"add": "+", "sub": "-", "mul": "*", "div": "/"} {
		cKernels["bcast_"+name] = bcastKernel("y = a "+op+" b with broadcasting; a and b may be the same buffer, y is distinct from both.",
			"static void k_bcast_"+name+"(const float *a, const float *b, float *restrict y, const bcast_geom_t *restrict g)",
			`            const float v = a[ao + i * as] `+op+` b[bo + i * bs];
            y[yo + i] = (g->relu != 0 && v < 0.0f) ? 0.0f : v;`)
		kernelCodeBytes["bcast_"+name] = 160
	}
	q8Kernels["q8_bcast_addsub"] = bcastKernel("int8 Add / Sub with broadcasting (TFLite integer_ops/add.h, as k_q8_addsub).",
		"static void k_q8_bcast_addsub(const int8_t *a, const int8_t *b, int8_t *restrict y, const bcast_geom_t *restrict g,\n                              const q8_elem_t *restrict p, int32_t sub)",
		`            const int32_t va = q8_mbqm(((int32_t)a[ao + i * as] - p->xz) * (1 << 20), p->m1, p->s1);
            const int32_t vb = q8_mbqm(((int32_t)b[bo + i * bs] - p->x2z) * (1 << 20), p->m2, p->s2);
            const int32_t raw = (sub != 0) ? q8_wrap_sub(va, vb) : q8_wrap_add(va, vb);
            y[yo + i] = (int8_t)q8_clamp(q8_wrap_add(q8_mbqm(raw, p->m3, p->s3), p->yz), p->qlo, p->qhi);`)
	q8Kernels["q8_bcast_mul"] = bcastKernel("int8 Mul with broadcasting (TFLite integer_ops/mul.h, as k_q8_mul).",
		"static void k_q8_bcast_mul(const int8_t *a, const int8_t *b, int8_t *restrict y, const bcast_geom_t *restrict g,\n                           const q8_elem_t *restrict p)",
		`            const int32_t prod = ((int32_t)a[ao + i * as] - p->xz) * ((int32_t)b[bo + i * bs] - p->x2z);
            y[yo + i] = (int8_t)q8_clamp(q8_wrap_add(p->yz, q8_mbqm(prod, p->m1, p->s1)), p->qlo, p->qhi);`)
	kernelCodeBytes["q8_bcast_addsub"] = 340
	kernelCodeBytes["q8_bcast_mul"] = 260
}

// planBcast plans a broadcasting Add, Sub or Mul: operand strides over the output and, for
// int8, the fixed-point parameters exactly as the interpreter computes them.
func planBcast(ls *layerState, g *model.Graph, ops *customOperands) (*bcastLayer, error) {
	n := ls.node
	b := &bcastLayer{op: n.Op, int8: ops.int8, consts: ops.consts}
	if len(n.Inputs) != 2 {
		return nil, fmt.Errorf("codegen: node %q (%s): %d operands, want 2", n.Name, n.Op, len(n.Inputs))
	}
	if b.int8 && n.Op == model.OpDiv {
		return nil, fmt.Errorf("codegen: node %q (Div, int8): the interpreter has no int8 Div, so neither does the C code", n.Name)
	}
	out := ls.outShape
	sa, err := bcastStrides(n, g.Shapes[n.Inputs[0]], out)
	if err != nil {
		return nil, err
	}
	sb, err := bcastStrides(n, g.Shapes[n.Inputs[1]], out)
	if err != nil {
		return nil, err
	}
	e, s := collapseAxes(out, sa, sb, model.RowMajorStrides(out))
	if len(e) > moveRank {
		return nil, fmt.Errorf("codegen: node %q (%s): broadcasting needs %d axes after merging contiguous ones; the C kernel handles %d", n.Name, n.Op, len(e), moveRank)
	}
	pad := moveRank - len(e)
	for k := range b.n {
		b.n[k] = 1
	}
	for k := range e {
		b.n[pad+k], b.as[pad+k], b.bs[pad+k] = e[k], s[0][k], s[1][k]
	}
	if !b.int8 {
		return b, nil
	}
	q := ls.q8
	q.binaryMultipliers(n.Op)
	for _, sh := range []int32{q.shift[0], q.shift2, q.shift3} {
		if sh < -31 || sh > 31 {
			return nil, fmt.Errorf("codegen: node %q (%s, int8): requantization shift %d outside [-31, 31]", n.Name, n.Op, sh)
		}
	}
	return b, nil
}

// bcastStrides is model.BroadcastStrides with an error that names the node.
func bcastStrides(n *model.Node, in, out []int) ([]int, error) {
	st, ok := model.BroadcastStrides(in, out)
	switch {
	case len(in) > len(out):
		return nil, fmt.Errorf("codegen: node %q (%s): operand shape %v has more axes than the output %v", n.Name, n.Op, in, out)
	case !ok:
		return nil, fmt.Errorf("codegen: node %q (%s): operand shape %v does not broadcast to the output %v", n.Name, n.Op, in, out)
	}
	return st, nil
}

func (b *bcastLayer) kernels() []string {
	switch {
	case !b.int8:
		return []string{"bcast_" + strings.ToLower(string(b.op))}
	case b.op == model.OpMul:
		return []string{"q8_bcast_mul"}
	}
	return []string{"q8_bcast_addsub"}
}

func (b *bcastLayer) constants() []constOperand { return b.consts }

func (b *bcastLayer) tables(ls *layerState, id string) string {
	s := fmt.Sprintf("static const bcast_geom_t geom_%s = { {%s}, {%s}, {%s}, %d };\n",
		id, cInts(b.n[:]), cInts(b.as[:]), cInts(b.bs[:]), b2i(ls.fuseRelu))
	if q := ls.q8; b.int8 {
		s += fmt.Sprintf("static const q8_elem_t geom_%s_q = { %d, 0, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, 0, 0.0f };\n",
			id, ls.plan.Outputs, q.in.zp, q.in2.zp, q.out.zp, q.mult[0], q.shift[0], q.mult2, q.shift2, q.mult3, q.shift3, q.qlo, q.qhi)
	}
	return s
}

func (b *bcastLayer) call(p *Plan, ls *layerState, prefix, id string) (string, error) {
	x0 := operandExpr(p, ls, b.consts, prefix, id, 0)
	x1 := operandExpr(p, ls, b.consts, prefix, id, 1)
	y := valueExpr(p, ls.node.Outputs[0])
	k := customKernelName(ls)
	switch {
	case !b.int8:
		return fmt.Sprintf("k_%s(%s, %s, %s, &geom_%s)", k, x0, x1, y, id), nil
	case b.op == model.OpMul:
		return fmt.Sprintf("k_q8_bcast_mul(%s, %s, %s, &geom_%s, &geom_%s_q)", x0, x1, y, id, id), nil
	}
	return fmt.Sprintf("k_q8_bcast_addsub(%s, %s, %s, &geom_%s, &geom_%s_q, %d)", x0, x1, y, id, id, b2i(b.op == model.OpSub)), nil
}
