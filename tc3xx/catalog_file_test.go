package tc3xx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const tc4File = `
derivatives:
  - name: TC4D7
    series: TC4x
    source: "TC4Dx data sheet (example figures)"
    pflash: 20 MB
    dflash: 1 MB
    lmu: 4 MB
    pflash_read_cycles: 14
    cpus:
      - {name: cpu0, arch: TC1.6.2P, clock: 500 MHz, dspr: 240 KB, pspr: 64 KB, dlmu: 512 KB, dcache: 16 KB, pcache: 32 KB}
      - name: cpu1
        arch: TC1.6.2P
        clock: 500 MHz
        dspr: {value: 96 KB, basis: assumed, source: "guess"}
        pspr: 64 KB
        dlmu: 0
        dcache: 16 KB
        pcache: 32K
  - name: tc387
    base: tc387
    cpus:
      - {name: cpu2, dspr: 128 KB}
`

func TestCatalogFileAddsAndOverrides(t *testing.T) {
	c := DefaultCatalog()
	if err := c.LoadYAML([]byte(tc4File), "tc4.yaml"); err != nil {
		t.Fatal(err)
	}
	tg, err := c.Lookup("tc4d7:cpu1")
	if err != nil {
		t.Fatal(err)
	}
	if tg.Core.Clock.Value != 500e6 || tg.Core.DSPR.Value != 96*1024 || tg.Core.DSPR.Basis != Assumed || tg.Core.DSPR.Source != "guess" ||
		tg.Core.PCache.Value != 32*1024 || tg.Core.PCache.Basis != Documented || tg.Derivative.PFlash.Value != 20<<20 || tg.Derivative.PFlashRead.Value != 14 {
		t.Errorf("tc4d7:cpu1 = %+v", tg)
	}
	over, err := c.Lookup("tc387:cpu2")
	if err != nil || over.Core.DSPR.Value != 128*1024 || over.Core.PSPR.Value != 64*1024 || over.Derivative.PFlash.Value != 10<<20 {
		t.Errorf("overridden tc387:cpu2 = %+v, %v", over, err)
	}
	if d, _ := DefaultCatalog().Derivative("tc387"); d.CPUs[2].DSPR.Value != 96*1024 {
		t.Error("loading a file changed the built-in catalog")
	}
	// Series names find the series' only derivative.
	if tg, err := c.Lookup("TC4x:cpu0"); err != nil || tg.Derivative.Name != "tc4d7" {
		t.Errorf("series lookup: %+v, %v", tg.Derivative.Name, err)
	}
	path := filepath.Join(t.TempDir(), "cat.yaml")
	if err := os.WriteFile(path, []byte(tc4File), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := DefaultCatalog().LoadFile(path); err != nil {
		t.Error(err)
	}
}

func TestCatalogFileErrorsNameEntryAndField(t *testing.T) {
	cases := map[string]struct {
		yaml  string
		wants []string
	}{
		"missing size": {`
derivatives:
  - name: tcx
    pflash: 1 MB
    dflash: 0
    lmu: 0
    pflash_read_cycles: 5
    cpus:
      - {name: cpu0, arch: TC1.6.2P, clock: 100 MHz, pspr: 8 KB, dlmu: 0, dcache: 4 KB, pcache: 8 KB}
`, []string{"derivatives[0] (tcx)", "cpus[0] (cpu0)", "field dspr: missing"}},
		"negative size": {`
derivatives:
  - name: tcy
    base: tc387
    lmu: -128 KB
`, []string{"derivatives[0] (tcy)", "field lmu", "negative"}},
		"negative core size": {`
derivatives:
  - name: tcz
    base: tc387
    cpus: [{name: cpu1, dlmu: -1}]
`, []string{"derivatives[0] (tcz)", "cpus[0] (cpu1)", "field dlmu", "negative"}},
		"zero dspr": {`
derivatives:
  - {name: tcq, base: tc387, cpus: [{name: cpu0, dspr: 0}]}
`, []string{"tcq", "field dspr: must be positive"}},
		"bad unit": {`
derivatives:
  - {name: tcw, base: tc387, pflash: "ten MB"}
`, []string{"tcw", "field pflash", "ten MB"}},
		"unknown base": {`
derivatives:
  - {name: tcv, base: tc999}
`, []string{"tcv", "field base", "tc999"}},
		"no name": {`
derivatives:
  - {base: tc387}
`, []string{"derivatives[0]", "field name: missing"}},
		"unknown field": {`
derivatives:
  - {name: tcu, base: tc387, flash: 1 MB}
`, []string{"flash"}},
		"unknown arch": {`
derivatives:
  - {name: tct, base: tc387, cpus: [{name: cpu9, arch: TC1.8, clock: 1, dspr: 1, pspr: 0, dlmu: 0, dcache: 0, pcache: 0}]}
`, []string{"cpus[0] (cpu9)", "field arch", "TC1.8"}},
		"empty": {`derivatives: []`, []string{"no derivatives"}},
	}
	for name, tc := range cases {
		c := DefaultCatalog()
		err := c.LoadYAML([]byte(tc.yaml), "my.yaml")
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		for _, w := range append(tc.wants, "my.yaml") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", name, err, w)
			}
		}
		if d, _ := c.Derivative("tc387"); d.LMU.Value != 128*1024 {
			t.Errorf("%s: a rejected file changed the catalog", name)
		}
	}
}

func TestParseQuantity(t *testing.T) {
	for in, want := range map[string]float64{"245760": 245760, "240 KB": 240 * 1024, "240K": 240 * 1024, "6 MB": 6 << 20, "300 MHz": 300e6, "1.5e6": 1.5e6, "64 KiB": 65536, "12 B": 12} {
		got, err := parseQuantity(in)
		if err != nil || got != want {
			t.Errorf("parseQuantity(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "KB", "1,5 MB", "NaN", "inf"} {
		if _, err := parseQuantity(in); err == nil {
			t.Errorf("parseQuantity(%q) accepted", in)
		}
	}
}
