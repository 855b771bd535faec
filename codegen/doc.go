// Package codegen turns a model.Graph into a self-contained C99 inference library for one design
// point (weight format per layer, memory plan), plus a test harness that checks the generated
// code against reference outputs from the Go interpreter.
//
// # Plan
//
// [PlanGraph] decides everything that does not depend on the C text:
//
//   - Per node a kernel class (Kind: "conv", "dense", "pool", "elementwise", "softmax",
//     "reshape", "reduce" for Mean over trailing axes, "recurrent" for LSTM, GRU and RNN), the multiply-accumulates of the dense-equivalent computation (MACs, counting only
//     taps that fall inside the padded input) and of the chosen kernel (EffectiveMACs: only the
//     stored nonzero weights for CSR).
//   - Per weighted node (Conv, Dense) a weight format, "dense", "csr", "rcsr8" or "rcsr4", by
//     the cost rule below. Recurrent weights are always dense. 1D Conv and pooling ([C, L]) run on
//     the 2D kernels as a plane of height 1, every weight format included (layer_conv1d.go).
//   - Fusion: BatchNorm is folded into the preceding Conv at import (package model). A Relu
//     whose input is produced by a Conv, Dense, pooling or Add node, and is read by nothing else,
//     is applied inside that producer's output loop (the Relu layer reports FusedInto); bias and
//     activation are part of the same loop. A Conv with dense weights whose output (after its
//     fused Relu) is read only by a MaxPool with stride >= window in both axes is computed by
//     the pool (Unlu, arXiv:2007.01348): each pooled output is the maximum over the conv
//     outputs of its window, computed on the fly, so the conv output is never stored and gets
//     no buffer (the Conv reports FusedInto, the MaxPool FusedConv; Options.NoConvPoolFusion
//     turns this off). CSR convolutions are not fused. A float Clip, LeakyRelu, HardSigmoid,
//     HardSwish, Sigmoid or Tanh read alone from a float Conv or Dense output (dense or sparse
//     weights) is applied in that layer's output loop like a Relu (the producer reports
//     FusedActivation; the conv geometry's relu field selects an act_tab entry, emitted only
//     when used), and the Conv still fuses with a MaxPool when the activation is non-decreasing
//     (not HardSwish, nor LeakyRelu or HardSigmoid with alpha < 0); fuse_act.go,
//     Options.NoActivationFusion. Any other Relu or such activation (kind "elementwise")
//     runs in place when its input dies at it and is not the graph input; otherwise it writes a
//     new buffer. Sigmoid and Tanh are computed in double, as the interpreter does. Add, Sub and
//     Mul whose operands differ in shape or are graph constants (Graph.Consts, stored next to
//     the weights), and every float Div, broadcast with per-operand strides (layer_bcast.go).
//     Concat, constant Pad, Transpose, Gather (constant indices) and Slice (with steps) are
//     kind "move": copies of strided boxes of at most 6 merged axes, float32 or int8
//     (layer_move.go).
//   - Reshape never copies: its output aliases its input. (The exceptions are a Reshape that
//     would make the caller's read-only input buffer the output buffer, and an int8 Reshape
//     that requantizes; they copy.)
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
//     ArenaBytes == PeakLiveBytes. With branches (skip connections, values read twice) no
//     placement can beat PeakLiveBytes either, but the heuristics are not proven to reach the
//     optimum: the bound stated and tested (TestBranchedArenaBound) is that on the branched test
//     graphs and 213 random branched dense graphs with up to 7 arena buffers the arena equals
//     the best first-fit placement over all buffer orders (found there to equal the peak too).
//     A recurrent node also gets a scratch buffer live only at its node (LSTM 10 H floats,
//     GRU 8 H, RNN 3 H; int8: LSTM 4 H bytes, GRU 2 H or 5 H without linear_before_reset,
//     RNN 2 H).
//
// # Kernels
//
// Conv and Dense with dense weights store each weight matrix as row panels: rows (output
// channels within a group) in blocks of 8, then one of 4, then single rows, each block column by
// column. The inner loop reads one input value and the block's next 8 weights in address order
// and updates 8 accumulators held in registers (gcc -O2 turns the fixed-length loop into SIMD on
// x86; a TriCore keeps them in data registers). The convolution is direct (no im2col): per
// output position the loops run over input channels, kernel rows, and innermost the kernel
// columns over contiguous input; output rows and columns whose window lies inside the input
// (oy_lo..oy_hi, ox_lo..ox_hi in the geometry table, computed at generation) skip all bounds
// work, only the padded border computes valid kernel ranges. Every output is its bias plus its
// terms added in column order in every kernel (dense, CSR, relative CSR), so the weight format
// does not change results.
// Weight format rule: a weight tensor is viewed as a matrix of Rows = output channels (Conv) or
// outputs (Dense) by Cols = the rest. CSR stores the nonzero values (float32), one column index
// per value (uint8 when Cols <= 256, uint16 when Cols <= 65536) and Rows+1 row pointers (uint16
// when nnz <= 65535, else uint32):
//
//	csr_bytes   = nnz*(4 + idx) + (Rows+1)*ptr
//	dense_bytes = Rows*Cols*4
//
// Relative-index CSR (Deep Compression style, "rcsr8" and "rcsr4") stores for each entry the
// gap to the previous entry of its row, as gap-1 in a byte or a nibble (two per byte); a gap
// above 256 (16) is bridged by filler entries of value zero, so E = nnz + fillers entries take
//
//	rcsr8_bytes = E*(4 + 1) + (Rows+1)*ptr
//	rcsr4_bytes = E*4 + ceil(E/2) + (Rows+1)*ptr
//
// The "auto" format weighs bytes (ROM) only: it picks the smallest of the four, dense on ties,
// then csr, rcsr8, rcsr4. Ignoring row pointers and fillers, sparse storage wins below a density
// of 4/(4+idx): 80% nonzeros with uint8 indices or rcsr8, 66.7% with uint16 indices, 88.9% with
// rcsr4 (8x32: rcsr4 up to 223 of 256 nonzeros). Relative indexing has no column limit and is
// usually smallest; absolute CSR wins when gaps are long (many fillers). Biases are always
// stored dense and counted in the layer's WeightBytes. Options.Format forces one format for all
// layers, Options.LayerFormats per layer.
//
// What the rule does to cycles: it ignores them. The dense kernels are register-blocked and
// vectorised, the sparse ones are scalar with one index load (and for relative forms a running
// column sum and, for rcsr4, a nibble extract) per entry, and relative forms also compute the
// fillers. Measured with callgrind on x86-64 (gcc -O2, bench/peers, 90% magnitude-pruned
// ae_mlp, 26,424 nonzeros): dense 1.53 instructions per dense MAC; per stored entry csr 7.9,
// rcsr8 9.9, rcsr4 12.3 (31,707 entries with its fillers). So on that host sparse storage is
// faster than dense below about 19% (csr), 15% (rcsr8) and 10% (rcsr4) density, and a layer
// the rule makes sparse between that and the byte break-even trades cycles for ROM (the pruned
// ae_mlp: auto picks rcsr8 for most layers, 142,624 B and 225,844 Ir, where csr would take 150,880 B and
// 207,727 Ir). On TriCore, without SIMD, the dense kernel does about one multiply-add per MAC,
// so the cycle break-even should lie at a higher density; that is not measured here.
//
// Int8 layers have a fifth format, "sparse8" (sparse8_format.go): each row is cut into blocks
// of 255 columns with one uint8 entry count per row and block, and the entries are one stream
// of int8 values and uint8 in-block columns, 2 bytes per nonzero, with no row pointers and no
// fillers. Its kernels walk the stream 8 entries at a time with no branch per entry, and a
// convolution reads its window through a uint16 offset table, gathering into the patch only at
// the borders. For int8 layers "auto" minimises bytes/dense bytes + estimated
// instructions/dense instructions (per-entry costs calibrated with callgrind), so it keeps
// dense at 50% sparsity and picks sparse8 at 80% and 90%: at 80% the ae_mlp takes 0.43x the
// ROM and 0.58x the instructions of dense int8, LeNet-5 0.448x and 0.54x
// (bench/peers BenchmarkSparse8). The cost model (tc3xx) prices a sparse8 convolution as a
// gather: a MAC and an index per entry and output position.
//
// # Int8
//
// A node with Attrs.Quant (and every Dequantize) runs an int8 kernel that reproduces the Go
// interpreter's int8 kernels (model/int8_*.go, TFLite's reference integer arithmetic) bit for
// bit: Conv (per-channel or per-tensor symmetric weights, groups and depthwise, padding, stride,
// dilation), Dense, Add, Sub and Mul (broadcasting and constant operands included), LeakyRelu,
// HardSwish, the data movement operators (requantizing inputs whose quantization differs from
// the output's, as model/int8_shape.go; a requantizing Reshape is a copy), Relu and Clip
// (requantizing when the quantizations differ), Max and Average pooling, Mean over trailing
// axes, Softmax, Sigmoid and Tanh (TFLite's fixed output quantizations; the interpreter's float
// fallback for other ones is rejected), Reshape (alias), Quantize (float to int8, ties away
// from zero) and Dequantize. The requantization multipliers and shifts are computed at
// generation with model.QuantizeMultiplier and stored per output channel next to the int8
// weights and int32 biases, with the input zero point folded into the bias (b − zp_x·Σw);
// convolutions gather each kernel window into a small arena patch, padded with the input zero
// point, and take one dot product per output channel. The C fixed-point helpers
// (SaturatingRoundingDoublingHighMul, RoundingDivideByPOT, MultiplyByQuantizedMultiplier and
// gemmlowp's exp / reciprocal for Softmax, Sigmoid, Tanh) avoid undefined behaviour: wrapping
// goes through uint32_t and every shift count is in [0, 31]; generation rejects layers whose
// int32 accumulators could overflow. A Relu or Clip that does not requantize is folded into
// the clamp of a preceding int8 Conv, Dense, Add, Sub or Mul. Int8 activations take one byte
// per element in the arena. Sparse int8 weights use the same formats and byte rule with
// one-byte values (int8_csr.go). RNN, LSTM and GRU (layer_rnn8.go) follow model/int8_rnn.go
// (TFLite's integer LSTM: int16 gate pre-activations and cell state, gemmlowp's 16-bit logistic
// and tanh, dense int8 weights, per-row multipliers). When the graph input or output itself is int8 (full-integer
// TFLite models), the C API stays float: the caller passes and receives the integer values as
// floats, exactly as model.Run represents them, and synthetic first and last layers convert.
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
//   - <prefix>_weights.c and <prefix>_weights.h: const float weights (dense ones as row panels)
//     and biases; sparse layers as values, column indices or gap codes, and row pointers. The
//     header selects the memory of the weights (TCDSE_WEIGHTS_IN: TCDSE_MEM_PFLASH, _LMU or
//     _DSPR) and of the arena (TCDSE_ARENA_IN: _DSPR or _LMU), defaulting to
//     Options.WeightsMemory and ArenaMemory: HighTec/GCC TriCore builds get section attributes,
//     TASKING builds a _Pragma("section all ...") around the definitions, with section names
//     the board's linker script locates (TCDSE_SECNAME_* override them). Every weight array
//     carries TCDSE_WEIGHTS_SECTION and the arena TCDSE_SECTION_ARENA; defining either directly
//     overrides the selection. Host builds place nothing.
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
// counts as an error of 1e300. For a graph with int8 layers (TCDSE_EXACT, set at generation)
// every output must also equal its reference exactly. It then times TCDSE_BENCH_ITERATIONS inferences of the first vector
// (clock_gettime(CLOCK_MONOTONIC) on the host; the CCNT cycle counter under __TRICORE__, converted
// with TCDSE_CPU_HZ) and prints exactly one JSON line on stdout:
//
//	{"pass":true,"vectors":N,"max_abs_err":E,"max_rel_err":R,"iterations":I,"ns_per_inference":T,
//	 "exact":B,"mismatches":K}
//
// ("exact": whether the exact check ran; "mismatches": outputs that differ from their reference
// under it; under __TRICORE__ also "cycles_per_inference"). Under __TRICORE__ the harness then
// prints the console line a farm's command board parses ("TCDSE v=1 pass=1 cycles=N crc=X
// vectors=V max_abs_err=E max_rel_err=R"; crc is the CRC-32 of the last outputs) and times with
// the hook TCDSE_CYCLES()/TCDSE_CYCLES_MASK (default CCNT; define both for an STM). The exit
// status is 0 exactly when pass is true. Host board agents parse the JSON line.
package codegen
