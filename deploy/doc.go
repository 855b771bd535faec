// Package deploy turns a chosen design point into a firmware bundle for one TC3xx core and
// one toolchain, and holds the manifests that run tcdse on a cluster (deploy/cluster).
//
// # Bundle
//
// [Build] takes a point's model, its test vectors, a target core ("tc387:cpu2") and a
// [Toolchain] (HighTec GCC, TASKING, or a plain GCC) and returns these files:
//
//   - <prefix>.h, <prefix>.c, <prefix>_weights.h, <prefix>_weights.c, test_vectors.h and
//     harness.c from package codegen, generated with the bundle's placement as the default
//     section names: the weights and the arena carry section attributes (HighTec) or
//     "#pragma section" (TASKING) naming the core's memories, and <prefix>.h defines
//     PREFIX_SIGNATURE, a string naming the model hash, candidate id, target, placement and
//     toolchain that firmware can print.
//   - a linker fragment, tcdse_<derivative>_<core>.ld (GNU ld, HighTec and gcc) or .lsl
//     (TASKING), that places those sections in the memories of Infineon's TC3xx linker files.
//   - tcdse_example.c: initialises (enables the cycle counter; copies weights placed in RAM
//     when the GNU fragment leaves their image in PFlash), runs every test vector, checks
//     it, times the model with CCNT (the core's STM with TCDSE_TIMER_STM, any counter through
//     TCDSE_CYCLES(); a monotonic clock on the host) and prints one line,
//     "TCDSE v=1 pass=P cycles=N crc=XXXXXXXX vectors=V max_abs_err=A max_rel_err=R mismatches=K
//     iters=I timer=T model=M", the farm's result line (hilbench.ParseResultLine). The
//     includes, settings, timing hook, CRC and check are codegen.HarnessCommon, shared with
//     harness.c.
//   - Makefile: host (gcc, optional ASan/UBSan), harness (what board agents run), hightec
//     and tasking targets with the TriCore options that matter (core, no small-data
//     placement of large arrays, 64-bit double).
//   - manifest.json ([Manifest]): format, tcdse version, model SHA-256, candidate id, spec
//     hash, target, toolchain, placement (memories and section names), the cost model's
//     estimate for that placement (cycles, time, ROM, RAM, per memory), a measurement when
//     one is known, the reference outputs' CRC-32 and every other file's SHA-256.
//
// # Placement
//
// The placement is the one the candidate pipeline prices (candidate.Price, as `tcdse
// generate` and the sweep do, with the same cost model): the cheapest that fits, unless the
// request names one. Names follow Infineon's linker files: for core
// N the DSPR is dsramN, its DLMU cpuN_dlmu, the shared LMU lmuram, its PFlash bank pflsN
// (pfls0 on parts with fewer banks). GNU section names are .rodata_cpuN.tcdse_weights,
// .data_cpuN.tcdse_weights, .lmudata.tcdse_weights, .bss_cpuN.tcdse_arena and
// .lmubss_cpuN.tcdse_arena, so Infineon's own patterns (*(.bss_cpuN.*), ...) already put
// them in the right memory; the fragment gives them output sections of their own, symbols
// (__TCDSE_WEIGHTS_START, ...) and size assertions. TASKING's cctc prefixes a pragma's
// section name with the section type, so there the objects hold .rodata.rodata_cpuN.* and
// .bss.bss_cpuN.*, which the LSL fragment selects; const weights placed in RAM are
// .rodata.* sections and get the LSL group property "copy".
//
// # Invariants
//
//   - Reproducible: the same request gives byte-identical files (no time stamps, sorted
//     maps, the model's own hash). A measurement recorded later changes manifest.json only.
//   - A point that does not fit the core is refused with [KindDoesNotFit] and the numbers of
//     the tc3xx estimate, unless Request.Force; a forced bundle says so in its manifest.
//   - [Verify] re-hashes every file the manifest lists; a changed or missing file is a
//     [KindMismatch] error naming it. Files the manifest does not list (build outputs) are
//     reported, not refused.
//   - [CheckLSL] accepts the LSL fragments: a syntax check written from the LSL reference's
//     grammar of section layouts (no TASKING linker here to run).
//
// Errors are [*Error] values with a [ErrorKind]. The package imports neither Temporal nor
// NATS; `tcdse deploy --validate` (cmd/tcdse) sends a bundle to a board agent.
package deploy
