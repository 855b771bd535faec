package tc3xx

import (
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

func TestLookup(t *testing.T) {
	tg, err := Lookup("tc387:cpu2")
	if err != nil {
		t.Fatal(err)
	}
	if tg.String() != "tc387:cpu2" || tg.Core.DSPR.Value != 96*1024 || tg.Core.Clock.Value != 300e6 ||
		tg.Core.Arch != "TC1.6.2P" || tg.Derivative.PFlash.Value != 10<<20 || tg.Weights != WeightsInPFlash {
		t.Errorf("tc387:cpu2 = %+v", tg)
	}
	tg, err = Lookup(" TC387:CPU0 ")
	if err != nil || tg.Core.DSPR.Value != 240*1024 || tg.Core.PSPR.Value != 64*1024 {
		t.Errorf("TC387:CPU0 = %+v, %v", tg, err)
	}
	if d, _ := DefaultCatalog().Derivative("tc387"); len(d.CPUs) != 4 {
		t.Errorf("tc387 has %d CPUs, want 4", len(d.CPUs))
	}
	cases := map[string][]string{
		"tc399:cpu0": {`"tc399"`, "tc387"},
		"tc387:cpu7": {`"cpu7"`, "cpu0, cpu1, cpu2, cpu3"},
		"tc387":      {"derivative:core", "tc387"},
		"":           {"derivative:core"},
		"tc387:":     {"derivative:core"},
	}
	for spec, wants := range cases {
		_, err := Lookup(spec)
		if err == nil {
			t.Errorf("Lookup(%q) succeeded", spec)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Lookup(%q) error %q does not mention %s", spec, err, w)
			}
		}
	}
}

func TestCatalogRecordsBasis(t *testing.T) {
	c := DefaultCatalog()
	for _, name := range c.Derivatives() {
		d, _ := c.Derivative(name)
		amounts := map[string]Amount{"pflash": d.PFlash, "dflash": d.DFlash, "lmu": d.LMU}
		for _, core := range d.CPUs {
			for k, a := range map[string]Amount{"clock": core.Clock, "dspr": core.DSPR, "pspr": core.PSPR, "dlmu": core.DLMU, "dcache": core.DCache, "pcache": core.PCache} {
				amounts[core.Name+"."+k] = a
			}
		}
		amounts["pflash_read_cycles"] = d.PFlashRead
		for k, a := range amounts {
			if (a.Basis != Documented && a.Basis != Assumed) || a.Source == "" || a.Value < 0 {
				t.Errorf("%s %s: %+v lacks a value, basis or source", name, k, a)
			}
		}
		for k, a := range map[string]Amount{"pflash": d.PFlash, "pflash_read_cycles": d.PFlashRead} {
			if a.Value <= 0 {
				t.Errorf("%s %s is %d", name, k, a.Value)
			}
		}
		for _, core := range d.CPUs {
			if core.Clock.Value <= 0 || core.DSPR.Value <= 0 || core.DCache.Value <= 0 {
				t.Errorf("%s:%s has clock %d, DSPR %d, data cache %d", name, core.Name, core.Clock.Value, core.DSPR.Value, core.DCache.Value)
			}
		}
	}
	for _, p := range TC162P.Params {
		if (p.Basis != Documented && p.Basis != Assumed) || p.Note == "" || p.Unit == "" || p.Category == "" {
			t.Errorf("cost parameter %s lacks basis, unit, category or note", p.Name)
		}
	}
	if err := TC162P.Validate(); err != nil {
		t.Error(err)
	}
}

func TestCatalogAdd(t *testing.T) {
	c := DefaultCatalog()
	mk := func(dspr int64) Derivative {
		a := func(v int64) Amount { return Amount{Value: v, Basis: Assumed, Source: "test"} }
		return Derivative{Name: "TC3TEST", Series: "test", PFlash: a(1 << 20),
			CPUs: []Core{{Name: "cpu0", Arch: "TC1.6.2P", Clock: a(100e6), DSPR: a(dspr)}}}
	}
	if err := c.Add(mk(8192)); err != nil {
		t.Fatal(err)
	}
	tg, err := c.Lookup("tc3test:cpu0")
	if err != nil || tg.Core.DSPR.Value != 8192 {
		t.Errorf("added derivative: %+v, %v", tg, err)
	}
	if _, err := Lookup("tc3test:cpu0"); err == nil {
		t.Error("Add on one catalog changed the default catalog")
	}
	if err := c.Add(mk(0)); err == nil || !strings.Contains(err.Error(), "DSPR") {
		t.Errorf("zero DSPR accepted: %v", err)
	}
	dup := mk(1)
	dup.CPUs = append(dup.CPUs, dup.CPUs[0])
	if err := c.Add(dup); err == nil {
		t.Error("repeated core name accepted")
	}
}

