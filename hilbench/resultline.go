package hilbench

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// ResultLine is the one line a harness on a real board prints on its console:
//
//	TCDSE v=1 pass=1 cycles=123456 crc=89abcdef vectors=4 max_rel_err=1.2e-06
//
// Fields are key=value pairs separated by spaces; v, pass and cycles are required, the others
// optional; unknown keys are ignored.
type ResultLine struct {
	Pass      bool
	Cycles    float64
	CRC       string
	Vectors   int
	MaxAbsErr float64
	MaxRelErr float64
}

// resultLinePrefix starts a result line.
const resultLinePrefix = "TCDSE "

// ParseResultLine finds the result line in console output: exactly one line that starts with
// "TCDSE " (after leading junk such as a prompt is trimmed up to that marker). Errors quote
// the line.
func ParseResultLine(console []byte) (*ResultLine, error) {
	var found []string
	for _, line := range bytes.Split(console, []byte("\n")) {
		if i := bytes.Index(line, []byte(resultLinePrefix)); i >= 0 {
			found = append(found, strings.TrimSpace(string(line[i:])))
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("console shows no %q result line", strings.TrimSpace(resultLinePrefix))
	case 1:
	default:
		return nil, fmt.Errorf("console shows %d result lines, want exactly 1", len(found))
	}
	line := found[0]
	quoted := truncateHead(line, 512)
	fields := map[string]string{}
	for _, f := range strings.Fields(line)[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("result line field %q is not key=value: %s", truncateHead(f, 64), quoted)
		}
		if _, dup := fields[k]; dup {
			return nil, fmt.Errorf("result line has %q twice: %s", k, quoted)
		}
		fields[k] = v
	}
	for _, k := range []string{"v", "pass", "cycles"} {
		if _, ok := fields[k]; !ok {
			return nil, fmt.Errorf("result line lacks %s: %s", k, quoted)
		}
	}
	if fields["v"] != "1" {
		return nil, fmt.Errorf("result line version %q, want 1: %s", fields["v"], quoted)
	}
	var r ResultLine
	switch fields["pass"] {
	case "1":
		r.Pass = true
	case "0":
	default:
		return nil, fmt.Errorf("result line pass=%q, want 0 or 1: %s", fields["pass"], quoted)
	}
	num := func(k string) (float64, error) {
		v, ok := fields[k]
		if !ok {
			return 0, nil
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x < 0 || x != x || x > 1e300 {
			return 0, fmt.Errorf("result line %s=%q is not a non-negative number: %s", k, v, quoted)
		}
		return x, nil
	}
	var err error
	if r.Cycles, err = num("cycles"); err != nil {
		return nil, err
	}
	if r.Cycles <= 0 {
		return nil, fmt.Errorf("result line cycles must be positive: %s", quoted)
	}
	if r.MaxAbsErr, err = num("max_abs_err"); err != nil {
		return nil, err
	}
	if r.MaxRelErr, err = num("max_rel_err"); err != nil {
		return nil, err
	}
	vectors, err := num("vectors")
	if err != nil {
		return nil, err
	}
	if vectors != float64(int(vectors)) || vectors > 1<<30 {
		return nil, fmt.Errorf("result line vectors=%q is not a count: %s", fields["vectors"], quoted)
	}
	r.Vectors = int(vectors)
	if c, ok := fields["crc"]; ok {
		if _, err := strconv.ParseUint(c, 16, 32); err != nil {
			return nil, fmt.Errorf("result line crc=%q is not 32-bit hex: %s", c, quoted)
		}
		r.CRC = strings.ToLower(c)
	}
	return &r, nil
}
