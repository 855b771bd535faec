// Command campaign measures what multi-target sweeps save: the same models explored for four
// TC3xx targets once as a campaign (one sweep per model, every candidate built and scored once
// and priced for each target) and once as independent single-target sweeps (one per model and
// target), on the embedded Temporal server and NATS with one worker. It prints the candidates
// evaluated and the wall time of both, and checks that the campaign needs at most 1/3.5 of
// the evaluations. Each arm has its own evaluation cache, so neither is served by the other.
//
// Models: lenet (bundled LeNet-5 and MNIST), kws01 (from -shared; skipped with the reason when
// absent). ad01 is not included: the shared data has one normal ToyCar clip and no labels, so
// no sweep spec can score it (bench/cmd/search scores it by reconstruction error in code).
//
//	go run ./bench/cmd/campaign [-models lenet,kws01] [-limit 300] [-strict]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/devstack"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/workers"
	"github.com/tcdse/tcdse/workflows"

	"github.com/nats-io/nats.go"
)

var targets = []string{"tc387:cpu2", "tc377:cpu0", "tc357:cpu0", "tc327:cpu0"}

func main() {
	var models, repo, shared string
	var limit int
	var strict bool
	flag.StringVar(&models, "models", "lenet,kws01", "models: lenet, kws01")
	flag.StringVar(&repo, "repo", ".", "the repository root (for testdata/examples)")
	flag.StringVar(&shared, "shared", "../shared/datasets", "the shared datasets directory (kws01)")
	flag.IntVar(&limit, "limit", 300, "samples each candidate is scored on")
	flag.BoolVar(&strict, "strict", false, "exit 1 when the campaign needs more than 1/3.5 of the evaluations")
	flag.Parse()
	if err := run(models, repo, shared, limit, strict); err != nil {
		fmt.Fprintln(os.Stderr, "campaign bench:", err)
		os.Exit(1)
	}
}

// modelSweep is one model's sweep settings, without target and out.
func modelSweep(name, repo, shared string, limit int) (explore.SweepSpec, error) {
	root, err := filepath.Abs(filepath.Join(repo, "testdata", "examples"))
	if err != nil {
		return explore.SweepSpec{}, err
	}
	s := explore.SweepSpec{Name: name, Metric: "top1", Threshold: explore.ThresholdSpec{Relative: 0.99}, Floor: 0.95,
		Rates: []float64{0.5, 0.8, 0.95}, Schedule: []float64{0.5, 1}, Generate: explore.GenerateSpec{Max: 1}}
	switch name {
	case "lenet":
		s.Model = filepath.Join(root, "lenet", "fyh620_lenet.onnx")
		s.Data = dataset.Spec{Format: "mnist", Limit: limit,
			Images: filepath.Join(root, "mnist", "t10k-1000-images-idx3-ubyte.gz"), Labels: filepath.Join(root, "mnist", "t10k-1000-labels-idx1-ubyte.gz"),
			Normalize: dataset.Normalize{Scale: 1.0 / 255, Mean: 0.1307, Std: 0.3081}}
	case "kws01":
		dir, err := filepath.Abs(filepath.Join(shared, "mlperf_tiny_kws01"))
		if err != nil {
			return s, err
		}
		if _, err := os.Stat(filepath.Join(dir, "inputs", "y_labels.csv")); err != nil {
			return s, fmt.Errorf("kws01 skipped: %w", err)
		}
		s.Model = filepath.Join(dir, "kws_ref_model_float32.tflite")
		s.Data = dataset.Spec{Format: "bin", Path: filepath.Join(dir, "inputs"), Labels: filepath.Join(dir, "inputs", "y_labels.csv"),
			DType: "int8", Shape: []int{49, 10, 1}, Scale: 0.584703, ZeroPoint: 83, Limit: limit}
	default:
		return s, fmt.Errorf("unknown model %q (want lenet or kws01)", name)
	}
	return s, nil
}

