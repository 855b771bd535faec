package pareto

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// SaveFiles writes the report into dir, creating it if needed: front.json (the whole report)
// and front.csv (the front's points). It returns the paths written.
func SaveFiles(dir string, r Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("saving report: %w", err)
	}
	var js, cs bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		return nil, err
	}
	if err := WriteCSV(&cs, r.Front); err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range []struct {
		name string
		data []byte
	}{{"front.json", js.Bytes()}, {"front.csv", cs.Bytes()}} {
		path := filepath.Join(dir, f.name)
		if err := os.WriteFile(path, f.data, 0o644); err != nil {
			return paths, fmt.Errorf("saving report: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}
