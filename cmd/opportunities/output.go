package main

import (
	"bytes"
	"encoding/json"
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
// API does not either).
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
