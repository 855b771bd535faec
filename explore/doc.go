// Package explore searches the compression space of a model: unstructured magnitude pruning
// per layer, the per-layer sensitivity analysis of OpTC (Algorithm 1), global weighted pruning
// (GWP) schedules built from its results, fine-tuning, post-training int8 quantization
// (Quantize), candidate identity for caching, and sparsity summaries for reports.
//
// Beyond GWP's single line, [SearchRun] drives a multi-objective search ([NSGA2]) over a
// [SearchSpace] of per-layer choices (pruning rate, int8 or float32, weight format) for quality
// loss against the priced costs: designs are priced before they are scored, those that cannot
// fit, lie beyond the reference point or are certainly dominated are never scored, and the rest
// are scored on growing seeded subsets by [ScoreStaged], which stops a design once it is, with
// a stated confidence, worse than the quality bound or than a point that costs no more. A
// design scored to the end has exactly [Evaluate]'s quality. docs/sweep-spec.md ("Search")
// says why NSGA-II.
//
// Everything here is pure computation on [model.Graph] and [dataset.Dataset] values, and
// deterministic for a seed; the orchestration that fans the work out (Temporal workflows and
// activities) lives elsewhere and calls these functions one probe, candidate or generation at
// a time.
package explore
