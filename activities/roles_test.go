package activities

import (
	"strings"
	"testing"
)

func TestRolesAndQueues(t *testing.T) {
	for act, want := range map[string]string{"Import": "tcdse-eval", "Evaluate": "tcdse-eval", "PriceDesigns": "tcdse-eval",
		"Generate": "tcdse-codegen", "StoreReport": "tcdse-codegen", "RunOnBoard": "tcdse-board"} {
		if got := TaskQueue(RoleOf(act)); got != want {
			t.Errorf("%s runs on %s, want %s", act, got, want)
		}
	}
	if TaskQueue(RoleWorkflow) != "tcdse" {
		t.Errorf("workflow tasks on %s", TaskQueue(RoleWorkflow))
	}
	if r, err := ParseRoles("eval, codegen,eval"); err != nil || strings.Join(r, ",") != "eval,codegen" {
		t.Errorf("ParseRoles = %v, %v", r, err)
	}
	if r, _ := ParseRoles(""); len(r) != 4 {
		t.Errorf("default roles %v, want all four", r)
	}
	if _, err := ParseRoles("eval,gpu"); err == nil || !strings.Contains(err.Error(), `"gpu"`) {
		t.Errorf("unknown role: err %v", err)
	}
}
