package hilbench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// HarnessReport is the one JSON line a generated test harness prints on stdout:
//
//	{"pass":true,"vectors":N,"max_abs_err":E,"max_rel_err":R,"iterations":I,"ns_per_inference":T}
type HarnessReport struct {
	Pass           bool    `json:"pass"`
	Vectors        int     `json:"vectors"`
	MaxAbsErr      float64 `json:"max_abs_err"`
	MaxRelErr      float64 `json:"max_rel_err"`
	Iterations     int     `json:"iterations"`
	NsPerInference float64 `json:"ns_per_inference"`
	// CyclesPerInference is present when the harness counts CPU cycles (CCNT on TriCore).
	CyclesPerInference float64 `json:"cycles_per_inference,omitempty"`
}

// harnessFields are the keys a report must have; unknown extra keys are allowed.
var harnessFields = []string{"pass", "vectors", "max_abs_err", "max_rel_err", "iterations", "ns_per_inference"}

// ParseHarnessOutput finds the harness's JSON report in its stdout: exactly one line that
// starts with '{' (other lines are ignored), carrying every field of [HarnessReport] with
// the right types. Errors quote the offending line.
func ParseHarnessOutput(stdout []byte) (*HarnessReport, error) {
	var lines [][]byte
	for _, line := range bytes.Split(stdout, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] == '{' {
			lines = append(lines, line)
		}
	}
	switch len(lines) {
	case 0:
		return nil, fmt.Errorf("harness printed no JSON result line")
	case 1:
	default:
		return nil, fmt.Errorf("harness printed %d JSON lines, want exactly 1", len(lines))
	}
	line := lines[0]
	quoted := truncateHead(string(line), 512)

	var fields map[string]json.RawMessage
	if err := json.Unmarshal(line, &fields); err != nil {
		return nil, fmt.Errorf("harness result line is not valid JSON (%v): %s", err, quoted)
	}
	var missing []string
	for _, f := range harnessFields {
		if raw, ok := fields[f]; !ok || string(raw) == "null" {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("harness result line lacks %s: %s", strings.Join(missing, ", "), quoted)
	}
	var rep HarnessReport
	if err := json.Unmarshal(line, &rep); err != nil {
		return nil, fmt.Errorf("harness result line has a field of the wrong type (%v): %s", err, quoted)
	}
	if rep.Vectors < 0 || rep.Iterations < 0 {
		return nil, fmt.Errorf("harness result line has a negative count: %s", quoted)
	}
	return &rep, nil
}
