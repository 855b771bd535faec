package model

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// gemmBlockBytes is the size of the slice of the right-hand matrix that callers keep hot in
// cache while every row of the left-hand matrix passes over it.
const gemmBlockBytes = 64 << 10

// gemm sets C = A·B for row-major A [m×k] (row stride lda), B [k×n] (ldb) and C [m×n] (ldc).
//
// It uses gonum's float32 GEMM in its A·B form, which updates each row of C with one
// vectorised AXPY per element of A. Every element of C is therefore the sum over k in increasing
// order, started from zero, whatever the alignment of the data or the split of the work; and
// zeros in A (pruned weights, or activations cut by Relu) are skipped. Callers split the work so
// that a call's slice of B fits in cache.
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
	gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, lda, b, ldb, 0, c, ldc)
}
