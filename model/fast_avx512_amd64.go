package model

import "golang.org/x/sys/cpu"

// fastHaveAVX512 says whether the direct convolution kernels (fast_direct.go) run their AVX-512
// assembly forms; without it they run their AVX2 forms (fast_avx2_amd64.go) where the machine has
// AVX2. Tests set it to false to exercise the AVX2 forms on AVX-512 machines.
var fastHaveAVX512 = cpu.X86.HasAVX512F

// fastDirectMachine reports whether the machine has assembly forms of the direct convolution
// kernels (AVX-512 or AVX2); without them the interpreter keeps its other paths.
func fastDirectMachine() bool { return fastHaveAVX512 || fastHaveAVX2 }

// fastGemm8x32AVX512 is the AVX-512 form of fastGemm8x32Go (fast_avx512_amd64.s).
//
//go:noescape
func fastGemm8x32AVX512(k int, a, b *float32, ldb int, c *float32, ldc int, bias *float32, relu, mlo, mhi int)

// fastDepthwiseAVX512 is the AVX-512 form of fastDepthwiseGo (fast_avx512_amd64.s).
//
//go:noescape
func fastDepthwiseAVX512(x, y, w *float32, offs *int, masks *uint16, ntaps, groups int, bias *float32, relu int, smasks *uint16)

// fastGemm8x32 sets C[0:8, 0:nj] = A·B[:, 0:nj] + bias, then max(·, 0) when relu, for A packed as
// [k][8] and 1 ≤ nj ≤ 32; see fastGemm8x32Go.
func fastGemm8x32(k, nj int, a, b []float32, ldb int, c []float32, ldc int, bias []float32, relu bool) {
	if k == 0 || nj < 1 || nj > 32 || !fastDirectMachine() {
		fastGemm8x32Go(k, nj, a, b, ldb, c, ldc, bias, relu)
		return
	}
	if !fastHaveAVX512 {
		fastGemm8x32ByAVX2(k, nj, a, b, ldb, c, ldc, bias, relu)
		return
	}
	_ = a[8*k-1]
	_ = b[(k-1)*ldb+nj-1]
	_ = bias[7]
	_ = c[7*ldc+nj-1]
	mlo, mhi := fastLaneMasks(nj)
	fastGemm8x32AVX512(k, &a[0], &b[0], ldb, &c[0], ldc, &bias[0], fastFlag(relu), mlo, mhi)
}

// fastDepthwisePlane runs one output plane of a fastDepthwisePlan (see fastDepthwiseGo).
func fastDepthwisePlane(p *fastDepthwisePlan, x, y, w []float32, bias float32, relu bool) {
	if len(w) == 0 || !fastDirectMachine() {
		fastDepthwiseGo(p, x, y, w, bias, relu)
		return
	}
	if !fastHaveAVX512 {
		if p.masks8 == nil { // planned while the AVX-512 kernel ran (tests switch kernels)
			fastDepthwiseGo(p, x, y, w, bias, relu)
			return
		}
		fastDepthwisePlaneAVX2(p, x, y, w, bias, relu)
		return
	}
	_ = x[len(x)-1]
	_ = y[p.outLen-1]
	_ = w[len(p.offs)-1]
	fastDepthwiseAVX512(&x[0], &y[0], &w[0], &p.offs[0], &p.masks[0], len(p.offs), p.groups, &bias, fastFlag(relu), &p.store[0])
}

func fastFlag(b bool) int {
	if b {
		return 1
	}
	return 0
}
