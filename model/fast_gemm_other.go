//go:build !amd64

package model

// fastTaps sets dst[p] = Σ_t ws[t]·src[p+offs[t]] for every p < len(dst).
func fastTaps(dst, src []float32, offs []int, ws []float32) {
	fastTapsGo(dst, src, offs, ws)
}

// fastKernel4x16Offs sets C[0:4, 0:16] = Σ_l A[0:4, l]·b[offs[l] : offs[l]+16] for l < k, A
// packed as [k][4]. maxOff is the largest of offs[:k].
func fastKernel4x16Offs(k int, a, b []float32, offs []int, maxOff int, c []float32, ldc int) {
	fastKernel4x16OffsGo(k, a, b, offs, c, ldc)
}

// fastKernel4x16Packed sets C[0:4, 0:16] = A·B for A packed as [k][4] (its 4 rows interleaved)
// and B packed as [k][16].
func fastKernel4x16Packed(k int, a, b []float32, c []float32, ldc int) {
	fastKernel4x16PackedGo(k, a, b, c, ldc)
}

// fastAxpy sets y += alpha·x (len(x) == len(y)), each product rounded to float32 before it is
// added (the compiler may otherwise fuse them on some architectures).
func fastAxpy(alpha float32, x, y []float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += float32(alpha * v)
	}
}
