// Package pareto keeps the Pareto front of evaluated compression candidates (quality against
// cycles, ROM and RAM on the target) and writes it out as JSON, CSV and a terminal table.
//
// # Hypervolume
//
// [Hypervolume] measures a set of points by the volume of objective space its front dominates,
// the usual single number for comparing multi-objective searches. The four objectives are
// normalised so that the reference point is (1, 1, 1, 1) and a report's hypervolume lies in
// [0, 1] (see [HypervolumeSpace]):
//
//   - quality loss (Qbase − Q)/(Qbase − Qbound), clamped below at 0, where Qbase is the unpruned
//     model's quality and Qbound the sweep's quality bound (its floor when set, else its
//     sensitivity threshold): 0 at the baseline's quality, 1 at the bound;
//   - cycles, ROM and RAM divided by [CostReference] (1.1) times the unpruned float model's:
//     the reference lies 10 % beyond the baseline's cost, the usual margin beyond the nadir,
//     so that a point that saves ROM but keeps the baseline's RAM still counts.
//
// Points that do not fit the target, worse than the bound, or at least 1.1 times as costly as
// the baseline in any of cycles, ROM or RAM add nothing. [HypervolumeOf] is exact (slicing, While et al. 2006) for
// any number of objectives; [HypervolumeTrace] gives the curve against evaluations (and
// evaluation seconds) that compares search methods at equal budgets.
package pareto