// Test graphs.

func randTensor(rng *rand.Rand, shape ...int) *model.Tensor {
	t := model.NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.Float64()*2 - 1)
	}
	return t
}

// denseChain is in -> dense(w0) -> relu -> dense(w1) ... with the last layer as output.
func denseChain(seed int64, in int, widths ...int) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	g := &model.Graph{Name: "chain", Inputs: []model.Value{{Name: "x", Shape: []int{in}}}}
	prev, k := "x", in
	for i, w := range widths {
		name := string(rune('a' + i))
		g.Nodes = append(g.Nodes, &model.Node{Name: name, Op: model.OpDense, Inputs: []string{prev}, Outputs: []string{name},
			Weight: randTensor(rng, w, k), Bias: randTensor(rng, w)})
		prev, k = name, w
		if i < len(widths)-1 {
			g.Nodes = append(g.Nodes, &model.Node{Name: name + "r", Op: model.OpRelu, Inputs: []string{prev}, Outputs: []string{name + "r"}})
			prev = name + "r"
		}
	}
	g.Outputs = []model.Value{{Name: prev}}
	return g
}

// convNet is conv(m channels, 3x3, pad 1) -> relu -> maxpool -> reshape -> dense(10).
func convNet(seed int64, c, hw, m int) *model.Graph {
	rng := rand.New(rand.NewSource(seed))
	return &model.Graph{Name: "conv", Inputs: []model.Value{{Name: "x", Shape: []int{c, hw, hw}}}, Outputs: []model.Value{{Name: "y"}},
		Nodes: []*model.Node{
			{Name: "conv", Op: model.OpConv, Inputs: []string{"x"}, Outputs: []string{"c"}, Weight: randTensor(rng, m, c, 3, 3), Bias: randTensor(rng, m),
				Attrs: model.Attrs{Pads: []int{1, 1, 1, 1}}},
			{Name: "relu", Op: model.OpRelu, Inputs: []string{"c"}, Outputs: []string{"r"}},
			{Name: "pool", Op: model.OpMaxPool, Inputs: []string{"r"}, Outputs: []string{"p"}, Attrs: model.Attrs{Kernel: []int{2, 2}, Strides: []int{2, 2}}},
			{Name: "flat", Op: model.OpReshape, Inputs: []string{"p"}, Outputs: []string{"f"}, Attrs: model.Attrs{Shape: []int{m * hw * hw / 4}}},
			{Name: "fc", Op: model.OpDense, Inputs: []string{"f"}, Outputs: []string{"y"}, Weight: randTensor(rng, 10, m*hw*hw/4)},
		}}
}

// zeroFraction zeroes every weight whose index hashes below the fraction (deterministic).
func zeroFraction(g *model.Graph, fraction float64, seed int64) *model.Graph {
	c := g.Clone()
	rng := rand.New(rand.NewSource(seed))
	for _, n := range c.PrunableLayers() {
		for i := range n.Weight.Data {
			if rng.Float64() < fraction {
				n.Weight.Data[i] = 0
			}
		}
	}
	return c
}

func planAndEstimate(t *testing.T, g *model.Graph, opts codegen.Options, target string) (*codegen.Plan, Cost) {
	t.Helper()
	p, err := codegen.PlanGraph(g, opts)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := Lookup(target)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Estimate(g, p, tg)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, l := range c.Layers {
		sum += l.Cycles
	}
	if sum != c.Cycles || c.Cycles <= 0 {
		t.Errorf("%s: layer cycles sum to %d, total %d", g.Name, sum, c.Cycles)
	}
	if want := float64(c.Cycles) / 300; c.TimeUS < want*0.999 || c.TimeUS > want*1.001 {
		t.Errorf("TimeUS %g, want cycles/300 MHz = %g", c.TimeUS, want)
	}
	return p, c
}

