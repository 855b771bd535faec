package model

// The AVX2 forms of the direct convolution kernels (fast_direct.go), for machines without
// AVX-512 (fast_avx2_amd64.s). They sum in the same order as the AVX-512 and portable forms,
// with a separate multiply and add for every term, so all three give the same bits.

// fastGemm4x16AVX2 computes 4 rows × 16 columns of fastGemm8x32Go (fast_avx2_amd64.s).
//
//go:noescape
func fastGemm4x16AVX2(k int, a, b *float32, ldb int, c *float32, ldc int, bias *float32, relu int, mlo, mhi *int32)

// fastDepthwiseAVX2 is the AVX2 form of fastDepthwiseGo over groups of 64 outputs
// (fast_avx2_amd64.s).
//
//go:noescape
func fastDepthwiseAVX2(x, y, w *float32, offs *int, masks *int32, ntaps, groups int, bias *float32, relu int, smasks *int32)

// fastAVX2Lanes holds 8 lane masks that are in, then 8 that are out: fastAVX2Lanes[8−n:16−n]
// admits the first n of 8 lanes.
var fastAVX2Lanes = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1}

// fastGemm8x32ByAVX2 is fastGemm8x32 on AVX2: four 4×16 blocks (two when nj ≤ 16).
func fastGemm8x32ByAVX2(k, nj int, a, b []float32, ldb int, c []float32, ldc int, bias []float32, relu bool) {
	_ = a[8*k-1]
	_ = b[(k-1)*ldb+nj-1]
	_ = bias[7]
	_ = c[7*ldc+nj-1]
	r := fastFlag(relu)
	for j := 0; j < nj; j += 16 {
		n := nj - j // columns of this block, 1 … 16 in
		lo, hi := &fastAVX2Lanes[8-min(n, 8)], &fastAVX2Lanes[8-max(0, min(n, 16)-8)]
		fastGemm4x16AVX2(k, &a[0], &b[j], ldb, &c[j], ldc, &bias[0], r, lo, hi)
		fastGemm4x16AVX2(k, &a[4], &b[j], ldb, &c[4*ldc+j], ldc, &bias[4], r, lo, hi)
	}
}

// fastDepthwisePlaneAVX2 is fastDepthwisePlane on AVX2.
func fastDepthwisePlaneAVX2(p *fastDepthwisePlan, x, y, w []float32, bias float32, relu bool) {
	_ = x[len(x)-1]
	_ = y[p.outLen-1]
	_ = w[len(p.offs)-1]
	fastDepthwiseAVX2(&x[0], &y[0], &w[0], &p.offs[0], &p.masks8[0], len(p.offs), p.groups8, &bias, fastFlag(relu), &p.store8[0])
}
