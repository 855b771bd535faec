package pareto

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// WriteTable writes the report's front as an aligned text table for the terminal (see
// [WritePointsTable]), with times at the report's clock.
func WriteTable(w io.Writer, r Report) error {
	return WritePointsTable(w, r.Front, r.ClockMHz)
}

// WritePointsTable writes points as an aligned text table: label (the ID's first 12
// characters when empty), quality, sparsity (%), cycles, time (µs at clockMHz; "-" when the
// clock is not positive), ROM and RAM (KiB), and whether the point fits (or why not). When
// some point knows its footprint, two columns come before fits: the footprint (weights +
// arena, KiB; "-" when unknown) and how many times smaller it is than the baseline's ("-"
// when FootprintRatio is unset).
func WritePointsTable(w io.Writer, points []Point, clockMHz float64) error {
	header := []string{"label", "quality", "sparsity %", "cycles", "time µs", "ROM KB", "RAM KB", "fits"}
	withFootprint := false
	for _, p := range points {
		withFootprint = withFootprint || p.Footprint() > 0
	}
	if withFootprint {
		header = append(header[:7:7], "footprint KB", "x smaller", "fits")
	}
	rows := [][]string{header}
	for _, p := range points {
		label := p.Label
		if label == "" {
			label = shortID(p.ID)
		}
		time := "-"
		if clockMHz > 0 {
			time = fmt.Sprintf("%.1f", Microseconds(p.Cycles, clockMHz))
		}
		fits := "yes"
		if !p.Fits {
			fits = "no"
			if p.Reason != "" {
				fits += ": " + p.Reason
			}
		}
		row := []string{
			label, fmt.Sprintf("%.4f", p.Quality), fmt.Sprintf("%.1f", 100*p.Sparsity),
			fmt.Sprintf("%d", p.Cycles), time,
			fmt.Sprintf("%.1f", float64(p.ROMBytes)/1024), fmt.Sprintf("%.1f", float64(p.RAMBytes)/1024),
		}
		if withFootprint {
			fp, ratio := "-", "-"
			if p.Footprint() > 0 {
				fp = fmt.Sprintf("%.1f", float64(p.Footprint())/1024)
			}
			if p.FootprintRatio > 0 {
				ratio = fmt.Sprintf("%.2f", p.FootprintRatio)
			}
			row = append(row, fp, ratio)
		}
		rows = append(rows, append(row, fits))
	}
	return writeRows(w, rows, 1)
}

// writeRows writes rows as aligned columns: the first left columns (labels) left-aligned, the
// last left-aligned without trailing spaces, the ones between (numbers) right-aligned.
func writeRows(w io.Writer, rows [][]string, left int) error {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			switch {
			case i < left: // labels: left-aligned
				b.WriteString(c + pad)
			case i == len(r)-1: // last column: left-aligned, no trailing spaces
				b.WriteString(c)
			default: // numbers: right-aligned
				b.WriteString(pad + c)
			}
			if i < len(r)-1 {
				b.WriteString("  ")
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// shortID shortens a hex candidate ID for display.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
