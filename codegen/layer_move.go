package codegen

import (
	"fmt"
	"math"
	"strings"

	"github.com/tcdse/tcdse/model"
)

// Data movement layers: Concat, Pad (constant), Transpose, Gather (constant indices) and Slice
// (with steps), in float32 and int8. Each layer is a list of boxes: a box copies an n[0] x ... x
// n[5] block of one operand to the output, with element strides and first offsets on both
// sides computed here, so the C kernels need no index tables. Pad first fills its output with
// the pad value. An int8 operand whose quantization differs from the output's is requantized
// while it is copied, exactly as model/int8_shape.go does (TFLite's Requantize).

// KindMove is the kernel class of data movement layers (Concat, Pad, Transpose, Gather, Slice).
const KindMove = "move"

// moveRank is the number of axes a box has after merging contiguous ones.
const moveRank = 6

// moveOps are the data movement operators planned here.
var moveOps = map[model.Op]bool{
	model.OpConcat: true, model.OpPad: true, model.OpTranspose: true, model.OpGather: true, model.OpSlice: true,
}

// moveBox copies one block of operand input to the output.
type moveBox struct {
	input  int
	n      [moveRank]int // extents, outermost first
	xs, ys [moveRank]int // source and destination element strides
	x0, y0 int           // first source and destination element
}

// moveRequant is the requantization of one int8 operand to the output quantization.
type moveRequant struct {
	in, out     q8Affine
	mult, shift int32
}

// moveLayer is a planned data movement layer.
type moveLayer struct {
	boxes  []moveBox
	fill   bool    // Pad: fill the output first
	fillF  float32 // float pad value
	fillQ  int32   // int8 pad value (quantized to the output)
	int8   bool
	rq     map[int]moveRequant // int8 operands that requantize, by operand index
	consts []constOperand
}

const cMoveGeom = `#ifndef TCDSE_MOVE_GEOM_T
#define TCDSE_MOVE_GEOM_T
typedef struct {
    int32_t n[6];           /* box extents, outermost first */
    int32_t xs[6], ys[6];   /* source and destination element strides */
    int32_t x0, y0;         /* first source and destination element */
} move_geom_t;
#endif
`

// moveKernel instantiates the box copy loop: the five outer axes run as an odometer, the
// innermost as a plain loop; store is the statement writing element i of the row.
func moveKernel(comment, signature, store string) string {
	return cMoveGeom + "\n/* " + comment + " */\n" + signature + `
{
    int32_t idx[5] = {0, 0, 0, 0, 0};
    int32_t xo = g->x0, yo = g->y0;
    const int32_t rows = g->n[0] * g->n[1] * g->n[2] * g->n[3] * g->n[4];
    const int32_t len = g->n[5], xs = g->xs[5], ys = g->ys[5];
    for (int32_t r = 0; r < rows; ++r) {
        for (int32_t i = 0; i < len; ++i) {
            ` + store + `
        }
        for (int32_t k = 4; k >= 0; --k) {
            xo += g->xs[k];
            yo += g->ys[k];
            if (++idx[k] < g->n[k]) {
                break;
            }
            xo -= g->xs[k] * g->n[k];
            yo -= g->ys[k] * g->n[k];
            idx[k] = 0;
        }
    }
}
`
}

