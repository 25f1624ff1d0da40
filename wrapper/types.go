package wrapper

import (
	"bytes"
	"encoding/json"
	"maps"
	"time"

	"github.com/mogulkit/opportunities/generated"
)

// The types Opportunity, OpportunityInput and OpportunityUpdate, their With
// and Set methods and NewOpportunity are generated from openapi.yaml into
// fields.gen.go (`make generate`): a property added to the spec becomes a
// field here with no hand edit.

// Type is an opportunity's type (the spec's OpportunityType). Responses may
// carry values the spec does not list; they are kept as they are.
type Type = generated.OpportunityType

// The opportunity types openapi.yaml lists, under their friendly names.
// TestEnumValuesHaveFriendlyNames fails naming any value without one.
const (
	TypeRecurring = generated.OpportunityTypeRecurring
	TypeOneTime   = generated.OpportunityTypeOneTime
)

// ForecastCategory is an opportunity's forecast category. Responses may
// carry values the spec does not list; they are kept as they are.
type ForecastCategory = generated.ForecastCategory

// The forecast categories openapi.yaml lists, under their friendly names.
const (
	ForecastPipeline  = generated.ForecastCategoryPipeline
	ForecastBestCase  = generated.ForecastCategoryBestCase
	ForecastCommitted = generated.ForecastCategoryCommitted
	ForecastLost      = generated.ForecastCategoryLost
	ForecastWon       = generated.ForecastCategoryWon
)

// DateLayout is the layout of estimated_close_date, a calendar date.
const DateLayout = "2006-01-02"

// Date formats t as an estimated close date ("2024-04-21").
func Date(t time.Time) string { return t.Format(DateLayout) }

// apiTime is the layout of the API's timestamps: RFC 3339 in UTC with
// milliseconds, e.g. 2024-03-21T06:46:23.137Z.
const apiTime = "2006-01-02T15:04:05.000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(apiTime) }

// marshalJSON encodes v as the API writes JSON: without escaping <, > and &.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// WithCustom returns a copy of in with the custom attributes set. The map is
// copied.
func (in OpportunityInput) WithCustom(custom map[string]any) OpportunityInput {
	in.Custom = maps.Clone(custom)
	return in
}

// NewUpdate returns an update that changes nothing yet.
func NewUpdate() OpportunityUpdate { return OpportunityUpdate{} }

// SetCustom returns a copy of u that sends these custom attributes (the map is
// copied; an empty map sends an empty list).
func (u OpportunityUpdate) SetCustom(custom map[string]any) OpportunityUpdate {
	u.Custom = maps.Clone(custom)
	if u.Custom == nil {
		u.Custom = map[string]any{}
	}
	return u
}

// ListParams filters a list call. Every field is optional; the zero value lists
// everything. The rules each filter must follow are openapi.yaml's.
type ListParams struct {
	CustomerUUID  string
	Owner         string
	Pipeline      string
	PipelineStage string
	// EstimatedCloseDateOnOrAfter and EstimatedCloseDateOnOrBefore are
	// YYYY-MM-DD dates, inclusive.
	EstimatedCloseDateOnOrAfter  string
	EstimatedCloseDateOnOrBefore string
	// PerPage is the page size (see openapi.yaml's per_page); 0 means the
	// API's default.
	PerPage int
	// Cursor is the previous page's cursor; empty for the first page.
	Cursor string
}

// Page is one page of a list call. Its JSON form (MarshalJSON) is the API's.
type Page struct {
	Entries []Opportunity
	// Cursor reads the next page (pass it in ListParams.Cursor). It is opaque.
	Cursor string
	// HasMore reports whether another page follows.
	HasMore bool
}

// MarshalJSON writes p as the API does: entries (each as
// [Opportunity.MarshalJSON] writes it, [] for none), cursor ("" for none)
// and has_more, in that order.
func (p Page) MarshalJSON() ([]byte, error) {
	if p.Entries == nil {
		p.Entries = []Opportunity{}
	}
	return marshalJSON(pageJSON{p.Entries, p.Cursor, p.HasMore})
}

// pageJSON is a page as the API writes it.
type pageJSON struct {
	Entries []Opportunity `json:"entries"`
	Cursor  string        `json:"cursor"`
	HasMore bool          `json:"has_more"`
}

// UnmarshalJSON reads a page as MarshalJSON (and the API) writes it, so that
// a Page survives a round trip through JSON.
func (p *Page) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil // encoding/json's convention: null leaves the value as it is
	}
	var j pageJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*p = Page{Entries: j.Entries, Cursor: j.Cursor, HasMore: j.HasMore}
	return nil
}

// UnmarshalJSON reads an opportunity as MarshalJSON (and the API) writes it,
// so that it survives a round trip through JSON. Unlike the client, it does
// not hold the value to the spec's rules: it reads back what was written.
func (o *Opportunity) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil // encoding/json's convention: null leaves the value as it is
	}
	var w generated.Opportunity
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	custom, err := customFromWire(w.Custom)
	if err != nil {
		return err
	}
	*o = opportunityFromWire(&w)
	o.Custom = custom
	return nil
}
