package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tcdse/tcdse/candidate"
	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// analyzeLayer is one row of `tcdse analyze`.
type analyzeLayer struct {
	Node            string           `json:"node"`
	Op              string           `json:"op"`
	Kind            string           `json:"kind"`
	Format          string           `json:"format,omitempty"`
	InShapes        [][]int          `json:"in_shapes"`
	OutShape        []int            `json:"out_shape"`
	Params          int              `json:"params"`
	NNZ             int              `json:"nnz"`
	MACs            int              `json:"macs"`
	EffectiveMACs   int              `json:"effective_macs"`
	WeightBytes     int              `json:"weight_bytes"`
	ActivationBytes int              `json:"activation_bytes"`
	Note            string           `json:"note,omitempty"`
	Cost            *tc3xx.LayerCost `json:"cost,omitempty"`
}

// analyzeReport is what `tcdse analyze` prints.
type analyzeReport struct {
	Model  string         `json:"model"`
	Graph  string         `json:"graph"`
	Layers []analyzeLayer `json:"layers"`
	Totals struct {
		Params        int `json:"params"`
		NNZ           int `json:"nnz"`
		MACs          int `json:"macs"`
		EffectiveMACs int `json:"effective_macs"`
		WeightBytes   int `json:"weight_bytes"`
		CodeBytes     int `json:"code_bytes"`
		ArenaBytes    int `json:"arena_bytes"`
		IOBytes       int `json:"io_bytes"`
	} `json:"totals"`
	// With a target: the chosen placement's estimate and every placement's verdict.
	Target     string        `json:"target,omitempty"`
	ClockMHz   float64       `json:"clock_mhz,omitempty"`
	CostModel  string        `json:"cost_model,omitempty"`
	Cost       *tc3xx.Cost   `json:"cost,omitempty"`
	Placements []tc3xx.Cost  `json:"placements,omitempty"`
	Best       *tc3xx.Cost   `json:"best,omitempty"`
	Rates      explore.Rates `json:"rates,omitempty"`
}

