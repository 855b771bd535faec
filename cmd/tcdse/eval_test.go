package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// runEvalCmd runs `tcdse eval` with args and returns its output.
func runEvalCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"eval"}, args...))
	err := root.Execute()
	return out.String(), err
}

func decodeEval(t *testing.T, out string) evalResult {
	t.Helper()
	var r evalResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	return r
}

// The bundled LeNet on the bundled 1000-image MNIST subset: 979 right.
func TestEvalLeNetTop1(t *testing.T) {
	root := filepath.Join("..", "..", "testdata", "examples")
	args := []string{filepath.Join(root, "lenet", "fyh620_lenet.onnx"),
		"--data", filepath.Join(root, "mnist", "t10k-1000-images-idx3-ubyte.gz"),
		"--labels", filepath.Join(root, "mnist", "t10k-1000-labels-idx1-ubyte.gz"),
		"--norm-scale", "0.00392156862745098", "--norm-mean", "0.1307", "--norm-std", "0.3081"}
	out, err := runEvalCmd(t, append(args, "--json", "--batch", "128")...)
	if err != nil {
		t.Fatal(err)
	}
	r := decodeEval(t, out)
	if r.Format != "mnist" || r.Metric != "top1" || r.Samples != 1000 || r.Value == nil || *r.Value != 0.979 || !r.HigherIsBetter {
		t.Errorf("result %+v (value %v); want top1 0.979 on 1000 mnist samples", r, r.Value)
	}
	out, err = runEvalCmd(t, append(args, "--limit", "100")...)
	if err != nil || !strings.Contains(out, "top1 ") || !strings.Contains(out, "100 samples") {
		t.Errorf("text output %q, %v", out, err)
	}
	// LeNet outputs 10 classes; the labels are 0..9, so AUC must refuse them.
	if _, err := runEvalCmd(t, append(args, "--metric", "auc", "--limit", "50")...); err == nil || !strings.Contains(err.Error(), "binary labels") {
		t.Errorf("auc on 10-class labels: %v", err)
	}
	if _, err := runEvalCmd(t, append(args, "--metric", "mse", "--limit", "50")...); err == nil || !strings.Contains(err.Error(), "no regression targets") {
		t.Errorf("mse without targets: %v", err)
	}
}

