package hilbench_test

import (
	"strings"
	"testing"

	"github.com/tcdse/tcdse/hilbench"
)

func TestParseHarnessOutput(t *testing.T) {
	out := "warming up\n" +
		`  {"pass":false,"vectors":12,"max_abs_err":0.5,"max_rel_err":1.25e-3,"iterations":100,"ns_per_inference":812.5,"extra":"ok"}` +
		"\ndone\n"
	rep, err := hilbench.ParseHarnessOutput([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := hilbench.HarnessReport{Pass: false, Vectors: 12, MaxAbsErr: 0.5, MaxRelErr: 1.25e-3, Iterations: 100, NsPerInference: 812.5}
	if *rep != want {
		t.Errorf("got %+v, want %+v", *rep, want)
	}
}

func TestParseHarnessOutputErrors(t *testing.T) {
	full := `{"pass":true,"vectors":1,"max_abs_err":0,"max_rel_err":0,"iterations":1,"ns_per_inference":1}`
	for _, tc := range []struct {
		name, out, want string
	}{
		{"nothing", "", "no JSON result line"},
		{"no json", "segfault?\n", "no JSON result line"},
		{"two lines", full + "\n" + full + "\n", "2 JSON lines"},
		{"malformed", `{"pass":true,"vectors":1,`, "not valid JSON"},
		{"nan", `{"pass":true,"vectors":1,"max_abs_err":nan,"max_rel_err":0,"iterations":1,"ns_per_inference":1}`, "not valid JSON"},
		{"missing fields", `{"pass":true,"vectors":1}`, "lacks max_abs_err, max_rel_err, iterations, ns_per_inference"},
		{"null field", strings.Replace(full, `"pass":true`, `"pass":null`, 1), "lacks pass"},
		{"wrong type", strings.Replace(full, `"vectors":1`, `"vectors":"one"`, 1), "wrong type"},
		{"negative", strings.Replace(full, `"iterations":1`, `"iterations":-4`, 1), "negative"},
	} {
		_, err := hilbench.ParseHarnessOutput([]byte(tc.out))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}
