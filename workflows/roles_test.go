package workflows

import "testing"

func TestPhaseRole(t *testing.T) {
	for phase, want := range map[string]string{"import": "eval", "sensitivity": "eval", "unstructured gwp": "eval", "search": "eval",
		"generate": "codegen", "report": "codegen", "boards": "board", "front": "", "done": ""} {
		if got := PhaseRole(phase); got != want {
			t.Errorf("PhaseRole(%q) = %q, want %q", phase, got, want)
		}
	}
}
