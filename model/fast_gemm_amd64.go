package model

import (
	"slices"

	"golang.org/x/sys/cpu"
	"gonum.org/v1/gonum/blas/gonum"
)

// fastHaveAVX2 says whether the fast kernels may use their AVX2 assembly forms.
var fastHaveAVX2 = cpu.X86.HasAVX2

// fastTapsAVX2 is the AVX2 form of fastTapsGo for n a multiple of 32 (fast_gemm_amd64.s).
//
//go:noescape
func fastTapsAVX2(dst *float32, n int, src *float32, offs *int, ws *float32, ntaps int)

// fastTaps sets dst[p] = Σ_t ws[t]·src[p+offs[t]] for every p < len(dst), a multiple of 32;
// src must hold len(dst)+max(offs) elements.
func fastTaps(dst, src []float32, offs []int, ws []float32) {
	if fastHaveAVX2 && len(ws) > 0 && len(dst) > 0 {
		_ = src[len(dst)-1+slices.Max(offs)]
		_ = offs[len(ws)-1]
		fastTapsAVX2(&dst[0], len(dst), &src[0], &offs[0], &ws[0], len(ws))
		return
	}
	fastTapsGo(dst, src, offs, ws)
}

// fastKernel4x16OffsAVX2 is the AVX2 form of fastKernel4x16OffsGo (fast_gemm_amd64.s).
//
//go:noescape
func fastKernel4x16OffsAVX2(k int, a *float32, b *float32, offs *int, c *float32, ldc int)

// fastKernel4x16Offs sets C[0:4, 0:16] = Σ_l A[0:4, l]·b[offs[l] : offs[l]+16] for l < k, A
// packed as [k][4]. maxOff is the largest of offs[:k].
func fastKernel4x16Offs(k int, a, b []float32, offs []int, maxOff int, c []float32, ldc int) {
	if fastHaveAVX2 && k > 0 {
		_ = a[4*k-1]
		_ = offs[k-1]
		_ = b[maxOff+15]
		_ = c[3*ldc+15]
		fastKernel4x16OffsAVX2(k, &a[0], &b[0], &offs[0], &c[0], ldc)
		return
	}
	fastKernel4x16OffsGo(k, a, b, offs, c, ldc)
}

// fastKernel4x16PackedAVX2 is the AVX2 form of fastKernel4x16PackedGo (fast_gemm_amd64.s).
//
//go:noescape
func fastKernel4x16PackedAVX2(k int, a *float32, b *float32, c *float32, ldc int)

// fastKernel4x16Packed sets C[0:4, 0:16] = A·B for A packed as [k][4] (its 4 rows interleaved)
// and B packed as [k][16].
func fastKernel4x16Packed(k int, a, b []float32, c []float32, ldc int) {
	if fastHaveAVX2 && k > 0 {
		_ = a[4*k-1]
		_ = b[16*k-1]
		_ = c[3*ldc+15]
		fastKernel4x16PackedAVX2(k, &a[0], &b[0], &c[0], ldc)
		return
	}
	fastKernel4x16PackedGo(k, a, b, c, ldc)
}

// fastAxpy sets y += alpha·x (len(x) == len(y)) with gonum's SSE kernel, which multiplies and
// adds separately, like fastKernel4x16PackedGo.
func fastAxpy(alpha float32, x, y []float32) {
	gonum.Implementation{}.Saxpy(len(y), alpha, x, 1, y, 1)
}
