package model

import (
	"bytes"
	"errors"
	"fmt"
	"os"
)

// MaxModelFileSize bounds the size of a model file LoadFile reads (protobuf's own limit).
const MaxModelFileSize = 2 << 30

// LoadFile reads a model file and returns its validated IR graph. The format is recognised from
// the content, not the file name: tcdse IR (written by Graph.Encode), TFLite (identifier "TFL3",
// see ImportTFLite), or else ONNX.
func LoadFile(path string) (*Graph, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > MaxModelFileSize {
		return nil, fmt.Errorf("%s: %d bytes is larger than the %d-byte limit for a model", path, info.Size(), MaxModelFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	g, err := Load(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// Load is LoadFile for a model already in memory.
func Load(data []byte) (*Graph, error) {
	switch {
	case len(data) == 0:
		return nil, errors.New("empty model file")
	case bytes.HasPrefix(data, []byte(irMagic)):
		return Decode(bytes.NewReader(data))
	case len(data) >= 8 && string(data[4:8]) == "TFL3":
		return ImportTFLite(data)
	}
	if kind := notAModel(data); kind != "" {
		return nil, fmt.Errorf("%w: this is %s, not a model tcdse imports (ONNX, TFLite or the tcdse IR)", ErrNotAModel, kind)
	}
	return ImportONNX(data)
}

// ErrNotAModel is the kind of the error Load returns for a file recognised by its signature
// as something other than a model (an image, an HDF5/Keras file, an archive, ...).
var ErrNotAModel = errors.New("not a model file")

// fileSignatures are the leading bytes of files people pass as models by mistake, with what to
// do instead where there is a way.
var fileSignatures = []struct {
	magic string
	kind  string
}{
	{"\x89PNG\r\n\x1a\n", "a PNG image"},
	{"\xff\xd8\xff", "a JPEG image"},
	{"GIF8", "a GIF image"},
	{"\x89HDF\r\n\x1a\n", "an HDF5 file (a Keras .h5 model? convert it to TFLite or ONNX first, e.g. with tf.lite.TFLiteConverter or tf2onnx)"},
	{"PK\x03\x04", "a zip archive (a Keras .keras file, an .npz or a zipped SavedModel? convert the model to TFLite or ONNX first)"},
	{"PK\x05\x06", "an empty zip archive"},
	{"\x1f\x8b", "a gzip file (decompress it first)"},
	{"\x93NUMPY", "a NumPy .npy array (data, not a model)"},
	{"%PDF", "a PDF document"},
	{"\x7fELF", "an ELF executable"},
	{"\x80\x02", "a Python pickle (a PyTorch .pt/.pth file? export it to ONNX with torch.onnx.export)"},
}

// notAModel names what data is when its signature says it is no model; "" otherwise.
func notAModel(data []byte) string {
	for _, s := range fileSignatures {
		if bytes.HasPrefix(data, []byte(s.magic)) {
			return s.kind
		}
	}
	// HDF5 may start at 512, 1024, 2048 ... bytes into the file (a user block).
	for off := 512; off+8 <= len(data) && off <= 1<<20; off *= 2 {
		if string(data[off:off+8]) == "\x89HDF\r\n\x1a\n" {
			return fileSignatures[3].kind
		}
	}
	return ""
}
