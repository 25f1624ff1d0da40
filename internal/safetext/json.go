package safetext

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// WriteJSON writes v as one line of JSON, without escaping <, > and & (the
// API does not either). The characters encoding/json leaves raw that a
// terminal acts on, DEL and the C1 controls (U+0080 to U+009F, such as the
// 8-bit CSI), are written \u escaped as well: they can only be inside strings.
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(escapeC1(buf.Bytes()))
	return err
}

// escapeC1 writes DEL and the C1 controls of JSON text as \u escapes.
func escapeC1(b []byte) []byte {
	isC1 := func(i int) bool { return b[i] == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f }
	if !slices.ContainsFunc(b, func(c byte) bool { return c == 0x7f || c == 0xc2 }) {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == 0x7f:
			out = append(out, `\u007f`...)
		case isC1(i):
			out = fmt.Appendf(out, `\u%04x`, b[i+1])
			i++
		default:
			out = append(out, b[i])
		}
	}
	return out
}
