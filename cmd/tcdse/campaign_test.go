package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/tcdse/tcdse/activities"
	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/hilbench"
	"github.com/tcdse/tcdse/store"
	"github.com/tcdse/tcdse/workers"
	"github.com/tcdse/tcdse/workflows"
)

// cheapActivities stand in for the sweep's activities so that the real Sweep and Campaign
// workflows can run thousands of candidates on the embedded Temporal server in seconds: a
// model of cheapLayers layers whose quality falls with the pruning rates. The campaign's
// summary activity is the real one.
type cheapActivities struct {
	*activities.Activities
	delay time.Duration
}

const cheapLayers = 12

func (c *cheapActivities) Import(ctx context.Context, in activities.ImportInput) (activities.ImportResult, error) {
	res := activities.ImportResult{Model: store.Ref{Bucket: "cheap", Key: "base"}, ModelHash: "base", Samples: 100}
	for i := 0; i < cheapLayers; i++ {
		res.Layers = append(res.Layers, activities.LayerInfo{Name: fmt.Sprintf("l%d", i), Op: "Gemm", Params: 1000})
	}
	res.Baseline = cheapEval("dense", nil, in.Spec.Target)
	return res, nil
}

func (c *cheapActivities) Evaluate(ctx context.Context, in activities.EvalInput) (activities.Evaluation, error) {
	time.Sleep(c.delay)
	ev := cheapEval(in.Label, in.Rates, in.Target)
	if in.Keep {
		ev.Model = &store.Ref{Bucket: "cheap", Key: ev.CandidateID}
		ev.ModelHash = ev.CandidateID
	}
	return ev, nil
}

func cheapEval(label string, rates explore.Rates, target string) activities.Evaluation {
	sum := 0.0
	for _, r := range rates {
		sum += r
	}
	id := sha256.Sum256([]byte(fmt.Sprint(label, rates, target)))
	kept := 1 - sum/cheapLayers
	return activities.Evaluation{
		CandidateID: hex.EncodeToString(id[:8]), Label: label, Rates: rates, Quality: 0.99 - 0.02*sum*sum/cheapLayers,
		Sparsity: sum / cheapLayers, Cycles: int64(1e6 * kept), TimeUS: 3333 * kept,
		ROMBytes: int64(48000*kept) + 2000, RAMBytes: 4000, WeightBytes: int64(48000 * kept), ArenaBytes: 3000, Fits: true,
	}
}

func (c *cheapActivities) Generate(ctx context.Context, in activities.GenerateInput) (activities.GenerateResult, error) {
	return activities.GenerateResult{Label: in.Label, Dir: filepath.Join(in.OutDir, in.Label)}, nil
}

func (c *cheapActivities) RunOnBoard(ctx context.Context, in activities.BoardInput) (hilbench.RunResult, error) {
	return hilbench.RunResult{Board: in.Board, Built: true, Pass: true}, nil
}

func (c *cheapActivities) WriteReport(ctx context.Context, in activities.ReportInput) ([]string, error) {
	return nil, nil
}

func (c *cheapActivities) StoreReport(ctx context.Context, in activities.ReportInput) (activities.StoreReportResult, error) {
	return activities.StoreReportResult{}, nil
}

// startCheapWorker runs the real workflows with cheapActivities on the test stack.
func startCheapWorker(t *testing.T, c client.Client, delay time.Duration) {
	t.Helper()
	acts := &cheapActivities{Activities: &activities.Activities{}, delay: delay}
	// Workflow tasks on "tcdse"; the activities also on each role's queue, where sweeps route them.
	for _, role := range activities.Roles {
		w := worker.New(c, activities.TaskQueue(role), worker.Options{MaxConcurrentActivityExecutionSize: 16})
		if role == activities.RoleWorkflow {
			w.RegisterWorkflowWithOptions(workflows.Sweep, workflow.RegisterOptions{Name: "Sweep"})
			w.RegisterWorkflowWithOptions(workflows.Campaign, workflow.RegisterOptions{Name: "Campaign"})
		}
		w.RegisterActivity(acts)
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}
}

