package hilbench_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcdse/tcdse/hilbench"
)

// unpackTree packs and unpacks files into a fresh directory, as the agent does.
func unpackTree(t *testing.T, files map[string][]byte) string {
	t.Helper()
	data, err := hilbench.PackFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "tree")
	if err := hilbench.Unpack(data, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestHostDriverPass(t *testing.T) {
	needCToolchain(t)
	res, err := hilbench.HostDriver{}.Run(testCtx(t), unpackTree(t, cTree(t)))
	if err != nil {
		t.Fatal(err)
	}
	// The test vectors are exact in binary floating point, so the error is exactly 0.
	if !res.Built || !res.Pass || res.Vectors != 3 || res.Iterations != 1000 ||
		res.MaxAbsErr != 0 || res.MaxRelErr != 0 || !(res.NsPerInference > 0) {
		t.Errorf("result %+v, want built, pass, 3 vectors, 1000 iterations, zero error, positive time", res)
	}
	if res.Error != "" {
		t.Errorf("driver set Error: %s", res.Error)
	}
}

func TestHostDriverFailedComparison(t *testing.T) {
	needCToolchain(t)
	res, err := hilbench.HostDriver{}.Run(testCtx(t), unpackTree(t, cTree(t, wrongExpectation)))
	if err != nil {
		t.Fatal(err)
	}
	// Vector 2 expects 0.625 where the model gives 0.125: abs 0.5, rel 0.5/0.625.
	if !res.Built || res.Pass || res.Vectors != 3 || res.MaxAbsErr != 0.5 || math.Abs(res.MaxRelErr-0.8) > 1e-12 {
		t.Errorf("result %+v, want built, not pass, max_abs_err 0.5, max_rel_err 0.8", res)
	}
}

func TestHostDriverCompileError(t *testing.T) {
	needCToolchain(t)
	res, err := hilbench.HostDriver{}.Run(testCtx(t), unpackTree(t, cTree(t, syntaxError)))
	if err != nil {
		t.Fatalf("a compile error must be a result, not an error: %v", err)
	}
	if res.Built || res.Pass {
		t.Errorf("result %+v, want not built", res)
	}
	if !strings.Contains(res.BuildLog, "model.c") || !strings.Contains(res.BuildLog, "error") {
		t.Errorf("build log does not show the compiler error:\n%s", res.BuildLog)
	}
}

func TestHostDriverUsesCCAndMakeArgs(t *testing.T) {
	needCToolchain(t)
	// CC is passed through to make: a compiler that does not exist makes the build fail.
	res, err := hilbench.HostDriver{CC: "no-such-cc-hilbench"}.Run(testCtx(t), unpackTree(t, cTree(t)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Built || !strings.Contains(res.BuildLog, "no-such-cc-hilbench") {
		t.Errorf("with a missing CC: built=%t, log:\n%s", res.Built, res.BuildLog)
	}
	// MakeArgs reach make: the harness's iteration count can be set from CFLAGS.
	res, err = hilbench.HostDriver{MakeArgs: []string{"CFLAGS=-O1 -std=c99 -DTV_ITERATIONS=7"}}.Run(testCtx(t), unpackTree(t, cTree(t)))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Built || !res.Pass || res.Iterations != 7 {
		t.Errorf("with CFLAGS=-DTV_ITERATIONS=7: %+v, want a pass over 7 iterations", res)
	}
}

func TestHostDriverHarnessErrors(t *testing.T) {
	needCToolchain(t)
	mainStart := "int main(void)\n{\n"
	for _, tc := range []struct {
		name string
		edit treeEdit
		want []string
	}{
		{"no json line", treeEdit{"harness.c", mainStart, mainStart + "\tputs(\"hello from the harness\");\n\treturn 0;\n"},
			[]string{"no JSON result line", "hello from the harness"}},
		{"malformed json", treeEdit{"harness.c", mainStart, mainStart + "\tputs(\"{\\\"pass\\\":tru\");\n\treturn 0;\n"},
			[]string{"not valid JSON", `{"pass":tru`}},
		{"crash", treeEdit{"harness.c", mainStart, mainStart + "\tfputs(\"about to crash\\n\", stderr);\n\tfflush(stderr);\n\t*(volatile int *)0 = 1;\n"},
			[]string{"died", "about to crash"}},
		{"exit status contradicts pass", treeEdit{"harness.c", "return pass ? 0 : 1;", "return 3;"},
			[]string{"reported pass=true but exited with status 3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := hilbench.HostDriver{MakeArgs: []string{"CFLAGS=-O0 -std=c99"}}.Run(testCtx(t), unpackTree(t, cTree(t, tc.edit)))
			if err == nil {
				t.Fatalf("no error; result %+v", res)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
			if res == nil || !res.Built {
				t.Errorf("partial result %+v, want Built=true", res)
			}
		})
	}
}

func TestHostDriverTimeout(t *testing.T) {
	needCToolchain(t)
	mainStart := "int main(void)\n{\n"
	hang := treeEdit{"harness.c", mainStart, mainStart + "\tfor (;;)\n\t\t;\n"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Returning at all shows the hanging harness was killed.
	res, err := hilbench.HostDriver{MakeArgs: []string{"CFLAGS=-O0"}}.Run(ctx, unpackTree(t, cTree(t, hang)))
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("error %v, want one saying the run stopped at the deadline", err)
	}
	if res == nil {
		t.Error("no partial result")
	}
}
