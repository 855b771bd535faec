package codegen

import (
	"fmt"

	"github.com/tcdse/tcdse/model"
)

// The sparse8 weight format (int8 layers only). Each row of the weight matrix (an output
// neuron or output channel) is cut into column blocks of sparse8Block columns; for every row
// and block one uint8 counts the stored entries, and every entry is its int8 value plus its
// uint8 column within the block. The entries of a row and block are stored as one int8
// stream: groups of G values followed by their G columns (G = 8 or 4, see sparse8Group), then
// the remaining entries as groups of 4, 2 and 1 in the same layout; the stream runs on from
// row to row, so there are no row pointers, only the counts:
//
//	sparse8 = 2·nnz + Rows·ceil(Cols/255)   (+ conv tap tables, see below)
//
// plus, as for every int8 format, the int32 bias and the requantization tables. Only nonzeros
// are stored (no fillers), and the kernel walks the stream with one pointer, so one entry costs
// a column load, two sign-extending loads, a multiply and an add; the input zero point is
// already folded into the bias (planQ8Weights), so the inner loop is a pure sum of w·x.
//
// A convolution reads its inputs without gathering a window at output positions whose kernel
// window lies inside the input: a uint16 table maps each weight column (ci, ky, kx) to its
// input offset from the window origin (ci·H·W + ky·dh·W + kx·dw). Positions whose window
// crosses the padding gather the window into the patch as the other int8 kernels do and read
// it through a second table, the identity, which is stored only when such positions exist.
// Convolutions whose largest tap offset does not fit uint16 cannot use the format.

// sparse8Block is the width of a column block: columns within a block fit a uint8, and so
// does the count of a block's entries.
const sparse8Block = 255

// sparse8Matrix is an int8 weight matrix in the sparse8 format.
type sparse8Matrix struct {
	rows, cols, blocks int
	values             []int8  // stored entries (nonzeros), row by row, block by block
	columns            []uint8 // column of each entry within its block
	counts             []uint8 // rows·blocks entry counts
	// Convolutions: taps maps a weight column to its input offset from the window origin;
	// ident (nil when every window lies inside the input) is the identity, for the patch.
	taps, ident []int
}

// sparse8Blocks is the number of column blocks of a matrix with cols columns.
func sparse8Blocks(cols int) int { return (cols + sparse8Block - 1) / sparse8Block }

// encodeSparse8 builds the sparse8 form of w viewed as rows x (len/rows).
func encodeSparse8(w []int8, rows int) *sparse8Matrix {
	cols := len(w) / rows
	m := &sparse8Matrix{rows: rows, cols: cols, blocks: sparse8Blocks(cols)}
	for r := 0; r < rows; r++ {
		row := w[r*cols : (r+1)*cols]
		for b := 0; b < m.blocks; b++ {
			n := 0
			for c := b * sparse8Block; c < min((b+1)*sparse8Block, cols); c++ {
				if row[c] != 0 {
					m.values = append(m.values, row[c])
					m.columns = append(m.columns, uint8(c-b*sparse8Block))
					n++
				}
			}
			m.counts = append(m.counts, uint8(n))
		}
	}
	return m
}

// sparse8OneBlockMinWeights is the smallest Dense weight matrix that takes the one-block
// kernel when it has at most 255 columns. The one-block kernel saves the block loop (about 20
// instructions per row on x86-64) but is a second copy of the code next to the blocked one,
// which every layer can use; on small layers the saving does not pay for the code.
const sparse8OneBlockMinWeights = 1 << 14

// kernelSuffix names the kernel variant of a layer: "sparse8" (one column block: every
// convolution with at most 255 columns per group, and Dense layers of at least
// sparse8OneBlockMinWeights weights) or "sparse8_blocked".
func (m *sparse8Matrix) kernelSuffix() string {
	if m.blocks > 1 || (m.taps == nil && m.rows*m.cols < sparse8OneBlockMinWeights) {
		return "sparse8_blocked"
	}
	return "sparse8"
}

