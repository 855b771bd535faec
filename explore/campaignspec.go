package explore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// CampaignSpec describes an overnight exploration: several models, each swept for several
// targets with shared settings, within a budget. It is the input of the Campaign workflow,
// written as YAML (tcdse campaign) or JSON (temporal workflow start --input).
// docs/campaigns.md documents every field.
type CampaignSpec struct {
	Name    string `json:"name" yaml:"name"`
	BaseDir string `json:"base_dir,omitempty" yaml:"base_dir"`
	// Out receives one directory per model (a sweep's out) and the campaign's summary.
	Out string `json:"out" yaml:"out"`
	// Targets are "derivative:core" names, or the single word "all" for every core of the
	// catalog (in YAML also written as `targets: all`).
	Targets TargetList `json:"targets" yaml:"targets"`
	// Concurrency is how many sweeps run at once (the sliding window); 0 means
	// DefaultCampaignConcurrency.
	Concurrency int `json:"concurrency,omitempty" yaml:"concurrency"`
	// Priority is PriorityBatch (the default) or PriorityInteractive.
	Priority string         `json:"priority,omitempty" yaml:"priority"`
	Budget   CampaignBudget `json:"budget,omitempty" yaml:"budget"`
	// EventsPerRun is the history length after which a campaign run admits no new sweep and
	// continues as new once its running sweeps are done; 0 means DefaultEventsPerRun.
	EventsPerRun int `json:"events_per_run,omitempty" yaml:"events_per_run"`
	// Sweep holds the settings every model shares (rates, schedule, generate, quantize, ...).
	// It names no model, data, target, out or base_dir: the campaign fills those in.
	Sweep SweepSpec `json:"sweep" yaml:"sweep"`
	// Models are the models explored, each at least with a name, model, data and metric (and
	// a threshold unless the shared settings have one). A field set here replaces the shared
	// one whole (a model's `finetune` block replaces the shared `finetune` block).
	Models []SweepSpec `json:"models" yaml:"models"`
}

// CampaignBudget bounds a campaign. When either bound is reached the campaign starts no new
// sweep, stops the running ones gracefully and ends with what it has, marked partial.
type CampaignBudget struct {
	// MaxEvaluations bounds the candidates evaluated over the whole campaign; 0 is unbounded.
	MaxEvaluations int `json:"max_evaluations,omitempty" yaml:"max_evaluations"`
	// Deadline is an RFC 3339 time ("2026-12-08T06:00:00Z"), a duration from the campaign's
	// start ("8h30m"), or a UTC wall-clock time "HH:MM" meaning its next occurrence after the
	// start (what a nightly schedule wants). Empty is no deadline.
	Deadline string `json:"deadline,omitempty" yaml:"deadline"`
}

// TargetList is a list of target names that also reads from a single YAML or JSON string
// ("all", or one target).
type TargetList []string

// UnmarshalYAML reads a sequence or a single string.
func (t *TargetList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*t = TargetList{n.Value}
		return nil
	}
	var l []string
	if err := n.Decode(&l); err != nil {
		return err
	}
	*t = l
	return nil
}

// UnmarshalJSON reads an array or a single string.
func (t *TargetList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = TargetList{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("targets: want a list of derivative:core names or \"all\": %w", err)
	}
	*t = l
	return nil
}

// AllTargets is the Targets value that means every core of the catalog.
const AllTargets = "all"

// Campaign priorities: interactive work is served before batch work on shared workers.
const (
	PriorityBatch       = "batch"
	PriorityInteractive = "interactive"
)

// Campaign defaults.
const (
	DefaultCampaignConcurrency = 2
	DefaultEventsPerRun        = 5000
	// MinEventsPerRun keeps room for the bookkeeping of one run.
	MinEventsPerRun = 20
)

