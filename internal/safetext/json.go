package safetext

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"
)

// WriteJSON writes v as one line of JSON, without escaping <, > and & (the
// API does not either). The characters encoding/json leaves raw that a
// terminal acts on (see Escape: DEL, the C1 controls such as the 8-bit CSI,
// the bidirectional controls, the BOM) are written \u escaped as well: they
// can only be inside strings, where the escape means the same.
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(escapeUnsafe(buf.Bytes()))
	return err
}

// escapeUnsafe writes the runes from DEL up that unsafeRune refuses as \u
// escapes; encoding/json has escaped those below (and any invalid UTF-8).
func escapeUnsafe(b []byte) []byte {
	if !slices.ContainsFunc(b, func(c byte) bool { return c >= 0x7f }) {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r >= 0x7f && unsafeRune(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}
