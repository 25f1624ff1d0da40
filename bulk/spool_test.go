package bulk_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/bulk"
)

// lineNumbers ranges over rows, returning their lines (and failing on an
// error).
func lineNumbers(t *testing.T, rows bulk.Source) []int {
	t.Helper()
	var got []int
	for row, err := range rows {
		require.NoError(t, err)
		got = append(got, row.Line)
	}
	return got
}

func TestSpoolReadsTheRowsTwiceAndCloseRemovesThem(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	csv := "customer_uuid,owner,pipeline,pipeline_stage,estimated_close_date,currency,amount_in_cents\n" +
		"cus_1,a@example.org,New Business,Discovery,2024-04-21,USD,100\n" +
		"\n" + // a blank line in CSV is skipped
		"cus_2,b@example.org,New Business,Discovery,2024-04-21,USD,200\n"
	s, err := bulk.Spool(context.Background(), io.NopCloser(strings.NewReader(csv)), bulk.FormatCSV) // a reader that is no file
	require.NoError(t, err)
	left, err := os.ReadDir(os.TempDir())
	require.NoError(t, err)
	if runtime.GOOS == "windows" {
		require.Len(t, left, 1, "one temporary file, removed by Close")
	} else {
		require.Empty(t, left, "the copy has no name: a kill -9 leaves nothing behind")
	}

	rows := s.Rows()
	require.Equal(t, []int{2, 4}, lineNumbers(t, rows))
	require.Equal(t, []int{2, 4}, lineNumbers(t, rows), "read again, from the copy")
	require.NoError(t, s.Close())
	left, err = os.ReadDir(os.TempDir())
	require.NoError(t, err)
	require.Empty(t, left, "Close removes the copy")
}

func TestSpoolReadErrorIsASourceErrorAndLeavesNoFile(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	boom := errors.New("boom")
	s, err := bulk.Spool(context.Background(), io.MultiReader(strings.NewReader(`{"x":1}`+"\n"), iotest.ErrReader(boom)), bulk.FormatJSONL)
	require.Nil(t, s)
	var srcErr *bulk.SourceError
	require.ErrorAs(t, err, &srcErr)
	require.Equal(t, boom, srcErr.Err, "the reader's error, as it is")
	left, err := os.ReadDir(os.TempDir())
	require.NoError(t, err)
	require.Empty(t, left, "no file left")
}

func TestSpoolCannotCreateItsFile(t *testing.T) {
	t.Setenv("TMPDIR", "/nonexistent-"+t.Name())
	_, err := bulk.Spool(context.Background(), strings.NewReader(""), bulk.FormatJSONL)
	require.ErrorIs(t, err, os.ErrNotExist)
	var srcErr *bulk.SourceError
	require.False(t, errors.As(err, &srcErr), "not the source's fault")
}

// Ctrl-C while a pipe is still being read: Spool returns at once, with the
// context's error, and leaves no file, though the reader never returns.
func TestSpoolStopsWhenTheContextEnds(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	go pw.Write([]byte(`{"x":1}` + "\n")) // then nothing: the reader blocks
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := bulk.Spool(ctx, pr, bulk.FormatJSONL)
		done <- err
	}()
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	left, err := os.ReadDir(os.TempDir())
	require.NoError(t, err)
	require.Empty(t, left, "no file left")
}

// A context already ended: no file is made, whatever the reader holds.
func TestSpoolWithAnEndedContextMakesNoFile(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 200 { // the copy of a short reader could otherwise win the race
		_, err := bulk.Spool(ctx, strings.NewReader(`{"x":1}`+"\n"), bulk.FormatJSONL)
		require.ErrorIs(t, err, context.Canceled)
	}
	left, err := os.ReadDir(os.TempDir())
	require.NoError(t, err)
	require.Empty(t, left)
}

