package tc3xx

import (
	"strings"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

func TestPlaceChoosesCheapestThatFits(t *testing.T) {
	tg, _ := Lookup("tc387:cpu2")
	// Small model: everything fits, weights in DSPR cost no memory cycles and win.
	small := denseChain(11, 64, 32, 10)
	p, err := codegen.PlanGraph(small, codegen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := Place(small, p, tg)
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Options) != len(WeightPlacements)*len(ActivationPlacements) || pl.Best == nil {
		t.Fatalf("%d options, best %v", len(pl.Options), pl.Best)
	}
	if pl.Best.Weights != WeightsInDSPR || pl.Best.Activations != ActivationsInDSPR {
		t.Errorf("best placement for a small model: %s/%s", pl.Best.Weights, pl.Best.Activations)
	}
	for _, o := range pl.Options {
		if o.Fits && o.Cycles < pl.Best.Cycles {
			t.Errorf("%s/%s fits with %d cycles, fewer than the best %d", o.Weights, o.Activations, o.Cycles, pl.Best.Cycles)
		}
	}
	// 205 KB of weights: too big for cpu2's 96 KB DSPR and the 128 KB LMU, so PFlash wins,
	// and the others say why in numbers.
	big := denseChain(12, 400, 128, 10)
	p, err = codegen.PlanGraph(big, codegen.Options{Format: codegen.FormatDense})
	if err != nil {
		t.Fatal(err)
	}
	pl, err = Place(big, p, tg)
	if err != nil {
		t.Fatal(err)
	}
	if pl.Best == nil || pl.Best.Weights != WeightsInPFlash {
		t.Fatalf("best for 205 KB of weights: %+v", pl.Best)
	}
	reasons := map[Placement]string{}
	for _, o := range pl.Options {
		if !o.Fits && o.Activations == ActivationsInDSPR {
			reasons[o.Weights] = o.Reason
		}
	}
	if r := reasons[WeightsInDSPR]; !strings.Contains(r, "> DSPR of CPU2 96.0 KB (98304 B)") || !strings.Contains(r, "weights 205.5 KB (210472 B)") {
		t.Errorf("DSPR reason %q", r)
	}
	if r := reasons[WeightsInLMU]; r != "weights 205.5 KB (210472 B) > LMU of TC387 128.0 KB (131072 B)" {
		t.Errorf("LMU reason %q", r)
	}
	// Uncached flash costs more than cached; DLMU activations more than DSPR ones.
	cost := func(w Placement, a ActivationPlacement) Cost {
		for _, o := range pl.Options {
			if o.Weights == w && o.Activations == a {
				return o
			}
		}
		t.Fatalf("no option %s/%s", w, a)
		return Cost{}
	}
	if c, nc := cost(WeightsInPFlash, ActivationsInDSPR), cost(WeightsInPFlashUncached, ActivationsInDSPR); nc.Cycles <= c.Cycles {
		t.Errorf("uncached flash %d cycles, cached %d", nc.Cycles, c.Cycles)
	}
	if d, l := cost(WeightsInPFlash, ActivationsInDSPR), cost(WeightsInPFlash, ActivationsInDLMU); l.Cycles <= d.Cycles || l.RAMLimit != 64*1024 {
		t.Errorf("DLMU activations %d cycles (limit %d), DSPR %d", l.Cycles, l.RAMLimit, d.Cycles)
	}
	// A derivative without LMU or DLMU: those placements never fit.
	one, _ := Lookup("tc327:cpu0")
	pl, err = Place(small, mustPlan(t, small), one)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range pl.Options {
		if (o.Weights == WeightsInLMU || o.Activations == ActivationsInDLMU) && o.Fits {
			t.Errorf("%s/%s fits on a TC32x without LMU and DLMU", o.Weights, o.Activations)
		}
	}
}

func mustPlan(t *testing.T, g *model.Graph) *codegen.Plan {
	t.Helper()
	p, err := codegen.PlanGraph(g, codegen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNoSuchMemoryReason(t *testing.T) {
	g := denseChain(13, 16, 8, 4)
	tg, _ := Lookup("tc327:cpu0")
	tg.Weights, tg.Activations = WeightsInLMU, ActivationsInDLMU
	c, err := Estimate(g, mustPlan(t, g), tg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Fits || !strings.Contains(c.Reason, "CPU0 has no DLMU (needs") || !strings.Contains(c.Reason, "TC327 has no LMU (needs") {
		t.Errorf("reason %q", c.Reason)
	}
}
