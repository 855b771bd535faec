package explore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tcdse/tcdse/dataset"
)

// SweepSpec describes one design-space sweep: which model, scored on which data with which
// metric, explored with which pruning rates and global schedule, for which target core, and
// which points of the front to turn into C code. It is the input of the Sweep workflow, written
// by users as YAML (tcdse sweep) or JSON (temporal workflow start --input). docs/sweep-spec.md
// documents every field.
type SweepSpec struct {
	Name        string        `json:"name,omitempty" yaml:"name"`
	BaseDir     string        `json:"base_dir,omitempty" yaml:"base_dir"`
	Model       string        `json:"model" yaml:"model"`
	Data        dataset.Spec  `json:"data" yaml:"data"`
	Metric      string        `json:"metric" yaml:"metric"`
	Threshold   ThresholdSpec `json:"threshold" yaml:"threshold"`
	Rates       []float64     `json:"rates" yaml:"rates"`
	Schedule    []float64     `json:"schedule" yaml:"schedule"`
	Floor       float64       `json:"floor,omitempty" yaml:"floor"`
	Target      string        `json:"target" yaml:"target"`
	Generate    GenerateSpec  `json:"generate,omitempty" yaml:"generate"`
	HIL         HILSpec       `json:"hil,omitempty" yaml:"hil"`
	Out         string        `json:"out" yaml:"out"`
	Concurrency int           `json:"concurrency,omitempty" yaml:"concurrency"`
	Batch       int           `json:"batch,omitempty" yaml:"batch"`
	Vectors     int           `json:"vectors,omitempty" yaml:"vectors"`
	CostModel   string        `json:"cost_model,omitempty" yaml:"cost_model"` // calibrated cost model file (tcdse calibrate --out); empty: built-in

	// FineTune, when set, fine-tunes the model after every GWP step (see FineTuneSpec).
	FineTune *FineTuneSpec `json:"finetune,omitempty" yaml:"finetune"`
	// Quantize, when set, adds an int8 point for every GWP step (see QuantizeSpec).
	Quantize *QuantizeSpec `json:"quantize,omitempty" yaml:"quantize"`
	// Sensitivity, when set, chooses the sensitivity rule, threshold and probe fine-tuning
	// (see SensitivitySpec); nil keeps the defaults.
	Sensitivity *SensitivitySpec `json:"sensitivity,omitempty" yaml:"sensitivity"`
	// GWP, when set, chooses how the global steps prune (see GWPSpec); nil keeps the defaults.
	GWP *GWPSpec `json:"gwp,omitempty" yaml:"gwp"`
	// Search, when set, runs a multi-objective search after the GWP walk (see SearchSpec).
	Search *SearchSpec `json:"search,omitempty" yaml:"search"`
}

// ThresholdSpec is the sensitivity threshold: exactly one of Relative (a fraction of the
// unpruned quality, e.g. 0.99) or Absolute (a metric value) is set.
type ThresholdSpec struct {
	Relative float64 `json:"relative,omitempty" yaml:"relative"`
	Absolute float64 `json:"absolute,omitempty" yaml:"absolute"`
}

// GenerateSpec chooses the front points that get C code: at most Max of them (0 means 3),
// spread over the front from the most accurate to the smallest.
type GenerateSpec struct {
	Max int `json:"max,omitempty" yaml:"max"`
	// Format is the weight format of the generated code and so of every point's ROM and cycle
	// estimates: a codegen format name ("auto", "smallest", "dense", "csr", "rcsr8", "rcsr4",
	// "sparse8"); empty means auto. It is checked when the sweep imports its model.
	Format string `json:"format,omitempty" yaml:"format"`
}

// HILSpec names the board kind the generated code is run on ("host" builds it with gcc on an
// agent's machine); an empty Board skips hardware-in-the-loop.
type HILSpec struct {
	Board          string `json:"board,omitempty" yaml:"board"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty" yaml:"timeout_seconds"`
	// Priority is the farm priority of the sweep's board jobs: "interactive" (ahead of every
	// batch job of the class) or "batch" (the default).
	Priority string `json:"priority,omitempty" yaml:"priority"`
	// Calibrate makes calibration a sweep step: once at least MinPoints points were measured
	// with a cycle count, the cost model is fitted to them, the measured points re-priced and
	// the fitted model stored for the board class.
	Calibrate bool `json:"calibrate,omitempty" yaml:"calibrate"`
	MinPoints int  `json:"min_points,omitempty" yaml:"min_points"`
}

// Defaults used when a field is zero.
const (
	DefaultConcurrency = 4
	DefaultBatch       = 256
	DefaultVectors     = 8
	DefaultGenerateMax = 3
)

// ParseSweepSpec reads a spec from YAML or JSON (JSON is read as YAML). Unknown fields are an
// error, so a misspelt option is not silently ignored. When BaseDir is empty it becomes the
// directory of path, so relative file names in the spec are relative to the spec file.
func ParseSweepSpec(data []byte, path string) (SweepSpec, error) {
	var s SweepSpec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return SweepSpec{}, fmt.Errorf("sweep spec %s: %w", path, err)
	}
	if s.BaseDir == "" && path != "" {
		abs, err := filepath.Abs(filepath.Dir(path))
		if err != nil {
			return SweepSpec{}, err
		}
		s.BaseDir = abs
	}
	return s, nil
}

