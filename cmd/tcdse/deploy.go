package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/tcdse/tcdse/candidate"
	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/deploy"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/store"
	"github.com/tcdse/tcdse/tc3xx"
	"github.com/tcdse/tcdse/workers"
)

// version is set at build time (-ldflags "-X main.version=..."); empty means the module's
// build information.
var version string

// tcdseVersion names this build: the -X version, else the module version with the VCS
// revision Go recorded, else "devel".
func tcdseVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision":
			v += "+" + s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			v += "-dirty"
		}
	}
	return v
}

// deployFlags are the options of `tcdse deploy`.
type deployFlags struct {
	target, toolchain, out string
	weights, arena         string
	format, prefix, spec   string
	costModel              string
	vectors                int
	seed                   int64
	force                  bool
	validate               string
	timeout                time.Duration
	results                string
}

// downloadPoint downloads the outputs of sweep id into dir (default DATA_DIR/results/ID) and
// returns the directory of its point label, or an error naming the labels that have code.
func downloadPoint(ctx context.Context, g *globalFlags, id, label, dir string) (string, error) {
	if dir == "" {
		dir = filepath.Join(g.dataDir, "results", id)
	}
	if err := g.followByID(ctx, id, dir); err != nil {
		return "", fmt.Errorf("fetching sweep %s: %w", id, err)
	}
	point := filepath.Join(dir, "points", label)
	if st, err := os.Stat(point); err == nil && st.IsDir() {
		return point, nil
	}
	have, _ := filepath.Glob(filepath.Join(dir, "points", "*"))
	for i, h := range have {
		have[i] = filepath.Base(h)
	}
	return "", fmt.Errorf("sweep %s has no code for point %q (points with code: %v; 'tcdse sweep pick %s %s' generates it)", id, label, have, id, label)
}

func newDeployCmd(g *globalFlags) *cobra.Command {
	f := &deployFlags{}
	cmd := &cobra.Command{
		Use:   "deploy POINT|WORKFLOW_ID LABEL --target DERIVATIVE:CORE --toolchain hightec|tasking|gcc --out DIR",
		Short: "Write a firmware bundle for a design point: placed C, linker fragment, example, Makefile, manifest",
		Long: `deploy writes a firmware bundle for POINT, a point directory OUT/points/LABEL a sweep
wrote (or downloaded; it holds the point's own model.tcdse), or a model file. The bundle
holds the generated C with the weights and the arena placed in the core's memories by
section attributes, a linker fragment in the memory and section names of Infineon's TC3xx
linker files (GNU ld for hightec and gcc, LSL for tasking), an integration example that
runs and times the model on test vectors and prints a "TCDSE v=1 pass=... cycles=..." line,
a Makefile (host, HighTec, TASKING) and manifest.json (tcdse version, model hash, candidate
id, spec hash, target, placement, estimated and measured cost, every file's SHA-256).

The placement is the cheapest fitting one of the cost model unless --weights or --arena
name one. A point that does not fit the core is refused with the numbers unless --force.
The same inputs give byte-identical bundles. With --validate CLASS the bundle runs once on
a board agent of that class over NATS (--nats) and the measurement goes into the manifest.
Given a sweep's workflow id and a point's label instead, deploy first downloads the sweep's
outputs (as 'tcdse results ID' does, sha256-checked, never running the sweep again) into
--results (default DATA_DIR/results/ID) and deploys OUT/points/LABEL from there.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			point := args[0]
			if len(args) == 2 {
				var err error
				if point, err = downloadPoint(cmd.Context(), g, args[0], args[1], f.results); err != nil {
					return fmt.Errorf("deploy: %w", err)
				}
			}
			return runDeploy(cmd, g, point, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "tc387:cpu2", "target DERIVATIVE:CORE")
	fl.StringVar(&f.results, "results", "", "with WORKFLOW_ID LABEL: where the sweep's outputs are downloaded (default DATA_DIR/results/ID)")
	fl.StringVar(&f.toolchain, "toolchain", string(deploy.HighTec), "hightec, tasking or gcc")
	fl.StringVar(&f.out, "out", "", "bundle directory (required)")
	fl.StringVar(&f.weights, "weights", "", "force the weights' memory: pflash, pflash_nc, lmu or dspr (default: the cost model's choice)")
	fl.StringVar(&f.arena, "arena", "", "force the arena's memory: dspr or dlmu (default: the cost model's choice)")
	fl.StringVar(&f.format, "format", codegen.FormatAuto, "weight format, as for generate")
	fl.StringVar(&f.prefix, "prefix", codegen.DefaultPrefix, "C symbol and file name prefix")
	fl.StringVar(&f.costModel, "cost-model", "", "calibrated cost model file (the sweep's cost_model), for the placement and the estimate")
	fl.StringVar(&f.spec, "spec", "", "the sweep spec the point came from, whose hash the manifest records")
	fl.IntVar(&f.vectors, "vectors", 4, "random test vectors the example checks")
	fl.Int64Var(&f.seed, "seed", 1, "seed of the random test vectors")
	fl.BoolVar(&f.force, "force", false, "bundle a point that does not fit, and write into a non-empty --out")
	fl.StringVar(&f.validate, "validate", "", "run the bundle once on a board agent of this class (e.g. host) and record the measurement")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Minute, "bound on --validate")
	cmd.AddCommand(newDeployVerifyCmd())
	return cmd
}

func newDeployVerifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify DIR",
		Short: "Re-hash a bundle's files against its manifest.json",
		Long: `verify recomputes the SHA-256 of every file manifest.json lists and exits non-zero
naming each changed or missing file. Files the manifest does not list (build outputs) are
reported but are not an error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, v, err := deploy.Verify(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d files match the manifest (model sha256 %s, %s, %s)\n", args[0], v.Checked, m.ModelSHA256, m.Target, m.Toolchain)
			if len(v.Extra) > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "not in the manifest: %v\n", v.Extra)
			}
			return nil
		},
	}
}

