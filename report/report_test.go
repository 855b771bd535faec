package report

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/pareto"
	"github.com/tcdse/tcdse/tc3xx"
)

const testTarget = "tc387:cpu2"

// pointOf prices g on the test target as a sweep would and returns it as a point.
func pointOf(t *testing.T, g *model.Graph, label string, quality float64) pareto.Point {
	t.Helper()
	plan, err := codegen.PlanGraph(g, codegen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tg, err := tc3xx.Lookup(testTarget)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tc3xx.Estimate(g, plan, tg)
	if err != nil {
		t.Fatal(err)
	}
	return pareto.Point{
		ID: "id-" + label, Label: label, Quality: quality, Cycles: c.Cycles, ROMBytes: c.ROMBytes, RAMBytes: c.RAMBytes,
		Fits: c.Fits, Reason: c.Reason, Sparsity: explore.Sparsity(g), WeightBytes: c.WeightBytes, ArenaBytes: c.ArenaBytes,
	}
}

// fixture writes a results directory like a LeNet sweep's: points of every kind, two trees
// with their own models and board runs, and the sweep's sensitivity.
func fixture(t *testing.T) Sweep {
	t.Helper()
	dir := t.TempDir()
	base, err := model.LoadFile("../testdata/examples/lenet/fyh620_lenet.onnx")
	if err != nil {
		t.Fatal(err)
	}
	prune := func(r explore.Rates) *model.Graph {
		g, err := explore.Prune(base, r)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	steps := map[string]*model.Graph{
		"gwp-0.5": prune(explore.Rates{"Conv_0": 0.3, "Conv_3": 0.3, "Gemm_8": 0.5, "Gemm_10": 0.4, "Gemm_12": 0.2}),
		"gwp-1":   prune(explore.Rates{"Conv_0": 0.5, "Conv_3": 0.5, "Gemm_8": 0.8, "Gemm_10": 0.7, "Gemm_12": 0.3}),
	}
	dense := pointOf(t, base, "dense", 0.979)
	pts := []pareto.Point{dense}
	for _, pr := range []struct {
		label string
		rates explore.Rates
		q     float64
	}{{"Conv_0@0.5", explore.Rates{"Conv_0": 0.5}, 0.978}, {"Conv_0@0.9", explore.Rates{"Conv_0": 0.9}, 0.5}, {"Gemm_8@0.5", explore.Rates{"Gemm_8": 0.5}, 0.979}, {"Gemm_8@0.9", explore.Rates{"Gemm_8": 0.9}, 0.966}} {
		p := pointOf(t, prune(pr.rates), pr.label, pr.q)
		p.Rates = pr.rates
		if pr.q < 0.93 {
			p.Fits, p.Reason = false, "top1 0.5 is worse than the floor 0.93"
		}
		pts = append(pts, p)
	}
	q := map[string]float64{"gwp-0.5": 0.98, "gwp-1": 0.976}
	for _, l := range []string{"gwp-0.5", "gwp-1"} {
		p := pointOf(t, steps[l], l, q[l])
		p.Derived = true
		pts = append(pts, p)
	}
	i8 := pts[len(pts)-1]
	i8.ID, i8.Label, i8.Quality, i8.ROMBytes, i8.Cycles = "id-gwp-1-int8", "gwp-1-int8", 0.974, i8.ROMBytes/3, i8.Cycles*2
	search := pts[len(pts)-2]
	search.ID, search.Label, search.Quality, search.RAMBytes = "id-search-7", "search-7", 0.9, search.RAMBytes*20
	search.Fits, search.Reason = false, "RAM 150.0 KB > DSPR of CPU2 96.0 KB"
	pts = append(pts, i8, search)
	rep := pareto.Report{Metric: "top1", HigherIsBetter: true, Target: testTarget, ClockMHz: 300, Baseline: dense, Points: pts}
	rep.Front = pareto.Front(pts, true)
	rep.SetHypervolume(0.9 * dense.Quality)
	rep.SetFootprintRatios()
	rep.SetHypervolume(0.93)
	if _, err := pareto.SaveFiles(dir, rep); err != nil {
		t.Fatal(err)
	}
	s := Sweep{Dir: dir, Report: rep}
	s.Name, s.WorkflowID, s.RunID = "lenet-test", "sweep-lenet-test", "run-1"
	s.UIURL = WorkflowURL(DefaultUIAddress, "default", s.WorkflowID, s.RunID)
	s.Sensitivity = map[string]explore.LayerSensitivity{
		"Conv_0": {Layer: "Conv_0", MaxRate: 0.5, Bound: 0.969, Curve: []explore.ProbeResult{{Layer: "Conv_0", Rate: 0.5, Quality: 0.978}, {Layer: "Conv_0", Rate: 0.9, Quality: 0.5}}},
		"Gemm_8": {Layer: "Gemm_8", MaxRate: 0.5, Bound: 0.969, Curve: []explore.ProbeResult{{Layer: "Gemm_8", Rate: 0.5, Quality: 0.979}, {Layer: "Gemm_8", Rate: 0.9, Quality: 0.966}}},
	}
	for i, l := range []string{"gwp-0.5", "gwp-1"} {
		td := filepath.Join(dir, "points", l)
		if err := os.MkdirAll(td, 0o755); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := steps[l].Encode(&buf); err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string]string{"model.tcdse": buf.String(), "manifest.json": `{"format":"auto","weights_memory":"pflash","arena_memory":"dspr"}`, "model.c": "/* C */\n"} {
			if err := os.WriteFile(filepath.Join(td, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s.Code = append(s.Code, CodeTree{Label: l, Dir: td, Files: []string{"model.c"}})
		s.Boards = append(s.Boards, BoardRun{Board: "host", Agent: "host-test", Built: true, Pass: true, MaxRelErr: 1e-7, NsPerInference: float64(200000 - 80000*i)})
	}
	return s
}

func TestKindOf(t *testing.T) {
	for _, c := range []struct {
		label, want string
		structured  bool
	}{
		{"dense", KindBaseline, false}, {"Conv_0@0.5", KindProbe, false}, {"u-Conv_0@0.5", KindProbe, true},
		{"gwp-1.1", KindGWP, false}, {"gwp-1.1", KindStructured, true}, {"gwp-u-0.5", KindGWP, true},
		{"gwp-1-int8", KindInt8, false}, {"search-12", KindSearch, false},
	} {
		p := pareto.Point{ID: c.label, Label: c.label}
		if got := KindOf(p, "dense", c.structured); got != c.want {
			t.Errorf("KindOf(%q, structured %v) = %q, want %q", c.label, c.structured, got, c.want)
		}
	}
	p := pareto.Point{ID: "x", Label: "gwp-1", Extra: map[string]any{"kind": "search"}}
	if got := KindOf(p, "dense", false); got != "search" {
		t.Errorf("Extra kind ignored: %q", got)
	}
	if l, r, u, ok := parseProbe("u-Gemm_8@0.95"); !ok || l != "Gemm_8" || r != 0.95 || !u {
		t.Errorf("parseProbe = %q %g %v %v", l, r, u, ok)
	}
	if _, _, _, ok := parseProbe("gwp-1"); ok {
		t.Error("parseProbe took a step for a probe")
	}
}

func TestCalibrate(t *testing.T) {
	if Calibrate(nil) != nil {
		t.Fatal("no pairs should give no calibration")
	}
	// Measured = 3 ns per cycle exactly: the fitted scale is 3 and the error zero.
	ns := []Pair{{Label: "a", Estimated: 100, Measured: 300}, {Label: "b", Estimated: 200, Measured: 600}, {Label: "c", Estimated: 400, Measured: 1200}}
	c := Calibrate(map[string][]Pair{"ns": ns})
	if c.Unit != "ns" || math.Abs(c.Scale-3) > 1e-9 || c.MeanAbsErr > 1e-9 || math.Abs(c.Spearman-1) > 1e-9 {
		t.Fatalf("exact ns pairs: %+v", c)
	}
	// Cycles win over time; the estimate's own error is reported (scale 1).
	cy := []Pair{{Label: "a", Estimated: 110, Measured: 100}, {Label: "b", Estimated: 180, Measured: 200}}
	c = Calibrate(map[string][]Pair{"cycles": cy, "ns": ns})
	if c.Unit != "cycles" || c.Scale != 1 || math.Abs(c.MeanAbsErr-0.1) > 1e-9 || math.Abs(c.MaxAbsErr-0.1) > 1e-9 {
		t.Fatalf("cycle pairs: %+v", c)
	}
}

func TestBuild(t *testing.T) {
	s := fixture(t)
	p, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Points) != len(s.Report.Points) {
		t.Fatalf("%d page points, want %d", len(p.Points), len(s.Report.Points))
	}
	front, kinds := 0, map[string]int{}
	for _, pt := range p.Points {
		if pt.OnFront {
			front++
		}
		kinds[pt.Kind]++
	}
	if front != len(s.Report.Front) {
		t.Errorf("%d points on the front, want %d", front, len(s.Report.Front))
	}
	for _, k := range []string{KindBaseline, KindProbe, KindGWP, KindInt8, KindSearch} {
		if kinds[k] == 0 {
			t.Errorf("no %s point in %v", k, kinds)
		}
	}
	if p.Points[p.Baseline].Label != "dense" {
		t.Errorf("baseline is %q", p.Points[p.Baseline].Label)
	}
	// The per-layer breakdown of a tree adds up to the point's own estimate (same model, same
	// cost model), and says where the weights are.
	var detailed int
	for _, pt := range p.Points {
		d := pt.Detail
		if d == nil {
			continue
		}
		detailed++
		var sum int64
		var weights int
		for _, l := range d.Layers {
			sum += l.Cycles
			weights += l.WeightBytes
		}
		if sum != pt.Cycles || d.Cycles != pt.Cycles {
			t.Errorf("%s: layers sum to %d cycles (detail %d), the point has %d", pt.Label, sum, d.Cycles, pt.Cycles)
		}
		if int64(weights) != pt.WeightBytes {
			t.Errorf("%s: layers hold %d weight bytes, the point %d", pt.Label, weights, pt.WeightBytes)
		}
		if len(d.Memories) == 0 || d.Board == nil || d.Format != "auto" || d.Dir != "points/"+pt.Label {
			t.Errorf("%s: detail %+v", pt.Label, d)
		}
		var names []string
		for _, f := range d.Files {
			names = append(names, f.Href)
		}
		if !strings.Contains(strings.Join(names, " "), "points/"+pt.Label+"/model.tcdse") {
			t.Errorf("%s: files %v", pt.Label, names)
		}
	}
	if detailed != 2 {
		t.Errorf("%d points with details, want 2", detailed)
	}
	if p.Calib == nil || p.Calib.Unit != "ns" || len(p.Calib.Pairs) != 2 {
		t.Fatalf("calibration %+v", p.Calib)
	}
	if len(p.Curves) != 2 || !p.Curves[0].Known || p.Curves[0].Bound != 0.969 {
		t.Errorf("curves %+v", p.Curves)
	}
	if len(p.Walk) != 2 || p.Walk[1].Label != "gwp-1" || p.Walk[1].Int8 < 0 || p.Walk[0].Int8 != -1 {
		t.Errorf("walk %+v", p.Walk)
	}
	// Without the recorded sensitivity the curves are read off the probes.
	s.Sensitivity = nil
	p, err = Build(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Curves) != 2 || p.Curves[0].Known || p.Curves[0].Layer != "Conv_0" || len(p.Curves[0].Points) != 2 {
		t.Errorf("curves from probes %+v", p.Curves)
	}
}

func TestLoadDirAndWriteAll(t *testing.T) {
	s := fixture(t)
	if _, err := LoadDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "front.json") {
		t.Fatalf("empty dir: %v", err)
	}
	// points.json and sweep-result.json as a sweep writes them.
	if _, err := WriteExtra(s.Dir, s.Extra); err != nil {
		t.Fatal(err)
	}
	writePointsJSON(t, s)
	got, err := LoadDir(s.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != s.Name || got.WorkflowID != s.WorkflowID || len(got.Code) != 2 || len(got.Boards) != 2 || len(got.Sensitivity) != 2 || len(got.Report.Front) != len(s.Report.Front) {
		t.Fatalf("LoadDir lost something: %+v", got.Extra)
	}
	paths, err := WriteAll(got)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{HTMLFile, "front.svg", "front.png", "sensitivity.svg", "sensitivity.png", "hypervolume.svg", "hypervolume.png", "layers.svg", "layers.png"}
	if len(paths) != len(want) {
		t.Fatalf("wrote %v", paths)
	}
	for i, p := range paths {
		fi, err := os.Stat(p)
		if err != nil || filepath.Base(p) != want[i] || fi.Size() < 1000 {
			t.Errorf("%s: %v (want %s, non-trivial)", p, err, want[i])
		}
	}
	html, _ := os.ReadFile(paths[0])
	for _, bad := range []string{"http://", "https://", "<script src", "<link rel=\"stylesheet\" href"} {
		// The only absolute URL allowed is the workflow's link in the Web UI (and the SVG namespace).
		n := strings.Count(string(html), bad)
		allowed := strings.Count(string(html), s.UIURL) + strings.Count(string(html), "http://www.w3.org/2000/svg")
		if bad == "http://" && n > allowed || bad != "http://" && n > 0 {
			t.Errorf("report.html reaches out: %d × %q", n, bad)
		}
	}
	if len(html) > 2<<20 {
		t.Errorf("report.html is %d bytes, want < 2 MB", len(html))
	}
}

func writePointsJSON(t *testing.T, s Sweep) {
	t.Helper()
	data, err := json.Marshal(struct {
		Code   []CodeTree `json:"code"`
		Boards []BoardRun `json:"boards"`
	}{s.Code, s.Boards})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, PointsFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
}
