package main

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/tcdse/tcdse/model"
)

// layerTime is the Go interpreter's time for one node of a graph.
type layerTime struct {
	name, op string
	perRun   time.Duration
}

// timeLayers runs every node of g alone, as a one-node graph fed with the node's real inputs for
// the first batch samples of x, and returns the nodes with their time per run, slowest first.
func timeLayers(g *model.Graph, x *model.Tensor, batch int, minTime time.Duration) ([]layerTime, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	all := g.Clone()
	all.Outputs = nil
	for _, n := range g.Nodes {
		all.Outputs = append(all.Outputs, model.Value{Name: n.Outputs[0], Shape: g.Shapes[n.Outputs[0]]})
	}
	all.Shapes = nil
	xb := firstRows(x, batch)
	outs, err := all.Run(xb)
	if err != nil {
		return nil, err
	}
	vals := map[string]*model.Tensor{g.Inputs[0].Name: xb}
	for i, o := range all.Outputs {
		vals[o.Name] = outs[i]
	}
	consts := map[string]bool{}
	for _, c := range g.Consts {
		consts[c.Name] = true
	}
	var times []layerTime
	for _, n := range g.Nodes {
		one := &model.Graph{Name: n.Name, Nodes: []*model.Node{n}, Consts: g.Consts, Quant: g.Quant,
			Outputs: []model.Value{{Name: n.Outputs[0], Shape: g.Shapes[n.Outputs[0]]}}}
		var ins []*model.Tensor
		for _, in := range n.Inputs {
			if consts[in] {
				continue
			}
			one.Inputs = append(one.Inputs, model.Value{Name: in, Shape: g.Shapes[in]})
			ins = append(ins, vals[in])
		}
		if _, err := one.Run(ins...); err != nil {
			return nil, fmt.Errorf("node %q alone: %w", n.Name, err)
		}
		runs, start := 0, time.Now()
		for time.Since(start) < minTime || runs < 3 {
			if _, err := one.Run(ins...); err != nil {
				return nil, err
			}
			runs++
		}
		times = append(times, layerTime{name: n.Name, op: string(n.Op), perRun: time.Since(start) / time.Duration(runs)})
	}
	sort.SliceStable(times, func(i, j int) bool { return times[i].perRun > times[j].perRun })
	return times, nil
}

// printLayers writes the per-node times with their share of the sum.
func printLayers(out io.Writer, model string, batch int, times []layerTime) {
	var total time.Duration
	for _, t := range times {
		total += t.perRun
	}
	fmt.Fprintf(out, "\n%s, batch %d: Go time per node (run alone), slowest first\n", model, batch)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, t := range times {
		fmt.Fprintf(w, "  %s\t%s\t%v\t%.1f%%\n", t.name, t.op, t.perRun.Round(time.Microsecond), 100*float64(t.perRun)/float64(total))
	}
	w.Flush()
}
