// Package tc3xx describes Infineon AURIX TC3xx microcontrollers (a catalog of derivatives and
// their cores) and estimates what a generated model costs on one core: cycles, time, ROM, RAM,
// where its weights and activations should live, and whether it fits. docs/cost-model.md is
// the user-facing description; this comment is the reference for the formulas.
//
// # Catalog
//
// A [Target] is one core of one derivative, named "derivative:core" (e.g. "tc387:cpu2") and
// found with [Lookup] or [Catalog.Lookup]; a series name ("tc38x:cpu2") finds the series'
// only derivative. The built-in catalog holds one derivative per TC3xx series (TC32x TC327,
// TC33x TC337, TC35x TC357, TC36x TC367, TC37x TC377, TC38x TC387, TC39x TC397). Every size,
// clock and flash read time is an [Amount] that records whether it is documented (with its
// source) or assumed (and why). [Catalog.LoadFile] adds or overrides derivatives from a YAML
// file (for example a TC4x), validating every entry and field.
//
// # Placement
//
// Weights live in PFlash read through the data cache ([WeightsInPFlash], the default), in
// PFlash without the cache ([WeightsInPFlashUncached]), copied to the LMU ([WeightsInLMU]) or
// to the core's DSPR ([WeightsInDSPR]); activations (arena and I/O buffers) in the core's
// DSPR ([ActivationsInDSPR]) or DLMU ([ActivationsInDLMU]). [Place] estimates every
// combination and picks the cheapest that fits; the others carry the reason in numbers
// ("RAM 193.5 KB (...) > DSPR of CPU2 96.0 KB (98304 B)").
//
// # Cost model
//
// [Estimate] takes the graph, the codegen.Plan for the design point and a target. ROM and RAM
// come from the plan itself, so the estimate and the generated manifest agree byte for byte:
//
//	ROM = plan.WeightBytes + plan.CodeBytesEstimate
//	RAM = plan.ArenaBytes + plan.IOBytes (+ plan.WeightBytes with weights in DSPR or LMU)
//
// Cycles are summed per layer. Each layer's rule counts how often it incurs each parameter
// of the core's table ([TC162P]); cycles = Σ value·count + fixed, where fixed is the PFlash
// array reads (lines × the derivative's pflash_read_cycles). With E = EffectiveMACs,
// O = output elements, R = weight rows, Z = stored nonzeros, P = pooling window taps, Cg the
// input channels per group, kH the kernel height, oH the output height, and mac = mac_q8 for
// int8 layers (which also pay O·requant):
//
//	conv, dense weights:  E·mac + O·Cg·kH·loop + O·output + call
//	conv, CSR weights:    E·scatter_mac + Z·csr_conv_decode + Z·oH·loop + O·output + call
//	dense, dense weights: E·mac + O·output + call
//	dense, CSR weights:   E·(mac + csr_index) + R·csr_row + O·output + call
//	recurrent:            E·mac + gates·gate_act + O·output + call (int8: + 2·T·G·H·requant)
//	pool, reduce:         P·pool_tap + O·output + call (P = elements read)
//	add / relu / copy:    O·elementwise | O·relu | O·copy, + call
//	softmax:              O·(softmax_exp + softmax_elem) + call
//	alias reshape, relu fused into its producer: 0 (a fused sigmoid/tanh: O·gate_act)
//	int8 <-> float conversions: O·elementwise + call (Quantize, Dequantize: + O·requant); the
//	                      synthetic boundary layers of a full-integer model (codegen.IsBoundaryLayer)
//	                      have no graph node and are priced the same way
//
// int8 convolutions follow the generated kernels instead, with W = output positions·groups·Cg·kH·kW
// window elements and positions the output positions:
//
//	sparse8:              E·(mac_q8 + csr_index + sparse8_offset) + R·positions·csr_row + O·output
//	dense, csr, rcsr:     W·q8_gather_tap + (W/kW)·q8_gather_row + E·mac_q8 + O·output, plus
//	                      dense: O·loop + E·q8_dot_partial; sparse: E·csr_index + R·positions·csr_row
//	                      (+ E·rcsr4_decode for rcsr4)
//
// and int8 dense and recurrent layers add E·q8_dot_partial (dense weights) or E·rcsr4_decode.
//
// Sparse formats other than CSR (relative-index variants) are costed with the CSR rules; a
// convolution that a fused pooling kernel computes on the fly keeps its MACs but has no call.
//
// plus the memory traffic of the placement, in lines of line_bytes (32) bytes. Weight lines
// W are the layer's weight bytes / 32, or E·4/32 for a dense convolution whose per-output-
// channel slice does not fit the data cache (it is evicted between output positions):
//
//	pflash:    W·pflash_line + W·pflash_read_cycles (fixed)
//	pflash_nc: words·pflash_nc_word + W·pflash_read_cycles (fixed)
//	lmu:       W·lmu_line
//	dspr:      0
//	activations in dlmu: (input lines · re-reads + output lines)·dlmu_line
//
// TimeUS = Cycles / clock.
//
// # Calibration
//
// Because the estimate is linear in the parameters, [Calibrate] fits them to board
// measurements ([Measurement]: counts and measured cycles, per layer or per model) by least
// squares on relative errors, with a weak pull to the prior values and non-negativity, and
// reports the error and its spread before and after. [ParseMeasurements] and
// [ResolveMeasurements] read the JSON Lines files boards produce; [LoadCostModel] reads a
// calibrated model back, and [EstimateWith] uses it.
package tc3xx
