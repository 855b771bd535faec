package dataset

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestSpecCSVAndBinFields(t *testing.T) {
	const doc = `
format: bin
path: kws
labels: kws/y_labels.csv
dtype: int8
shape: [49, 10, 1]
scale: 0.584703
zero_point: 83
`
	var s Spec
	if err := yaml.Unmarshal([]byte(doc), &s); err != nil {
		t.Fatal(err)
	}
	want := Spec{Format: "bin", Path: "kws", Labels: "kws/y_labels.csv", DType: "int8", Shape: []int{49, 10, 1}, Scale: 0.584703, ZeroPoint: 83}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("bin spec %+v, want %+v", s, want)
	}
	const csvDoc = `
format: csv
path: rows.csv
header: yes
columns: [x0, "1"]
label_column: y
`
	var c Spec
	if err := yaml.Unmarshal([]byte(csvDoc), &c); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rows.csv"), []byte("x0,x1,y\n1,2,1\n3,4,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ds, err := Load(c.WithBase(dir))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.X.Data, []float32{1, 2, 3, 4}) || !slices.Equal(ds.Labels, []int{1, 0}) {
		t.Errorf("csv spec read X %v labels %v", ds.X.Data, ds.Labels)
	}
}
