package wrapper

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/mogulkit/opportunities/generated"
)

// This file is the one place where wrapper types and generated wire types meet.
// Conventions:
//   - custom going out: a map, sent as [{key, value}] in sorted key order;
//     values must be string, bool, an integer or a finite float.
//   - custom coming back: an object; integral numbers become int64, other
//     numbers float64; a missing or null object becomes an empty map.
//   - dates are YYYY-MM-DD strings on both sides.

// createBody validates in and converts it to the wire body, or returns a
// *ValidationError naming every problem.
func createBody(in OpportunityInput) (generated.CreateOpportunity, error) {
	var p problems
	body := in.wire()
	body.Custom = customToWire(in.Custom, &p)
	p.spec(body.Validate(), body.Custom)
	if len(p) > 1 {
		p.sortBy(generated.CreateOpportunityProperties())
	}
	return body, p.err()
}

// updateBody validates u and converts it to the wire body.
func updateBody(u OpportunityUpdate) (generated.UpdateOpportunity, error) {
	var p problems
	body, n := u.wire()
	if u.Custom != nil {
		body.Custom = customToWire(u.Custom, &p)
		if body.Custom == nil {
			body.Custom = []generated.CustomAttribute{}
		}
	} else if n == 0 {
		p.add("update", "sets no field; nothing to change")
	}
	p.spec(body.Validate(), body.Custom)
	if len(p) > 1 {
		p.sortBy(generated.UpdateOpportunityProperties())
	}
	return body, p.err()
}

// customToWire converts the custom map to the wire list in sorted key order,
// recording a problem for each key or value it cannot send.
func customToWire(custom map[string]any, p *problems) []generated.CustomAttribute {
	if len(custom) == 0 {
		return nil
	}
	var small [16]string // most opportunities have a few attributes: no allocation
	keys := small[:0]
	for k := range custom {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]generated.CustomAttribute, 0, len(keys))
	for _, k := range keys {
		if k == "" {
			p.add("custom", "has an empty key")
			continue
		}
		a := generated.CustomAttribute{Key: k}
		if err := setCustomValue(&a.Value, custom[k]); err != nil {
			p.add("custom."+k, "%v", err)
			continue
		}
		out = append(out, a)
	}
	return out
}

// maxExactFloat is 2^53: integers up to it in magnitude are exact as float64.
const maxExactFloat = 1 << 53

// setCustomValue stores one custom value in the wire union; integers keep
// every digit.
func setCustomValue(dst *generated.CustomValue, v any) error {
	var i int64
	switch x := v.(type) {
	case string:
		if plainASCII(x) { // most values: no escaping, no reflection
			return setRaw(dst, append(append(append(make([]byte, 0, len(x)+2), '"'), x...), '"'))
		}
		return dst.FromCustomValue0(x)
	case bool:
		return dst.FromCustomValue2(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("value %v is not a finite number", x)
		}
		return dst.FromCustomValue1(x)
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("value %v is not a finite number", x)
		}
		// Encoded at float32 precision: 0.1, not 0.10000000149011612.
		return setRaw(dst, strconv.AppendFloat(nil, float64(x), 'g', -1, 32))
	case json.RawMessage:
		// JSON as read (DecodeOpportunityInput keeps non-scalars so): the
		// spec's CustomValue rule decides.
		if !json.Valid(x) {
			return errors.New("value is not valid JSON")
		}
		return setRaw(dst, x)
	case json.Number:
		if _, err := x.Float64(); err != nil || !json.Valid([]byte(x)) {
			return fmt.Errorf("json.Number %q is not a number", string(x))
		}
		return setRaw(dst, []byte(x))
	case uint:
		return setUint(dst, uint64(x))
	case uint64:
		return setUint(dst, x)
	case int:
		i = int64(x)
	case int8:
		i = int64(x)
	case int16:
		i = int64(x)
	case int32:
		i = int64(x)
	case int64:
		i = x
	case uint8:
		i = int64(x)
	case uint16:
		i = int64(x)
	case uint32:
		i = int64(x)
	case nil:
		return errors.New("value is nil; want a string, bool, integer or float")
	default:
		return fmt.Errorf("value of type %T is not supported; want a string, bool, integer or float", v)
	}
	// Written as the integer it is (encoding/json would write the same digits
	// for a float64 up to 2^53, more slowly; beyond that only this is exact).
	var buf [20]byte
	return setRaw(dst, strconv.AppendInt(buf[:0], i, 10))
}