func TestEstimateGrowsWithMACs(t *testing.T) {
	var lastMACs int
	var lastCycles int64
	for _, width := range []int{8, 16, 32, 64, 128, 256} {
		p, c := planAndEstimate(t, denseChain(1, 64, width, width, 10), codegen.Options{}, "tc387:cpu2")
		if p.MACs <= lastMACs || c.Cycles <= lastCycles {
			t.Errorf("width %d: MACs %d (before %d), cycles %d (before %d); want both to grow", width, p.MACs, lastMACs, c.Cycles, lastCycles)
		}
		lastMACs, lastCycles = p.MACs, c.Cycles
	}
	lastCycles = 0
	for _, m := range []int{2, 4, 8, 16} {
		_, c := planAndEstimate(t, convNet(2, 3, 16, m), codegen.Options{}, "tc387:cpu0")
		if c.Cycles <= lastCycles {
			t.Errorf("conv with %d channels: cycles %d, not more than %d", m, c.Cycles, lastCycles)
		}
		lastCycles = c.Cycles
	}
}

func TestCSRAt90PercentSparsityIsCheaper(t *testing.T) {
	for _, g := range []*model.Graph{zeroFraction(denseChain(3, 256, 256, 128, 10), 0.9, 1), zeroFraction(convNet(4, 8, 16, 16), 0.9, 2)} {
		pd, dense := planAndEstimate(t, g, codegen.Options{Format: codegen.FormatDense}, "tc387:cpu2")
		pc, csr := planAndEstimate(t, g, codegen.Options{Format: codegen.FormatCSR}, "tc387:cpu2")
		if csr.Cycles >= dense.Cycles || csr.ROMBytes >= dense.ROMBytes {
			t.Errorf("%s at 90%% sparsity: CSR %d cycles %d B ROM, dense %d cycles %d B ROM; want CSR cheaper in both",
				g.Name, csr.Cycles, csr.ROMBytes, dense.Cycles, dense.ROMBytes)
		}
		for i, l := range csr.Layers {
			if pc.Layers[i].Format == codegen.FormatCSR && l.Cycles >= dense.Layers[i].Cycles {
				t.Errorf("%s layer %s: CSR %d cycles, dense %d", g.Name, l.Node, l.Cycles, dense.Layers[i].Cycles)
			}
		}
		if pc.WeightBytes >= pd.WeightBytes {
			t.Errorf("%s: CSR weights %d B, dense %d B", g.Name, pc.WeightBytes, pd.WeightBytes)
		}
	}
}

func TestTooBigArenaDoesNotFit(t *testing.T) {
	g := denseChain(5, 1, 30000, 1) // a 120000-byte activation, 240 KB of weights
	p, c := planAndEstimate(t, g, codegen.Options{}, "tc387:cpu2")
	if p.ArenaBytes != 120000 {
		t.Fatalf("arena %d, want 120000", p.ArenaBytes)
	}
	if c.Fits {
		t.Fatalf("fits on cpu2 with RAM %d > DSPR %d", c.RAMBytes, c.RAMLimit)
	}
	for _, w := range []string{"arena 117.2 KB (120000 B)", "DSPR of CPU2 96.0 KB (98304 B)", "RAM 117.2 KB (120008 B)"} {
		if !strings.Contains(c.Reason, w) {
			t.Errorf("reason %q does not contain %q", c.Reason, w)
		}
	}
	if _, c0 := planAndEstimate(t, g, codegen.Options{}, "tc387:cpu0"); !c0.Fits || c0.Reason != "" {
		t.Errorf("cpu0 (240 KB DSPR): fits %v reason %q", c0.Fits, c0.Reason)
	}
}

