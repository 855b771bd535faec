package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// generateFlags are the options of `tcdse generate`.
type generateFlags struct {
	point, front, label string
	target, out, format string
	prefix              string
	vectors             int
	seed                int64
	force               bool
	json                bool
}

func newGenerateCmd(_ *globalFlags) *cobra.Command {
	f := &generateFlags{}
	cmd := &cobra.Command{
		Use:   "generate [MODEL] --out DIR [--point OUT/points/LABEL | --front FRONT.json --label LABEL]",
		Short: "Generate the C library and test harness of a model or of a design point of a sweep",
		Long: `generate writes the C inference library, weights, harness, Makefile and manifest for
MODEL (any file the model package loads: ONNX, TFLite, or the tcdse IR). With --point (a
directory OUT/points/LABEL a sweep wrote), the point's own model in it (model.tcdse: exactly
what was scored, fine-tuned, structured or quantized) is used and MODEL may be left out. With
--front and --label, or a --point without model.tcdse, MODEL is pruned with that point's
per-layer rates from front.json (refused for derived points, which rates alone do not
rebuild), and the result is compared with the point's manifest (a different model hash is
reported as a warning). The harness compares the C with the Go interpreter on --vectors
seeded random inputs. --target chooses the default weight and arena memories from the
target's cheapest fitting placement. An existing non-empty DIR is refused unless --force.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGenerate(cmd, firstArg(args), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.point, "point", "", "a design point directory OUT/points/LABEL written by a sweep")
	fl.StringVar(&f.front, "front", "", "front.json of a sweep (with --label)")
	fl.StringVar(&f.label, "label", "", "the label of the design point in --front")
	fl.StringVar(&f.target, "target", "tc387:cpu2", "target DERIVATIVE:CORE, for the memory placement")
	fl.StringVar(&f.out, "out", "", "output directory (required)")
	fl.StringVar(&f.format, "format", codegen.FormatAuto, "weight format: auto (bytes and speed), smallest (fewest bytes), dense, csr, rcsr8, rcsr4 or sparse8 (int8 layers; float layers take rcsr4)")
	fl.StringVar(&f.prefix, "prefix", codegen.DefaultPrefix, "C symbol and file name prefix")
	fl.IntVar(&f.vectors, "vectors", 4, "random test vectors the harness checks")
	fl.Int64Var(&f.seed, "seed", 1, "seed of the random test vectors")
	fl.BoolVar(&f.force, "force", false, "write into an existing non-empty output directory")
	fl.BoolVar(&f.json, "json", false, "print what was written as JSON: the directory, its files and the plan's totals")
	return cmd
}

// frontFile is the part of a sweep's front.json that generate reads.
type frontFile struct {
	Target   string       `json:"target"`
	Baseline *frontPoint  `json:"baseline"`
	Points   []frontPoint `json:"points"`
}

type frontPoint struct {
	Label   string             `json:"label"`
	Rates   map[string]float64 `json:"rates"`
	Derived bool               `json:"derived"`
}

// candidateSource says where a command's model comes from: a model file, optionally pruned
// with the rates of a design point of a sweep (--point OUT/points/LABEL, or --front with
// --label). generate and export share it.
type candidateSource struct {
	model, point, front, label string
}

// newCandidateSource checks the combination of --point, --front and --label.
func newCandidateSource(modelPath, point, front, label string) (*candidateSource, error) {
	switch {
	case point != "" && (front != "" || label != ""):
		return nil, fmt.Errorf("give either --point or --front with --label, not both")
	case point != "":
		label = filepath.Base(filepath.Clean(point))
		front = filepath.Join(point, "..", "..", "front.json")
	case (front == "") != (label == ""):
		return nil, fmt.Errorf("--front and --label go together")
	}
	return &candidateSource{model: modelPath, point: point, front: front, label: label}, nil
}

// load returns the candidate's model. A --point directory holding the point's own model
// (activities.PointModelFile, written by the sweep next to the generated code) gives exactly
// that model, fine-tuned, structured or quantized as it was scored; MODEL is then not needed.
// Otherwise MODEL is read and pruned with the point's rates from front.json, which rebuilds
// only points that are the base model pruned at their rates: a derived point is refused. With
// --point, a model that differs from the one the point's manifest names is reported on
// stderr, prefixed with verb: the model hash covers the IR encoding, which changes between
// tcdse versions, so a mismatch is worth a warning, not a refusal.
func (s *candidateSource) load(cmd *cobra.Command, verb string) (*model.Graph, error) {
	if s.point != "" {
		own := filepath.Join(s.point, activities.PointModelFile)
		if _, err := os.Stat(own); err == nil {
			if s.model != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: using the point's own model %s, not %s\n", verb, own, s.model)
			}
			return model.LoadFile(own)
		}
	}
	if s.model == "" {
		if s.point != "" {
			return nil, fmt.Errorf("%s holds no %s (only points the sweep generated code for do); give MODEL to prune it with the point's rates", s.point, activities.PointModelFile)
		}
		return nil, fmt.Errorf("give MODEL, or --point with a point directory a sweep wrote")
	}
	g, err := model.LoadFile(s.model)
	if err != nil {
		return nil, err
	}
	if s.front != "" {
		p, err := frontPointOf(s.front, s.label)
		if err != nil {
			return nil, err
		}
		if p.Derived {
			return nil, fmt.Errorf("point %s was fine-tuned, structured-pruned, quantized or built on an earlier step's model, so its rates alone do not rebuild it; use --point OUT/points/LABEL of a point the sweep generated code for (it holds %s)", s.label, activities.PointModelFile)
		}
		if len(p.Rates) > 0 {
			if g, err = explore.Prune(g, explore.Rates(p.Rates)); err != nil {
				return nil, fmt.Errorf("point %s: %w", s.label, err)
			}
		}
	}
	if s.point != "" {
		if err := checkPointManifest(s.point, g); err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "%s: warning: %v\n", verb, err)
		}
	}
	return g, nil
}

// frontPointOf finds a label's point in a front.json.
func frontPointOf(path, label string) (frontPoint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return frontPoint{}, err
	}
	var ff frontFile
	if err := json.Unmarshal(data, &ff); err != nil {
		return frontPoint{}, fmt.Errorf("%s: %w", path, err)
	}
	if ff.Baseline != nil && ff.Baseline.Label == label {
		return *ff.Baseline, nil
	}
	var labels []string
	for _, p := range ff.Points {
		if p.Label == label {
			return p, nil
		}
		labels = append(labels, p.Label)
	}
	return frontPoint{}, fmt.Errorf("%s has no point labelled %q (labels: %v)", path, label, labels)
}

func runGenerate(cmd *cobra.Command, modelPath string, f *generateFlags) error {
	if f.out == "" {
		return fmt.Errorf("generate: --out is required")
	}
	if f.vectors < 1 {
		return fmt.Errorf("generate: --vectors %d must be at least 1", f.vectors)
	}
	src, err := newCandidateSource(modelPath, f.point, f.front, f.label)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if entries, err := os.ReadDir(f.out); err == nil && len(entries) > 0 && !f.force {
		return fmt.Errorf("generate: %s exists and is not empty; pass --force to overwrite the generated files in it", f.out)
	}
	g, err := src.load(cmd, "generate")
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	t, err := tc3xx.Lookup(f.target)
	if err != nil {
		return fmt.Errorf("generate: --target: %w", err)
	}
	opts := codegen.Options{Prefix: f.prefix, Format: f.format}
	plan, err := codegen.PlanGraph(g, opts)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	placed, err := tc3xx.Place(g, plan, t)
	if err != nil {
		return fmt.Errorf("generate: placing on %s: %w", t, err)
	}
	if best := placed.Best; best != nil {
		opts.WeightsMemory, opts.ArenaMemory = memoriesOf(*best)
	} else {
		fmt.Fprintf(cmd.ErrOrStderr(), "generate: warning: the model fits no placement on %s; using the default PFlash weights and DSPR arena\n", t)
	}
	tv, err := randomVectors(g, f.vectors, f.seed)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	opts.Vectors = tv
	out, err := codegen.Generate(g, opts)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if err := out.WriteDir(f.out, f.force); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	p := out.Plan
	if f.json {
		var files []string
		for _, fl := range out.Files {
			files = append(files, fl.Name)
		}
		js, err := json.MarshalIndent(struct {
			Dir           string   `json:"dir"`
			Files         []string `json:"files"`
			Format        string   `json:"format"`
			WeightsMemory string   `json:"weights_memory"`
			ArenaBytes    int      `json:"arena_bytes"`
			WeightBytes   int      `json:"weight_bytes"`
			CodeBytes     int      `json:"code_bytes_estimate"`
			MACs          int      `json:"macs"`
			EffectiveMACs int      `json:"effective_macs"`
		}{f.out, files, f.format, opts.WeightsMemory, p.ArenaBytes, p.WeightBytes, p.CodeBytesEstimate, p.MACs, p.EffectiveMACs}, "", "  ")
		if err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		fmt.Fprintln(cmd.OutOrStdout(), string(js))
		return nil
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d files; arena %d B, weights %d B (%s, in %s), code about %d B, %d MACs (%d effective)\n",
		f.out, len(out.Files), p.ArenaBytes, p.WeightBytes, f.format, opts.WeightsMemory, p.CodeBytesEstimate, p.MACs, p.EffectiveMACs)
	return nil
}

// firstArg returns args[0], or "" when there is none.
func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// memoriesOf maps a tc3xx placement to codegen's memory names.
func memoriesOf(c tc3xx.Cost) (weights, arena string) {
	weights, arena = codegen.MemoryPFlash, codegen.MemoryDSPR
	switch c.Weights {
	case tc3xx.WeightsInLMU:
		weights = codegen.MemoryLMU
	case tc3xx.WeightsInDSPR:
		weights = codegen.MemoryDSPR
	}
	if c.Activations == tc3xx.ActivationsInDLMU {
		arena = codegen.MemoryLMU
	}
	return weights, arena
}

// checkPointManifest compares the pruned model with the one the point's manifest names.
func checkPointManifest(dir string, g *model.Graph) error {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return fmt.Errorf("point %s: %w", dir, err)
	}
	var m codegen.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("point %s manifest: %w", dir, err)
	}
	h := *g
	if got := h.Hash(); m.ModelSHA256 != "" && got != m.ModelSHA256 {
		return fmt.Errorf("point %s was generated from model sha256 %s, but this model pruned with its rates is %s (another model file, or another tcdse version)", dir, m.ModelSHA256, got)
	}
	return nil
}

// randomVectors draws n standard-normal inputs and runs them through the Go interpreter.
func randomVectors(g *model.Graph, n int, seed int64) (*codegen.TestVectors, error) {
	if len(g.Inputs) != 1 {
		return nil, fmt.Errorf("graph %q has %d inputs; want 1", g.Name, len(g.Inputs))
	}
	rng := rand.New(rand.NewSource(seed))
	in := model.NewTensor(append([]int{n}, g.Inputs[0].Shape...)...)
	for i := range in.Data {
		in.Data[i] = float32(rng.NormFloat64())
	}
	outs, err := g.Run(in)
	if err != nil {
		return nil, err
	}
	return &codegen.TestVectors{Inputs: in, Outputs: outs[0]}, nil
}

// validateFlags are the options of `tcdse validate`.
type validateFlags struct {
	board   string
	cc      string
	timeout time.Duration
}

func newValidateCmd(g *globalFlags) *cobra.Command {
	f := &validateFlags{}
	cmd := &cobra.Command{
		Use:   "validate DIR --board host",
		Short: "Build a generated tree, run its harness and compare with the Go reference",
		Long: `validate builds the tree in DIR (written by generate or by a sweep) with make and the
host C compiler, runs its harness, which checks the C against the Go interpreter's outputs
stored in test_vectors.h, and prints the result as JSON. It needs no NATS server: the host
board driver runs in-process. Any other --board is a board class of the farm on --nats: the tree
goes to the artifact store and runs there as an interactive job (ahead of batch jobs). It exits
non-zero when the tree does not build or the check fails.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(cmd, g, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.board, "board", "host", "board to run on: host runs locally, any other name is a farm board class")
	fl.StringVar(&f.cc, "cc", "", "C compiler for the host board (default gcc)")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Minute, "bound on build and run")
	return cmd
}

func runValidate(cmd *cobra.Command, g *globalFlags, dir string, f *validateFlags) error {
	if _, err := os.Stat(filepath.Join(dir, "harness.c")); err != nil {
		return fmt.Errorf("validate: %s is not a generated tree: %w", dir, err)
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	var res *hilbench.RunResult
	var err error
	if f.board == "host" {
		res, err = hilbench.HostDriver{CC: f.cc}.Run(ctx, dir)
	} else {
		res, err = runOnFarm(ctx, g, dir, f.board, max(f.timeout, time.Second))
	}
	if err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	js, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	fmt.Fprintln(cmd.OutOrStdout(), string(js))
	switch {
	case !res.Built:
		return fmt.Errorf("validate: %s does not build; build log tail:\n%s", dir, res.BuildLog)
	case !res.Pass:
		return fmt.Errorf("validate: %s: the C disagrees with the Go reference (max_rel_err %g over %d vectors)", dir, res.MaxRelErr, res.Vectors)
	}
	return nil
}
