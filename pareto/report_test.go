package pareto

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func samplePoints() []Point {
	a := pt("0123456789abcdef0123", 0.98765432109876, 123456789, 150000, 20480)
	a.Label = "baseline"
	a.Rates = map[string]float64{"conv1": 0.3, "fc1": 0.1234567890123}
	a.Sparsity = 0.2718281828
	a.Extra = map[string]any{"g": 0.8, "note": "comma, \"quoted\"\nnewline"}
	b := pt("fedcba", 0.9, 1000, 70000, 20480)
	b.Label = "" // table falls back to the ID
	b.Fits = false
	b.Reason = "RAM 300 KB > 240 KB"
	c := pt("c", -1.5e-7, 0, 0, 0)
	c.Label = "gwp g=1.2"
	return []Point{a, b, c}
}

func TestCSVRoundTrip(t *testing.T) {
	points := samplePoints()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, points); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, points) {
		t.Errorf("CSV round trip:\n got %+v\nwant %+v", got, points)
	}
}

func TestReadCSVErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, samplePoints()[:1]); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(buf.String(), ",123456789,", ",12x,", 1)
	_, err := ReadCSV(strings.NewReader(bad))
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "cycles") {
		t.Errorf("bad cycles: err = %v, want one naming line 2 and column cycles", err)
	}
	_, err = ReadCSV(strings.NewReader("id,name\n"))
	if err == nil {
		t.Errorf("wrong header accepted")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	points := samplePoints()
	r := Report{Metric: "top1", HigherIsBetter: true, Target: "tc397", ClockMHz: 300,
		Baseline: points[0], Points: points, Front: Front(points, true)}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"rom_bytes"`, `"higher_is_better"`, `"clock_mhz"`, `"ram_bytes"`} {
		if !strings.Contains(buf.String(), key) {
			t.Errorf("JSON lacks key %s", key)
		}
	}
	got, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("JSON round trip:\n got %+v\nwant %+v", got, r)
	}
}

func TestWriteTable(t *testing.T) {
	points := samplePoints()
	var buf bytes.Buffer
	if err := WritePointsTable(&buf, points, 300); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != len(points)+1 {
		t.Fatalf("table has %d lines, want header + %d:\n%s", len(lines), len(points), out)
	}
	for _, want := range []string{"baseline", "fedcba", "gwp g=1.2", // every point, by label or ID
		"0.9877", "27.2", "123456789", "411522.6", "146.5", "20.0", "no: RAM 300 KB > 240 KB", "time µs"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// Columns are aligned: the quality column ends at the same offset on every line.
	end := -1
	for i, l := range lines {
		col := strings.Index(l, "quality")
		if i > 0 {
			col = strings.Index(l, []string{"0.9877", "0.9000", "-0.0000"}[i-1])
			col += len([]string{"0.9877", "0.9000", "-0.0000"}[i-1]) - len("quality")
		}
		if end == -1 {
			end = col
		} else if col != end {
			t.Errorf("line %d: quality column ends at %d, want %d:\n%s", i, col, end, out)
		}
	}
	buf.Reset()
	if err := WritePointsTable(&buf, points, 0); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "411522.6") {
		t.Errorf("table without clock still shows a time:\n%s", buf.String())
	}
}

func TestSaveFiles(t *testing.T) {
	points := samplePoints()
	r := Report{Metric: "top1", HigherIsBetter: true, Target: "tc397", ClockMHz: 300,
		Baseline: points[0], Points: points, Front: Front(points, true)}
	dir := filepath.Join(t.TempDir(), "out", "sub")
	paths, err := SaveFiles(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "front.json"), filepath.Join(dir, "front.csv")}
	if !reflect.DeepEqual(paths, want) {
		t.Fatalf("paths = %v, want %v", paths, want)
	}
	f, err := os.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("front.json does not hold the report")
	}
	c, err := os.Open(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	front, err := ReadCSV(c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(front, r.Front) {
		t.Errorf("front.csv = %v, want the front %v", ids(front), ids(r.Front))
	}
}

func TestWriteTableShowsFront(t *testing.T) {
	points := samplePoints()
	r := Report{ClockMHz: 300, Points: points, Front: Front(points, true)}
	var buf bytes.Buffer
	if err := WriteTable(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// The front holds "baseline" and "gwp g=1.2" (the latter costs nothing); "fedcba" does not fit.
	if len(r.Front) != 2 || !strings.Contains(out, "baseline") || !strings.Contains(out, "gwp g=1.2") || strings.Contains(out, "fedcba") {
		t.Errorf("WriteTable should list exactly the front %v:\n%s", ids(r.Front), out)
	}
	if !strings.Contains(out, "411522.6") {
		t.Errorf("WriteTable does not use the report clock:\n%s", out)
	}
}
