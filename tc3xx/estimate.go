package tc3xx

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

// Cost is the estimate for one design point on one target and placement.
type Cost struct {
	Target      string              `json:"target"`
	Weights     Placement           `json:"weights"`
	Activations ActivationPlacement `json:"activations"`
	Cycles      int64               `json:"cycles"`
	TimeUS      float64             `json:"time_us"`
	// ROMBytes = WeightBytes + CodeBytes (the weights' initial image stays in PFlash whatever
	// the placement). RAMBytes = ArenaBytes + IOBytes, plus WeightBytes when the weights are
	// copied into a RAM (DSPR or LMU).
	ROMBytes    int64 `json:"rom_bytes"`
	RAMBytes    int64 `json:"ram_bytes"`
	WeightBytes int64 `json:"weight_bytes"`
	CodeBytes   int64 `json:"code_bytes"`
	ArenaBytes  int64 `json:"arena_bytes"`
	IOBytes     int64 `json:"io_bytes"`
	// RAMLimit is the size of the memory holding the activations (the core's DSPR or DLMU),
	// ROMLimit the derivative's PFlash.
	RAMLimit int64 `json:"ram_limit"`
	ROMLimit int64 `json:"rom_limit"`
	// Memories lists the use of every memory the placement touches.
	Memories []MemoryUse `json:"memories"`
	Fits     bool        `json:"fits"`
	// Reason says why the design point does not fit, with the numbers; empty when it fits.
	Reason string      `json:"reason,omitempty"`
	Layers []LayerCost `json:"layers"`
}

// MemoryUse is how many bytes of one memory a placement uses, and its size.
type MemoryUse struct {
	Memory string `json:"memory"` // e.g. "DSPR of CPU2", "LMU of TC387", "PFlash of TC387"
	Used   int64  `json:"used"`
	Limit  int64  `json:"limit"`
}

// LayerCost is the cycle estimate of one layer, split by cause.
type LayerCost struct {
	Node   string `json:"node"`
	Kind   string `json:"kind"`
	Format string `json:"format,omitempty"`
	DType  string `json:"dtype,omitempty"`
	Cycles int64  `json:"cycles"`
	// Compute covers MACs, window taps and elementwise work; Index the CSR bookkeeping; Memory
	// the weight and activation traffic from memories slower than the DSPR; Overhead the call,
	// loop, per-output and requantization costs.
	Compute  float64 `json:"compute"`
	Index    float64 `json:"index"`
	Memory   float64 `json:"memory"`
	Overhead float64 `json:"overhead"`
	// Counts says how often the layer incurs each cost parameter; Fixed are the cycles that
	// come from the catalog (PFlash array reads). Cycles = Σ value·count + Fixed, rounded.
	Counts map[string]float64 `json:"counts,omitempty"`
	Fixed  float64            `json:"fixed,omitempty"`
}

// Estimate estimates the plan of graph g on target t with the built-in cost model of t's core
// architecture. The plan must have been made for g (same nodes in the same order).
func Estimate(g *model.Graph, plan *codegen.Plan, t Target) (Cost, error) {
	m, err := CostModelFor(t.Core.Arch)
	if err != nil {
		return Cost{}, err
	}
	return EstimateWith(m, g, plan, t)
}

