package codegen

import (
	"fmt"
	"regexp"
	"strings"
)

// Memories the generated code can place its weights and arena in (Options.WeightsMemory and
// Options.ArenaMemory). On a TriCore build the choice becomes a section name; host builds place
// nothing.
const (
	MemoryPFlash = "pflash" // program flash, read in place (weights only)
	MemoryLMU    = "lmu"    // the shared LMU RAM (weights copied there at start-up)
	MemoryDSPR   = "dspr"   // the core's data scratchpad RAM
)

// memoryMacro maps a memory name to its TCDSE_MEM_* macro.
func memoryMacro(mem string) string { return "TCDSE_MEM_" + strings.ToUpper(mem) }

func checkMemory(field, mem string, allowed ...string) error {
	for _, a := range allowed {
		if mem == a {
			return nil
		}
	}
	return fmt.Errorf("codegen: Options.%s %q: want one of %q", field, mem, allowed)
}

// sectionBlockTemplate goes into <prefix>_weights.h, which both C files include. @WEIGHTS@ and
// @ARENA@ are the TCDSE_MEM_* defaults chosen at generation.
const sectionBlockTemplate = `/* Memory placement on TriCore. Select with
 *   -DTCDSE_WEIGHTS_IN=TCDSE_MEM_PFLASH | TCDSE_MEM_LMU | TCDSE_MEM_DSPR   (default @WEIGHTS@)
 *   -DTCDSE_ARENA_IN=TCDSE_MEM_DSPR | TCDSE_MEM_LMU                       (default @ARENA@)
 * HighTec/GCC (__GNUC__ and __TRICORE__): section attributes; TASKING (__TASKING__): a
 * "#pragma section all" around the definitions. Either way the board's linker script (LSL for
 * TASKING) locates the section names below, which TCDSE_SECNAME_* override. Weights in LMU or
 * DSPR are initialised data that the start-up code copies from PFlash. Defining
 * TCDSE_WEIGHTS_SECTION or TCDSE_SECTION_ARENA directly (e.g. to an attribute) overrides the
 * selection; host builds place nothing. */
#define TCDSE_MEM_PFLASH 1
#define TCDSE_MEM_LMU 2
#define TCDSE_MEM_DSPR 3
#ifndef TCDSE_WEIGHTS_IN
#define TCDSE_WEIGHTS_IN @WEIGHTS@
#endif
#ifndef TCDSE_ARENA_IN
#define TCDSE_ARENA_IN @ARENA@
#endif
#ifndef TCDSE_SECNAME_PFLASH
#define TCDSE_SECNAME_PFLASH "@PFLASH@"
#endif
#ifndef TCDSE_SECNAME_LMU_DATA
#define TCDSE_SECNAME_LMU_DATA "@LMU_DATA@"
#endif
#ifndef TCDSE_SECNAME_LMU_BSS
#define TCDSE_SECNAME_LMU_BSS "@LMU_BSS@"
#endif
#ifndef TCDSE_SECNAME_DSPR_DATA
#define TCDSE_SECNAME_DSPR_DATA "@DSPR_DATA@"
#endif
#ifndef TCDSE_SECNAME_DSPR_BSS
#define TCDSE_SECNAME_DSPR_BSS "@DSPR_BSS@"
#endif
#if TCDSE_WEIGHTS_IN == TCDSE_MEM_PFLASH
#define TCDSE_WEIGHTS_SECNAME TCDSE_SECNAME_PFLASH
#elif TCDSE_WEIGHTS_IN == TCDSE_MEM_LMU
#define TCDSE_WEIGHTS_SECNAME TCDSE_SECNAME_LMU_DATA
#elif TCDSE_WEIGHTS_IN == TCDSE_MEM_DSPR
#define TCDSE_WEIGHTS_SECNAME TCDSE_SECNAME_DSPR_DATA
#else
#error "TCDSE_WEIGHTS_IN must be TCDSE_MEM_PFLASH, TCDSE_MEM_LMU or TCDSE_MEM_DSPR"
#endif
#if TCDSE_ARENA_IN == TCDSE_MEM_DSPR
#define TCDSE_ARENA_SECNAME TCDSE_SECNAME_DSPR_BSS
#elif TCDSE_ARENA_IN == TCDSE_MEM_LMU
#define TCDSE_ARENA_SECNAME TCDSE_SECNAME_LMU_BSS
#else
#error "TCDSE_ARENA_IN must be TCDSE_MEM_DSPR or TCDSE_MEM_LMU"
#endif
#define TCDSE_PRAGMA_STR(x) _Pragma(#x)
#define TCDSE_PRAGMA(x) TCDSE_PRAGMA_STR(x)
#if defined(__TRICORE__) && defined(__GNUC__) && !defined(__TASKING__)
#ifndef TCDSE_WEIGHTS_SECTION
#define TCDSE_WEIGHTS_SECTION __attribute__((section(TCDSE_WEIGHTS_SECNAME)))
#endif
#ifndef TCDSE_SECTION_ARENA
#define TCDSE_SECTION_ARENA __attribute__((section(TCDSE_ARENA_SECNAME)))
#endif
#endif
#if defined(__TASKING__)
#define TCDSE_TASKING_WEIGHTS_BEGIN TCDSE_PRAGMA(section all TCDSE_WEIGHTS_SECNAME)
#define TCDSE_TASKING_ARENA_BEGIN TCDSE_PRAGMA(section all TCDSE_ARENA_SECNAME)
#define TCDSE_TASKING_END TCDSE_PRAGMA(section all restore)
#else
#define TCDSE_TASKING_WEIGHTS_BEGIN
#define TCDSE_TASKING_ARENA_BEGIN
#define TCDSE_TASKING_END
#endif
#ifndef TCDSE_WEIGHTS_SECTION
#define TCDSE_WEIGHTS_SECTION
#endif
`

