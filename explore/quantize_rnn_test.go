package explore

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

// quantRNNFixtures are the PyTorch recurrent networks of model/testdata (PyTorch's initial
// weights, no training), with the hidden-state error bounds of their first recurrent layer, in
// steps of its int8 scale: largest and mean with calibration on the inputs it runs on. The GRU
// without linear_before_reset requantizes r ⊙ h to int8 before multiplying it by R_h, one more
// rounding, hence its wider bounds.
var quantRNNFixtures = []struct {
	name          string
	maxStep, mean float64
}{
	{"lstm_head", 3, 0.5}, {"gru_head", 3, 0.5}, {"gru_bf_last", 3, 0.5}, {"rnn_hn", 3, 0.5}, {"lstm2_seq", 3, 0.5}, {"gru_lbr0", 5, 0.6},
}

// TestQuantizeRecurrentTracksFloat quantizes each recurrent fixture and compares the int8
// graph, run by the interpreter's int8 kernels, with the float graph: on the fixture's own
// inputs and on 256 Gaussian inputs of the same mean and spread, calibrated on them, and on
// those 256 after calibration on 256 others (held out: min/max calibration then clips the
// rare inputs outside the calibrated ranges, so the largest errors are larger).
func TestQuantizeRecurrentTracksFloat(t *testing.T) {
	for _, f := range quantRNNFixtures {
		name := f.name
		t.Run(name, func(t *testing.T) {
			g, x := loadStructFixture(t, name)
			mean, std := quantMeanStd(x.Data)
			calib := quantGaussian(x, 256, mean, std, 1)
			held := quantGaussian(x, 256, mean, std, 2)
			for _, c := range []struct {
				what        string
				calib, eval *model.Tensor
				maxFrac     float64
			}{{"fixture inputs", x, x, 0.07}, {"Gaussian inputs", held, held, 0.07}, {"held-out inputs", calib, held, 0.10}} {
				q, err := Quantize(g, &dataset.Dataset{Name: name, X: c.calib}, QuantizeOptions{Samples: c.calib.Shape[0]})
				if err != nil {
					t.Fatal(err)
				}
				recurrent := 0
				for _, n := range q.Nodes {
					if model.RecurrentGates(n.Op) == 0 {
						continue
					}
					recurrent++
					if n.Attrs.Quant == nil || n.RecurrentQuant == nil || n.QWeight == nil {
						t.Fatalf("recurrent node %q is not int8: quant %v recurrent %v", n.Name, n.Attrs.Quant, n.RecurrentQuant)
					}
					t.Logf("%s: %s: hidden scale %.4g zp %d, gate bits %v, cell bits %d", c.what, n.Name, n.Attrs.Quant.Scale[0],
						n.Attrs.Quant.ZeroPoint[0], n.RecurrentQuant.GateIntBits, n.RecurrentQuant.CellIntBits)
				}
				if recurrent == 0 {
					t.Fatal("no recurrent node in the quantized graph")
				}
				quantCheckTracks(t, c.what, g, q, c.eval, c.maxFrac)
			}
		})
	}
}

// quantCheckTracks compares the int8 graph q with the float graph g on x: the mean error must
// stay within one output quantization step, the largest within maxFrac of the output range,
// and the largest output of every sample (the class) must agree on at least 97% of the
// samples. (The largest errors are a few hidden-state steps of the recurrent layer, see
// TestQuantizeRecurrentLayerTracksFloat, summed by the Dense head over all hidden units: with
// PyTorch's initial weights, |w| ≤ 1/√H, that can reach many output steps.)
func quantCheckTracks(t *testing.T, what string, g, q *model.Graph, x *model.Tensor, maxFrac float64) {
	t.Helper()
	want := mustRun(t, g, x)
	got := mustRun(t, q, x)
	step := quantOutputStep(t, q)
	var worst, sum, span float64
	for i, v := range got[0].Data {
		d := math.Abs(float64(v - want[0].Data[i]))
		worst = math.Max(worst, d)
		sum += d
	}
	span = float64(slices.Max(want[0].Data) - slices.Min(want[0].Data))
	mean := sum / float64(len(got[0].Data))
	agree, total := quantArgmaxAgreement(got[0], want[0])
	t.Logf("%s: output step %.4g, range %.4g: max error %.4g (%.2f steps, %.2f%% of the range), mean %.4g (%.2f steps); argmax agrees on %d/%d",
		what, step, span, worst, worst/step, 100*worst/span, mean, mean/step, agree, total)
	if worst > maxFrac*span {
		t.Errorf("%s: max error %.4g is %.2f%% of the output range %.4g, want ≤ %v%%", what, worst, 100*worst/span, span, 100*maxFrac)
	}
	if mean > step {
		t.Errorf("%s: mean error %.4g is %.2f output steps, want ≤ 1", what, mean, mean/step)
	}
	if total > 0 && float64(agree) < 0.97*float64(total) {
		t.Errorf("%s: argmax agrees on %d of %d samples, want ≥ 97%%", what, agree, total)
	}
}