func run(models, repo, shared string, limit int, strict bool) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "tcdse-campaign-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	campaign := explore.CampaignSpec{Name: "bench", Out: filepath.Join(dir, "out-campaign"), Targets: targets, Concurrency: 2}
	for _, name := range strings.Split(models, ",") {
		s, err := modelSweep(strings.TrimSpace(name), repo, shared, limit)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		campaign.Models = append(campaign.Models, s)
	}
	if len(campaign.Models) == 0 {
		return errors.New("no model to run")
	}
	st, err := devstack.Start(ctx, devstack.Config{DataDir: filepath.Join(dir, "stack"), TemporalHostPort: "127.0.0.1:0", NATSHostPort: "127.0.0.1:0", LogWriter: devNull{}})
	if err != nil {
		return err
	}
	defer st.Stop()
	c, err := client.Dial(client.Options{HostPort: st.TemporalHostPort(), Namespace: st.Namespace(), Logger: quiet{}})
	if err != nil {
		return err
	}
	defer c.Close()
	nc, err := nats.Connect(st.NATSURL())
	if err != nil {
		return err
	}
	defer nc.Close()

	// Arm 1: the campaign, one multi-target sweep per model.
	w, err := workers.Start(ctx, workers.Config{Client: c, NATS: nc, DataDir: filepath.Join(dir, "w-campaign"), Name: "campaign"})
	if err != nil {
		return err
	}
	start := time.Now()
	var res workflows.CampaignResult
	r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-campaign", TaskQueue: workflows.TaskQueue}, "Campaign", campaign)
	if err == nil {
		err = r.Get(ctx, &res)
	}
	w.Stop()
	if err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	campaignTime := time.Since(start)
	campaignEvals := map[string]int{}
	for _, o := range res.Outcomes {
		campaignEvals[o.Model] += o.Evaluations
	}

	// Arm 2: one single-target sweep per model and target, two at a time as the campaign ran.
	w, err = workers.Start(ctx, workers.Config{Client: c, NATS: nc, DataDir: filepath.Join(dir, "w-single"), Name: "single"})
	if err != nil {
		return err
	}
	defer w.Stop()
	start = time.Now()
	singleEvals := map[string]int{}
	type job struct {
		model  string
		run    client.WorkflowRun
		target string
	}
	var pending []job
	wait := func(j job) error {
		var sr workflows.SweepResult
		if err := j.run.Get(ctx, &sr); err != nil {
			return fmt.Errorf("sweep %s on %s: %w", j.model, j.target, err)
		}
		singleEvals[j.model] += sr.Evaluations
		return nil
	}
	for i := range campaign.Models {
		for _, t := range targets {
			s := campaign.ModelSweep(i, []string{t})
			s.Out = filepath.Join(dir, "out-single", s.Name, strings.ReplaceAll(t, ":", "-"))
			r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-" + s.Name + "-" + t, TaskQueue: workflows.TaskQueue}, "Sweep", s)
			if err != nil {
				return err
			}
			pending = append(pending, job{s.Name, r, t})
			if len(pending) == 2 {
				if err := wait(pending[0]); err != nil {
					return err
				}
				pending = pending[1:]
			}
		}
	}
	for _, j := range pending {
		if err := wait(j); err != nil {
			return err
		}
	}
	singleTime := time.Since(start)

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "model\tcampaign evaluations\t%d single-target sweeps' evaluations\tratio\t\n", len(targets))
	totalC, totalS := 0, 0
	for _, m := range campaign.Models {
		totalC, totalS = totalC+campaignEvals[m.Name], totalS+singleEvals[m.Name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t1/%.2f\t\n", m.Name, campaignEvals[m.Name], singleEvals[m.Name], float64(singleEvals[m.Name])/float64(campaignEvals[m.Name]))
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t1/%.2f\t\n", totalC, totalS, float64(totalS)/float64(totalC))
	fmt.Fprintf(tw, "wall time\t%.1f s\t%.1f s\t1/%.2f\t\n", campaignTime.Seconds(), singleTime.Seconds(), singleTime.Seconds()/campaignTime.Seconds())
	tw.Flush()
	fmt.Printf("\n%d models × %d targets (%s), %d samples per candidate; target: the campaign needs at most 1/3.5 of the evaluations\n",
		len(campaign.Models), len(targets), strings.Join(targets, ", "), limit)
	if float64(totalS)/float64(totalC) < 3.5 {
		fmt.Println("MISSED: the campaign evaluated more than 1/3.5 of the single-target sweeps' candidates")
		if strict {
			os.Exit(1)
		}
	}
	return nil
}

// devNull discards the servers' logs.
type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }

// quiet is a Temporal client logger that logs nothing.
type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}
