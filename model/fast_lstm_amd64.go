package model

import "math"

// fastLSTMCellAVX2 is the AVX2 form of fastLSTMCellGo without clips (fast_lstm_amd64.s).
//
//go:noescape
func fastLSTMCellAVX2(xs, rs, c, hh *float32, blocks, h int, consts *float32)

// fastLSTMConsts holds the constants of fastExp32 and fastTanh32 as fastLSTMCellAVX2 reads
// them, each repeated in 8 lanes, in the order of its offsets.
var fastLSTMConsts = func() [22 * 8]float32 {
	bitsOf := math.Float32frombits
	vals := [22]float32{fastExpLo, fastExpHi, fastLog2e, fastExpC1, fastExpC2,
		fastExpP0, fastExpP1, fastExpP2, fastExpP3, fastExpP4, fastExpP5, 1, bitsOf(127),
		fastTanhT0, fastTanhT1, fastTanhT2, fastTanhT3, fastTanhT4, fastTanhSm,
		bitsOf(1<<31 - 1), bitsOf(1 << 31), 2}
	var t [22 * 8]float32
	for i, v := range vals {
		for l := 0; l < 8; l++ {
			t[i*8+l] = v
		}
	}
	return t
}()

// fastLSTMCell applies one LSTM step's gate equations to one sample: xs and rs [4H] are the
// input and recurrence projections (with their biases) in gate order i, o, f, c, and c and hh
// [H] the cell and hidden states, updated in place.
func fastLSTMCell(xs, rs, c, hh []float32, h int, gateClip, cellClip float32) {
	j0 := 0
	if fastHaveAVX2 {
		j0 = fastLSTMAVX2Cols(h, gateClip, cellClip)
	}
	if j0 > 0 {
		_ = xs[4*h-1]
		_ = rs[4*h-1]
		_ = c[h-1]
		_ = hh[h-1]
		fastLSTMCellAVX2(&xs[0], &rs[0], &c[0], &hh[0], j0/8, h, &fastLSTMConsts[0])
	}
	fastLSTMCellGo(xs, rs, c, hh, h, j0, gateClip, cellClip)
}
