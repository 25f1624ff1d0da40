package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/bulk"
)

// In-process tests of the pieces the end-to-end tests cannot reach easily.

// The typing of custom values itself is wrapper.TypedCustomValue's, tested
// in package wrapper.
func TestCustomFlag(t *testing.T) {
	var c customFlag
	require.NoError(t, c.Set("seats=3"))
	require.NoError(t, c.Set("zip:=02134"))
	require.NoError(t, c.Set("flag:=true"))
	require.NoError(t, c.Set("eq=a=b"))
	require.Equal(t, map[string]any{"seats": int64(3), "zip": "02134", "flag": "true", "eq": "a=b"}, c.m)
	require.ErrorContains(t, c.Set("seats=4"), "given twice")
	require.Error(t, c.Set("=1"))
	require.Error(t, c.Set("novalue"))
	require.ErrorContains(t, c.Set("big=99999999999999999999"), "big:=99999999999999999999")
}

func TestProgressDisplay(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 10, 0, time.UTC)
	newAt := func(w *bytes.Buffer, tty bool) *progress {
		p := newProgress(w, tty, 0, 100)
		p.start, p.now = now.Add(-10*time.Second), func() time.Time { return now }
		return p
	}

	var plain bytes.Buffer
	p := newAt(&plain, false)
	p.done.Store(40)
	p.failed.Store(2)
	require.Equal(t, "progress: 40/100 rows (40%), 4.0 rows/s, ETA 15s, 2 failed", p.line())
	p.run() // interval 0: no periodic lines
	p.printf("line %d: failed", 7)
	p.finish()
	require.Equal(t, "line 7: failed\nprogress: 40/100 rows (40%), 4.0 rows/s, ETA 15s, 2 failed\n", plain.String())

	// On a terminal: a bar redrawn in place, messages above it.
	var tty bytes.Buffer
	p = newAt(&tty, true)
	p.show()
	p.done.Store(100)
	p.printf("line 9: failed")
	p.finish()
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
		p := newProgress(io.Discard, true, 0, int(c.total))
		p.start, p.now = now.Add(-10*time.Second), func() time.Time { return now }
		p.done.Store(c.done)
		p.failed.Store(c.failed)
		got := p.bar()
		require.Equal(t, c.want, got)
		require.LessOrEqual(t, len(got), 79, got)
	}
	p = newProgress(io.Discard, true, 0, 4_000_000_000_000)
	p.start, p.now = now.Add(-10*time.Second), func() time.Time { return now }
	p.done.Store(2_000_000_000_000)
	p.failed.Store(1_000_000_000_000)
	require.Equal(t, "2000000000000/4000000000000 50% 200000000000.0 rows/s ETA 10s failures 1000000000000"[:79], p.bar(),
		"no room for a bar: the numbers alone, cut to the width")

	// The terminal's width, read at each redraw: a wide one gets the widest
	// bar, a narrow one the numbers cut to fit, never a wrapped line.
	cols := 120
	p = newProgress(io.Discard, true, 0, 60)
	p.start, p.now, p.width = now.Add(-10*time.Second), func() time.Time { return now }, func() int { return cols }
	p.done.Store(30)
	require.Equal(t, "["+strings.Repeat("#", 20)+strings.Repeat(".", 20)+"] 30/60 50% 3.0 rows/s ETA 10s failures 0", p.bar())
	cols = 30
	require.Equal(t, "30/60 50% 3.0 rows/s ETA 10s ", p.bar(), "29 columns: the last one stays free")
}

