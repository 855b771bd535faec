// Package explore searches the compression space of a model: unstructured magnitude pruning
// per layer, the per-layer sensitivity analysis of OpTC (Algorithm 1), global weighted pruning
// (GWP) schedules built from its results, fine-tuning, post-training int8 quantization
// (Quantize), candidate identity for caching, and sparsity summaries for reports.
//
// Everything here is pure computation on [model.Graph] and [dataset.Dataset] values; the
// orchestration that fans the work out (Temporal workflows and activities) lives elsewhere and
// calls these functions one probe or candidate at a time.
package explore
