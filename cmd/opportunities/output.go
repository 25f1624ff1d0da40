package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/mogulkit/opportunities/wrapper"
)

// apiPage is one page of a list call in the API's JSON shape; an
// opportunity's JSON is the API's (wrapper.Opportunity.MarshalJSON).
type apiPage struct {
	Entries []wrapper.Opportunity `json:"entries"`
	Cursor  string                `json:"cursor"`
	HasMore bool                  `json:"has_more"`
}

func toAPIPage(p wrapper.Page) apiPage {
	if p.Entries == nil {
		p.Entries = []wrapper.Opportunity{}
	}
	return apiPage{Entries: p.Entries, Cursor: p.Cursor, HasMore: p.HasMore}
}

// writeJSON writes v as one line of JSON, without escaping <, > and & (the
// API does not either). The characters encoding/json leaves raw that a
// terminal acts on, DEL and the C1 controls (U+0080 to U+009F, such as the
// 8-bit CSI), are written \u escaped as well: they can only be inside strings.
func writeJSON(w io.Writer, v any) error {
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
	clean := true
	for i := 0; i < len(b); i++ {
		if b[i] == 0x7f || (b[i] == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f) {
			clean = false
			break
		}
	}
	if clean {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == 0x7f:
			out = append(out, `\u007f`...)
		case b[i] == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f:
			out = fmt.Appendf(out, `\u%04x`, b[i+1])
			i++
		default:
			out = append(out, b[i])
		}
	}
	return out
}
