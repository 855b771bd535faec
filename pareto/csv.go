package pareto

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// csvHeader is the first row WriteCSV writes and ReadCSV expects.
var csvHeader = []string{"id", "label", "quality", "cycles", "rom_bytes", "ram_bytes", "fits", "reason", "sparsity", "rates", "extra",
	"weight_bytes", "arena_bytes", "footprint_bytes", "footprint_ratio"}

// csvHeaderV1 is the header of files written before the footprint columns; ReadCSV still reads
// them (the footprint fields stay zero).
var csvHeaderV1 = csvHeader[:11]

// WriteCSV writes points as CSV with a header row. Numbers are written in the shortest form
// that reads back exactly; rates and extra are JSON objects in one cell (empty when nil).
func WriteCSV(w io.Writer, points []Point) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("writing CSV header: %w", err)
	}
	for _, p := range points {
		rates, err := jsonCell(p.Rates, len(p.Rates) == 0)
		if err != nil {
			return fmt.Errorf("writing CSV point %q rates: %w", p.ID, err)
		}
		extra, err := jsonCell(p.Extra, len(p.Extra) == 0)
		if err != nil {
			return fmt.Errorf("writing CSV point %q extra: %w", p.ID, err)
		}
		row := []string{
			p.ID, p.Label, formatFloat(p.Quality),
			strconv.FormatInt(p.Cycles, 10), strconv.FormatInt(p.ROMBytes, 10), strconv.FormatInt(p.RAMBytes, 10),
			strconv.FormatBool(p.Fits), p.Reason, formatFloat(p.Sparsity), rates, extra,
			strconv.FormatInt(p.WeightBytes, 10), strconv.FormatInt(p.ArenaBytes, 10),
			strconv.FormatInt(p.Footprint(), 10), formatFloat(p.FootprintRatio),
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("writing CSV point %q: %w", p.ID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}

// ReadCSV reads points written by WriteCSV. Errors name the line and column.
func ReadCSV(r io.Reader) ([]Point, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading CSV header: %w", err)
	}
	if !slices.Equal(header, csvHeader) && !slices.Equal(header, csvHeaderV1) {
		return nil, fmt.Errorf("reading CSV: header %v, want %v", header, csvHeader)
	}
	cr.FieldsPerRecord = len(header)
	var points []Point
	for line := 2; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return points, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading CSV: %w", err)
		}
		p, err := parseRow(row)
		if err != nil {
			return nil, fmt.Errorf("reading CSV line %d: %w", line, err)
		}
		points = append(points, p)
	}
}

func parseRow(row []string) (Point, error) {
	p := Point{ID: row[0], Label: row[1], Reason: row[7]}
	var err error
	field := func(col int, parse func(string) error) {
		if err == nil {
			if e := parse(row[col]); e != nil {
				err = fmt.Errorf("column %s: %w", csvHeader[col], e)
			}
		}
	}
	field(2, func(s string) (e error) { p.Quality, e = strconv.ParseFloat(s, 64); return })
	field(3, func(s string) (e error) { p.Cycles, e = strconv.ParseInt(s, 10, 64); return })
	field(4, func(s string) (e error) { p.ROMBytes, e = strconv.ParseInt(s, 10, 64); return })
	field(5, func(s string) (e error) { p.RAMBytes, e = strconv.ParseInt(s, 10, 64); return })
	field(6, func(s string) (e error) { p.Fits, e = strconv.ParseBool(s); return })
	field(8, func(s string) (e error) { p.Sparsity, e = strconv.ParseFloat(s, 64); return })
	field(9, func(s string) error { return parseJSONCell(s, &p.Rates) })
	field(10, func(s string) error { return parseJSONCell(s, &p.Extra) })
	if len(row) > 11 {
		field(11, func(s string) (e error) { p.WeightBytes, e = strconv.ParseInt(s, 10, 64); return })
		field(12, func(s string) (e error) { p.ArenaBytes, e = strconv.ParseInt(s, 10, 64); return })
		field(14, func(s string) (e error) { p.FootprintRatio, e = strconv.ParseFloat(s, 64); return })
	}
	return p, err
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func jsonCell(v any, empty bool) (string, error) {
	if empty {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func parseJSONCell(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}