// sparse8Group is the entries per loop iteration of a kernel variant: 8 in the one-block
// Dense kernel, 4 in the others.
func sparse8Group(conv, blocked bool) int {
	if conv || blocked {
		return 4
	}
	return 8
}

// stream returns the entries in stored order: per row and block, groups of G values each
// followed by their G columns (G = sparse8Group of the layer's kernel), then the remaining
// entries as groups of 4, 2 and 1 in the same layout.
func (m *sparse8Matrix) stream() []int8 {
	group := sparse8Group(m.taps != nil, m.kernelSuffix() != "sparse8")
	out := make([]int8, 0, 2*len(m.values))
	j := 0
	put := func(n int) {
		out = append(out, m.values[j:j+n]...)
		for _, c := range m.columns[j : j+n] {
			out = append(out, int8(c))
		}
		j += n
	}
	for _, n8 := range m.counts {
		n := int(n8)
		for ; n >= group; n -= group {
			put(group)
		}
		for g := group / 2; g >= 1; g /= 2 {
			if n&g != 0 {
				put(g)
			}
		}
	}
	return out
}

// sparse8ConvTaps returns the tap-offset table of an int8 convolution and whether some output
// positions have windows crossing the padding, or an error when an offset does not fit uint16.
func sparse8ConvTaps(ls *layerState) (taps []int, border bool, err error) {
	n := ls.node
	ws := n.QWeight.Shape
	g := windowGeometry(n, ls.inShape, ls.outShape, ws[2], ws[3])
	cpg := g.c / g.groups
	taps = make([]int, 0, cpg*g.kh*g.kw)
	for ci := 0; ci < cpg; ci++ {
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				off := ci*g.h*g.w + ky*g.dh*g.w + kx*g.dw
				if off > 1<<16-1 {
					return nil, false, fmt.Errorf("tap offset %d of input column %d does not fit the sparse8 format's uint16 table", off, len(taps))
				}
				taps = append(taps, off)
			}
		}
	}
	oyLo, oyHi := interiorRange(-g.pt, g.sh, g.dh, g.kh, g.h, g.oh)
	oxLo, oxHi := interiorRange(-g.pl, g.sw, g.dw, g.kw, g.w, g.ow)
	border = oyLo != 0 || oyHi != g.oh || oxLo != 0 || oxHi != g.ow
	return taps, border, nil
}

// sparse8Bytes is the storage of the sparse8 form: values and columns, counts, and for a
// convolution its uint16 tap tables (tables of them: 1 or 2).
func sparse8Bytes(rows, cols, nnz, tables int) int {
	return 2*nnz + rows*sparse8Blocks(cols) + 2*cols*tables
}

// Estimated instructions of the int8 weight formats, per dense multiply-accumulate (dense) or
// per stored entry (the others), in units of one dense multiply-accumulate. They come from
// callgrind on x86-64 gcc -O2 (ae_mlp and lenet5 at 80 % sparsity, tcdse's kernels): the dense
// kernel runs about 2.6 instructions per MAC; sparse8 about 5.5 per entry, csr about 7.6,
// rcsr8 about 9.5 and rcsr4 about 12 per stored entry (fillers included). A per-row (and,
// for sparse8, per-block) cost of about 25 instructions covers loop set-up and
// requantization, and gathering a window element costs about 5.
const (
	q8OpsDense   = 1.0
	q8OpsSparse8 = 2.3
	q8OpsCSR     = 2.9
	q8OpsRCSR8   = 3.6
	q8OpsRCSR4   = 4.6
	q8OpsPerRow  = 10.0
	q8OpsGather  = 2.0 // per window element gathered into the patch
)

// q8FormatCost is the auto rule's cost of a format: its weight bytes relative to dense plus
// its estimated instructions relative to dense, so that ROM and time weigh equally. Dense
// costs 2; a sparse format wins only when it saves more in one than it loses in the other.
func q8FormatCost(bytes, denseBytes int, ops, denseOps float64) float64 {
	return float64(bytes)/float64(denseBytes) + ops/denseOps
}

