package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/wrapper"
)

// fields is a create or update body being put together from field flags or
// a CSV row: API field names with their values as text, and the custom
// attributes. Which fields exist, and how each is typed, is openapi.yaml's
// (generated.CreateOpportunityProperties): nothing here names one.
type fields struct {
	text   map[string]string
	custom map[string]any
}

// set records a field's value as written.
func (f *fields) set(field, text string) {
	if f.text == nil {
		f.text = map[string]string{}
	}
	f.text[field] = text
}

// body is the request body f describes, typed by the schema's properties.
func (f fields) body(props []generated.Property) []byte {
	obj := map[string]json.RawMessage{}
	for _, p := range props {
		if t, ok := f.text[p.Name]; ok {
			obj[p.Name] = typedJSON(p, t)
		}
	}
	for k, t := range f.text {
		if _, ok := obj[k]; !ok {
			obj[k], _ = json.Marshal(t) // not a property: the decoder says so
		}
	}
	if f.custom != nil {
		keys := slices.Sorted(maps.Keys(f.custom))
		list := make([]map[string]any, 0, len(keys))
		for _, k := range keys {
			list = append(list, map[string]any{"key": k, "value": f.custom[k]})
		}
		obj["custom"], _ = json.Marshal(list)
	}
	b, _ := json.Marshal(obj)
	return b
}

// typedJSON writes text as the JSON value property p takes: a number or a
// boolean as such when it reads as one, else a string (which the decoder
// reports, naming the type the spec wants).
func typedJSON(p generated.Property, text string) json.RawMessage {
	switch p.Type {
	case "integer":
		if integerLiteral.MatchString(text) {
			return json.RawMessage(text)
		}
	case "number":
		if numberLiteral.MatchString(text) {
			return json.RawMessage(text)
		}
	case "boolean":
		if text == "true" || text == "false" {
			return json.RawMessage(text)
		}
	}
	b, _ := json.Marshal(text)
	return b
}

// createProperties and updateProperties are the request schemas' properties.
var (
	createProperties = generated.CreateOpportunityProperties()
	updateProperties = generated.UpdateOpportunityProperties()
)

// problems collects field problems found while reading input.
type problems []wrapper.FieldError

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, wrapper.FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// fieldRank orders problems as the spec orders the create request's fields;
// custom attributes stand at custom's place and unknown fields come last.
func fieldRank(field string) int {
	name, _, _ := strings.Cut(field, ".")
	for i, p := range createProperties {
		if p.Name == name {
			return i
		}
	}
	return len(createProperties)
}

// combine merges problems found while reading with the result of validating
// the converted input, and returns a *wrapper.ValidationError listing all of
// them in field order, or nil. A field is reported once: a value that could
// not be read is not also checked against the rules.
func combine(read []wrapper.FieldError, validation error) error {
	all := slices.Clone(read)
	if validation != nil {
		var ve *wrapper.ValidationError
		if !errors.As(validation, &ve) {
			return validation
		}
		for _, p := range ve.Problems {
			if !slices.ContainsFunc(all, func(q wrapper.FieldError) bool { return q.Field == p.Field }) {
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

// clip shortens raw JSON for a message.
func clip(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}
