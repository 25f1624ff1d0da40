package safetext

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriterRedactsAndEscapes(t *testing.T) {
	const key = "sk_live_s3cr3t_key"
	echo := base64.StdEncoding.EncodeToString([]byte(key + ":"))
	in := "a " + key + "\tb Basic " + echo + "\x1b]0;pwned\x07\n"

	var b strings.Builder
	w := NewWriter(&b, NewRedactor(key), "\n\t")
	n, err := w.Write([]byte(in))
	require.NoError(t, err)
	require.Equal(t, len(in), n, "the length of what was given, not of what was written")
	require.Equal(t, "a [redacted]\tb Basic [redacted]\\x1b]0;pwned\\x07\n", b.String())

	b.Reset()
	_, err = NewWriter(&b, NewRedactor(key), "").Write([]byte(in))
	require.NoError(t, err)
	require.Equal(t, "a [redacted]\tb Basic [redacted]\x1b]0;pwned\x07\n", b.String(), "keep empty: redacted, not escaped")

	b.Reset()
	_, err = NewWriter(&b, nil, "").Write([]byte(in))
	require.NoError(t, err)
	require.Equal(t, in, b.String(), "a nil redactor redacts nothing")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriterReportsTheUnderlyingError(t *testing.T) {
	n, err := NewWriter(failingWriter{}, NewRedactor("k3y"), "\n").Write([]byte("x"))
	require.EqualError(t, err, "disk full")
	require.Zero(t, n)
}
