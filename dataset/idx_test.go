package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	bundledImages = "../testdata/examples/mnist/t10k-1000-images-idx3-ubyte.gz"
	bundledLabels = "../testdata/examples/mnist/t10k-1000-labels-idx1-ubyte.gz"
)

func TestLoadMNISTBundled(t *testing.T) {
	ds, err := LoadMNIST(bundledImages, bundledLabels, 0, MNISTNormalize)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 1000 || !slices.Equal(ds.X.Shape, []int{1000, 1, 28, 28}) || len(ds.Labels) != 1000 {
		t.Fatalf("shape %v, %d labels; want [1000 1 28 28] and 1000", ds.X.Shape, len(ds.Labels))
	}
	// The first ten labels of the MNIST test set.
	if want := []int{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}; !slices.Equal(ds.Labels[:10], want) {
		t.Errorf("first labels %v, want %v", ds.Labels[:10], want)
	}
	// Pixel 0 is background (0); the image of the first "7" has a bright pixel 255 somewhere.
	bg := (0 - 0.1307) / 0.3081
	if math.Abs(float64(ds.X.Data[0])-bg) > 1e-6 {
		t.Errorf("background pixel %v, want %v", ds.X.Data[0], bg)
	}
	brightest := ds.X.Data[0]
	for _, v := range ds.X.Data[:784] {
		brightest = max(brightest, v)
	}
	if want := (1 - 0.1307) / 0.3081; math.Abs(float64(brightest)-want) > 1e-5 {
		t.Errorf("brightest pixel of image 0 is %v, want %v", brightest, want)
	}
	counts := map[int]int{}
	for _, l := range ds.Labels {
		counts[l]++
	}
	if len(counts) != 10 {
		t.Errorf("labels cover %d classes, want 10", len(counts))
	}
}

func TestLoadMNISTLimitAndRaw(t *testing.T) {
	gz, err := LoadMNIST(bundledImages, bundledLabels, 25, Normalize{})
	if err != nil {
		t.Fatal(err)
	}
	if gz.Len() != 25 || gz.X.Data[200] != float32(rawPixel(t, 200)) {
		t.Errorf("limit 25: %d samples, pixel 200 = %v", gz.Len(), gz.X.Data[200])
	}
	// The same files uncompressed give the same data.
	dir := t.TempDir()
	img, lab := filepath.Join(dir, "images"), filepath.Join(dir, "labels")
	writeFile(t, img, gunzip(t, bundledImages))
	writeFile(t, lab, gunzip(t, bundledLabels))
	raw, err := LoadMNIST(img, lab, 25, Normalize{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(raw.X.Data, gz.X.Data) || !slices.Equal(raw.Labels, gz.Labels) {
		t.Error("raw and gzip files disagree")
	}
	// A limit above the count reads everything.
	all, err := LoadMNIST(img, lab, 5000, Normalize{})
	if err != nil || all.Len() != 1000 {
		t.Errorf("limit 5000: %v samples, err %v", all.Len(), err)
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	images := gunzip(t, bundledImages)
	labels := gunzip(t, bundledLabels)
	header := func(vals ...uint32) []byte {
		var b bytes.Buffer
		binary.Write(&b, binary.BigEndian, vals)
		return b.Bytes()
	}
	cases := map[string]struct {
		images, labels []byte
		want           string
	}{
		"wrong image magic":   {append(header(0x0801), images[4:]...), labels, "bad IDX image magic"},
		"wrong label magic":   {images, append(header(0x0803), labels[4:]...), "bad IDX label magic"},
		"labels for images":   {labels, labels, "bad IDX image magic"},
		"truncated images":    {images[:len(images)-100], labels, "truncated"},
		"truncated labels":    {images, labels[:500], "truncated"},
		"truncated header":    {images[:10], labels, "header"},
		"count mismatch":      {images, append(header(0x0801, 999), labels[8:1007]...), "declares 1000 images but"},
		"absurd image size":   {header(0x0803, 1, 100000, 28), labels, "out of range"},
		"absurd image count":  {header(0x0803, 1<<31, 4096, 4096), labels, "more than"},
		"huge declared count": {header(0x0803, 1<<20, 28, 28), labels, "truncated"},
	}
	dir := t.TempDir()
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			img, lab := filepath.Join(dir, "img"), filepath.Join(dir, "lab")
			writeFile(t, img, c.images)
			writeFile(t, lab, c.labels)
			_, err := LoadMNIST(img, lab, 0, MNISTNormalize)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
	if _, err := LoadMNIST("missing-images", bundledLabels, 0, MNISTNormalize); err == nil {
		t.Error("missing file: no error")
	}
	// A gzip stream cut short is an error, not a short dataset.
	gz, _ := os.ReadFile(bundledImages)
	writeFile(t, filepath.Join(dir, "cut.gz"), gz[:len(gz)/2])
	if _, err := LoadMNIST(filepath.Join(dir, "cut.gz"), bundledLabels, 0, MNISTNormalize); err == nil {
		t.Error("cut gzip: no error")
	}
}

func TestNormalize(t *testing.T) {
	if got := (Normalize{}).Apply(7); got != 7 || !(Normalize{}).IsIdentity() {
		t.Errorf("zero Normalize maps 7 to %v", got)
	}
	n := Normalize{Scale: 0.5, Mean: 1, Std: 2}
	if got := n.Apply(6); got != 1 || n.IsIdentity() {
		t.Errorf("(6·0.5 − 1)/2 = %v, want 1", got)
	}
}

func rawPixel(t *testing.T, i int) byte {
	return gunzip(t, bundledImages)[16+i]
}

func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
