// Package pareto keeps the Pareto front of evaluated compression candidates (quality against
// cycles, ROM and RAM on the target) and writes it out as JSON, CSV and a terminal table.
package pareto
