package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/pareto"
)

// Files a sweep's results directory holds that the report reads, and the ones it writes.
const (
	FrontFile  = "front.json"
	PointsFile = "points.json"
	// ResultFile holds the parts of a sweep's result that front.json and points.json do not:
	// its identity and the per-layer sensitivity (see [Extra]).
	ResultFile = "sweep-result.json"
	HTMLFile   = "report.html"
)

// Sweep is everything the report shows of one sweep.
type Sweep struct {
	Extra
	Report pareto.Report `json:"report"`
	// Code and Boards are the generated trees and their board runs, in the same order (Boards
	// may be shorter: no board ran).
	Code   []CodeTree `json:"code,omitempty"`
	Boards []BoardRun `json:"boards,omitempty"`
	// Dir is the results directory; file links in the page are relative to it.
	Dir string `json:"-"`
}

// Extra is what a sweep records beside front.json and points.json (sweep-result.json).
type Extra struct {
	Name       string `json:"name,omitempty"`
	WorkflowID string `json:"workflow_id,omitempty"`
	RunID      string `json:"run_id,omitempty"`
	// UIURL links to the workflow in the Temporal Web UI; empty when unknown.
	UIURL                   string                              `json:"ui_url,omitempty"`
	Sensitivity             map[string]explore.LayerSensitivity `json:"sensitivity,omitempty"`
	UnstructuredSensitivity map[string]explore.LayerSensitivity `json:"unstructured_sensitivity,omitempty"`
}

// CodeTree is a point's generated C tree (activities.GenerateResult as points.json has it).
type CodeTree struct {
	Label       string   `json:"label"`
	Dir         string   `json:"dir"`
	ArenaBytes  int      `json:"arena_bytes"`
	WeightBytes int      `json:"weight_bytes"`
	Files       []string `json:"files"`
}

// BoardRun is how a tree did on a board (hilbench.RunResult as points.json has it):
// NsPerInference is the measured time, CyclesPerInference the board's own count when it has
// one, in CycleUnit ("cycles" on a TC3xx, "sim-cycles" on a simulated one, "instructions"
// under callgrind).
type BoardRun struct {
	Board              string  `json:"board"`
	Agent              string  `json:"agent"`
	Built              bool    `json:"built"`
	Pass               bool    `json:"pass"`
	MaxRelErr          float64 `json:"max_rel_err"`
	NsPerInference     float64 `json:"ns_per_inference"`
	CyclesPerInference float64 `json:"cycles_per_inference,omitempty"`
	CycleUnit          string  `json:"cycle_unit,omitempty"`
	Error              string  `json:"error,omitempty"`
}

// targetCycles says whether the run counted the target's cycles (a TC3xx board or a simulated
// one), which the estimates predict one for one; the host's counts and times are another
// machine's.
func (b BoardRun) targetCycles() bool {
	return b.CyclesPerInference > 0 && b.Board != "host" && (b.CycleUnit == "cycles" || b.CycleUnit == "sim-cycles")
}

// ErrNoResults says a directory holds no front.json.
var ErrNoResults = errors.New("no sweep results")

// LoadDir reads the results directory a sweep wrote: front.json (required), points.json and
// sweep-result.json (when present).
func LoadDir(dir string) (Sweep, error) {
	s := Sweep{Dir: dir}
	f, err := os.Open(filepath.Join(dir, FrontFile))
	if errors.Is(err, os.ErrNotExist) {
		return s, fmt.Errorf("report: %s: %w (want the directory a sweep wrote, with %s)", dir, ErrNoResults, FrontFile)
	}
	if err != nil {
		return s, fmt.Errorf("report: %w", err)
	}
	s.Report, err = pareto.ReadJSON(f)
	f.Close()
	if err != nil {
		return s, fmt.Errorf("report: %s: %w", filepath.Join(dir, FrontFile), err)
	}
	var pts struct {
		Code   []CodeTree `json:"code"`
		Boards []BoardRun `json:"boards"`
	}
	if ok, err := readOptionalJSON(filepath.Join(dir, PointsFile), &pts); err != nil {
		return s, err
	} else if ok {
		s.Code, s.Boards = pts.Code, pts.Boards
	}
	if _, err := readOptionalJSON(filepath.Join(dir, ResultFile), &s.Extra); err != nil {
		return s, err
	}
	if s.Name == "" {
		s.Name = filepath.Base(filepath.Clean(dir))
	}
	return s, nil
}

// WriteExtra writes sweep-result.json into dir and returns its path.
func WriteExtra(dir string, e Extra) (string, error) {
	data, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	p := filepath.Join(dir, ResultFile)
	if err := os.WriteFile(p, append(data, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	return p, nil
}

func readOptionalJSON(path string, v any) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("report: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("report: %s: %w", path, err)
	}
	return true, nil
}
