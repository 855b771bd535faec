package tc3xx

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// A catalog file adds derivatives to a catalog or overrides built-in ones. It is YAML:
//
//	derivatives:
//	  - name: tc4d7              # required
//	    base: tc397              # optional: start from this derivative and override fields
//	    series: TC4x
//	    source: "TC4Dx data sheet v1.2"  # the source recorded for plain numbers below
//	    pflash: 20 MB            # sizes: a number of bytes, or "240 KB", "6 MB"
//	    dflash: 1 MB
//	    lmu: 4 MB
//	    pflash_read_cycles: 12
//	    cpus:
//	      - name: cpu0
//	        arch: TC1.6.2P
//	        clock: 500 MHz       # Hz, or "300 MHz"
//	        dspr: 240 KB
//	        pspr: 64 KB
//	        dlmu: 512 KB
//	        dcache: {value: 16 KB, basis: assumed, source: "same as TC3xx"}
//	        pcache: 32 KB
//	    notes: ["..."]
//
// Without base every field but series, source and notes is required; with base, cpus are
// matched by name (a listed cpu overrides the base's fields it names, a new name adds a cpu
// that needs every field). Plain numbers are recorded as documented when the entry names a
// source, as assumed otherwise; the mapping form sets basis and source explicitly.

type fileCatalog struct {
	Derivatives []fileDerivative `yaml:"derivatives"`
}

type fileDerivative struct {
	Name       string      `yaml:"name"`
	Base       string      `yaml:"base"`
	Series     string      `yaml:"series"`
	Source     string      `yaml:"source"`
	PFlash     *fileAmount `yaml:"pflash"`
	DFlash     *fileAmount `yaml:"dflash"`
	LMU        *fileAmount `yaml:"lmu"`
	PFlashRead *fileAmount `yaml:"pflash_read_cycles"`
	CPUs       []fileCore  `yaml:"cpus"`
	Notes      []string    `yaml:"notes"`
}

type fileCore struct {
	Name   string      `yaml:"name"`
	Arch   string      `yaml:"arch"`
	Clock  *fileAmount `yaml:"clock"`
	DSPR   *fileAmount `yaml:"dspr"`
	PSPR   *fileAmount `yaml:"pspr"`
	DLMU   *fileAmount `yaml:"dlmu"`
	DCache *fileAmount `yaml:"dcache"`
	PCache *fileAmount `yaml:"pcache"`
}

// fileAmount is a size or frequency as written in a catalog file.
type fileAmount struct {
	value  float64
	unit   string // the unit text as written, for error messages
	basis  Basis
	source string
	err    error
}

