// Package tc3xx describes Infineon AURIX TC3xx microcontrollers (a catalog of derivatives and
// their cores) and estimates what a generated model costs on one core: cycles, time, ROM, RAM,
// and whether it fits.
//
// # Catalog
//
// A [Target] is one core of one derivative, named "derivative:core" (e.g. "tc387:cpu2") and
// found with [Lookup] or [Catalog.Lookup]. Every size and clock in the catalog is an [Amount]
// that records whether the figure is documented (with its source) or assumed. The catalog is a
// value ([DefaultCatalog] returns a fresh copy); [Catalog.Add] registers further derivatives
// (TC32x…TC39x) or replaces one, which is also how file-based overrides will be applied.
//
// # Cost model
//
// [Estimate] takes the graph, the codegen.Plan for the design point and a target. ROM and RAM
// come from the plan itself, so the estimate and the generated manifest agree byte for byte:
//
//	ROM = plan.WeightBytes + plan.CodeBytesEstimate          (weights and code in PFlash)
//	RAM = plan.ArenaBytes + plan.IOBytes                      (activations and I/O buffers in DSPR)
//	      + plan.WeightBytes when Target.Weights is WeightsInDSPR
//	Fits = RAM <= DSPR of the core and ROM <= PFlash of the derivative
//
// The stack and the context save areas are not counted.
//
// Cycles are summed per layer from the layer's kernel class, weight format and weight placement,
// using the parameters of one table per core architecture ([TC162P]; every entry names its
// basis). With E = EffectiveMACs, O = output elements, R = weight rows, Z = stored nonzeros,
// W = weight bytes in the chosen format, L = line_bytes, and P = the valid window taps of a
// pooling layer (plan Ops):
//
//	conv, dense weights:  E·mac + O·Cg·kH·loop + O·output + lines·line_fill + call
//	conv, CSR weights:    E·scatter_mac + Z·csr_conv_decode + Z·oH·loop + O·output
//	                      + lines·line_fill + call
//	dense, dense weights: E·mac + O·output + lines·line_fill + call
//	dense, CSR weights:   E·(mac + csr_index) + R·csr_row + O·output + lines·line_fill + call
//	pool:                 P·pool_tap + O·output + call
//	add / relu / copy:    O·elementwise | O·relu | O·copy, + call
//	softmax:              O·(softmax_exp + softmax_elem) + call
//	alias reshape, relu fused into its producer: 0
//
// where Cg is the number of input channels per group and kH the kernel height, so O·Cg·kH
// counts the innermost-loop entries of the dense convolution, and oH is the output height. lines is the number of line fills from PFlash:
// W/L when the weights are read once per inference (dense layers, CSR layers, and dense
// convolutions whose per-output-channel weight slice fits the core's data cache), and E·4/L
// when a dense convolution's slice does not fit and every pass misses. Weights in DSPR cost no
// line fills. TimeUS = Cycles / clock.
//
// The parameter values are first estimates from the TC1.6.2P pipeline structure (one load/store
// pipeline beside the integer/FPU pipeline, pipelined single-precision FPU) and typical PFlash
// behaviour; they are meant to rank design points and must be calibrated against CCNT
// measurements from the board (the harness reports cycles_per_inference on TriCore).
package tc3xx
