package dataset

import (
	"archive/zip"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// ReadNPZ reads every array of a .npz archive (a zip of .npy files, compressed or not), keyed by
// member name without the .npy suffix.
func ReadNPZ(path string) (map[string]*NPYArray, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable .npz (zip) archive: %w", path, err)
	}
	defer zr.Close()
	arrays := make(map[string]*NPYArray, len(zr.File))
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".npy") {
			continue
		}
		key := strings.TrimSuffix(f.Name, ".npy")
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: member %s: %w", path, f.Name, err)
		}
		a, err := DecodeNPY(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: member %s: %w", path, f.Name, err)
		}
		arrays[key] = a
	}
	return arrays, nil
}

// LoadNPZ builds a dataset from a .npz archive: array xKey holds the inputs [N, ...]; array yKey
// (optional when empty) holds either class labels (an integer array of shape [N]) or regression
// targets [N, ...]. norm is applied to the inputs.
func LoadNPZ(path, xKey, yKey string, norm Normalize) (*Dataset, error) {
	arrays, err := ReadNPZ(path)
	if err != nil {
		return nil, err
	}
	return datasetFromNPZ(path, arrays, xKey, yKey, norm)
}

// datasetFromNPZ is LoadNPZ for an archive already read.
func datasetFromNPZ(path string, arrays map[string]*NPYArray, xKey, yKey string, norm Normalize) (*Dataset, error) {
	x, ok := arrays[xKey]
	if !ok {
		return nil, fmt.Errorf("%s: no array %q (arrays: %s)", path, xKey, strings.Join(keys(arrays), ", "))
	}
	var y *NPYArray
	if yKey != "" {
		if y, ok = arrays[yKey]; !ok {
			return nil, fmt.Errorf("%s: no array %q (arrays: %s)", path, yKey, strings.Join(keys(arrays), ", "))
		}
	}
	ds, err := fromArrays(x, y, norm)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ds.Name = filepath.Base(path)
	return ds, nil
}

// fromArrays builds a dataset from input and optional label or target arrays.
func fromArrays(x, y *NPYArray, norm Normalize) (*Dataset, error) {
	if len(x.Tensor.Shape) < 2 {
		return nil, fmt.Errorf("inputs have shape %v; want [N, ...] with at least one per-sample dimension", x.Tensor.Shape)
	}
	if !norm.IsIdentity() {
		for i, v := range x.Tensor.Data {
			x.Tensor.Data[i] = norm.Apply(v)
		}
	}
	ds := &Dataset{X: x.Tensor}
	if y == nil {
		return ds, nil
	}
	n := x.Tensor.Shape[0]
	if len(y.Tensor.Shape) == 0 || y.Tensor.Shape[0] != n {
		return nil, fmt.Errorf("inputs have %d samples but labels/targets have shape %v", n, y.Tensor.Shape)
	}
	if y.Integer && len(y.Tensor.Shape) == 1 {
		ds.Labels = make([]int, n)
		for i, v := range y.Tensor.Data {
			if v < 0 {
				return nil, fmt.Errorf("label %d is negative (%v)", i, v)
			}
			ds.Labels[i] = int(v)
		}
		return ds, nil
	}
	ds.Targets = y.Tensor
	return ds, nil
}

func keys(m map[string]*NPYArray) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
