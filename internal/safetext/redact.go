// Package safetext keeps what a server sends from doing harm when it is
// printed: it redacts an API key in every form a server could echo it, and
// escapes control characters and terminal escape sequences, within a length
// bound. The wrapper and the command-line tool share it.
package safetext

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMarker replaces a redacted key, unless one of the key's forms
// begins or ends with one of its brackets (see [NewRedactor]).
const DefaultMarker = "[redacted]"

// markers are the replacements tried in order: the first that contains no
// form of the key and whose first and last characters appear in no form is
// used, so that no form can be completed across a marker's edge after
// redaction.
// A key short enough to be part of "redacted" gets one without letters.
var markers = []string{DefaultMarker, "<redacted>", "{redacted}", "(redacted)", "*redacted*", "#redacted#", "~redacted~", "|redacted|", "«redacted»",
	"[***]", "<***>", "{###}", "(###)", "|~~~|", "«***»"}

// minPartial is the shortest tail of a cut text that is redacted as the
// start of a key form (see [Redactor.TrimPartial]).
const minPartial = 4

// Redactor replaces every form of one key. The zero value and a nil
// *Redactor redact nothing. It is safe for concurrent use. The forms live
// only inside its functions, so printing a Redactor (or a struct holding
// one) with any verb shows none of them.
type Redactor struct {
	marker string
	forms  func() []string // longest first
	r      func(string) string
}

// NewRedactor returns a redactor for key: it replaces the key as it is, JSON-
// and URL-escaped, and the standard and URL-safe base64 of "key:" (how HTTP
// basic auth carries it), padded and unpadded, also with "/" written "\/" as
// some JSON encoders do. An empty key gives a redactor that redacts nothing.
// Keys of every length are redacted: a short key also matches ordinary text,
// which is then redacted too.
func NewRedactor(key string) *Redactor {
	if key == "" {
		return &Redactor{}
	}
	seen := map[string]bool{}
	var forms []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			forms = append(forms, s)
		}
	}
	add(key)
	if raw, err := json.Marshal(key); err == nil {
		add(string(raw[1 : len(raw)-1]))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(key) == nil {
		s := strings.TrimSpace(buf.String())
		add(s[1 : len(s)-1])
		add(string(escapeUnsafe([]byte(s[1 : len(s)-1])))) // as WriteJSON writes it
	}
	for _, q := range []string{strconv.Quote(key), strconv.QuoteToASCII(key)} {
		add(q[1 : len(q)-1]) // as %q writes it, in a Go error
	}
	add(url.QueryEscape(key))
	add(url.PathEscape(key))
	userinfo := []byte(key + ":")
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b := e.EncodeToString(userinfo)
		add(b)
		add(strings.ReplaceAll(b, "/", `\/`))
	}
	// Longest first: where one form is a prefix of another, the longer is
	// replaced whole (strings.Replacer tries its pairs in order).
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	marker := chooseMarker(forms)
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, marker)
	}
	r := strings.NewReplacer(pairs...)
	return &Redactor{marker: marker, forms: func() []string { return forms }, r: r.Replace}
}

func chooseMarker(forms []string) string {
	for _, m := range markers {
		first, _ := utf8.DecodeRuneInString(m)
		last, _ := utf8.DecodeLastRuneInString(m)
		clash := false
		for _, f := range forms {
			if strings.ContainsRune(f, first) || strings.ContainsRune(f, last) || strings.Contains(m, f) {
				clash = true
				break
			}
		}
		if !clash {
			return m
		}
	}
	return DefaultMarker
}

// Marker returns what a redacted key is replaced with.
func (r *Redactor) Marker() string {
	if r == nil || r.marker == "" {
		return DefaultMarker
	}
	return r.marker
}

// Active reports whether r redacts anything.
func (r *Redactor) Active() bool { return r != nil && r.r != nil }

// String returns s with every form of the key replaced.
func (r *Redactor) String(s string) string {
	if !r.Active() {
		return s
	}
	return r.r(s)
}

// Bytes returns b with every form of the key replaced. It returns b itself
// when there is nothing to replace.
func (r *Redactor) Bytes(b []byte) []byte {
	if !r.Active() || len(b) == 0 || !r.contains(b) {
		return b
	}
	return []byte(r.r(string(b)))
}

func (r *Redactor) contains(b []byte) bool {
	for _, f := range r.forms() {
		if bytes.Contains(b, []byte(f)) {
			return true
		}
	}
	return false
}

// TrimPartial replaces a tail of b that is the start of a key form (at least
// 4 bytes of it) with the marker: a text cut short (at a size cap, or by a
// dropped connection) may end in the middle of an echoed key. Call it after
// [Redactor.Bytes].
func (r *Redactor) TrimPartial(b []byte) []byte {
	if !r.Active() {
		return b
	}
	for _, f := range r.forms() {
		for n := min(len(f)-1, len(b)); n >= minPartial; n-- {
			if bytes.HasSuffix(b, []byte(f[:n])) {
				return append(b[:len(b)-n:len(b)-n], r.marker...)
			}
		}
	}
	return b
}
