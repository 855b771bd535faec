package explore

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

const structFixtures = "../model/testdata/fixtures/"

// loadStructFixture loads a PyTorch-exported fixture model and its input batch.
func loadStructFixture(t *testing.T, name string) (*model.Graph, *model.Tensor) {
	t.Helper()
	g, err := model.LoadFile(structFixtures + name + ".onnx")
	if err != nil {
		t.Fatal(err)
	}
	x, err := dataset.LoadNPY(structFixtures + name + "_x.npy")
	if err != nil {
		t.Fatal(err)
	}
	return g, x
}

// assertPrunedMatchesZeroed prunes g structurally and checks that the pruned model computes
// what the unpruned model computes with the removed channels zeroed, that it really is smaller,
// and that the removed channels of every group are those of smallest summed norm.
func assertPrunedMatchesZeroed(t *testing.T, g *model.Graph, x *model.Tensor, rates map[string]float64, norm string) (*model.Graph, []StructuredGroup) {
	t.Helper()
	p, err := PruneStructured(g, rates, norm)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := PlanStructured(g, rates, norm)
	if err != nil {
		t.Fatal(err)
	}
	for _, sg := range groups {
		total := make([]float64, sg.Channels)
		for _, name := range sg.Layers {
			norms, err := ChannelNorms(g.Node(name), norm)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range norms {
				total[i] += v
			}
		}
		removed := sg.Removed()
		if want := min(int(math.Round(sg.Rate*float64(sg.Channels))), sg.Channels-1); len(removed) != want {
			t.Errorf("group %v: %d channels removed, want %d", sg.Layers, len(removed), want)
		}
		for _, c := range removed {
			for _, k := range sg.Keep {
				if total[k] < total[c] {
					t.Errorf("group %v: removed channel %d (norm %v) but kept %d (norm %v)", sg.Layers, c, total[c], k, total[k])
				}
			}
		}
	}
	z, err := ZeroStructured(g, groups)
	if err != nil {
		t.Fatal(err)
	}
	a := mustRun(t, p, x)
	b := mustRun(t, z, x)
	dense := mustRun(t, g, x)
	if !slices.Equal(a[0].Shape, b[0].Shape) {
		t.Fatalf("pruned output shape %v, zeroed %v", a[0].Shape, b[0].Shape)
	}
	worst, changed := 0.0, 0.0
	for i := range a[0].Data {
		scale := math.Max(1, math.Abs(float64(b[0].Data[i])))
		worst = math.Max(worst, math.Abs(float64(a[0].Data[i]-b[0].Data[i]))/scale)
		changed = math.Max(changed, math.Abs(float64(b[0].Data[i]-dense[0].Data[i])))
	}
	if worst > 1e-5 || math.IsNaN(worst) {
		t.Errorf("pruned and zeroed outputs differ by %.3g (relative)", worst)
	}
	if changed == 0 {
		t.Errorf("zeroing the removed channels changed no output: the test proves nothing")
	}
	if p.NumParams() >= g.NumParams() {
		t.Errorf("pruned model has %d params, dense %d", p.NumParams(), g.NumParams())
	}
	t.Logf("%d -> %d params; groups %+v; largest relative difference to the zeroed model %.2g", g.NumParams(), p.NumParams(), groups, worst)
	return p, groups
}

func weightShape(t *testing.T, g *model.Graph, name string, want ...int) {
	t.Helper()
	n := g.Node(name)
	if n == nil || n.Weight == nil {
		t.Fatalf("no layer %q", name)
	}
	if !slices.Equal(n.Weight.Shape, want) {
		t.Errorf("layer %s weight shape %v, want %v", name, n.Weight.Shape, want)
	}
}

