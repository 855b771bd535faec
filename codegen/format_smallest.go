package codegen

// formatBytes is a candidate weight format of one layer, its size, and whether the layer can
// take it at all.
type formatBytes struct {
	format string
	bytes  int
	ok     bool
}

// smallestFormat returns the candidate with the fewest bytes, dense (denseBytes) on ties and
// otherwise the earlier candidate.
func smallestFormat(denseBytes int, cands []formatBytes) string {
	format, best := FormatDense, denseBytes
	for _, c := range cands {
		if c.ok && c.bytes < best {
			format, best = c.format, c.bytes
		}
	}
	return format
}
