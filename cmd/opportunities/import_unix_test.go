//go:build !windows

package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
