package dataset

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/tcdse/tcdse/model"
)

// IDX magic numbers: two zero bytes, type 0x08 (unsigned byte), number of dimensions.
const (
	idxMagicImages = 0x00000803
	idxMagicLabels = 0x00000801
	// idxMaxSide bounds an image side; it rejects corrupt headers early.
	idxMaxSide = 1 << 12
)

// Normalize maps a raw value p (a pixel 0..255, or an array element) to (p·Scale − Mean)/Std.
// A zero Scale or Std means 1, so the zero Normalize leaves values unchanged.
type Normalize struct {
	Scale float32 `json:"scale,omitempty" yaml:"scale,omitempty"`
	Mean  float32 `json:"mean,omitempty" yaml:"mean,omitempty"`
	Std   float32 `json:"std,omitempty" yaml:"std,omitempty"`
}

// MNISTNormalize is the usual MNIST preprocessing (and LeNet's): x = (pixel/255 − 0.1307)/0.3081.
var MNISTNormalize = Normalize{Scale: 1.0 / 255, Mean: 0.1307, Std: 0.3081}

// Apply returns the normalised value of p.
func (n Normalize) Apply(p float32) float32 {
	scale, std := n.Scale, n.Std
	if scale == 0 {
		scale = 1
	}
	if std == 0 {
		std = 1
	}
	return (p*scale - n.Mean) / std
}

// IsIdentity reports whether Apply returns its argument unchanged.
func (n Normalize) IsIdentity() bool {
	return (n.Scale == 0 || n.Scale == 1) && n.Mean == 0 && (n.Std == 0 || n.Std == 1)
}

// ReadIDXImages reads an IDX3 unsigned-byte image file (MNIST layout: magic 0x00000803, count,
// rows, cols, then the pixels). It reads at most limit images when limit > 0 and returns the
// header count, the image size and the pixels of the images read.
func ReadIDXImages(r io.Reader, limit int) (count, rows, cols int, pixels []byte, err error) {
	var hdr [4]uint32
	if err := binary.Read(r, binary.BigEndian, &hdr); err != nil {
		return 0, 0, 0, nil, fmt.Errorf("reading IDX image header: %w", err)
	}
	if hdr[0] != idxMagicImages {
		return 0, 0, 0, nil, fmt.Errorf("bad IDX image magic %#08x, want %#08x", hdr[0], idxMagicImages)
	}
	count, rows, cols = int(hdr[1]), int(hdr[2]), int(hdr[3])
	if rows < 1 || cols < 1 || rows > idxMaxSide || cols > idxMaxSide {
		return 0, 0, 0, nil, fmt.Errorf("IDX image size %dx%d is out of range", rows, cols)
	}
	n := count
	if limit > 0 {
		n = min(n, limit)
	}
	total, err := model.NumElements([]int{n, rows, cols})
	if err != nil {
		return 0, 0, 0, nil, fmt.Errorf("IDX header declares %d images of %dx%d: %w", count, rows, cols, err)
	}
	pixels, err = readExactly(r, int64(total))
	if err != nil {
		return 0, 0, 0, nil, fmt.Errorf("IDX images (header declares %d of %dx%d): %w", count, rows, cols, err)
	}
	return count, rows, cols, pixels, nil
}

// ReadIDXLabels reads an IDX1 unsigned-byte label file (magic 0x00000801, count, labels). It
// reads at most limit labels when limit > 0 and returns the header count and the labels read.
func ReadIDXLabels(r io.Reader, limit int) (count int, labels []byte, err error) {
	var hdr [2]uint32
	if err := binary.Read(r, binary.BigEndian, &hdr); err != nil {
		return 0, nil, fmt.Errorf("reading IDX label header: %w", err)
	}
	if hdr[0] != idxMagicLabels {
		return 0, nil, fmt.Errorf("bad IDX label magic %#08x, want %#08x", hdr[0], idxMagicLabels)
	}
	count = int(hdr[1])
	n := count
	if limit > 0 {
		n = min(n, limit)
	}
	if n > model.MaxElements {
		return 0, nil, fmt.Errorf("IDX header declares %d labels, more than %d", count, model.MaxElements)
	}
	labels, err = readExactly(r, int64(n))
	if err != nil {
		return 0, nil, fmt.Errorf("IDX labels (header declares %d): %w", count, err)
	}
	return count, labels, nil
}

// LoadMNIST reads an MNIST-style pair of IDX files (gzip-compressed or raw) into a dataset with
// X of shape [N,1,rows,cols], normalised by norm, and class Labels. With limit > 0 only the
// first limit samples are read. The two files must declare the same number of samples.
func LoadMNIST(images, labels string, limit int, norm Normalize) (*Dataset, error) {
	ir, ic, err := openMaybeGzip(images)
	if err != nil {
		return nil, err
	}
	defer ic.Close()
	count, rows, cols, pixels, err := ReadIDXImages(ir, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", images, err)
	}
	lr, lc, err := openMaybeGzip(labels)
	if err != nil {
		return nil, err
	}
	defer lc.Close()
	lcount, lab, err := ReadIDXLabels(lr, limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", labels, err)
	}
	if lcount != count {
		return nil, fmt.Errorf("%s declares %d images but %s declares %d labels", images, count, labels, lcount)
	}
	n := len(lab)
	x := &model.Tensor{Shape: []int{n, 1, rows, cols}, Data: make([]float32, len(pixels))}
	for i, p := range pixels {
		x.Data[i] = norm.Apply(float32(p))
	}
	ls := make([]int, n)
	for i, l := range lab {
		ls[i] = int(l)
	}
	return &Dataset{Name: "mnist", X: x, Labels: ls}, nil
}