func runDeploy(cmd *cobra.Command, g *globalFlags, point string, f *deployFlags) error {
	if f.out == "" {
		return fmt.Errorf("deploy: --out is required")
	}
	if f.vectors < 1 {
		return fmt.Errorf("deploy: --vectors %d must be at least 1", f.vectors)
	}
	tc, err := deploy.ParseToolchain(f.toolchain)
	if err != nil {
		return err
	}
	c, err := candidate.ResolveCosting(f.target, "", f.costModel)
	if err != nil {
		return fmt.Errorf("deploy: --target, --cost-model: %w", err)
	}
	t := c.Target
	req := deploy.Request{
		Target: t, Toolchain: tc, Weights: tc3xx.Placement(f.weights), Activations: tc3xx.ActivationPlacement(f.arena),
		Format: f.format, Prefix: f.prefix, Force: f.force, Version: tcdseVersion(),
	}
	src := &candidateSource{model: point}
	if st, err := os.Stat(point); err == nil && st.IsDir() {
		if src, err = newCandidateSource("", point, "", ""); err != nil {
			return fmt.Errorf("deploy: %w", err)
		}
		req.Point = pointInfo(point)
		req.Measured = sweepMeasurement(point, t.Core.Clock.Value)
	} else if err != nil {
		return fmt.Errorf("deploy: POINT %s: %w", point, err)
	} else {
		req.Point = deploy.PointInfo{Source: point}
	}
	if req.Graph, err = src.load(cmd, "deploy"); err != nil {
		return fmt.Errorf("deploy: %w", err)
	}
	if f.costModel != "" {
		req.CostModel = &c.Model
	}
	if f.spec != "" {
		if req.SpecSHA256, err = specHash(f.spec); err != nil {
			return fmt.Errorf("deploy: --spec: %w", err)
		}
	}
	if req.Vectors, err = codegen.RandomVectors(req.Graph, f.vectors, f.seed); err != nil {
		return fmt.Errorf("deploy: %w", err)
	}
	b, err := deploy.Build(req)
	if err != nil {
		return err
	}
	if err := b.WriteDir(f.out, f.force); err != nil {
		return fmt.Errorf("deploy: %w", err)
	}
	m := b.Manifest
	p, e := m.Placement, m.Estimated
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d files for %s (%s); weights %d B in %s, arena %d B in %s; estimated %d cycles (%.1f µs), ROM %d B, RAM %d B\n",
		f.out, len(b.Files), m.Target, m.Toolchain, e.WeightBytes, p.WeightsRegion, e.ArenaBytes, p.ArenaRegion, e.Cycles, e.TimeUS, e.ROMBytes, e.RAMBytes)
	if m.Forced {
		fmt.Fprintf(cmd.ErrOrStderr(), "deploy: warning: bundled with --force; it does not fit: %s\n", e.Reason)
	}
	if f.validate == "" {
		return nil
	}
	return validateBundle(cmd, g, f, b)
}

// pointInfo reads the point's label and candidate id from the sweep's front.json next to
// OUT/points (when present).
func pointInfo(dir string) deploy.PointInfo {
	label := filepath.Base(filepath.Clean(dir))
	info := deploy.PointInfo{Label: label, Source: dir}
	fh, err := os.Open(filepath.Join(dir, "..", "..", "front.json"))
	if err != nil {
		return info
	}
	defer fh.Close()
	rep, err := pareto.ReadJSON(fh)
	if err != nil {
		return info
	}
	for _, p := range append([]pareto.Point{rep.Baseline}, rep.Points...) {
		if p.Label == label {
			info.CandidateID = p.ID
		}
	}
	return info
}

