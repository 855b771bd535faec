package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

const clusterDir = "../../deploy/cluster"

// TestClusterManifestsUseRealCommands parses the Dockerfile, the compose file and the
// Kubernetes manifests under deploy/cluster, collects every tcdse command line they run and
// checks each against the real command tree: the subcommands exist and are runnable, and
// every flag is one the command (or a parent) defines, with a value where it takes one.
func TestClusterManifestsUseRealCommands(t *testing.T) {
	var lines []cmdLine
	lines = append(lines, dockerfileCommands(t, filepath.Join(clusterDir, "Dockerfile"))...)
	lines = append(lines, composeCommands(t, filepath.Join(clusterDir, "compose.yaml"))...)
	k8s, err := filepath.Glob(filepath.Join(clusterDir, "k8s", "*.yaml"))
	if err != nil || len(k8s) == 0 {
		t.Fatalf("no Kubernetes manifests under %s: %v", clusterDir, err)
	}
	for _, f := range k8s {
		lines = append(lines, k8sCommands(t, f)...)
	}
	want := map[string]bool{"worker": false, "agent": false}
	for _, l := range lines {
		if err := checkCommandLine(newRoot(), l.args); err != nil {
			t.Errorf("%s: tcdse %s: %v", l.where, strings.Join(l.args, " "), err)
			continue
		}
		if len(l.args) > 0 {
			if _, ok := want[l.args[0]]; ok {
				want[l.args[0]] = true
			}
		}
	}
	for c, seen := range want {
		if !seen {
			t.Errorf("no manifest runs tcdse %s", c)
		}
	}
	t.Logf("checked %d tcdse command lines", len(lines))
}

// TestCheckCommandLine: the checker itself catches a misspelt command, an unknown flag and
// a missing flag value.
func TestCheckCommandLine(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"workr"}, "unknown command"},
		{[]string{"worker", "--rolez", "x"}, "unknown flag --rolez"},
		{[]string{"agent", "--board"}, "needs a value"},
		{[]string{"deploy", "verify", "-x"}, "unknown flag -x"},
	} {
		if err := checkCommandLine(newRoot(), c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.args, err, c.want)
		}
	}
	if err := checkCommandLine(newRoot(), []string{"worker", "--nats=nats://x:4222", "-v", "--concurrency", "3"}); err != nil {
		t.Errorf("valid line: %v", err)
	}
}

type cmdLine struct {
	where string
	args  []string
}

// checkCommandLine walks args through the cobra tree like cobra does: leading words name
// subcommands, then every -x/--name is looked up among the command's flags and its parents'
// persistent flags.
func checkCommandLine(root *cobra.Command, args []string) error {
	cmd := root
	i := 0
	for ; i < len(args) && !strings.HasPrefix(args[i], "-"); i++ {
		sub := findSub(cmd, args[i])
		if sub == nil {
			if cmd.HasSubCommands() && !cmd.Runnable() {
				return errors.New("unknown command " + args[i])
			}
			if cmd == root {
				return errors.New("unknown command " + args[i])
			}
			break // a positional argument
		}
		cmd = sub
	}
	if !cmd.Runnable() {
		return errors.New("command " + cmd.CommandPath() + " is not runnable")
	}
	flags := cmd.Flags()
	flags.AddFlagSet(cmd.InheritedFlags())
	for ; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue
		}
		var f *pflag.Flag
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "--") {
			f = flags.Lookup(name)
		} else if len(name) == 1 {
			f = flags.ShorthandLookup(name)
		}
		if f == nil {
			return errors.New("unknown flag " + strings.SplitN(a, "=", 2)[0] + " for " + cmd.CommandPath())
		}
		if f.NoOptDefVal == "" && !hasValue {
			if i+1 >= len(args) {
				return errors.New("flag " + a + " needs a value")
			}
			i++
		}
	}
	return nil
}

func findSub(cmd *cobra.Command, name string) *cobra.Command {
	for _, c := range cmd.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return c
		}
	}
	return nil
}

// isTcdse reports whether an entrypoint runs the tcdse binary.
func isTcdse(entry []string) bool {
	return len(entry) > 0 && filepath.Base(entry[0]) == "tcdse"
}

// dockerfileCommands returns each stage's ENTRYPOINT + CMD (exec form) when it runs tcdse.
func dockerfileCommands(t *testing.T, path string) []cmdLine {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []cmdLine
	var entry, cmd []string
	stage := ""
	flush := func() {
		if isTcdse(entry) {
			out = append(out, cmdLine{path + " stage " + stage, append(append([]string{}, entry[1:]...), cmd...)})
		}
		entry, cmd = nil, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		kw, rest, _ := strings.Cut(line, " ")
		switch strings.ToUpper(kw) {
		case "FROM":
			flush()
			if _, name, ok := strings.Cut(strings.ToUpper(rest), " AS "); ok {
				stage = strings.ToLower(strings.TrimSpace(name))
			}
		case "ENTRYPOINT", "CMD":
			var v []string
			if err := json.Unmarshal([]byte(rest), &v); err != nil {
				t.Errorf("%s: %s must use the exec (JSON) form: %v", path, kw, err)
				continue
			}
			if strings.EqualFold(kw, "ENTRYPOINT") {
				entry = v
			} else {
				cmd = v
			}
		}
	}
	flush()
	if len(out) == 0 {
		t.Errorf("%s: no stage runs tcdse", path)
	}
	return out
}

// composeCommands returns the command of every service built from the tcdse Dockerfile.
func composeCommands(t *testing.T, path string) []cmdLine {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Image string `yaml:"image"`
			Build *struct {
				Dockerfile string `yaml:"dockerfile"`
			} `yaml:"build"`
			Entrypoint []string `yaml:"entrypoint"`
			Command    []string `yaml:"command"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []cmdLine
	for name, s := range c.Services {
		if s.Build == nil || !strings.HasSuffix(s.Build.Dockerfile, "deploy/cluster/Dockerfile") {
			continue
		}
		if len(s.Entrypoint) > 0 && !isTcdse(s.Entrypoint) {
			t.Errorf("%s: service %s overrides the entrypoint with %v", path, name, s.Entrypoint)
			continue
		}
		if len(s.Command) == 0 {
			t.Errorf("%s: service %s has no command", path, name)
		}
		out = append(out, cmdLine{path + " service " + name, s.Command})
	}
	return out
}

// k8sCommands returns the args of every container whose image is a tcdse image.
func k8sCommands(t *testing.T, path string) []cmdLine {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []cmdLine
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Name    string   `yaml:"name"`
							Image   string   `yaml:"image"`
							Command []string `yaml:"command"`
							Args    []string `yaml:"args"`
						} `yaml:"containers"`
					} `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		}
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, c := range doc.Spec.Template.Spec.Containers {
			if !strings.HasPrefix(c.Image, "tcdse") {
				continue
			}
			if len(c.Command) > 0 && !isTcdse(c.Command) {
				t.Errorf("%s: container %s runs %v", path, c.Name, c.Command)
				continue
			}
			out = append(out, cmdLine{path + " " + doc.Kind + "/" + doc.Metadata.Name, c.Args})
		}
	}
	return out
}
