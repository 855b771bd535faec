package codegen

import (
	"fmt"

	"github.com/tcdse/tcdse/model"
)

// Sparse int8 weights. The formats are those of the float kernels (see the package doc) with
// one-byte values, plus the int8-only sparse8 format (sparse8_format.go). The auto rule
// (q8AutoFormat) weighs bytes and estimated instructions, each relative to dense. Bytes:
//
//	dense = Rows·Cols
//	csr   = nnz·(1 + idx) + (Rows+1)·ptr
//	rcsr8 = E·2 + (Rows+1)·ptr
//	rcsr4 = E + ceil(E/2) + (Rows+1)·ptr
//
// plus, for every format, the int32 bias (4·Rows) and the requantization multipliers and shifts
// (8 bytes per output channel, or 8 for a per-tensor weight). With one-byte values sparse
// storage breaks even at a density of 1/2 (csr with uint8 indices, rcsr8) and 2/3 (rcsr4).
// Accumulation is exact integer arithmetic, so the format never changes results; the int32
// accumulator is requantized after the row is summed. A sparse convolution gathers each kernel
// window (padded with the input zero point) and sums its stored entries against it, like a
// sparse Dense row.

// q8CSR is an int8 weight matrix in a sparse format.
type q8CSR struct {
	*csrMatrix
	values []int8 // the stored entries (fillers are zeros), matching csrMatrix.colIdx
}

// q8ExtraBytes are the bias and requantization tables of an int8 layer.
func q8ExtraBytes(q *q8Layer) int { return 4*len(q.bias) + 8*len(q.mult) }

// planQ8Format computes the byte count of every format and picks one.
func planQ8Format(ls *layerState, opts Options) error {
	n, lp, q := ls.node, ls.plan, ls.q8
	rows, cols, nnz := lp.Rows, lp.Cols, lp.NNZ
	extra := q8ExtraBytes(q)
	asFloat := &model.Tensor{Shape: []int{rows, cols}, Data: make([]float32, len(q.weights))}
	for i, v := range q.weights {
		asFloat.Data[i] = float32(v)
	}
	lp.DenseWeightBytes = rows*cols + extra
	idx, ptr, csrErr := csrIndexBytes(cols, nnz)
	if csrErr == nil {
		lp.CSRWeightBytes = nnz*(1+idx) + (rows+1)*ptr + extra
	}
	rel8 := relEntries(asFloat, rows, 8)
	rel4 := relEntries(asFloat, rows, 4)
	lp.RCSR8WeightBytes = 2*rel8 + (rows+1)*relPtrBytes(rel8) + extra
	lp.RCSR4WeightBytes = rel4 + (rel4+1)/2 + (rows+1)*relPtrBytes(rel4) + extra
	format := opts.formatFor(n.Name)
	sp8Bytes, sp8Err := q8Sparse8Bytes(ls)
	switch format {
	case FormatAuto:
		format = q8AutoFormat(ls, sp8Bytes, sp8Err == nil, rel8, rel4, csrErr == nil)
	case FormatSmallest:
		format = smallestFormat(lp.DenseWeightBytes, []formatBytes{{FormatCSR, lp.CSRWeightBytes, csrErr == nil},
			{FormatRCSR8, lp.RCSR8WeightBytes, true}, {FormatRCSR4, lp.RCSR4WeightBytes, true}, {FormatSparse8, sp8Bytes, sp8Err == nil}})
	}
	var m *csrMatrix
	var err error
	switch format {
	case FormatSparse8:
		if sp8Err != nil {
			return fmt.Errorf("codegen: node %q (%s, int8): cannot store weights as sparse8: %v", n.Name, n.Op, sp8Err)
		}
		lp.Format, lp.WeightBytes = format, sp8Bytes
		return planSparse8(ls)
	case FormatCSR:
		if csrErr != nil {
			return fmt.Errorf("codegen: node %q (%s, int8): cannot store weights as CSR: %v", n.Name, n.Op, csrErr)
		}
		m, err = encodeCSR(asFloat, rows)
		lp.WeightBytes = lp.CSRWeightBytes
	case FormatRCSR8:
		m, err = encodeRelative(asFloat, rows, 8)
		lp.WeightBytes = lp.RCSR8WeightBytes
	case FormatRCSR4:
		m, err = encodeRelative(asFloat, rows, 4)
		lp.WeightBytes = lp.RCSR4WeightBytes
	default:
		lp.WeightBytes = lp.DenseWeightBytes
	}
	if err != nil {
		return fmt.Errorf("codegen: node %q (%s, int8): %v", n.Name, n.Op, err)
	}
	lp.Format = format
	if m != nil {
		c := &q8CSR{csrMatrix: m, values: make([]int8, len(m.values))}
		for i, v := range m.values {
			c.values[i] = int8(v)
		}
		q.csr = c
		lp.IndexBytes, lp.RowPtrBytes, lp.StoredEntries = m.idxBytes, m.ptrBytes, len(m.values)
		if m.relBits != 0 {
			lp.IndexBytes = 0
			lp.RelIndexBits = m.relBits
		}
		lp.EffectiveMACs = len(m.values)
		if n.Op == model.OpConv {
			lp.EffectiveMACs *= ls.outShape[1] * ls.outShape[2] // every window is gathered in full
		}
	}
	return nil
}
