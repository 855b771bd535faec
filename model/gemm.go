package model

// gemmBlockBytes is the size of the slice of the right-hand matrix that callers keep hot in
// cache while every row of the left-hand matrix passes over it.
const gemmBlockBytes = 64 << 10

// gemmSparseDensity is the fraction of nonzeros in the left-hand matrix below which gemm skips
// its zeros (pruned weights, activations cut by Relu) instead of running the dense kernel.
const gemmSparseDensity = 0.3

// gemm sets C = A·B for row-major A [m×k] (row stride lda), B [k×n] (ldb) and C [m×n] (ldc),
// on the calling goroutine.
//
// Every element of C is the sum over k in increasing order, started from zero, of the products
// A[i,l]·B[l,j], each rounded to float32 before it is added (no fused multiply-add). The result
// is therefore the same whatever the alignment of the data, the split of the work among callers
// or the kernel that runs: the register-blocked kernel (gemmPacked) for dense A, or, when A
// is mostly zeros, one vectorised AXPY per nonzero of A, which skips the zero terms (adding a
// zero product never changes a sum that started from +0).
func gemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
		return
	}
	if gemmIsSparse(m, k, a, lda) {
		gemmSkipZeros(m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	gemmPacked(m, n, k, gemmPackA(m, k, a, lda), b, ldb, c, ldc, make([]float32, 16*k))
}

// gemmIsSparse reports whether fewer than gemmSparseDensity of A's elements are nonzero.
func gemmIsSparse(m, k int, a []float32, lda int) bool {
	nz := 0
	for i := 0; i < m; i++ {
		for _, v := range a[i*lda : i*lda+k] {
			if v != 0 {
				nz++
			}
		}
	}
	return float64(nz) < gemmSparseDensity*float64(m*k)
}

// gemmSkipZeros is gemm as one AXPY of a row of B into a row of C per nonzero element of A.
func gemmSkipZeros(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		clear(row)
		for l, v := range a[i*lda : i*lda+k] {
			if v != 0 {
				fastAxpy(v, b[l*ldb:l*ldb+n], row)
			}
		}
	}
}

// gemmPackA packs the m rows of A [m×k] (row stride lda) for gemmPacked: blocks of 4 rows, each
// stored column by column ([k][4]), the last block padded with zero rows.
func gemmPackA(m, k int, a []float32, lda int) []float32 {
	ap := make([]float32, (m+3)/4*4*k)
	for i := 0; i < m; i += 4 {
		blk := ap[i*k : (i+4)*k]
		for r := 0; r < min(4, m-i); r++ {
			row := a[(i+r)*lda : (i+r)*lda+k]
			for l, v := range row {
				blk[l*4+r] = v
			}
		}
	}
	return ap
}

// gemmPacked sets C = A·B, for A packed by gemmPackA, by 4×16 blocks of C
// (fastKernel4x16Packed). Each 16-column panel of B is packed contiguously (into bp, which must
// hold 16·k floats, zero-padded past n) once for all blocks of rows; blocks at the right and
// bottom edges go through a temporary block.
func gemmPacked(m, n, k int, ap []float32, b []float32, ldb int, c []float32, ldc int, bp []float32) {
	var ctmp [4 * 16]float32 // an edge block of C
	bp = bp[:16*k]
	for j := 0; j < n; j += 16 {
		nj := min(16, n-j)
		for l := 0; l < k; l++ {
			dst := bp[l*16 : l*16+16]
			copy(dst, b[l*ldb+j:l*ldb+j+nj])
			clear(dst[nj:])
		}
		for i := 0; i < m; i += 4 {
			if i+4 <= m && nj == 16 {
				fastKernel4x16Packed(k, ap[i*k:], bp, c[i*ldc+j:], ldc)
				continue
			}
			fastKernel4x16Packed(k, ap[i*k:], bp, ctmp[:], 16)
			for r := 0; r < min(4, m-i); r++ {
				copy(c[(i+r)*ldc+j:(i+r)*ldc+j+nj], ctmp[r*16:r*16+nj])
			}
		}
	}
}

// fastKernel4x16PackedGo is the portable form of fastKernel4x16Packed, summing like
// fastKernel4x16Go.
func fastKernel4x16PackedGo(k int, a, b []float32, c []float32, ldc int) {
	for r := 0; r < 4; r++ {
		var acc [16]float32
		for l := 0; l < k; l++ {
			av := a[l*4+r]
			brow := b[l*16 : l*16+16]
			for j := range acc {
				acc[j] += float32(av * brow[j])
			}
		}
		copy(c[r*ldc:r*ldc+16], acc[:])
	}
}
