// Package progress shows how a long job goes on a stream: on a terminal a
// bar redrawn in place, otherwise a plain line every interval and one at the
// end. The import command uses it on stderr.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ttyRedraw is how often the live progress bar is redrawn on a terminal.
const ttyRedraw = 200 * time.Millisecond

// The progress bar fits the terminal's width (ttyColumns when it cannot be
// known), leaving the last column free (writing there makes some terminals
// wrap); the bar itself is at most maxBarWidth cells wide, at least
// minBarWidth (else only the numbers are shown, cut to the width).
const (
	ttyColumns  = 80
	maxBarWidth = 40
	minBarWidth = 10
)

// Bar shows how a job of total rows goes: on a terminal a progress bar
// redrawn in place ("\r"), otherwise a plain line every interval and one at
// the end. Messages about single rows go through it too (Printf), so they
// never collide with the live line. It is safe for concurrent use.
type Bar struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	interval time.Duration
	total    int
	start    time.Time
	now      func() time.Time
	drawn    int // width of the live line on screen, 0 if none
	// Width, when set before Run, is the terminal's width in columns, read
	// at each redraw (it may be resized); nil means 80.
	Width func() int

	done, failed atomic.Int64

	stop chan struct{}
	wg   sync.WaitGroup
}

// New returns a display of total rows on w, a terminal when tty; interval
// is how often a plain line is printed when w is not a terminal (0: only at
// the end). Call Run to start it and Finish to end it.
func New(w io.Writer, tty bool, interval time.Duration, total int) *Bar {
	return &Bar{w: w, tty: tty, interval: interval, total: total, start: time.Now(), now: time.Now, stop: make(chan struct{})}
}

// Run starts redrawing (terminal) or printing (every interval) until Finish.
func (p *Bar) Run() {
	period := p.interval
	if p.tty {
		period = ttyRedraw
	}
	if period <= 0 {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.show()
			case <-p.stop:
				return
			}
		}
	}()
}

// Finish stops the updates and leaves a final progress line.
func (p *Bar) Finish() {
	close(p.stop)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw()
	if p.tty {
		fmt.Fprintln(p.w)
		p.drawn = 0
	}
}

// Printf prints a message on a line of its own, above the bar.
func (p *Bar) Printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.w, format+"\n", args...)
	if p.tty {
		p.draw()
	}
}

// AddDone counts a row done (failed or not).
func (p *Bar) AddDone() { p.done.Add(1) }

// AddFailed counts a row failed; it is counted done with AddDone as well.
func (p *Bar) AddFailed() { p.failed.Add(1) }

func (p *Bar) show() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw()
}

// clear erases the live line on a terminal.
func (p *Bar) clear() {
	if p.tty && p.drawn > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.drawn))
		p.drawn = 0
	}
}

func (p *Bar) draw() {
	if !p.tty {
		fmt.Fprintln(p.w, p.line())
		return
	}
	s := p.bar()
	pad := ""
	if n := p.drawn - len(s); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(p.w, "\r%s%s", s, pad)
	p.drawn = len(s)
}

// line is the plain progress line: done/total, rate, ETA and failures.
func (p *Bar) line() string {
	s := p.stats()
	return fmt.Sprintf("progress: %d/%d rows (%d%%), %.1f rows/s, ETA %s, %d failed", s.done, p.total, s.pct, s.rate, s.eta, s.failed)
}

// columns is the terminal's width now (it may have been resized).
func (p *Bar) columns() int {
	if p.Width == nil {
		return ttyColumns
	}
	return max(p.Width(), 2)
}

// bar is the terminal's progress bar, within the terminal's width less one:
// "[#########.........] 30/60 50% 12.3 rows/s ETA 3s failures 0". The bar's
// width leaves room for the widest numbers likely for this total, so that
// it does not change from one redraw to the next.
func (p *Bar) bar() string {
	s := p.stats()
	text := fmt.Sprintf("%d/%d %d%% %.1f rows/s ETA %s failures %d", s.done, p.total, s.pct, s.rate, s.eta, s.failed)
	widest := fmt.Sprintf("%d/%d 100%% 999.9 rows/s ETA 9h59m59s failures %d", p.total, p.total, p.total)
	cols := p.columns() - 1
	width := min(maxBarWidth, cols-len("[] ")-max(len(text), len(widest)))
	if width < minBarWidth {
		return text[:min(len(text), cols)]
	}
	filled := width
	if p.total > 0 {
		filled = int(min(s.done, int64(p.total)) * int64(width) / int64(p.total))
	}
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", width-filled) + "] " + text
}

// stats are the numbers both displays show.
type stats struct {
	done, failed int64
	pct          int
	rate         float64
	eta          string
}

func (p *Bar) stats() stats {
	done, failed := p.done.Load(), p.failed.Load()
	elapsed := p.now().Sub(p.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(done) / elapsed.Seconds()
	}
	eta := "?"
	switch remaining := int64(p.total) - done; {
	case remaining <= 0:
		eta = "0s"
	case rate > 0:
		eta = RoundDuration(time.Duration(float64(remaining) / rate * float64(time.Second))).String()
	}
	pct := 100
	if p.total > 0 {
		pct = int(done * 100 / int64(p.total))
	}
	return stats{done: done, failed: failed, pct: pct, rate: rate, eta: eta}
}

// RoundDuration keeps a duration readable: whole seconds from 10 s up,
// tenths below.
func RoundDuration(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}
