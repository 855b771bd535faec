package pareto

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// TestFootprint checks footprints and their ratios to the baseline, the CSV columns (and that
// files from before them still read), and the table's footprint columns.
func TestFootprint(t *testing.T) {
	base := pt("base", 0.979, 1000, 180000, 8000)
	base.WeightBytes, base.ArenaBytes = 177704, 4480
	small := pt("small", 0.971, 800, 10000, 7500)
	small.WeightBytes, small.ArenaBytes = 6358, 4320
	unknown := pt("unknown", 0.5, 10, 10, 10)
	r := Report{Metric: "top1", HigherIsBetter: true, ClockMHz: 300, Baseline: base, Points: []Point{base, small, unknown}}
	r.Front = Front(r.Points, true)
	r.SetFootprintRatios()
	if small.Footprint() != 10678 || unknown.Footprint() != 0 {
		t.Errorf("footprints %d, %d; want 10678, 0", small.Footprint(), unknown.Footprint())
	}
	want := map[string]float64{"base": 1, "small": 182184.0 / 10678, "unknown": 0}
	for _, pts := range [][]Point{r.Points, r.Front, {r.Baseline}} {
		for _, p := range pts {
			if p.FootprintRatio != want[p.ID] {
				t.Errorf("point %s: footprint ratio %v, want %v", p.ID, p.FootprintRatio, want[p.ID])
			}
		}
	}

	var buf bytes.Buffer
	if err := WriteCSV(&buf, r.Points); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), ",6358,4320,10678,17.06") {
		t.Errorf("CSV lacks the footprint columns of point small:\n%s", buf.String())
	}
	got, err := ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r.Points) {
		t.Errorf("CSV round trip:\n got %+v\nwant %+v", got, r.Points)
	}
	// A file written before the footprint columns still reads, without footprints.
	var old bytes.Buffer
	old.WriteString(strings.Join(csvHeaderV1, ",") + "\n")
	old.WriteString("a,x,0.5,1,2,3,true,,0,,\n")
	pts, err := ReadCSV(&old)
	if err != nil || len(pts) != 1 || pts[0].Footprint() != 0 || pts[0].RAMBytes != 3 {
		t.Errorf("old CSV: %+v, %v", pts, err)
	}

	buf.Reset()
	if err := WriteTable(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, w := range []string{"footprint KB", "x smaller", "10.4", "17.06", "1.00"} {
		if !strings.Contains(out, w) {
			t.Errorf("table lacks %q:\n%s", w, out)
		}
	}
	buf.Reset()
	if err := WritePointsTable(&buf, []Point{unknown}, 300); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "footprint") {
		t.Errorf("table of points without footprints has footprint columns:\n%s", buf.String())
	}
}