// modelNameRE is what a model name may look like: it becomes part of directory names and
// workflow ids.
var modelNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ParseCampaignSpec reads a campaign spec from YAML or JSON. Unknown fields are an error. When
// BaseDir is empty it becomes the directory of path.
func ParseCampaignSpec(data []byte, path string) (CampaignSpec, error) {
	var s CampaignSpec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return CampaignSpec{}, fmt.Errorf("campaign spec %s: %w", path, err)
	}
	if s.BaseDir == "" && path != "" {
		abs, err := filepath.Abs(filepath.Dir(path))
		if err != nil {
			return CampaignSpec{}, err
		}
		s.BaseDir = abs
	}
	return s, nil
}

// LoadCampaignSpec reads and validates a campaign spec file against the given catalog target
// names (see Validate).
func LoadCampaignSpec(path string, catalog []string) (CampaignSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return CampaignSpec{}, err
	}
	s, err := ParseCampaignSpec(data, path)
	if err != nil {
		return CampaignSpec{}, err
	}
	return s, s.Validate(catalog)
}

// WithDefaults fills in the optional fields.
func (c CampaignSpec) WithDefaults() CampaignSpec {
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultCampaignConcurrency
	}
	if c.Priority == "" {
		c.Priority = PriorityBatch
	}
	if c.EventsPerRun <= 0 {
		c.EventsPerRun = DefaultEventsPerRun
	}
	return c
}

// TargetNames returns the campaign's targets, with "all" replaced by catalog (every
// "derivative:core" the catalog knows, in its order).
func (c CampaignSpec) TargetNames(catalog []string) []string {
	if len(c.Targets) == 1 && strings.EqualFold(strings.TrimSpace(c.Targets[0]), AllTargets) {
		return append([]string(nil), catalog...)
	}
	out := make([]string, len(c.Targets))
	for i, t := range c.Targets {
		out[i] = strings.ToLower(strings.TrimSpace(t))
	}
	return out
}

// campaignOwned are the SweepSpec fields a campaign sets itself for every sweep.
var campaignOwned = []string{"name", "base_dir", "target", "targets", "out"}

// ModelSweep returns the sweep of model i for the given targets: the shared settings, the
// model's own fields over them, the campaign's base dir, the first target as target and the
// others as targets (each candidate is scored once and priced for all), and out/MODEL as out.
func (c CampaignSpec) ModelSweep(i int, targets []string) SweepSpec {
	s := c.Sweep
	overlay(&s, c.Models[i])
	s.Name = c.Models[i].Name
	s.BaseDir = c.BaseDir
	s.Target, s.Targets = targets[0], nil
	if len(targets) > 1 {
		s.Targets = append(TargetList(nil), targets[1:]...)
	}
	s.Out = filepath.Join(c.Resolve(c.Out), c.Models[i].Name)
	return s
}

// Resolve turns a file name from the spec into a path relative to BaseDir.
func (c CampaignSpec) Resolve(name string) string {
	return SweepSpec{BaseDir: c.BaseDir}.Resolve(name)
}

// overlay copies every non-zero top-level field of src onto dst.
func overlay(dst *SweepSpec, src SweepSpec) {
	d, s := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src)
	for i := 0; i < s.NumField(); i++ {
		if !s.Field(i).IsZero() {
			d.Field(i).Set(s.Field(i))
		}
	}
}

// yamlName returns the YAML name of a SweepSpec field.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

