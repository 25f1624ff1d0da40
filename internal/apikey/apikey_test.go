package apikey

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func keyFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(name, []byte(content), mode))
	require.NoError(t, os.Chmod(name, mode)) // whatever the umask
	return name
}

func TestResolveTakesTheFirstSourceSet(t *testing.T) {
	file := keyFile(t, "from-file\n", 0o600)
	for _, c := range []struct {
		s    Sources
		want string
	}{
		{Sources{Flag: "from-flag", Env: "from-env"}, "from-flag"},
		{Sources{File: file, Env: "from-env"}, "from-file"},
		{Sources{Env: "from-env"}, "from-env"},
		{Sources{}, ""},
	} {
		key, err := c.s.Resolve()
		require.NoError(t, err)
		require.Equal(t, c.want, key)
	}
}

func TestResolveRefusesFlagAndFileButReturnsTheFlag(t *testing.T) {
	key, err := Sources{Flag: "from-flag", File: keyFile(t, "from-file\n", 0o600)}.Resolve()
	require.EqualError(t, err, "--api-key and --api-key-file cannot be combined")
	require.Equal(t, "from-flag", key, "to be redacted all the same")
}

func TestFileFirstLineOnlyTrimmed(t *testing.T) {
	key, err := Sources{File: keyFile(t, "  sk_live_key \t\r\nsecond line\n", 0o600)}.Resolve()
	require.NoError(t, err)
	require.Equal(t, "sk_live_key", key)

	key, err = Sources{File: keyFile(t, "no line break", 0o600)}.Resolve()
	require.NoError(t, err)
	require.Equal(t, "no line break", key)
	key, err = Sources{File: keyFile(t, "\ufeffsk_live_key\r\n", 0o600)}.Resolve()
	require.NoError(t, err)
	require.Equal(t, "sk_live_key", key, "the BOM a Windows editor writes first is not part of the key")
}

// Stdin is read up to the line break and no further: the rest is left for
// the next reader.
func TestStdinIsLeftAfterTheFirstLine(t *testing.T) {
	stdin := strings.NewReader("sk_live_key\n{\"rest\":1}\n")
	key, err := Sources{File: "-", Stdin: stdin}.Resolve()
	require.NoError(t, err)
	require.Equal(t, "sk_live_key", key)
	rest, err := io.ReadAll(stdin)
	require.NoError(t, err)
	require.Equal(t, "{\"rest\":1}\n", string(rest))
}

func TestFileProblems(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	empty := keyFile(t, " \nsk_live_key\n", 0o600)
	long := keyFile(t, strings.Repeat("k", MaxLine+1)+"\n", 0o600)
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	for _, c := range []struct{ file, want string }{
		{dir, "--api-key-file " + dir + ": is a directory"},
		{missing, "--api-key-file: open " + missing + ": no such file or directory"},
		{empty, "--api-key-file " + empty + ": the first line is empty"},
		{long, "--api-key-file " + long + ": the first line is longer than 4096 bytes: not a key"},
		{"-", "--api-key-file -: the first line is empty"},
	} {
		var warned []string
		key, err := Sources{File: c.file, Stdin: strings.NewReader(""), Warn: func(m string) { warned = append(warned, m) }}.Resolve()
		require.EqualError(t, err, c.want)
		require.Empty(t, warned, "no warning about a file that is refused")
		require.Empty(t, key)
	}
	exact := keyFile(t, strings.Repeat("k", MaxLine), 0o600)
	key, err := Sources{File: exact}.Resolve()
	require.NoError(t, err)
	require.Len(t, key, MaxLine, "a line of MaxLine bytes is still a key")
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestStdinReadError(t *testing.T) {
	_, err := Sources{File: "-", Stdin: failingReader{}}.Resolve()
	require.EqualError(t, err, "--api-key-file -: broken pipe")
}
