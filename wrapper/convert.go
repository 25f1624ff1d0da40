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
	var body generated.CreateOpportunity
	if p.required("customer_uuid", in.CustomerUUID) {
		p.customerUUID("customer_uuid", in.CustomerUUID)
	}
	if p.required("owner", in.Owner) {
		p.owner("owner", in.Owner)
	}
	p.required("pipeline", in.Pipeline)
	p.required("pipeline_stage", in.PipelineStage)
	if p.required("estimated_close_date", in.EstimatedCloseDate) {
		p.date("estimated_close_date", in.EstimatedCloseDate)
	}
	if p.required("currency", in.Currency) {
		p.currency("currency", in.Currency)
	}
	if in.Type != "" {
		p.typ("type", in.Type)
		body.Type = generated.OpportunityType(in.Type)
	}
	if in.ForecastCategory != "" {
		p.forecast("forecast_category", in.ForecastCategory)
		body.ForecastCategory = generated.ForecastCategory(in.ForecastCategory)
	}
	if in.WinLikelihood != nil {
		p.winLikelihood("win_likelihood", *in.WinLikelihood)
		body.WinLikelihood = in.WinLikelihood // only read while encoding
	}
	body.Custom = customToWire(in.Custom, &p)
	body.CustomerUUID = in.CustomerUUID
	body.EstimatedCloseDate = in.EstimatedCloseDate
	body.Owner = in.Owner
	body.Pipeline = in.Pipeline
	body.PipelineStage = in.PipelineStage
	body.Currency = in.Currency
	body.AmountInCents = in.AmountInCents
	return body, p.err()
}

// updateBody validates u and converts it to the wire body.
func updateBody(u OpportunityUpdate) (generated.UpdateOpportunity, error) {
	var p problems
	var body generated.UpdateOpportunity
	empty := true
	str := func(field string, v *string, check func(string, string)) *string {
		if v == nil {
			return nil
		}
		empty = false
		if check != nil {
			check(field, *v)
		}
		s := *v
		return &s
	}
	body.Owner = str("owner", u.Owner, p.owner)
	body.Pipeline = str("pipeline", u.Pipeline, p.nonEmpty)
	body.PipelineStage = str("pipeline_stage", u.PipelineStage, p.nonEmpty)
	body.Currency = str("currency", u.Currency, p.currency)
	body.EstimatedCloseDate = str("estimated_close_date", u.EstimatedCloseDate, p.date)
	if u.AmountInCents != nil {
		empty = false
		a := *u.AmountInCents
		body.AmountInCents = &a
	}
	if u.Type != nil {
		empty = false
		p.typ("type", *u.Type)
		body.Type = generated.OpportunityType(*u.Type)
	}
	if u.ForecastCategory != nil {
		empty = false
		p.forecast("forecast_category", *u.ForecastCategory)
		body.ForecastCategory = generated.ForecastCategory(*u.ForecastCategory)
	}
	if u.WinLikelihood != nil {
		empty = false
		p.winLikelihood("win_likelihood", *u.WinLikelihood)
		body.WinLikelihood = u.WinLikelihood // only read while encoding
	}
	if u.Custom != nil {
		empty = false
		body.Custom = customToWire(u.Custom, &p)
		if body.Custom == nil {
			body.Custom = []generated.CustomAttribute{}
		}
	}
	if empty {
		p.add("update", "sets no field; nothing to change")
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

// fromWire converts a decoded opportunity to the wrapper type. A close date
// that is not a calendar date (a timestamp, say) is an error, as the spec says.
func fromWire(w *generated.Opportunity) (Opportunity, error) {
	if !isDate(w.EstimatedCloseDate) {
		return Opportunity{}, fmt.Errorf("estimated_close_date %q is not a YYYY-MM-DD date", w.EstimatedCloseDate)
	}
	custom, err := customFromWire(w.Custom)
	if err != nil {
		return Opportunity{}, err
	}
	o := Opportunity{
		UUID:               w.UUID,
		CustomerUUID:       w.CustomerUUID,
		Owner:              w.Owner,
		Pipeline:           w.Pipeline,
		PipelineStage:      w.PipelineStage,
		EstimatedCloseDate: w.EstimatedCloseDate,
		Currency:           w.Currency,
		AmountInCents:      w.AmountInCents,
		Type:               Type(w.Type),
		ForecastCategory:   ForecastCategory(w.ForecastCategory),
		WinLikelihood:      w.WinLikelihood,
		Custom:             custom,
		CreatedAt:          w.CreatedAt,
		UpdatedAt:          w.UpdatedAt,
	}
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

// listParamsToWire validates p and converts it to the generated parameters.
func listParamsToWire(p ListParams) (*generated.ListOpportunitiesParams, error) {
	var pr problems
	var w generated.ListOpportunitiesParams
	if p.CustomerUUID != "" {
		pr.customerUUID("customer_uuid", p.CustomerUUID)
		w.CustomerUUID = &p.CustomerUUID
	}
	if p.Owner != "" {
		pr.owner("owner", p.Owner)
		w.Owner = &p.Owner
	}
	if p.Pipeline != "" {
		w.Pipeline = &p.Pipeline
	}
	if p.PipelineStage != "" {
		w.PipelineStage = &p.PipelineStage
	}
	if p.EstimatedCloseDateOnOrAfter != "" {
		pr.date("estimated_close_date_on_or_after", p.EstimatedCloseDateOnOrAfter)
		w.EstimatedCloseDateOnOrAfter = &p.EstimatedCloseDateOnOrAfter
	}
	if p.EstimatedCloseDateOnOrBefore != "" {
		pr.date("estimated_close_date_on_or_before", p.EstimatedCloseDateOnOrBefore)
		w.EstimatedCloseDateOnOrBefore = &p.EstimatedCloseDateOnOrBefore
	}
	if p.PerPage != 0 {
		if p.PerPage < 1 || p.PerPage > 200 {
			pr.add("per_page", "must be between 1 and 200, got %d", p.PerPage)
		}
		w.PerPage = &p.PerPage
	}
	if p.Cursor != "" {
		w.Cursor = &p.Cursor
	}
	return &w, pr.err()
}
