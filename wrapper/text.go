package wrapper

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/mogulkit/opportunities/generated"
)

// Fields written as text (command-line flags, the cells of a CSV file) are
// turned into a request body here, typed by the spec's property list, so
// that every reader of text types a value the same way. The body is then
// read by DecodeOpportunityInput or DecodeOpportunityUpdate, which name what
// does not fit.

// BodyFromText returns the JSON request body the fields describe: text
// holds API field names and their values as written, typed by props (the
// request schema's properties, such as
// generated.CreateOpportunityProperties()): an integer, number or boolean
// property takes the value as such when it reads as one, anything else is a
// string (which the decoder reports, naming the type the spec wants). A name
// that is not a property is sent as a string, for the decoder to report.
// custom, when not nil, becomes the custom list, sorted by key.
func BodyFromText(props []generated.Property, text map[string]string, custom map[string]any) []byte {
	obj := map[string]json.RawMessage{}
	for _, p := range props {
		if t, ok := text[p.Name]; ok {
			obj[p.Name] = typedJSON(p, t)
		}
	}
	for k, t := range text {
		if _, ok := obj[k]; !ok {
			obj[k], _ = json.Marshal(t)
		}
	}
	if custom != nil {
		keys := slices.Sorted(maps.Keys(custom))
		list := make([]map[string]any, 0, len(keys))
		for _, k := range keys {
			list = append(list, map[string]any{"key": k, "value": custom[k]})
		}
		obj["custom"], _ = json.Marshal(list)
	}
	b, _ := json.Marshal(obj)
	return b
}

// typedJSON writes text as the JSON value property p takes.
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

// JSON's number grammar: integers, then decimals (no leading zeros, no "+",
// no NaN or Inf), so "02134" stays a string.
var (
	integerLiteral = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)
	numberLiteral  = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
)

// TypedCustomValue types a custom attribute's value written as text as JSON
// would read it: true and false are booleans, a JSON number is an int64 or a
// finite float64, anything else is the string itself ("02134", "+5" and
// "NaN" included). A number that does not fit is an error.
func TypedCustomValue(s string) (any, error) {
	switch {
	case s == "true":
		return true, nil
	case s == "false":
		return false, nil
	case integerLiteral.MatchString(s):
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("integer %s does not fit in 64 bits", s)
		}
		return n, nil
	case numberLiteral.MatchString(s):
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("number %s is out of range", s)
		}
		return f, nil
	}
	return s, nil
}

// CustomKey splits a custom attribute's key as written: a trailing ':'
// ("zip:" in --custom zip:=02134, or a CSV column custom.zip:) means "take
// the value as a string, as written", not as TypedCustomValue types it.
func CustomKey(written string) (key string, asString bool) {
	if k, ok := strings.CutSuffix(written, ":"); ok {
		return k, true
	}
	return written, false
}

// MergeProblems merges what could not be read (DecodeOpportunityInput's or
// DecodeOpportunityUpdate's problems) with the result of validating what
// was read, and returns a *ValidationError listing all of them in the
// order openapi.yaml gives the create request's fields (custom attributes
// at custom's place, unknown fields last), or nil. A field is reported once:
// a value that could not be read is not also held to the rules. An error
// from validation that is not a *ValidationError is returned as it is.
func MergeProblems(read []FieldError, validation error) error {
	all := slices.Clone(read)
	if validation != nil {
		var ve *ValidationError
		if !errors.As(validation, &ve) {
			return validation
		}
		for _, p := range ve.Problems {
			if !slices.ContainsFunc(all, func(q FieldError) bool { return q.Field == p.Field }) {
				all = append(all, p)
			}
		}
	}
	p := problems(all)
	p.sortBy(generated.CreateOpportunityProperties())
	return p.err()
}