// EstimateWith is Estimate with an explicit cost model (a calibrated one, or one for
// experiments). The model's architecture must be the core's.
func EstimateWith(m CostModel, g *model.Graph, plan *codegen.Plan, t Target) (Cost, error) {
	if t.Core.Arch != "" && m.Arch != t.Core.Arch {
		return Cost{}, fmt.Errorf("tc3xx: cost model for %s used on %s, whose core is a %s", m.Arch, t, t.Core.Arch)
	}
	if err := m.Validate(); err != nil {
		return Cost{}, err
	}
	if g == nil || plan == nil {
		return Cost{}, fmt.Errorf("tc3xx: Estimate needs a graph and its plan")
	}
	if len(plan.Layers) != len(g.Nodes) {
		return Cost{}, fmt.Errorf("tc3xx: plan of graph %q has %d layers, graph %q has %d nodes", plan.Graph, len(plan.Layers), g.Name, len(g.Nodes))
	}
	if t.Core.Clock.Value <= 0 || t.Core.DSPR.Value <= 0 {
		return Cost{}, fmt.Errorf("tc3xx: target %s has no clock or DSPR size", t)
	}
	t = t.withDefaults()
	if err := t.Weights.check(); err != nil {
		return Cost{}, fmt.Errorf("tc3xx: target %s: %v", t, err)
	}
	if err := t.Activations.check(); err != nil {
		return Cost{}, fmt.Errorf("tc3xx: target %s: %v", t, err)
	}
	c := Cost{
		Target:      t.String(),
		Weights:     t.Weights,
		Activations: t.Activations,
		WeightBytes: int64(plan.WeightBytes),
		CodeBytes:   int64(plan.CodeBytesEstimate),
		ArenaBytes:  int64(plan.ArenaBytes),
		IOBytes:     int64(plan.IOBytes),
		ROMLimit:    t.Derivative.PFlash.Value,
	}
	c.ROMBytes = c.WeightBytes + c.CodeBytes
	c.RAMBytes = c.ArenaBytes + c.IOBytes
	if t.Weights == WeightsInDSPR || t.Weights == WeightsInLMU {
		c.RAMBytes += c.WeightBytes
	}
	valueBytes := map[string]int{plan.Input.Name: plan.Input.Bytes}
	for _, l := range plan.Layers {
		valueBytes[l.Output] = l.OutBytes
	}
	lineBytes, _ := m.Param("line_bytes")
	for i, l := range plan.Layers {
		n := g.Nodes[i]
		if n.Name != l.Node || string(n.Op) != l.Op {
			return Cost{}, fmt.Errorf("tc3xx: plan layer %d is %q (%s) but graph node %d is %q (%s)", i, l.Node, l.Op, i, n.Name, n.Op)
		}
		inBytes := 0
		for _, in := range l.Inputs {
			inBytes += valueBytes[in]
		}
		lc, err := layerCounts(n, l, t, lineBytes, inBytes)
		if err != nil {
			return Cost{}, err
		}
		price(m, &lc)
		c.Layers = append(c.Layers, lc)
		c.Cycles += lc.Cycles
	}
	c.TimeUS = float64(c.Cycles) / (float64(t.Core.Clock.Value) / 1e6)
	c.Memories, c.RAMLimit = memories(c, t)
	c.Fits, c.Reason = fits(c, t)
	return c, nil
}

// price turns a layer's counts into cycles with the model's values.
func price(m CostModel, lc *LayerCost) {
	lc.Compute, lc.Index, lc.Memory, lc.Overhead = 0, 0, lc.Fixed, 0
	for _, name := range sortedKeys(lc.Counts) {
		v, _ := m.Param(name)
		cyc := v * lc.Counts[name]
		switch m.category(name) {
		case Compute:
			lc.Compute += cyc
		case Index:
			lc.Index += cyc
		case Memory:
			lc.Memory += cyc
		default:
			lc.Overhead += cyc
		}
	}
	lc.Cycles = int64(math.Round(lc.Compute + lc.Index + lc.Memory + lc.Overhead))
}

