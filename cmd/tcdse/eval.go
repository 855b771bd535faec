package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/workflows"
)

// evalFlags are the options of `tcdse eval`: the data set (as a dataset.Spec) and what to report.
type evalFlags struct {
	spec    dataset.Spec
	data    string
	shape   string
	metric  string
	batch   int
	maxFPR  float64
	column  int
	jsonOut bool
}

// evalResult is what `tcdse eval --json` prints.
type evalResult struct {
	Model          string              `json:"model"`
	Data           string              `json:"data"`
	Format         string              `json:"format"`
	Samples        int                 `json:"samples"`
	Metric         string              `json:"metric,omitempty"`
	Value          *float64            `json:"value,omitempty"`
	HigherIsBetter bool                `json:"higher_is_better,omitempty"`
	AUC            *float64            `json:"auc,omitempty"`
	PAUC           *float64            `json:"pauc,omitempty"`
	MaxFPR         float64             `json:"max_fpr,omitempty"`
	MeanScore      *float64            `json:"mean_anomaly_score,omitempty"`
	Items          []dataset.ItemScore `json:"items,omitempty"`
	Seconds        float64             `json:"seconds"`
	Note           string              `json:"note,omitempty"`

	out *model.Tensor    // the model's outputs, for scoring
	ds  *dataset.Dataset // the data scored
}