func init() {
	cKernels["move"] = moveKernel("Copies a box of x to y (strides in elements; x and y distinct).",
		"static void k_move(const float *restrict x, float *restrict y, const move_geom_t *restrict g)",
		"y[yo + i * ys] = x[xo + i * xs];")
	cKernels["fill"] = `/* y[0 .. n) = v. */
static void k_fill(float *restrict y, int32_t n, float v)
{
    for (int32_t i = 0; i < n; ++i) {
        y[i] = v;
    }
}
`
	q8Kernels["q8_move"] = moveKernel("Copies a box of int8 x to y (strides in elements; x and y distinct).",
		"static void k_q8_move(const int8_t *restrict x, int8_t *restrict y, const move_geom_t *restrict g)",
		"y[yo + i * ys] = x[xo + i * xs];")
	q8Kernels["q8_move_rq"] = moveKernel("Copies a box of int8 x to y, requantizing each element to the output (TFLite Requantize).",
		"static void k_q8_move_rq(const int8_t *restrict x, int8_t *restrict y, const move_geom_t *restrict g,\n                         const q8_elem_t *restrict p)",
		"y[yo + i * ys] = (int8_t)q8_clamp(q8_wrap_add(p->yz, q8_mbqm((int32_t)x[xo + i * xs] - p->xz, p->m1, p->s1)), -128, 127);")
	q8Kernels["q8_fill"] = `/* y[0 .. n) = v. */
static void k_q8_fill(int8_t *restrict y, int32_t n, int32_t v)
{
    memset(y, (int)(uint8_t)(int8_t)v, (size_t)n);
}
`
	for k, v := range map[string]int{"move": 140, "fill": 30, "q8_move": 150, "q8_move_rq": 220, "q8_fill": 30} {
		kernelCodeBytes[k] = v
	}
}

// planMove plans a data movement node: its boxes, the pad fill and the int8 requantization.
func planMove(ls *layerState, g *model.Graph, ops *customOperands) (*moveLayer, error) {
	n := ls.node
	m := &moveLayer{int8: ops.int8, consts: ops.consts}
	in, out := ls.inShape, ls.outShape
	ost := model.RowMajorStrides(out)
	add := func(input int, ext, xs, ys []int, x0, y0 int) error {
		for _, e := range ext {
			if e <= 0 {
				return nil // nothing of this operand lands in the output
			}
		}
		b, err := moveCollapse(n, ext, xs, ys)
		if err != nil {
			return err
		}
		b.input, b.x0, b.y0 = input, x0, y0
		m.boxes = append(m.boxes, b)
		return nil
	}
	var err error
	switch n.Op {
	case model.OpReshape: // int8, requantizing: one flat box
		total, _ := model.NumElements(out)
		err = add(0, []int{total}, []int{1}, []int{1}, 0, 0)
	case model.OpTranspose:
		err = add(0, out, model.TransposeStrides(in, n.Attrs.Perm), ost, 0, 0)
	case model.OpSlice:
		w, werr := model.ResolveSlice(n, in)
		if werr != nil {
			return nil, fmt.Errorf("codegen: %w", werr)
		}
		for k, c := range w.Counts {
			if c != out[k] {
				return nil, fmt.Errorf("codegen: node %q (Slice): internal error: axis %d slices %d elements, the output has %d", n.Name, k, c, out[k])
			}
		}
		err = add(0, w.Counts, w.Strides, ost, w.First, 0)
	case model.OpGather:
		err = planGatherBoxes(n, in, add)
	case model.OpConcat:
		ax, off := n.Attrs.Axis, 0
		if ax < 0 || ax >= len(out) {
			return nil, fmt.Errorf("codegen: node %q (Concat): axis %d outside the per-sample rank %d", n.Name, ax, len(out))
		}
		for i, name := range n.Inputs {
			s := g.Shapes[name]
			if len(s) != len(out) {
				return nil, fmt.Errorf("codegen: node %q (Concat): input %q has shape %v, the output %v", n.Name, name, s, out)
			}
			if err = add(i, s, model.RowMajorStrides(s), ost, 0, off*ost[ax]); err != nil {
				return nil, err
			}
			off += s[ax]
		}
	case model.OpPad:
		p := n.Attrs.Pads
		r := len(in)
		if len(p) != 2*r {
			return nil, fmt.Errorf("codegen: node %q (Pad): pads %v, want %d values", n.Name, p, 2*r)
		}
		ist := model.RowMajorStrides(in)
		ext := make([]int, r)
		x0, y0 := 0, 0
		for k := range in {
			lo, hi := max(0, -p[k]), min(in[k], out[k]-p[k]) // input range that lands in the output
			ext[k] = hi - lo
			x0 += lo * ist[k]
			y0 += (lo + p[k]) * ost[k]
		}
		m.fill, m.fillF = true, n.Attrs.Value
		err = add(0, ext, ist, ost, x0, y0)
	default:
		return nil, fmt.Errorf("codegen: node %q: operator %q is not a data movement operator", n.Name, n.Op)
	}
	if err != nil {
		return nil, err
	}
	if !m.int8 {
		if m.fill && math.IsNaN(float64(m.fillF)) {
			return nil, fmt.Errorf("codegen: node %q (Pad): pad value %v has no C kernel", n.Name, m.fillF)
		}
		return m, nil
	}
	q := ls.q8
	if m.fill {
		m.fillQ = moveQuantizeValue(n.Attrs.Value, q.out, n.Attrs.FloatRequant)
	}
	m.rq = map[int]moveRequant{}
	for i, a := range ops.quant {
		if a == q.out {
			continue
		}
		mult, shift := model.QuantizeMultiplier(float64(a.scale) / float64(q.out.scale))
		if shift < -31 || shift > 31 {
			return nil, fmt.Errorf("codegen: node %q (%s, int8): requantizing input %q gives shift %d outside [-31, 31]", n.Name, n.Op, n.Inputs[i], shift)
		}
		m.rq[i] = moveRequant{in: a, out: q.out, mult: mult, shift: int32(shift)}
	}
	return m, nil
}

