//go:build !amd64

package model

// fastLSTMCell applies one LSTM step's gate equations to one sample: xs and rs [4H] are the
// input and recurrence projections (with their biases) in gate order i, o, f, c, and c and hh
// [H] the cell and hidden states, updated in place.
func fastLSTMCell(xs, rs, c, hh []float32, h int, gateClip, cellClip float32) {
	fastLSTMCellGo(xs, rs, c, hh, h, 0, gateClip, cellClip)
}
