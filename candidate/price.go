package candidate

import (
	"fmt"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// The pricing half of the candidate pipeline: every tool that reports a built candidate's
// plan, placement, cycles, ROM and RAM (analyze, generate, the sweep's Evaluate and Generate
// activities) resolves its target with ResolveCosting and prices with Price, so the placement
// a sweep priced is the one generate writes and its manifest reports.

// Costing is one target core with the cost model that prices it.
type Costing struct {
	Target tc3xx.Target
	Model  tc3xx.CostModel
	// Name says which cost model: "built-in TC1.6.2P" or "FILE (hash 0123456789ab)".
	Name string
}

// ResolveCosting looks target ("derivative:core") up in the built-in catalog, extended by the
// YAML catalogFile when given, and takes its core's built-in cost model, or the calibrated
// model in costModelFile when given (which must be for the core's architecture). It is the one
// place a target and its cost model are resolved.
func ResolveCosting(target, catalogFile, costModelFile string) (Costing, error) {
	cat := tc3xx.DefaultCatalog()
	if catalogFile != "" {
		if err := cat.LoadFile(catalogFile); err != nil {
			return Costing{}, err
		}
	}
	t, err := cat.Lookup(target)
	if err != nil {
		return Costing{}, err
	}
	if costModelFile == "" {
		return CostingFor(t, nil)
	}
	m, err := tc3xx.LoadCostModel(costModelFile)
	if err != nil {
		return Costing{}, err
	}
	c, err := CostingFor(t, &m)
	c.Name = fmt.Sprintf("%s (hash %.12s)", costModelFile, m.Hash())
	return c, err
}

// CostingFor pairs a looked-up target with a cost model: m when not nil (it must be for the
// target core's architecture), else the core's built-in model.
func CostingFor(t tc3xx.Target, m *tc3xx.CostModel) (Costing, error) {
	if m != nil {
		if m.Arch != t.Core.Arch {
			return Costing{}, fmt.Errorf("cost model for %s cores used on %s, whose core is a %s", m.Arch, t, t.Core.Arch)
		}
		return Costing{Target: t, Model: *m, Name: fmt.Sprintf("calibrated %s (hash %.12s)", m.Arch, m.Hash())}, nil
	}
	bm, err := tc3xx.CostModelFor(t.Core.Arch)
	if err != nil {
		return Costing{}, err
	}
	return Costing{Target: t, Model: bm, Name: "built-in " + bm.Arch}, nil
}

// Priced is a built candidate's code plan and its cost on a target.
type Priced struct {
	Plan *codegen.Plan
	// Cost is the estimate at the chosen placement: the cheapest that fits, or the target's
	// default (weights in PFlash, activations in DSPR) with the reason when none fits.
	Cost tc3xx.Cost
	// Placements are every placement's estimate, the fitting ones first (tc3xx.Placed).
	Placements []tc3xx.Cost
}

// Price plans g's code with the weight formats of opts (Format, "" for auto, and LayerFormats;
// only those matter) and estimates it on c's target at every placement, choosing the one
// generate writes (see Priced.Cost).
func Price(g *model.Graph, opts codegen.Options, c Costing) (Priced, error) {
	plan, err := codegen.PlanGraph(g, codegen.Options{Format: opts.Format, LayerFormats: opts.LayerFormats})
	if err != nil {
		return Priced{}, err
	}
	placed, err := tc3xx.PlaceWith(c.Model, g, plan, c.Target)
	if err != nil {
		return Priced{}, err
	}
	p := Priced{Plan: plan, Placements: placed.Options}
	if placed.Best != nil {
		p.Cost = *placed.Best
		return p, nil
	}
	def := c.Target
	def.Weights, def.Activations = "", "" // the defaults
	if p.Cost, err = tc3xx.EstimateWith(c.Model, g, plan, def); err != nil {
		return Priced{}, err
	}
	return p, nil
}