// planGatherBoxes splits the constant indices into runs with a constant step; each run is one
// box of [outer, run, inner] elements.
func planGatherBoxes(n *model.Node, in []int, add func(input int, ext, xs, ys []int, x0, y0 int) error) error {
	ax := n.Attrs.Axis
	if ax < 0 || ax >= len(in) {
		return fmt.Errorf("codegen: node %q (Gather): axis %d outside the per-sample rank %d", n.Name, ax, len(in))
	}
	if len(n.Attrs.Indices) == 0 {
		return fmt.Errorf("codegen: node %q (Gather): no constant indices (Attrs.Indices); only constant indices have a C kernel", n.Name)
	}
	outer, inner := model.AxisSplit(in, ax)
	idx := make([]int, len(n.Attrs.Indices))
	for j, i := range n.Attrs.Indices {
		if i < 0 {
			i += in[ax]
		}
		if i < 0 || i >= in[ax] {
			return fmt.Errorf("codegen: node %q (Gather): index %d outside axis %d of size %d", n.Name, n.Attrs.Indices[j], ax, in[ax])
		}
		idx[j] = i
	}
	k := len(idx)
	for j := 0; j < k; {
		step, run := 0, 1
		if j+1 < k {
			step = idx[j+1] - idx[j]
			for run = 2; j+run < k && idx[j+run]-idx[j+run-1] == step; run++ {
			}
		}
		err := add(0, []int{outer, run, inner}, []int{in[ax] * inner, step * inner, 1}, []int{k * inner, inner, 1}, idx[j]*inner, j*inner)
		if err != nil {
			return err
		}
		j += run
	}
	return nil
}

// moveCollapse drops unit axes and merges adjacent axes that are contiguous on both sides,
// then left-pads to moveRank axes.
func moveCollapse(n *model.Node, ext, xs, ys []int) (moveBox, error) {
	e, s := collapseAxes(ext, xs, ys)
	var b moveBox
	if len(e) > moveRank {
		return b, fmt.Errorf("codegen: node %q (%s): the copy needs %d axes after merging contiguous ones; the C kernel handles %d", n.Name, n.Op, len(e), moveRank)
	}
	pad := moveRank - len(e)
	for k := range b.n {
		b.n[k] = 1
	}
	for k := range e {
		b.n[pad+k], b.xs[pad+k], b.ys[pad+k] = e[k], s[0][k], s[1][k]
	}
	return b, nil
}

// collapseAxes drops axes of extent 1 and merges axis k into k+1 when every stride set is
// contiguous across them (stride[k] = stride[k+1]·ext[k+1]). It returns the remaining extents
// and the strides of each set.
func collapseAxes(ext []int, strides ...[]int) ([]int, [][]int) {
	var e []int
	s := make([][]int, len(strides))
	for k, d := range ext {
		if d == 1 {
			continue
		}
		e = append(e, d)
		for j := range strides {
			s[j] = append(s[j], strides[j][k])
		}
	}
	for k := len(e) - 2; k >= 0; k-- {
		merge := true
		for j := range s {
			if s[j][k] != s[j][k+1]*e[k+1] {
				merge = false
			}
		}
		if !merge {
			continue
		}
		e[k] *= e[k+1]
		e = append(e[:k+1], e[k+2:]...)
		for j := range s {
			s[j][k] = s[j][k+1]
			s[j] = append(s[j][:k+1], s[j][k+2:]...)
		}
	}
	return e, s
}

