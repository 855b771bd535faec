package workflows

import "github.com/tcdse/tcdse/activities"

// PhaseRole is the role whose workers a sweep in the given progress phase waits for: eval for
// import, sensitivity, GWP and search, codegen for generate and report, board for boards, and
// "" when the phase needs no activity worker (front, done).
func PhaseRole(phase string) string {
	switch phase {
	case "front", "done", "":
		return ""
	case "generate", "report":
		return activities.RoleCodegen
	case "boards":
		return activities.RoleBoard
	default:
		return activities.RoleEval
	}
}