func (a *fileAmount) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		a.value, a.err = parseQuantity(n.Value)
		a.unit = n.Value
		return nil
	case yaml.MappingNode:
		var m struct {
			Value  yaml.Node `yaml:"value"`
			Basis  string    `yaml:"basis"`
			Source string    `yaml:"source"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		if m.Value.Kind == 0 {
			a.err = fmt.Errorf("mapping without value")
			return nil
		}
		a.value, a.err = parseQuantity(m.Value.Value)
		a.unit = m.Value.Value
		a.basis, a.source = Basis(m.Basis), m.Source
		if a.basis != "" && a.basis != Documented && a.basis != Assumed {
			a.err = fmt.Errorf("basis %q must be %q or %q", m.Basis, Documented, Assumed)
		}
		return nil
	}
	return fmt.Errorf("line %d: want a number, a size like \"240 KB\" or {value, basis, source}", n.Line)
}

// parseQuantity reads "245760", "240 KB", "240K", "6 MB", "300 MHz", "1.5e6".
func parseQuantity(s string) (float64, error) {
	t := strings.TrimSpace(s)
	mult := 1.0
	lower := strings.ToLower(t)
	for _, u := range []struct {
		suffix string
		mult   float64
	}{{"kib", kib}, {"mib", mib}, {"kb", kib}, {"mb", mib}, {"k", kib}, {"m", mib}, {"ghz", 1e9}, {"mhz", 1e6}, {"khz", 1e3}, {"hz", 1}, {"b", 1}} {
		if strings.HasSuffix(lower, u.suffix) {
			mult = u.mult
			t = strings.TrimSpace(t[:len(t)-len(u.suffix)])
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a number with an optional unit (B, KB, MB, Hz, MHz)", s)
	}
	return v * mult, nil
}

// LoadFile reads a catalog file (see the format above) and adds or overrides its derivatives.
// Errors name the file, the entry and the field.
func (c *Catalog) LoadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("tc3xx: catalog file: %w", err)
	}
	return c.LoadYAML(data, path)
}

// LoadYAML is LoadFile for a catalog file already in memory; name is used in errors.
func (c *Catalog) LoadYAML(data []byte, name string) error {
	var f fileCatalog
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("tc3xx: catalog %s: %w", name, err)
	}
	if len(f.Derivatives) == 0 {
		return fmt.Errorf("tc3xx: catalog %s: no derivatives (want a top-level list \"derivatives:\")", name)
	}
	// Validate everything before adding anything, so a bad file changes nothing.
	var ds []Derivative
	for i, fd := range f.Derivatives {
		where := fmt.Sprintf("tc3xx: catalog %s: derivatives[%d]", name, i)
		if fd.Name != "" {
			where += " (" + fd.Name + ")"
		}
		d, err := c.fromFile(fd, name)
		if err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
		probe := &Catalog{derivatives: map[string]Derivative{}}
		if err := probe.Add(d); err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
		ds = append(ds, d)
	}
	for _, d := range ds {
		if err := c.Add(d); err != nil {
			return err
		}
	}
	return nil
}

func (c *Catalog) fromFile(fd fileDerivative, file string) (Derivative, error) {
	if strings.TrimSpace(fd.Name) == "" {
		return Derivative{}, fmt.Errorf("field name: missing")
	}
	var d Derivative
	hasBase := fd.Base != ""
	if hasBase {
		b, ok := c.Derivative(fd.Base)
		if !ok {
			return Derivative{}, fmt.Errorf("field base: unknown derivative %q; known: %s", fd.Base, strings.Join(c.Derivatives(), ", "))
		}
		d = b
		d.CPUs = append([]Core(nil), b.CPUs...)
		d.Notes = append([]string(nil), b.Notes...)
	}
	d.Name = fd.Name
	if fd.Series != "" {
		d.Series = fd.Series
	}
	src := "catalog file " + file
	basis := Assumed
	if fd.Source != "" {
		src, basis = fd.Source, Documented
	}
	set := func(field string, dst *Amount, fa *fileAmount, required, positive bool) error {
		if fa == nil {
			if required {
				return fmt.Errorf("field %s: missing", field)
			}
			return nil
		}
		if fa.err != nil {
			return fmt.Errorf("field %s: %v", field, fa.err)
		}
		if fa.value < 0 {
			return fmt.Errorf("field %s: %s is negative", field, fa.unit)
		}
		if positive && fa.value == 0 {
			return fmt.Errorf("field %s: must be positive", field)
		}
		if fa.value > 1<<50 {
			return fmt.Errorf("field %s: %s is too large", field, fa.unit)
		}
		a := Amount{Value: int64(math.Round(fa.value)), Basis: basis, Source: src}
		if fa.basis != "" {
			a.Basis = fa.basis
		}
		if fa.source != "" {
			a.Source = fa.source
		}
		*dst = a
		return nil
	}
	for _, f := range []struct {
		field    string
		dst      *Amount
		fa       *fileAmount
		positive bool
	}{{"pflash", &d.PFlash, fd.PFlash, true}, {"dflash", &d.DFlash, fd.DFlash, false}, {"lmu", &d.LMU, fd.LMU, false}, {"pflash_read_cycles", &d.PFlashRead, fd.PFlashRead, false}} {
		if err := set(f.field, f.dst, f.fa, !hasBase, f.positive); err != nil {
			return Derivative{}, err
		}
	}
	if !hasBase && len(fd.CPUs) == 0 {
		return Derivative{}, fmt.Errorf("field cpus: missing")
	}
	for i, fc := range fd.CPUs {
		where := fmt.Sprintf("cpus[%d]", i)
		if fc.Name != "" {
			where += " (" + fc.Name + ")"
		}
		if strings.TrimSpace(fc.Name) == "" {
			return Derivative{}, fmt.Errorf("%s: field name: missing", where)
		}
		idx := -1
		for j, core := range d.CPUs {
			if strings.EqualFold(core.Name, fc.Name) {
				idx = j
			}
		}
		core := Core{Name: strings.ToLower(fc.Name)}
		isNew := idx < 0
		if !isNew {
			core = d.CPUs[idx]
		}
		if fc.Arch != "" {
			core.Arch = fc.Arch
		} else if isNew {
			return Derivative{}, fmt.Errorf("%s: field arch: missing (e.g. TC1.6.2P)", where)
		}
		if _, err := CostModelFor(core.Arch); err != nil {
			return Derivative{}, fmt.Errorf("%s: field arch: %v", where, err)
		}
		for _, f := range []struct {
			field    string
			dst      *Amount
			fa       *fileAmount
			positive bool
		}{{"clock", &core.Clock, fc.Clock, true}, {"dspr", &core.DSPR, fc.DSPR, true}, {"pspr", &core.PSPR, fc.PSPR, false},
			{"dlmu", &core.DLMU, fc.DLMU, false}, {"dcache", &core.DCache, fc.DCache, false}, {"pcache", &core.PCache, fc.PCache, false}} {
			if err := set(f.field, f.dst, f.fa, isNew, f.positive); err != nil {
				return Derivative{}, fmt.Errorf("%s: %v", where, err)
			}
		}
		if isNew {
			d.CPUs = append(d.CPUs, core)
		} else {
			d.CPUs[idx] = core
		}
	}
	d.Notes = append(d.Notes, fd.Notes...)
	return d, nil
}
