//go:build !windows

package bulk_test

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/bulk"
)

// A FIFO is not a journal, and is not opened to find out: opening one
// blocks until a writer comes.
func TestIsJournalFileDoesNotOpenAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "x.fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	done := make(chan bool, 1)
	go func() { done <- bulk.IsJournalFile(fifo) }()
	select {
	case is := <-done:
		require.False(t, is)
	case <-time.After(5 * time.Second):
		t.Fatal("IsJournalFile blocked on a FIFO")
	}
}
