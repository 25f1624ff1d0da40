package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/mogulkit/opportunities/wrapper"
)

// apiTime is the API's timestamp layout: RFC 3339 in UTC with milliseconds,
// e.g. 2024-03-21T06:46:23.137Z.
const apiTime = "2006-01-02T15:04:05.000Z07:00"

// apiOpportunity is an opportunity in the API's JSON shape and field order.
// Optional fields the API returned none for are null, as the API sends them.
type apiOpportunity struct {
	UUID               string         `json:"uuid"`
	CustomerUUID       string         `json:"customer_uuid"`
	Owner              string         `json:"owner"`
	Pipeline           string         `json:"pipeline"`
	PipelineStage      string         `json:"pipeline_stage"`
	EstimatedCloseDate string         `json:"estimated_close_date"`
	Currency           string         `json:"currency"`
	AmountInCents      int64          `json:"amount_in_cents"`
	Type               *string        `json:"type"`
	ForecastCategory   *string        `json:"forecast_category"`
	WinLikelihood      *int           `json:"win_likelihood"`
	Custom             map[string]any `json:"custom"`
	CreatedAt          string         `json:"created_at"`
	UpdatedAt          string         `json:"updated_at"`
}

// apiPage is one page of a list call in the API's JSON shape.
type apiPage struct {
	Entries []apiOpportunity `json:"entries"`
	Cursor  string           `json:"cursor"`
	HasMore bool             `json:"has_more"`
}

func toAPI(o wrapper.Opportunity) apiOpportunity {
	a := apiOpportunity{
		UUID:               o.UUID,
		CustomerUUID:       o.CustomerUUID,
		Owner:              o.Owner,
		Pipeline:           o.Pipeline,
		PipelineStage:      o.PipelineStage,
		EstimatedCloseDate: o.EstimatedCloseDate,
		Currency:           o.Currency,
		AmountInCents:      o.AmountInCents,
		WinLikelihood:      o.WinLikelihood,
		Custom:             o.Custom,
		CreatedAt:          formatTime(o.CreatedAt),
		UpdatedAt:          formatTime(o.UpdatedAt),
	}
	if o.Type != "" {
		s := string(o.Type)
		a.Type = &s
	}
	if o.ForecastCategory != "" {
		s := string(o.ForecastCategory)
		a.ForecastCategory = &s
	}
	if a.Custom == nil {
		a.Custom = map[string]any{}
	}
	return a
}

func toAPIPage(p wrapper.Page) apiPage {
	out := apiPage{Entries: make([]apiOpportunity, len(p.Entries)), Cursor: p.Cursor, HasMore: p.HasMore}
	for i, o := range p.Entries {
		out.Entries[i] = toAPI(o)
	}
	return out
}

func formatTime(t time.Time) string {
	return t.UTC().Format(apiTime)
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