func setUint(dst *generated.CustomValue, u uint64) error {
	var buf [20]byte
	return setRaw(dst, strconv.AppendUint(buf[:0], u, 10))
}

// plainASCII reports whether s can be written between quotes as it is:
// printable ASCII with nothing encoding/json would escape.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// setRaw stores JSON that the union's typed setters cannot write exactly.
func setRaw(dst *generated.CustomValue, raw []byte) error { return dst.UnmarshalJSON(raw) }

// fromWire converts a decoded opportunity to the wrapper type. A body that
// breaks a rule of the spec's Opportunity schema (a required field missing, a
// close date that is not a date) is an error naming the field.
func fromWire(w *generated.Opportunity) (Opportunity, error) {
	if vs := w.Validate(); len(vs) > 0 {
		return Opportunity{}, fmt.Errorf("%s", vs[0])
	}
	custom, err := customFromWire(w.Custom)
	if err != nil {
		return Opportunity{}, err
	}
	o := opportunityFromWire(w)
	o.Custom = custom
	return o, nil
}

// customFromWire decodes the returned custom object: integral numbers become
// int64 (every digit kept), other numbers float64, nested values likewise.
func customFromWire(raw map[string]json.RawMessage) (map[string]any, error) {
	out := make(map[string]any, len(raw))
	for k, v := range raw {
		val, err := decodeCustomValue(v)
		if err != nil {
			return nil, fmt.Errorf("custom.%s: %w", k, err)
		}
		out[k] = val
	}
	return out, nil
}

func decodeCustomValue(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, errors.New("empty value")
	}
	// Fast paths for the scalars custom attributes hold; anything else
	// (objects, arrays, strings with escapes) goes through the decoder.
	switch c := raw[0]; {
	case c == '-' || (c >= '0' && c <= '9'):
		return number(json.Number(raw))
	case c == '"' && len(raw) >= 2 && raw[len(raw)-1] == '"' && plainString(raw[1:len(raw)-1]):
		return string(raw[1 : len(raw)-1]), nil
	case string(raw) == "true":
		return true, nil
	case string(raw) == "false":
		return false, nil
	case string(raw) == "null":
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return normalizeNumbers(v)
}

// plainString reports whether b, the inside of a JSON string, has no escape,
// no control character and is valid UTF-8, so it is the string itself.
func plainString(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c == '"' || c < 0x20 {
			return false
		}
	}
	return utf8.Valid(b)
}

// number turns a JSON number into int64 when it is integral and exact as
// int64 (3, -42, 9007199254740993, and also 3.0 or 1e3), else float64.
func number(n json.Number) (any, error) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return nil, fmt.Errorf("invalid number %q", string(n))
	}
	if f == math.Trunc(f) && math.Abs(f) <= maxExactFloat {
		return int64(f), nil
	}
	return f, nil
}

func normalizeNumbers(v any) (any, error) {
	var err error
	switch x := v.(type) {
	case json.Number:
		return number(x)
	case []any:
		for i := range x {
			if x[i], err = normalizeNumbers(x[i]); err != nil {
				return nil, err
			}
		}
	case map[string]any:
		for k := range x {
			if x[k], err = normalizeNumbers(x[k]); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

// listParamsToWire converts p to the generated parameters and checks them
// against the spec.
func listParamsToWire(p ListParams) (*generated.ListOpportunitiesParams, error) {
	var w generated.ListOpportunitiesParams
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	w.CustomerUUID = str(p.CustomerUUID)
	w.Owner = str(p.Owner)
	w.Pipeline = str(p.Pipeline)
	w.PipelineStage = str(p.PipelineStage)
	w.EstimatedCloseDateOnOrAfter = str(p.EstimatedCloseDateOnOrAfter)
	w.EstimatedCloseDateOnOrBefore = str(p.EstimatedCloseDateOnOrBefore)
	w.Cursor = str(p.Cursor)
	if p.PerPage != 0 {
		w.PerPage = &p.PerPage
	}
	var pr problems
	pr.spec(w.Validate(), nil)
	return &w, pr.err()
}