// startCheapStack is the test stack with tcdse's search attributes and a worker of the real
// workflows on cheapActivities that take delay each.
func startCheapStack(ctx context.Context, t *testing.T, delay time.Duration) *testStack {
	t.Helper()
	ts := startTestStack(ctx, t, t.TempDir())
	if err := workers.RegisterSearchAttributes(ctx, ts.client, ts.st.Namespace()); err != nil {
		t.Fatal(err)
	}
	startCheapWorker(t, ts.client, delay)
	return ts
}

// waitUntil polls cond every 100 ms until it holds, failing the test with what when ctx ends.
func waitUntil(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %v", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// cheapCampaign is models × targets of cheap sweeps, each 1 + 12 layers × 5 rates + 10 steps =
// 71 candidates.
func cheapCampaign(t *testing.T, name string, models int, targets ...string) explore.CampaignSpec {
	spec := explore.CampaignSpec{Name: name, Out: t.TempDir(), Targets: targets, Concurrency: 3,
		Sweep: explore.SweepSpec{Metric: "top1", Threshold: explore.ThresholdSpec{Relative: 0.95},
			Rates: []float64{0.3, 0.5, 0.7, 0.8, 0.9}, Schedule: []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}, Generate: explore.GenerateSpec{Max: 1}}}
	for i := 0; i < models; i++ {
		spec.Models = append(spec.Models, explore.SweepSpec{Name: fmt.Sprintf("m%02d", i), Model: "m.onnx", Data: dataset.Spec{Format: "mnist"}})
	}
	return spec
}

// listWorkflows returns the executions matching a visibility query.
func listWorkflows(ctx context.Context, t *testing.T, c client.Client, ns, query string) []string {
	t.Helper()
	var ids []string
	var token []byte
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns, Query: query, NextPageToken: token})
		if err != nil {
			t.Fatalf("list %q: %v", query, err)
		}
		for _, e := range resp.Executions {
			ids = append(ids, e.Execution.WorkflowId+" "+e.Execution.RunId)
		}
		if token = resp.NextPageToken; len(token) == 0 {
			return ids
		}
	}
}

