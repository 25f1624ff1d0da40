package main

import (
	"bytes"
	"encoding/json"
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
