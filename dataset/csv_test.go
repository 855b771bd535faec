package dataset

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadCSVHeaderAndColumns(t *testing.T) {
	const data = "a, b,label,y\n1,2,0,0.5\n3,4,2,-1.5\n5,6,1,2\n"
	ds, err := ReadCSV(strings.NewReader(data), CSVOptions{Columns: []string{"b", "0"}, LabelColumn: "label", TargetColumns: []string{"y"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.X.Shape, []int{3, 2}) || !slices.Equal(ds.X.Data, []float32{2, 1, 4, 3, 6, 5}) {
		t.Errorf("X %v %v", ds.X.Shape, ds.X.Data)
	}
	if !slices.Equal(ds.Labels, []int{0, 2, 1}) || !slices.Equal(ds.Targets.Shape, []int{3, 1}) || !slices.Equal(ds.Targets.Data, []float32{0.5, -1.5, 2}) {
		t.Errorf("labels %v targets %v", ds.Labels, ds.Targets)
	}
	// Default features: every column but the label and targets; a shape and a limit.
	ds, err = ReadCSV(strings.NewReader(data), CSVOptions{LabelColumn: "2", TargetColumns: []string{"3"}, Shape: []int{2, 1}, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.X.Shape, []int{2, 2, 1}) || !slices.Equal(ds.X.Data, []float32{1, 2, 3, 4}) {
		t.Errorf("X %v %v", ds.X.Shape, ds.X.Data)
	}
}

func TestReadCSVNoHeader(t *testing.T) {
	ds, err := ReadCSV(strings.NewReader("1;2;3\n4;5;6\n"), CSVOptions{Comma: ';', TargetColumns: []string{"2"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.X.Shape, []int{2, 2}) || !slices.Equal(ds.X.Data, []float32{1, 2, 4, 5}) || !slices.Equal(ds.Targets.Data, []float32{3, 6}) {
		t.Errorf("X %v %v targets %v", ds.X.Shape, ds.X.Data, ds.Targets)
	}
	// A header forced off: the numeric-looking first row is data.
	if ds, err := ReadCSV(strings.NewReader("1,2\n3,4\n"), CSVOptions{Header: "no"}); err != nil || ds.Len() != 2 {
		t.Errorf("header no: %v, %v", ds, err)
	}
	if ds, err := ReadCSV(strings.NewReader("1,2\n3,4\n"), CSVOptions{Header: "yes"}); err != nil || ds.Len() != 1 {
		t.Errorf("header yes: %v, %v", ds, err)
	}
}

func TestReadCSVErrors(t *testing.T) {
	cases := []struct {
		data string
		o    CSVOptions
		want string
	}{
		{"a,b\n1,2\n3,x\n", CSVOptions{}, `line 3, column 1 ("b"): "x" is not a finite number`},
		{"a,b\n1,2\n3\n", CSVOptions{}, "line 3"}, // wrong field count: csv.ParseError
		{"a,b\n1,2\n", CSVOptions{LabelColumn: "c"}, `"c" is neither a column name`},
		{"1,2\n", CSVOptions{LabelColumn: "c"}, "no header"},
		{"1,2\n", CSVOptions{LabelColumn: "5"}, "outside the 2 columns"},
		{"a,b\n1,2\n", CSVOptions{LabelColumn: "a", Columns: []string{"a"}}, "both a label and a feature"},
		{"a,b\n1.5,2\n", CSVOptions{LabelColumn: "a"}, "not a class index"},
		{"a,b\n1,NaN\n", CSVOptions{}, "not a finite number"},
		{"a,b\n", CSVOptions{}, "no data rows"},
		{"", CSVOptions{}, "no rows"},
		{"a,b\n1,2\n", CSVOptions{Shape: []int{3}}, "does not hold the 2 feature columns"},
		{"a\n1\n", CSVOptions{LabelColumn: "a"}, "no feature columns"},
		{"a,b\n1,2\n", CSVOptions{Header: "maybe"}, "want yes, no or auto"},
	}
	for _, c := range cases {
		_, err := ReadCSV(strings.NewReader(c.data), c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q %+v: error %v, want it to contain %q", c.data, c.o, err, c.want)
		}
	}
}

// The motor-temperature CSV (3000 rows, 11 named columns): read the electrical quantities as
// features and the stator winding temperature as the regression target.
func TestLoadCSVMotor(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "datasets", "pmsm_motor_temperature_subset", "motor_profile60_3000rows.csv")
	ds, err := Load(Spec{Format: "csv", Path: path, Columns: []string{"u_d", "u_q", "motor_speed", "i_d", "i_q"},
		TargetColumns: []string{"stator_winding"}, Limit: 100})
	if err != nil {
		if strings.Contains(err.Error(), "no such file") {
			t.Skip("motor data not available")
		}
		t.Fatal(err)
	}
	if ds.Len() != 100 || !slices.Equal(ds.SampleShape(), []int{5}) || !slices.Equal(ds.Targets.Shape, []int{100, 1}) {
		t.Fatalf("%d samples of %v, targets %v", ds.Len(), ds.SampleShape(), ds.Targets.Shape)
	}
	// First row: u_d −1.6133939, stator_winding 0.36070448.
	if ds.X.Data[0] != -1.6133939 || ds.Targets.Data[0] != 0.36070448 {
		t.Errorf("first row x[0] = %v, target %v", ds.X.Data[0], ds.Targets.Data[0])
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("a,b,label\n1,2,0\n3,4,1\n"), "label")
	f.Add([]byte("1,2\n3,4\n"), "")
	f.Add([]byte("x;y\n1;2\n"), "0")
	f.Add([]byte("\"a\"\"b\",c\n1e3,-2\n"), "c")
	f.Fuzz(func(t *testing.T, data []byte, label string) {
		ds, err := ReadCSV(strings.NewReader(string(data)), CSVOptions{LabelColumn: label, Limit: 1000})
		if err != nil {
			return
		}
		n := ds.Len()
		if n == 0 || len(ds.X.Data) != n*ds.X.Shape[1] {
			t.Fatalf("inconsistent dataset: shape %v, %d values", ds.X.Shape, len(ds.X.Data))
		}
		if label != "" && len(ds.Labels) != n {
			t.Fatalf("%d labels for %d samples", len(ds.Labels), n)
		}
		if err := ds.X.CheckFinite(); err != nil {
			t.Fatal(err)
		}
	})
}
