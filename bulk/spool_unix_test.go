//go:build unix

package bulk_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/bulk"
)

const threeRows = `{"customer_uuid":"cus_1"}` + "\n" + `{"customer_uuid":"cus_2"}` + "\n\n" + `{"customer_uuid":"cus_3"}` + "\n"

// twice ranges over rows twice, as Run does, and returns the lines of each
// pass; it fails the test if a pass blocks.
func twice(t *testing.T, rows bulk.Source) (first, second []int) {
	t.Helper()
	for _, pass := range []*[]int{&first, &second} {
		done := make(chan []int, 1)
		go func() {
			var got []int
			for row, err := range rows {
				if err != nil {
					break
				}
				got = append(got, row.Line)
			}
			done <- got
		}()
		select {
		case *pass = <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("reading the rows blocked")
		}
	}
	return first, second
}

// A FIFO is read once, into a copy: reading it a second time (the send
// pass) would wait forever for another writer.
func TestOpenSourceCopiesAFIFO(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	fifo := filepath.Join(t.TempDir(), "deals.jsonl")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	wrote := make(chan error, 1)
	go func() { wrote <- os.WriteFile(fifo, []byte(threeRows), 0) }() // waits for the reader
	rows, done, err := bulk.OpenSource(context.Background(), fifo, "", nil)
	require.NoError(t, err)
	first, second := twice(t, rows)
	require.Equal(t, []int{1, 2, 4}, first)
	require.Equal(t, first, second, "the second pass reads the copy")
	require.NoError(t, <-wrote)
	require.NoError(t, done())
	left, err := os.ReadDir(os.TempDir())
	require.NoError(t, err)
	require.Empty(t, left)
}

// A pipe named by its descriptor (what the shell's <(...) gives) is copied
// too: opened again, it would yield nothing the second time.
func TestOpenSourceCopiesAPipeNamedByItsDescriptor(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	path := fmt.Sprintf("/dev/fd/%d", r.Fd())
	_, err = os.Stat(path)
	require.NoError(t, err, "Linux and macOS name a descriptor so")
	go func() {
		w.WriteString(threeRows)
		w.Close()
	}()
	rows, done, err := bulk.OpenSource(context.Background(), path, bulk.FormatJSONL, nil)
	require.NoError(t, err)
	defer done()
	first, second := twice(t, rows)
	require.Equal(t, []int{1, 2, 4}, first)
	require.Equal(t, first, second)
}

// Stopped while a FIFO waits for its writer: OpenSource returns ctx's error
// at once, leaves no copy, and does not stay in the FIFO's open.
func TestOpenSourceStopsWhileAFIFOWaitsForItsWriter(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	fifo := filepath.Join(t.TempDir(), "deals.csv")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	type result struct {
		rows bulk.Source
		err  error
	}
	got := make(chan result, 1)
	go func() {
		rows, _, err := bulk.OpenSource(ctx, fifo, "", nil)
		got <- result{rows, err}
	}()
	select {
	case r := <-got:
		require.ErrorIs(t, r.err, context.Canceled)
		require.Nil(t, r.rows)
	case <-time.After(5 * time.Second):
		t.Fatal("OpenSource did not stop while the FIFO waited for a writer")
	}
	left, err := os.ReadDir(os.TempDir())
	require.NoError(t, err)
	require.Empty(t, left, "no copy is left")
	// Nothing is left waiting in the FIFO's open (for a writer that may
	// never come). Looked for in the goroutines' stacks: opening the FIFO
	// to find out would release it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "pathReader") {
			break
		}
		require.True(t, time.Now().Before(deadline), "a goroutine still waits in the FIFO's open:\n%s", stacks)
		time.Sleep(20 * time.Millisecond)
	}
}
