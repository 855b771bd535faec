package dataset

import (
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/tcdse/tcdse/model"
)

// RawOptions say how to read raw binary sample files: headerless little-endian arrays in C order,
// as the MLPerf Tiny / EEMBC runners feed them (kws01: one int8 49×10 map per file; ad01: one
// float32 200×128 log-mel spectrogram per file, cut into sliding windows).
type RawOptions struct {
	// DType is "float32" (default), "int8" or "uint8".
	DType string
	// Shape is the per-sample shape; a file holds a whole number of samples. Exactly one of Shape
	// and Window must be set.
	Shape []int
	// Window and Stride cut each file into sliding windows of Window values that start Stride
	// values apart (see SlidingWindows); the samples then have shape [Window]. Stride 0 means Window.
	Window, Stride int
	// Scale and ZeroPoint dequantize integer values: x = (q − ZeroPoint)·Scale (Scale 0 means 1).
	Scale     float64
	ZeroPoint int
	// Labels, when set, is an EEMBC y_labels.csv file: rows "file name, number of classes,
	// label[, …]" (or "file name, label"). Every file read must be listed.
	Labels string
	// Limit > 0 stops reading files once that many samples are read (the caller trims the rest).
	Limit int
	// Normalize applies after dequantization.
	Normalize Normalize
}

// rawElemSize is the byte size of each supported dtype.
var rawElemSize = map[string]int{"float32": 4, "int8": 1, "uint8": 1}

// LoadRaw reads raw binary samples from one file or from every *.bin file of a directory (in
// name order). Each file is one group of Dataset.Groups, named by its base name, so metrics
// that score files (anomaly) can average over a file's windows.
func LoadRaw(path string, o RawOptions) (*Dataset, error) {
	if o.DType == "" {
		o.DType = "float32"
	}
	size, ok := rawElemSize[o.DType]
	if !ok {
		return nil, fmt.Errorf("raw data %s: dtype %q, want float32, int8 or uint8", path, o.DType)
	}
	if o.DType == "float32" && (o.Scale != 0 || o.ZeroPoint != 0) {
		return nil, fmt.Errorf("raw data %s: scale and zero point dequantize int8/uint8 data, not float32", path)
	}
	var perSample []int
	switch {
	case len(o.Shape) > 0 && o.Window > 0:
		return nil, fmt.Errorf("raw data %s: give a sample shape or a sliding window, not both", path)
	case len(o.Shape) > 0:
		perSample = o.Shape
	case o.Window > 0:
		if o.Stride == 0 {
			o.Stride = o.Window
		}
		perSample = []int{o.Window}
	default:
		return nil, fmt.Errorf("raw data %s: a raw file has no header, so give the sample shape (e.g. 49,10,1) or a sliding window", path)
	}
	per, err := model.NumElements(perSample)
	if err != nil || per == 0 {
		return nil, fmt.Errorf("raw data %s: sample shape %v is not usable", path, perSample)
	}
	files, err := rawFiles(path)
	if err != nil {
		return nil, err
	}
	var labelOf map[string]int
	if o.Labels != "" {
		if labelOf, err = readEEMBCLabels(o.Labels); err != nil {
			return nil, err
		}
	}
	ds := &Dataset{Name: filepath.Base(path)}
	if o.DType != "float32" && o.Scale == 0 && o.ZeroPoint == 0 && o.Normalize.IsIdentity() {
		ds.Codes = o.DType // integers read as they are: the model decides what they mean
	}
	var x []float32
	for fi, file := range files {
		if o.Limit > 0 && len(x)/per >= o.Limit {
			break
		}
		vals, err := readRawValues(file, o, size)
		if err != nil {
			return nil, err
		}
		var n int
		if o.Window > 0 {
			w, err := SlidingWindows(vals, o.Window, o.Stride)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			x, n = append(x, w.Data...), w.Shape[0]
		} else {
			if len(vals)%per != 0 || len(vals) == 0 {
				return nil, fmt.Errorf("%s: %d %s values are not a whole number of samples of shape %v (%d values each)",
					file, len(vals), o.DType, perSample, per)
			}
			x, n = append(x, vals...), len(vals)/per
		}
		if len(x) > model.MaxElements {
			return nil, fmt.Errorf("%s: the data set grows past %d values", file, model.MaxElements)
		}
		name := filepath.Base(file)
		ds.GroupNames = append(ds.GroupNames, name)
		for range n {
			ds.Groups = append(ds.Groups, fi)
		}
		if labelOf != nil {
			l, ok := labelOf[name]
			if !ok {
				return nil, fmt.Errorf("%s: not listed in labels file %s", file, o.Labels)
			}
			for range n {
				ds.Labels = append(ds.Labels, l)
			}
		}
	}
	ds.X = &model.Tensor{Shape: append([]int{len(x) / per}, perSample...), Data: x}
	return ds, nil
}

// rawFiles lists path itself, or the *.bin files of the directory path in name order.
func rawFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	matches, err := filepath.Glob(filepath.Join(path, "*.bin"))
	if err != nil {
		return nil, err
	}
	if len(matches) == 0 {
		return nil, fmt.Errorf("raw data %s: directory has no *.bin files", path)
	}
	sort.Strings(matches)
	return matches, nil
}

// readRawValues reads a whole raw file and converts it to float32 values.
func readRawValues(file string, o RawOptions, size int) ([]float32, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if info.Size()%int64(size) != 0 {
		return nil, fmt.Errorf("%s: %d bytes are not a whole number of %d-byte %s values", file, info.Size(), size, o.DType)
	}
	if info.Size()/int64(size) > model.MaxElements {
		return nil, fmt.Errorf("%s: more than %d values", file, model.MaxElements)
	}
	raw, err := readExactly(f, info.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	scale := o.Scale
	if scale == 0 {
		scale = 1
	}
	vals := make([]float32, len(raw)/size)
	for i := range vals {
		var v float32
		switch o.DType {
		case "float32":
			v = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		case "int8":
			v = float32(float64(int(int8(raw[i]))-o.ZeroPoint) * scale)
		case "uint8":
			v = float32(float64(int(raw[i])-o.ZeroPoint) * scale)
		}
		vals[i] = o.Normalize.Apply(v)
	}
	return vals, nil
}

// readEEMBCLabels reads an EEMBC energyrunner y_labels.csv: "name,classes,label[,…]" per row
// (kws01: tst_000000_Stop_7.bin,12,7; ad01: normal_id_01_00000003_hist_librosa.bin,2,0,2560,512),
// or "name,label".
func readEEMBCLabels(path string) (map[string]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	labels := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("labels %s: %w", path, err)
		}
		line, _ := cr.FieldPos(0)
		col := 2
		if len(rec) == 2 {
			col = 1
		} else if len(rec) < 2 {
			return nil, fmt.Errorf("labels %s line %d: want \"file,classes,label\" or \"file,label\", got %d fields", path, line, len(rec))
		}
		l, err := strconv.Atoi(strings.TrimSpace(rec[col]))
		if err != nil || l < 0 {
			return nil, fmt.Errorf("labels %s line %d, column %d: %q is not a class index", path, line, col, truncate(rec[col]))
		}
		labels[strings.TrimSpace(rec[0])] = l
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("labels %s: no rows", path)
	}
	return labels, nil
}
