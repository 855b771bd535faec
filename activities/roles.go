package activities

import (
	"fmt"
	"strings"
)

// Roles route activities to task queues, so that a team can run evaluation on big machines,
// code generation where gcc is, and board dispatch next to NATS; a worker serves the roles
// it is started with (tcdse worker --roles).
const (
	RoleWorkflow = "workflow" // workflow tasks (task queue "tcdse")
	RoleEval     = "eval"     // Import, Evaluate, PriceDesigns: prune, fine-tune, quantize, score, price
	RoleCodegen  = "codegen"  // Generate, StoreReport: generate and pack C, render reports
	RoleBoard    = "board"    // RunOnBoard: hardware-in-the-loop dispatch over NATS
)

// Roles lists every role, in the order workers start them.
var Roles = []string{RoleWorkflow, RoleEval, RoleCodegen, RoleBoard}

// WorkflowTaskQueue is the task queue of workflow tasks (and, for sweeps started before
// activities were routed by role, of their activities too).
const WorkflowTaskQueue = "tcdse"

// TaskQueue is the task queue of a role: "tcdse" for workflow tasks, "tcdse-ROLE" otherwise.
func TaskQueue(role string) string {
	if role == RoleWorkflow {
		return WorkflowTaskQueue
	}
	return WorkflowTaskQueue + "-" + role
}

// RoleOf is the role whose task queue runs the named activity.
func RoleOf(activity string) string {
	switch activity {
	case "Generate", "StoreReport", "WriteReport":
		return RoleCodegen
	case "RunOnBoard":
		return RoleBoard
	default:
		return RoleEval
	}
}

// ParseRoles reads a comma-separated role list ("eval,codegen"); empty or "all" is every role.
func ParseRoles(s string) ([]string, error) {
	if s == "" || s == "all" {
		return Roles, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range strings.Split(s, ",") {
		r = strings.TrimSpace(r)
		known := false
		for _, k := range Roles {
			known = known || r == k
		}
		if !known {
			return nil, fmt.Errorf("role %q: want some of %s (comma-separated) or all", r, strings.Join(Roles, ","))
		}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out, nil
}
