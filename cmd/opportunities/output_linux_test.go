package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/internal/iostreams"
)

// What cobra prints itself (the version, a completion script) on a stdout
// that cannot be written is a failure (1), not a usage error (2).
func TestVersionAndCompletionOnAFullDisk(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	require.NoError(t, err)
	defer full.Close()
	for _, args := range [][]string{{"--version"}, {"version"}, {"completion", "bash"}} {
		var stderr bytes.Buffer
		e := &env{ios: &iostreams.IO{In: strings.NewReader(""), Out: full, Err: &stderr}, getenv: func(string) string { return "" }}
		require.Equal(t, exitError, run(e, args), "%v: %s", args, stderr.String())
		require.Contains(t, stderr.String(), "writing the output: write /dev/full: no space left on device", args)
		require.NotContains(t, stderr.String(), "--help", args)
	}
}
