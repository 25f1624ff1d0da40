package bulk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// A failure to write the copy is the disk's, not the input's: it is no
// SourceError (the CLI then says "keeping stdin", exit 1, not "reading
// stdin", exit 2). /dev/full fails every write, as a full disk does.
func TestSpoolWriteErrorIsNotTheSources(t *testing.T) {
	// Through a link in a temporary directory, so that nothing could touch
	// /dev/full itself.
	link := filepath.Join(t.TempDir(), "full")
	require.NoError(t, os.Symlink("/dev/full", link))
	f, err := os.OpenFile(link, os.O_WRONLY, 0)
	require.NoError(t, err)
	defer f.Close()
	_, err = spoolInto(context.Background(), f, strings.NewReader(strings.Repeat("x", 1<<16)))
	require.Error(t, err)
	var srcErr *SourceError
	require.False(t, errors.As(err, &srcErr), "%v", err)
	require.ErrorIs(t, err, syscall.ENOSPC)
	_, err = os.Stat("/dev/full")
	require.NoError(t, err, "/dev/full itself is left alone")
}