func newAnalyzeCmd() *cobra.Command {
	var target, catalog, costModel, format, weights, acts, rates string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "analyze MODEL",
		Short: "Per-layer table of a model, and with --target its cycles, time, ROM and RAM on a TC3xx core",
		Long: `analyze imports a model and prints a table per layer: operator, input and output shapes,
parameters, MACs, weight bytes (in the chosen weight format) and activation bytes, with totals.

With --target derivative:core (e.g. tc387:cpu2) it adds the cost model's cycles per layer, the
time at the core's clock, ROM and RAM, and the verdict of every placement of weights (pflash,
pflash_nc, lmu, dspr) and activations (dspr, dlmu): the cheapest that fits, and for the others
why not, in numbers. --weights and --activations choose the placement the per-layer table shows
(default: the cheapest that fits). --rates prunes the model by magnitude first
(layer=rate,...), --format picks the weight format, --cost-model uses a calibrated model.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := model.LoadFile(args[0])
			if err != nil {
				return err
			}
			r, err := parseRates(rates)
			if err != nil {
				return err
			}
			if len(r) > 0 {
				if g, err = explore.Prune(g, r); err != nil {
					return err
				}
			}
			var rep analyzeReport
			if target == "" {
				plan, err := codegen.PlanGraph(g, codegen.Options{Format: format})
				if err != nil {
					return err
				}
				rep = modelTable(args[0], g, plan)
			} else if rep, err = analyzeOn(args[0], g, format, target, catalog, costModel, tc3xx.Placement(weights), tc3xx.ActivationPlacement(acts)); err != nil {
				return err
			}
			rep.Rates = r
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			printAnalysis(w, rep)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&target, "target", "", "derivative:core to estimate on, e.g. tc387:cpu2")
	fl.StringVar(&catalog, "catalog", "", "YAML file of derivatives to add or override")
	fl.StringVar(&costModel, "cost-model", "", "calibrated cost model file (from tcdse calibrate --out)")
	fl.StringVar(&format, "format", codegen.FormatAuto, "weight format: auto, dense or csr")
	fl.StringVar(&weights, "weights", "", "weight placement for the per-layer table: pflash, pflash_nc, lmu or dspr")
	fl.StringVar(&acts, "activations", "", "activation placement for the per-layer table: dspr or dlmu")
	fl.StringVar(&rates, "rates", "", "prune first: layer=rate,... (magnitude pruning)")
	fl.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// parseRates reads "conv1=0.5,fc1=0.9".
func parseRates(s string) (explore.Rates, error) {
	r := explore.Rates{}
	if strings.TrimSpace(s) == "" {
		return r, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--rates: %q is not layer=rate", part)
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return nil, fmt.Errorf("--rates: layer %s: %q is not a number", name, val)
		}
		r[name] = v
	}
	return r, nil
}

func modelTable(path string, g *model.Graph, plan *codegen.Plan) analyzeReport {
	rep := analyzeReport{Model: path, Graph: g.Name}
	shapes := map[string][]int{plan.Input.Name: plan.Input.Shape}
	for _, l := range plan.Layers {
		shapes[l.Output] = l.OutShape
	}
	for _, l := range plan.Layers {
		row := analyzeLayer{Node: l.Node, Op: l.Op, Kind: l.Kind, Format: l.Format, OutShape: l.OutShape,
			Params: l.Params, NNZ: l.NNZ, MACs: l.MACs, EffectiveMACs: l.EffectiveMACs, WeightBytes: l.WeightBytes}
		for _, in := range l.Inputs {
			row.InShapes = append(row.InShapes, shapes[in])
		}
		switch {
		case l.FusedInto != "":
			row.Note = "fused into " + l.FusedInto
		case l.Alias:
			row.Note = "alias"
		default:
			row.ActivationBytes = l.OutBytes
		}
		rep.Layers = append(rep.Layers, row)
	}
	t := &rep.Totals
	t.Params, t.NNZ, t.MACs, t.EffectiveMACs = plan.Params, plan.NNZ, plan.MACs, plan.EffectiveMACs
	t.WeightBytes, t.CodeBytes, t.ArenaBytes, t.IOBytes = plan.WeightBytes, plan.CodeBytesEstimate, plan.ArenaBytes, plan.IOBytes
	return rep
}

// analyzeOn prices g on a target with the candidate pipeline and fills the table and the cost
// of the placement generate would write, or of the one --weights/--activations choose.
func analyzeOn(path string, g *model.Graph, format, target, catalog, costModel string, w tc3xx.Placement, a tc3xx.ActivationPlacement) (analyzeReport, error) {
	c, err := candidate.ResolveCosting(target, catalog, costModel)
	if err != nil {
		return analyzeReport{}, err
	}
	priced, err := candidate.Price(g, codegen.Options{Format: format}, c)
	if err != nil {
		return analyzeReport{}, err
	}
	rep := modelTable(path, g, priced.Plan)
	rep.CostModel = c.Name
	rep.Target, rep.ClockMHz = c.Target.String(), float64(c.Target.Core.Clock.Value)/1e6
	rep.Placements = priced.Placements
	if len(priced.Placements) > 0 && priced.Placements[0].Fits {
		rep.Best = &priced.Placements[0]
	}
	cost := priced.Cost
	if w != "" || a != "" {
		chosen := c.Target
		chosen.Weights, chosen.Activations = w, a
		if cost, err = tc3xx.EstimateWith(c.Model, g, priced.Plan, chosen); err != nil {
			return analyzeReport{}, err
		}
	}
	rep.Cost = &cost
	for i := range rep.Layers {
		lc := cost.Layers[i]
		rep.Layers[i].Cost = &lc
	}
	return rep, nil
}

func printAnalysis(w io.Writer, rep analyzeReport) {
	fmt.Fprintf(w, "model %s (graph %q)", rep.Model, rep.Graph)
	if len(rep.Rates) > 0 {
		fmt.Fprintf(w, ", pruned at %v", map[string]float64(rep.Rates))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "NODE\tOP\tFORMAT\tIN\tOUT\tPARAMS\tNNZ\tMACS\tWEIGHT B\tACT B"
	if rep.Cost != nil {
		head += "\tCYCLES\tTIME us\tCOMPUTE\tINDEX\tMEMORY\tOVERHEAD"
	}
	fmt.Fprintln(tw, head)
	for _, l := range rep.Layers {
		var ins []string
		for _, s := range l.InShapes {
			ins = append(ins, shapeString(s))
		}
		act := strconv.Itoa(l.ActivationBytes)
		if l.Note != "" {
			act = "(" + l.Note + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s", l.Node, l.Op, dash(l.Format), strings.Join(ins, " "), shapeString(l.OutShape),
			l.Params, l.NNZ, l.EffectiveMACs, l.WeightBytes, act)
		if c := l.Cost; c != nil {
			fmt.Fprintf(tw, "\t%d\t%.1f\t%.0f\t%.0f\t%.0f\t%.0f", c.Cycles, float64(c.Cycles)/rep.ClockMHz, c.Compute, c.Index, c.Memory, c.Overhead)
		}
		fmt.Fprintln(tw)
	}
	t := rep.Totals
	fmt.Fprintf(tw, "TOTAL\t\t\t\t\t%d\t%d\t%d\t%d\t", t.Params, t.NNZ, t.EffectiveMACs, t.WeightBytes)
	if rep.Cost != nil {
		fmt.Fprintf(tw, "\t%d\t%.1f", rep.Cost.Cycles, rep.Cost.TimeUS)
	}
	fmt.Fprintln(tw)
	tw.Flush()
	fmt.Fprintf(w, "MACs %d (effective %d); weights %d B; code about %d B; arena %d B; I/O %d B\n",
		t.MACs, t.EffectiveMACs, t.WeightBytes, t.CodeBytes, t.ArenaBytes, t.IOBytes)
	if rep.Cost == nil {
		return
	}
	c := rep.Cost
	fmt.Fprintf(w, "\non %s at %.0f MHz, cost model %s, weights in %s, activations in %s:\n", rep.Target, rep.ClockMHz, rep.CostModel, c.Weights, c.Activations)
	fmt.Fprintf(w, "  %d cycles = %.1f us; ROM %d B (weights %d + code %d); RAM %d B\n", c.Cycles, c.TimeUS, c.ROMBytes, c.WeightBytes, c.CodeBytes, c.RAMBytes)
	for _, m := range c.Memories {
		fmt.Fprintf(w, "  %-16s %9d of %9d B (%.0f%%)\n", m.Memory, m.Used, m.Limit, 100*float64(m.Used)/float64(max(m.Limit, 1)))
	}
	if c.Fits {
		fmt.Fprintln(w, "  fits")
	} else {
		fmt.Fprintf(w, "  DOES NOT FIT: %s\n", c.Reason)
	}
	fmt.Fprintln(w, "\nplacements (weights/activations), cheapest fitting first:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WEIGHTS\tACTIVATIONS\tCYCLES\tTIME us\tRAM B\tVERDICT")
	for _, o := range rep.Placements {
		verdict := "fits"
		if rep.Best != nil && o.Weights == rep.Best.Weights && o.Activations == rep.Best.Activations {
			verdict = "fits (best)"
		}
		if !o.Fits {
			verdict = o.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%d\t%s\n", o.Weights, o.Activations, o.Cycles, o.TimeUS, o.RAMBytes, verdict)
	}
	tw.Flush()
	if rep.Best == nil {
		fmt.Fprintln(w, "no placement fits this core")
	}
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	return "[" + strings.Join(parts, "x") + "]"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