// moveQuantizeValue quantizes the pad value to the output as the interpreter does
// (model.q8QuantizeValue): v/scale in float32, rounded half away from zero (half to even for
// ONNX float requantization), plus the zero point, saturated; NaN gives the zero point.
func moveQuantizeValue(v float32, out q8Affine, onnx bool) int32 {
	d := v / out.scale
	var r float64
	if onnx {
		r = math.RoundToEven(float64(d))
	} else {
		r = math.Round(float64(d))
	}
	if math.IsNaN(r) {
		return min(max(out.zp, q8Min), q8Max)
	}
	r += float64(out.zp)
	return int32(min(max(r, q8Min), q8Max))
}

func (m *moveLayer) kernels() []string {
	var ks []string
	if !m.int8 {
		if len(m.boxes) > 0 {
			ks = append(ks, "move")
		}
		if m.fill {
			ks = append(ks, "fill")
		}
		return ks
	}
	plain, rq := false, false
	for _, b := range m.boxes {
		_, r := m.rq[b.input]
		plain, rq = plain || !r, rq || r
	}
	if plain {
		ks = append(ks, "q8_move")
	}
	if rq {
		ks = append(ks, "q8_move_rq")
	}
	if m.fill {
		ks = append(ks, "q8_fill")
	}
	return ks
}

func (m *moveLayer) constants() []constOperand { return m.consts }

func (m *moveLayer) tables(ls *layerState, id string) string {
	var w strings.Builder
	if len(m.boxes) > 0 {
		fmt.Fprintf(&w, "static const move_geom_t geom_%s[%d] = {\n", id, len(m.boxes))
		for _, b := range m.boxes {
			fmt.Fprintf(&w, "    { {%s}, {%s}, {%s}, %d, %d },\n", cInts(b.n[:]), cInts(b.xs[:]), cInts(b.ys[:]), b.x0, b.y0)
		}
		w.WriteString("};\n")
	}
	for i := range ls.node.Inputs {
		if r, ok := m.rq[i]; ok {
			fmt.Fprintf(&w, "static const q8_elem_t geom_%s_rq%d = { 0, 0, %d, 0, %d, %d, %d, 0, 0, 0, 0, -128, 127, 1, 0.0f };\n",
				id, i, r.in.zp, r.out.zp, r.mult, r.shift)
		}
	}
	return w.String()
}

func (m *moveLayer) call(p *Plan, ls *layerState, prefix, id string) (string, error) {
	y := valueExpr(p, ls.node.Outputs[0])
	var stmts []string
	if m.fill {
		if m.int8 {
			stmts = append(stmts, fmt.Sprintf("k_q8_fill(%s, %d, %d)", y, ls.plan.Outputs, m.fillQ))
		} else {
			stmts = append(stmts, fmt.Sprintf("k_fill(%s, %d, %s)", y, ls.plan.Outputs, cFloatArg(m.fillF)))
		}
	}
	for j, b := range m.boxes {
		x := operandExpr(p, ls, m.consts, prefix, id, b.input)
		switch _, rq := m.rq[b.input]; {
		case !m.int8:
			stmts = append(stmts, fmt.Sprintf("k_move(%s, %s, &geom_%s[%d])", x, y, id, j))
		case rq:
			stmts = append(stmts, fmt.Sprintf("k_q8_move_rq(%s, %s, &geom_%s[%d], &geom_%s_rq%d)", x, y, id, j, id, b.input))
		default:
			stmts = append(stmts, fmt.Sprintf("k_q8_move(%s, %s, &geom_%s[%d])", x, y, id, j))
		}
	}
	return strings.Join(stmts, ";\n    "), nil
}

// cInts is a comma-separated C initialiser list.
func cInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
