package deploy

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/tc3xx"
)

// infineonAddr are the start addresses of the TC38x/TC39x memories in Infineon's linker
// files (cached segment); the test script gives them the catalog's sizes.
var infineonAddr = map[string]uint64{
	"pfls0": 0x80000000, "pfls2": 0x80600000, "pfls2_nc": 0xA0600000, "dsram2": 0x50000000,
	"cpu2_dlmu": 0x90020000, "lmuram": 0x90040000,
}

// testLinkerScript mimics the structure of Lcf_Gnuc_Tricore_Tc.lsl for CPU2: the MEMORY
// regions the fragment names, the fragment INCLUDEd first in SECTIONS, then Infineon's own
// CPU2 output sections with the patterns that would otherwise catch the same input sections.
func testLinkerScript(t tc3xx.Target, fragment string) string {
	var b strings.Builder
	size := map[string]int64{"pfls0": 3 << 20, "pfls2": 3 << 20, "pfls2_nc": 3 << 20, "dsram2": t.Core.DSPR.Value,
		"cpu2_dlmu": t.Core.DLMU.Value, "lmuram": t.Derivative.LMU.Value}
	b.WriteString("MEMORY\n{\n")
	for _, r := range []string{"pfls0", "pfls2", "pfls2_nc", "dsram2", "cpu2_dlmu", "lmuram"} {
		attr := "rw"
		if strings.HasPrefix(r, "pfls") {
			attr = "rx"
		}
		fmt.Fprintf(&b, "    %s (%s) : ORIGIN = 0x%X, LENGTH = %d\n", r, attr, infineonAddr[r], size[r])
	}
	b.WriteString("}\nSECTIONS\n{\n    INCLUDE " + fragment + "\n")
	b.WriteString(`    .text : { *(.text .text.*) } > pfls0
    .rodata : { *(.rodata .rodata.*) } > pfls0
    .CPU2.rodata : { *(.rodata_cpu2) *(.rodata_cpu2.*) } > pfls2
    .CPU2.data : { *(.data_cpu2) *(.data_cpu2.*) } > dsram2 AT> pfls0
    .CPU2.bss (NOLOAD) : { *(.bss_cpu2) *(.bss_cpu2.*) } > dsram2
    .CPU2.lmubss (NOLOAD) : { *(.lmubss_cpu2) *(.lmubss_cpu2.*) } > cpu2_dlmu
    .lmudata : { *(.lmudata) *(.lmudata.*) } > lmuram AT> pfls0
    .data : { *(.data .data.*) } > dsram2 AT> pfls0
    .bss (NOLOAD) : { *(.bss .bss.* COMMON) } > dsram2
    /DISCARD/ : { *(.note*) *(.comment) *(.eh_frame*) }
}
`)
	return b.String()
}

