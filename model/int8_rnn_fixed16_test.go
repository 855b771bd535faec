package model

import (
	"math"
	"testing"
)

// The 16-bit logistic and tanh are checked against float64 over every int16 input. TFLite
// publishes no error bound for its int16 LSTM activations, only exact expected outputs (checked
// bit for bit by TestInt16ActivationsMatchTFLiteVectors); gemmlowp's 16-bit Newton-Raphson
// runs in Q2.13, so the error is several units of Q0.15. The bounds asserted are the largest
// errors over the whole domain rounded up to the next unit (sigmoid 6.5, tanh 12.1 units, all
// well below one int8 step of 1/128), so a change of the arithmetic that loses accuracy fails.

func TestInt16SigmoidWholeRange(t *testing.T) {
	for _, bitsIn := range []int{0, 1, 2, 3, 4, 5, 6} {
		worst, at := 0.0, 0
		for v := math.MinInt16; v <= math.MaxInt16; v++ {
			x := float64(v) / float64(int(1)<<(15-bitsIn))
			got := float64(Int16Sigmoid(int16(v), bitsIn)) / 32768
			want := 1 / (1 + math.Exp(-x))
			if e := math.Abs(got - want); e > worst {
				worst, at = e, v
			}
		}
		t.Logf("sigmoid Q%d.%d: max error %.3g (%.2f LSB) at raw %d", bitsIn, 15-bitsIn, worst, worst*32768, at)
		if worst > q16SigmoidBound {
			t.Errorf("sigmoid Q%d.%d: max error %.3g at raw %d, want ≤ %.3g", bitsIn, 15-bitsIn, worst, at, q16SigmoidBound)
		}
	}
}

func TestInt16TanhWholeRange(t *testing.T) {
	for bitsIn := 0; bitsIn <= 6; bitsIn++ {
		worst, at := 0.0, 0
		for v := math.MinInt16; v <= math.MaxInt16; v++ {
			x := float64(v) / float64(int(1)<<(15-bitsIn))
			got := float64(Int16Tanh(int16(v), bitsIn)) / 32768
			if e := math.Abs(got - math.Tanh(x)); e > worst {
				worst, at = e, v
			}
		}
		t.Logf("tanh Q%d.%d: max error %.3g (%.2f LSB) at raw %d", bitsIn, 15-bitsIn, worst, worst*32768, at)
		if worst > q16TanhBound {
			t.Errorf("tanh Q%d.%d: max error %.3g at raw %d, want ≤ %.3g", bitsIn, 15-bitsIn, worst, at, q16TanhBound)
		}
	}
}

const (
	q16SigmoidBound = 7.0 / 32768
	q16TanhBound    = 13.0 / 32768
)

// TFLite's published results of its portable integer LSTM activations for a few inputs
// (tensorflow/lite/kernels/internal/tensor_utils_test.cc: QuantSigmoidTest, QuantTanh3Test,
// QuantTanh4Test); the Go functions must reproduce them bit for bit.
var q16TFLiteVectors = []struct {
	name    string
	tanh    bool
	intBits int
	in, out []int16
}{
	{"sigmoid Q3.12", false, 3,
		[]int16{-10500, 1398, -6963, -7404, 485, -5401, -1757, -7668, -19248, -9692, -24249, -17923, -15840, -10026, 5249,
			-89, 1787, -16178, -6691, -19524, -13439, -24048, -1123, 32767, -17267, -3378, 823, 11482, -11139, 7508},
		[]int16{2339, 19152, 5063, 4617, 17350, 6917, 12921, 4371, 299, 2813, 89, 409, 673, 2605, 25646,
			16207, 19904, 615, 5353, 273, 1187, 91, 14153, 32756, 475, 9983, 18026, 30898, 2023, 28246}},
	{"tanh Q3.12", true, 3,
		[]int16{-145, 899, -176, -35, 264, 289, 8, 27, -37, -1310, -120, 127, -16, 106, 370,
			-583, -299, 93, -548, 548, 653, -29, -53, 1058, -52, -164, -149, -635, 201, -1297},
		[]int16{-1156, 7076, -1412, -276, 2104, 2308, 64, 220, -288, -10132, -964, 1016, -120, 844, 2944,
			-4640, -2392, 736, -4352, 4352, 5180, -232, -428, 8276, -412, -1308, -1196, -5044, 1612, -10044}},
	{"tanh Q4.11", true, 4,
		[]int16{-5, 163, -31, -5, 54, 90, 1, 2, -4, -42, -8, 29, 0, 47, 150,
			-26, -36, 9, -73, 25, 14, -2, -1, 29, -10, -12, -18, -29, 51, -92},
		[]int16{-76, 2596, -496, -76, 856, 1436, 24, 36, -64, -672, -120, 456, 0, 752, 2400,
			-412, -576, 148, -1168, 400, 216, -36, -24, 456, -164, -192, -292, -456, 820, -1476}},
}

func TestInt16ActivationsMatchTFLiteVectors(t *testing.T) {
	for _, v := range q16TFLiteVectors {
		for i, x := range v.in {
			var got int16
			if v.tanh {
				got = Int16Tanh(x, v.intBits)
			} else {
				got = Int16Sigmoid(x, v.intBits)
			}
			if got != v.out[i] {
				t.Errorf("%s(%d) = %d, TFLite gives %d", v.name, x, got, v.out[i])
			}
		}
	}
}
