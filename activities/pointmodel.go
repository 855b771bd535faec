package activities

import (
	"bytes"
	"os"
	"path/filepath"

	"github.com/tcdse/tcdse/model"
)

// Files a sweep writes next to a point's generated code: the exact model the code was
// generated from, in the tcdse IR (always) and as ONNX (float models; see
// [model.Graph.ExportONNX]), so that `tcdse generate --point` and `tcdse export --point`
// rebuild fine-tuned, structured and quantized points, and users can take a point back to
// their framework.
const (
	PointModelFile = "model.tcdse"
	PointONNXFile  = "model.onnx"
)

// writePointModel writes g into dir as PointModelFile and, when g can be expressed in ONNX,
// as PointONNXFile; an ONNX file left by an earlier run is removed when g cannot be.
func writePointModel(dir string, g *model.Graph) error {
	var ir bytes.Buffer
	if err := g.Encode(&ir); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, PointModelFile), ir.Bytes(), 0o644); err != nil {
		return err
	}
	onnxPath := filepath.Join(dir, PointONNXFile)
	data, err := g.EncodeONNX()
	if err != nil {
		if rmErr := os.Remove(onnxPath); rmErr != nil && !os.IsNotExist(rmErr) {
			return rmErr
		}
		return nil
	}
	return os.WriteFile(onnxPath, data, 0o644)
}