// SectionNames are the default section names of the placement block (the TCDSE_SECNAME_*
// macros, which a build can still override). A zero field keeps its default from
// DefaultSectionNames. A name is what the toolchain is given: the full section name in a
// HighTec/GCC section attribute; for TASKING the name "#pragma section all" takes, which the
// compiler prefixes with the section type (".rodata.", ".bss.").
type SectionNames struct {
	PFlash   string `json:"pflash"`    // weights in program flash
	LMUData  string `json:"lmu_data"`  // weights copied to the LMU
	LMUBSS   string `json:"lmu_bss"`   // the arena in (D)LMU
	DSPRData string `json:"dspr_data"` // weights copied to the DSPR
	DSPRBSS  string `json:"dspr_bss"`  // the arena in DSPR
}

// DefaultSectionNames are the names used when Options.Sections leaves a field empty.
var DefaultSectionNames = SectionNames{
	PFlash: ".rodata.tcdse_weights", LMUData: ".lmudata.tcdse_weights", LMUBSS: ".lmubss.tcdse_arena",
	DSPRData: ".data.tcdse_dspr_weights", DSPRBSS: ".bss.tcdse_dspr_arena",
}

var sectionNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.$]{1,128}$`)

// withDefaults fills empty fields from DefaultSectionNames and checks every name.
func (s SectionNames) withDefaults() (SectionNames, error) {
	d := DefaultSectionNames
	fields := []struct {
		name      string
		got, dflt *string
	}{{"PFlash", &s.PFlash, &d.PFlash}, {"LMUData", &s.LMUData, &d.LMUData}, {"LMUBSS", &s.LMUBSS, &d.LMUBSS},
		{"DSPRData", &s.DSPRData, &d.DSPRData}, {"DSPRBSS", &s.DSPRBSS, &d.DSPRBSS}}
	for _, f := range fields {
		if *f.got == "" {
			*f.got = *f.dflt
		}
		if !sectionNamePattern.MatchString(*f.got) {
			return s, fmt.Errorf("codegen: Options.Sections.%s %q: want 1 to 128 of [A-Za-z0-9_.$]", f.name, *f.got)
		}
	}
	return s, nil
}

func sectionBlock(weights, arena string, names SectionNames) string {
	return strings.NewReplacer("@WEIGHTS@", memoryMacro(weights), "@ARENA@", memoryMacro(arena),
		"@PFLASH@", names.PFlash, "@LMU_DATA@", names.LMUData, "@LMU_BSS@", names.LMUBSS,
		"@DSPR_DATA@", names.DSPRData, "@DSPR_BSS@", names.DSPRBSS).Replace(sectionBlockTemplate)
}
