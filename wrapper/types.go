package wrapper

import (
	"maps"
	"time"
)

// Type is an opportunity's type. Responses may carry values this package does
// not know yet; they are kept as they are.
type Type string

// The documented opportunity types.
const (
	TypeRecurring Type = "recurring"
	TypeOneTime   Type = "one-time"
)

// ForecastCategory is an opportunity's forecast category. Responses may carry
// values this package does not know yet; they are kept as they are.
type ForecastCategory string

// The documented forecast categories.
const (
	ForecastPipeline  ForecastCategory = "pipeline"
	ForecastBestCase  ForecastCategory = "best_case"
	ForecastCommitted ForecastCategory = "committed"
	ForecastLost      ForecastCategory = "lost"
	ForecastWon       ForecastCategory = "won"
)

// DateLayout is the layout of estimated_close_date, a calendar date.
const DateLayout = "2006-01-02"

// Date formats t as an estimated close date ("2024-04-21").
func Date(t time.Time) string { return t.Format(DateLayout) }

// Opportunity is an opportunity as the API returns it.
type Opportunity struct {
	UUID               string
	CustomerUUID       string
	Owner              string
	Pipeline           string
	PipelineStage      string
	EstimatedCloseDate string // YYYY-MM-DD
	Currency           string
	AmountInCents      int64
	// Type is empty when the API returned none.
	Type Type
	// ForecastCategory is empty when the API returned none.
	ForecastCategory ForecastCategory
	// WinLikelihood is nil when the API returned none.
	WinLikelihood *int
	// Custom holds the custom attributes. Integral JSON numbers are int64,
	// other numbers float64; strings, booleans and nil as JSON has them. It is
	// never nil.
	Custom    map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// OpportunityInput is a new opportunity to create. Build it with
// [NewOpportunity] and the With methods, or fill the fields directly.
type OpportunityInput struct {
	CustomerUUID       string // required, "cus_" + UUID
	Owner              string // required, e-mail of a user with a CRM seat
	Pipeline           string // required
	PipelineStage      string // required
	EstimatedCloseDate string // required, YYYY-MM-DD
	Currency           string // required, ISO 4217, e.g. "USD"
	AmountInCents      int64  // required, minor units
	// Type is optional; empty means not sent.
	Type Type
	// ForecastCategory is optional; empty means not sent.
	ForecastCategory ForecastCategory
	// WinLikelihood is optional, 0 to 100; nil means not sent, so the stage's
	// default applies (an explicit 0 is sent as 0).
	WinLikelihood *int
	// Custom attributes: string, bool, integer or float values. Sent as a
	// list of {key, value} in sorted key order.
	Custom map[string]any
}

// NewOpportunity returns an input with the seven fields the API requires.
// Add optional fields with the With methods.
func NewOpportunity(customerUUID, owner, pipeline, pipelineStage, estimatedCloseDate, currency string, amountInCents int64) OpportunityInput {
	return OpportunityInput{
		CustomerUUID:       customerUUID,
		Owner:              owner,
		Pipeline:           pipeline,
		PipelineStage:      pipelineStage,
		EstimatedCloseDate: estimatedCloseDate,
		Currency:           currency,
		AmountInCents:      amountInCents,
	}
}

// WithType returns a copy of in with the type set.
func (in OpportunityInput) WithType(t Type) OpportunityInput { in.Type = t; return in }

// WithForecastCategory returns a copy of in with the forecast category set.
func (in OpportunityInput) WithForecastCategory(f ForecastCategory) OpportunityInput {
	in.ForecastCategory = f
	return in
}

// WithWinLikelihood returns a copy of in with the win likelihood set (0 is
// sent as 0).
func (in OpportunityInput) WithWinLikelihood(percent int) OpportunityInput {
	in.WinLikelihood = &percent
	return in
}

// WithCustom returns a copy of in with the custom attributes set. The map is
// copied.
func (in OpportunityInput) WithCustom(custom map[string]any) OpportunityInput {
	in.Custom = maps.Clone(custom)
	return in
}

// OpportunityUpdate is a change to an opportunity. Only the fields that were
// set are sent; everything else is left alone on the server. Build it with
// [NewUpdate] and the Set methods, or set the pointer fields directly.
//
// The customer of an opportunity cannot be changed.
type OpportunityUpdate struct {
	Owner              *string
	Pipeline           *string
	PipelineStage      *string
	EstimatedCloseDate *string
	Currency           *string
	AmountInCents      *int64
	Type               *Type
	ForecastCategory   *ForecastCategory
	WinLikelihood      *int
	// Custom is sent when non-nil; an empty, non-nil map sends an empty list.
	// Whether ChartMogul merges or replaces custom attributes is not
	// documented.
	Custom map[string]any
}

// NewUpdate returns an update that changes nothing yet.
func NewUpdate() OpportunityUpdate { return OpportunityUpdate{} }

// SetOwner returns a copy of u that changes the owner.
func (u OpportunityUpdate) SetOwner(v string) OpportunityUpdate { u.Owner = &v; return u }

// SetPipeline returns a copy of u that changes the pipeline.
func (u OpportunityUpdate) SetPipeline(v string) OpportunityUpdate { u.Pipeline = &v; return u }

// SetPipelineStage returns a copy of u that changes the pipeline stage.
func (u OpportunityUpdate) SetPipelineStage(v string) OpportunityUpdate {
	u.PipelineStage = &v
	return u
}

// SetEstimatedCloseDate returns a copy of u that changes the close date
// (YYYY-MM-DD).
func (u OpportunityUpdate) SetEstimatedCloseDate(v string) OpportunityUpdate {
	u.EstimatedCloseDate = &v
	return u
}

// SetCurrency returns a copy of u that changes the currency.
func (u OpportunityUpdate) SetCurrency(v string) OpportunityUpdate { u.Currency = &v; return u }

// SetAmountInCents returns a copy of u that changes the amount.
func (u OpportunityUpdate) SetAmountInCents(v int64) OpportunityUpdate {
	u.AmountInCents = &v
	return u
}

// SetType returns a copy of u that changes the type.
func (u OpportunityUpdate) SetType(v Type) OpportunityUpdate { u.Type = &v; return u }

// SetForecastCategory returns a copy of u that changes the forecast category.
func (u OpportunityUpdate) SetForecastCategory(v ForecastCategory) OpportunityUpdate {
	u.ForecastCategory = &v
	return u
}

// SetWinLikelihood returns a copy of u that changes the win likelihood; 0 is
// sent as 0.
func (u OpportunityUpdate) SetWinLikelihood(percent int) OpportunityUpdate {
	u.WinLikelihood = &percent
	return u
}

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
// everything.
type ListParams struct {
	CustomerUUID  string
	Owner         string
	Pipeline      string
	PipelineStage string
	// EstimatedCloseDateOnOrAfter and EstimatedCloseDateOnOrBefore are
	// YYYY-MM-DD dates, inclusive.
	EstimatedCloseDateOnOrAfter  string
	EstimatedCloseDateOnOrBefore string
	// PerPage is 1 to 200; 0 means the API's default (200).
	PerPage int
	// Cursor is the previous page's cursor; empty for the first page.
	Cursor string
}

// Page is one page of a list call.
type Page struct {
	Entries []Opportunity
	// Cursor reads the next page (pass it in ListParams.Cursor). It is opaque.
	Cursor string
	// HasMore reports whether another page follows.
	HasMore bool
}