// The context ending as the reader reaches its end: the context wins, and
// no file is left.
func TestSpoolContextEndingWithTheCopy(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	r := readerFunc(func(p []byte) (int, error) {
		cancel()
		return 0, io.EOF
	})
	_, err := bulk.Spool(ctx, r, bulk.FormatJSONL)
	require.ErrorIs(t, err, context.Canceled)
	left, err := os.ReadDir(os.TempDir())
	require.NoError(t, err)
	require.Empty(t, left)
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// OpenSource reads a file as File does (in its name's format unless told),
// and its done does nothing.
func TestOpenSourceFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deals.csv")
	csv := "customer_uuid,owner,pipeline,pipeline_stage,estimated_close_date,currency,amount_in_cents\n\n" +
		"cus_1,a@example.org,New Business,Discovery,2024-04-21,USD,100\n" +
		"cus_2,b@example.org,New Business,Discovery,2024-04-21,USD,200\n"
	require.NoError(t, os.WriteFile(path, []byte(csv), 0o644))
	rows, done, err := bulk.OpenSource(context.Background(), path, "", nil)
	require.NoError(t, err)
	require.Equal(t, []int{3, 4}, lineNumbers(t, rows), "read as CSV, from its name")
	require.NoError(t, done())

	rows, done, err = bulk.OpenSource(context.Background(), path, bulk.FormatJSONL, nil)
	require.NoError(t, err)
	defer done()
	var problems int
	for row, err := range rows {
		require.NoError(t, err)
		problems += len(row.Problems)
	}
	require.Equal(t, 3, problems, "read as JSON Lines, as told: every line is invalid")
}

// A file that is missing or a directory is refused at once, as a
// SourceError, before anything else.
func TestOpenSourceRefusesWhatIsNoFile(t *testing.T) {
	dir := t.TempDir()
	_, _, err := bulk.OpenSource(context.Background(), filepath.Join(dir, "gone.csv"), "", nil)
	var srcErr *bulk.SourceError
	require.ErrorAs(t, err, &srcErr)
	require.ErrorIs(t, err, os.ErrNotExist)

	_, _, err = bulk.OpenSource(context.Background(), dir, "", nil)
	require.ErrorAs(t, err, &srcErr)
	require.ErrorIs(t, err, bulk.ErrSourceIsDir)
	require.Equal(t, dir+" is a directory", srcErr.Err.Error())
}

// "-" is stdin, kept in a temporary file that done removes.
func TestOpenSourceStdin(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	rows, done, err := bulk.OpenSource(context.Background(), "-", "", strings.NewReader(`{"x":1}`+"\n\n"+`{"x":2}`+"\n"))
	require.NoError(t, err)
	require.Equal(t, []int{1, 3}, lineNumbers(t, rows))
	require.Equal(t, []int{1, 3}, lineNumbers(t, rows), "read again, from the copy")
	require.NoError(t, done())

	_, _, err = bulk.OpenSource(context.Background(), "-", "", iotest.ErrReader(errors.New("boom")))
	var srcErr *bulk.SourceError
	require.ErrorAs(t, err, &srcErr, "stdin's fault")
	left, err := os.ReadDir(os.TempDir())
	require.NoError(t, err)
	require.Empty(t, left, "no file left")
}

// A stop that comes just as stdin's copy was kept still wins: the copy is
// released and the error is the context's.
func TestOpenSourceStdinStoppedAsTheCopyEnds(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	ctx := &lateContext{Context: context.Background(), after: 2} // Spool looks twice, and sees nothing
	_, done, err := bulk.OpenSource(ctx, "-", "", strings.NewReader(`{"x":1}`+"\n"))
	require.ErrorIs(t, err, context.Canceled)
	require.Nil(t, done)
	left, err := os.ReadDir(os.TempDir())
	require.NoError(t, err)
	require.Empty(t, left, "no file left")
}

// lateContext is a context whose Err reports it cancelled from its
// (after+1)th call on, though Done never closes.
type lateContext struct {
	context.Context
	after int
	calls atomic.Int32
}

func (c *lateContext) Err() error {
	if int(c.calls.Add(1)) > c.after {
		return context.Canceled
	}
	return nil
}

// A nil reader is the caller's mistake: an error, not a panic in the
// goroutine that copies it.
func TestSpoolANilReaderIsAnError(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	s, err := bulk.Spool(context.Background(), nil, bulk.FormatJSONL)
	require.Error(t, err)
	require.Nil(t, s)
	rows, done, err := bulk.OpenSource(context.Background(), "-", "", nil)
	require.ErrorContains(t, err, "reader is nil")
	require.Nil(t, rows)
	require.Nil(t, done)
	left, err := os.ReadDir(os.TempDir())
	require.NoError(t, err)
	require.Empty(t, left, "no copy is left")
}
