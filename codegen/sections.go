package codegen

import (
	"fmt"
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
#define TCDSE_SECNAME_PFLASH ".rodata.tcdse_weights"
#endif
#ifndef TCDSE_SECNAME_LMU_DATA
#define TCDSE_SECNAME_LMU_DATA ".lmudata.tcdse_weights"
#endif
#ifndef TCDSE_SECNAME_LMU_BSS
#define TCDSE_SECNAME_LMU_BSS ".lmubss.tcdse_arena"
#endif
#ifndef TCDSE_SECNAME_DSPR_DATA
#define TCDSE_SECNAME_DSPR_DATA ".data.tcdse_dspr_weights"
#endif
#ifndef TCDSE_SECNAME_DSPR_BSS
#define TCDSE_SECNAME_DSPR_BSS ".bss.tcdse_dspr_arena"
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

func sectionBlock(weights, arena string) string {
	return strings.NewReplacer("@WEIGHTS@", memoryMacro(weights), "@ARENA@", memoryMacro(arena)).Replace(sectionBlockTemplate)
}
