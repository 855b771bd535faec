package codegen

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSectionPlacement compiles the library as a GCC TriCore build would see it (__TRICORE__
// defined, host gcc) and checks the section names the placement macros select.
func TestSectionPlacement(t *testing.T) {
	requireGCC(t)
	if _, err := exec.LookPath("objdump"); err != nil {
		t.Skip("objdump not found")
	}
	g := mlpNet(2)
	sections := func(opts Options, defs ...string) (string, error) {
		t.Helper()
		dir := t.TempDir()
		if err := generate(t, g, opts).WriteDir(dir, false); err != nil {
			t.Fatal(err)
		}
		var all strings.Builder
		for _, src := range []string{"model.c", "model_weights.c"} {
			obj := strings.TrimSuffix(src, ".c") + ".o"
			args := append([]string{"-std=c99", "-O2", "-Wall", "-Wextra", "-Wshadow", "-Werror", "-D__TRICORE__", "-c", "-o", obj, src}, defs...)
			cmd := exec.Command("gcc", args...)
			cmd.Dir = dir
			if msg, err := cmd.CombinedOutput(); err != nil {
				return string(msg), err
			}
			out, err := exec.Command("objdump", "-h", filepath.Join(dir, obj)).CombinedOutput()
			if err != nil {
				t.Fatalf("objdump: %v\n%s", err, out)
			}
			all.Write(out)
		}
		return all.String(), nil
	}
	cases := []struct {
		opts Options
		defs []string
		want []string
	}{
		{Options{}, nil, []string{".rodata.tcdse_weights", ".bss.tcdse_dspr_arena"}},
		{Options{WeightsMemory: MemoryDSPR, ArenaMemory: MemoryLMU}, nil, []string{".data.tcdse_dspr_weights", ".lmubss.tcdse_arena"}},
		{Options{}, []string{"-DTCDSE_WEIGHTS_IN=TCDSE_MEM_LMU", "-DTCDSE_ARENA_IN=TCDSE_MEM_LMU"}, []string{".lmudata.tcdse_weights", ".lmubss.tcdse_arena"}},
		{Options{}, []string{`-DTCDSE_SECNAME_PFLASH=".rodata.nn"`}, []string{".rodata.nn", ".bss.tcdse_dspr_arena"}},
		{Options{Sections: SectionNames{PFlash: ".rodata_cpu2.w", DSPRBSS: ".bss_cpu2.a"}}, nil, []string{".rodata_cpu2.w", ".bss_cpu2.a"}},
	}
	for _, c := range cases {
		got, err := sections(c.opts, c.defs...)
		if err != nil {
			t.Fatalf("%+v %v: %v\n%s", c.opts, c.defs, err, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, " "+w+" ") {
				t.Errorf("%v %v: no section %s in\n%s", c.opts.WeightsMemory, c.defs, w, got)
			}
		}
	}
	if msg, err := sections(Options{}, "-DTCDSE_WEIGHTS_IN=7"); err == nil || !strings.Contains(msg, "TCDSE_WEIGHTS_IN must be") {
		t.Errorf("TCDSE_WEIGHTS_IN=7 compiled (%v):\n%s", err, msg)
	}
	if _, err := Generate(g, Options{Sections: SectionNames{LMUBSS: `x"y`}}); err == nil || !strings.Contains(err.Error(), "Sections.LMUBSS") {
		t.Errorf("a section name with a quote accepted: %v", err)
	}
	if _, err := Generate(g, Options{ArenaMemory: MemoryPFlash}); err == nil || !strings.Contains(err.Error(), "ArenaMemory") {
		t.Errorf("arena in PFlash accepted: %v", err)
	}
}