// layerCounts says how often layer l incurs each cost parameter on target t (see the package
// documentation for the formulas). inBytes is the size of the layer's inputs.
func layerCounts(n *model.Node, l codegen.LayerPlan, t Target, lineBytes float64, inBytes int) (LayerCost, error) {
	lc := LayerCost{Node: l.Node, Kind: l.Kind, Format: l.Format, DType: "float32", Counts: map[string]float64{}}
	fused := l.Kernel == "" // emits no code of its own
	if fused && l.Kind != codegen.KindConv && l.Kind != codegen.KindDense && l.Kind != KindRecurrent {
		if op := model.Op(l.Op); l.FusedInto != "" && (op == model.OpSigmoid || op == model.OpTanh) {
			// Applied in its producer's output loop: no call and no pass over memory, but
			// the exp or tanh of every element is still computed.
			lc.Counts["gate_act"] = float64(l.Outputs)
			return lc, nil
		}
		lc.Counts = nil // alias reshape, or a compare/select activation fused into its producer
		return lc, nil
	}
	add := func(name string, v float64) {
		if v != 0 {
			lc.Counts[name] += v
		}
	}
	quantized := n.Attrs.Quant != nil
	mac := "mac"
	if quantized {
		lc.DType, mac = "int8", "mac_q8"
	}
	// denseQ8 adds the partial-sum traffic of the int8 dense dot product (q8_dot) on top of
	// the MACs: dense int8 Conv, Dense and recurrent layers; sparse int8 kernels accumulate
	// in a register.
	denseQ8 := func(macs float64) {
		if quantized {
			add("q8_dot_partial", macs)
		}
	}
	out := float64(l.Outputs)
	eff := float64(l.EffectiveMACs)
	weightLines := 0.0 // lines of weights read from a memory other than the DSPR
	if l.WeightBytes > 0 {
		weightLines = math.Ceil(float64(l.WeightBytes) / lineBytes)
	}
	inReads := 1.0 // how often the inputs are streamed (activation traffic in the DLMU)
	if !fused {
		add("call", 1) // a conv computed inside a fused pooling kernel has no call of its own
	}
	// Any format other than dense is a sparse row format (CSR and its variants, sparse8):
	// stored entries are walked with an index each.
	sparse := l.Format != "" && l.Format != codegen.FormatDense
	switch l.Kind {
	case codegen.KindConv:
		oneD := n.Weight != nil && len(n.Weight.Shape) == 3 && len(l.OutShape) == 2 // Conv1d: height 1
		if !oneD && (n.Weight == nil || len(n.Weight.Shape) != 4 || len(l.OutShape) != 3) {
			return lc, fmt.Errorf("tc3xx: node %q: Conv without a 4-D weight and 3-D output (or 3-D and 2-D in 1D)", n.Name)
		}
		kh, outRows := 1.0, 1
		if !oneD {
			kh, outRows = float64(n.Weight.Shape[2]), l.OutShape[1]
		}
		cpg := float64(n.Weight.Shape[1])
		if groups := n.Attrs.Group; groups > 1 && n.Weight.Shape[1] == 1 && groups == n.Weight.Shape[0] {
			lc.Kind = KindDepthwise
		}
		positions := float64(outRows * l.OutShape[len(l.OutShape)-1])
		if quantized && l.Format == codegen.FormatSparse8 {
			// int8 sparse8 convolutions gather: every output position walks each row's entries,
			// reading the input through the tap offset table (no window copy; border windows of
			// padded convolutions, which copy one, are not priced).
			add(mac, eff)
			add("csr_index", eff) // the column byte, scaled into the offset table
			add("sparse8_offset", eff)
			add("csr_row", float64(l.Rows)*positions)
			add("output", out)
		} else if quantized {
			// The other int8 kernels (dense, csr, rcsr8, rcsr4) copy the kernel window of every
			// group into a patch at every output position, then take one dot product per output
			// channel: dense over the whole row, sparse over the row's stored entries.
			window := positions * float64(max(1, n.Attrs.Group)*l.Cols) // window elements copied
			add("q8_gather_tap", window)
			add("q8_gather_row", window/float64(n.Weight.Shape[len(n.Weight.Shape)-1])) // kernel rows of kW taps
			add(mac, eff)
			if sparse {
				add("csr_index", eff)
				add("csr_row", float64(l.Rows)*positions)
				addRelDecode(l, eff, add)
			} else {
				add("loop", out) // one dot product per output
				denseQ8(eff)
				if slice := float64(l.Cols); t.Weights != WeightsInDSPR && slice > float64(t.Core.DCache.Value) {
					weightLines = math.Ceil(eff / lineBytes) // the weights are evicted between output positions
				}
			}
			add("output", out)
		} else if sparse { // float32 CSR formats (float layers never take sparse8)
			add("scatter_mac", eff)
			add("csr_conv_decode", float64(l.NNZ))
			add("loop", float64(l.NNZ*outRows))
			add("output", out) // bias initialisation and the ReLU pass, half each
		} else {
			add(mac, eff)
			add("loop", out*cpg*kh)
			add("output", out)
			if slice := float64(l.Cols * 4); t.Weights != WeightsInDSPR && slice > float64(t.Core.DCache.Value) {
				weightLines = math.Ceil(eff * 4 / lineBytes) // the slice is evicted between output positions
			}
		}
		if float64(inBytes) > float64(t.Core.DCache.Value)/2 {
			inReads = float64(l.OutShape[0]) // every output channel streams the input again
		}
	case codegen.KindDense:
		add(mac, eff)
		add("output", out)
		if sparse {
			add("csr_index", eff)
			add("csr_row", float64(l.Rows))
			if quantized {
				addRelDecode(l, eff, add)
			}
		} else {
			denseQ8(eff)
		}
		if float64(inBytes) > float64(t.Core.DCache.Value)/2 {
			inReads = out
		}
	case KindRecurrent:
		// Recurrent layers: l.MACs covers every gate matrix over all steps; l.Ops counts the
		// gate elements passed through sigmoid or tanh.
		add(mac, eff)
		denseQ8(eff)
		add("gate_act", float64(l.Ops))
		add("output", out)
		if quantized && l.Cols > 0 { // int8: the input and the recurrent part of every gate row, every step
			add("requant", 2*float64(l.MACs/l.Cols))
		}
	case codegen.KindPool, KindReduce:
		add("pool_tap", float64(l.Ops)) // window elements (pooling) or elements reduced (mean)
		add("output", out)
	case codegen.KindElementwise:
		switch model.Op(l.Op) {
		case model.OpAdd, model.OpSub, model.OpMul, model.OpDiv:
			add("elementwise", out)
		case model.OpSigmoid, model.OpTanh:
			add("gate_act", out) // exp or tanh per element, like a recurrent gate
		default:
			add("relu", out) // Relu, Clip, LeakyRelu, HardSwish, HardSigmoid: compare/select
		}
	case codegen.KindSoftmax:
		add("softmax_exp", out)
		add("softmax_elem", out)
	case codegen.KindReshape, codegen.KindMove: // a copying reshape; Concat, Pad, Transpose, Gather, Slice
		add("copy", out)
	default:
		return lc, fmt.Errorf("tc3xx: node %q: no cost rule for kernel class %q", n.Name, l.Kind)
	}
	if quantized {
		add("requant", out)
	}
	read := float64(t.Derivative.PFlashRead.Value)
	switch t.Weights {
	case WeightsInPFlash:
		add("pflash_line", weightLines)
		lc.Fixed = weightLines * read
	case WeightsInPFlashUncached:
		words := math.Ceil(float64(l.WeightBytes) / 4)
		if l.Kind == codegen.KindConv && !sparse {
			words = eff // no cache: every weight use is a bus read
		}
		add("pflash_nc_word", words)
		lc.Fixed = math.Ceil(float64(l.WeightBytes)/lineBytes) * read
	case WeightsInLMU:
		add("lmu_line", weightLines)
	}
	if t.Activations == ActivationsInDLMU {
		add("dlmu_line", math.Ceil(float64(inBytes)*inReads/lineBytes)+math.Ceil(float64(l.OutBytes)/lineBytes))
	}
	return lc, nil
}

