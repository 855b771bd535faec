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
	default:
		return ImportONNX(data)
	}
}
