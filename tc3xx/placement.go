package tc3xx

import (
	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"

	"fmt"
	"sort"
)

// Placement says where the weight arrays live.
type Placement string

const (
	// WeightsInPFlash leaves the weights in program flash read through the data cache
	// (segment 8); the default.
	WeightsInPFlash Placement = "pflash"
	// WeightsInPFlashUncached reads the weights from program flash without the data cache
	// (segment 0xA), which leaves the cache to the activations.
	WeightsInPFlashUncached Placement = "pflash_nc"
	// WeightsInLMU copies the weights into the shared LMU RAM at start-up, read through the data
	// cache.
	WeightsInLMU Placement = "lmu"
	// WeightsInDSPR copies the weights into the core's DSPR at start-up: no wait states, but
	// they count against the DSPR.
	WeightsInDSPR Placement = "dspr"
)

// ActivationPlacement says where the activation arena and the I/O buffers live.
type ActivationPlacement string

const (
	// ActivationsInDSPR puts the arena and I/O buffers in the core's DSPR; the default.
	ActivationsInDSPR ActivationPlacement = "dspr"
	// ActivationsInDLMU puts them in the core's slice of the distributed LMU.
	ActivationsInDLMU ActivationPlacement = "dlmu"
)

// WeightPlacements lists every weight placement, cheapest memory first.
var WeightPlacements = []Placement{WeightsInDSPR, WeightsInLMU, WeightsInPFlash, WeightsInPFlashUncached}

// ActivationPlacements lists every activation placement.
var ActivationPlacements = []ActivationPlacement{ActivationsInDSPR, ActivationsInDLMU}

func (p Placement) check() error {
	for _, w := range WeightPlacements {
		if p == w {
			return nil
		}
	}
	return fmt.Errorf("unknown weight placement %q (want one of %v)", p, WeightPlacements)
}

func (p ActivationPlacement) check() error {
	for _, a := range ActivationPlacements {
		if p == a {
			return nil
		}
	}
	return fmt.Errorf("unknown activation placement %q (want one of %v)", p, ActivationPlacements)
}

// withDefaults fills in the default placements.
func (t Target) withDefaults() Target {
	if t.Weights == "" {
		t.Weights = WeightsInPFlash
	}
	if t.Activations == "" {
		t.Activations = ActivationsInDSPR
	}
	return t
}

// Placed is the estimate of one design point under every placement of weights and
// activations on one core.
type Placed struct {
	// Options holds one estimate per placement, the fitting ones first, each group by cycles
	// (then RAM).
	Options []Cost `json:"options"`
	// Best is the cheapest placement that fits (by cycles, then RAM); nil when none fits.
	Best *Cost `json:"best,omitempty"`
}

// Place estimates the plan under every placement on t's core with the built-in cost model
// of its architecture and picks the cheapest that fits.
func Place(g *model.Graph, plan *codegen.Plan, t Target) (Placed, error) {
	m, err := CostModelFor(t.Core.Arch)
	if err != nil {
		return Placed{}, err
	}
	return PlaceWith(m, g, plan, t)
}

// PlaceWith is Place with an explicit cost model.
func PlaceWith(m CostModel, g *model.Graph, plan *codegen.Plan, t Target) (Placed, error) {
	var out Placed
	for _, w := range WeightPlacements {
		for _, a := range ActivationPlacements {
			tt := t
			tt.Weights, tt.Activations = w, a
			c, err := EstimateWith(m, g, plan, tt)
			if err != nil {
				return Placed{}, err
			}
			out.Options = append(out.Options, c)
		}
	}
	sort.SliceStable(out.Options, func(i, j int) bool {
		a, b := out.Options[i], out.Options[j]
		if a.Fits != b.Fits {
			return a.Fits
		}
		if a.Cycles != b.Cycles {
			return a.Cycles < b.Cycles
		}
		return a.RAMBytes < b.RAMBytes
	})
	if len(out.Options) > 0 && out.Options[0].Fits {
		best := out.Options[0]
		out.Best = &best
	}
	return out, nil
}

// CodegenMemories maps the placement of c to codegen's memory names (Options.WeightsMemory
// and ArenaMemory): PFlash with or without the data cache is codegen.MemoryPFlash, the
// activations' DLMU is codegen.MemoryLMU.
func (c Cost) CodegenMemories() (weights, arena string) {
	weights, arena = codegen.MemoryPFlash, codegen.MemoryDSPR
	switch c.Weights {
	case WeightsInLMU:
		weights = codegen.MemoryLMU
	case WeightsInDSPR:
		weights = codegen.MemoryDSPR
	}
	if c.Activations == ActivationsInDLMU {
		arena = codegen.MemoryLMU
	}
	return weights, arena
}
