package model

import "math"

// The float LSTM's gate equations in float32 (runRecurrent's LSTM steps), in a form that an
// 8-lane AVX2 kernel computes with the same bits (fast_lstm_amd64.s): the exponential, the
// logistic function and tanh of Cephes' expf and tanhf (about 2 ulp), every product rounded to
// float32 before it is used (no fused multiply-add on any architecture).

// The constants of fastExp32 and fastTanh32.
const (
	fastExpLo  = -87.0 // bounds of the exponent: 2^n stays a normal float32
	fastExpHi  = 88.0
	fastLog2e  = 1.44269504088896341
	fastExpC1  = 0.693359375 // ln 2 = C1 + C2, C1 exact in few bits
	fastExpC2  = -2.12194440e-4
	fastExpP0  = 1.9875691500e-4
	fastExpP1  = 1.3981999507e-3
	fastExpP2  = 8.3334519073e-3
	fastExpP3  = 4.1665795894e-2
	fastExpP4  = 1.6666665459e-1
	fastExpP5  = 5.0000001201e-1
	fastTanhT0 = -5.70498872745e-3
	fastTanhT1 = 2.06390887954e-2
	fastTanhT2 = -5.37397155531e-2
	fastTanhT3 = 1.33314422036e-1
	fastTanhT4 = -3.33332819422e-1
	fastTanhSm = 0.625 // below this |x|, tanh is the odd polynomial
)

// fastExp32 is e^x for x clamped to [fastExpLo, fastExpHi] (NaN stays NaN): x = n·ln 2 + r
// with n an integer rounded to even, then 2^n·(1 + r + r²·P(r)).
func fastExp32(x float32) float32 {
	if x < fastExpLo {
		x = fastExpLo
	}
	if x > fastExpHi {
		x = fastExpHi
	}
	n := float32(math.RoundToEven(float64(float32(x * fastLog2e))))
	r := x - float32(n*fastExpC1)
	r -= float32(n * fastExpC2)
	p := float32(fastExpP0)
	p = float32(p*r) + fastExpP1
	p = float32(p*r) + fastExpP2
	p = float32(p*r) + fastExpP3
	p = float32(p*r) + fastExpP4
	p = float32(p*r) + fastExpP5
	p = float32(p * float32(r*r))
	p = p + r + 1
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// fastSigmoid32 is 1/(1 + e^−x).
func fastSigmoid32(x float32) float32 {
	return 1 / (1 + fastExp32(-x))
}

// fastTanh32 is tanh x: x + x³·T(x²) for |x| < fastTanhSm, else ±(1 − 2/(e^{2|x|} + 1)).
func fastTanh32(x float32) float32 {
	a := math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
	if a < fastTanhSm {
		z := float32(x * x)
		y := float32(fastTanhT0)
		y = float32(y*z) + fastTanhT1
		y = float32(y*z) + fastTanhT2
		y = float32(y*z) + fastTanhT3
		y = float32(y*z) + fastTanhT4
		y = float32(y * z)
		y = float32(y * x)
		return y + x
	}
	y := 1 - 2/(fastExp32(a+a)+1)
	return math.Float32frombits(math.Float32bits(y) | math.Float32bits(x)&(1<<31))
}

// fastLSTMCellGo is the portable form of fastLSTMCell for columns [j0, h).
func fastLSTMCellGo(xs, rs, c, hh []float32, h, j0 int, gateClip, cellClip float32) {
	for j := j0; j < h; j++ {
		i := fastSigmoid32(rnnClip(xs[j]+rs[j], gateClip))
		o := fastSigmoid32(rnnClip(xs[h+j]+rs[h+j], gateClip))
		f := fastSigmoid32(rnnClip(xs[2*h+j]+rs[2*h+j], gateClip))
		g := fastTanh32(rnnClip(xs[3*h+j]+rs[3*h+j], gateClip))
		c[j] = rnnClip(float32(f*c[j])+float32(i*g), cellClip)
		hh[j] = float32(o * fastTanh32(c[j]))
	}
}

// fastLSTMAVX2Cols is how many leading columns of fastLSTMCell the AVX2 kernel takes: whole
// blocks of 8, and none when a clip is set (the kernel has none).
func fastLSTMAVX2Cols(h int, gateClip, cellClip float32) int {
	if gateClip != 0 || cellClip != 0 {
		return 0
	}
	return h &^ 7
}