// planSparse8 encodes an int8 layer's weights in the sparse8 format and fills in the plan.
func planSparse8(ls *layerState) error {
	n, lp, q := ls.node, ls.plan, ls.q8
	for c, v := range q.mult {
		if v < 0 {
			return fmt.Errorf("codegen: node %q (%s, int8): requantization multiplier %d of channel %d is negative; the sparse8 kernels need m >= 0", n.Name, n.Op, v, c)
		}
	}
	m := encodeSparse8(q.weights, lp.Rows)
	if n.Op == model.OpConv {
		taps, border, err := sparse8ConvTaps(ls)
		if err != nil {
			return fmt.Errorf("codegen: node %q (%s, int8): %v", n.Name, n.Op, err)
		}
		m.taps = taps
		if border {
			m.ident = make([]int, len(taps))
			for i := range m.ident {
				m.ident[i] = i
			}
		}
	}
	q.sp8 = m
	lp.IndexBytes, lp.RowPtrBytes, lp.StoredEntries = 1, 1, len(m.values)
	lp.EffectiveMACs = len(m.values)
	if n.Op == model.OpConv {
		lp.EffectiveMACs *= ls.outShape[1] * ls.outShape[2]
	}
	return nil
}

// q8Sparse8Bytes is the weight storage of an int8 layer in the sparse8 format, bias and
// requantization tables included, or an error when the layer cannot use it.
func q8Sparse8Bytes(ls *layerState) (int, error) {
	lp := ls.plan
	tables := 0
	if ls.node.Op == model.OpConv {
		_, border, err := sparse8ConvTaps(ls)
		if err != nil {
			return 0, err
		}
		tables = 1 + b2i(border)
	}
	return sparse8Bytes(lp.Rows, lp.Cols, lp.NNZ, tables) + q8ExtraBytes(ls.q8), nil
}

// q8AutoFormat is the auto rule for an int8 layer: the format of least q8FormatCost, dense on
// ties, then sparse8, csr, rcsr8 and rcsr4. rel8 and rel4 are the relative forms' entry
// counts (fillers included).
func q8AutoFormat(ls *layerState, sp8Bytes int, sp8OK bool, rel8, rel4 int, csrOK bool) string {
	lp := ls.plan
	rows := float64(lp.Rows)
	// Convolutions: every kernel but sparse8 gathers the window at every output position.
	gather := 0.0
	if ls.node.Op == model.OpConv {
		gather = q8OpsGather * float64(lp.Cols)
	}
	denseOps := q8OpsDense*float64(lp.Rows*lp.Cols) + q8OpsPerRow*rows + gather
	cands := []struct {
		format string
		bytes  int
		ops    float64
		ok     bool
	}{
		{FormatSparse8, sp8Bytes, q8OpsSparse8*float64(lp.NNZ) + q8OpsPerRow*rows*float64(sparse8Blocks(lp.Cols)), sp8OK},
		{FormatCSR, lp.CSRWeightBytes, q8OpsCSR*float64(lp.NNZ) + q8OpsPerRow*rows + gather, csrOK},
		{FormatRCSR8, lp.RCSR8WeightBytes, q8OpsRCSR8*float64(rel8) + q8OpsPerRow*rows + gather, true},
		{FormatRCSR4, lp.RCSR4WeightBytes, q8OpsRCSR4*float64(rel4) + q8OpsPerRow*rows + gather, true},
	}
	format := FormatDense
	best := q8FormatCost(lp.DenseWeightBytes, lp.DenseWeightBytes, denseOps, denseOps)
	for _, c := range cands {
		if cost := q8FormatCost(c.bytes, lp.DenseWeightBytes, c.ops, denseOps); c.ok && cost < best {
			format, best = c.format, cost
		}
	}
	return format
}
