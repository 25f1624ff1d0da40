package safetext

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// echoes are the ways a server or proxy could send key back.
func echoes(key string) []string {
	userinfo := []byte(key + ":")
	return []string{
		key,
		"Basic " + base64.StdEncoding.EncodeToString(userinfo),
		base64.RawStdEncoding.EncodeToString(userinfo),
		base64.URLEncoding.EncodeToString(userinfo),
		strings.ReplaceAll(base64.StdEncoding.EncodeToString(userinfo), "/", `\/`),
		url.QueryEscape(key),
		url.PathEscape(key),
	}
}

func TestRedactorReplacesEveryForm(t *testing.T) {
	for _, key := range []string{"sk_test_5ecret-Key", "k", "ab", "a/b+c?d", "[redacted]", "e", "key with spaces", "ключ"} {
		r := NewRedactor(key)
		for _, echo := range echoes(key) {
			in := "before " + echo + " after"
			out := r.String(in)
			for _, form := range echoes(key) {
				require.NotContains(t, out, form, "key %q, echo %q", key, echo)
			}
			require.Contains(t, out, r.Marker())
			require.Equal(t, out, string(r.Bytes([]byte(in))))
		}
	}
}

func TestRedactorPicksAMarkerTheKeyCannotCompleteAcross(t *testing.T) {
	r := NewRedactor("]x")
	require.NotEqual(t, "[redacted]", r.Marker())
	require.NotContains(t, r.String("]xx ]]x"), "]x")
}

func TestRedactorIsInertWhenEmptyOrNil(t *testing.T) {
	var nilR *Redactor
	require.Equal(t, "x", nilR.String("x"))
	require.Equal(t, []byte("x"), nilR.Bytes([]byte("x")))
	require.Equal(t, []byte("x"), nilR.TrimPartial([]byte("x")))
	require.False(t, NewRedactor("").Active())
	require.Equal(t, DefaultMarker, nilR.Marker())
}

func TestRedactorNeverPrintsTheKey(t *testing.T) {
	r := NewRedactor("sk_test_5ecret-Key")
	holder := struct{ r *Redactor }{r}
	for _, v := range []any{r, *r, holder} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			for _, form := range echoes("sk_test_5ecret-Key") {
				require.NotContains(t, fmt.Sprintf(verb, v), form)
			}
		}
	}
}

func TestTrimPartialHidesAKeyCutShort(t *testing.T) {
	key := "sk_test_5ecret-Key"
	r := NewRedactor(key)
	require.Equal(t, "msg "+r.Marker(), string(r.TrimPartial([]byte("msg "+key[:10]))))
	b64 := base64.StdEncoding.EncodeToString([]byte(key + ":"))
	require.Equal(t, "Basic "+r.Marker(), string(r.TrimPartial([]byte("Basic "+b64[:7]))))
	require.Equal(t, "msg sk_", string(r.TrimPartial([]byte("msg sk_"))), "3 bytes are not taken for a key")
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text, ünïcødé", "plain text, ünïcødé"},
		{"\x1b[2J\x1b]0;pwned\x07", `\x1b[2J\x1b]0;pwned\x07`},
		{"line\nforged: entry\r\t", `line\nforged: entry\r\t`},
		{"c1 \u009b31m del \x7f", `c1 \u009b31m del \x7f`},
		{"bidi \u202eevil\u2066 sep \u2028", `bidi \u202eevil\u2066 sep \u2028`},
		{"bad \xff utf8", `bad \xff utf8`},
		{`back\slash`, `back\slash`},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, Escape(tt.in, 0), "%q", tt.in)
	}
	require.Equal(t, "a\nb\\x1b", EscapeKeeping("a\nb\x1b", "\n"))
}

func TestEscapeCutsAtTheLimit(t *testing.T) {
	s := Escape(strings.Repeat("é", 1000), 101)
	require.True(t, strings.HasSuffix(s, CutMarker))
	require.LessOrEqual(t, len(s), 101+len(CutMarker))
	require.True(t, utf8.ValidString(s))
	s = Escape(strings.Repeat("\x1b", 100), 10) // never half an escape
	require.Equal(t, `\x1b\x1b`+CutMarker, s)
	require.Equal(t, "short", Escape("short", 10))
}

// FuzzEscape: the output is valid UTF-8, bounded, and has no control
// character.
func FuzzEscape(f *testing.F) {
	f.Add("\x1b[2J", 10)
	f.Add("ok", 0)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		limit %= 4096
		out := Escape(s, limit)
		require.True(t, utf8.ValidString(out))
		if limit > 0 {
			require.LessOrEqual(t, len(out), limit+len(CutMarker))
		}
		for _, r := range out {
			require.False(t, unsafeRune(r), "%q", out)
		}
	})
}

func TestWriteJSON(t *testing.T) {
	var b strings.Builder
	require.NoError(t, WriteJSON(&b, map[string]string{"a": "<&>\x7f\u009b\u0085é"}))
	require.Equal(t, `{"a":"<&>\u007f\u009b\u0085é"}`+"\n", b.String(), "DEL and C1 escaped, HTML characters and other text as they are")
	b.Reset()
	require.NoError(t, WriteJSON(&b, map[string]string{"a": "x\u202ey\u2066\u200f\u061c\ufeff€"}))
	require.Equal(t, `{"a":"x\u202ey\u2066\u200f\u061c\ufeff€"}`+"\n", b.String(), "bidi controls and the BOM escaped, other text as it is")
	require.Error(t, WriteJSON(&b, func() {}))
}

func FuzzWriteJSON(f *testing.F) {
	f.Add("x\u202ey\x7f\u009b€\ufeff")
	f.Add("\xff\xc2")
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		require.NoError(t, WriteJSON(&b, s))
		var back string
		require.NoError(t, json.Unmarshal([]byte(b.String()), &back))
		require.Equal(t, string([]rune(s)), back, "the escapes mean the same (an invalid byte is U+FFFD)")
		for _, r := range strings.TrimSuffix(b.String(), "\n") {
			require.False(t, unsafeRune(r), "%q", b.String())
		}
	})
}

// A key holding a character WriteJSON escapes is redacted in that form too.
func TestRedactorKnowsWriteJSONsForm(t *testing.T) {
	for _, key := range []string{"\ufeffsk_live_SECRET99", "sk_test_\u202e12345678", "sk_\u0085key"} {
		var b strings.Builder
		require.NoError(t, WriteJSON(NewWriter(&b, NewRedactor(key), ""), map[string]string{"stage": "Discovery " + key}))
		require.NotContains(t, b.String(), "SECRET99")
		require.NotContains(t, b.String(), "12345678")
		require.NotContains(t, b.String(), "key\"", "%s", b.String())
		require.Contains(t, b.String(), "[redacted]", "%q: %s", key, b.String())
	}
}

// A key quoted by Go (%q, as in "invalid duration" or "is not a UUID") is
// redacted too, invisible characters and all.
func TestRedactorKnowsGoQuotedForms(t *testing.T) {
	for _, key := range []string{"sk_live_ABCD\u200bEFGH", "sk_é_SECRET", "sk_\x01_SECRET"} {
		r := NewRedactor(key)
		for _, msg := range []string{fmt.Sprintf("uuid %q is not a UUID", key), fmt.Sprintf("%+q", key)} {
			out := r.String(msg)
			require.NotContains(t, out, "EFGH", "%s", out)
			require.NotContains(t, out, "SECRET", "%s", out)
			require.Contains(t, out, "[redacted]", "%s", out)
		}
	}
}
