package report

import (
	"strconv"
	"strings"

	"github.com/tcdse/tcdse/pareto"
)

// Kinds of point, by how the sweep made it.
const (
	KindBaseline   = "baseline"   // the unpruned model
	KindProbe      = "probe"      // one layer pruned alone (sensitivity)
	KindGWP        = "gwp"        // a global weighted pruning step
	KindStructured = "structured" // a structured GWP step (whole filters and neurons)
	KindInt8       = "int8"       // a step's model quantized to int8
	KindSearch     = "search"     // anything else: a search candidate
)

// Kinds lists the kinds in the order the page's legend shows them.
var Kinds = []string{KindBaseline, KindProbe, KindGWP, KindStructured, KindInt8, KindSearch}

// KindOf tells how the sweep made p from its label (the workflow's naming: "LAYER@RATE" and
// "u-LAYER@RATE" probes, "gwp-G" and "gwp-u-G" steps, a "-int8" suffix) or from
// p.Extra["kind"] when set. structuredSteps says that the sweep's "gwp-G" steps are
// structured (a two-phase sweep names its unstructured steps "gwp-u-G").
func KindOf(p pareto.Point, baselineID string, structuredSteps bool) string {
	if k, ok := p.Extra["kind"].(string); ok && k != "" {
		return k
	}
	switch {
	case p.ID == baselineID:
		return KindBaseline
	case strings.HasSuffix(p.Label, "-int8"):
		return KindInt8
	case strings.Contains(p.Label, "@"):
		return KindProbe
	case strings.HasPrefix(p.Label, "gwp-u-"):
		return KindGWP
	case strings.HasPrefix(p.Label, "gwp-"):
		if structuredSteps {
			return KindStructured
		}
		return KindGWP
	}
	return KindSearch
}

// hasUnstructuredSteps says whether the points include a two-phase sweep's unstructured steps,
// whose structured steps are then the "gwp-G" ones.
func hasUnstructuredSteps(points []pareto.Point) bool {
	for _, p := range points {
		if strings.HasPrefix(p.Label, "gwp-u-") {
			return true
		}
	}
	return false
}

// parseProbe splits a probe label "LAYER@RATE" or "u-LAYER@RATE" into its layer, rate and
// whether it is an unstructured-phase probe.
func parseProbe(label string) (layer string, rate float64, unstructured, ok bool) {
	i := strings.LastIndexByte(label, '@')
	if i <= 0 {
		return "", 0, false, false
	}
	r, err := strconv.ParseFloat(label[i+1:], 64)
	if err != nil {
		return "", 0, false, false
	}
	layer = label[:i]
	if rest, cut := strings.CutPrefix(layer, "u-"); cut {
		layer, unstructured = rest, true
	}
	return layer, r, unstructured, layer != ""
}
