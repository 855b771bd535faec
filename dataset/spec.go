package dataset

import (
	"fmt"
	"os"
	"path/filepath"
)

// Spec names a dataset, as sweep specifications write it:
//
//	format: mnist            # mnist, npy or npz
//	images: t10k-images-idx3-ubyte.gz
//	labels: t10k-labels-idx1-ubyte.gz
//	limit: 1000              # first N samples; 0 = all
//	normalize: {scale: 0.00392156862745098, mean: 0.1307, std: 0.3081}
//
// Format "mnist" reads the IDX files Images and Labels (gzip or raw). Format "npy" reads the
// inputs from the .npy file Path and, when Labels is set, class labels (integer [N]) or
// regression targets from the .npy file Labels. Format "npz" reads arrays XKey (default "x") and
// YKey (default "y"; it may be absent from the archive when YKey is not set) from the archive
// Path. Normalize applies to the inputs of every format.
//
// Format "csv" reads the numeric table Path (see CSVOptions): Columns are the features (names or
// 0-based indices; default every other column), LabelColumn the class labels, TargetColumns the
// regression targets, Header "yes", "no" or "auto", Shape the per-sample shape of the features.
//
// Format "bin" reads headerless little-endian samples (see RawOptions) from the file or directory
// Path: DType float32, int8 or uint8, Shape the per-sample shape (e.g. [49, 10, 1]) or Window and
// Stride to cut each file into sliding windows (ad01: 640 and 128), Scale and ZeroPoint to
// dequantize integers, and Labels an EEMBC y_labels.csv naming each file's label.
type Spec struct {
	Format    string    `json:"format" yaml:"format"`
	Images    string    `json:"images,omitempty" yaml:"images,omitempty"`
	Labels    string    `json:"labels,omitempty" yaml:"labels,omitempty"`
	Path      string    `json:"path,omitempty" yaml:"path,omitempty"`
	XKey      string    `json:"x_key,omitempty" yaml:"x_key,omitempty"`
	YKey      string    `json:"y_key,omitempty" yaml:"y_key,omitempty"`
	Limit     int       `json:"limit,omitempty" yaml:"limit,omitempty"`
	Normalize Normalize `json:"normalize,omitzero" yaml:"normalize,omitempty"`

	Header        string   `json:"header,omitempty" yaml:"header,omitempty"`
	Columns       []string `json:"columns,omitempty" yaml:"columns,omitempty"`
	LabelColumn   string   `json:"label_column,omitempty" yaml:"label_column,omitempty"`
	TargetColumns []string `json:"target_columns,omitempty" yaml:"target_columns,omitempty"`
	DType         string   `json:"dtype,omitempty" yaml:"dtype,omitempty"`
	Shape         []int    `json:"shape,omitempty" yaml:"shape,omitempty"`
	Window        int      `json:"window,omitempty" yaml:"window,omitempty"`
	Stride        int      `json:"stride,omitempty" yaml:"stride,omitempty"`
	Scale         float64  `json:"scale,omitempty" yaml:"scale,omitempty"`
	ZeroPoint     int      `json:"zero_point,omitempty" yaml:"zero_point,omitempty"`
}

// WithBase returns a copy of s whose relative file names are taken relative to dir (the
// directory of the file that holds the spec).
func (s Spec) WithBase(dir string) Spec {
	for _, p := range []*string{&s.Images, &s.Labels, &s.Path} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	return s
}

// Load reads the dataset a spec names.
func Load(spec Spec) (*Dataset, error) {
	if spec.Limit < 0 {
		return nil, fmt.Errorf("dataset spec: limit %d is negative", spec.Limit)
	}
	if err := spec.checkFormatFields(); err != nil {
		return nil, err
	}
	var (
		ds  *Dataset
		err error
	)
	switch spec.Format {
	case "mnist":
		if spec.Images == "" || spec.Labels == "" {
			return nil, fmt.Errorf("dataset spec: format mnist needs images and labels")
		}
		ds, err = LoadMNIST(spec.Images, spec.Labels, spec.Limit, spec.Normalize)
	case "npy":
		if spec.Path == "" {
			return nil, fmt.Errorf("dataset spec: format npy needs path (the inputs array)")
		}
		ds, err = loadNPYPair(spec.Path, spec.Labels, spec.Normalize)
	case "npz":
		if spec.Path == "" {
			return nil, fmt.Errorf("dataset spec: format npz needs path")
		}
		ds, err = loadNPZSpec(spec)
	case "csv":
		if spec.Path == "" {
			return nil, fmt.Errorf("dataset spec: format csv needs path")
		}
		ds, err = LoadCSV(spec.Path, CSVOptions{
			Header: spec.Header, Columns: spec.Columns, LabelColumn: spec.LabelColumn,
			TargetColumns: spec.TargetColumns, Shape: spec.Shape, Limit: spec.Limit, Normalize: spec.Normalize,
		})
	case "bin":
		if spec.Path == "" {
			return nil, fmt.Errorf("dataset spec: format bin needs path (a file or a directory of .bin files)")
		}
		ds, err = LoadRaw(spec.Path, RawOptions{
			DType: spec.DType, Shape: spec.Shape, Window: spec.Window, Stride: spec.Stride, Scale: spec.Scale,
			ZeroPoint: spec.ZeroPoint, Labels: spec.Labels, Limit: spec.Limit, Normalize: spec.Normalize,
		})
	default:
		return nil, fmt.Errorf("dataset spec: unknown format %q (want mnist, npy, npz, csv or bin)", spec.Format)
	}
	if err != nil {
		return nil, err
	}
	if spec.Limit > 0 && spec.Limit < ds.Len() {
		name := ds.Name
		if ds, err = ds.Batch(0, spec.Limit); err != nil {
			return nil, err
		}
		ds.Name = name
	}
	return ds, nil
}

func loadNPZSpec(spec Spec) (*Dataset, error) {
	arrays, err := ReadNPZ(spec.Path)
	if err != nil {
		return nil, err
	}
	xKey, yKey := spec.XKey, spec.YKey
	if xKey == "" {
		xKey = "x"
	}
	if _, ok := arrays["y"]; yKey == "" && ok {
		yKey = "y"
	}
	return datasetFromNPZ(spec.Path, arrays, xKey, yKey, spec.Normalize)
}

// loadNPYPair reads inputs and optional labels or targets from two .npy files.
func loadNPYPair(xPath, yPath string, norm Normalize) (*Dataset, error) {
	x, err := decodeNPYFile(xPath)
	if err != nil {
		return nil, err
	}
	var y *NPYArray
	if yPath != "" {
		if y, err = decodeNPYFile(yPath); err != nil {
			return nil, err
		}
	}
	ds, err := fromArrays(x, y, norm)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", xPath, err)
	}
	ds.Name = filepath.Base(xPath)
	return ds, nil
}

func decodeNPYFile(path string) (*NPYArray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := DecodeNPY(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}
