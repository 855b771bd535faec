package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tcdse/tcdse/tc3xx"
)

// loadCatalog returns the built-in catalog with the derivatives of a catalog file (if any)
// added or overriding.
func loadCatalog(path string) (*tc3xx.Catalog, error) {
	c := tc3xx.DefaultCatalog()
	if path != "" {
		if err := c.LoadFile(path); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func newTargetsCmd() *cobra.Command {
	var catalog string
	var asJSON, sources bool
	cmd := &cobra.Command{
		Use:   "targets",
		Short: "List the TC3xx derivatives and cores the cost model knows",
		Long: `targets lists every derivative of the catalog with its cores, clock, memories, caches and PFlash
read cycles. Figures marked * are assumptions (the others are documented); --sources prints
every figure with its basis and source. --catalog FILE adds or overrides derivatives from a
YAML file (see docs/cost-model.md). A target is named derivative:core, e.g. tc387:cpu2.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadCatalog(catalog)
			if err != nil {
				return err
			}
			var ds []tc3xx.Derivative
			for _, name := range c.Derivatives() {
				d, _ := c.Derivative(name)
				ds = append(ds, d)
			}
			w := cmd.OutOrStdout()
			switch {
			case asJSON:
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(ds)
			case sources:
				printSources(w, ds)
				return nil
			}
			printTargets(w, ds)
			return nil
		},
	}
	cmd.Flags().StringVar(&catalog, "catalog", "", "YAML file of derivatives to add or override")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the catalog as JSON")
	cmd.Flags().BoolVar(&sources, "sources", false, "print every figure with its basis and source")
	return cmd
}

// size renders an amount of bytes compactly, with * when it is assumed.
func size(a tc3xx.Amount) string {
	v := a.Value
	var s string
	switch {
	case v == 0:
		s = "-"
	case v%(1<<20) == 0:
		s = fmt.Sprintf("%dM", v>>20)
	case v%1024 == 0:
		s = fmt.Sprintf("%dK", v>>10)
	default:
		s = fmt.Sprintf("%dB", v)
	}
	return s + mark(a)
}

func mark(a tc3xx.Amount) string {
	if a.Basis == tc3xx.Assumed {
		return "*"
	}
	return ""
}

// perCore joins one figure of every core, collapsing runs of equal values ("240K x2, 96K x2").
func perCore(d tc3xx.Derivative, f func(tc3xx.Core) string) string {
	var parts []string
	for i := 0; i < len(d.CPUs); {
		j := i
		for j+1 < len(d.CPUs) && f(d.CPUs[j+1]) == f(d.CPUs[i]) {
			j++
		}
		s := f(d.CPUs[i])
		if j > i {
			s += fmt.Sprintf(" x%d", j-i+1)
		}
		parts = append(parts, s)
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

func printTargets(w io.Writer, ds []tc3xx.Derivative) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DERIVATIVE\tSERIES\tCPUS\tCLOCK\tDSPR\tPSPR\tDLMU\tLMU\tPFLASH\tDFLASH\tD/P CACHE\tPF READ")
	for _, d := range ds {
		clock := perCore(d, func(c tc3xx.Core) string { return fmt.Sprintf("%dMHz%s", c.Clock.Value/1e6, mark(c.Clock)) })
		cache := perCore(d, func(c tc3xx.Core) string { return size(c.DCache) + "/" + size(c.PCache) })
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d%s\n", d.Name, d.Series, len(d.CPUs), clock,
			perCore(d, func(c tc3xx.Core) string { return size(c.DSPR) }),
			perCore(d, func(c tc3xx.Core) string { return size(c.PSPR) }),
			perCore(d, func(c tc3xx.Core) string { return size(c.DLMU) }),
			size(d.LMU), size(d.PFlash), size(d.DFlash), cache, d.PFlashRead.Value, mark(d.PFlashRead))
	}
	tw.Flush()
	fmt.Fprintln(w, "* assumed (see --sources); targets are derivative:core, e.g. tc387:cpu2; cores are cpu0..cpuN-1")
}

func printSources(w io.Writer, ds []tc3xx.Derivative) {
	for _, d := range ds {
		fmt.Fprintf(w, "%s (%s)\n", d.Name, d.Series)
		line := func(what string, a tc3xx.Amount) {
			fmt.Fprintf(w, "  %-22s %12d  %-10s %s\n", what, a.Value, a.Basis, a.Source)
		}
		line("pflash_bytes", d.PFlash)
		line("dflash_bytes", d.DFlash)
		line("lmu_bytes", d.LMU)
		line("pflash_read_cycles", d.PFlashRead)
		for _, c := range d.CPUs {
			line(c.Name+".clock_hz", c.Clock)
			line(c.Name+".dspr_bytes", c.DSPR)
			line(c.Name+".pspr_bytes", c.PSPR)
			line(c.Name+".dlmu_bytes", c.DLMU)
			line(c.Name+".dcache_bytes", c.DCache)
			line(c.Name+".pcache_bytes", c.PCache)
		}
		for _, n := range d.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
	}
}
