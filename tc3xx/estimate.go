package tc3xx

import (
	"fmt"
	"math"
	"strings"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

// Cost is the estimate for one design point on one target.
type Cost struct {
	Target string  `json:"target"`
	Cycles int64   `json:"cycles"`
	TimeUS float64 `json:"time_us"`
	// ROMBytes = WeightBytes + CodeBytes; RAMBytes = ArenaBytes + IOBytes (+ WeightBytes when
	// the weights are placed in DSPR).
	ROMBytes    int64 `json:"rom_bytes"`
	RAMBytes    int64 `json:"ram_bytes"`
	WeightBytes int64 `json:"weight_bytes"`
	CodeBytes   int64 `json:"code_bytes"`
	ArenaBytes  int64 `json:"arena_bytes"`
	IOBytes     int64 `json:"io_bytes"`
	// RAMLimit is the core's DSPR, ROMLimit the derivative's PFlash.
	RAMLimit int64 `json:"ram_limit"`
	ROMLimit int64 `json:"rom_limit"`
	Fits     bool  `json:"fits"`
	// Reason says why the design point does not fit, with the numbers; empty when it fits.
	Reason string      `json:"reason,omitempty"`
	Layers []LayerCost `json:"layers"`
}

// LayerCost is the cycle estimate of one layer, split by cause.
type LayerCost struct {
	Node   string `json:"node"`
	Kind   string `json:"kind"`
	Format string `json:"format,omitempty"`
	Cycles int64  `json:"cycles"`
	// Compute covers MACs, window taps and elementwise work; Index the CSR bookkeeping; Memory
	// the PFlash line fills; Overhead the call, loop and per-output costs.
	Compute  float64 `json:"compute"`
	Index    float64 `json:"index"`
	Memory   float64 `json:"memory"`
	Overhead float64 `json:"overhead"`
}

// Estimate estimates the plan of graph g on target t with the cost model of t's core
// architecture. The plan must have been made for g (same nodes in the same order).
func Estimate(g *model.Graph, plan *codegen.Plan, t Target) (Cost, error) {
	m, err := CostModelFor(t.Core.Arch)
	if err != nil {
		return Cost{}, err
	}
	return EstimateWith(m, g, plan, t)
}

// EstimateWith is Estimate with an explicit cost model (for calibration experiments).
func EstimateWith(m CostModel, g *model.Graph, plan *codegen.Plan, t Target) (Cost, error) {
	p, err := m.resolve()
	if err != nil {
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
	weights := t.Weights
	if weights == "" {
		weights = WeightsInPFlash
	}
	if weights != WeightsInPFlash && weights != WeightsInDSPR {
		return Cost{}, fmt.Errorf("tc3xx: target %s: unknown weight placement %q (want %q or %q)", t, weights, WeightsInPFlash, WeightsInDSPR)
	}
	c := Cost{
		Target:      t.String(),
		WeightBytes: int64(plan.WeightBytes),
		CodeBytes:   int64(plan.CodeBytesEstimate),
		ArenaBytes:  int64(plan.ArenaBytes),
		IOBytes:     int64(plan.IOBytes),
		RAMLimit:    t.Core.DSPR.Value,
		ROMLimit:    t.Derivative.PFlash.Value,
	}
	c.ROMBytes = c.WeightBytes + c.CodeBytes
	c.RAMBytes = c.ArenaBytes + c.IOBytes
	if weights == WeightsInDSPR {
		c.RAMBytes += c.WeightBytes
	}
	for i, l := range plan.Layers {
		n := g.Nodes[i]
		if n.Name != l.Node || string(n.Op) != l.Op {
			return Cost{}, fmt.Errorf("tc3xx: plan layer %d is %q (%s) but graph node %d is %q (%s)", i, l.Node, l.Op, i, n.Name, n.Op)
		}
		lc, err := layerCost(p, n, l, t, weights)
		if err != nil {
			return Cost{}, err
		}
		c.Layers = append(c.Layers, lc)
		c.Cycles += lc.Cycles
	}
	c.TimeUS = float64(c.Cycles) / (float64(t.Core.Clock.Value) / 1e6)
	c.Fits, c.Reason = fits(c, t, weights)
	return c, nil
}

func layerCost(p costParams, n *model.Node, l codegen.LayerPlan, t Target, weights Placement) (LayerCost, error) {
	lc := LayerCost{Node: l.Node, Kind: l.Kind, Format: l.Format}
	if l.Kernel == "" { // alias reshape or relu fused into its producer
		return lc, nil
	}
	out := float64(l.Outputs)
	eff := float64(l.EffectiveMACs)
	lines := 0.0
	if weights == WeightsInPFlash && l.WeightBytes > 0 {
		lines = math.Ceil(float64(l.WeightBytes) / p.lineBytes)
	}
	lc.Overhead = p.call
	switch l.Kind {
	case codegen.KindConv:
		if n.Weight == nil || len(n.Weight.Shape) != 4 || len(l.OutShape) != 3 {
			return lc, fmt.Errorf("tc3xx: node %q: Conv without a 4-D weight or 3-D output", n.Name)
		}
		kh := float64(n.Weight.Shape[2])
		cpg := float64(n.Weight.Shape[1])
		if l.Format == codegen.FormatCSR {
			lc.Compute = eff * p.scatterMAC
			lc.Index = float64(l.NNZ)*p.csrConvDecode + float64(l.NNZ*l.OutShape[1])*p.loop
			lc.Overhead += out * p.output // bias initialisation and the ReLU pass, half each
		} else {
			lc.Compute = eff * p.mac
			lc.Overhead += out*cpg*kh*p.loop + out*p.output
			if slice := float64(l.Cols * 4); weights == WeightsInPFlash && slice > float64(t.Core.DCache.Value) {
				lines = math.Ceil(eff * 4 / p.lineBytes) // the slice is evicted between output positions
			}
		}
	case codegen.KindDense:
		lc.Compute = eff * p.mac
		lc.Overhead += out * p.output
		if l.Format == codegen.FormatCSR {
			lc.Index = eff*p.csrIndex + float64(l.Rows)*p.csrRow
		}
	case codegen.KindPool:
		lc.Compute = float64(l.Ops) * p.poolTap
		lc.Overhead += out * p.output
	case codegen.KindElementwise:
		switch {
		case l.Op == string(model.OpAdd):
			lc.Compute = out * p.elementwise
		default:
			lc.Compute = out * p.relu
		}
	case codegen.KindSoftmax:
		lc.Compute = out * (p.softmaxExp + p.softmaxElem)
	case codegen.KindReshape: // a copying reshape
		lc.Compute = out * p.copy
	default:
		return lc, fmt.Errorf("tc3xx: node %q: no cost rule for kernel class %q", n.Name, l.Kind)
	}
	lc.Memory = lines * p.lineFill
	lc.Cycles = int64(math.Round(lc.Compute + lc.Index + lc.Memory + lc.Overhead))
	return lc, nil
}

// fits checks RAM against the core's DSPR and ROM against PFlash and explains a failure.
func fits(c Cost, t Target, weights Placement) (bool, string) {
	var reasons []string
	if c.RAMBytes > c.RAMLimit {
		parts := fmt.Sprintf("arena %s + I/O %s", kb(c.ArenaBytes), kb(c.IOBytes))
		if weights == WeightsInDSPR {
			parts += " + weights " + kb(c.WeightBytes)
		}
		reasons = append(reasons, fmt.Sprintf("RAM %s (%s) > DSPR of %s %s",
			kb(c.RAMBytes), parts, strings.ToUpper(t.Core.Name), kb(c.RAMLimit)))
	}
	if c.ROMBytes > c.ROMLimit {
		reasons = append(reasons, fmt.Sprintf("ROM %s (weights %s + code %s) > PFlash of %s %s",
			kb(c.ROMBytes), kb(c.WeightBytes), kb(c.CodeBytes), strings.ToUpper(t.Derivative.Name), kb(c.ROMLimit)))
	}
	return len(reasons) == 0, strings.Join(reasons, "; ")
}

// kb renders a byte count as KB with one decimal, plus the exact bytes.
func kb(b int64) string {
	return fmt.Sprintf("%.1f KB (%d B)", float64(b)/1024, b)
}
