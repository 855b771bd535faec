package codegen

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

func testGraphs() map[string]*model.Graph {
	return map[string]*model.Graph{
		"convnet":  convNet(1),
		"residual": residualNet(2),
		"mlp":      mlpNet(3),
		"inplace":  inPlaceNet(4),
		"copy":     copyNet(),
		"nasty":    nastyNet(5),
		"chain":    chainNet(6, 10, 20, 7, 30, 4),
	}
}

func mustPlan(t *testing.T, g *model.Graph, opts Options) *Plan {
	t.Helper()
	p, err := PlanGraph(g, opts)
	if err != nil {
		t.Fatalf("PlanGraph(%s): %v", g.Name, err)
	}
	return p
}

// checkArena verifies that buffers whose lifetimes overlap do not overlap in memory, that all
// fit in the arena, and recomputes the peak of live bytes from the buffer list.
func checkArena(t *testing.T, p *Plan, nodes int) {
	t.Helper()
	for i, a := range p.Buffers {
		if a.Offset < 0 || a.Offset%arenaAlign != 0 || a.Offset+a.Bytes > p.ArenaBytes {
			t.Errorf("%s: buffer %v at [%d,%d) outside arena of %d bytes or misaligned", p.Graph, a.Values, a.Offset, a.Offset+a.Bytes, p.ArenaBytes)
		}
		for _, b := range p.Buffers[i+1:] {
			inTime := a.FirstNode <= b.LastNode && b.FirstNode <= a.LastNode
			inMem := a.Offset < b.Offset+b.Bytes && b.Offset < a.Offset+a.Bytes
			if inTime && inMem {
				t.Errorf("%s: live buffers %v [%d,%d) and %v [%d,%d) overlap", p.Graph, a.Values, a.Offset, a.Offset+a.Bytes, b.Values, b.Offset, b.Offset+b.Bytes)
			}
		}
	}
	peak := 0
	for n := 0; n < nodes; n++ {
		live := 0
		for _, b := range p.Buffers {
			if b.FirstNode <= n && n <= b.LastNode {
				live += b.Bytes
			}
		}
		peak = max(peak, live)
	}
	if peak != p.PeakLiveBytes {
		t.Errorf("%s: PeakLiveBytes %d, recomputed %d", p.Graph, p.PeakLiveBytes, peak)
	}
	if p.ArenaBytes < p.PeakLiveBytes {
		t.Errorf("%s: arena %d smaller than peak live %d", p.Graph, p.ArenaBytes, p.PeakLiveBytes)
	}
}

func TestArenaInvariants(t *testing.T) {
	for name, g := range testGraphs() {
		for _, format := range []string{FormatAuto, FormatDense, FormatCSR} {
			p := mustPlan(t, g, Options{Format: format})
			checkArena(t, p, len(g.Nodes))
			seen := map[string]bool{}
			for _, b := range p.Buffers {
				for _, v := range b.Values {
					if seen[v] {
						t.Errorf("%s: value %q in two buffers", name, v)
					}
					seen[v] = true
				}
			}
			for _, l := range p.Layers {
				if l.OutBuffer == BufferInput && !l.Alias {
					t.Errorf("%s: layer %q writes the input buffer", name, l.Node)
				}
				if l.OutBuffer == BufferArena && !seen[l.Output] {
					t.Errorf("%s: layer %q output %q in the arena but in no buffer", name, l.Node, l.Output)
				}
			}
		}
	}
}

// chainPeak is the max over nodes of the live activation bytes of a dense chain, computed from
// the widths alone: node j reads width j-1 and writes width j; the graph input and output are
// caller buffers.
func chainPeak(widths []int) int {
	peak := 0
	for j := range widths {
		live := 0
		if j > 0 {
			live += widths[j-1]
		}
		if j < len(widths)-1 {
			live += widths[j]
		}
		peak = max(peak, live)
	}
	return peak * floatBytes
}

func TestChainArenaEqualsPeak(t *testing.T) {
	cases := [][]int{
		{1, 6, 5, 9, 10, 3}, // greedy-by-size alone needs 24 floats here, the peak is 19
		{5, 6, 7, 2},
		{64, 64, 64, 10},
		{8},
	}
	rng := rand.New(rand.NewSource(42))
	for i := 0; i < 60; i++ {
		w := make([]int, 2+rng.Intn(9))
		for j := range w {
			w[j] = 1 + rng.Intn(40)
		}
		cases = append(cases, w)
	}
	for _, widths := range cases {
		g := chainNet(7, 5, widths...)
		p := mustPlan(t, g, Options{})
		checkArena(t, p, len(g.Nodes))
		if want := chainPeak(widths); p.ArenaBytes != want || p.PeakLiveBytes != want {
			t.Errorf("chain %v: arena %d (%s), peak live %d, want both %d", widths, p.ArenaBytes, p.ArenaStrategy, p.PeakLiveBytes, want)
		}
	}
	// The first case really needs the two-sided strategy.
	p := mustPlan(t, chainNet(7, 5, cases[0]...), Options{})
	if p.ArenaStrategy != "two-sided" {
		t.Errorf("chain %v won by %q, want two-sided", cases[0], p.ArenaStrategy)
	}
}

