package hilbench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tcdse/tcdse/model"
	"github.com/tcdse/tcdse/tc3xx"
)

// AgentFile is a board agent's configuration file (YAML). Everything a board runs comes
// from here: jobs carry only a tree reference, never a command. See docs/farm.md.
//
//	name: lab-tc387-1
//	class: tc387-cpu2
//	derivative: tc387
//	core: cpu2
//	clock_mhz: 300
//	toolchain: hightec-4.9
//	tags: [lab-a, rack-2]
//	concurrency: 1
//	work_dir: /var/lib/tcdse/boards
//	lease_seconds: 10
//	quarantine_after: 3
//	driver:
//	  kind: command               # host | callgrind | command | sim
//	  build: [make, -C, "{dir}", tricore, TRICORE_CC=tricore-elf-gcc]
//	  flash: [/opt/lab/flash.sh, "{dir}/harness.elf"]
//	  run:   [/opt/lab/console.sh, --until, "TCDSE "]
//	health:
//	  model: /etc/tcdse/health.onnx # packed with PackGraph; or tree: a directory
//	  cycles: 81234
//	  drift_percent: 5
//	  interval_seconds: 30
type AgentFile struct {
	Name            string   `yaml:"name"`
	Class           string   `yaml:"class"`
	Derivative      string   `yaml:"derivative"`
	Core            string   `yaml:"core"`
	ClockMHz        float64  `yaml:"clock_mhz"`
	Toolchain       string   `yaml:"toolchain"`
	Tags            []string `yaml:"tags"`
	Concurrency     int      `yaml:"concurrency"`
	WorkDir         string   `yaml:"work_dir"`
	Journal         string   `yaml:"journal"`
	LeaseSeconds    float64  `yaml:"lease_seconds"`
	HeartbeatSecs   float64  `yaml:"heartbeat_seconds"`
	PollSeconds     float64  `yaml:"poll_seconds"`
	QuarantineAfter int      `yaml:"quarantine_after"`
	Driver          struct {
		Kind string `yaml:"kind"`
		// host and callgrind
		CC         string   `yaml:"cc"`
		MakeArgs   []string `yaml:"make_args"`
		Valgrind   string   `yaml:"valgrind"`
		Iterations int      `yaml:"iterations"`
		// command
		Build       []string `yaml:"build"`
		Flash       []string `yaml:"flash"`
		Run         []string `yaml:"run"`
		OutputLimit int      `yaml:"output_limit"`
		// sim
		Target    string     `yaml:"target"`
		TrueModel string     `yaml:"true_model"`
		TrueScale float64    `yaml:"true_scale"`
		TrueSeed  uint64     `yaml:"true_seed"`
		Noise     float64    `yaml:"noise"`
		Seed      uint64     `yaml:"seed"`
		DelayMS   int        `yaml:"delay_ms"`
		Faults    []SimFault `yaml:"faults"`
	} `yaml:"driver"`
	Health *struct {
		Tree            string  `yaml:"tree"`
		Model           string  `yaml:"model"`
		Format          string  `yaml:"format"`
		Cycles          float64 `yaml:"cycles"`
		DriftPercent    float64 `yaml:"drift_percent"`
		IntervalSeconds float64 `yaml:"interval_seconds"`
		EverySeconds    float64 `yaml:"every_seconds"`
		TimeoutSeconds  float64 `yaml:"timeout_seconds"`
	} `yaml:"health"`
}

// LoadAgentFile reads an agent configuration file and builds the agent's configuration
// (without a logger). Relative paths in the file are relative to the file.
func LoadAgentFile(path string) (FarmAgentConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return FarmAgentConfig{}, fmt.Errorf("agent config: %w", err)
	}
	return ParseAgentFile(data, path)
}

