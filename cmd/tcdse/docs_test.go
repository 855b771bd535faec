package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tcdse/tcdse/explore"
)

// guideCommands returns the command lines of docs/guide.md's ```sh blocks, in order.
func guideCommands(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../../docs/guide.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "```sh":
			in = true
		case strings.HasPrefix(line, "```"):
			in = false
		case in && line != "" && !strings.HasPrefix(line, "#"):
			cmds = append(cmds, line)
		}
	}
	return cmds
}

// TestGuideCommands runs every command of the user guide, in order, in a scratch copy of the
// repository's layout: tcdse is this test binary, `tcdse run` gets free ports, the PyTorch
// export runs when torch is installed (and is skipped saying so otherwise), and each command's
// success and a few of its outputs are checked.
func TestGuideCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the guide's sweep on the embedded stack")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("the guide builds generated C with gcc, which is not installed")
	}
	cmds := guideCommands(t)
	if len(cmds) < 6 {
		t.Fatalf("docs/guide.md has %d commands in ```sh blocks: %q", len(cmds), cmds)
	}
	work := t.TempDir()
	for _, d := range []string{"examples", "testdata"} {
		abs, _ := filepath.Abs(filepath.Join("../..", d))
		if err := os.Symlink(abs, filepath.Join(work, d)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	// Debian's python3-torch lives in /usr/bin/python3, which may not be the first python3.
	python, torch := "python3", false
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import torch, onnx").Run() == nil {
			python, torch = py, true
			break
		}
	}
	var ran, missing []string // missing: files a skipped command would have written
	for _, line := range cmds {
		args := strings.Fields(line)
		var cmd *exec.Cmd
		if needsMissing(line, missing) {
			t.Logf("skipped %q: it reads what a skipped command writes", line)
			continue
		}
		switch {
		case line == "make build" || strings.HasPrefix(line, "export PATH="):
			continue // this test binary is tcdse
		case strings.HasPrefix(line, "xdg-open ") || strings.HasPrefix(line, "open "):
			continue // a browser; the report package's tests open the page in Chromium
		case args[0] == "python3":
			if !torch {
				t.Logf("skipped %q: python3 cannot import torch and onnx (Debian: python3-torch python3-onnx)", line)
				missing = append(missing, args[len(args)-1])
				continue
			}
			cmd = exec.CommandContext(ctx, python, args[1:]...)
		case args[0] == "tcdse":
			a := args[1:]
			if a[0] == "run" {
				a = append([]string{"run", "--temporal", "127.0.0.1:0", "--nats", "nats://127.0.0.1:0", "--ui", "", "--data-dir", filepath.Join(work, ".tcdse")}, a[1:]...)
			}
			cmd = exec.CommandContext(ctx, os.Args[0], a...)
			cmd.Env = append(os.Environ(), "TCDSE_TEST_AS_MAIN=1")
		case args[0] == "make":
			cmd = exec.CommandContext(ctx, "make", args[1:]...)
		default:
			t.Fatalf("docs/guide.md: the test does not know how to run %q", line)
		}
		cmd.Dir = work
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		begin := time.Now()
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, tail(out.String(), 3000))
		}
		t.Logf("%s (%s)", line, time.Since(begin).Round(100*time.Millisecond))
		ran = append(ran, line)
		if strings.HasPrefix(line, "tcdse run ") && !strings.Contains(out.String(), "Report: out/guide/report.html") && !strings.Contains(out.String(), "report.html") {
			t.Errorf("tcdse run did not print the report's path:\n%s", tail(out.String(), 1500))
		}
	}
	for _, f := range []string{"out/guide/report.html", "out/guide/plots/front.svg", "out/guide/front.json"} {
		if _, err := os.Stat(filepath.Join(work, f)); err != nil {
			t.Errorf("after the guide: %v", err)
		}
	}
	t.Logf("ran %d of %d guide commands", len(ran), len(cmds))
}

func needsMissing(line string, missing []string) bool {
	for _, m := range missing {
		if strings.Contains(line, m) {
			return true
		}
	}
	return false
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestSweepSpecReferenceCoversEveryField checks that docs/sweep-spec.md names every YAML field of
// a sweep spec (nested ones as parent.child).
func TestSweepSpecReferenceCoversEveryField(t *testing.T) {
	doc, err := os.ReadFile("../../docs/sweep-spec.md")
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	var walk func(prefix string, typ reflect.Type, depth int)
	walk = func(prefix string, typ reflect.Type, depth int) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || depth > 3 {
			return
		}
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "-" || !f.IsExported() {
				continue
			}
			if tag == "" {
				if f.Anonymous {
					walk(prefix, f.Type, depth)
				}
				continue
			}
			name := prefix + tag
			fields = append(fields, name)
			walk(name+".", f.Type, depth+1)
		}
	}
	walk("", reflect.TypeOf(explore.SweepSpec{}), 0)
	var missing []string
	for _, f := range fields {
		// A field is documented when the reference names it in backquotes, alone or in a list
		// of siblings such as `data.images`, `data.labels`, or as the last part after its
		// parent's row (`finetune.train` covers finetune.train.* through "data spec (as `data`)").
		leaf := f[strings.LastIndex(f, ".")+1:]
		re := regexp.MustCompile("`" + regexp.QuoteMeta(f) + "`|`" + regexp.QuoteMeta(f) + "[ ,.`]")
		if re.Match(doc) {
			continue
		}
		parent := f[:max(0, strings.LastIndex(f, "."))]
		if parent != "" && strings.Contains(string(doc), "`"+parent+"`") && strings.Contains(string(doc), "`"+leaf+"`") {
			continue
		}
		if strings.HasPrefix(f, "finetune.train.") || strings.HasPrefix(f, "finetune.validation.") {
			continue // a data spec, documented under `data`
		}
		missing = append(missing, f)
	}
	if len(missing) > 0 {
		t.Errorf("docs/sweep-spec.md does not document %d fields: %s", len(missing), strings.Join(missing, ", "))
	}
}

// TestCompletionScripts checks that `tcdse completion` writes a script for each shell.
func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{"bash": "complete -o default", "zsh": "#compdef tcdse", "fish": "complete -c tcdse"} {
		root := newRoot()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs([]string{"completion", shell})
		if err := root.Execute(); err != nil {
			t.Fatalf("completion %s: %v", shell, err)
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("completion %s: no %q in %.200s", shell, want, out.String())
		}
	}
}
