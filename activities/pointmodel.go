package activities

import (
	"bytes"

	"github.com/tcdse/tcdse/model"
)

// Files a sweep stores next to a point's generated code: the exact model the code was
// generated from, in the tcdse IR (always) and as ONNX (float models; see
// [model.Graph.ExportONNX]), so that `tcdse generate --point` and `tcdse export --point`
// rebuild fine-tuned, structured and quantized points, and users can take a point back to
// their framework.
const (
	PointModelFile = "model.tcdse"
	PointONNXFile  = "model.onnx"
)

// pointModelFiles encodes g as PointModelFile and, when g can be expressed in ONNX, as
// PointONNXFile.
func pointModelFiles(g *model.Graph) (map[string][]byte, error) {
	var ir bytes.Buffer
	if err := g.Encode(&ir); err != nil {
		return nil, err
	}
	files := map[string][]byte{PointModelFile: ir.Bytes()}
	if data, err := g.EncodeONNX(); err == nil {
		files[PointONNXFile] = data
	}
	return files, nil
}
