package deploy

import (
	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// placedCode is the one place a bundle calls the generate path: it plans g with opts, prices
// every placement on t with the cost model (tc3xx.Place, as `tcdse generate` does) and
// returns the plan's estimates. Issue 10 makes generate use the placement the sweep priced;
// when it lands, this is the function to switch.
func placedCode(g *model.Graph, opts codegen.Options, t tc3xx.Target) (tc3xx.Placed, error) {
	plan, err := codegen.PlanGraph(g, opts)
	if err != nil {
		return tc3xx.Placed{}, err
	}
	return tc3xx.Place(g, plan, t)
}

// choose picks the placement: the requested one when w or a is set (the other keeps the
// cheapest fitting choice's, or the default), else the cheapest that fits. It reports
// whether the choice fits; without any fitting option it returns the default PFlash/DSPR
// estimate so that the caller can report its numbers.
func choose(placed tc3xx.Placed, w tc3xx.Placement, a tc3xx.ActivationPlacement) (tc3xx.Cost, bool) {
	if w == "" && a == "" {
		if placed.Best != nil {
			return *placed.Best, true
		}
		w, a = tc3xx.WeightsInPFlash, tc3xx.ActivationsInDSPR
	}
	if w == "" {
		w = tc3xx.WeightsInPFlash
		if placed.Best != nil {
			w = placed.Best.Weights
		}
	}
	if a == "" {
		a = tc3xx.ActivationsInDSPR
		if placed.Best != nil {
			a = placed.Best.Activations
		}
	}
	for _, c := range placed.Options {
		if c.Weights == w && c.Activations == a {
			return c, c.Fits
		}
	}
	return tc3xx.Cost{}, false
}