// LoadSweepSpec reads and validates a spec file.
func LoadSweepSpec(path string) (SweepSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return SweepSpec{}, err
	}
	s, err := ParseSweepSpec(data, path)
	if err != nil {
		return SweepSpec{}, err
	}
	return s, s.Validate()
}

// Resolve turns a file name from the spec into a path: absolute names are kept, relative ones are
// joined to BaseDir (or left relative to the worker's directory when BaseDir is empty).
func (s SweepSpec) Resolve(name string) string {
	if name == "" || filepath.IsAbs(name) || s.BaseDir == "" {
		return name
	}
	return filepath.Join(s.BaseDir, name)
}

// WithDefaults returns the spec with zero-valued optional fields set to their defaults.
func (s SweepSpec) WithDefaults() SweepSpec {
	if s.Concurrency <= 0 {
		s.Concurrency = DefaultConcurrency
	}
	if s.Batch <= 0 {
		s.Batch = DefaultBatch
	}
	if s.Vectors <= 0 {
		s.Vectors = DefaultVectors
	}
	if s.Generate.Max <= 0 {
		s.Generate.Max = DefaultGenerateMax
	}
	if s.HIL.TimeoutSeconds <= 0 {
		s.HIL.TimeoutSeconds = 300
	}
	if s.Name == "" {
		s.Name = "sweep"
	}
	return s
}

// Validate reports every problem in the spec at once, each naming its field, before any work
// starts.
func (s SweepSpec) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if s.Model == "" {
		bad("model", "missing: name an ONNX file or a tcdse IR file")
	}
	if s.Data.Format == "" {
		bad("data.format", "missing (one of mnist, npy, npz)")
	}
	if _, err := dataset.MetricByName(s.Metric); err != nil {
		bad("metric", "%v", err)
	}
	errs = append(errs, s.validateSensitivity()...)
	errs = append(errs, s.validateSensitivityOptions()...)
	errs = append(errs, s.GWP.validate()...)
	if len(s.Rates) == 0 {
		bad("rates", "empty: list the pruning rates probed per layer, e.g. [0.5, 0.7, 0.9]")
	}
	for i, r := range s.Rates {
		if r <= 0 || r >= 1 {
			bad(fmt.Sprintf("rates[%d]", i), "%v is outside (0, 1)", r)
		}
	}
	for i := 1; i < len(s.Rates); i++ {
		if s.Rates[i] <= s.Rates[i-1] {
			bad("rates", "must be strictly increasing: %v", s.Rates)
			break
		}
	}
	if len(s.Schedule) == 0 {
		bad("schedule", "empty: list the global knob values g, e.g. [0.25, 0.5, 0.75, 1]")
	}
	for i, g := range s.Schedule {
		if g <= 0 || g > 2 {
			bad(fmt.Sprintf("schedule[%d]", i), "%v is outside (0, 2]", g)
		}
		if i > 0 && g <= s.Schedule[i-1] {
			bad("schedule", "must be strictly increasing: %v", s.Schedule)
		}
	}
	if s.Floor < 0 || s.Floor > 2 {
		bad("floor", "%v is outside [0, 2] (a fraction of the unpruned quality)", s.Floor)
	}
	if s.Target == "" {
		bad("target", "missing, e.g. tc387:cpu2")
	}
	switch s.HIL.Priority {
	case "", "interactive", "batch":
	default:
		bad("hil.priority", "%q is not interactive or batch", s.HIL.Priority)
	}
	if s.HIL.Calibrate && s.HIL.Board == "" {
		bad("hil.calibrate", "needs hil.board: the measurements come from a board class")
	}
	if s.HIL.MinPoints < 0 {
		bad("hil.min_points", "%d is negative", s.HIL.MinPoints)
	}
	if ext := strings.ToLower(filepath.Ext(s.CostModel)); s.CostModel != "" && ext != ".json" && ext != ".yaml" && ext != ".yml" {
		bad("cost_model", "%q: want the .json (or .yaml) file written by tcdse calibrate --out", s.CostModel)
	}
	if s.Out == "" {
		bad("out", "missing: the directory that receives front.json, front.csv and the C code")
	}
	if s.Concurrency < 0 || s.Concurrency > 256 {
		bad("concurrency", "%d is outside [0, 256]", s.Concurrency)
	}
	if s.Batch < 0 || s.Batch > 1<<16 {
		bad("batch", "%d is outside [0, 65536]", s.Batch)
	}
	if s.Vectors < 0 || s.Vectors > 1000 {
		bad("vectors", "%d is outside [0, 1000]", s.Vectors)
	}
	if s.Generate.Max < 0 || s.Generate.Max > 100 {
		bad("generate.max", "%d is outside [0, 100]", s.Generate.Max)
	}
	errs = append(errs, s.FineTune.validate()...)
	errs = append(errs, s.Quantize.validate()...)
	errs = append(errs, s.validateCalibrationData()...)
	errs = append(errs, s.Search.validate()...)
	if len(errs) > 0 {
		return fmt.Errorf("invalid sweep spec: %w", errors.Join(errs...))
	}
	return nil
}
