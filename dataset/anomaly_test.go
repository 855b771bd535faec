package dataset

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

func TestSlidingWindows(t *testing.T) {
	x := []float32{0, 1, 2, 3, 4, 5, 6}
	w, err := SlidingWindows(x, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Windows start at 0, 2, 4; value 6 is only used by the last one, nothing is left over.
	want := []float32{0, 1, 2, 2, 3, 4, 4, 5, 6}
	if !slices.Equal(w.Shape, []int{3, 3}) || !slices.Equal(w.Data, want) {
		t.Errorf("windows %v %v, want [3 3] %v", w.Shape, w.Data, want)
	}
	// ad01: 200 frames × 128 mels, window 5 frames, stride 1 frame → 196 windows.
	w, err = SlidingWindows(make([]float32, 25600), AD01Window, AD01Stride)
	if err != nil || w.Shape[0] != 196 || w.Shape[1] != 640 {
		t.Errorf("ad01 windows %v, %v; want [196 640]", w.Shape, err)
	}
	for _, bad := range [][2]int{{0, 1}, {2, 0}, {8, 1}} {
		if _, err := SlidingWindows(x, bad[0], bad[1]); err == nil {
			t.Errorf("window %d stride %d: no error", bad[0], bad[1])
		}
	}
}

func TestAnomalyScoresPerFile(t *testing.T) {
	// Two files of two windows each (2 values per window).
	ds := &Dataset{Name: "toy", X: &model.Tensor{Shape: []int{4, 2}, Data: []float32{1, 1, 2, 2, 0, 0, 0, 0}},
		Groups: []int{0, 0, 1, 1}, GroupNames: []string{"a.bin", "b.bin"}, Labels: []int{1, 1, 0, 0}}
	out := &model.Tensor{Shape: []int{4, 2}, Data: []float32{0, 0, 0, 0, 0, 1, 0, 3}}
	items, err := AnomalyScores(out, ds)
	if err != nil {
		t.Fatal(err)
	}
	// a: windows MSE 1 and 4 → 2.5; b: 0.5 and 4.5 → 2.5.
	if len(items) != 2 || items[0].Name != "a.bin" || items[0].Score != 2.5 || items[0].Samples != 2 || items[0].Label != 1 ||
		items[1].Score != 2.5 || items[1].Label != 0 {
		t.Errorf("items %+v", items)
	}
	m, _ := MetricByName("anomaly")
	if q, err := m.Score(out, ds); err != nil || q != 0.5 { // tied scores
		t.Errorf("anomaly AUC = %v, %v; want 0.5", q, err)
	}
	out.Data[7] = 1 // b: 0.5 and 0.5 → 0.5 < 2.5
	if q, err := m.Score(out, ds); err != nil || q != 1 {
		t.Errorf("anomaly AUC = %v, %v; want 1", q, err)
	}
	ds.Labels = []int{1, 0, 0, 0}
	if _, err := m.Score(out, ds); err == nil || !strings.Contains(err.Error(), "labelled") {
		t.Errorf("mixed labels within a file: %v", err)
	}
	ds.Labels = nil
	if _, err := m.Score(out, ds); err == nil || !strings.Contains(err.Error(), "no labels") {
		t.Errorf("no labels: %v", err)
	}
	if _, err := AnomalyScores(&model.Tensor{Shape: []int{4, 1}, Data: make([]float32, 4)}, ds); err == nil || !strings.Contains(err.Error(), "reconstruct") {
		t.Errorf("output shape differs from input: %v", err)
	}
}

// The real ad01 input: reading it with sliding windows gives 196 windows of one file, and the
// anomaly score of an all-zero reconstruction is the mean over windows of mean(x²), computed
// here straight from the file bytes.
func TestAD01WindowsFromFile(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "datasets", "mlperf_tiny_ad01", "inputs", "normal_id_01_00000000_hist_librosa.bin")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skip("ad01 input not available:", err)
	}
	ds, err := Load(Spec{Format: "bin", Path: path, Window: AD01Window, Stride: AD01Stride})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 196 || !slices.Equal(ds.SampleShape(), []int{640}) || len(ds.GroupNames) != 1 || ds.Groups[195] != 0 {
		t.Fatalf("%d windows of %v, groups %v", ds.Len(), ds.SampleShape(), ds.GroupNames)
	}
	frame := func(i int) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))) }
	want := 0.0
	for w := 0; w < 196; w++ {
		s := 0.0
		for j := 0; j < 640; j++ {
			v := frame(w*128 + j)
			s += v * v
		}
		want += s / 640
	}
	want /= 196
	items, err := AnomalyScores(model.NewTensor(196, 640), ds)
	if err != nil || len(items) != 1 || math.Abs(items[0].Score-want) > 1e-6*want || items[0].Samples != 196 {
		t.Errorf("items %+v, %v; want score %v", items, err, want)
	}
}
