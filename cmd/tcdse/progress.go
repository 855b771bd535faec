package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tcdse/tcdse/workflows"
)

// progressBar draws a sweep's progress on one terminal line, or prints a line per phase when
// the output is not a terminal (CI logs).
type progressBar struct {
	w     io.Writer
	tty   bool
	last  workflows.Progress
	drawn bool
}

func newProgressBar(w io.Writer) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressBar{w: w, tty: tty}
}

func (b *progressBar) show(p workflows.Progress) {
	if p == b.last && b.drawn {
		return
	}
	if !b.tty {
		if p.Phase != b.last.Phase || !b.drawn {
			fmt.Fprintf(b.w, "[%s] %d/%d\n", p.Phase, p.Done, p.Total)
		}
		b.last, b.drawn = p, true
		return
	}
	const width = 30
	frac := 0.0
	if p.Total > 0 {
		frac = float64(p.Done) / float64(p.Total)
	}
	n := int(frac * width)
	if n > width {
		n = width
	}
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%% %d/%d %-12s", strings.Repeat("#", n), strings.Repeat(".", width-n), 100*frac, p.Done, p.Total, p.Phase)
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
