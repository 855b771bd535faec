package report

import (
	"sort"

	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/pareto"
)

// Page is the data the HTML page renders (embedded in it as JSON).
type Page struct {
	Name           string  `json:"name"`
	WorkflowID     string  `json:"workflow_id,omitempty"`
	RunID          string  `json:"run_id,omitempty"`
	UIURL          string  `json:"ui_url,omitempty"`
	Metric         string  `json:"metric"`
	HigherIsBetter bool    `json:"higher_is_better"`
	Target         string  `json:"target"`
	ClockMHz       float64 `json:"clock_mhz"`
	// Baseline indexes Points.
	Baseline int          `json:"baseline"`
	Points   []PagePoint  `json:"points"`
	Kinds    []string     `json:"kinds"`
	Curves   []Curve      `json:"curves,omitempty"`
	Walk     []WalkStep   `json:"walk,omitempty"`
	Calib    *Calibration `json:"calibration,omitempty"`
	// Hypervolume is the front's hypervolume and its curve against evaluations, when the sweep
	// measured it.
	Hypervolume *pareto.HypervolumeResult `json:"hypervolume,omitempty"`
	// Files are the results directory's report files, relative to it.
	Files []File `json:"files,omitempty"`
}

// PagePoint is a point with what the page needs to draw and explain it.
type PagePoint struct {
	pareto.Point
	Kind      string  `json:"kind"`
	TimeUS    float64 `json:"time_us"`
	Footprint int64   `json:"footprint,omitempty"`
	OnFront   bool    `json:"on_front"`
	Detail    *Detail `json:"detail,omitempty"`
}

// Curve is one layer's sensitivity: quality against pruning rate, the bound a probe had to
// keep, and the largest rate that kept it.
type Curve struct {
	Layer string `json:"layer"`
	// Phase is "" for the sweep's sensitivity, "unstructured" for a two-phase sweep's second.
	Phase string `json:"phase,omitempty"`
	// Known says MaxRate and Bound come from the sweep; otherwise the curve was read off the
	// probe points and they are unknown.
	Known   bool                  `json:"known"`
	MaxRate float64               `json:"max_rate"`
	Bound   float64               `json:"bound"`
	Points  []explore.ProbeResult `json:"points"`
}

// WalkStep is one GWP step, in walk order, and its int8 twin when there is one (indexes into
// Points; -1 when absent).
type WalkStep struct {
	Label string `json:"label"`
	Point int    `json:"point"`
	Int8  int    `json:"int8"`
}

// Build turns a sweep into the page's data: points with their kinds and, for the points with
// code, their details (read from s.Dir); sensitivity curves (the sweep's, else read off the
// probe points); the GWP walk; measured against estimated cycles.
func Build(s Sweep) (Page, error) {
	r := s.Report
	p := Page{
		Name: s.Name, WorkflowID: s.WorkflowID, RunID: s.RunID, UIURL: s.UIURL,
		Metric: r.Metric, HigherIsBetter: r.HigherIsBetter, Target: r.Target, ClockMHz: r.ClockMHz,
		Kinds: Kinds, Baseline: -1,
	}
	onFront := map[string]bool{}
	for _, f := range r.Front {
		onFront[f.ID] = true
	}
	points := r.Points
	if r.Baseline.ID != "" && !containsID(points, r.Baseline.ID) {
		points = append([]pareto.Point{r.Baseline}, points...)
	}
	structured := hasUnstructuredSteps(points)
	byLabel := map[string]int{}
	seen := map[string]bool{}
	for _, pt := range points {
		if seen[pt.ID] {
			continue // the front counts a candidate once; so does the page
		}
		seen[pt.ID] = true
		pp := PagePoint{
			Point: pt, Kind: KindOf(pt, r.Baseline.ID, structured),
			TimeUS: pareto.Microseconds(pt.Cycles, r.ClockMHz), Footprint: pt.Footprint(), OnFront: onFront[pt.ID],
		}
		if pt.ID == r.Baseline.ID {
			p.Baseline = len(p.Points)
		}
		byLabel[pt.Label] = len(p.Points)
		p.Points = append(p.Points, pp)
	}

	measured := map[string][]Pair{}
	for i, t := range s.Code {
		idx, ok := byLabel[t.Label]
		if !ok {
			continue
		}
		d, err := DetailOf(s.Dir, treeDir(s.Dir, t), t.Label, r.Target)
		if err != nil {
			return Page{}, err
		}
		if i < len(s.Boards) {
			b := s.Boards[i]
			d.Board = &b
			est := p.Points[idx].Cycles
			pair := Pair{Label: t.Label, Estimated: est, Board: b.Board}
			switch {
			case !b.Pass || est <= 0:
			case b.targetCycles():
				pair.Measured = b.CyclesPerInference
				measured["cycles"] = append(measured["cycles"], pair)
			case b.CycleUnit == "instructions" && b.CyclesPerInference > 0:
				pair.Measured = b.CyclesPerInference
				measured["instructions"] = append(measured["instructions"], pair)
			case b.NsPerInference > 0:
				pair.Measured = b.NsPerInference
				measured["ns"] = append(measured["ns"], pair)
			}
		}
		p.Points[idx].Detail = &d
	}
	p.Calib = Calibrate(measured)
	p.Hypervolume = r.Hypervolume
	p.Curves = curves(s, p.Points)
	p.Walk = walk(p.Points, byLabel)
	return p, nil
}

func containsID(points []pareto.Point, id string) bool {
	for _, p := range points {
		if p.ID == id {
			return true
		}
	}
	return false
}

// curves returns the sweep's sensitivity curves, or reads them off the probe points when the
// sweep did not record its sensitivity.
func curves(s Sweep, points []PagePoint) []Curve {
	var out []Curve
	for _, phase := range []struct {
		name string
		sens map[string]explore.LayerSensitivity
	}{{"", s.Sensitivity}, {"unstructured", s.UnstructuredSensitivity}} {
		for _, layer := range sortedKeys(phase.sens) {
			ls := phase.sens[layer]
			out = append(out, Curve{Layer: layer, Phase: phase.name, Known: true, MaxRate: ls.MaxRate, Bound: ls.Bound, Points: ls.Curve})
		}
	}
	if len(out) > 0 {
		return out
	}
	type key struct {
		layer string
		u     bool
	}
	byLayer := map[key]*Curve{}
	var order []key
	for _, p := range points {
		if p.Kind != KindProbe {
			continue
		}
		layer, rate, u, ok := parseProbe(p.Label)
		if !ok {
			continue
		}
		k := key{layer, u}
		c := byLayer[k]
		if c == nil {
			c = &Curve{Layer: layer}
			if u {
				c.Phase = "unstructured"
			}
			byLayer[k] = c
			order = append(order, k)
		}
		c.Points = append(c.Points, explore.ProbeResult{Layer: layer, Rate: rate, Quality: p.Quality})
	}
	for _, k := range order {
		c := byLayer[k]
		sort.Slice(c.Points, func(i, j int) bool { return c.Points[i].Rate < c.Points[j].Rate })
		out = append(out, *c)
	}
	return out
}

// walk lists the GWP steps in the order the sweep ran them (their order among the points),
// each with its int8 twin.
func walk(points []PagePoint, byLabel map[string]int) []WalkStep {
	var out []WalkStep
	for i, p := range points {
		if p.Kind != KindGWP && p.Kind != KindStructured {
			continue
		}
		st := WalkStep{Label: p.Label, Point: i, Int8: -1}
		if j, ok := byLabel[p.Label+"-int8"]; ok {
			st.Int8 = j
		}
		out = append(out, st)
	}
	return out
}
