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
	// c1 -> r1 -> p1 (2x2 stride 2): the pool computes conv and ReLU on the fly.
	if l := layerByNode(t, p, "r1"); l.FusedInto != "p1" || l.Kernel != "" {
		t.Errorf("r1: FusedInto %q kernel %q, want fused into p1 with no kernel", l.FusedInto, l.Kernel)
	}
	if l := layerByNode(t, p, "c1"); !l.FusedRelu || l.Kind != KindConv || l.FusedInto != "p1" || l.Kernel != "" || l.OutBuffer != "none" {
		t.Errorf("c1: FusedRelu %v kind %q FusedInto %q kernel %q buffer %q", l.FusedRelu, l.Kind, l.FusedInto, l.Kernel, l.OutBuffer)
	}
	if l := layerByNode(t, p, "p1"); l.FusedConv != "c1" || l.Kernel != "conv2d" || l.OutBuffer != BufferArena {
		t.Errorf("p1: FusedConv %q kernel %q buffer %q, want the conv2d kernel computing c1", l.FusedConv, l.Kernel, l.OutBuffer)
	}
	for _, b := range p.Buffers {
		for _, v := range b.Values {
			if v == "c1" || v == "r1" {
				t.Errorf("fused conv output %q has an arena buffer %+v", v, b)
			}
		}
	}
	// The overlapping 3x3 stride-2 average pool after c2 is not fused.
	if l := layerByNode(t, p, "c2"); l.FusedInto != "" || l.Kernel != "conv2d" {
		t.Errorf("c2: FusedInto %q kernel %q, want its own conv2d call", l.FusedInto, l.Kernel)
	}
	q := mustPlan(t, convNet(1), Options{NoConvPoolFusion: true})
	if l := layerByNode(t, q, "r1"); l.FusedInto != "c1" || q.ArenaBytes <= p.ArenaBytes {
		t.Errorf("without fusion: r1 FusedInto %q, arena %d (fused %d); want fused into c1 and a larger arena", l.FusedInto, q.ArenaBytes, p.ArenaBytes)
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

// denseAt is a one-row-per-pattern dense graph whose weights are zero except at the given
// (row, column) positions.
func denseAt(rows, cols int, at [][2]int) *model.Graph {
	n := denseNode(rand.New(rand.NewSource(1)), "fc", "x", "y", rows, cols, true)
	for i := range n.Weight.Data {
		n.Weight.Data[i] = 0
	}
	for k, rc := range at {
		n.Weight.Data[rc[0]*cols+rc[1]] = 0.25 + float32(k)
	}
	return graph("fc", "x", []int{cols}, "y", n)
}

func TestWeightFormatBreakEven(t *testing.T) {
	cases := []struct {
		name    string
		g       *model.Graph
		want    string
		entries int // stored entries of the chosen sparse format
	}{
		// 8x32: dense 1024 B + 32 B bias. With no gap above 16, rcsr4 stores
		// 4.5 B per nonzero (rounded up) + 9 uint16 row pointers: 223 -> 1022 B, 224 -> 1026 B.
		{"rcsr4 just below", denseWithNNZ(8, 32, 223), FormatRCSR4, 223},
		{"dense at rcsr4 break-even", denseWithNNZ(8, 32, 224), FormatDense, 0},
		{"full matrix", denseWithNNZ(8, 32, 256), FormatDense, 0},
		// Gaps of 100 need 6 fillers each in 4 bits: csr (3*5 + 2*2 = 19 B) ties rcsr8
		// (3*4 + 3 + 4 = 19 B) and wins the tie.
		{"csr on tie with rcsr8", denseAt(1, 256, [][2]int{{0, 0}, {0, 100}, {0, 200}}), FormatCSR, 3},
		// 1000 columns need uint16 absolute indices (5*6 + 4 = 34 B); 8-bit gaps of 200 fit
		// (5*5 + 4 = 29 B).
		{"rcsr8 over wide csr", denseAt(1, 1000, [][2]int{{0, 0}, {0, 200}, {0, 400}, {0, 600}, {0, 800}}), FormatRCSR8, 5},
		{"empty", denseWithNNZ(4, 16, 0), FormatCSR, 0},
	}
	for _, c := range cases {
		p := mustPlan(t, c.g, Options{})
		l := p.Layers[0]
		rows, cols := l.Rows, l.Cols
		csr, err := csrBytes(rows, cols, l.NNZ)
		if err != nil {
			t.Fatal(err)
		}
		bias := rows * 4
		if l.Format != c.want || l.CSRWeightBytes != csr+bias || l.DenseWeightBytes != (rows*cols+rows)*4 {
			t.Errorf("%s: format %s csr %d dense %d; want %s csr %d", c.name, l.Format, l.CSRWeightBytes, l.DenseWeightBytes, c.want, csr+bias)
		}
		best := min(l.DenseWeightBytes, l.CSRWeightBytes, l.RCSR8WeightBytes, l.RCSR4WeightBytes)
		if l.WeightBytes != best || p.WeightBytes != l.WeightBytes {
			t.Errorf("%s: chose %d B (plan %d), smallest of dense %d csr %d rcsr8 %d rcsr4 %d is %d", c.name, l.WeightBytes, p.WeightBytes, l.DenseWeightBytes, l.CSRWeightBytes, l.RCSR8WeightBytes, l.RCSR4WeightBytes, best)
		}
		if c.want != FormatDense && (l.StoredEntries != c.entries || l.EffectiveMACs != c.entries) {
			t.Errorf("%s: stored entries %d, effective MACs %d; want %d", c.name, l.StoredEntries, l.EffectiveMACs, c.entries)
		}
	}
	if idx, ptr, err := csrIndexBytes(40000, 70000); err != nil || idx != 2 || ptr != 4 {
		t.Errorf("csrIndexBytes(40000, 70000) = %d, %d, %v; want 2, 4", idx, ptr, err)
	}
	if _, _, err := csrIndexBytes(70000, 10); err == nil {
		t.Error("csrIndexBytes accepted 70000 columns")
	}
}

// TestRelativeEncoding decodes the gap codes back to columns, checks the fillers and the
// nibble packing.
func TestRelativeEncoding(t *testing.T) {
	g := denseAt(3, 300, [][2]int{{0, 0}, {0, 16}, {0, 17}, {0, 299}, {2, 40}})
	w := g.Nodes[0].Weight
	for _, bits := range []int{4, 8} {
		m, err := encodeRelative(w, 3, bits)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.values) != relEntries(w, 3, bits) {
			t.Errorf("%d bits: %d entries, relEntries %d", bits, len(m.values), relEntries(w, 3, bits))
		}
		real := 0
		for r := 0; r < 3; r++ {
			c := -1
			for j := m.rowPtr[r]; j < m.rowPtr[r+1]; j++ {
				code := m.gapCodes[j]
				if code < 0 || code >= 1<<bits {
					t.Fatalf("%d bits: code %d out of range", bits, code)
				}
				if bits == 4 {
					packed := m.packedGapCodes()
					if got := (packed[j/2] >> (4 * (j % 2))) & 15; got != code {
						t.Fatalf("nibble %d: packed %d, code %d", j, got, code)
					}
				}
				c += code + 1
				if c != m.colIdx[j] || m.values[j] != w.Data[r*300+c] {
					t.Fatalf("%d bits row %d entry %d: column %d (stored %d) value %g, weight %g", bits, r, j, c, m.colIdx[j], m.values[j], w.Data[r*300+c])
				}
				if m.values[j] != 0 {
					real++
				}
			}
		}
		if real != 5 {
			t.Errorf("%d bits: %d real entries, want 5", bits, real)
		}
	}
	// Row 0 in 4 bits: 0, 16 (gap 16 fits), 17, then 299 needs fillers at 33, 49, ..., 289.
	if n := relEntries(w, 3, 4); n != 4+17+3 {
		t.Errorf("4-bit entries %d, want %d", n, 4+17+3)
	}
	if n := relEntries(w, 3, 8); n != 5+1 {
		t.Errorf("8-bit entries %d, want 6 (one filler for the gap of 282)", n)
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
	bad.Nodes[2].Op = "NoSuchOperator"
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

// TestPlanConstantsAndBroadcasting: a broadcasting Add of a constant plans (layer_bcast.go); a
// constant read by an operator without a constant-operand kernel is rejected by name.
func TestPlanConstantsAndBroadcasting(t *testing.T) {
	bias := model.NewTensor(4, 1, 1)
	g := &model.Graph{
		Name:    "bcast",
		Inputs:  []model.Value{{Name: "x", Shape: []int{4, 3, 3}}},
		Outputs: []model.Value{{Name: "y"}},
		Consts:  []model.Const{{Name: "b", Tensor: bias}},
		Nodes:   []*model.Node{{Name: "plus b", Op: model.OpAdd, Inputs: []string{"x", "b"}, Outputs: []string{"y"}}},
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	if l := layerByNode(t, mustPlan(t, g, Options{}), "plus b"); l.Kernel != "bcast_add" {
		t.Errorf("Add of a per-channel constant: kernel %q, want bcast_add", l.Kernel)
	}
	g.Nodes = []*model.Node{
		{Name: "relu b", Op: model.OpRelu, Inputs: []string{"b"}, Outputs: []string{"r"}},
		{Name: "plus r", Op: model.OpAdd, Inputs: []string{"x", "r"}, Outputs: []string{"y"}},
	}
	_, err := PlanGraph(g, Options{})
	if err == nil || !strings.Contains(err.Error(), `"relu b"`) || !strings.Contains(err.Error(), "constant") {
		t.Errorf("Relu of a constant: err = %v, want an error naming the node and the constant", err)
	}
}
