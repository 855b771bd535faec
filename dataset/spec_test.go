package dataset

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestLoadNPZ(t *testing.T) {
	ds, err := LoadNPZ("testdata/classes.npz", "x", "y", Normalize{Scale: 4})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 6 || !slices.Equal(ds.SampleShape(), []int{2, 3}) || !slices.Equal(ds.Labels, []int{0, 1, 2, 1, 0, 2}) || ds.Targets != nil {
		t.Fatalf("got %d samples of %v, labels %v", ds.Len(), ds.SampleShape(), ds.Labels)
	}
	// x = (arange − 3)/4, scaled back by 4.
	if ds.X.Data[0] != -3 || ds.X.Data[35] != 32 {
		t.Errorf("x[0] = %v, x[35] = %v; want −3 and 32", ds.X.Data[0], ds.X.Data[35])
	}
	reg, err := LoadNPZ("testdata/regression.npz", "inputs", "targets", Normalize{})
	if err != nil {
		t.Fatal(err)
	}
	if reg.Labels != nil || reg.Targets == nil || !slices.Equal(reg.Targets.Shape, []int{6, 2}) || reg.Targets.Data[11] != 4 {
		t.Errorf("regression targets %v", reg.Targets)
	}
	_, err = LoadNPZ("testdata/classes.npz", "inputs", "", Normalize{})
	if err == nil || !strings.Contains(err.Error(), `no array "inputs" (arrays: x, y)`) {
		t.Errorf("missing key: err = %v", err)
	}
	if _, err := LoadNPZ("testdata/arange_f4.npy", "x", "", Normalize{}); err == nil {
		t.Error("a .npy is not a .npz: no error")
	}
	if _, err := LoadNPZ("testdata/regression.npz", "inputs", "nope", Normalize{}); err == nil {
		t.Error("missing y key: no error")
	}
}

func TestLoadSpec(t *testing.T) {
	cases := []struct {
		spec   Spec
		n      int
		labels bool
	}{
		{Spec{Format: "mnist", Images: bundledImages, Labels: bundledLabels, Limit: 100, Normalize: MNISTNormalize}, 100, true},
		{Spec{Format: "npz", Path: "testdata/classes.npz", Limit: 4}, 4, true},
		{Spec{Format: "npz", Path: "testdata/regression.npz", XKey: "inputs", YKey: "targets"}, 6, false},
		{Spec{Format: "npy", Path: "testdata/classes_x.npy", Labels: "testdata/classes_y.npy"}, 6, true},
		{Spec{Format: "npy", Path: "testdata/classes_x.npy"}, 6, false},
	}
	for _, c := range cases {
		ds, err := Load(c.spec)
		if err != nil {
			t.Errorf("%+v: %v", c.spec, err)
			continue
		}
		if ds.Len() != c.n || (ds.Labels != nil) != c.labels || (c.labels && len(ds.Labels) != c.n) {
			t.Errorf("%+v: %d samples, labels %v", c.spec, ds.Len(), ds.Labels)
		}
		if ds.Name == "" {
			t.Errorf("%+v: dataset has no name", c.spec)
		}
	}
	bad := map[string]Spec{
		"unknown format":   {Format: "csv"},
		"mnist w/o labels": {Format: "mnist", Images: bundledImages},
		"npy w/o path":     {Format: "npy"},
		"npz w/o path":     {Format: "npz"},
		"negative limit":   {Format: "npz", Path: "testdata/classes.npz", Limit: -1},
		"label count":      {Format: "npy", Path: "testdata/arange_f4.npy", Labels: "testdata/classes_y.npy"},
	}
	for name, s := range bad {
		if _, err := Load(s); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestSpecTags(t *testing.T) {
	const doc = `
format: npz
path: data/set.npz
x_key: inputs
y_key: labels
limit: 50
normalize: {scale: 0.5, mean: 1, std: 2}
`
	want := Spec{Format: "npz", Path: "data/set.npz", XKey: "inputs", YKey: "labels", Limit: 50,
		Normalize: Normalize{Scale: 0.5, Mean: 1, Std: 2}}
	var y Spec
	if err := yaml.Unmarshal([]byte(doc), &y); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(y, want) {
		t.Errorf("YAML: %+v, want %+v", y, want)
	}
	var j Spec
	if err := json.Unmarshal([]byte(`{"format":"npz","path":"data/set.npz","x_key":"inputs","y_key":"labels","limit":50,"normalize":{"scale":0.5,"mean":1,"std":2}}`), &j); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(j, want) {
		t.Errorf("JSON: %+v, want %+v", j, want)
	}
	out, _ := json.Marshal(Spec{Format: "mnist", Images: "i", Labels: "l"})
	if string(out) != `{"format":"mnist","images":"i","labels":"l"}` {
		t.Errorf("JSON encoding %s", out)
	}
	based := Spec{Images: "a/i.gz", Labels: "/abs/l.gz"}.WithBase("/specs")
	if based.Images != filepath.Join("/specs", "a/i.gz") || based.Labels != "/abs/l.gz" || based.Path != "" {
		t.Errorf("WithBase: %+v", based)
	}
}
