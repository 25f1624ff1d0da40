package wrapper

import (
	"fmt"
	"regexp"
	"time"
)

// The patterns openapi.yaml states; checked before anything is sent.
var (
	uuidPattern         = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	customerUUIDPattern = regexp.MustCompile(`^cus_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	currencyPattern     = regexp.MustCompile(`^[A-Z]{3}$`)
	// emailPattern is deliberately loose (the spec's validators use the same
	// rule): something@something, no spaces, quotes or angle brackets.
	emailPattern = regexp.MustCompile(`^[^@\s]+@[^@<>",\s]+$`)
)

// problems collects every problem with an input before it is reported.
type problems []FieldError

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// err returns nil when nothing was found, else a *ValidationError. Its return
// type is error so that a nil result is a true nil interface.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

func (p *problems) required(field, v string) bool {
	if v == "" {
		p.add(field, "is required")
		return false
	}
	return true
}

func (p *problems) customerUUID(field, v string) {
	if !customerUUIDPattern.MatchString(v) {
		p.add(field, `must be "cus_" followed by a UUID, got %q`, v)
	}
}

func (p *problems) owner(field, v string) {
	if !emailPattern.MatchString(v) {
		p.add(field, "must be an e-mail address, got %q", v)
	}
}

func (p *problems) nonEmpty(field, v string) {
	if v == "" {
		p.add(field, "must not be empty")
	}
}

// date checks a YYYY-MM-DD calendar date and returns it parsed.
func (p *problems) date(field, v string) time.Time {
	t, err := time.Parse(DateLayout, v)
	if err != nil {
		p.add(field, "must be a date as YYYY-MM-DD, got %q", v)
	}
	return t
}

func (p *problems) currency(field, v string) {
	if !currencyPattern.MatchString(v) {
		p.add(field, "must be three upper-case letters (ISO 4217), got %q", v)
	}
}

func (p *problems) typ(field string, v Type) {
	if v != TypeRecurring && v != TypeOneTime {
		p.add(field, "must be %q or %q, got %q", TypeRecurring, TypeOneTime, v)
	}
}

func (p *problems) forecast(field string, v ForecastCategory) {
	switch v {
	case ForecastPipeline, ForecastBestCase, ForecastCommitted, ForecastLost, ForecastWon:
	default:
		p.add(field, "must be one of pipeline, best_case, committed, lost, won; got %q", v)
	}
}

func (p *problems) winLikelihood(field string, v int) {
	if v < 0 || v > 100 {
		p.add(field, "must be between 0 and 100, got %d", v)
	}
}

// checkUUID validates an opportunity UUID used in a path.
func checkUUID(uuid string) error {
	var p problems
	switch {
	case uuid == "":
		p.add("uuid", "is required")
	case !uuidPattern.MatchString(uuid):
		p.add("uuid", "must be a UUID like bb544336-e74e-11ee-800c-effc264f19ed, got %q", uuid)
	}
	return p.err()
}

// Validate reports every problem with in, exactly as [Client.Create] checks
// before sending: nil, or a *ValidationError. Use it to check a batch before
// sending any of it.
func (in OpportunityInput) Validate() error {
	_, err := createBody(in)
	return err
}

// Validate reports every problem with u, exactly as [Client.Update] checks
// before sending (the UUID aside): nil, or a *ValidationError.
func (u OpportunityUpdate) Validate() error {
	_, err := updateBody(u)
	return err
}
