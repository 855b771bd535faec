package model_test

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/model/onnxpb"
)

// clipLSTMReference runs a forward LSTM (ONNX gate order i, o, f, c) in float64 over x
// [B, T, I] and returns the last hidden states [B, H]. gateClip > 0 clamps the four gate
// pre-activations (ONNX Runtime's clip); cellClip > 0 clamps the cell state after every
// update (TFLite's cell_clip). It also reports how many values the clips changed.
func clipLSTMReference(n *model.Node, x *model.Tensor, gateClip, cellClip float64) (*model.Tensor, int) {
	b, steps, in := x.Shape[0], x.Shape[1], x.Shape[2]
	h := n.Attrs.Hidden
	clipped := 0
	clamp := func(v, bound float64) float64 {
		if bound > 0 && math.Abs(v) > bound {
			clipped++
			return math.Copysign(bound, v)
		}
		return v
	}
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	y := model.NewTensor(b, h)
	for s := 0; s < b; s++ {
		hs, cs := make([]float64, h), make([]float64, h)
		for t := 0; t < steps; t++ {
			xt := x.Data[(s*steps+t)*in : (s*steps+t+1)*in]
			pre := make([]float64, 4*h)
			for r := range pre {
				v := float64(n.Bias.Data[r]) + float64(n.Bias.Data[4*h+r])
				for k, xv := range xt {
					v += float64(n.Weight.Data[r*in+k]) * float64(xv)
				}
				for k, hv := range hs {
					v += float64(n.Recurrent.Data[r*h+k]) * hv
				}
				pre[r] = clamp(v, gateClip)
			}
			for j := 0; j < h; j++ {
				i, o, f, c := sig(pre[j]), sig(pre[h+j]), sig(pre[2*h+j]), math.Tanh(pre[3*h+j])
				cs[j] = clamp(f*cs[j]+i*c, cellClip)
				hs[j] = o * math.Tanh(cs[j])
			}
		}
		for j, v := range hs {
			y.Data[s*h+j] = float32(v)
		}
	}
	return y, clipped
}

// clipLSTMNode is an LSTM with large weights and a forget bias near 1, so that gate
// pre-activations exceed 1 and the cell state grows past 1.
func clipLSTMNode(rng *rand.Rand, in, h int) *model.Node {
	randT := func(scale float64, shape ...int) *model.Tensor {
		t := model.NewTensor(shape...)
		for i := range t.Data {
			t.Data[i] = float32(rng.NormFloat64() * scale)
		}
		return t
	}
	n := &model.Node{Name: "lstm", Op: model.OpLSTM, Inputs: []string{"x"}, Outputs: []string{"y"},
		Weight: randT(1, 4*h, in), Recurrent: randT(0.5, 4*h, h), Bias: randT(0.3, 8*h),
		Attrs: model.Attrs{Hidden: h}}
	for j := 0; j < h; j++ {
		n.Bias.Data[2*h+j] += 3 // forget gate open: the cell state accumulates
	}
	return n
}

// TestLSTMClipMatchesReference checks Attrs.CellClip and Attrs.GateClip against a float64
// reference, and that both clips bind (the unclipped results differ).
func TestLSTMClipMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(21))
	const batch, steps, in, h = 4, 12, 3, 5
	x := model.NewTensor(batch, steps, in)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64() * 2)
	}
	base := clipLSTMNode(rng, in, h)
	for _, c := range []struct {
		name           string
		gate, cell     float32
		wantClipsAtAll bool
	}{
		{"cell", 0, 0.8, true},
		{"gate", 0.7, 0, true},
		{"both", 1.5, 1.2, true},
		{"none", 0, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := base.Clone()
			n.Attrs.GateClip, n.Attrs.CellClip = c.gate, c.cell
			g := &model.Graph{Name: "lstm", Inputs: []model.Value{{Name: "x", Shape: []int{steps, in}}},
				Outputs: []model.Value{{Name: "y"}}, Nodes: []*model.Node{n}}
			out, err := g.Run(x)
			if err != nil {
				t.Fatal(err)
			}
			want, clips := clipLSTMReference(n, x, float64(c.gate), float64(c.cell))
			assertClose(t, "clipped LSTM", out[0], want)
			if (clips > 0) != c.wantClipsAtAll {
				t.Fatalf("the reference clipped %d values", clips)
			}
			unclipped, _ := clipLSTMReference(n, x, 0, 0)
			diff := 0.0
			for i, v := range out[0].Data {
				diff = max(diff, math.Abs(float64(v-unclipped.Data[i])))
			}
			if c.wantClipsAtAll && diff < 1e-2 {
				t.Errorf("clipping changed the outputs by at most %g; the test does not exercise it", diff)
			}
		})
	}
}