// TestPruneStructuredDepthwise cuts the conv feeding a depthwise conv: the depthwise filters go
// with it (its BatchNorm-folded biases are folded into the pointwise conv), and the pointwise
// conv before the classifier loses neurons through HardSwish-style gating, Mean and Flatten.
func TestPruneStructuredDepthwise(t *testing.T) {
	g, x := loadStructFixture(t, "dscnn")
	for _, norm := range []string{"l1", "l2"} {
		p, _ := assertPrunedMatchesZeroed(t, g, x, map[string]float64{"/c1/Conv": 0.5, "/pw/Conv": 0.25}, norm)
		weightShape(t, p, "/c1/Conv", 4, 3, 3, 3)
		weightShape(t, p, "/dw/Conv", 4, 1, 3, 3)
		weightShape(t, p, "/pw/Conv", 12, 4, 1, 1)
		weightShape(t, p, "/fc/Gemm", 5, 12)
		if gr := p.Node("/dw/Conv").Groups(); gr != 4 {
			t.Errorf("depthwise conv has %d groups, want 4", gr)
		}
	}
	if _, err := PruneStructured(g, map[string]float64{"/dw/Conv": 0.5}, "l1"); err == nil || !strings.Contains(err.Error(), `"/dw/Conv"`) || !strings.Contains(err.Error(), "depthwise") {
		t.Errorf("naming the depthwise conv: error %v, want one naming it as depthwise", err)
	}
}

// TestPruneStructuredResidual cuts the residual block of rescnn: the two branches meeting in the
// Add are one group, their channels also pass a per-channel constant Mul, a Sub, gating Mul,
// Concat, Transposes with a channels-last constant Mul, Mean and Flatten; the stem conv feeds
// both branches.
func TestPruneStructuredResidual(t *testing.T) {
	g, x := loadStructFixture(t, "rescnn")
	p, groups := assertPrunedMatchesZeroed(t, g, x, map[string]float64{"/a2/Conv": 0.5, "/stem/Conv": 0.25, "/a1/Conv": 0.375}, "l2")
	var res *StructuredGroup
	for i := range groups {
		if slices.Contains(groups[i].Layers, "/a2/Conv") {
			res = &groups[i]
		}
	}
	if res == nil || !slices.Equal(res.Layers, []string{"/a2/Conv", "/b/Conv"}) {
		t.Fatalf("groups %+v: want /a2/Conv and /b/Conv cut together", groups)
	}
	weightShape(t, p, "/stem/Conv", 6, 4, 3, 3)
	weightShape(t, p, "/a1/Conv", 5, 6, 3, 3)
	weightShape(t, p, "/a2/Conv", 4, 5, 3, 3)
	weightShape(t, p, "/b/Conv", 4, 6, 1, 1)
	weightShape(t, p, "/fc/Gemm", 3, 8)
	for _, c := range p.Consts {
		if c.Name == "gain_const" && !slices.Equal(c.Tensor.Shape, []int{4, 1, 1}) {
			t.Errorf("per-channel constant %s has shape %v, want [4 1 1]", c.Name, c.Tensor.Shape)
		}
		if c.Name == "mix_const" && !slices.Equal(c.Tensor.Shape, []int{8}) {
			t.Errorf("channels-last constant %s has shape %v, want [8]", c.Name, c.Tensor.Shape)
		}
	}
}

// TestPruneStructuredRecurrent cuts hidden units of LSTM, GRU and RNN layers: the following
// Dense loses columns, a following LSTM loses input columns.
func TestPruneStructuredRecurrent(t *testing.T) {
	cases := []struct {
		name, layer string
		rate        float64
		check       func(t *testing.T, p *model.Graph)
	}{
		{"lstm_head", "/rnn/LSTM", 0.25, func(t *testing.T, p *model.Graph) {
			n := p.Node("/rnn/LSTM")
			if n.Attrs.Hidden != 24 || !slices.Equal(n.Recurrent.Shape, []int{96, 24}) || !slices.Equal(n.Bias.Shape, []int{192}) {
				t.Errorf("LSTM hidden %d R %v B %v, want 24, [96 24], [192]", n.Attrs.Hidden, n.Recurrent.Shape, n.Bias.Shape)
			}
			weightShape(t, p, "/rnn/LSTM", 96, 10)
			weightShape(t, p, "/fc/Gemm", 4, 24)
		}},
		{"gru_head", "/rnn/GRU", 0.5, func(t *testing.T, p *model.Graph) {
			weightShape(t, p, "/rnn/GRU", 48, 10)
			weightShape(t, p, "/fc/Gemm", 4, 16)
		}},
		{"gru_bf_last", "/rnn/GRU", 0.25, func(t *testing.T, p *model.Graph) { weightShape(t, p, "/fc/Gemm", 4, 24) }},
		{"rnn_hn", "/rnn/RNN", 0.5, func(t *testing.T, p *model.Graph) {
			weightShape(t, p, "/rnn/RNN", 8, 8)
			weightShape(t, p, "/fc/Gemm", 3, 8)
		}},
		{"lstm2_seq", "/rnn/LSTM", 0.34, func(t *testing.T, p *model.Graph) {
			weightShape(t, p, "/rnn/LSTM", 24, 6)
			weightShape(t, p, "/rnn/LSTM_1", 36, 6)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, x := loadStructFixture(t, c.name)
			for _, norm := range []string{"l1", "l2"} {
				p, _ := assertPrunedMatchesZeroed(t, g, x, map[string]float64{c.layer: c.rate}, norm)
				c.check(t, p)
			}
		})
	}
	g, _ := loadStructFixture(t, "lstm2_seq")
	if _, err := PruneStructured(g, map[string]float64{"/rnn/LSTM_1": 0.5}, "l1"); err == nil || !strings.Contains(err.Error(), "graph output") {
		t.Errorf("cutting the LSTM whose sequence is the graph output: error %v, want a graph-output refusal", err)
	}
}