// TestQuantizeRecurrentLayerTracksFloat checks the int8 recurrent kernels alone: the first
// recurrent layer of each fixture, made to output every step, quantized with calibration on
// 256 Gaussian inputs and run on them, must give every hidden state within the fixture's
// bounds (3 steps of its int8 scale, 0.5 on average, for most), with no growth over the
// sequence. Run on 256 held-out inputs, the mean may grow by 0.1 step (the largest errors, from
// inputs clipped to the calibrated range, are only logged).
func TestQuantizeRecurrentLayerTracksFloat(t *testing.T) {
	for _, f := range quantRNNFixtures {
		name := f.name
		t.Run(name, func(t *testing.T) {
			g, x := quantFirstLayer(t, name, nil)
			mean, std := quantMeanStd(x.Data)
			calib := quantGaussian(x, 256, mean, std, 1)
			held := quantGaussian(x, 256, mean, std, 2)
			quantCheckLayer(t, "calibrated", g, calib, calib, f.maxStep, f.mean)
			quantCheckLayer(t, "held out", g, calib, held, math.Inf(1), f.mean+0.1)
		})
	}
}

// quantFirstLayer returns the first (recurrent) layer of a fixture, changed by edit and made to
// output every step, and the fixture's inputs.
func quantFirstLayer(t *testing.T, name string, edit func(n *model.Node)) (*model.Graph, *model.Tensor) {
	t.Helper()
	g, x := loadStructFixture(t, name)
	n := g.Nodes[0]
	if model.RecurrentGates(n.Op) == 0 {
		t.Fatalf("first node %q is %s, not recurrent", n.Name, n.Op)
	}
	n.Attrs.Sequence = true
	if edit != nil {
		edit(n)
	}
	g.Nodes, g.Outputs, g.Shapes = g.Nodes[:1], []model.Value{{Name: n.Outputs[0]}}, nil
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	return g, x
}

// TestQuantizeLSTMClipsTrackFloat checks the int8 LSTM with ONNX's gate clip and TFLite's cell
// clip set tight enough to act (the cell state of lstm_head reaches about 0.85, its gate
// pre-activations about 1.8). The clipped hidden state spans a third of the unclipped range, so
// its int8 step is finer and the same absolute error is more steps: the bound is 4.
func TestQuantizeLSTMClipsTrackFloat(t *testing.T) {
	g, x := quantFirstLayer(t, "lstm_head", func(n *model.Node) { n.Attrs.GateClip, n.Attrs.CellClip = 1, 0.3 })
	mean, std := quantMeanStd(x.Data)
	calib := quantGaussian(x, 256, mean, std, 1)
	quantCheckLayer(t, "clipped", g, calib, calib, 4, 0.5)
	n := g.Nodes[0]
	n.Attrs.GateClip, n.Attrs.CellClip = 0, 0
	unclipped := mustRun(t, g, calib)
	n.Attrs.GateClip, n.Attrs.CellClip = 1, 0.3
	clipped := mustRun(t, g, calib)
	if slices.Equal(unclipped[0].Data, clipped[0].Data) {
		t.Fatal("the clips change nothing in the float layer; the test would prove nothing")
	}
}

// quantCheckLayer quantizes the one-layer graph g calibrated on calib and compares it with the
// float layer on x, per time step, in steps of the hidden state's scale.
func quantCheckLayer(t *testing.T, what string, g *model.Graph, calib, held *model.Tensor, maxSteps, meanSteps float64) {
	t.Helper()
	n := g.Nodes[0]
	q, err := Quantize(g, &dataset.Dataset{Name: g.Name, X: calib}, QuantizeOptions{Samples: calib.Shape[0]})
	if err != nil {
		t.Fatal(err)
	}
	want := mustRun(t, g, held)
	got := mustRun(t, q, held)
	s := float64(q.Node(n.Name).Attrs.Quant.Scale[0])
	steps, h := held.Shape[1], n.Attrs.Hidden
	worst, avg := make([]float64, steps), make([]float64, steps)
	for i, v := range got[0].Data {
		d := math.Abs(float64(v-want[0].Data[i])) / s
		st := i / h % steps
		worst[st] = math.Max(worst[st], d)
		avg[st] += d / float64(len(got[0].Data)/steps)
	}
	t.Logf("%s: hidden step %.4g; per time step, largest error %.2f steps, mean %.3f", what, s, worst, avg)
	if m := slices.Max(worst); m > maxSteps {
		t.Errorf("%s: largest hidden-state error %.2f steps, want ≤ %v", what, m, maxSteps)
	}
	if m := slices.Max(avg); m > meanSteps {
		t.Errorf("%s: mean hidden-state error %.3f steps at some time step, want ≤ %v", what, m, meanSteps)
	}
	if avg[steps-1] > 1.5*avg[0]+0.1 {
		t.Errorf("%s: mean error grows over the sequence: %.3f steps at the first step, %.3f at the last", what, avg[0], avg[steps-1])
	}
}

