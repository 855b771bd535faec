package explore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/dataset"
)

// Every missing input file and an unwritable output are reported at once, each by field.
func TestCheckFilesReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"m.onnx", "images.gz", "labels.gz"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := SweepSpec{BaseDir: dir, Model: "m.onnx", Out: "out",
		Data: dataset.Spec{Format: "mnist", Images: "images.gz", Labels: "labels.gz"}}
	if err := s.CheckFiles(); err != nil {
		t.Fatalf("good files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err != nil {
		t.Errorf("the output directory was not created: %v", err)
	}
	s.Model, s.CostModel, s.Out = "missing.onnx", "cm.json", "file/out" // a file is in the way
	s.Data.Images, s.Data.Labels = "no-images.gz", "no-labels.gz"
	err := s.CheckFiles()
	if err == nil {
		t.Fatal("missing files and an unwritable output accepted")
	}
	for _, field := range []string{"model:", "data.images:", "data.labels:", "cost_model:", "out:"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error does not name %s: %v", field, err)
		}
	}
}