// writeAutoencoder writes a tcdse IR model y = W·x + b with W = [[1,0],[0,2]], b = [0,1].
func writeAutoencoder(t *testing.T, dir string) string {
	t.Helper()
	g := &model.Graph{
		Name:    "tiny-ae",
		Inputs:  []model.Value{{Name: "x", Shape: []int{2}}},
		Outputs: []model.Value{{Name: "y", Shape: []int{2}}},
		Nodes: []*model.Node{{Name: "dense", Op: model.OpDense, Inputs: []string{"x"}, Outputs: []string{"y"},
			Weight: &model.Tensor{Shape: []int{2, 2}, Data: []float32{1, 0, 0, 2}},
			Bias:   &model.Tensor{Shape: []int{2}, Data: []float32{0, 1}}}},
	}
	path := filepath.Join(dir, "ae.tcdse")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := g.Encode(f); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeFloats(t *testing.T, path string, vals ...float32) {
	t.Helper()
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEvalAutoencoderMSEAndAnomaly(t *testing.T) {
	dir := t.TempDir()
	ae := writeAutoencoder(t, dir)
	csvPath := filepath.Join(dir, "rows.csv")
	if err := os.WriteFile(csvPath, []byte("x0,x1,t0,t1\n1,2,1,2\n0,1,0,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Outputs [1,5] and [0,3] against targets [1,2] and [0,1]: squared errors 0, 9, 0, 4.
	out, err := runEvalCmd(t, ae, "--data", csvPath, "--columns", "x0,x1", "--target-columns", "t0,t1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if r := decodeEval(t, out); r.Metric != "mse" || r.Value == nil || *r.Value != 3.25 || r.HigherIsBetter {
		t.Errorf("mse result %+v; want 3.25", r)
	}
	out, err = runEvalCmd(t, ae, "--data", csvPath, "--columns", "x0,x1", "--target-columns", "t0,t1", "--metric", "mae", "--json")
	if r := decodeEval(t, out); err != nil || *r.Value != 1.25 {
		t.Errorf("mae %v, %v; want 1.25", r.Value, err)
	}

	// Anomaly scores over sliding windows (window 2, stride 1) of two raw float32 files.
	bins := filepath.Join(dir, "bins")
	if err := os.Mkdir(bins, 0o755); err != nil {
		t.Fatal(err)
	}
	// a.bin windows [1,2] [2,0] [0,1] [1,3] → outputs [1,5] [2,1] [0,3] [1,7]: MSE 4.5, 0.5, 2, 8 → 3.75.
	writeFloats(t, filepath.Join(bins, "a.bin"), 1, 2, 0, 1, 3)
	// b.bin windows [0,0] [0,0] → outputs [0,1]: MSE 0.5 each → 0.5.
	writeFloats(t, filepath.Join(bins, "b.bin"), 0, 0, 0)
	out, err = runEvalCmd(t, ae, "--data", bins, "--window", "2", "--stride", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	r := decodeEval(t, out)
	if r.Metric != "anomaly" || len(r.Items) != 2 || r.Items[0].Name != "a.bin" || r.Items[0].Score != 3.75 || r.Items[0].Samples != 4 ||
		r.Items[1].Score != 0.5 || r.Value != nil || r.AUC != nil || r.MeanScore == nil || *r.MeanScore != 2.125 {
		t.Errorf("anomaly without labels: %+v", r)
	}
	labels := filepath.Join(dir, "y_labels.csv")
	if err := os.WriteFile(labels, []byte("a.bin,2,1,8,4\nb.bin,2,0,8,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runEvalCmd(t, ae, "--data", bins, "--window", "2", "--stride", "1", "--labels", labels, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if r := decodeEval(t, out); r.Value == nil || *r.Value != 1 || r.AUC == nil || *r.AUC != 1 || r.PAUC == nil || *r.PAUC != 1 {
		t.Errorf("anomaly with labels: %+v", r)
	}
	// A window that does not fit the model's input is an error naming both shapes.
	if _, err := runEvalCmd(t, ae, "--data", bins, "--window", "3"); err == nil || !strings.Contains(err.Error(), "wants [2]") {
		t.Errorf("window 3 for a 2-input model: %v", err)
	}
}

// MLPerf Tiny ad01: the fp32 TFLite autoencoder on the one shipped ToyCar input scores 9.7071
// (the reference runner's value). Skipped until TFLite import is available.
func TestEvalAD01AnomalyScore(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "datasets", "mlperf_tiny_ad01")
	tfl := filepath.Join(dir, "ad01_fp32.tflite")
	if _, err := os.Stat(tfl); err != nil {
		t.Skip("ad01 not available")
	}
	if _, err := model.LoadFile(tfl); err != nil {
		t.Skip("TFLite import not available: ", err)
	}
	out, err := runEvalCmd(t, tfl, "--data", filepath.Join(dir, "inputs", "normal_id_01_00000000_hist_librosa.bin"),
		"--window", "640", "--stride", "128", "--json")
	if err != nil {
		t.Fatal(err)
	}
	r := decodeEval(t, out)
	if len(r.Items) != 1 || r.Items[0].Samples != 196 || math.Abs(r.Items[0].Score-9.70710781339692) > 1e-4 {
		t.Errorf("ad01 anomaly score %+v; want 9.7071 over 196 windows", r.Items)
	}
}

// MLPerf Tiny kws01: the float32 TFLite DS-CNN on the 1000 EEMBC int8 inputs, dequantized with
// the model's input scale and zero point, gets top-1 0.901 (PROVENANCE.md's measurement).
func TestEvalKWSTop1(t *testing.T) {
	if testing.Short() {
		t.Skip("1000 DS-CNN inferences")
	}
	dir := filepath.Join("..", "..", "..", "shared", "datasets", "mlperf_tiny_kws01")
	tfl := filepath.Join(dir, "kws_ref_model_float32.tflite")
	if _, err := os.Stat(filepath.Join(dir, "inputs", "y_labels.csv")); err != nil {
		t.Skip("kws01 not available")
	}
	if _, err := model.LoadFile(tfl); err != nil {
		t.Skip("TFLite import not available: ", err)
	}
	out, err := runEvalCmd(t, tfl, "--data", filepath.Join(dir, "inputs"), "--dtype", "int8", "--shape", "49,10,1",
		"--scale", "0.584703", "--zero-point", "83", "--labels", filepath.Join(dir, "inputs", "y_labels.csv"), "--json")
	if err != nil {
		t.Fatal(err)
	}
	if r := decodeEval(t, out); r.Samples != 1000 || r.Metric != "top1" || r.Value == nil || *r.Value != 0.901 {
		t.Errorf("kws01 result %+v (value %v); want top1 0.901 on 1000", r, r.Value)
	}
}

// Full-integer models score on real data: ad01 int8 quantizes the float windows with its input
// parameters and dequantizes its output before the MSE (the reference int8 TFLite Micro score
// 10.2603); kws01 int8 takes its int8 inputs as they are or dequantized (same answer, the shape
// inferred from the model), and raw int8 codes into the float model are refused.
func TestEvalFullIntegerModels(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "datasets")
	ad := filepath.Join(shared, "mlperf_tiny_ad01")
	if _, err := os.Stat(filepath.Join(ad, "ad01_int8.tflite")); err != nil {
		t.Skip("ad01 not available")
	}
	out, err := runEvalCmd(t, filepath.Join(ad, "ad01_int8.tflite"), "--data", filepath.Join(ad, "inputs", "normal_id_01_00000000_hist_librosa.bin"),
		"--window", "640", "--stride", "128", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if r := decodeEval(t, out); len(r.Items) != 1 || math.Abs(r.Items[0].Score-10.260287884484411) > 1e-3*10.26 {
		t.Errorf("ad01 int8 anomaly score %+v; want 10.26", r.Items)
	}
	kws := filepath.Join(shared, "mlperf_tiny_kws01")
	if _, err := os.Stat(filepath.Join(kws, "inputs", "y_labels.csv")); err != nil {
		t.Skip("kws01 inputs not available")
	}
	args := []string{"--data", filepath.Join(kws, "inputs"), "--dtype", "int8", "--labels", filepath.Join(kws, "inputs", "y_labels.csv"), "--limit", "100", "--json"}
	var tops []float64
	for _, extra := range [][]string{nil, {"--scale", "0.584703", "--zero-point", "83"}} {
		out, err := runEvalCmd(t, append(append([]string{filepath.Join(kws, "kws_ref_model.tflite")}, args...), extra...)...)
		if err != nil {
			t.Fatal(err)
		}
		r := decodeEval(t, out)
		if r.Value == nil || r.Samples != 100 {
			t.Fatalf("kws01 int8 %v: %+v", extra, r)
		}
		tops = append(tops, *r.Value)
	}
	if tops[0] != tops[1] || tops[0] < 0.85 {
		t.Errorf("kws01 int8 top1 %v from codes and from dequantized data; want equal and about 0.9", tops)
	}
	if _, err := runEvalCmd(t, append([]string{filepath.Join(kws, "kws_ref_model_float32.tflite")}, args...)...); err == nil || !strings.Contains(err.Error(), "raw int8 codes") {
		t.Errorf("int8 codes into a float input: %v", err)
	}
}