// quantMeanStd returns the mean and standard deviation of v.
func quantMeanStd(v []float32) (mean, std float64) {
	for _, a := range v {
		mean += float64(a)
	}
	mean /= float64(len(v))
	for _, a := range v {
		std += (float64(a) - mean) * (float64(a) - mean)
	}
	return mean, math.Sqrt(std / float64(len(v)))
}

// quantGaussian returns n samples shaped like like's, drawn from N(mean, std²) with a fixed
// seed.
func quantGaussian(like *model.Tensor, n int, mean, std float64, seed uint64) *model.Tensor {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := model.NewTensor(append([]int{n}, like.Shape[1:]...)...)
	for i := range x.Data {
		x.Data[i] = float32(mean + std*rng.NormFloat64())
	}
	return x
}

// quantOutputStep returns the quantization step of the int8 value the graph output is
// dequantized from.
func quantOutputStep(t *testing.T, q *model.Graph) float64 {
	t.Helper()
	for _, n := range q.Nodes {
		if n.Op == model.OpDequantize && n.Outputs[0] == q.Outputs[0].Name {
			return float64(q.ValueQuantOf(n.Inputs[0]).Scale[0])
		}
	}
	t.Fatal("the graph output is not dequantized from an int8 value")
	return 0
}

// quantArgmaxAgreement counts the samples whose largest output (over the last axis of a
// [B, K] output, K > 1) is the same in a and b; total is 0 for other shapes.
func quantArgmaxAgreement(a, b *model.Tensor) (agree, total int) {
	if len(a.Shape) != 2 || a.Shape[1] < 2 {
		return 0, 0
	}
	k := a.Shape[1]
	for s := 0; s < a.Shape[0]; s++ {
		ra, rb := a.Data[s*k:(s+1)*k], b.Data[s*k:(s+1)*k]
		if slices.Index(ra, slices.Max(ra)) == slices.Index(rb, slices.Max(rb)) {
			agree++
		}
	}
	return agree, a.Shape[0]
}

// TestQuantizeRecurrentDeterministic checks that the int8 recurrent graphs give the same bits
// whatever the goroutine count and the batch grouping, that quantizing twice gives the same
// graph, and that the binary IR encoding keeps the recurrent quantization.
func TestQuantizeRecurrentDeterministic(t *testing.T) {
	for _, name := range []string{"lstm_head", "gru_lbr0", "rnn_hn", "lstm2_seq"} {
		t.Run(name, func(t *testing.T) {
			g, x := loadStructFixture(t, name)
			ds := &dataset.Dataset{Name: name, X: x}
			q, err := Quantize(g, ds, QuantizeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			q2, err := Quantize(g, ds, QuantizeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if q.Hash() != q2.Hash() {
				t.Error("quantizing twice gives different graphs")
			}
			ref := mustRun(t, q, x)
			prev := runtime.GOMAXPROCS(1)
			one, err := q.Run(x)
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(one[0].Data, ref[0].Data) {
				t.Error("one goroutine gives different results")
			}
			per := len(ref[0].Data) / x.Shape[0]
			for s := 0; s < x.Shape[0]; s += 3 {
				xs := &model.Tensor{Shape: append([]int{1}, x.Shape[1:]...), Data: x.Data[s*len(x.Data)/x.Shape[0] : (s+1)*len(x.Data)/x.Shape[0]]}
				out := mustRun(t, q, xs)
				if !slices.Equal(out[0].Data, ref[0].Data[s*per:(s+1)*per]) {
					t.Fatalf("sample %d alone gives different results than in the batch", s)
				}
			}
			back := encodeDecode(t, q)
			for _, n := range q.Nodes {
				if n.RecurrentQuant == nil {
					continue
				}
				m := back.Node(n.Name)
				a, b := n.RecurrentQuant, m.RecurrentQuant
				if b == nil || !slices.Equal(a.Recurrent.Data, b.Recurrent.Data) || !slices.Equal(a.Recurrent.Quant.Scale, b.Recurrent.Quant.Scale) ||
					!slices.Equal(a.RecurrentBias, b.RecurrentBias) || !slices.Equal(a.GateIntBits, b.GateIntBits) || a.CellIntBits != b.CellIntBits {
					t.Errorf("node %q: RecurrentQuant %+v decoded as %+v", n.Name, a, b)
				}
			}
			out := mustRun(t, back, x)
			if !slices.Equal(out[0].Data, ref[0].Data) {
				t.Error("the decoded graph computes different outputs")
			}
		})
	}
}
