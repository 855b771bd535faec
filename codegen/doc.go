// Package codegen turns a model.Graph into a self-contained C99 inference library for one design
// point (weight format per layer, memory plan), plus a test harness that checks the generated
// code against reference outputs from the Go interpreter.
//
// # Plan
//
// [PlanGraph] decides everything that does not depend on the C text:
//
//   - Per node a kernel class (Kind: "conv", "dense", "pool", "elementwise", "softmax",
//     "reshape"), the multiply-accumulates of the dense-equivalent computation (MACs, counting only
//     taps that fall inside the padded input) and of the chosen kernel (EffectiveMACs: only the
//     stored nonzero weights for CSR).
//   - Per weighted node (Conv, Dense) a weight format, "dense" or "csr", by the cost rule below.
//   - Fusion: a Relu whose input is produced by a Conv, Dense, pooling or Add node, and is read by
//     nothing else, is applied inside that producer's output loop (the Relu layer reports
//     FusedInto). Any other Relu runs in place when its input dies at the Relu and is not the
//     graph input; otherwise it writes a new buffer.
//   - Reshape never copies: its output aliases its input. (The one exception is a Reshape that
//     would make the caller's read-only input buffer the output buffer; it becomes a copy.)
//   - The activation memory plan: the graph input and the graph output live in buffers the caller
//     passes to the inference function; every other value lives in ONE static arena. Values that
//     alias each other (Reshape, in-place or fused Relu) form one buffer whose live interval runs
//     from the node that first writes it to the last node that reads any of its names (inclusive
//     at both ends, so a kernel's inputs and output never overlap). Buffers are placed by three
//     strategies and the smallest arena wins: greedy first-fit by size over the live intervals
//     (largest first, lowest free offset that does not overlap a buffer with an overlapping
//     lifetime), the same first-fit in definition order, and a two-sided first-fit in definition
//     order that packs each buffer against the end of the arena opposite to its latest-placed
//     overlapping neighbour, within a capacity equal to the lower bound. PeakLiveBytes, the
//     largest sum of live buffer bytes at any node, is that lower bound; for a chain of layers the
//     two-sided strategy reaches it exactly (consecutive buffers alternate ends), so
//     ArenaBytes == PeakLiveBytes.
//
// Weight format rule: a weight tensor is viewed as a matrix of Rows = output channels (Conv) or
// outputs (Dense) by Cols = the rest. CSR stores the nonzero values (float32), one column index
// per value (uint8 when Cols <= 256, uint16 when Cols <= 65536) and Rows+1 row pointers (uint16
// when nnz <= 65535, else uint32):
//
//	csr_bytes   = nnz*(4 + idx) + (Rows+1)*ptr
//	dense_bytes = Rows*Cols*4
//
// The "auto" format picks CSR when csr_bytes < dense_bytes. Ignoring the row pointers, CSR wins
// below a density of 4/(4+idx): 80% nonzeros (20% sparsity) with uint8 indices, 66.7% (33.3%
// sparsity) with uint16 indices; the row pointers move the break-even slightly lower for small
// matrices (8x32: CSR up to 201 of 256 nonzeros). Biases are always stored dense and counted in
// the layer's WeightBytes. Options.Format forces one format for all layers, Options.LayerFormats
// per layer.
//
// # Generated files
//
// [Generate] returns these files (prefix defaults to "model"):
//
//   - <prefix>.h: PREFIX_INPUT_SIZE, PREFIX_OUTPUT_SIZE (float elements per sample),
//     PREFIX_ARENA_BYTES, PREFIX_WEIGHT_BYTES and
//     int <prefix>_run(const float *restrict input, float *restrict output), which needs no
//     initialisation, returns 0 on success and -1 on a NULL pointer. input and output must not
//     overlap. <prefix>_fill_arena(uint8_t) is a test hook that overwrites the arena.
//   - <prefix>.c: the kernels used by this graph (static), per-layer geometry tables, the arena
//     declared as static float with TCDSE_SECTION_ARENA in front (defaults to nothing; define it
//     e.g. as a section attribute to place the arena in a chosen DSPR), and the layer sequence.
//   - <prefix>_weights.c and <prefix>_weights.h: const float weights and biases; CSR layers as
//     values, column indices and row pointers. Every array carries TCDSE_WEIGHTS_SECTION
//     (default: nothing) so a TriCore build can place them in PFlash or a scratchpad.
//   - test_vectors.h, harness.c: see below.
//   - Makefile: "make" builds ./harness with CC (gcc) and CFLAGS
//     (-std=c99 -O2 -Wall -Wextra -Wshadow -Werror); "make tricore" builds harness.elf with
//     TRICORE_CC, TRICORE_CFLAGS, TRICORE_LDFLAGS and TRICORE_LDLIBS (the board's startup code and
//     linker script go there). The tricore target is not exercised by tcdse's tests.
//   - manifest.json: the plan, ROM and RAM totals, sha256 of the model (model.Graph.Hash), of the
//     weights file and of every other generated file.
//
// The C is C99 with fixed-width integer types, restrict-qualified kernel arguments, no dynamic
// allocation, no recursion and no variable-length arrays. C identifiers derived from node names
// are sanitised (non-alphanumerics become '_', a leading digit gets an 'n' prefix, empty names
// become "node") and de-duplicated with numeric suffixes; node names appear in comments only in
// escaped form.
//
// # Harness contract
//
// The harness runs every test vector through <prefix>_run after filling the arena and the output
// buffer with a poison pattern (0xFF bytes, which are NaNs, for even vectors; 0x7F bytes, about
// 3.4e38, for odd ones) so that reads of stale or unwritten data show up. For each vector it takes
// scale = max(max_i |ref_i|, 1e-3) and the element errors abs_i = |y_i - ref_i|,
// rel_i = abs_i / scale: a norm-wise relative error, since float32 rounding error scales with the
// magnitude of the summed terms, not with each (possibly near-zero) result. The run passes when
// every rel_i <= tolerance (default 1e-5) and at least one vector was checked; a non-finite output
// counts as an error of 1e300. It then times TCDSE_BENCH_ITERATIONS inferences of the first vector
// (clock_gettime(CLOCK_MONOTONIC) on the host; the CCNT cycle counter under __TRICORE__, converted
// with TCDSE_CPU_HZ) and prints exactly one JSON line on stdout:
//
//	{"pass":true,"vectors":N,"max_abs_err":E,"max_rel_err":R,"iterations":I,"ns_per_inference":T}
//
// (under __TRICORE__ also "cycles_per_inference"). The exit status is 0 exactly when pass is
// true. Host board agents parse this line.
package codegen
