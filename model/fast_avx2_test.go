//go:build amd64

package model

import "testing"

// TestFastDirectAVX2 runs the direct-path tests with the AVX2 kernels forced (fastHaveAVX512
// cleared), so that AVX-512 machines check them too: bit-identical to the im2col path, to the
// portable kernels (every column count, NaN and infinities, Relu) and to runNode inside Run.
func TestFastDirectAVX2(t *testing.T) {
	if !fastHaveAVX2 {
		t.Skip("no AVX2")
	}
	defer func(v bool) { fastHaveAVX512 = v }(fastHaveAVX512)
	fastHaveAVX512 = false
	t.Run("MatchesIm2col", TestFastDirectConvMatchesIm2col)
	t.Run("KernelsMatchPortable", TestFastDirectKernelsMatchPortable)
	t.Run("RunFusedConvRelu", TestRunFusedConvRelu)
}