// ParseAgentFile is [LoadAgentFile] on the file's contents; name is the file's path (for
// errors and relative paths).
func ParseAgentFile(data []byte, name string) (FarmAgentConfig, error) {
	var f AgentFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return FarmAgentConfig{}, fmt.Errorf("agent config %s: %w", name, err)
	}
	bad := func(field string, format string, args ...any) error {
		return fmt.Errorf("agent config %s: %s: %s", name, field, fmt.Sprintf(format, args...))
	}
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(filepath.Dir(name), p)
	}
	if err := ValidateBoard(f.Name); err != nil {
		return FarmAgentConfig{}, bad("name", "%v", err)
	}
	if err := ValidateBoard(f.Class); err != nil {
		return FarmAgentConfig{}, bad("class", "%v", err)
	}
	cfg := FarmAgentConfig{
		Name: f.Name, Class: f.Class, Derivative: f.Derivative, Core: f.Core, ClockMHz: f.ClockMHz,
		Toolchain: f.Toolchain, Tags: f.Tags, Concurrency: f.Concurrency, WorkDir: rel(f.WorkDir),
		Journal: rel(f.Journal), QuarantineAfter: f.QuarantineAfter,
		Farm:      FarmConfig{Lease: seconds(f.LeaseSeconds)},
		Heartbeat: seconds(f.HeartbeatSecs), Poll: seconds(f.PollSeconds),
	}
	d := f.Driver
	onlyFor := func(kind string, set bool, field string) error {
		if set && d.Kind != kind {
			return bad("driver."+field, "only a %s driver takes it (this one is %q)", kind, d.Kind)
		}
		return nil
	}
	for _, c := range []struct {
		kind, field string
		set         bool
	}{
		{"command", "build", d.Build != nil}, {"command", "flash", d.Flash != nil}, {"command", "run", d.Run != nil},
		{"sim", "target", d.Target != ""}, {"sim", "faults", d.Faults != nil}, {"sim", "true_model", d.TrueModel != ""},
		{"callgrind", "valgrind", d.Valgrind != ""},
	} {
		if err := onlyFor(c.kind, c.set, c.field); err != nil {
			return FarmAgentConfig{}, err
		}
	}
	switch d.Kind {
	case "host":
		cfg.Driver = &HostDriver{CC: d.CC, MakeArgs: d.MakeArgs}
	case "callgrind":
		cfg.Driver = &CallgrindDriver{CC: d.CC, Valgrind: d.Valgrind, Iterations: d.Iterations}
	case "command":
		if len(d.Run) == 0 {
			return FarmAgentConfig{}, bad("driver.run", "a command board needs the command that prints its console")
		}
		cfg.Driver = &CommandDriver{Build: d.Build, Flash: d.Flash, Console: d.Run, ClockMHz: f.ClockMHz, OutputLimit: d.OutputLimit}
	case "sim":
		sim, err := simFromFile(&f, rel)
		if err != nil {
			return FarmAgentConfig{}, bad("driver", "%v", err)
		}
		cfg.Driver = sim
		if cfg.Derivative == "" {
			cfg.Derivative, cfg.Core = sim.Target.Derivative.Name, sim.Target.Core.Name
		}
		if cfg.ClockMHz == 0 {
			cfg.ClockMHz = float64(sim.Target.Core.Clock.Value) / 1e6
		}
	case "":
		return FarmAgentConfig{}, bad("driver.kind", "missing (host, callgrind, command or sim)")
	default:
		return FarmAgentConfig{}, bad("driver.kind", "%q is not host, callgrind, command or sim", d.Kind)
	}
	if h := f.Health; h != nil {
		var tree []byte
		var err error
		switch {
		case h.Tree != "" && h.Model != "":
			return FarmAgentConfig{}, bad("health", "give tree or model, not both")
		case h.Tree != "":
			tree, err = PackDir(rel(h.Tree))
		case h.Model != "":
			var g *model.Graph
			if g, err = model.LoadFile(rel(h.Model)); err == nil {
				if len(g.Outputs) > 1 {
					g.Outputs = g.Outputs[:1]
				}
				tree, err = PackGraph(g, h.Format, 4, 1)
			}
		default:
			return FarmAgentConfig{}, bad("health", "needs tree (a directory) or model (a model file)")
		}
		if err != nil {
			return FarmAgentConfig{}, bad("health", "%v", err)
		}
		cfg.Health = &HealthCheck{Tree: tree, Cycles: h.Cycles, DriftPercent: h.DriftPercent,
			Interval: seconds(h.IntervalSeconds), Every: seconds(h.EverySeconds), Timeout: seconds(h.TimeoutSeconds)}
	}
	return cfg, nil
}

func simFromFile(f *AgentFile, rel func(string) string) (*SimDriver, error) {
	d := f.Driver
	spec := d.Target
	if spec == "" {
		spec = "tc387:cpu2"
	}
	target, err := tc3xx.Lookup(spec)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	base, err := tc3xx.CostModelFor(target.Core.Arch)
	if err != nil {
		return nil, err
	}
	truth := base
	switch {
	case d.TrueModel != "" && d.TrueScale != 0:
		return nil, fmt.Errorf("give true_model or true_scale, not both")
	case d.TrueModel != "":
		if truth, err = tc3xx.LoadCostModel(rel(d.TrueModel)); err != nil {
			return nil, fmt.Errorf("true_model: %w", err)
		}
	case d.TrueScale != 0:
		if d.TrueScale < 1 {
			return nil, fmt.Errorf("true_scale %g: want at least 1", d.TrueScale)
		}
		truth = ScaledCostModel(base, d.TrueSeed, d.TrueScale)
	}
	for i, fl := range d.Faults {
		switch fl.Kind {
		case FaultHang, FaultCrash, FaultGarbage, FaultWrong, FaultDisconnect, FaultSlow:
		default:
			return nil, fmt.Errorf("faults[%d].kind %q: want one of %s", i, fl.Kind,
				strings.Join([]string{FaultHang, FaultCrash, FaultGarbage, FaultWrong, FaultDisconnect, FaultSlow}, ", "))
		}
		if fl.Rate < 0 || fl.Rate > 1 || fl.First < 0 {
			return nil, fmt.Errorf("faults[%d]: first %d and rate %g must be non-negative, rate at most 1", i, fl.First, fl.Rate)
		}
	}
	if d.Noise < 0 || d.Noise > 1 {
		return nil, fmt.Errorf("noise %g: want a relative standard deviation in [0, 1]", d.Noise)
	}
	return &SimDriver{Target: target, True: truth, Noise: d.Noise, Seed: d.Seed,
		Delay: time.Duration(d.DelayMS) * time.Millisecond, Faults: d.Faults}, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
