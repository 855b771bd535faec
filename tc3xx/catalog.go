package tc3xx

import (
	"fmt"
	"sort"
	"strings"
)

// Basis says where a catalog figure or cost parameter comes from.
type Basis string

const (
	// Documented figures come from a named Infineon document or Infineon-supplied file.
	Documented Basis = "documented"
	// Assumed figures are engineering assumptions to be confirmed (by a data sheet or by
	// measurement).
	Assumed Basis = "assumed"
)

// Amount is a size in bytes or a frequency in Hz, with its basis and source.
type Amount struct {
	Value  int64  `json:"value" yaml:"value"`
	Basis  Basis  `json:"basis" yaml:"basis"`
	Source string `json:"source,omitempty" yaml:"source,omitempty"`
}

// Core is one CPU of a derivative with its local memories.
type Core struct {
	Name   string `json:"name" yaml:"name"` // "cpu0", "cpu1", ...
	Arch   string `json:"arch" yaml:"arch"` // "TC1.6.2P"
	Clock  Amount `json:"clock_hz" yaml:"clock_hz"`
	DSPR   Amount `json:"dspr_bytes" yaml:"dspr_bytes"`     // data scratchpad RAM
	PSPR   Amount `json:"pspr_bytes" yaml:"pspr_bytes"`     // program scratchpad RAM
	DLMU   Amount `json:"dlmu_bytes" yaml:"dlmu_bytes"`     // the core's slice of the distributed LMU
	DCache Amount `json:"dcache_bytes" yaml:"dcache_bytes"` // data cache
	PCache Amount `json:"pcache_bytes" yaml:"pcache_bytes"` // program cache
}

// Derivative is one TC3xx device.
type Derivative struct {
	Name   string `json:"name" yaml:"name"`     // lower case, e.g. "tc387"
	Series string `json:"series" yaml:"series"` // e.g. "TC38x"
	CPUs   []Core `json:"cpus" yaml:"cpus"`
	PFlash Amount `json:"pflash_bytes" yaml:"pflash_bytes"` // program flash, all banks
	DFlash Amount `json:"dflash_bytes" yaml:"dflash_bytes"` // data flash (EEPROM emulation)
	LMU    Amount `json:"lmu_bytes" yaml:"lmu_bytes"`       // shared LMU RAM (without DLMU)
	// PFlashRead is the PFlash array read of one 256-bit line in CPU cycles at the cores'
	// clock: the flash wait states the start-up code programs plus the ECC cycle.
	PFlashRead Amount   `json:"pflash_read_cycles" yaml:"pflash_read_cycles"`
	Notes      []string `json:"notes,omitempty" yaml:"notes,omitempty"`
}

