// Package report builds the report a person reads after a sweep: one self-contained HTML page
// (report.html: scripts, styles and data inline, no network access, opens from a file:// path)
// with the Pareto front as an interactive scatter, each point's details, the sensitivity
// curves, the GWP walk, two points side by side and measured against estimated cycles.
//
// Its input is a [Sweep]: the pareto.Report of front.json, the code trees and board runs of
// points.json, and, when the sweep recorded them (sweep-result.json, or a workflow's result),
// the per-layer sensitivity and the workflow's identity. [LoadDir] reads a results directory
// a sweep wrote; [Build] turns a Sweep into the page's data (a [Page]); [WriteHTML] writes the
// page. Per-layer costs come from the point's own model (points/LABEL/model.tcdse) priced with
// the target's built-in cost model, so they exist for the points that got code.
//
// Invariants: the page holds exactly the report's points, one mark each, and the front's
// points are those of pareto.Report.Front (marked data-front); [Build] is deterministic for a
// given Sweep and directory; nothing in the page is fetched from elsewhere.
package report
