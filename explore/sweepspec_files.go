package explore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tcdse/tcdse/dataset"
)

// CheckFiles checks on this machine what Validate cannot: that the model, data, fine-tuning
// data and cost model files named by the spec (resolved against BaseDir) exist and can be read,
// and that the output directory can be created and written (a probe file is created and
// removed; the directory is left in place). The CLI calls it before it submits a sweep, so an
// unwritable output is refused before any work instead of after the whole sweep. It reports
// every problem at once, each naming its field.
func (s SweepSpec) CheckFiles() error {
	var errs []error
	readable := func(field, name string) {
		if name == "" {
			return
		}
		path := s.Resolve(name)
		f, err := os.Open(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
			return
		}
		f.Close()
	}
	data := func(prefix string, d dataset.Spec) {
		readable(prefix+".images", d.Images)
		readable(prefix+".labels", d.Labels)
		readable(prefix+".path", d.Path)
	}
	readable("model", s.Model)
	data("data", s.Data)
	if s.FineTune != nil && s.FineTune.Train != nil {
		data("finetune.train", *s.FineTune.Train)
	}
	readable("cost_model", s.CostModel)
	if s.Out != "" {
		if err := writableDir(s.Resolve(s.Out)); err != nil {
			errs = append(errs, fmt.Errorf("out: %w", err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("sweep spec files: %w", errors.Join(errs...))
	}
	return nil
}

// writableDir creates dir when missing and checks a file can be created in it.
func writableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the output directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tcdse-write-check-*")
	if err != nil {
		return fmt.Errorf("cannot write into the output directory %s: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(filepath.Clean(name))
}