// Core returns the named core (e.g. "cpu2"), case-insensitively.
func (d Derivative) Core(name string) (Core, bool) {
	for _, c := range d.CPUs {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Core{}, false
}

func (d Derivative) coreNames() []string {
	names := make([]string, len(d.CPUs))
	for i, c := range d.CPUs {
		names[i] = c.Name
	}
	return names
}

// Target is one core of one derivative, with where the model's weights and activations are
// placed (empty means WeightsInPFlash and ActivationsInDSPR).
type Target struct {
	Derivative  Derivative          `json:"derivative"`
	Core        Core                `json:"core"`
	Weights     Placement           `json:"weights"`
	Activations ActivationPlacement `json:"activations,omitempty"`
}

// String returns the "derivative:core" name.
func (t Target) String() string { return t.Derivative.Name + ":" + t.Core.Name }

// Catalog is a set of derivatives by name.
type Catalog struct {
	derivatives map[string]Derivative
}

// DefaultCatalog returns a fresh catalog of the derivatives tcdse knows.
func DefaultCatalog() *Catalog {
	c := &Catalog{derivatives: map[string]Derivative{}}
	for _, d := range builtin() {
		if err := c.Add(d); err != nil {
			panic("tc3xx: built-in catalog: " + err.Error()) // a programming error, caught by tests
		}
	}
	return c
}

// Add registers a derivative, replacing one of the same name. It checks that the derivative
// has a name, at least one core, unique core names, positive clock, DSPR and PFlash, and no
// negative size.
func (c *Catalog) Add(d Derivative) error {
	d.Name = strings.ToLower(strings.TrimSpace(d.Name))
	if d.Name == "" || strings.Contains(d.Name, ":") {
		return fmt.Errorf("tc3xx: derivative name %q must be non-empty and contain no ':'", d.Name)
	}
	if len(d.CPUs) == 0 {
		return fmt.Errorf("tc3xx: derivative %s has no CPUs", d.Name)
	}
	if d.PFlash.Value <= 0 {
		return fmt.Errorf("tc3xx: derivative %s: PFlash size %d must be positive", d.Name, d.PFlash.Value)
	}
	for _, f := range []struct {
		field string
		a     Amount
	}{{"dflash_bytes", d.DFlash}, {"lmu_bytes", d.LMU}, {"pflash_read_cycles", d.PFlashRead}} {
		if f.a.Value < 0 {
			return fmt.Errorf("tc3xx: derivative %s: %s %d is negative", d.Name, f.field, f.a.Value)
		}
	}
	seen := map[string]bool{}
	for _, core := range d.CPUs {
		key := strings.ToLower(core.Name)
		if key == "" || seen[key] {
			return fmt.Errorf("tc3xx: derivative %s: core name %q empty or repeated", d.Name, core.Name)
		}
		seen[key] = true
		if core.Clock.Value <= 0 || core.DSPR.Value <= 0 {
			return fmt.Errorf("tc3xx: %s:%s: clock %d Hz and DSPR %d bytes must be positive", d.Name, core.Name, core.Clock.Value, core.DSPR.Value)
		}
		for _, f := range []struct {
			field string
			a     Amount
		}{{"pspr_bytes", core.PSPR}, {"dlmu_bytes", core.DLMU}, {"dcache_bytes", core.DCache}, {"pcache_bytes", core.PCache}} {
			if f.a.Value < 0 {
				return fmt.Errorf("tc3xx: %s:%s: %s %d is negative", d.Name, core.Name, f.field, f.a.Value)
			}
		}
	}
	d.CPUs = append([]Core(nil), d.CPUs...)
	d.Notes = append([]string(nil), d.Notes...)
	c.derivatives[d.Name] = d
	return nil
}

// Derivatives returns the known derivative names, sorted.
func (c *Catalog) Derivatives() []string {
	names := make([]string, 0, len(c.derivatives))
	for n := range c.derivatives {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// TargetNames returns every "derivative:core" of the catalog, derivatives sorted, cores in
// their order.
func (c *Catalog) TargetNames() []string {
	var names []string
	for _, n := range c.Derivatives() {
		for _, core := range c.derivatives[n].CPUs {
			names = append(names, n+":"+core.Name)
		}
	}
	return names
}

// Derivative returns a derivative by name (case-insensitive). A series name such as "tc38x"
// also finds the series' derivative when the catalog holds exactly one of that series.
func (c *Catalog) Derivative(name string) (Derivative, bool) {
	key := strings.ToLower(strings.TrimSpace(name))
	if d, ok := c.derivatives[key]; ok {
		return d, true
	}
	var found []Derivative
	for _, d := range c.derivatives {
		if strings.EqualFold(d.Series, key) {
			found = append(found, d)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return Derivative{}, false
}

// Lookup parses "derivative:core" (case-insensitive, e.g. "tc387:cpu2") and returns that
// target with weights in PFlash. Unknown derivatives or cores give an error listing the known
// ones.
func (c *Catalog) Lookup(spec string) (Target, error) {
	dname, cname, ok := strings.Cut(strings.TrimSpace(spec), ":")
	if !ok || dname == "" || cname == "" {
		return Target{}, fmt.Errorf("tc3xx: target %q: want \"derivative:core\", e.g. \"tc387:cpu0\"; known derivatives: %s", spec, strings.Join(c.Derivatives(), ", "))
	}
	d, ok := c.Derivative(dname)
	if !ok {
		return Target{}, fmt.Errorf("tc3xx: target %q: unknown derivative %q; known derivatives: %s", spec, dname, strings.Join(c.Derivatives(), ", "))
	}
	core, ok := d.Core(strings.TrimSpace(cname))
	if !ok {
		return Target{}, fmt.Errorf("tc3xx: target %q: %s has no core %q; its cores: %s", spec, d.Name, cname, strings.Join(d.coreNames(), ", "))
	}
	return Target{Derivative: d, Core: core, Weights: WeightsInPFlash, Activations: ActivationsInDSPR}, nil
}

// Lookup is DefaultCatalog().Lookup.
func Lookup(spec string) (Target, error) { return DefaultCatalog().Lookup(spec) }