func layerByNode(t *testing.T, p *Plan, node string) LayerPlan {
	t.Helper()
	for _, l := range p.Layers {
		if l.Node == node {
			return l
		}
	}
	t.Fatalf("%s: no layer %q", p.Graph, node)
	return LayerPlan{}
}

func TestFusionInPlaceAndAliases(t *testing.T) {
	p := mustPlan(t, convNet(1), Options{})
	if l := layerByNode(t, p, "r1"); l.FusedInto != "c1" || l.Kernel != "" {
		t.Errorf("r1: FusedInto %q kernel %q, want fused into c1 with no kernel", l.FusedInto, l.Kernel)
	}
	if l := layerByNode(t, p, "c1"); !l.FusedRelu || l.Kind != KindConv {
		t.Errorf("c1: FusedRelu %v kind %q", l.FusedRelu, l.Kind)
	}
	flat, pool := layerByNode(t, p, "flat"), layerByNode(t, p, "p2")
	if !flat.Alias || flat.Kernel != "" || flat.OutOffset != pool.OutOffset || flat.OutBuffer != BufferArena {
		t.Errorf("flat: alias %v kernel %q at %s+%d, want alias of p2 at +%d", flat.Alias, flat.Kernel, flat.OutBuffer, flat.OutOffset, pool.OutOffset)
	}
	if l := layerByNode(t, p, "sm"); l.OutBuffer != BufferOutput || l.Kind != KindSoftmax {
		t.Errorf("sm: buffer %q kind %q", l.OutBuffer, l.Kind)
	}

	p = mustPlan(t, residualNet(2), Options{})
	if l := layerByNode(t, p, "ra"); l.FusedInto != "a" || l.InPlace {
		t.Errorf("ra (its input read only by it): fused into %q, in place %v; want fused into a", l.FusedInto, l.InPlace)
	}
	if l := layerByNode(t, p, "rs"); l.FusedInto != "sum" {
		t.Errorf("rs: FusedInto %q, want sum", l.FusedInto)
	}

	p = mustPlan(t, mlpNet(3), Options{})
	if l := layerByNode(t, p, "flatten"); !l.Alias || l.OutBuffer != BufferInput {
		t.Errorf("flatten: alias %v buffer %q, want alias of the input", l.Alias, l.OutBuffer)
	}
	if l := layerByNode(t, p, "o"); l.OutBuffer != BufferOutput || !l.FusedRelu {
		t.Errorf("o: buffer %q fused relu %v, want output with fused relu", l.OutBuffer, l.FusedRelu)
	}

	p = mustPlan(t, inPlaceNet(4), Options{})
	relu, d := layerByNode(t, p, "relu"), layerByNode(t, p, "d")
	if !relu.InPlace || relu.Kernel != "relu_inplace" || relu.OutOffset != d.OutOffset {
		t.Errorf("relu: in place %v kernel %q offset %d (d at %d)", relu.InPlace, relu.Kernel, relu.OutOffset, d.OutOffset)
	}

	p = mustPlan(t, copyNet(), Options{})
	if l := layerByNode(t, p, "r1"); !l.Alias || l.OutBuffer != BufferInput {
		t.Errorf("r1: alias %v buffer %q", l.Alias, l.OutBuffer)
	}
	if l := layerByNode(t, p, "r2"); l.Alias || l.Kernel != "copy" || l.OutBuffer != BufferOutput {
		t.Errorf("r2: alias %v kernel %q buffer %q, want a copy into the output", l.Alias, l.Kernel, l.OutBuffer)
	}
	if p.ArenaBytes != 0 {
		t.Errorf("copy net arena %d, want 0", p.ArenaBytes)
	}
}