func TestROMAndRAMEqualThePlan(t *testing.T) {
	g := zeroFraction(convNet(6, 4, 12, 8), 0.5, 3)
	out, err := codegen.Generate(g, codegen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tg, _ := Lookup("tc387:cpu3")
	c, err := Estimate(g, out.Plan, tg)
	if err != nil {
		t.Fatal(err)
	}
	if c.ROMBytes != int64(out.Plan.WeightBytes+out.Plan.CodeBytesEstimate) || c.ROMBytes != int64(out.Manifest.ROMBytes) ||
		c.RAMBytes != int64(out.Manifest.RAMBytes) || c.WeightBytes != int64(out.Plan.WeightBytes) || c.ArenaBytes != int64(out.Plan.ArenaBytes) {
		t.Errorf("estimate ROM %d RAM %d; manifest ROM %d RAM %d; plan weights %d code %d arena %d",
			c.ROMBytes, c.RAMBytes, out.Manifest.ROMBytes, out.Manifest.RAMBytes, out.Plan.WeightBytes, out.Plan.CodeBytesEstimate, out.Plan.ArenaBytes)
	}
	// Weights in DSPR: counted as RAM, no flash line fills.
	tg.Weights = WeightsInDSPR
	d, err := Estimate(g, out.Plan, tg)
	if err != nil {
		t.Fatal(err)
	}
	if d.RAMBytes != c.RAMBytes+c.WeightBytes || d.ROMBytes != c.ROMBytes || d.Cycles >= c.Cycles {
		t.Errorf("weights in DSPR: RAM %d (pflash %d + weights %d), cycles %d (pflash %d)", d.RAMBytes, c.RAMBytes, c.WeightBytes, d.Cycles, c.Cycles)
	}
	for _, l := range d.Layers {
		if l.Memory != 0 {
			t.Errorf("weights in DSPR: layer %s has %g memory cycles", l.Node, l.Memory)
		}
	}
}

func TestEstimateRejectsMismatch(t *testing.T) {
	g := denseChain(7, 8, 4, 2)
	p, err := codegen.PlanGraph(g, codegen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	other := convNet(1, 1, 4, 2)
	tg, _ := Lookup("tc387:cpu0")
	if _, err := Estimate(other, p, tg); err == nil {
		t.Error("plan of another graph accepted")
	}
	tg.Weights = "emem"
	if _, err := Estimate(g, p, tg); err == nil || !strings.Contains(err.Error(), "emem") {
		t.Errorf("unknown placement: %v", err)
	}
	tg.Weights = ""
	tg.Core.Arch = "TC1.8P"
	if _, err := Estimate(g, p, tg); err == nil || !strings.Contains(err.Error(), "TC1.8P") {
		t.Errorf("unknown architecture: %v", err)
	}
	tg.Core.Arch = TC162P.Arch
	bad := CostModel{Arch: TC162P.Arch, Params: TC162P.Params[1:]}
	if _, err := EstimateWith(bad, g, p, tg); err == nil || !strings.Contains(err.Error(), `"mac"`) {
		t.Errorf("missing parameter: %v", err)
	}
}

func TestLeNetOnTC387(t *testing.T) {
	path := filepath.Join("../../shared/datasets", "mnist_lenet_onnx", "fyh620_lenet.onnx")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("LeNet not available: %v", err)
	}
	g, err := model.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pd, dense := planAndEstimate(t, g, codegen.Options{}, "tc387:cpu2")
	pruned := zeroFraction(g, 0.9, 9)
	pp, sparse := planAndEstimate(t, pruned, codegen.Options{}, "tc387:cpu2")
	if !dense.Fits || !sparse.Fits {
		t.Errorf("LeNet does not fit tc387:cpu2: %s / %s", dense.Reason, sparse.Reason)
	}
	if sparse.Cycles >= dense.Cycles || sparse.ROMBytes >= dense.ROMBytes {
		t.Errorf("90%% pruned LeNet: %d cycles %d B ROM, dense %d cycles %d B ROM", sparse.Cycles, sparse.ROMBytes, dense.Cycles, dense.ROMBytes)
	}
	t.Logf("LeNet on tc387:cpu2: dense %d cycles (%.0f us), ROM %d B, RAM %d B (arena %d); 90%% pruned %d cycles (%.0f us), ROM %d B (weights %d -> %d B)",
		dense.Cycles, dense.TimeUS, dense.ROMBytes, dense.RAMBytes, pd.ArenaBytes, sparse.Cycles, sparse.TimeUS, sparse.ROMBytes, pd.WeightBytes, pp.WeightBytes)
	for i, l := range dense.Layers {
		t.Logf("  %-10s %-11s %-5s %8d cycles | pruned %-5s %8d cycles", l.Node, l.Kind, l.Format, l.Cycles, sparse.Layers[i].Format, sparse.Layers[i].Cycles)
	}
}
