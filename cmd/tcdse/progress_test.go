package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tcdse/tcdse/workflows"
)

func TestProgressPlainLinesWithRateAndETA(t *testing.T) {
	var out strings.Builder
	clock := time.Unix(0, 0)
	b := &progressBar{w: &out, now: func() time.Time { return clock }}
	b.show(workflows.Progress{Phase: "sensitivity", Done: 0, Total: 40})
	for done := 1; done <= 40; done++ {
		clock = clock.Add(500 * time.Millisecond)
		b.show(workflows.Progress{Phase: "sensitivity", Done: done, Total: 40})
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	// One line at the start and one per tenth: not one per update.
	if len(lines) != 11 {
		t.Fatalf("%d lines, want 11:\n%s", len(lines), out.String())
	}
	if !strings.Contains(lines[5], "[sensitivity] 20/40 (2.00/s, ETA 10s)") {
		t.Errorf("halfway line %q, want the rate and the time left", lines[5])
	}
	if strings.Contains(out.String(), "\r") {
		t.Error("carriage returns in plain output")
	}
}

func TestRateETA(t *testing.T) {
	if got := rateETA(0, 10, time.Second); got != "rate -, ETA -" {
		t.Errorf("nothing done: %q", got)
	}
	if got := rateETA(30, 90, time.Minute); got != "0.50/s, ETA 2m0s" {
		t.Errorf("rateETA = %q", got)
	}
}
