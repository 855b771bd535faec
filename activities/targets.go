package activities

import (
	"fmt"

	"github.com/tcdse/tcdse/candidate"
	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// AlsoTargets are the targets a sweep prices every candidate for besides spec.Target (nil for a
// single-target sweep).
func AlsoTargets(spec explore.SweepSpec) []string {
	all := spec.PricedTargets(tc3xx.DefaultCatalog().TargetNames())
	if len(all) < 2 {
		return nil
	}
	return all[1:]
}

// priceOn prices one built candidate on each target through the candidate pipeline (the same
// plan, placement choice and cost model resolution as the sweep's own target), with the
// calibrated cost model when there is one and the core's built-in one otherwise.
func priceOn(targets []string, calibrated *tc3xx.CostModel, g *model.Graph, opts codegen.Options) (map[string]TargetCost, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	out := make(map[string]TargetCost, len(targets))
	for _, name := range targets {
		t, err := tc3xx.Lookup(name)
		if err != nil {
			return nil, badInput("BadSpec", fmt.Errorf("targets: %w", err))
		}
		costing, err := candidate.CostingFor(t, calibrated)
		if err != nil {
			return nil, badInput("BadSpec", fmt.Errorf("targets: %s: %w", name, err))
		}
		priced, err := candidate.Price(g, opts, costing)
		if err != nil {
			return nil, badInput("BadModel", fmt.Errorf("target %s: %w", name, err))
		}
		c := priced.Cost
		out[name] = TargetCost{Cycles: c.Cycles, TimeUS: c.TimeUS, ROMBytes: c.ROMBytes, RAMBytes: c.RAMBytes, Fits: c.Fits, Reason: c.Reason}
	}
	return out, nil
}
