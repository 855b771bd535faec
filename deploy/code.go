package deploy

import (
	"github.com/tcdse/tcdse/candidate"
	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// placedCode is the one place a bundle prices its code: candidate.Price, the pricing half
// of the candidate pipeline that `tcdse generate` and the sweep use, so the bundle's
// placement is the one the sweep priced (with the same cost model).
func placedCode(g *model.Graph, opts codegen.Options, c candidate.Costing) (candidate.Priced, error) {
	return candidate.Price(g, opts, c)
}

// choose picks the placement: the requested one when w or a is set (the other keeps the
// priced choice's), else the priced choice (the cheapest that fits, or the default PFlash
// and DSPR when none fits). It reports whether the choice fits; an unknown placement gives
// a zero Cost.
func choose(p candidate.Priced, w tc3xx.Placement, a tc3xx.ActivationPlacement) (tc3xx.Cost, bool) {
	if w == "" && a == "" {
		return p.Cost, p.Cost.Fits
	}
	if w == "" {
		w = p.Cost.Weights
	}
	if a == "" {
		a = p.Cost.Activations
	}
	for _, c := range p.Placements {
		if c.Weights == w && c.Activations == a {
			return c, c.Fits
		}
	}
	return tc3xx.Cost{}, false
}
