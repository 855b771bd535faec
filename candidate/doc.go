// Package candidate is the pricing half of the pipeline a design point goes through, whichever
// tool asks: a built graph (pruned, fine-tuned or quantized by explore) on a target (with an
// optional calibrated cost model) gives its code plan, the placement of its weights and
// activations, and its cycles, ROM and RAM. analyze, generate and the sweep's Evaluate,
// PriceDesigns and Generate activities resolve their target with ResolveCosting (or
// CostingFor) and price with Price, so a sweep's figures, generate's memory placement and the
// generated manifest agree. (Building the candidate itself, prune/fine-tune/quantize, is
// still sequenced by the Evaluate activity.)
//
// Invariants: Price's chosen placement is the cheapest that fits (by cycles, then RAM), or the
// target's default (weights in PFlash, activations in DSPR) when none fits;
// tc3xx.Cost.CodegenMemories maps it to the codegen memory names generate writes; the RAM
// figure includes the weights whenever the placement copies them into a RAM (DSPR or LMU).
//
// It lives beside explore, not in it, because codegen's and tc3xx's tests use explore, so
// explore imports neither. The data half of the rule (which data fits which model input) is
// explore.FitData and explore.DataSpecFor.
package candidate
