package progress

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestProgressDisplay(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 10, 0, time.UTC)
	newAt := func(w *bytes.Buffer, tty bool) *Bar {
		p := New(w, tty, 0, 100)
		p.start, p.now = now.Add(-10*time.Second), func() time.Time { return now }
		return p
	}

	var plain bytes.Buffer
	p := newAt(&plain, false)
	p.done.Store(40)
	p.failed.Store(2)
	require.Equal(t, "progress: 40/100 rows (40%), 4.0 rows/s, ETA 15s, 2 failed", p.line())
	p.Run() // interval 0: no periodic lines
	p.Printf("line %d: failed", 7)
	p.Finish()
	require.Equal(t, "line 7: failed\nprogress: 40/100 rows (40%), 4.0 rows/s, ETA 15s, 2 failed\n", plain.String())

	// On a terminal: a bar redrawn in place, messages above it.
	var tty bytes.Buffer
	p = newAt(&tty, true)
	p.show()
	p.done.Store(100)
	p.Printf("line 9: failed")
	p.Finish()
	out := tty.String()
	empty := "[" + strings.Repeat(".", 25) + "] 0/100 0% 0.0 rows/s ETA ? failures 0"
	full := "[" + strings.Repeat("#", 25) + "] 100/100 100% 10.0 rows/s ETA 0s failures 0"
	require.True(t, strings.HasPrefix(out, "\r"+empty), "%q", out)
	require.Contains(t, out, "\r"+strings.Repeat(" ", len(empty))+"\rline 9: failed\n")
	require.True(t, strings.HasSuffix(out, "\r"+full+"\n"), "%q", out)
	require.Equal(t, 1, strings.Count(out, "\n")-1, "only the message and the final line end lines")

	// The bar: filled in proportion, as wide as the widest numbers for the
	// total allow (so its width holds still), within 79 columns; the numbers
	// alone when they leave too little room for a bar.
	for _, c := range []struct {
		total, done, failed int64
		want                string
	}{
		{60, 30, 0, "[##############..............] 30/60 50% 3.0 rows/s ETA 10s failures 0"},
		{3, 1, 1, "[##########.....................] 1/3 33% 0.1 rows/s ETA 20s failures 1"},
		{0, 0, 0, "[###############################] 0/0 100% 0.0 rows/s ETA 0s failures 0"},
		{20000, 5000, 3, "[####...............] 5000/20000 25% 500.0 rows/s ETA 30s failures 3"},
		{1234567, 1000000, 12345, "[##########...] 1000000/1234567 81% 100000.0 rows/s ETA 2.3s failures 12345"},
	} {
		p := New(io.Discard, true, 0, int(c.total))
		p.start, p.now = now.Add(-10*time.Second), func() time.Time { return now }
		p.done.Store(c.done)
		p.failed.Store(c.failed)
		got := p.bar()
		require.Equal(t, c.want, got)
		require.LessOrEqual(t, len(got), 79, got)
	}
	p = New(io.Discard, true, 0, 4_000_000_000_000)
	p.start, p.now = now.Add(-10*time.Second), func() time.Time { return now }
	p.done.Store(2_000_000_000_000)
	p.failed.Store(1_000_000_000_000)
	require.Equal(t, "2000000000000/4000000000000 50% 200000000000.0 rows/s ETA 10s failures 1000000000000"[:79], p.bar(),
		"no room for a bar: the numbers alone, cut to the width")

	// The terminal's width, read at each redraw: a wide one gets the widest
	// bar, a narrow one the numbers cut to fit, never a wrapped line.
	cols := 120
	p = New(io.Discard, true, 0, 60)
	p.start, p.now, p.Width = now.Add(-10*time.Second), func() time.Time { return now }, func() int { return cols }
	p.done.Store(30)
	require.Equal(t, "["+strings.Repeat("#", 20)+strings.Repeat(".", 20)+"] 30/60 50% 3.0 rows/s ETA 10s failures 0", p.bar())
	cols = 30
	require.Equal(t, "30/60 50% 3.0 rows/s ETA 10s ", p.bar(), "29 columns: the last one stays free")
}

func TestRoundDuration(t *testing.T) {
	require.Equal(t, 12*time.Second, RoundDuration(12400*time.Millisecond))
	require.Equal(t, 2300*time.Millisecond, RoundDuration(2340*time.Millisecond))
}
