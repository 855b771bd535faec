package codegen

import (
	"fmt"

	"github.com/tcdse/tcdse/model"
)

// csrMatrix is a weight tensor viewed as Rows x Cols and stored as compressed sparse rows.
type csrMatrix struct {
	rows, cols int
	rowPtr     []int     // rows+1 entries
	colIdx     []int     // one per stored value
	values     []float32 // the nonzero weights, row by row, columns ascending
	idxBytes   int       // bytes per column index: 1 or 2 (relative forms: 1, a byte array)
	ptrBytes   int       // bytes per row pointer: 2 or 4
	relBits    int       // 0: absolute indices; 4 or 8: relative gaps (see csr_relative.go)
	gapCodes   []int     // relative forms: gap-1 per entry
}

// csrIndexBytes returns the column-index and row-pointer widths for a rows x cols matrix with nnz
// stored values, or an error when the columns do not fit a uint16 index.
func csrIndexBytes(cols, nnz int) (idx, ptr int, err error) {
	switch {
	case cols <= 1<<8:
		idx = 1
	case cols <= 1<<16:
		idx = 2
	default:
		return 0, 0, fmt.Errorf("%d columns do not fit a uint16 CSR column index", cols)
	}
	ptr = 2
	if nnz > 1<<16-1 {
		ptr = 4
	}
	return idx, ptr, nil
}

// csrBytes is the storage of the CSR form: values, column indices and row pointers.
func csrBytes(rows, cols, nnz int) (int, error) {
	idx, ptr, err := csrIndexBytes(cols, nnz)
	if err != nil {
		return 0, err
	}
	return nnz*(4+idx) + (rows+1)*ptr, nil
}

// encodeCSR builds the CSR form of w viewed as rows x (len/rows).
func encodeCSR(w *model.Tensor, rows int) (*csrMatrix, error) {
	cols := w.Len() / rows
	m := &csrMatrix{rows: rows, cols: cols, rowPtr: make([]int, 0, rows+1)}
	m.rowPtr = append(m.rowPtr, 0)
	for r := 0; r < rows; r++ {
		for c, v := range w.Data[r*cols : (r+1)*cols] {
			if v != 0 {
				m.colIdx = append(m.colIdx, c)
				m.values = append(m.values, v)
			}
		}
		m.rowPtr = append(m.rowPtr, len(m.values))
	}
	var err error
	m.idxBytes, m.ptrBytes, err = csrIndexBytes(cols, len(m.values))
	return m, err
}

// kernelSuffix names the sparse kernel variant, e.g. "csr_u8_u16" (absolute uint8 column
// indices, uint16 row pointers) or "rcsr4_u16" (4-bit gaps, uint16 row pointers).
func (m *csrMatrix) kernelSuffix() string {
	if m.relBits != 0 {
		return fmt.Sprintf("rcsr%d_u%d", m.relBits, 8*m.ptrBytes)
	}
	return fmt.Sprintf("csr_u%d_u%d", 8*m.idxBytes, 8*m.ptrBytes)
}

// format is the weight format name of the matrix.
func (m *csrMatrix) format() string {
	switch m.relBits {
	case 4:
		return FormatRCSR4
	case 8:
		return FormatRCSR8
	}
	return FormatCSR
}
