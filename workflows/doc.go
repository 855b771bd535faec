// Package workflows holds tcdse's Temporal workflows. Sweep is the design-space exploration of one
// model: import and baseline, sensitivity analysis fanned out over layers and rates, global
// weighted pruning steps, the Pareto merge, code generation for chosen points and their runs on
// boards. Workflow code only decides; every side effect is an activity (package activities), so
// a sweep survives worker crashes and restarts by replay.
package workflows
