package wrapper

import (
	"fmt"
	"strings"
	"time"
)

// The patterns openapi.yaml states, checked by hand rather than with
// regexp: validation runs on every call and these loops cost a fraction of a
// regexp match (see BENCHMARKS.md).

// isUUID matches ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// isCustomerUUID matches ^cus_ followed by a UUID.
func isCustomerUUID(s string) bool { return strings.HasPrefix(s, "cus_") && isUUID(s[4:]) }

// isCurrency matches ^[A-Z]{3}$.
func isCurrency(s string) bool {
	return len(s) == 3 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z' && 'A' <= s[2] && s[2] <= 'Z'
}

// isEmail is deliberately loose, exactly the rule the spec's validators use
// (kin-openapi's FormatOfStringForEmail, ^[^@]+@[^@<>",\s]+$): something, an
// @, then something without another @, spaces, quotes, commas or angle
// brackets.
func isEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return false
	}
	for i := at + 1; i < len(s); i++ {
		if c := s[i]; c == '@' || c == '<' || c == '>' || c == '"' || c == ',' || isSpace(c) {
			return false
		}
	}
	return true
}

// isSpace is regexp's \s: ASCII white space only.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

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
	if !isCustomerUUID(v) {
		p.add(field, `must be "cus_" followed by a UUID, got %q`, v)
	}
}

func (p *problems) owner(field, v string) {
	if !isEmail(v) {
		p.add(field, "must be an e-mail address, got %q", v)
	}
}

func (p *problems) nonEmpty(field, v string) {
	if v == "" {
		p.add(field, "must not be empty")
	}
}

// date checks a YYYY-MM-DD calendar date.
func (p *problems) date(field, v string) {
	if !isDate(v) {
		p.add(field, "must be a date as YYYY-MM-DD, got %q", v)
	}
}

// isDate reports whether s is a real calendar date written YYYY-MM-DD
// (what time.Parse(DateLayout, s) accepts, at a fraction of its cost).
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	num := func(a, b int) int {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	if year < 0 || month < 1 || month > 12 || day < 1 {
		return false
	}
	return day <= time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func (p *problems) currency(field, v string) {
	if !isCurrency(v) {
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
	case !isUUID(uuid):
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