// addRelDecode adds the decoding of 4-bit relative (gap) column indices of an int8 layer in
// format rcsr4: entries stored entries walked (fillers included). rcsr8's gap add costs no
// extra cycle (see rcsr4_decode).
func addRelDecode(l codegen.LayerPlan, entries float64, add func(string, float64)) {
	if l.Format == codegen.FormatRCSR4 {
		add("rcsr4_decode", entries)
	}
}

// Kernel classes the cost model knows besides codegen's.
const (
	// KindDepthwise is a convolution with one input channel per group (reported in LayerCost).
	KindDepthwise = "depthwise"
	// KindRecurrent is an RNN, LSTM or GRU layer.
	KindRecurrent = "recurrent"
	// KindReduce is a reduction such as Mean over spatial axes (Ops = elements read).
	KindReduce = "reduce"
)

// memories lists what the placement uses of each memory and returns the activation memory's
// size.
func memories(c Cost, t Target) ([]MemoryUse, int64) {
	core := strings.ToUpper(t.Core.Name)
	dev := strings.ToUpper(t.Derivative.Name)
	acts := c.ArenaBytes + c.IOBytes
	dspr := MemoryUse{Memory: "DSPR of " + core, Limit: t.Core.DSPR.Value}
	var out []MemoryUse
	actLimit := t.Core.DSPR.Value
	if t.Activations == ActivationsInDLMU {
		out = append(out, MemoryUse{Memory: "DLMU of " + core, Used: acts, Limit: t.Core.DLMU.Value})
		actLimit = t.Core.DLMU.Value
	} else {
		dspr.Used += acts
	}
	if t.Weights == WeightsInDSPR {
		dspr.Used += c.WeightBytes
	}
	if dspr.Used > 0 {
		out = append([]MemoryUse{dspr}, out...)
	}
	if t.Weights == WeightsInLMU {
		out = append(out, MemoryUse{Memory: "LMU of " + dev, Used: c.WeightBytes, Limit: t.Derivative.LMU.Value})
	}
	out = append(out, MemoryUse{Memory: "PFlash of " + dev, Used: c.ROMBytes, Limit: t.Derivative.PFlash.Value})
	return out, actLimit
}