// Validate reports every problem at once, each naming its field. catalog lists the known
// targets ("derivative:core"); every named target must be one of them. Every model's sweep is
// validated as a sweep spec would be, for the first target.
func (c CampaignSpec) Validate(catalog []string) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if !modelNameRE.MatchString(c.Name) {
		bad("name", "%q: want letters, digits, '.', '_' or '-' (at most 64), starting with a letter or digit", c.Name)
	}
	if c.Out == "" {
		bad("out", "missing: the directory that receives every model's outputs and the summary")
	}
	known := make(map[string]bool, len(catalog))
	for _, t := range catalog {
		known[strings.ToLower(t)] = true
	}
	targets := c.TargetNames(catalog)
	if len(targets) == 0 {
		bad("targets", "empty: list derivative:core names (see tcdse targets) or write all")
	}
	seenT := map[string]bool{}
	for i, t := range targets {
		switch {
		case strings.EqualFold(t, AllTargets):
			bad(fmt.Sprintf("targets[%d]", i), "all stands alone: write targets: all")
		case !known[t]:
			bad(fmt.Sprintf("targets[%d]", i), "%q is not a known derivative:core (see tcdse targets)", t)
		case seenT[t]:
			bad(fmt.Sprintf("targets[%d]", i), "%q is listed twice", t)
		}
		seenT[t] = true
	}
	if c.Concurrency < 0 || c.Concurrency > 64 {
		bad("concurrency", "%d is outside [0, 64]", c.Concurrency)
	}
	if c.Priority != "" && c.Priority != PriorityBatch && c.Priority != PriorityInteractive {
		bad("priority", "%q: want %s or %s", c.Priority, PriorityBatch, PriorityInteractive)
	}
	if c.Budget.MaxEvaluations < 0 {
		bad("budget.max_evaluations", "%d is negative", c.Budget.MaxEvaluations)
	}
	if _, _, err := c.Budget.DeadlineAfter(time.Unix(0, 0).UTC()); err != nil {
		bad("budget.deadline", "%v", err)
	}
	if c.EventsPerRun != 0 && (c.EventsPerRun < MinEventsPerRun || c.EventsPerRun > 40000) {
		bad("events_per_run", "%d is outside [%d, 40000]", c.EventsPerRun, MinEventsPerRun)
	}
	shared := reflect.ValueOf(c.Sweep)
	for i := 0; i < shared.NumField(); i++ {
		name := yamlName(shared.Type().Field(i))
		for _, owned := range append(campaignOwned, "model") {
			if name == owned && !shared.Field(i).IsZero() {
				bad("sweep."+name, "set by the campaign (per model, or from the campaign's own fields), not in the shared settings")
			}
		}
	}
	if len(c.Models) == 0 {
		bad("models", "empty: list at least one model with its name, model, data and metric")
	}
	seen := map[string]bool{}
	for i, m := range c.Models {
		field := fmt.Sprintf("models[%d]", i)
		if !modelNameRE.MatchString(m.Name) {
			bad(field+".name", "%q: want letters, digits, '.', '_' or '-' (at most 64), starting with a letter or digit", m.Name)
		} else if seen[m.Name] {
			bad(field+".name", "%q is used twice", m.Name)
		}
		seen[m.Name] = true
		field = fmt.Sprintf("models[%d] (%s)", i, m.Name)
		if m.BaseDir != "" || m.Target != "" || len(m.Targets) > 0 || m.Out != "" {
			bad(field, "base_dir, target, targets and out are set by the campaign")
		}
		if len(targets) == 0 || !known[targets[0]] {
			continue // the targets' errors are reported above
		}
		if err := c.ModelSweep(i, targets[:1]).Validate(); err != nil {
			bad(field, "%v", err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid campaign spec: %w", errors.Join(errs...))
	}
	return nil
}

// DeadlineAfter returns when a campaign started at start must end, and false when it has no
// deadline.
func (b CampaignBudget) DeadlineAfter(start time.Time) (time.Time, bool, error) {
	s := strings.TrimSpace(b.Deadline)
	if s == "" {
		return time.Time{}, false, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, false, fmt.Errorf("%q: a duration must be positive", s)
		}
		return start.Add(d), true, nil
	}
	if clock, err := time.Parse("15:04", s); err == nil {
		start = start.UTC()
		at := time.Date(start.Year(), start.Month(), start.Day(), clock.Hour(), clock.Minute(), 0, 0, time.UTC)
		if !at.After(start) {
			at = at.AddDate(0, 0, 1)
		}
		return at, true, nil
	}
	return time.Time{}, false, fmt.Errorf("%q: want an RFC 3339 time (2026-12-08T06:00:00Z), a duration (8h) or a UTC clock time (06:30)", s)
}
