package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mogulkit/opportunities/wrapper"
)

// fields is an opportunity's fields as read from flags, a JSON body or a CSV
// row, before they become a wrapper.OpportunityInput or OpportunityUpdate.
// A nil pointer (or nil map) is a field that was not given.
type fields struct {
	customerUUID, owner, pipeline, stage, closeDate, currency, typ, forecast *string

	amount *int64
	win    *int
	custom map[string]any
}

// fieldOrder is the API's field order, used to sort problems.
var fieldOrder = []string{"customer_uuid", "owner", "pipeline", "pipeline_stage", "estimated_close_date",
	"currency", "amount_in_cents", "type", "forecast_category", "win_likelihood", "custom"}

// flagNames maps a field to the create/update flag that sets it.
var flagNames = map[string]string{
	"customer_uuid": "customer-uuid", "owner": "owner", "pipeline": "pipeline", "pipeline_stage": "stage",
	"estimated_close_date": "close-date", "currency": "currency", "amount_in_cents": "amount-cents",
	"type": "type", "forecast_category": "forecast", "win_likelihood": "win-likelihood",
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// input converts f to a create input; missing fields stay empty (and
// validation says they are required).
func (f fields) input() wrapper.OpportunityInput {
	in := wrapper.OpportunityInput{
		CustomerUUID:       deref(f.customerUUID),
		Owner:              deref(f.owner),
		Pipeline:           deref(f.pipeline),
		PipelineStage:      deref(f.stage),
		EstimatedCloseDate: deref(f.closeDate),
		Currency:           deref(f.currency),
		Type:               wrapper.Type(deref(f.typ)),
		ForecastCategory:   wrapper.ForecastCategory(deref(f.forecast)),
		WinLikelihood:      f.win,
		Custom:             f.custom,
	}
	if f.amount != nil {
		in.AmountInCents = *f.amount
	}
	return in
}

// createProblems reports what the wrapper cannot see as missing: an amount of
// 0 is a legal value, so a missing one must be caught here.
func (f fields) createProblems() []wrapper.FieldError {
	if f.amount == nil {
		return []wrapper.FieldError{{Field: "amount_in_cents", Problem: "is required"}}
	}
	return nil
}

// update converts f to an update that sends exactly the fields given.
func (f fields) update() wrapper.OpportunityUpdate {
	u := wrapper.NewUpdate()
	u.Owner, u.Pipeline, u.PipelineStage = f.owner, f.pipeline, f.stage
	u.EstimatedCloseDate, u.Currency, u.AmountInCents, u.WinLikelihood = f.closeDate, f.currency, f.amount, f.win
	if f.typ != nil {
		t := wrapper.Type(*f.typ)
		u.Type = &t
	}
	if f.forecast != nil {
		fc := wrapper.ForecastCategory(*f.forecast)
		u.ForecastCategory = &fc
	}
	u.Custom = f.custom
	return u
}

// problems collects field problems found while reading input.
type problems []wrapper.FieldError

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, wrapper.FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// fieldRank orders problems as the API orders fields; custom attributes come
// last and unknown fields after them.
func fieldRank(field string) int {
	if i := slices.Index(fieldOrder, field); i >= 0 {
		return i
	}
	if strings.HasPrefix(field, "custom.") {
		return len(fieldOrder)
	}
	return len(fieldOrder) + 1
}

// combine merges problems found while reading with the result of validating
// the converted input, and returns a *wrapper.ValidationError listing all of
// them in field order, or nil.
func combine(read []wrapper.FieldError, validation error) error {
	all := slices.Clone(read)
	if validation != nil {
		var ve *wrapper.ValidationError
		if !errors.As(validation, &ve) {
			return validation
		}
		for _, p := range ve.Problems {
			if !slices.Contains(all, p) {
				all = append(all, p)
			}
		}
	}
	if len(all) == 0 {
		return nil
	}
	sort.SliceStable(all, func(i, j int) bool { return fieldRank(all[i].Field) < fieldRank(all[j].Field) })
	return &wrapper.ValidationError{Problems: all}
}

// bodyKind says which request a JSON body is for.
type bodyKind int

const (
	createRequest bodyKind = iota
	updateRequest
)

// parseBody reads a JSON request body as the API takes it (custom as a list
// of {"key", "value"}). Integers keep every digit. It returns an error when
// the data is not one JSON object, and the problems of single fields
// (unknown ones, wrong types) otherwise.
func parseBody(data []byte, kind bodyKind) (fields, []wrapper.FieldError, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fields{}, nil, fmt.Errorf("the body must be a JSON object, got %s", te.Value)
		}
		if errors.Is(err, io.EOF) {
			return fields{}, nil, errors.New("the body is empty")
		}
		return fields{}, nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if obj == nil {
		return fields{}, nil, errors.New("the body must be a JSON object, got null")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fields{}, nil, errors.New("invalid JSON: more data after the object")
	}

	var f fields
	var p problems
	str := func(field string) *string {
		raw, ok := obj[field]
		if !ok || isNull(raw) {
			if ok && kind == updateRequest {
				p.add(field, "null is not supported; leave the field out to keep it")
			}
			return nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			p.add(field, "must be a string, got %s", clip(raw))
			return nil
		}
		return &s
	}
	if kind == createRequest {
		f.customerUUID = str("customer_uuid")
	} else if _, ok := obj["customer_uuid"]; ok {
		p.add("customer_uuid", "cannot be changed by an update")
	}
	f.owner = str("owner")
	f.pipeline = str("pipeline")
	f.stage = str("pipeline_stage")
	f.closeDate = str("estimated_close_date")
	f.currency = str("currency")
	f.typ = str("type")
	f.forecast = str("forecast_category")
	if raw, ok := obj["amount_in_cents"]; ok {
		if n, ok := jsonInt(&p, "amount_in_cents", raw, kind); ok {
			f.amount = &n
		}
	}
	if raw, ok := obj["win_likelihood"]; ok {
		if n, ok := jsonInt(&p, "win_likelihood", raw, kind); ok {
			if n < math.MinInt32 || n > math.MaxInt32 {
				p.add("win_likelihood", "must be between 0 and 100, got %d", n)
			} else {
				w := int(n)
				f.win = &w
			}
		}
	}
	if raw, ok := obj["custom"]; ok {
		f.custom = jsonCustom(&p, raw, kind)
	}
	var unknown []string
	for k := range obj {
		if !slices.Contains(fieldOrder, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		p.add(k, "unknown field")
	}
	return f, p, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// clip shortens raw JSON for a message.
func clip(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}

// jsonInt reads an integer field; null counts as absent on create.
func jsonInt(p *problems, field string, raw json.RawMessage, kind bodyKind) (int64, bool) {
	if isNull(raw) {
		if kind == updateRequest {
			p.add(field, "null is not supported; leave the field out to keep it")
		}
		return 0, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		p.add(field, "must be an integer, got %s", clip(raw))
		return 0, false
	}
	num, ok := v.(json.Number)
	if !ok {
		p.add(field, "must be an integer, got %s", clip(raw))
		return 0, false
	}
	n, err := strconv.ParseInt(num.String(), 10, 64)
	if err != nil {
		p.add(field, "must be an integer that fits in 64 bits, got %s", clip(raw))
		return 0, false
	}
	return n, true
}

// jsonCustom reads the custom list [{"key": ..., "value": ...}] into a map.
// A problem with one attribute leaves that attribute out.
func jsonCustom(p *problems, raw json.RawMessage, kind bodyKind) map[string]any {
	if isNull(raw) {
		if kind == updateRequest {
			p.add("custom", "null is not supported; send [] or leave the field out")
		}
		return nil
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		p.add("custom", `must be a list of {"key": ..., "value": ...} objects`)
		return nil
	}
	out := make(map[string]any, len(list))
	for i, item := range list {
		var key string
		if err := json.Unmarshal(item["key"], &key); err != nil || key == "" {
			p.add("custom", "entry %d has no key (a non-empty string)", i)
			continue
		}
		field := "custom." + key
		if _, dup := out[key]; dup {
			p.add(field, "is given twice")
			continue
		}
		for k := range item {
			if k != "key" && k != "value" {
				p.add(field, "unknown field %q in the entry", k)
			}
		}
		rawVal, ok := item["value"]
		if !ok {
			p.add(field, "has no value")
			continue
		}
		v, err := jsonScalar(rawVal)
		if err != nil {
			p.add(field, "%v", err)
			continue
		}
		out[key] = v
	}
	return out
}

// jsonScalar decodes a custom value: a string, a bool, or a number (int64
// when integral and in range, else float64).
func jsonScalar(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case string, bool:
		return x, nil
	case json.Number:
		return number(x.String())
	default:
		return nil, fmt.Errorf("value must be a string, number or boolean, got %s", clip(raw))
	}
}

// number converts a JSON number literal: int64 when it is an integer, else a
// finite float64.
func number(s string) (any, error) {
	if integerLiteral.MatchString(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("integer %s does not fit in 64 bits", s)
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("number %s is out of range", s)
	}
	return f, nil
}

// JSON's number grammar: integers, then decimals (no leading zeros, no "+",
// no NaN or Inf), so "02134" stays a string.
var (
	integerLiteral = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)
	numberLiteral  = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
)

// typedValue types a custom value written as text (a --custom flag or a CSV
// cell) as JSON would read it: true/false are booleans, a JSON number is an
// int64 or a float64, anything else is the string itself.
func typedValue(s string) (any, error) {
	switch {
	case s == "true":
		return true, nil
	case s == "false":
		return false, nil
	case numberLiteral.MatchString(s):
		return number(s)
	}
	return s, nil
}

// customKey splits a custom attribute's key as written: a trailing ':' means
// "take the value as a string".
func customKey(k string) (key string, asString bool) {
	if strings.HasSuffix(k, ":") {
		return strings.TrimSuffix(k, ":"), true
	}
	return k, false
}