// denseWithNNZ is a one-layer graph whose rows x cols weight has exactly nnz nonzeros.
func denseWithNNZ(rows, cols, nnz int) *model.Graph {
	rng := rand.New(rand.NewSource(int64(rows*7919 + cols*31 + nnz)))
	n := denseNode(rng, "fc", "x", "y", rows, cols, true)
	perm := rng.Perm(rows * cols)
	for _, i := range perm[nnz:] {
		n.Weight.Data[i] = 0
	}
	for _, i := range perm[:nnz] {
		if n.Weight.Data[i] == 0 {
			n.Weight.Data[i] = 0.5
		}
	}
	return graph("fc", "x", []int{cols}, "y", n)
}

func TestWeightFormatBreakEven(t *testing.T) {
	cases := []struct {
		rows, cols, nnz int
		want            string
		idx, ptr        int
	}{
		// 8x32: dense 1024 B; CSR 5*nnz + 9*2 (uint8 index, uint16 row pointers).
		{8, 32, 201, FormatCSR, 1, 2},   // 1023 < 1024
		{8, 32, 202, FormatDense, 1, 2}, // 1028
		// 2x300: dense 2400 B; CSR 6*nnz + 3*2 (uint16 index).
		{2, 300, 398, FormatCSR, 2, 2},   // 2394
		{2, 300, 399, FormatDense, 2, 2}, // 2400, not smaller
		{4, 16, 0, FormatCSR, 1, 2},
	}
	for _, c := range cases {
		g := denseWithNNZ(c.rows, c.cols, c.nnz)
		p := mustPlan(t, g, Options{})
		l := p.Layers[0]
		wantCSR := c.nnz*(4+c.idx) + (c.rows+1)*c.ptr + c.rows*4
		if l.Format != c.want || l.NNZ != c.nnz || l.CSRWeightBytes != wantCSR || l.DenseWeightBytes != (c.rows*c.cols+c.rows)*4 {
			t.Errorf("%dx%d nnz %d: format %s nnz %d csr %d dense %d; want %s csr %d", c.rows, c.cols, c.nnz, l.Format, l.NNZ, l.CSRWeightBytes, l.DenseWeightBytes, c.want, wantCSR)
		}
		if c.want == FormatCSR && (l.IndexBytes != c.idx || l.RowPtrBytes != c.ptr || l.WeightBytes != wantCSR || l.EffectiveMACs != c.nnz) {
			t.Errorf("%dx%d nnz %d: index %d ptr %d weight bytes %d effective MACs %d", c.rows, c.cols, c.nnz, l.IndexBytes, l.RowPtrBytes, l.WeightBytes, l.EffectiveMACs)
		}
		if p.WeightBytes != l.WeightBytes || p.DenseWeightBytes != l.DenseWeightBytes {
			t.Errorf("plan totals %d/%d, layer %d/%d", p.WeightBytes, p.DenseWeightBytes, l.WeightBytes, l.DenseWeightBytes)
		}
	}
	if idx, ptr, err := csrIndexBytes(40000, 70000); err != nil || idx != 2 || ptr != 4 {
		t.Errorf("csrIndexBytes(40000, 70000) = %d, %d, %v; want 2, 4", idx, ptr, err)
	}
	if _, _, err := csrIndexBytes(70000, 10); err == nil {
		t.Error("csrIndexBytes accepted 70000 columns")
	}
}

// bruteConvMACs counts in-bounds taps of a Conv node over all (or only nonzero) weights.
func bruteConvMACs(n *model.Node, in, out []int, nonzeroOnly bool) int {
	s, p, d := n.ConvGeometry()
	w := n.Weight.Shape
	count := 0
	for m := 0; m < w[0]; m++ {
		for ci := 0; ci < w[1]; ci++ {
			for ky := 0; ky < w[2]; ky++ {
				for kx := 0; kx < w[3]; kx++ {
					if nonzeroOnly && n.Weight.Data[((m*w[1]+ci)*w[2]+ky)*w[3]+kx] == 0 {
						continue
					}
					for oy := 0; oy < out[1]; oy++ {
						for ox := 0; ox < out[2]; ox++ {
							iy, ix := oy*s[0]-p[0]+ky*d[0], ox*s[1]-p[1]+kx*d[1]
							if iy >= 0 && iy < in[1] && ix >= 0 && ix < in[2] {
								count++
							}
						}
					}
				}
			}
		}
	}
	return count
}