func TestResumeArgs(t *testing.T) {
	dir := t.TempDir()
	journal := filepath.Join(dir, "run.log")
	require.NoError(t, os.WriteFile(journal, []byte("\n"+`{"line":2,"state":"sending","at":"2024-03-21T06:46:23Z"}`+"\n"), 0o644))
	input := filepath.Join(dir, "deals.jsonl")
	require.NoError(t, os.WriteFile(input, []byte(`{"customer_uuid":"cus_x","line":3,"state":"sending"}`+"\n"), 0o644))
	csv := filepath.Join(dir, "deals.csv")
	require.NoError(t, os.WriteFile(csv, []byte("customer_uuid,owner\n"), 0o644))
	v2 := filepath.Join(dir, "run-2.log") // a journal of today's format
	j, err := bulk.OpenJournal(v2, bulk.JournalOptions{Source: "deals.jsonl"})
	require.NoError(t, err)
	require.NoError(t, j.Close())

	root := newRoot(&env{getenv: func(string) string { return "" }})
	for _, c := range []struct{ in, want []string }{
		{[]string{"--resume", "deals.csv.journal", "deals.csv"}, []string{"--resume=deals.csv.journal", "deals.csv"}},
		{[]string{"-resume", "x.journal"}, []string{"--resume=x.journal"}},
		{[]string{"deals.csv", "--resume", "x.journal"}, []string{"deals.csv", "--resume=x.journal"}},
		{[]string{"--resume", journal, input}, []string{"--resume=" + journal, input}},
		{[]string{"--resume", input}, []string{"--resume", input}},
		{[]string{"--resume", csv}, []string{"--resume", csv}},
		{[]string{"--resume", "-"}, []string{"--resume", "-"}},
		{[]string{"--resume", "--skip-invalid", "x.journal"}, []string{"--resume", "--skip-invalid", "x.journal"}},
		{[]string{"--resume=a.journal", "b.journal"}, []string{"--resume=a.journal", "b.journal"}},
		{[]string{"--journal", "--resume", "x.journal"}, []string{"--journal", "--resume", "x.journal"}},
		{[]string{"--format", "jsonl", "--skip-invalid", "--fake", "--resume", "x.journal"}, []string{"--format", "jsonl", "--skip-invalid", "--fake", "--resume=x.journal"}},
		{[]string{"--timeout", "1s", "--resume", "x.journal"}, []string{"--timeout", "1s", "--resume=x.journal"}},
		{[]string{"--", "--resume", "x.journal"}, []string{"--", "--resume", "x.journal"}},
		{[]string{"--colour", "--resume", "x.journal"}, []string{"--colour", "--resume=x.journal"}},
		{[]string{"-h", "--resume", "x.journal"}, []string{"-h", "--resume=x.journal"}},
		{[]string{"-journal", "j", "-skip-invalid", "-resume", "x.journal"}, []string{"--journal", "j", "--skip-invalid", "--resume=x.journal"}},
		{[]string{"--resume"}, []string{"--resume"}},
		{[]string{"--resume", v2, input}, []string{"--resume=" + v2, input}},
	} {
		require.Equal(t, append([]string{"import"}, c.want...), normalizeArgs(root, append([]string{"import"}, c.in...)), "%q", c.in)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestFailRedactsTheKey(t *testing.T) {
	var buf bytes.Buffer
	e := &env{stderr: &buf, cmd: "get", key: "sk_live_s3cr3t_key"}
	require.Equal(t, exitError, e.fail(errors.New("dial https://sk_live_s3cr3t_key@host: refused"), nil))
	require.Equal(t, "opportunities get: dial https://[redacted]@host: refused\n", buf.String())

	buf.Reset()
	e.key = "k" // however short, a key is redacted; a message may be mangled
	require.Equal(t, exitUsage, e.fail(usagef("bad kind"), nil))
	require.Equal(t, "opportunities get: bad [redacted]ind\nRun 'opportunities get --help' for usage.\n", buf.String())

	buf.Reset()
	e.key = "sk_live_s3cr3t_key"
	echo := base64.StdEncoding.EncodeToString([]byte(e.key + ":"))
	require.Equal(t, exitError, e.fail(errors.New("proxy: bad header Basic "+echo+"\x1b]0;pwned\x07"), nil))
	require.Equal(t, "opportunities get: proxy: bad header Basic [redacted]\\x1b]0;pwned\\x07\n", buf.String())
}