// TestPruneStructuredKWS cuts every pointwise conv of the MLPerf Tiny keyword-spotting DS-CNN by
// half: each depthwise conv loses the matching filters.
func TestPruneStructuredKWS(t *testing.T) {
	path := "../../shared/datasets/mlperf_tiny_kws01/kws_ref_model_float32.tflite"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("KWS model not available: %v", err)
	}
	g, err := model.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rates := map[string]float64{}
	for _, n := range g.Nodes {
		if n.Op == model.OpConv && n.Groups() == 1 {
			rates[n.Name] = 0.5
		}
	}
	x := structRand(rand.New(rand.NewPCG(3, 4)), 8, 49, 10, 1)
	p, _ := assertPrunedMatchesZeroed(t, g, x, rates, "l1")
	weightShape(t, p, "DEPTHWISE_CONV_2D_3", 32, 1, 3, 3)
	weightShape(t, p, "CONV_2D_4", 32, 32, 1, 1)
	weightShape(t, p, "FULLY_CONNECTED_11", 12, 32)
}

// TestPruneStructuredEveryLayer cuts every layer of every fixture alone, by half: each cut
// either is refused with an error naming the layer or computes exactly the zeroed model.
func TestPruneStructuredEveryLayer(t *testing.T) {
	for _, name := range []string{"conv1d", "dscnn", "rescnn", "tcn", "convnet", "mlp", "lstm_head", "gru_head", "gru_bf_last", "rnn_hn", "lstm2_seq", "gru_lbr0"} {
		g, x := loadStructFixture(t, name)
		for _, n := range g.PrunableLayers() {
			rates := map[string]float64{n.Name: 0.5}
			p, err := PruneStructured(g, rates, "l2")
			if err != nil {
				if !strings.Contains(err.Error(), `"`+n.Name+`"`) {
					t.Errorf("%s: layer %s: error %q does not name the layer", name, n.Name, err)
				}
				t.Logf("%s: %s refused: %v", name, n.Name, err)
				continue
			}
			groups, _ := PlanStructured(g, rates, "l2")
			z, err := ZeroStructured(g, groups)
			if err != nil {
				t.Fatal(err)
			}
			a, err := p.Run(x)
			if err != nil {
				t.Fatalf("%s: layer %s: pruned model: %v", name, n.Name, err)
			}
			b := mustRun(t, z, x)
			for i := range b[0].Data {
				if d := math.Abs(float64(a[0].Data[i]-b[0].Data[i])) / math.Max(1, math.Abs(float64(b[0].Data[i]))); d > 1e-5 || math.IsNaN(d) {
					t.Errorf("%s: layer %s: output %d pruned %v, zeroed %v", name, n.Name, i, a[0].Data[i], b[0].Data[i])
					break
				}
			}
			t.Logf("%s: %s cut: %d -> %d params", name, n.Name, g.NumParams(), p.NumParams())
		}
	}
}
