package model_test

import (
	"math"
	"os"
	"runtime"
	"slices"
	"testing"

	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/model"
)

const fixtures = "testdata/fixtures/"

func loadNPY(t testing.TB, name string) *model.Tensor {
	t.Helper()
	x, err := dataset.LoadNPY(fixtures + name)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// assertClose checks got against want element by element, relative to the scale of each
// sample's output: |got − want| ≤ 1e-5·max(1, max |want| over the sample). (A small logit next to
// large ones carries the absolute rounding error of the large ones' sums, so a per-element
// relative bound would measure summation order, not correctness.)
func assertClose(t *testing.T, what string, got, want *model.Tensor) {
	t.Helper()
	if !slices.Equal(got.Shape, want.Shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, want.Shape)
	}
	per := len(want.Data) / want.Shape[0]
	worst, at := 0.0, 0
	for s := 0; s < want.Shape[0]; s++ {
		scale := 1.0
		for _, v := range want.Data[s*per : (s+1)*per] {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		for i := s * per; i < (s+1)*per; i++ {
			d := math.Abs(float64(got.Data[i]-want.Data[i])) / scale
			if d > worst || math.IsNaN(d) {
				worst, at = d, i
			}
		}
	}
	if worst > 1e-5 || math.IsNaN(worst) {
		t.Errorf("%s: element %d is %v, want %v (relative error %.2g > 1e-5)", what, at, got.Data[at], want.Data[at], worst)
	}
	t.Logf("%s: largest relative error %.2g over %d values", what, worst, len(want.Data))
}

// TestRunMatchesPyTorch compares the interpreter with PyTorch's outputs written by
// testdata/make_fixtures.py for LeNet, an MLP and a CNN with grouped/dilated/padded convolutions.
func TestRunMatchesPyTorch(t *testing.T) {
	t.Run("lenet", func(t *testing.T) {
		g := loadLeNet(t)
		g.Outputs = append(g.Outputs, model.Value{Name: "23"}) // also expose the logits
		if err := g.Validate(); err != nil {
			t.Fatal(err)
		}
		out, err := g.Run(loadNPY(t, "lenet_x.npy"))
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, "probabilities", out[0], loadNPY(t, "lenet_probs.npy"))
		assertClose(t, "logits", out[1], loadNPY(t, "lenet_logits.npy"))
	})
	t.Run("mlp", func(t *testing.T) {
		g, err := model.LoadFile(fixtures + "mlp.onnx")
		if err != nil {
			t.Fatal(err)
		}
		// Gemm, MatMul+Add, Gemm+BatchNormalization: three dense layers, nothing else weighted.
		if got := len(g.PrunableLayers()); got != 3 {
			t.Errorf("%d weighted layers %v, want 3", got, nodeNames(g))
		}
		out, err := g.Run(loadNPY(t, "mlp_x.npy"))
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, "probabilities", out[0], loadNPY(t, "mlp_probs.npy"))
		assertClose(t, "logits", out[1], loadNPY(t, "mlp_logits.npy"))
	})
	t.Run("convnet", func(t *testing.T) {
		g, err := model.LoadFile(fixtures + "convnet.onnx")
		if err != nil {
			t.Fatal(err)
		}
		var groups []int
		for _, n := range g.Nodes {
			if n.Op == model.OpConv {
				groups = append(groups, n.Groups())
			}
		}
		if !slices.Equal(groups, []int{2, 1, 8}) {
			t.Errorf("conv groups %v, want [2 1 8]", groups)
		}
		out, err := g.Run(loadNPY(t, "convnet_x.npy"))
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, "probabilities", out[0], loadNPY(t, "convnet_probs.npy"))
	})
}