// sweepMeasurement finds the point's board run in the sweep's points.json, if any; clockHz
// converts a TC3xx board's nanoseconds to cycles.
func sweepMeasurement(dir string, clockHz int64) *deploy.Measured {
	data, err := os.ReadFile(filepath.Join(dir, "..", "..", "points.json"))
	if err != nil {
		return nil
	}
	var pts struct {
		Code []struct {
			Label string    `json:"label"`
			Code  store.Ref `json:"code"`
		} `json:"code"`
		Boards []hilbench.RunResult `json:"boards"`
	}
	if json.Unmarshal(data, &pts) != nil {
		return nil
	}
	label := filepath.Base(filepath.Clean(dir))
	for _, c := range pts.Code {
		if c.Label != label || len(c.Code.Key) < 12 {
			continue
		}
		for _, r := range pts.Boards {
			if r.JobID == label+"-"+c.Code.Key[:12] && r.Error == "" && r.Built {
				return measurement("sweep", r, clockHz)
			}
		}
	}
	return nil
}

// measurement turns a board's result into the manifest's record. Cycles are the board's own
// count when it reports one (a farm board's result line); otherwise they are derived from
// the nanoseconds at the core clock clockHz, for boards other than the host (whose timing
// says nothing about a TC3xx; 0: not derived).
func measurement(source string, r hilbench.RunResult, clockHz int64) *deploy.Measured {
	m := &deploy.Measured{Source: source, Board: r.Board, Agent: r.Agent, Pass: r.Pass, NsPerInference: r.NsPerInference,
		Iterations: r.Iterations, MaxRelErr: r.MaxRelErr}
	switch {
	case r.CyclesPerInference > 0:
		m.Cycles, m.CycleUnit = int64(math.Round(r.CyclesPerInference)), r.CycleUnit
	case r.Board != "host" && clockHz > 0 && r.NsPerInference > 0:
		m.Cycles, m.CycleUnit = int64(math.Round(r.NsPerInference*float64(clockHz)/1e9)), "cycles from ns at the core clock"
	}
	return m
}

// specHash is the SHA-256 of the sweep spec's canonical JSON (so YAML layout and comments
// do not change it).
func specHash(path string) (string, error) {
	spec, err := explore.LoadSweepSpec(path)
	if err != nil {
		return "", err
	}
	js, err := json.Marshal(spec)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(js)
	return hex.EncodeToString(sum[:]), nil
}

// validateBundle runs the bundle once on a board agent of class f.validate: it puts the
// packed bundle in the artifact store and sends a run request, as the sweep's RunOnBoard
// does. The agent builds `make harness` (codegen's JSON harness). The farm's command
// drivers, which run the example and parse its TCDSE line, plug in at the agent.
func validateBundle(cmd *cobra.Command, g *globalFlags, f *deployFlags, b *deploy.Bundle) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	nc, err := g.dialNATS(g.nats, "tcdse-deploy")
	if err != nil {
		return fmt.Errorf("deploy --validate: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("deploy --validate: %w", err)
	}
	objects, err := store.OpenObjects(ctx, js, workers.ArtifactBucket)
	if err != nil {
		return fmt.Errorf("deploy --validate: %w", err)
	}
	files := map[string][]byte{}
	for _, file := range b.Files {
		files[file.Name] = file.Data
	}
	tarball, err := hilbench.PackFiles(files)
	if err != nil {
		return fmt.Errorf("deploy --validate: %w", err)
	}
	ref, err := objects.Put(ctx, tarball)
	if err != nil {
		return fmt.Errorf("deploy --validate: %w", err)
	}
	// An interactive job on the farm's queue for the board class.
	farm, err := hilbench.OpenFarm(ctx, nc, hilbench.FarmConfig{})
	if err != nil {
		return fmt.Errorf("deploy --validate: %w", err)
	}
	res, err := farm.Run(ctx, hilbench.RunRequest{
		Version: hilbench.ProtocolVersion, JobID: "deploy-" + ref.Key[:12], Board: f.validate, Priority: hilbench.Interactive,
		Label: "deploy", Bucket: ref.Bucket, Object: ref.Key, SHA256: ref.Key, TimeoutSeconds: int(f.timeout.Seconds()),
	})
	if err != nil {
		return fmt.Errorf("deploy --validate %s: %w", f.validate, err)
	}
	t, _ := tc3xx.Lookup(f.target)
	m := b.Manifest
	m.Measured = measurement("validate", *res, t.Core.Clock.Value)
	if err := deploy.WriteManifest(f.out, &m); err != nil {
		return fmt.Errorf("deploy --validate: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "validated on %s (agent %s): built %v, pass %v, %d vectors, max rel err %.3g, %.0f ns per inference\n",
		res.Board, res.Agent, res.Built, res.Pass, res.Vectors, res.MaxRelErr, res.NsPerInference)
	switch {
	case !res.Built:
		return fmt.Errorf("deploy --validate: the bundle does not build on %s; build log tail:\n%s", f.validate, res.BuildLog)
	case !res.Pass:
		return fmt.Errorf("deploy --validate: the bundle's C disagrees with the reference on %s (max rel err %g)", f.validate, res.MaxRelErr)
	}
	return nil
}
