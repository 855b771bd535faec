//go:build !amd64

package model

// fastHaveAVX512 is false off amd64: the interpreter keeps its portable paths.
const fastHaveAVX512 = false

// fastDirectMachine is false off amd64: no assembly forms of the direct convolution kernels.
func fastDirectMachine() bool { return false }

// fastGemm8x32 is fastGemm8x32Go off amd64.
func fastGemm8x32(k, nj int, a, b []float32, ldb int, c []float32, ldc int, bias []float32, relu bool) {
	fastGemm8x32Go(k, nj, a, b, ldb, c, ldc, bias, relu)
}

// fastDepthwisePlane is fastDepthwiseGo off amd64.
func fastDepthwisePlane(p *fastDepthwisePlan, x, y, w []float32, bias float32, relu bool) {
	fastDepthwiseGo(p, x, y, w, bias, relu)
}
