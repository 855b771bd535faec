package dataset

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeRawFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRawInt8Directory(t *testing.T) {
	dir := t.TempDir()
	writeRawFile(t, filepath.Join(dir, "b.bin"), []byte{0x80, 0x7f, 3, 4, 5, 6, 7, 8}) // two samples of 2×2
	writeRawFile(t, filepath.Join(dir, "a.bin"), []byte{10, 11, 12, 13})
	writeRawFile(t, filepath.Join(dir, "notes.txt"), []byte("ignored"))
	writeRawFile(t, filepath.Join(dir, "y_labels.csv"), []byte("a.bin,12,3\nb.bin,12,7\nc.bin,12,1\n"))
	ds, err := Load(Spec{Format: "bin", Path: dir, DType: "int8", Shape: []int{2, 2}, Scale: 0.5, ZeroPoint: 2,
		Labels: filepath.Join(dir, "y_labels.csv")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.X.Shape, []int{3, 2, 2}) || !slices.Equal(ds.Labels, []int{3, 7, 7}) || !slices.Equal(ds.Groups, []int{0, 1, 1}) ||
		strings.Join(ds.GroupNames, ",") != "a.bin,b.bin" {
		t.Fatalf("shape %v labels %v groups %v %v", ds.X.Shape, ds.Labels, ds.Groups, ds.GroupNames)
	}
	// (q − 2)·0.5: a.bin's 10 → 4; b.bin's −128 → −65 and 127 → 62.5.
	if ds.X.Data[0] != 4 || ds.X.Data[4] != -65 || ds.X.Data[5] != 62.5 {
		t.Errorf("dequantized %v", ds.X.Data)
	}
	// A batch keeps the groups.
	b, _ := ds.Batch(1, 3)
	if !slices.Equal(b.Groups, []int{1, 1}) || len(b.GroupNames) != 2 {
		t.Errorf("batch groups %v %v", b.Groups, b.GroupNames)
	}
}

func TestLoadRawErrors(t *testing.T) {
	dir := t.TempDir()
	f32 := filepath.Join(dir, "f.bin")
	buf := make([]byte, 4*6)
	for i := range 6 {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(float32(i)))
	}
	writeRawFile(t, f32, buf)
	odd := filepath.Join(dir, "odd.dat")
	writeRawFile(t, odd, []byte{1, 2, 3})
	cases := []struct {
		spec Spec
		want string
	}{
		{Spec{Format: "bin", Path: f32, Shape: []int{4}}, "not a whole number of samples"},
		{Spec{Format: "bin", Path: odd, Shape: []int{1}}, "not a whole number of 4-byte float32"},
		{Spec{Format: "bin", Path: f32, DType: "int16", Shape: []int{1}}, `dtype "int16"`},
		{Spec{Format: "bin", Path: f32}, "give the sample shape"},
		{Spec{Format: "bin", Path: f32, Shape: []int{2}, Window: 2}, "not both"},
		{Spec{Format: "bin", Path: f32, Window: 8}, "fewer than one window"},
		{Spec{Format: "bin", Path: f32, Shape: []int{2}, Scale: 2}, "not float32"},
		{Spec{Format: "bin", Path: f32, Shape: []int{2}, Labels: odd}, "labels"},
		{Spec{Format: "npy", Path: f32, DType: "int8"}, "apply to format bin"},
		{Spec{Format: "bin", Path: f32, LabelColumn: "x"}, "apply to format csv"},
		{Spec{Format: "bin", Path: f32, Stride: 2}, "stride 2 without a window"},
		{Spec{Format: "bin", Path: t.TempDir(), Shape: []int{1}}, "no *.bin files"},
	}
	for _, c := range cases {
		_, err := Load(c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want it to contain %q", c.spec, err, c.want)
		}
	}
	ds, err := Load(Spec{Format: "bin", Path: f32, Window: 4, Stride: 2})
	if err != nil || !slices.Equal(ds.X.Shape, []int{2, 4}) || !slices.Equal(ds.X.Data, []float32{0, 1, 2, 3, 2, 3, 4, 5}) {
		t.Errorf("windows %v, %v", ds, err)
	}
}

// The kws01 inputs: 1000 int8 49×10 maps, one per file, labels from y_labels.csv.
func TestLoadRawKWS(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "datasets", "mlperf_tiny_kws01", "inputs")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("kws01 inputs not available")
	}
	ds, err := Load(Spec{Format: "bin", Path: dir, DType: "int8", Shape: []int{49, 10, 1}, Scale: 0.584703, ZeroPoint: 83,
		Labels: filepath.Join(dir, "y_labels.csv"), Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 50 || !slices.Equal(ds.SampleShape(), []int{49, 10, 1}) || len(ds.Labels) != 50 {
		t.Fatalf("%d samples of %v, %d labels", ds.Len(), ds.SampleShape(), len(ds.Labels))
	}
	// tst_000000_Stop_7.bin is first and has class 7; tst_000001_Left_2.bin class 2.
	if ds.GroupNames[0] != "tst_000000_Stop_7.bin" || ds.Labels[0] != 7 || ds.Labels[1] != 2 {
		t.Errorf("first files %v labels %v", ds.GroupNames[:2], ds.Labels[:2])
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "tst_000000_Stop_7.bin"))
	if want := float32(float64(int(int8(raw[5]))-83) * 0.584703); ds.X.Data[5] != want {
		t.Errorf("x[5] = %v, want %v", ds.X.Data[5], want)
	}
}