// TestGNUFragmentLinks compiles a HighTec bundle as a TriCore GCC build sees it (host gcc with
// __TRICORE__, the STM timer and, for weights in RAM, TCDSE_COPY_WEIGHTS), links it with
// the host ld against a script with Infineon's memory regions that INCLUDEs the fragment,
// and checks with nm and objdump -h that the weights and the arena sit in the intended
// regions, in the fragment's output sections.
func TestGNUFragmentLinks(t *testing.T) {
	requireTool(t, "gcc", "ld", "nm", "objdump")
	cases := []struct {
		weights tc3xx.Placement
		acts    tc3xx.ActivationPlacement
		wreg    string
		areg    string
	}{
		{tc3xx.WeightsInPFlash, tc3xx.ActivationsInDSPR, "pfls2", "dsram2"},
		{tc3xx.WeightsInDSPR, tc3xx.ActivationsInDLMU, "dsram2", "cpu2_dlmu"},
		{tc3xx.WeightsInLMU, tc3xx.ActivationsInDSPR, "lmuram", "dsram2"},
		{tc3xx.WeightsInPFlashUncached, tc3xx.ActivationsInDLMU, "pfls2_nc", "cpu2_dlmu"},
	}
	for _, c := range cases {
		t.Run(string(c.weights)+"-"+string(c.acts), func(t *testing.T) {
			req := request(t, mlp(5), "tc387:cpu2", HighTec)
			req.Weights, req.Activations = c.weights, c.acts
			b, dir := build(t, req)
			p := b.Manifest.Placement
			if p.WeightsRegion != c.wreg || p.ArenaRegion != c.areg {
				t.Fatalf("placement %+v, want weights in %s, arena in %s", p, c.wreg, c.areg)
			}
			defs := []string{"-D__TRICORE__", "-DTCDSE_TIMER_STM"}
			if p.WeightsInRAM {
				defs = append(defs, "-DTCDSE_COPY_WEIGHTS")
			}
			var objs []string
			for _, src := range []string{"model.c", "model_weights.c", ExampleFile} {
				obj := strings.TrimSuffix(src, ".c") + ".o"
				args := append([]string{"-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-mcmodel=large", "-fno-pic", "-fno-asynchronous-unwind-tables", "-c", "-o", obj, src}, defs...)
				run(t, dir, "gcc", args...)
				objs = append(objs, obj)
			}
			script := testLinkerScript(req.Target, b.Manifest.LinkerFragment)
			if err := os.WriteFile(filepath.Join(dir, "board.ld"), []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			// libc and libm are not linked: their symbols get an address in pfls0.
			args := []string{"-static", "-T", "board.ld", "-L", ".", "-e", "tcdse_example_run", "-o", "app.elf"}
			undef := map[string]bool{}
			for _, line := range strings.Split(run(t, dir, "nm", append([]string{"-u"}, objs...)...), "\n") {
				if f := strings.Fields(line); len(f) == 2 && f[0] == "U" && !strings.HasPrefix(f[1], "__TCDSE_") {
					undef[f[1]] = true
				}
			}
			for _, line := range strings.Split(run(t, dir, "nm", append([]string{"--defined-only"}, objs...)...), "\n") {
				if f := strings.Fields(line); len(f) == 3 {
					delete(undef, f[2])
				}
			}
			for s := range undef {
				args = append(args, "--defsym="+s+"=0x80000000")
			}
			run(t, dir, "ld", append(args, objs...)...)

			syms := map[string]uint64{}
			for _, line := range strings.Split(run(t, dir, "nm", "app.elf"), "\n") {
				f := strings.Fields(line)
				if len(f) == 3 {
					v, _ := strconv.ParseUint(f[0], 16, 64)
					syms[f[2]] = v
				}
			}
			in := func(sym, region string, size int64) {
				t.Helper()
				v, ok := syms[sym]
				lo := infineonAddr[region]
				if !ok || v < lo || v >= lo+uint64(size) {
					t.Errorf("%s at %#x (found %v), want in %s [%#x, +%d)", sym, v, ok, region, lo, size)
				}
			}
			in("arena", c.areg, 1<<20)
			in("__TCDSE_ARENA_START", c.areg, 1<<20)
			in("__TCDSE_WEIGHTS_START", c.wreg, 3<<20)
			nWeights := 0
			for _, line := range strings.Split(run(t, dir, "nm", "model_weights.o"), "\n") {
				if f := strings.Fields(line); len(f) == 3 && (f[1] == "R" || f[1] == "D" || f[1] == "r" || f[1] == "d") {
					in(f[2], c.wreg, 3<<20)
					nWeights++
				}
			}
			if nWeights == 0 {
				t.Errorf("no weight symbols in model_weights.o")
			}
			if p.WeightsInRAM {
				in("__TCDSE_WEIGHTS_LOAD", "pfls2", 3<<20)
			}
			hdr := run(t, dir, "objdump", "-h", "app.elf")
			for _, sec := range []string{".CPU2.tcdse_weights", ".CPU2.tcdse_arena"} {
				if !strings.Contains(hdr, " "+sec+" ") {
					t.Errorf("objdump -h shows no %s:\n%s", sec, hdr)
				}
			}
			for _, line := range strings.Split(hdr, "\n") {
				f := strings.Fields(line)
				if len(f) >= 6 && f[1] == ".CPU2.tcdse_weights" {
					vma, _ := strconv.ParseUint(f[3], 16, 64)
					lma, _ := strconv.ParseUint(f[4], 16, 64)
					if vma != syms["__TCDSE_WEIGHTS_START"] || (p.WeightsInRAM) == (vma == lma) {
						t.Errorf(".CPU2.tcdse_weights VMA %#x LMA %#x (weights in RAM: %v)", vma, lma, p.WeightsInRAM)
					}
				}
			}
		})
	}
}

// TestGNUFragmentAssertsCatchUnplacedCode: object files built without the bundle's section
// names (a host build, no __TRICORE__) fail the link with the fragment's message.
func TestGNUFragmentAssertsCatchUnplacedCode(t *testing.T) {
	requireTool(t, "gcc", "ld")
	b, dir := build(t, request(t, mlp(6), "tc387:cpu2", HighTec))
	run(t, dir, "gcc", "-std=c99", "-O2", "-mcmodel=large", "-fno-pic", "-c", "model_weights.c", "model.c")
	os.WriteFile(filepath.Join(dir, "board.ld"), []byte(testLinkerScript(request(t, mlp(6), "tc387:cpu2", HighTec).Target, b.Manifest.LinkerFragment)), 0o644)
	cmd := execIn(dir, "ld", "-r", "-T", "board.ld", "-L", ".", "-o", "app.o", "model_weights.o", "model.o")
	out, err := cmd.CombinedOutput()
	if err == nil {
		// ld -r does not evaluate ASSERTs; a final link does.
		cmd = execIn(dir, "ld", "-static", "-T", "board.ld", "-L", ".", "-e", "0", "--unresolved-symbols=ignore-all", "-o", "app.elf", "model_weights.o", "model.o")
		out, err = cmd.CombinedOutput()
	}
	if err == nil || !strings.Contains(string(out), "tcdse: fewer weight bytes") {
		t.Errorf("link without placed sections: %v\n%s", err, out)
	}
}
