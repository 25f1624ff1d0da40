package main

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

// progress shows how an import goes on stderr: on a terminal a progress bar
// redrawn in place ("\r"), otherwise a plain line every interval and one at
// the end.
// Messages about single rows go through it too, so they never collide with
// the live line. It is safe for concurrent use.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	interval time.Duration
	total    int
	start    time.Time
	now      func() time.Time
	drawn    int        // width of the live line on screen, 0 if none
	width    func() int // the terminal's columns, read at each redraw (nil: ttyColumns)

	done, failed atomic.Int64

	stop chan struct{}
	wg   sync.WaitGroup
}

func newProgress(w io.Writer, tty bool, interval time.Duration, total int) *progress {
	return &progress{w: w, tty: tty, interval: interval, total: total, start: time.Now(), now: time.Now, stop: make(chan struct{})}
}

// run starts redrawing (terminal) or printing (every interval) until finish.
func (p *progress) run() {
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

// finish stops the updates and leaves a final progress line.
func (p *progress) finish() {
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

// printf prints a message on a line of its own.
func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	fmt.Fprintf(p.w, format+"\n", args...)
	if p.tty {
		p.draw()
	}
}

func (p *progress) show() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw()
}

// clear erases the live line on a terminal.
func (p *progress) clear() {
	if p.tty && p.drawn > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.drawn))
		p.drawn = 0
	}
}

func (p *progress) draw() {
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
func (p *progress) line() string {
	s := p.stats()
	return fmt.Sprintf("progress: %d/%d rows (%d%%), %.1f rows/s, ETA %s, %d failed", s.done, p.total, s.pct, s.rate, s.eta, s.failed)
}

// columns is the terminal's width now (it may have been resized).
func (p *progress) columns() int {
	if p.width == nil {
		return ttyColumns
	}
	return max(p.width(), 2)
}

// bar is the terminal's progress bar, within the terminal's width less one:
// "[#########.........] 30/60 50% 12.3 rows/s ETA 3s failures 0". The bar's
// width leaves room for the widest numbers likely for this total, so that
// it does not change from one redraw to the next.
func (p *progress) bar() string {
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

// progressStats are the numbers both displays show.
type progressStats struct {
	done, failed int64
	pct          int
	rate         float64
	eta          string
}

func (p *progress) stats() progressStats {
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
		eta = roundDuration(time.Duration(float64(remaining) / rate * float64(time.Second))).String()
	}
	pct := 100
	if p.total > 0 {
		pct = int(done * 100 / int64(p.total))
	}
	return progressStats{done: done, failed: failed, pct: pct, rate: rate, eta: eta}
}

// roundDuration keeps a duration readable: whole seconds above 10 s, tenths
// below.
func roundDuration(d time.Duration) time.Duration {
	if d >= 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}