// TestLSTMClipValidation checks that clips are LSTM-only, finite and not negative.
func TestLSTMClipValidation(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, c := range []struct {
		op         model.Op
		gate, cell float32
		want       string
	}{
		{model.OpGRU, 0, 1, "CellClip is an LSTM attribute"},
		{model.OpRNN, 1, 0, "GateClip is an LSTM attribute"},
		{model.OpLSTM, -1, 0, "GateClip -1"},
		{model.OpLSTM, 0, float32(math.Inf(1)), "CellClip +Inf"},
		{model.OpLSTM, 0, float32(math.NaN()), "CellClip NaN"},
	} {
		n := clipLSTMNode(rng, 2, 3)
		gates := model.RecurrentGates(c.op)
		n.Op, n.Attrs.GateClip, n.Attrs.CellClip = c.op, c.gate, c.cell
		n.Weight.Shape, n.Weight.Data = []int{gates * 3, 2}, n.Weight.Data[:gates*6]
		n.Recurrent.Shape, n.Recurrent.Data = []int{gates * 3, 3}, n.Recurrent.Data[:gates*9]
		n.Bias.Shape, n.Bias.Data = []int{2 * gates * 3}, n.Bias.Data[:2*gates*3]
		g := &model.Graph{Name: "r", Inputs: []model.Value{{Name: "x", Shape: []int{4, 2}}},
			Outputs: []model.Value{{Name: "y"}}, Nodes: []*model.Node{n}}
		err := g.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s gate %v cell %v: got %v, want an error containing %q", c.op, c.gate, c.cell, err, c.want)
		}
	}
}

// TestONNXLSTMClipImport checks that ONNX's LSTM clip becomes Attrs.GateClip and changes the
// imported model's output.
func TestONNXLSTMClipImport(t *testing.T) {
	run := func(attrs ...*onnxpb.AttributeProto) (*model.Node, []float32) {
		g, err := model.ImportONNX(rnnTestModel{attrs: attrs}.bytes(t))
		if err != nil {
			t.Fatal(err)
		}
		var lstm *model.Node
		for _, n := range g.Nodes {
			if n.Op == model.OpLSTM {
				lstm = n
			}
		}
		if lstm == nil {
			t.Fatal("no LSTM node")
		}
		x := model.NewTensor(2, 3, 2)
		for i := range x.Data {
			x.Data[i] = float32(i%5) - 1.5
		}
		out, err := g.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		return lstm, out[0].Data
	}
	plain, y0 := run()
	clipped, y1 := run(attrFloat("clip", 0.05))
	if plain.Attrs.GateClip != 0 || clipped.Attrs.GateClip != 0.05 {
		t.Fatalf("GateClip %v without clip and %v with clip 0.05", plain.Attrs.GateClip, clipped.Attrs.GateClip)
	}
	same := true
	for i := range y0 {
		same = same && y0[i] == y1[i]
	}
	if same {
		t.Errorf("clip 0.05 left the output unchanged: %v", y1)
	}
	if _, err := model.ImportONNX(rnnTestModel{attrs: []*onnxpb.AttributeProto{attrFloat("clip", 0)}}.bytes(t)); err == nil || !strings.Contains(err.Error(), "clip 0") {
		t.Errorf("clip 0: got %v, want an error", err)
	}
}
