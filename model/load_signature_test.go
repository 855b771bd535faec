package model_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/model"
)

// Files recognised by their signature are named in the error instead of failing as bad ONNX.
func TestLoadNamesNonModelFiles(t *testing.T) {
	for _, tc := range []struct {
		data []byte
		want string
	}{
		{[]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "PNG image"},
		{[]byte("\x89HDF\r\n\x1a\n\x00\x00\x00\x00"), "HDF5 file (a Keras .h5"},
		{append(make([]byte, 512), []byte("\x89HDF\r\n\x1a\n")...), "HDF5 file"},
		{[]byte("PK\x03\x04\x14\x00\x00\x00"), "zip archive"},
		{[]byte("\x93NUMPY\x01\x00"), "NumPy"},
	} {
		_, err := model.Load(tc.data)
		if !errors.Is(err, model.ErrNotAModel) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v; want %q", tc.data[:min(8, len(tc.data))], err, tc.want)
		}
	}
	// The real Keras file of ad01, when present.
	h5 := filepath.Join(sharedData, "mlperf_tiny_ad01", "ad01.h5")
	if _, err := os.Stat(h5); err == nil {
		if _, err := model.LoadFile(h5); !errors.Is(err, model.ErrNotAModel) || !strings.Contains(err.Error(), "ad01.h5") || !strings.Contains(err.Error(), "HDF5") {
			t.Errorf("ad01.h5: %v", err)
		}
	}
	// Bytes that are none of these still go to the ONNX importer.
	if _, err := model.Load([]byte{0x08, 0x07, 0x12, 0x00}); errors.Is(err, model.ErrNotAModel) {
		t.Errorf("protobuf bytes refused by signature: %v", err)
	}
}
