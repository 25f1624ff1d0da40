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

// A FIFO or a device is no journal: it is neither resumed nor begun (reading
// one could block or never end), and is refused at once.
func TestJournalRefusesAFIFOOrADevice(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "x.fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for _, path := range []string{fifo, "/dev/zero"} {
		for _, resume := range []bool{true, false} {
			done := make(chan error, 1)
			go func() {
				j, err := bulk.OpenJournal(path, bulk.JournalOptions{Resume: resume})
				if j != nil {
					j.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				require.ErrorIs(t, err, bulk.ErrNotAJournal, "%s, resume %v", path, resume)
				require.ErrorContains(t, err, "not a regular file")
			case <-time.After(5 * time.Second):
				t.Fatalf("OpenJournal blocked on %s (resume %v)", path, resume)
			}
		}
		_, err := bulk.CreateJournal(path, bulk.JournalOptions{})
		require.ErrorIs(t, err, bulk.ErrNotAJournal, path)
	}
}