func newEvalCmd() *cobra.Command {
	f := &evalFlags{}
	cmd := &cobra.Command{
		Use:   "eval MODEL --data FILE",
		Short: "Run a model (ONNX, TFLite or tcdse IR) on a data set and print a metric",
		Long: `Eval loads MODEL, runs it batched on the data set and prints the metric.

Data formats (--format, else guessed from the name): mnist (IDX images; --labels the IDX labels),
npy (--labels a .npy of labels or targets), npz (arrays x and y), csv (--columns, --label-column,
--target-columns), bin (raw little-endian --dtype float32|int8|uint8 with --shape, or --window and
--stride to cut each file into sliding windows; a directory reads every *.bin; --labels an EEMBC
y_labels.csv).

Metrics: ` + strings.Join(dataset.MetricNames(), ", ") + `. The default is anomaly for windowed data,
top1 when the data has labels and mse when it has targets. With anomaly (the MLPerf Tiny score: mean
over a file's windows of the reconstruction MSE) eval prints every file's score, and the AUC and
standardized partial AUC over files when labels exist.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := runEval(args[0], f)
			if err != nil {
				return err
			}
			if f.jsonOut {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			printEval(cmd.OutOrStdout(), res)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "data file or directory (required)")
	fl.StringVar(&f.spec.Format, "format", "", "mnist, npy, npz, csv or bin (default: from the file name)")
	fl.StringVar(&f.spec.Labels, "labels", "", "labels file: MNIST IDX labels, .npy labels/targets, or EEMBC y_labels.csv for bin")
	fl.StringVar(&f.metric, "metric", "", "metric: "+strings.Join(dataset.MetricNames(), ", "))
	fl.IntVar(&f.spec.Limit, "limit", 0, "use the first N samples (0 = all)")
	fl.IntVar(&f.batch, "batch", 64, "samples per interpreter run")
	fl.BoolVar(&f.jsonOut, "json", false, "print a JSON object")
	fl.IntVar(&f.spec.Window, "window", 0, "bin: cut each file into sliding windows of this many values (ad01: 640)")
	fl.IntVar(&f.spec.Stride, "stride", 0, "bin: values between window starts (ad01: 128; default the window)")
	fl.StringVar(&f.shape, "shape", "", "bin/csv: per-sample shape, e.g. 49,10,1")
	fl.StringVar(&f.spec.DType, "dtype", "", "bin: float32 (default), int8 or uint8")
	fl.Float64Var(&f.spec.Scale, "scale", 0, "bin: dequantization scale for integer data, x = (q - zero_point)*scale")
	fl.IntVar(&f.spec.ZeroPoint, "zero-point", 0, "bin: dequantization zero point for integer data")
	fl.StringSliceVar(&f.spec.Columns, "columns", nil, "csv: feature columns, by name or 0-based index (default: all others)")
	fl.StringVar(&f.spec.LabelColumn, "label-column", "", "csv: class label column")
	fl.StringSliceVar(&f.spec.TargetColumns, "target-columns", nil, "csv: regression target columns")
	fl.StringVar(&f.spec.Header, "header", "", "csv: yes, no or auto (default auto)")
	fl.StringVar(&f.spec.XKey, "x-key", "", "npz: inputs array (default x)")
	fl.StringVar(&f.spec.YKey, "y-key", "", "npz: labels/targets array (default y when present)")
	fl.Float32Var(&f.spec.Normalize.Scale, "norm-scale", 0, "normalize inputs: x = (v*scale - mean)/std (MNIST: 0.00392156862745098)")
	fl.Float32Var(&f.spec.Normalize.Mean, "norm-mean", 0, "normalize inputs: mean (MNIST: 0.1307)")
	fl.Float32Var(&f.spec.Normalize.Std, "norm-std", 0, "normalize inputs: std (MNIST: 0.3081)")
	fl.IntVar(&f.column, "score-column", -1, "auc/pauc: the output column that scores the positive class (-1 = last)")
	fl.Float64Var(&f.maxFPR, "max-fpr", dataset.DefaultMaxFPR, "partial AUC: integrate the ROC curve up to this false-positive rate")
	_ = cmd.MarkFlagRequired("data")
	return cmd
}

// runEval loads the model and the data, runs the model and scores it.
func runEval(modelPath string, f *evalFlags) (*evalResult, error) {
	spec := f.spec
	if spec.Format == "" {
		format, err := guessDataFormat(f.data)
		if err != nil {
			return nil, err
		}
		spec.Format = format
	}
	if spec.Format == "mnist" {
		spec.Images = f.data
	} else {
		spec.Path = f.data
	}
	if f.shape != "" {
		shape, err := parseShape(f.shape)
		if err != nil {
			return nil, err
		}
		spec.Shape = shape
	}
	if f.batch < 1 {
		return nil, fmt.Errorf("--batch %d, want at least 1", f.batch)
	}
	g, err := model.LoadFile(modelPath)
	if err != nil {
		return nil, err
	}
	ds, err := dataset.Load(spec)
	if err != nil {
		return nil, err
	}
	if err := fitSampleShape(ds, g); err != nil {
		return nil, err
	}
	res := &evalResult{Model: modelPath, Data: f.data, Format: spec.Format, Samples: ds.Len(), ds: ds}
	name := f.metric
	if name == "" {
		name = defaultMetric(ds, spec)
	}
	if name == "" {
		return nil, fmt.Errorf("data %s has neither labels nor targets: choose --metric (%s)", f.data, strings.Join(dataset.MetricNames(), ", "))
	}
	m, err := dataset.MetricByName(name)
	if err != nil {
		return nil, err
	}
	switch name {
	case "auc":
		m = dataset.NewAUCMetric(name, dataset.AUCOptions{Column: f.column})
	case "pauc":
		m = dataset.NewAUCMetric(name, dataset.AUCOptions{Column: f.column, MaxFPR: f.maxFPR})
	}
	res.Metric = name
	start := time.Now()
	var progress func(done, total int)
	if ds.Len() >= evalProgressSamples {
		bar := newProgressBar(os.Stderr)
		defer bar.finish()
		progress = func(done, total int) { bar.show(workflows.Progress{Phase: "eval", Done: done, Total: total}) }
	}
	res.out, err = explore.PredictProgress(g, ds, f.batch, progress)
	if err != nil {
		return nil, err
	}
	res.Seconds = time.Since(start).Seconds()
	if strings.HasPrefix(name, "anomaly") {
		return res, scoreAnomaly(res, f.maxFPR)
	}
	q, err := m.Score(res.out, ds)
	if err != nil {
		return nil, err
	}
	res.Value, res.HigherIsBetter = &q, m.HigherIsBetter
	return res, nil
}

// scoreAnomaly fills the per-file anomaly scores and, when the data has labels of both classes,
// the AUC and partial AUC over files.
func scoreAnomaly(res *evalResult, maxFPR float64) error {
	items, err := dataset.AnomalyScores(res.out, res.ds)
	if err != nil {
		return err
	}
	res.Items = items
	scores, labels := make([]float64, len(items)), make([]int, len(items))
	mean := 0.0
	for i, it := range items {
		scores[i], labels[i] = it.Score, it.Label
		mean += it.Score
	}
	mean /= float64(len(items))
	res.MeanScore = &mean
	if res.ds.Labels == nil {
		res.Note = "no labels: per-file anomaly scores only (give --labels for AUC)"
		return nil
	}
	auc, err := dataset.ROCAUC(scores, labels)
	if err != nil {
		res.Note = "no AUC: " + err.Error()
		return nil
	}
	pauc, err := dataset.PartialAUC(scores, labels, maxFPR, true)
	if err != nil {
		return err
	}
	res.AUC, res.PAUC, res.MaxFPR, res.HigherIsBetter = &auc, &pauc, maxFPR, true
	if res.Metric == "anomaly_pauc" {
		res.Value = &pauc
	} else {
		res.Value = &auc
	}
	return nil
}

// evalProgressSamples is the data size from which eval shows its progress (on stderr).
const evalProgressSamples = 4096

// defaultMetric picks anomaly for windowed data, top1 for labels and mse for targets.
func defaultMetric(ds *dataset.Dataset, spec dataset.Spec) string {
	switch {
	case spec.Window > 0:
		return "anomaly"
	case ds.Labels != nil:
		return "top1"
	case ds.Targets != nil:
		return "mse"
	}
	return ""
}

// guessDataFormat names the format of a data path from its name.
func guessDataFormat(path string) (string, error) {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return "bin", nil
	}
	base := strings.ToLower(filepath.Base(path))
	base = strings.TrimSuffix(base, ".gz")
	switch {
	case strings.HasSuffix(base, ".csv"):
		return "csv", nil
	case strings.HasSuffix(base, ".npy"):
		return "npy", nil
	case strings.HasSuffix(base, ".npz"):
		return "npz", nil
	case strings.HasSuffix(base, ".bin"), strings.HasSuffix(base, ".raw"):
		return "bin", nil
	case strings.Contains(base, "idx") || strings.Contains(base, "ubyte"):
		return "mnist", nil
	}
	return "", fmt.Errorf("cannot tell the format of %s from its name: give --format (mnist, npy, npz, csv or bin)", path)
}

// parseShape parses "49,10,1".
func parseShape(s string) ([]int, error) {
	var shape []int
	for _, p := range strings.Split(s, ",") {
		d, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || d < 1 {
			return nil, fmt.Errorf("--shape %q: %q is not a positive dimension", s, p)
		}
		shape = append(shape, d)
	}
	return shape, nil
}

// fitSampleShape reshapes the data's samples to the model's input shape when the two differ
// only by dimensions of size 1 ([49,10,1] and [1,49,10] hold the same values in the same order);
// any other difference is an error naming both shapes.
func fitSampleShape(ds *dataset.Dataset, g *model.Graph) error {
	if len(g.Inputs) != 1 {
		return fmt.Errorf("model %q has %d inputs; eval feeds exactly one", g.Name, len(g.Inputs))
	}
	want, got := g.Inputs[0].Shape, ds.SampleShape()
	if slices.Equal(want, got) {
		return nil
	}
	if !slices.Equal(dropOnes(want), dropOnes(got)) {
		return fmt.Errorf("data %q samples have shape %v, but model input %q wants %v", ds.Name, got, g.Inputs[0].Name, want)
	}
	ds.X.Shape = append([]int{ds.Len()}, want...)
	return nil
}

func dropOnes(s []int) []int {
	var out []int
	for _, d := range s {
		if d != 1 {
			out = append(out, d)
		}
	}
	return out
}

// printEval writes the human-readable result.
func printEval(w io.Writer, r *evalResult) {
	fmt.Fprintf(w, "model %s, data %s (%s, %d samples), %.3f s\n", r.Model, r.Data, r.Format, r.Samples, r.Seconds)
	if r.Items != nil {
		const show = 20
		for i, it := range r.Items {
			if i == show {
				fmt.Fprintf(w, "  … %d more files (--json lists all)\n", len(r.Items)-show)
				break
			}
			label := ""
			if it.Label >= 0 {
				label = fmt.Sprintf("  label %d", it.Label)
			}
			fmt.Fprintf(w, "  %-48s anomaly score %.6f  (%d windows)%s\n", it.Name, it.Score, it.Samples, label)
		}
		fmt.Fprintf(w, "mean anomaly score %.6f over %d files\n", *r.MeanScore, len(r.Items))
		if r.AUC != nil {
			fmt.Fprintf(w, "auc %.6f\npauc %.6f (standardized, max FPR %g)\n", *r.AUC, *r.PAUC, r.MaxFPR)
		}
		if r.Note != "" {
			fmt.Fprintln(w, r.Note)
		}
		return
	}
	dir := "lower is better"
	if r.HigherIsBetter {
		dir = "higher is better"
	}
	if r.Value != nil && !math.IsNaN(*r.Value) {
		fmt.Fprintf(w, "%s %.6f (%s)\n", r.Metric, *r.Value, dir)
	}
}
