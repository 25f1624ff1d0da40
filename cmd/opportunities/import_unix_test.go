//go:build !windows

package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
)

// kill -9 while stdin is being copied leaves no copy behind either: the
// copy never has a name (Windows, which cannot unlink an open file, keeps
// one until the command ends).
func TestImportKilledWhileReadingStdinLeavesNothing(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	s := prepareCLI([]string{"TMPDIR=" + tmp}, "--fake", "import", "--journal", filepath.Join(t.TempDir(), "j.journal"), "-")
	stdin, err := s.cmd.StdinPipe()
	require.NoError(t, err)
	t.Cleanup(func() { stdin.Close() })
	s.start(t)
	_, err = io.WriteString(stdin, strings.Repeat(`{"customer_uuid":"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7"}`+"\n", 1000))
	require.NoError(t, err)
	waitSpooling(t, s, tmp)
	require.NoError(t, s.cmd.Process.Kill())
	s.wait(t, 20*time.Second)
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, entries, "no copy of the input is left")
}

// mkfifo makes a FIFO named name in a temporary directory.
func mkfifo(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	return path
}

// A FIFO is read once, into a copy (as stdin is): reading it again for the
// send pass waited forever for another writer.
func TestImportFromAFIFO(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	fifo := mkfifo(t, "rows.jsonl")
	data, err := os.ReadFile(jsonlFile(t, 3))
	require.NoError(t, err)
	s := prepareCLI(nil, srvArgs(srv, "import", "--journal", filepath.Join(t.TempDir(), "j.journal"), fifo)...)
	s.start(t)
	wrote := make(chan error, 1)
	go func() { wrote <- os.WriteFile(fifo, data, 0) }() // waits for the command to open it
	r := s.wait(t, 30*time.Second)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 3, summary(t, r.stderr)["created"])
	require.NoError(t, <-wrote)
	requireEachRowOnce(t, srv, 3)
}

// What the shell's <(...) gives: a pipe named /dev/fd/N.
func TestImportFromAPipeNamedByItsDescriptor(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	data, err := os.ReadFile(jsonlFile(t, 3))
	require.NoError(t, err)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	s := prepareCLI(nil, srvArgs(srv, "import", "--journal", filepath.Join(t.TempDir(), "j.journal"), "/dev/fd/3")...)
	s.cmd.ExtraFiles = []*os.File{pr} // fd 3 in the command
	s.start(t)
	pr.Close()
	_, err = pw.Write(data)
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	r := s.wait(t, 30*time.Second)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 3, summary(t, r.stderr)["created"])
	requireEachRowOnce(t, srv, 3)
}

// Ctrl-C while a FIFO still waits for its writer ends the command (130),
// with nothing sent, no copy and no journal: it used to wait in the FIFO's
// open, deaf to every signal.
func TestImportInterruptedWhileAFIFOWaitsForItsWriter(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	fifo := mkfifo(t, "rows.jsonl")
	tmp, journal := t.TempDir(), filepath.Join(t.TempDir(), "j.journal")
	s := prepareCLI([]string{"TMPDIR=" + tmp}, srvArgs(srv, "import", "--journal", journal, fifo)...)
	s.start(t)
	waitSpooling(t, s, tmp) // the copy is made before the FIFO is opened
	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	r := s.wait(t, 20*time.Second)
	require.Equal(t, 130, r.code, r.stderr)
	require.Contains(t, r.stderr, "interrupted: reading "+fifo+" (nothing was sent)")
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, entries, "no copy of the input is left")
	_, err = os.Stat(journal)
	require.ErrorIs(t, err, os.ErrNotExist, "no journal")
	require.Zero(t, totalRequests(srv))
}