func TestMACCounts(t *testing.T) {
	for _, g := range []*model.Graph{convNet(1), prune(convNet(1), 0.8), residualNet(2), prune(residualNet(2), 0.9)} {
		if err := g.Validate(); err != nil {
			t.Fatal(err)
		}
		for _, format := range []string{FormatDense, FormatCSR} {
			p := mustPlan(t, g, Options{Format: format})
			for _, n := range g.Nodes {
				l := layerByNode(t, p, n.Name)
				switch n.Op {
				case model.OpConv:
					in, out := g.Shapes[n.Inputs[0]], g.Shapes[n.Outputs[0]]
					if want := bruteConvMACs(n, in, out, false); l.MACs != want {
						t.Errorf("%s/%s: MACs %d, want %d", g.Name, n.Name, l.MACs, want)
					}
					want := l.MACs
					if format == FormatCSR {
						want = bruteConvMACs(n, in, out, true)
					}
					if l.EffectiveMACs != want {
						t.Errorf("%s/%s %s: effective MACs %d, want %d", g.Name, n.Name, format, l.EffectiveMACs, want)
					}
				case model.OpDense:
					if l.MACs != n.Weight.Len() {
						t.Errorf("%s/%s: MACs %d, want %d", g.Name, n.Name, l.MACs, n.Weight.Len())
					}
				}
			}
		}
	}
}

func TestPlanErrors(t *testing.T) {
	twoIn := convNet(1)
	twoIn.Inputs = append(twoIn.Inputs, model.Value{Name: "extra", Shape: []int{3}})
	nan := convNet(1)
	nan.Nodes[3].Weight.Data[5] = float32(math.NaN())
	wide := graph("wide", "x", []int{70000}, "y", denseNode(rand.New(rand.NewSource(1)), "very wide", "x", "y", 1, 70000, false))
	bad := convNet(1)
	bad.Nodes[2].Op = "LSTM"
	cases := []struct {
		name string
		g    *model.Graph
		opts Options
		want []string
	}{
		{"two inputs", twoIn, Options{}, []string{"2 inputs", "exactly one"}},
		{"nan weight", nan, Options{}, []string{`"c2"`, "NaN"}},
		{"csr too wide", wide, Options{Format: FormatCSR}, []string{`"very wide"`, "70000 columns"}},
		{"unknown op", bad, Options{}, []string{`"p1"`, "unknown IR operator"}},
		{"unknown layer format node", convNet(1), Options{LayerFormats: map[string]string{"nope": FormatCSR}}, []string{`"nope"`}},
		{"bad layer format", convNet(1), Options{LayerFormats: map[string]string{"c1": "coo"}}, []string{`"c1"`, `"coo"`}},
		{"bad prefix", convNet(1), Options{Prefix: "9lives"}, []string{`"9lives"`}},
		{"bad format", convNet(1), Options{Format: "sparse"}, []string{`"sparse"`}},
		{"nil graph", nil, Options{}, []string{"nil graph"}},
	}
	for _, c := range cases {
		_, err := PlanGraph(c.g, c.opts)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %s", c.name, err, w)
			}
		}
		if _, gerr := Generate(c.g, c.opts); gerr == nil {
			t.Errorf("%s: Generate succeeded where PlanGraph failed", c.name)
		}
	}
}

func TestPlanLeavesGraphAlone(t *testing.T) {
	g := convNet(1)
	before := g.Hash()
	if _, err := Generate(g, Options{}); err != nil {
		t.Fatal(err)
	}
	if g.Shapes != nil || g.Outputs[0].Shape != nil || g.Hash() != before {
		t.Errorf("Generate modified the graph (shapes %v, output shape %v)", g.Shapes != nil, g.Outputs[0].Shape)
	}
}

func TestPlanTotals(t *testing.T) {
	g := prune(convNet(1), 0.85)
	p := mustPlan(t, g, Options{})
	sumW, sumMAC, sumEff := 0, 0, 0
	for _, l := range p.Layers {
		sumW += l.WeightBytes
		sumMAC += l.MACs
		sumEff += l.EffectiveMACs
	}
	if p.WeightBytes != sumW || p.MACs != sumMAC || p.EffectiveMACs != sumEff || p.Params != g.NumParams() {
		t.Errorf("totals: weights %d/%d MACs %d/%d eff %d/%d params %d/%d", p.WeightBytes, sumW, p.MACs, sumMAC, p.EffectiveMACs, sumEff, p.Params, g.NumParams())
	}
	if p.WeightBytes >= p.DenseWeightBytes || p.EffectiveMACs >= p.MACs {
		t.Errorf("85%% pruned: weight bytes %d (dense %d), effective MACs %d (dense %d); want both smaller", p.WeightBytes, p.DenseWeightBytes, p.EffectiveMACs, p.MACs)
	}
	if p.CodeBytesEstimate <= 0 || p.IOBytes != (3*12*12+10)*4 {
		t.Errorf("code estimate %d, IO bytes %d", p.CodeBytesEstimate, p.IOBytes)
	}
}
