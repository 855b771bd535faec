package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tcdse/tcdse/model"
)

// CSVOptions say how to read a numeric CSV file. Columns are named by their header name or by
// their 0-based index.
type CSVOptions struct {
	// Header is "yes" (the first record names the columns), "no", or "" / "auto": the first
	// record is a header when any of its fields is not a number.
	Header string
	// Comma separates fields; 0 means ','.
	Comma rune
	// Columns are the input features, in this order; empty means every column that is not the
	// label or a target.
	Columns []string
	// LabelColumn, when set, holds integer class labels (≥ 0).
	LabelColumn string
	// TargetColumns, when set, hold regression targets (Targets gets shape [N, len]).
	TargetColumns []string
	// Shape, when set, is the per-sample input shape; its product must equal len(Columns).
	// Default [len(Columns)].
	Shape []int
	// Limit > 0 stops after that many data rows.
	Limit int
	// Normalize applies to the feature values.
	Normalize Normalize
}

// LoadCSV reads a CSV file into a dataset; see ReadCSV.
func LoadCSV(path string, o CSVOptions) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ds, err := ReadCSV(f, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ds.Name = filepath.Base(path)
	return ds, nil
}

// ReadCSV reads a numeric CSV table: one sample per row, the features, label and targets taken
// from the columns o names. Every field read must be a finite number; errors give the line and
// the column.
func ReadCSV(r io.Reader, o CSVOptions) (*Dataset, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	if o.Comma != 0 {
		if !validComma(o.Comma) {
			return nil, fmt.Errorf("csv: %q cannot separate fields", o.Comma)
		}
		cr.Comma = o.Comma
	}
	first, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("csv: no rows")
	}
	if err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	first = append([]string(nil), first...)
	firstLine, _ := cr.FieldPos(0)
	header, err := csvHasHeader(o.Header, first)
	if err != nil {
		return nil, err
	}
	var names []string
	if header {
		names = first
	}
	cols, err := resolveCSVColumns(o, names, len(first))
	if err != nil {
		return nil, err
	}
	shape := o.Shape
	if shape == nil {
		shape = []int{len(cols.features)}
	}
	if n, err := model.NumElements(shape); err != nil || n != len(cols.features) || len(shape) == 0 {
		return nil, fmt.Errorf("csv: shape %v does not hold the %d feature columns", shape, len(cols.features))
	}
	var (
		x, y   []float32
		labels []int
		rows   int
	)
	row := func(rec []string, line int) error {
		for _, c := range cols.features {
			v, err := csvNumber(rec, c, line, names)
			if err != nil {
				return err
			}
			x = append(x, o.Normalize.Apply(v))
		}
		if cols.label >= 0 {
			v, err := csvNumber(rec, cols.label, line, names)
			if err != nil {
				return err
			}
			if v < 0 || v != float32(math.Trunc(float64(v))) || v > 1<<24 {
				return fmt.Errorf("csv line %d, column %s: label %v is not a class index (an integer ≥ 0)", line, colName(cols.label, names), v)
			}
			labels = append(labels, int(v))
		}
		for _, c := range cols.targets {
			v, err := csvNumber(rec, c, line, names)
			if err != nil {
				return err
			}
			y = append(y, v)
		}
		rows++
		if len(x) > model.MaxElements {
			return fmt.Errorf("csv line %d: more than %d values", line, model.MaxElements)
		}
		return nil
	}
	if !header {
		if err := row(first, firstLine); err != nil {
			return nil, err
		}
	}
	for o.Limit <= 0 || rows < o.Limit {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("csv: %w", err) // a csv.ParseError names line and column
		}
		line, _ := cr.FieldPos(0)
		if err := row(rec, line); err != nil {
			return nil, err
		}
	}
	if rows == 0 {
		return nil, errors.New("csv: a header but no data rows")
	}
	ds := &Dataset{X: &model.Tensor{Shape: append([]int{rows}, shape...), Data: x}}
	if cols.label >= 0 {
		ds.Labels = labels
	}
	if len(cols.targets) > 0 {
		ds.Targets = &model.Tensor{Shape: []int{rows, len(cols.targets)}, Data: y}
	}
	return ds, nil
}

// csvColumns are resolved column indices; label is -1 when there is none.
type csvColumns struct {
	features, targets []int
	label             int
}

func resolveCSVColumns(o CSVOptions, names []string, width int) (csvColumns, error) {
	c := csvColumns{label: -1}
	used := map[int]string{}
	find := func(spec, role string) (int, error) {
		i, err := csvColumnIndex(spec, names, width)
		if err != nil {
			return 0, fmt.Errorf("csv %s column: %w", role, err)
		}
		if prev, dup := used[i]; dup {
			return 0, fmt.Errorf("csv: column %s is both a %s and a %s column", colName(i, names), prev, role)
		}
		used[i] = role
		return i, nil
	}
	if o.LabelColumn != "" {
		i, err := find(o.LabelColumn, "label")
		if err != nil {
			return c, err
		}
		c.label = i
	}
	for _, t := range o.TargetColumns {
		i, err := find(t, "target")
		if err != nil {
			return c, err
		}
		c.targets = append(c.targets, i)
	}
	if len(o.Columns) == 0 {
		for i := 0; i < width; i++ {
			if _, taken := used[i]; !taken {
				c.features = append(c.features, i)
			}
		}
	}
	for _, f := range o.Columns {
		i, err := find(f, "feature")
		if err != nil {
			return c, err
		}
		c.features = append(c.features, i)
	}
	if len(c.features) == 0 {
		return c, errors.New("csv: no feature columns left")
	}
	return c, nil
}

// csvColumnIndex finds a column by header name, else by 0-based index.
func csvColumnIndex(spec string, names []string, width int) (int, error) {
	for i, n := range names {
		if strings.TrimSpace(n) == spec {
			return i, nil
		}
	}
	i, err := strconv.Atoi(spec)
	if err != nil {
		if names == nil {
			return 0, fmt.Errorf("%q: the file has no header, so name columns by 0-based index", spec)
		}
		return 0, fmt.Errorf("%q is neither a column name (%s) nor an index", spec, strings.Join(names, ", "))
	}
	if i < 0 || i >= width {
		return 0, fmt.Errorf("index %d is outside the %d columns", i, width)
	}
	return i, nil
}

// csvHasHeader decides whether the first record is a header.
func csvHasHeader(mode string, first []string) (bool, error) {
	switch strings.ToLower(mode) {
	case "yes", "true":
		return true, nil
	case "no", "false":
		return false, nil
	case "", "auto":
		for _, f := range first {
			if _, err := strconv.ParseFloat(strings.TrimSpace(f), 32); err != nil {
				return true, nil
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("csv: header %q, want yes, no or auto", mode)
}

// csvNumber parses field c of rec as a finite float32.
func csvNumber(rec []string, c, line int, names []string) (float32, error) {
	if c >= len(rec) {
		return 0, fmt.Errorf("csv line %d: %d fields, no column %s", line, len(rec), colName(c, names))
	}
	s := strings.TrimSpace(rec[c])
	v, err := strconv.ParseFloat(s, 32)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("csv line %d, column %s: %q is not a finite number", line, colName(c, names), truncate(s))
	}
	return float32(v), nil
}

// colName is "3" or "3 (name)" for messages.
func colName(i int, names []string) string {
	if i < len(names) {
		return fmt.Sprintf("%d (%q)", i, names[i])
	}
	return strconv.Itoa(i)
}

func validComma(r rune) bool {
	return r != '"' && r != '\r' && r != '\n' && r != utf8.RuneError && r != 0xFEFF && utf8.ValidRune(r)
}
