package hilbench_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tcdse/tcdse/hilbench"
)

// unpackPacked unpacks a packed tree into a fresh directory.
func unpackPacked(t *testing.T, tree []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := hilbench.Unpack(tree, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// fakeToolchain writes a shell script standing in for a TriCore toolchain, flasher and serial
// console: it records its arguments and, as the console, prints boot noise and the result
// line the harness would print on the board.
func fakeToolchain(t *testing.T, console string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "fake-board.sh")
	script := `#!/bin/sh
echo "$@" >> "` + filepath.Join(dir, "calls") + `"
case "$1" in
build) test -f "$2/manifest.json" || { echo "no tree in $2"; exit 1; } ;;
flash) echo "flashing $2/harness.elf" ;;
console) printf "` + console + `" ;;
esac
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCommandDriver(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	_, tree := mlpTree(t, connect(t, startNATS(t)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Run("passes", func(t *testing.T) {
		fake := fakeToolchain(t, `BOOT tc387 v1.2\nTCDSE v=1 pass=1 cycles=81234 crc=1a2b3c4d vectors=4 max_rel_err=2e-07\n> `)
		d := &hilbench.CommandDriver{Build: []string{fake, "build", "{dir}"}, Flash: []string{fake, "flash", "{dir}"},
			Console: []string{fake, "console"}, ClockMHz: 300}
		dir := unpackPacked(t, tree)
		res, err := d.Run(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Built || !res.Pass || res.CyclesPerInference != 81234 || res.Vectors != 4 || res.NsPerInference < 270780 || res.NsPerInference > 270781 {
			t.Errorf("result %+v", res)
		}
		calls, _ := os.ReadFile(filepath.Join(filepath.Dir(fake), "calls"))
		if !strings.Contains(string(calls), "build "+dir) || !strings.Contains(string(calls), "flash "+dir) {
			t.Errorf("templates not substituted: %s", calls)
		}
	})
	t.Run("no result line is an error", func(t *testing.T) {
		fake := fakeToolchain(t, `BOOT\npanic: trap 3\n`)
		d := &hilbench.CommandDriver{Console: []string{fake, "console"}}
		if _, err := d.Run(ctx, unpackPacked(t, tree)); err == nil || !strings.Contains(err.Error(), "no \"TCDSE\" result line") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("failing build is a result", func(t *testing.T) {
		fake := fakeToolchain(t, "")
		d := &hilbench.CommandDriver{Build: []string{fake, "build", "/nonexistent"}, Console: []string{fake, "console"}}
		res, err := d.Run(ctx, unpackPacked(t, tree))
		if err != nil || res.Built || !strings.Contains(res.BuildLog, "no tree") {
			t.Errorf("result %+v, error %v", res, err)
		}
	})
	t.Run("time limit", func(t *testing.T) {
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		d := &hilbench.CommandDriver{Console: []string{"sleep", "30"}}
		start := time.Now()
		if _, err := d.Run(short, unpackPacked(t, tree)); err == nil || time.Since(start) > 10*time.Second {
			t.Errorf("error %v after %s", err, time.Since(start))
		}
	})
}

func TestParseResultLine(t *testing.T) {
	good := "noise\r\n> TCDSE v=1 pass=0 cycles=1.5e6 crc=DEADBEEF vectors=3 max_abs_err=0.25 extra=x\n"
	r, err := hilbench.ParseResultLine([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if r.Pass || r.Cycles != 1.5e6 || r.CRC != "deadbeef" || r.Vectors != 3 || r.MaxAbsErr != 0.25 {
		t.Errorf("parsed %+v", r)
	}
	for _, bad := range []string{
		"", "TCDSE v=2 pass=1 cycles=5", "TCDSE v=1 cycles=5", "TCDSE v=1 pass=yes cycles=5", "TCDSE v=1 pass=1 cycles=-5",
		"TCDSE v=1 pass=1 cycles=0", "TCDSE v=1 pass=1 cycles=5 crc=xyz", "TCDSE v=1 pass=1 cycles=5 vectors=1.5",
		"TCDSE v=1 pass=1 cycles=5\nTCDSE v=1 pass=1 cycles=6", "TCDSE v=1 v=1 pass=1 cycles=5", "TCDSE v=1 pass=1 cycles=NaN",
		"TCDSE v=1 pass=1 cycles",
	} {
		if _, err := hilbench.ParseResultLine([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParseResultLine(f *testing.F) {
	f.Add([]byte("TCDSE v=1 pass=1 cycles=81234 crc=1a2b3c4d vectors=4 max_rel_err=2e-07"))
	f.Add([]byte("boot\nTCDSE v=1 pass=0 cycles=1e9\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := hilbench.ParseResultLine(data)
		if err == nil && (r.Cycles <= 0 || r.Vectors < 0 || r.MaxRelErr < 0 || r.MaxAbsErr < 0) {
			t.Errorf("accepted %q as %+v", data, r)
		}
	})
}

func TestCallgrindDriver(t *testing.T) {
	needCToolchain(t)
	if _, err := exec.LookPath("valgrind"); err != nil {
		t.Skipf("valgrind not found: %v", err)
	}
	_, tree := mlpTree(t, connect(t, startNATS(t)))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := &hilbench.CallgrindDriver{}
	var counts []float64
	for range 2 {
		res, err := d.Run(ctx, unpackPacked(t, tree))
		if err != nil {
			t.Fatal(err)
		}
		if !res.Pass || res.CycleUnit != "instructions" || res.CyclesPerInference <= 0 {
			t.Fatalf("result %+v", res)
		}
		counts = append(counts, res.CyclesPerInference)
	}
	if counts[0] != counts[1] {
		t.Errorf("instruction counts differ between runs: %v", counts)
	}
	t.Logf("MLP fixture: %.0f instructions per inference", counts[0])
}

func TestParseAgentFile(t *testing.T) {
	cfg, err := hilbench.ParseAgentFile([]byte(`name: lab-1
class: tc387-cpu2
tags: [lab-a]
lease_seconds: 5
driver:
  kind: command
  build: [make, -C, "{dir}", tricore]
  run: [/opt/console.sh]
`), "agent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "lab-1" || cfg.Class != "tc387-cpu2" || cfg.Farm.Lease != 5*time.Second || cfg.Driver.Name() != "command" {
		t.Errorf("config %+v", cfg)
	}
	sim, err := hilbench.ParseAgentFile([]byte("name: s\nclass: c\ndriver: {kind: sim, true_scale: 2, faults: [{kind: hang, first: 1}]}\n"), "sim.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if sim.Derivative != "TC387" && sim.Derivative != "tc387" {
		t.Errorf("sim derivative %q", sim.Derivative)
	}
	for _, bad := range []string{
		"name: a\nclass: c\ndriver: {kind: ssh}\n",
		"name: a\nclass: c\ndriver: {kind: host, build: [rm, -rf, /]}\n",
		"name: a b\nclass: c\ndriver: {kind: host}\n",
		"name: a\nclass: c\ndriver: {kind: command}\n",
		"name: a\nclass: c\ndriver: {kind: sim, faults: [{kind: melt}]}\n",
		"name: a\nclass: c\ncommand: rm\ndriver: {kind: host}\n",
	} {
		if _, err := hilbench.ParseAgentFile([]byte(bad), "bad.yaml"); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

// TestCommandDriverGeneratedHarness builds a generated tree's TriCore harness branch on the
// host (the cycle hook bound to the x86 time-stamp counter) and runs it as a command board: the
// harness's own console line is parsed.
func TestCommandDriverGeneratedHarness(t *testing.T) {
	needCToolchain(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("binds the TriCore cycle hook to the x86 time-stamp counter")
	}
	_, tree := mlpTree(t, connect(t, startNATS(t)))
	d := &hilbench.CommandDriver{
		Build: []string{"make", "-C", "{dir}", "harness",
			"CFLAGS=-std=c99 -O2 -D__TRICORE__ -include x86intrin.h -D'TCDSE_CYCLES()=((uint32_t)__rdtsc())' -DTCDSE_CYCLES_MASK=0xFFFFFFFFu"},
		Console: []string{"{dir}/harness"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := d.Run(ctx, unpackPacked(t, tree))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Built || !res.Pass || res.CyclesPerInference <= 0 || res.Vectors != 4 {
		t.Errorf("result %+v", res)
	}
}
