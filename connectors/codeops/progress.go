package codeops

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// ProgressBar draws "stage [#####-----] 45% 45000/100000" on one line of a
// terminal (or any writer), at most ten times a second; its Update is a
// csvfile.ImportOptions.Progress.
type ProgressBar struct {
	w     io.Writer
	now   func() time.Time
	last  time.Time
	stage string
}

// NewProgressBar returns a bar drawn on w.
func NewProgressBar(w io.Writer) *ProgressBar { return &ProgressBar{w: w, now: time.Now} }

// Update draws done of total for stage; the last update of a stage ends
// the line.
func (p *ProgressBar) Update(stage string, done, total int) {
	now := p.now()
	final := done >= total
	if stage == p.stage && !final && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.stage, p.last = stage, now
	const width = 30
	frac := 1.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r%-8s [%s%s] %3.0f%% %d/%d", stage, strings.Repeat("#", n), strings.Repeat("-", width-n), frac*100, done, total)
	if final {
		fmt.Fprintln(p.w)
	}
}