// TestCampaignOnTemporalServer runs a campaign of 15 cheap sweeps (1,065 candidates) on the
// embedded Temporal server with a small events_per_run, and checks that it continued as new,
// that no run of the campaign or of a sweep has more than 10,000 history events, that the
// search attributes find its sweeps while they run, and that the summary covers every sweep.
func TestCampaignOnTemporalServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ts := startCheapStack(ctx, t, 0)
	ns := ts.st.Namespace()
	spec := cheapCampaign(t, "bounded", 15, "tc387:cpu2")
	spec.EventsPerRun = 40
	run, err := startCampaign(ctx, ts.client, ns, spec, "bounded")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var res workflows.CampaignResult
	go func() { done <- run.Get(ctx, &res) }()

	// The query of the issue, while sweeps run.
	query := `TcdseTarget = "tc387:cpu2" AND ExecutionStatus = "Running" AND TcdseCampaign = "bounded"`
	found := 0
	for found == 0 {
		select {
		case err := <-done:
			t.Fatalf("the campaign ended (%v) before %q found a running sweep", err, query)
		case <-time.After(100 * time.Millisecond):
		}
		for _, id := range listWorkflows(ctx, t, ts.client, ns, query) {
			if strings.Contains(id, "/m") {
				found++
			}
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if res.Runs < 2 {
		t.Errorf("the campaign ran in %d run(s); with events_per_run 40 it must continue as new", res.Runs)
	}
	if res.Summary.Evaluations < 1000 || len(res.Summary.Rows) != 15 || res.Summary.Partial {
		t.Errorf("summary: %d evaluations, %d rows, partial %v", res.Summary.Evaluations, len(res.Summary.Rows), res.Summary.Partial)
	}
	maxEvents := map[string]int{}
	runs := listWorkflows(ctx, t, ts.client, ns, "")
	for _, id := range runs {
		wid, rid, _ := strings.Cut(id, " ")
		it := ts.client.GetWorkflowHistory(ctx, wid, rid, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		n := 0
		for it.HasNext() {
			if _, err := it.Next(); err != nil {
				t.Fatal(err)
			}
			n++
		}
		kind := "sweep"
		if !strings.Contains(wid, "/") {
			kind = "campaign"
		}
		maxEvents[kind] = max(maxEvents[kind], n)
		if n > 10000 {
			t.Errorf("%s has %d events", id, n)
		}
	}
	if maxEvents["campaign"] > spec.EventsPerRun+100 {
		t.Errorf("a campaign run has %d events; events_per_run is %d", maxEvents["campaign"], spec.EventsPerRun)
	}
	t.Logf("%d runs listed; most events: campaign run %d, sweep %d; %d evaluations", len(runs), maxEvents["campaign"], maxEvents["sweep"], res.Summary.Evaluations)
	if _, err := os.Stat(filepath.Join(spec.Out, activities.SummaryJSON)); err != nil {
		t.Error(err)
	}
	// The same query with the temporal CLI, when built.
	if cli, _ := filepath.Abs("../../bin/temporal"); fileExists(cli) {
		out, err := exec.CommandContext(ctx, cli, "workflow", "list", "--address", ts.st.TemporalHostPort(), "--namespace", ns,
			"--query", `TcdseTarget = "tc387:cpu2" AND TcdseCampaign = "bounded"`).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "bounded/m00") {
			t.Errorf("temporal workflow list --query: %v\n%s", err, out)
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// tcdse runs the tcdse command in this process against the test stack.
func tcdse(ctx context.Context, t *testing.T, ts *testStack, args ...string) {
	t.Helper()
	root := newRoot()
	root.SetArgs(append([]string{"--temporal", ts.st.TemporalHostPort(), "--namespace", ts.st.Namespace()}, args...))
	if err := root.ExecuteContext(ctx); err != nil {
		t.Fatalf("tcdse %s: %v", strings.Join(args, " "), err)
	}
}

// waitCampaigns waits until n campaigns started by the schedule have completed, and returns
// their workflow ids.
func waitCampaigns(ctx context.Context, t *testing.T, ts *testStack, schedule string, n int) []string {
	t.Helper()
	query := fmt.Sprintf(`WorkflowType = "Campaign" AND TemporalScheduledById = %q AND ExecutionStatus = "Completed"`, schedule)
	var ids []string
	waitUntil(ctx, t, fmt.Sprintf("waiting for %d campaigns of schedule %s", n, schedule), func() bool {
		ids = listWorkflows(ctx, t, ts.client, ts.st.Namespace(), query)
		return len(ids) >= n
	})
	return ids
}

// TestScheduledCampaign creates a schedule with `tcdse schedule create` that fires every 2 s,
// waits for its campaign to complete, pauses it, triggers a second run by hand and checks that
// the second summary compares with the first; then the same schedule through the temporal CLI.
func TestScheduledCampaign(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	ts := startCheapStack(ctx, t, 0)
	spec := cheapCampaign(t, "sched", 2, "tc387:cpu2", "tc327:cpu0")
	spec.Sweep.Rates, spec.Sweep.Schedule = []float64{0.5}, []float64{0.5, 1}
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "campaign.yaml") // JSON is YAML
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	tcdse(ctx, t, ts, "schedule", "create", "nightly", "--cron", "@every 2s", file)
	first := waitCampaigns(ctx, t, ts, "nightly", 1)
	tcdse(ctx, t, ts, "schedule", "pause", "nightly", "--note", "test")
	desc, err := ts.client.ScheduleClient().GetHandle(ctx, "nightly").Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !desc.Schedule.State.Paused || desc.Schedule.Policy.Overlap != enumspb.SCHEDULE_OVERLAP_POLICY_SKIP || desc.Schedule.Policy.CatchupWindow != time.Hour {
		t.Errorf("schedule state %+v, policy %+v", desc.Schedule.State, desc.Schedule.Policy)
	}
	n := len(waitCampaigns(ctx, t, ts, "nightly", 1))
	tcdse(ctx, t, ts, "schedule", "trigger", "nightly")
	ids := waitCampaigns(ctx, t, ts, "nightly", n+1)
	tcdse(ctx, t, ts, "schedule", "list")
	// Every run but the schedule's first compares with the run before it.
	var res workflows.CampaignResult
	compared := 0
	for _, id := range ids {
		wid, _, _ := strings.Cut(id, " ")
		var r workflows.CampaignResult
		if err := ts.client.GetWorkflow(ctx, wid, "").Get(ctx, &r); err != nil {
			t.Fatal(err)
		}
		if r.Summary.Previous != "" && r.Summary.Previous != r.Summary.Run {
			compared++
			res = r
		}
	}
	if compared != len(ids)-1 || len(res.Summary.Rows) != 4 {
		t.Fatalf("%d of %d scheduled runs compare with a previous one (first %v); want all but the first", compared, len(ids), first)
	}
	for _, r := range res.Summary.Rows {
		if r.Verdict != "fits" || len(r.Changes) != 0 {
			t.Errorf("row %s %s: verdict %s, changes %v (nothing changed between the runs)", r.Model, r.Target, r.Verdict, r.Changes)
		}
	}
	tcdse(ctx, t, ts, "schedule", "delete", "nightly")
	if _, err := ts.client.ScheduleClient().GetHandle(ctx, "nightly").Describe(ctx); err == nil {
		t.Error("the schedule is still there after delete")
	}

	// The documented temporal CLI command creates the same kind of schedule.
	cli, _ := filepath.Abs("../../bin/temporal")
	if !fileExists(cli) {
		t.Skip("bin/temporal not built (make tools): the temporal CLI half is skipped")
	}
	spec.Name, spec.Out = "cli", filepath.Join(dir, "cli-out")
	b, _ = json.Marshal(spec)
	out, err := exec.CommandContext(ctx, cli, "schedule", "create", "--address", ts.st.TemporalHostPort(), "--namespace", ts.st.Namespace(),
		"--schedule-id", "cli-nightly", "--cron", "0 22 * * 1-5", "--overlap-policy", "Skip", "--catchup-window", "1h",
		"--workflow-id", "campaign-cli-nightly", "--task-queue", "tcdse", "--type", "Campaign", "--input", string(b)).CombinedOutput()
	if err != nil {
		t.Fatalf("temporal schedule create: %v\n%s", err, out)
	}
	tcdse(ctx, t, ts, "schedule", "trigger", "cli-nightly")
	waitCampaigns(ctx, t, ts, "cli-nightly", 1)
	tcdse(ctx, t, ts, "schedule", "delete", "cli-nightly")
}

// TestSteerRunningSweep steers a running sweep (cheap activities of 100 ms) with the tcdse
// commands: status, pick, extend, priority, then stop; and finds it by its phase while it runs.
func TestSteerRunningSweep(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ts := startCheapStack(ctx, t, 100*time.Millisecond)
	ns := ts.st.Namespace()
	spec := cheapCampaign(t, "steer", 1, "tc387:cpu2").ModelSweep(0, []string{"tc387:cpu2"})
	spec.MaxEvaluations, spec.Concurrency = 30, 2
	// Started directly: the cheap worker's model and data are names, not files to upload.
	run, err := ts.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "steered", TaskQueue: workflows.TaskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.AttrModel.ValueSet(spec.Name), workflows.AttrTarget.ValueSet([]string{spec.Target}))},
		"Sweep", spec.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(ctx, t, "the sweep was never listed in its sensitivity phase", func() bool {
		return len(listWorkflows(ctx, t, ts.client, ns, `TcdsePhase = "sensitivity" AND TcdseModel = "m00" AND ExecutionStatus = "Running"`)) > 0
	})
	tcdse(ctx, t, ts, "sweep", "status", "steered")
	tcdse(ctx, t, ts, "sweep", "pick", "steered", "l0@0.3")
	tcdse(ctx, t, ts, "sweep", "extend", "steered", "--evaluations", "10")
	tcdse(ctx, t, ts, "sweep", "priority", "steered", "interactive")
	if cli, _ := filepath.Abs("../../bin/temporal"); fileExists(cli) { // the documented temporal CLI forms
		for _, args := range [][]string{
			{"workflow", "query", "--workflow-id", "steered", "--name", "status"},
			{"workflow", "update", "execute", "--workflow-id", "steered", "--name", "extend", "--input", "5"},
		} {
			out, err := exec.CommandContext(ctx, cli, append(args, "--address", ts.st.TemporalHostPort(), "--namespace", ns)...).CombinedOutput()
			if err != nil {
				t.Errorf("temporal %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
	}
	tcdse(ctx, t, ts, "sweep", "stop", "steered")
	var res workflows.SweepResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Partial != workflows.EndedStopped || res.Evaluations > 45 || len(res.Report.Points) != res.Evaluations {
		t.Errorf("partial %q, %d evaluations, %d points; want a stopped sweep within its extended budget of 45", res.Partial, res.Evaluations, len(res.Report.Points))
	}
	if len(res.Code) != 1 || res.Code[0].Label != "l0@0.3" {
		t.Errorf("code %+v; want only the picked l0@0.3", res.Code)
	}
	if ids := listWorkflows(ctx, t, ts.client, ns, `TcdsePhase = "done" AND TcdseFits = true AND TcdseModel = "m00"`); len(ids) != 1 {
		t.Errorf("the finished sweep's search attributes: %v", ids)
	}
}

// freeHostPort returns a loopback address with a port free right now.
func freeHostPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestCampaignSurvivesKilledStack is the kill drill: a LeNet campaign (two targets) runs on a
// `tcdse up` process that is killed with SIGKILL while the sweep evaluates, then started again
// on the same data dir. The campaign must complete with the same summary as an undisturbed run
// on the restarted stack, and its sweep's history must hold every candidate once.
func TestCampaignSurvivesKilledStack(t *testing.T) {
	if testing.Short() {
		t.Skip("kill drill: two `tcdse up` processes and real LeNet sweeps")
	}
	// Since sweeps read their inputs only from the artifact store (issue 11), `tcdse campaign`
	// must upload the campaign's model and data files, which it does not do yet: this drill's
	// sweeps fail at Import on local paths. Skipped until the upload is added (issue 13).
	t.Skip("campaign kill drill: tcdse campaign does not yet store the campaign's inputs in the artifact store (open in issue 13)")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	dir := t.TempDir()
	temporalHP, natsHP := freeHostPort(t), freeHostPort(t)
	up := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "up", "--temporal", temporalHP, "--nats", "nats://"+natsHP, "--data-dir", filepath.Join(dir, "data"))
		cmd.Env = append(os.Environ(), "TCDSE_TEST_AS_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	g := &globalFlags{namespace: "default"}
	dial := func() (c client.Client) {
		waitUntil(ctx, t, "tcdse up did not come up", func() bool {
			if !g.temporalReachable(ctx, temporalHP) {
				return false
			}
			// Up once its search attributes are registered (after its worker started).
			c = mustDial(ctx, t, g, temporalHP)
			if missing, err := workers.MissingSearchAttributes(ctx, c, "default"); err == nil && len(missing) == 0 {
				return true
			}
			c.Close()
			return false
		})
		return c
	}
	spec, err := loadCampaign("../../examples/campaign/nightly.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec.Models = spec.Models[:1]
	spec.Targets = explore.TargetList{"tc387:cpu2", "tc327:cpu0"}
	spec.Budget = explore.CampaignBudget{}
	spec.Sweep.Rates, spec.Sweep.Schedule, spec.Sweep.Concurrency = []float64{0.3, 0.5, 0.7, 0.9}, []float64{0.5, 1}, 1
	spec.Models[0].Data.Limit = 200

	p := up()
	c := dial()
	spec.Name, spec.Out = "drill", filepath.Join(dir, "out-drill")
	if _, err := startCampaign(ctx, c, "default", spec, "drill"); err != nil {
		t.Fatal(err)
	}
	var st workflows.SweepStatus
	waitUntil(ctx, t, "the sweep never reached 5 evaluations", func() bool {
		v, err := c.QueryWorkflow(ctx, "drill/lenet", "", workflows.StatusQuery)
		return err == nil && v.Get(&st) == nil && st.Evaluations >= 5
	})
	t.Logf("killing tcdse up at %d evaluations (%s)", st.Evaluations, st.Progress.Phase)
	if err := p.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.Wait()
	c.Close()
	up()
	c = dial()
	defer c.Close()
	var drill workflows.CampaignResult
	if err := c.GetWorkflow(ctx, "drill", "").Get(ctx, &drill); err != nil {
		t.Fatal(err)
	}
	spec.Name, spec.Out = "calm", filepath.Join(dir, "out-calm")
	r, err := startCampaign(ctx, c, "default", spec, "calm")
	if err != nil {
		t.Fatal(err)
	}
	var calm workflows.CampaignResult
	if err := r.Get(ctx, &calm); err != nil {
		t.Fatal(err)
	}
	if len(drill.Summary.Rows) != 2 || len(calm.Summary.Rows) != 2 || drill.Summary.Evaluations != calm.Summary.Evaluations {
		t.Fatalf("drill %+v\ncalm %+v", drill.Summary, calm.Summary)
	}
	for i, a := range drill.Summary.Rows {
		b := calm.Summary.Rows[i]
		if a.Verdict != b.Verdict || (a.Best == nil) != (b.Best == nil) || a.Best != nil && (a.Best.ID != b.Best.ID || a.Best.Quality != b.Best.Quality || a.Best.Cycles != b.Best.Cycles) {
			t.Errorf("row %d differs after the kill:\ndrill %+v %+v\ncalm  %+v %+v", i, a, a.Best, b, b.Best)
		}
	}
	// Every Evaluate the killed sweep scheduled completed once: nothing was evaluated twice.
	scheduled, completed := 0, 0
	it := c.GetWorkflowHistory(ctx, "drill/lenet", "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		switch e.EventType {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			if e.GetActivityTaskScheduledEventAttributes().ActivityType.Name == "Evaluate" {
				scheduled++
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			completed++
		}
	}
	if scheduled+1 != drill.Summary.Evaluations {
		t.Errorf("the drill's sweep scheduled %d evaluations (+ the baseline) and counts %d", scheduled, drill.Summary.Evaluations)
	}
	t.Logf("drill: %d evaluations, %d activities completed; calm run the same summary", drill.Summary.Evaluations, completed)
}

func mustDial(ctx context.Context, t *testing.T, g *globalFlags, hostPort string) client.Client {
	t.Helper()
	c, err := g.dialTemporal(ctx, hostPort)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCampaignCommands drives a campaign with the tcdse commands: start, status, stop (while its
// sweeps run, activities taking 100 ms) and summary; the result is partial, marked stopped.
func TestCampaignCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ts := startCheapStack(ctx, t, 100*time.Millisecond)
	spec := cheapCampaign(t, "cmds", 3, "tc387:cpu2", "tc327:cpu0")
	spec.Concurrency = 1
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "campaign.yaml")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	tcdse(ctx, t, ts, "campaign", "start", file, "--id", "cmds")
	waitUntil(ctx, t, "the campaign's first sweep never ran", func() bool {
		st, err := campaignStatus(ctx, ts.client, "cmds")
		return err == nil && len(st.Running) > 0
	})
	tcdse(ctx, t, ts, "campaign", "status", "cmds")
	tcdse(ctx, t, ts, "campaign", "stop", "cmds")
	tcdse(ctx, t, ts, "campaign", "summary", "cmds", "--json")
	var res workflows.CampaignResult
	if err := ts.client.GetWorkflow(ctx, "cmds", "").Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Summary.Partial || res.Summary.Reason != workflows.EndedStopped || len(res.Summary.Rows) != 6 {
		t.Errorf("summary after stop: partial %v, reason %q, %d rows", res.Summary.Partial, res.Summary.Reason, len(res.Summary.Rows))
	}
	states := map[string]int{}
	for _, r := range res.Summary.Rows {
		states[r.State]++
	}
	if states["partial"] != 2 || states["not run"] != 4 {
		t.Errorf("row states %v; want the first sweep (2 targets) partial, the other two not run", states)
	}
}
