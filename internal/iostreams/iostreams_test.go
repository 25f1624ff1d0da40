package iostreams

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

const key = "sk_live_s3cr3t_key"

func streams() (*IO, *bytes.Buffer, *bytes.Buffer) {
	var out, err bytes.Buffer
	return &IO{Out: &out, Err: &err, Key: key}, &out, &err
}

func TestMessagesAndDataAreRedacted(t *testing.T) {
	s, out, errOut := streams()
	fmt.Fprintf(s.Stderr(), "refused %s\x1b[2J\n\tnext\n", key)
	require.Equal(t, "refused [redacted]\\x1b[2J\n\tnext\n", errOut.String())
	fmt.Fprintf(s.Stdout(), `{"note":%q}`+"\n", key)
	require.Equal(t, `{"note":"[redacted]"}`+"\n", out.String())
	require.Equal(t, "a [redacted]\\n", s.Redact("a "+key+"\n"))
	require.Equal(t, "[redacted]\\x07", s.RedactData(key+"\a"))

	s.Key = "sk_other_key" // a key set later is the one redacted
	require.Equal(t, "[redacted] "+key, s.Redact("sk_other_key "+key))
}

// A short key is redacted from messages, however mangled they get, but not
// from data, which it would corrupt; a key no server saw is not redacted
// from data either.
func TestShortOrUnseenKeysLeaveDataAlone(t *testing.T) {
	s, out, _ := streams()
	s.Key = "USD"
	require.Equal(t, "100 USD", s.RedactData("100 USD"))
	fmt.Fprint(s.Stdout(), "100 USD")
	require.Equal(t, "100 USD", out.String())
	require.Equal(t, "100 [redacted]", s.Redact("100 USD"))

	s.Key, s.KeyUnseen = key, true
	require.Equal(t, key, s.RedactData(key))
	require.Equal(t, "[redacted]", s.Redact(key))
}

func TestSystemStreams(t *testing.T) {
	s := System()
	require.NotNil(t, s.In)
	require.Positive(t, s.Width())
}
