package codegen

import (
	"fmt"

	"github.com/tcdse/tcdse/model"
)

// Relative-index CSR (Deep Compression, Han et al. 2016): instead of a column index, each
// stored entry keeps the gap to the previous stored entry of its row (the first one: to
// column -1), as gap-1 in 4 bits (two entries per byte, low nibble first; gaps 1..16) or in
// 8 bits (gaps 1..256). A gap that does not fit is bridged by filler entries of value zero
// placed a maximal gap apart. Fillers cost value bytes and a multiply-add each; the column
// arithmetic (a running sum) replaces the index load. The row pointers count stored entries
// (fillers included), uint16 when they fit, else uint32.

// relMaxGap is the largest gap a relative index of the given width encodes.
func relMaxGap(bits int) int { return 1 << bits }

// relEntries counts the stored entries (nonzeros plus fillers) of w viewed as rows x cols.
func relEntries(w *model.Tensor, rows, bits int) int {
	cols := w.Len() / rows
	maxGap := relMaxGap(bits)
	n := 0
	for r := 0; r < rows; r++ {
		prev := -1
		for c, v := range w.Data[r*cols : (r+1)*cols] {
			if v == 0 {
				continue
			}
			n += (c-prev-1)/maxGap + 1
			prev = c
		}
	}
	return n
}

// relBytes is the storage of the relative form with the given number of entries: values, gap
// codes (one byte, or one nibble, per entry) and row pointers.
func relBytes(rows, entries, bits int) int {
	codes := entries
	if bits == 4 {
		codes = (entries + 1) / 2
	}
	return entries*floatBytes + codes + (rows+1)*relPtrBytes(entries)
}

func relPtrBytes(entries int) int {
	if entries > 1<<16-1 {
		return 4
	}
	return 2
}

// encodeRelative builds the relative form of w viewed as rows x (len/rows). colIdx holds the
// absolute column of every entry (fillers included); gapCodes the stored codes.
func encodeRelative(w *model.Tensor, rows, bits int) (*csrMatrix, error) {
	if bits != 4 && bits != 8 {
		return nil, fmt.Errorf("relative CSR index width %d bits (want 4 or 8)", bits)
	}
	cols := w.Len() / rows
	maxGap := relMaxGap(bits)
	m := &csrMatrix{rows: rows, cols: cols, relBits: bits, rowPtr: []int{0}}
	for r := 0; r < rows; r++ {
		prev := -1
		for c, v := range w.Data[r*cols : (r+1)*cols] {
			if v == 0 {
				continue
			}
			for c-prev > maxGap {
				prev += maxGap
				m.colIdx = append(m.colIdx, prev)
				m.values = append(m.values, 0)
				m.gapCodes = append(m.gapCodes, maxGap-1)
			}
			m.colIdx = append(m.colIdx, c)
			m.values = append(m.values, v)
			m.gapCodes = append(m.gapCodes, c-prev-1)
			prev = c
		}
		m.rowPtr = append(m.rowPtr, len(m.values))
	}
	m.idxBytes = 1
	m.ptrBytes = relPtrBytes(len(m.values))
	return m, nil
}

// packedGapCodes returns the gap-code bytes as stored: one per entry (8 bits) or two per byte,
// low nibble first (4 bits). At least one byte, since C has no empty arrays.
func (m *csrMatrix) packedGapCodes() []int {
	if m.relBits == 8 {
		if len(m.gapCodes) == 0 {
			return []int{0}
		}
		return m.gapCodes
	}
	out := make([]int, max((len(m.gapCodes)+1)/2, 1))
	for j, g := range m.gapCodes {
		out[j/2] |= g << (4 * (j % 2))
	}
	return out
}

// cDenseRCSR4 is the Dense kernel for 4-bit gaps: it decodes both nibbles of a byte per loop
// iteration, so the per-entry cost is one shift or mask instead of a computed shift. Terms are
// added in column order, as in every other Dense kernel.
const cDenseRCSR4 = `/* y = W x + b with W in relative-index CSR form, 4-bit gaps (two per byte, low nibble
 * first); row n = output n. */
static void k_dense_SUFFIX(const float *restrict x, float *restrict y,
                               const float *restrict val, const uint8_t *restrict col,
                               const PTR_T *restrict rowptr, const float *restrict b,
                               const dense_geom_t *restrict g)
{
    for (int32_t n = 0; n < g->n; ++n) {
        const int32_t end = (int32_t)rowptr[n + 1];
        int32_t j = (int32_t)rowptr[n];
        int32_t c = -1;
        float acc = (b != NULL) ? b[n] : 0.0f;
        if ((j & 1) != 0 && j < end) {
            c += (int32_t)(col[j >> 1] >> 4) + 1;
            acc += val[j] * x[c];
            ++j;
        }
        for (; j + 2 <= end; j += 2) {
            const uint32_t two = col[j >> 1];
            c += (int32_t)(two & 15u) + 1;
            acc += val[j] * x[c];
            c += (int32_t)(two >> 4) + 1;
            acc += val[j + 1] * x[c];
        }
        if (j < end) {
            c += (int32_t)(col[j >> 1] & 15u) + 1;
            acc += val[j] * x[c];
        }
        y[n] = (g->relu != 0 && acc < 0.0f) ? 0.0f : acc;
    }
}
`

func init() { cKernels["dense_rcsr4"] = cDenseRCSR4 }
