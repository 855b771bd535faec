package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// problem is one model, its scored data and the sweep settings every method shares.
type problem struct {
	name   string
	g      *model.Graph
	ds     *dataset.Dataset
	metric dataset.Metric
	target tc3xx.Target
	// threshold is the sensitivity threshold (GWP's pmax); floor, relative to the baseline,
	// ends GWP's walk and is the hypervolume's quality bound for every method.
	threshold explore.Threshold
	floor     float64
	rates     []float64
	schedule  []float64
	formats   []string
	batch     int
}

// sweepSettings are examples/lenet/sweep.yaml's: the probe rates and the GWP schedule.
var (
	sweepRates    = []float64{0.3, 0.5, 0.7, 0.8, 0.9, 0.95}
	sweepSchedule = []float64{0.25, 0.5, 0.75, 1.0, 1.1, 1.2}
	// searchFormats are the weight formats a layer may take in the search: auto (the per-layer
	// choice of codegen), dense (fastest), smallest (fewest bytes).
	searchFormats = []string{"", "dense", "smallest"}
)

// loadProblem loads a named benchmark problem, or says why it is not available.
func loadProblem(name, repo, shared string, limit int) (*problem, error) {
	p := &problem{name: name, rates: sweepRates, schedule: sweepSchedule, formats: searchFormats, batch: 250}
	var err error
	switch name {
	case "lenet":
		// The bundled LeNet-5 on the bundled 1000 MNIST test images, as in examples/lenet.
		root := filepath.Join(repo, "testdata", "examples")
		if p.g, err = model.LoadFile(filepath.Join(root, "lenet", "fyh620_lenet.onnx")); err != nil {
			return nil, err
		}
		p.ds, err = dataset.Load(dataset.Spec{Format: "mnist", Images: filepath.Join(root, "mnist", "t10k-1000-images-idx3-ubyte.gz"),
			Labels: filepath.Join(root, "mnist", "t10k-1000-labels-idx1-ubyte.gz"), Normalize: dataset.MNISTNormalize})
		p.metric, _ = dataset.MetricByName("top1")
		p.target, _ = tc3xx.Lookup("tc387:cpu2")
		p.threshold, p.floor = explore.Threshold{Relative: 0.99}, 0.95
	case "kws01":
		// The MLPerf Tiny DS-CNN (float32 TFLite) on the 1000 EEMBC test inputs.
		dir := filepath.Join(shared, "mlperf_tiny_kws01")
		if _, err := os.Stat(filepath.Join(dir, "inputs", "y_labels.csv")); err != nil {
			return nil, fmt.Errorf("kws01 not available: %w", err)
		}
		if p.g, err = model.LoadFile(filepath.Join(dir, "kws_ref_model_float32.tflite")); err != nil {
			return nil, err
		}
		p.ds, err = dataset.Load(dataset.Spec{Format: "bin", Path: filepath.Join(dir, "inputs"), Labels: filepath.Join(dir, "inputs", "y_labels.csv"),
			DType: "int8", Shape: []int{49, 10, 1}, Scale: 0.584703, ZeroPoint: 83})
		p.metric, _ = dataset.MetricByName("top1")
		p.target, _ = tc3xx.Lookup("tc387:cpu2")
		p.threshold, p.floor = explore.Threshold{Relative: 0.99}, 0.95
		p.batch = 100
	case "ad01":
		// The MLPerf Tiny autoencoder on the one ToyCar test file cut into 196 windows of 640
		// (stride 128); quality is the reconstruction MSE (lower is better).
		dir := filepath.Join(shared, "mlperf_tiny_ad01")
		if p.g, err = model.LoadFile(filepath.Join(dir, "ad01_fp32.tflite")); err != nil {
			return nil, fmt.Errorf("ad01 not available: %w", err)
		}
		p.ds, err = dataset.Load(dataset.Spec{Format: "bin", Path: filepath.Join(dir, "inputs", "normal_id_01_00000000_hist_librosa.bin"), Window: 640, Stride: 128})
		if err == nil {
			p.ds.Targets = &model.Tensor{Shape: append([]int(nil), p.ds.X.Shape...), Data: append([]float32(nil), p.ds.X.Data...)}
		}
		p.metric, _ = dataset.MetricByName("mse")
		p.target, _ = tc3xx.Lookup("tc387:cpu0")
		p.threshold, p.floor = explore.Threshold{Relative: 1.02}, 1.10
	default:
		return nil, fmt.Errorf("unknown model %q (want lenet, kws01 or ad01)", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if limit > 0 && limit < p.ds.Len() {
		if p.ds, err = p.ds.Batch(0, limit); err != nil {
			return nil, err
		}
	}
	return p, nil
}
