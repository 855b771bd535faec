package dataset

import (
	"bytes"
	"encoding/gob"
	"fmt"

	"github.com/tcdse/tcdse/model"
)

// codecMagic starts every encoded dataset.
const codecMagic = "TCDSE-DATA-1\n"

// MarshalBinary encodes the dataset (inputs, labels, targets) in tcdse's own deterministic
// format, so a sweep can store it once in the object store and every worker reads the same bytes.
func (d *Dataset) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(codecMagic)
	if err := gob.NewEncoder(&b).Encode((*datasetData)(d)); err != nil {
		return nil, fmt.Errorf("encoding dataset %q: %w", d.Name, err)
	}
	return b.Bytes(), nil
}

// datasetData is Dataset without its methods: gob would otherwise call MarshalBinary, which
// calls gob, forever.
type datasetData Dataset

// UnmarshalDataset decodes MarshalBinary's bytes and checks that the tensors are consistent.
func UnmarshalDataset(data []byte) (*Dataset, error) {
	if !bytes.HasPrefix(data, []byte(codecMagic)) {
		return nil, fmt.Errorf("not a tcdse dataset (bad magic)")
	}
	var d Dataset
	if err := gob.NewDecoder(bytes.NewReader(data[len(codecMagic):])).Decode((*datasetData)(&d)); err != nil {
		return nil, fmt.Errorf("decoding dataset: %w", err)
	}
	for name, t := range map[string]*model.Tensor{"inputs": d.X, "targets": d.Targets} {
		if t == nil {
			continue
		}
		if n, err := model.NumElements(t.Shape); err != nil || n != len(t.Data) {
			return nil, fmt.Errorf("decoding dataset %q: %s shape %v does not match %d elements", d.Name, name, t.Shape, len(t.Data))
		}
	}
	if d.X == nil || len(d.X.Shape) == 0 {
		return nil, fmt.Errorf("decoding dataset %q: no inputs", d.Name)
	}
	if d.Labels != nil && len(d.Labels) != d.Len() {
		return nil, fmt.Errorf("decoding dataset %q: %d labels for %d samples", d.Name, len(d.Labels), d.Len())
	}
	if err := d.checkGroups(); err != nil {
		return nil, fmt.Errorf("decoding dataset: %w", err)
	}
	return &d, nil
}
