package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tcdse/tcdse/workflows"
)

// progressBar draws a sweep's progress on one terminal line with its rate and an ETA, or, when
// the output is not a terminal (CI logs), prints a plain line per phase and every tenth of the
// work.
type progressBar struct {
	w       io.Writer
	tty     bool
	last    workflows.Progress
	drawn   bool
	start   time.Time
	now     func() time.Time
	lastTen int
}

func newProgressBar(w io.Writer) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressBar{w: w, tty: tty, now: time.Now, start: time.Now()}
}

// rateETA describes the pace so far: tasks per second and the time left at that pace.
func rateETA(done, total int, elapsed time.Duration) string {
	if done <= 0 || elapsed <= 0 {
		return "rate -, ETA -"
	}
	rate := float64(done) / elapsed.Seconds()
	left := time.Duration(float64(total-done) / rate * float64(time.Second))
	if left < 0 {
		left = 0
	}
	return fmt.Sprintf("%.2f/s, ETA %s", rate, left.Round(time.Second))
}

func (b *progressBar) show(p workflows.Progress) {
	if b.start.IsZero() {
		b.start = b.now()
	}
	if p == b.last && b.drawn {
		return
	}
	frac := 0.0
	if p.Total > 0 {
		frac = float64(p.Done) / float64(p.Total)
	}
	pace := rateETA(p.Done, p.Total, b.now().Sub(b.start))
	if !b.tty {
		ten := int(frac * 10)
		if p.Phase != b.last.Phase || !b.drawn || ten > b.lastTen {
			fmt.Fprintf(b.w, "[%s] %d/%d (%s)\n", p.Phase, p.Done, p.Total, pace)
			b.lastTen = ten
		}
		b.last, b.drawn = p, true
		return
	}
	const width = 30
	n := int(frac * width)
	if n > width {
		n = width
	}
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%% %d/%d %-12s %-24s", strings.Repeat("#", n), strings.Repeat(".", width-n), 100*frac, p.Done, p.Total, p.Phase, pace)
	b.last, b.drawn = p, true
}

func (b *progressBar) finish() {
	if b.tty && b.drawn {
		fmt.Fprintln(b.w)
	}
	if b.last.Note != "" {
		fmt.Fprintln(b.w, b.last.Note)
	}
}

// say prints a status line (on its own line, below the bar on a terminal).
func (b *progressBar) say(msg string) {
	if b.tty && b.drawn {
		fmt.Fprintln(b.w)
	}
	fmt.Fprintln(b.w, msg)
	b.drawn = false
}