// TestRunBitIdentical checks that results do not depend on the number of goroutines, nor on
// how samples are grouped into batches.
func TestRunBitIdentical(t *testing.T) {
	g := loadLeNet(t)
	g.Outputs = append(g.Outputs, model.Value{Name: "23"})
	x := loadNPY(t, "lenet_x.npy") // 20 samples
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var ref []*model.Tensor
	for _, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		out, err := g.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = out
			continue
		}
		for i := range out {
			if !slices.Equal(out[i].Data, ref[i].Data) {
				t.Errorf("GOMAXPROCS=%d: output %d differs from GOMAXPROCS=1", procs, i)
			}
		}
	}
	per := len(x.Data) / x.Shape[0]
	for s := 0; s < x.Shape[0]; s += 7 {
		one := &model.Tensor{Shape: []int{1, 1, 28, 28}, Data: x.Data[s*per : (s+1)*per]}
		out, err := g.Run(one)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out[1].Data, ref[1].Data[s*10:(s+1)*10]) {
			t.Errorf("sample %d alone gives logits %v, in the batch %v", s, out[1].Data, ref[1].Data[s*10:(s+1)*10])
		}
	}
	if !slices.Equal(x.Data, loadNPY(t, "lenet_x.npy").Data) {
		t.Error("Run modified its input")
	}
}

// TestLeNetMNIST checks LeNet's accuracy on the full MNIST test set from ../shared (98.13%, the
// figure measured independently in its PROVENANCE.md), and on the 1000 bundled images, where
// every prediction must equal PyTorch's.
func TestLeNetMNIST(t *testing.T) {
	g := loadLeNet(t)
	top1, err := dataset.MetricByName("top1")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("bundled 1000", func(t *testing.T) {
		ds, err := dataset.LoadMNIST("../testdata/examples/mnist/t10k-1000-images-idx3-ubyte.gz",
			"../testdata/examples/mnist/t10k-1000-labels-idx1-ubyte.gz", 0, dataset.MNISTNormalize)
		if err != nil {
			t.Fatal(err)
		}
		out, err := g.Run(ds.X)
		if err != nil {
			t.Fatal(err)
		}
		acc, err := top1.Score(out[0], ds)
		if err != nil {
			t.Fatal(err)
		}
		torch := loadNPY(t, "lenet_mnist1000_pred.npy")
		differ := 0
		for i := 0; i < ds.Len(); i++ {
			if argmax(out[0].Data[i*10:(i+1)*10]) != int(torch.Data[i]) {
				differ++
			}
		}
		if differ != 0 {
			t.Errorf("%d of %d predictions differ from PyTorch's", differ, ds.Len())
		}
		t.Logf("LeNet top-1 on the first 1000 MNIST test images: %.2f%%", 100*acc)
	})
	t.Run("full 10000", func(t *testing.T) {
		const dir = "../../shared/datasets/mnist/"
		if _, err := os.Stat(dir + "t10k-images-idx3-ubyte.gz"); err != nil {
			t.Skip("MNIST test set not present:", err)
		}
		ds, err := dataset.LoadMNIST(dir+"t10k-images-idx3-ubyte.gz", dir+"t10k-labels-idx1-ubyte.gz", 0, dataset.MNISTNormalize)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Len() != 10000 {
			t.Fatalf("%d images, want 10000", ds.Len())
		}
		correct := 0
		for from := 0; from < ds.Len(); from += 1000 {
			b, err := ds.Batch(from, from+1000)
			if err != nil {
				t.Fatal(err)
			}
			out, err := g.Run(b.X)
			if err != nil {
				t.Fatal(err)
			}
			acc, err := top1.Score(out[0], b)
			if err != nil {
				t.Fatal(err)
			}
			correct += int(math.Round(acc * 1000))
		}
		if correct != 9813 {
			t.Errorf("%d of 10000 correct (%.2f%%), want 9813 (98.13%%)", correct, float64(correct)/100)
		}
		t.Logf("LeNet top-1 on the 10,000 MNIST test images: %.2f%%", float64(correct)/100)
	})
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// BenchmarkLeNetBatch64 measures interpreter throughput on LeNet with batches of 64 real MNIST
// images.
func BenchmarkLeNetBatch64(b *testing.B) {
	g := loadLeNet(b)
	ds, err := dataset.LoadMNIST("../testdata/examples/mnist/t10k-1000-images-idx3-ubyte.gz",
		"../testdata/examples/mnist/t10k-1000-labels-idx1-ubyte.gz", 64, dataset.MNISTNormalize)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := g.Run(ds.X); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(64*b.N)/b.Elapsed().Seconds(), "samples/s")
}
