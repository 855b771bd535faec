package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

func newCalibrateCmd(g *globalFlags) *cobra.Command {
	var catalog, out, prior, fromFarm, farmTarget string
	var last int
	var fixed []string
	var weight float64
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "calibrate MEASUREMENTS.jsonl | --from-farm CLASS",
		Short: "Fit the cycle cost model to cycle counts measured on boards",
		Long: `calibrate reads per-layer or whole-model cycle measurements (JSON Lines, one measurement a line;
see docs/cost-model.md), rebuilds each measured design point (model file, pruning rates, weight
format, target and placement), and fits the cost model's cycle parameters to the measurements
by least squares on relative errors with a weak pull towards the prior values. It prints the
error and its spread before and after, and the parameters it moved. --out writes the fitted
model (JSON), which a sweep spec's cost_model and 'tcdse analyze --cost-model' use.

With --from-farm CLASS it reads the board class's recorded farm results instead (the latest
--last of them that passed with a cycle count), rebuilds each measured tree's estimate on the
class's target (--target, else the derivative and core the class's boards registered), fits,
and stores the fitted model for the class in the farm (bucket tcdse-farm-models); a stored
model for the class is the prior unless --prior is given.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if fromFarm != "" {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := loadCatalog(catalog)
			if err != nil {
				return err
			}
			pm := tc3xx.TC162P.Clone()
			if prior != "" {
				if pm, err = tc3xx.LoadCostModel(prior); err != nil {
					return err
				}
			}
			var ms []tc3xx.Measurement
			var farm *hilbench.Farm
			if fromFarm != "" {
				var done func()
				if farm, done, err = openFarmCLI(cmd, g); err != nil {
					return err
				}
				defer done()
				if ms, err = farmMeasurements(cmd, farm, cat, &pm, prior == "", fromFarm, farmTarget, last); err != nil {
					return err
				}
			} else {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				recs, err := tc3xx.ParseMeasurements(f, args[0])
				if err != nil {
					return err
				}
				if ms, err = tc3xx.ResolveMeasurements(recs, args[0], cat, pm, graphLoader(filepath.Dir(args[0]))); err != nil {
					return err
				}
			}
			fit, rep, err := tc3xx.Calibrate(pm, ms, tc3xx.FitOptions{Prior: weight, Fixed: fixed})
			if err != nil {
				return err
			}
			if farm != nil {
				if err := farm.StoreModel(cmd.Context(), fromFarm, fit); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "fitted cost model stored for board class %s (hash %.12s)\n", fromFarm, fit.Hash())
			}
			if out != "" {
				data, err := fit.MarshalIndent()
				if err != nil {
					return err
				}
				if err := os.WriteFile(out, data, 0o644); err != nil {
					return err
				}
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			printFit(w, rep)
			if out != "" {
				fmt.Fprintf(w, "calibrated cost model written to %s (hash %.12s)\n", out, fit.Hash())
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&catalog, "catalog", "", "YAML file of derivatives to add or override")
	fl.StringVar(&out, "out", "", "write the calibrated cost model (JSON) to this file")
	fl.StringVar(&prior, "prior", "", "start from this cost model file instead of the built-in table")
	fl.StringSliceVar(&fixed, "fix", nil, "parameters to keep at their prior values (comma-separated)")
	fl.Float64Var(&weight, "prior-weight", 0, fmt.Sprintf("pull towards the prior, relative to one measurement (0: %g)", tc3xx.DefaultPrior))
	fl.BoolVar(&asJSON, "json", false, "print the fit report as JSON")
	fl.StringVar(&fromFarm, "from-farm", "", "fit to the recorded farm results of this board class")
	fl.StringVar(&farmTarget, "target", "", "with --from-farm: the class's target, e.g. tc387:cpu2 (default: what its boards registered)")
	fl.IntVar(&last, "last", 2000, "with --from-farm: how many of the latest farm results to read")
	return cmd
}

// graphLoader loads model files relative to dir and prunes them by magnitude at the given
// rates.
func graphLoader(dir string) tc3xx.GraphLoader {
	return func(name string, rates map[string]float64) (*model.Graph, error) {
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		g, err := model.LoadFile(path)
		if err != nil {
			return nil, err
		}
		if len(rates) == 0 {
			return g, nil
		}
		return explore.Prune(g, explore.Rates(rates))
	}
}

func printFit(w io.Writer, rep tc3xx.FitReport) {
	fmt.Fprintf(w, "%d measurements\n", rep.Measurements)
	fmt.Fprintf(w, "error before: %v\n", rep.Before)
	fmt.Fprintf(w, "error after:  %v\n", rep.After)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PARAMETER\tPRIOR\tFITTED\tCHANGE\t")
	for _, p := range rep.SortedChanges() {
		change := "-"
		if p.Prior != 0 {
			change = fmt.Sprintf("%+.1f%%", 100*(p.Fitted-p.Prior)/p.Prior)
		}
		fmt.Fprintf(tw, "%s\t%.4g\t%.4g\t%s\t\n", p.Name, p.Prior, p.Fitted, change)
	}
	tw.Flush()
	if len(rep.Unused) > 0 {
		fmt.Fprintf(w, "not exercised by any measurement (left at the prior): %s\n", strings.Join(rep.Unused, ", "))
	}
}

// farmMeasurements reads a board class's farm results as measurements. With usePrior, a
// model stored for the class replaces *prior.
func farmMeasurements(cmd *cobra.Command, farm *hilbench.Farm, cat *tc3xx.Catalog, prior *tc3xx.CostModel, usePrior bool, class, target string, last int) ([]tc3xx.Measurement, error) {
	ctx := cmd.Context()
	if target == "" {
		boards, err := farm.Boards(ctx)
		if err != nil {
			return nil, err
		}
		for _, b := range boards {
			if b.Class == class && b.Derivative != "" && b.Core != "" {
				target = b.Derivative + ":" + b.Core
				break
			}
		}
		if target == "" {
			return nil, fmt.Errorf("calibrate --from-farm %s: no board of the class registered a derivative and core; give --target", class)
		}
	}
	t, err := cat.Lookup(target)
	if err != nil {
		return nil, fmt.Errorf("calibrate --from-farm %s: %w", class, err)
	}
	if usePrior {
		if stored, ok, err := farm.Model(ctx, class); err != nil {
			return nil, err
		} else if ok {
			*prior = stored
			fmt.Fprintf(cmd.ErrOrStderr(), "starting from the cost model stored for class %s (hash %.12s)\n", class, stored.Hash())
		}
	}
	ms, skipped, err := farm.Measurements(ctx, class, last, *prior, t)
	if err != nil {
		return nil, err
	}
	if skipped > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "%d results skipped: their tree is gone from the artifact store or has no graph\n", skipped)
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("calibrate --from-farm %s: no passing results with a cycle count among the latest %d", class, last)
	}
	return ms, nil
}