// fits checks every memory the placement uses against its size and explains a failure in
// numbers.
func fits(c Cost, t Target) (bool, string) {
	var reasons []string
	for _, m := range c.Memories {
		if m.Used <= m.Limit {
			continue
		}
		if m.Limit == 0 {
			mem, owner, _ := strings.Cut(m.Memory, " of ")
			reasons = append(reasons, fmt.Sprintf("%s has no %s (needs %s)", owner, mem, kb(m.Used)))
			continue
		}
		var parts []string
		switch {
		case strings.HasPrefix(m.Memory, "PFlash"):
			reasons = append(reasons, fmt.Sprintf("ROM %s (weights %s + code %s) > %s %s",
				kb(m.Used), kb(c.WeightBytes), kb(c.CodeBytes), m.Memory, kb(m.Limit)))
			continue
		case strings.HasPrefix(m.Memory, "LMU"):
			reasons = append(reasons, fmt.Sprintf("weights %s > %s %s", kb(m.Used), m.Memory, kb(m.Limit)))
			continue
		}
		actsHere := strings.HasPrefix(m.Memory, "DLMU") || t.Activations == ActivationsInDSPR
		if actsHere {
			parts = append(parts, "arena "+kb(c.ArenaBytes), "I/O "+kb(c.IOBytes))
		}
		if strings.HasPrefix(m.Memory, "DSPR") && t.Weights == WeightsInDSPR {
			parts = append(parts, "weights "+kb(c.WeightBytes))
		}
		reasons = append(reasons, fmt.Sprintf("RAM %s (%s) > %s %s", kb(m.Used), strings.Join(parts, " + "), m.Memory, kb(m.Limit)))
	}
	return len(reasons) == 0, strings.Join(reasons, "; ")
}

// kb renders a byte count as KB with one decimal, plus the exact bytes.
func kb(b int64) string {
	return fmt.Sprintf("%.1f KB (%d B)", float64(b)/1024, b)
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Counts returns the cost's parameter counts summed over its layers, and the fixed cycles.
func (c Cost) Counts() (map[string]float64, float64) {
	sum := map[string]float64{}
	fixed := 0.0
	for _, l := range c.Layers {
		for k, v := range l.Counts {
			sum[k] += v
		}
		fixed += l.Fixed
	}
	return sum, fixed
}

// EstimateGraph plans g with opts (codegen's formats, per layer with LayerFormats) and
// estimates it on t with m, or with the built-in model of t's core when m is nil: the price of
// a candidate before anyone scores it, in microseconds of host time.
func EstimateGraph(m *CostModel, g *model.Graph, opts codegen.Options, t Target) (Cost, error) {
	plan, err := codegen.PlanGraph(g, opts)
	if err != nil {
		return Cost{}, err
	}
	if m == nil {
		return Estimate(g, plan, t)
	}
	return EstimateWith(*m, g, plan, t)
}
