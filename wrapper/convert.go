package wrapper

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	openapi_types "github.com/oapi-codegen/runtime/types"

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
		body.EstimatedCloseDate = openapi_types.Date{Time: p.date("estimated_close_date", in.EstimatedCloseDate)}
	}
	if p.required("currency", in.Currency) {
		p.currency("currency", in.Currency)
	}
	if in.Type != "" {
		p.typ("type", in.Type)
		t := generated.OpportunityType(in.Type)
		body.Type = &t
	}
	if in.ForecastCategory != "" {
		p.forecast("forecast_category", in.ForecastCategory)
		f := generated.ForecastCategory(in.ForecastCategory)
		body.ForecastCategory = &f
	}
	if in.WinLikelihood != nil {
		p.winLikelihood("win_likelihood", *in.WinLikelihood)
		w := int64(*in.WinLikelihood)
		body.WinLikelihood = &w
	}
	body.Custom = customToWire(in.Custom, &p)
	body.CustomerUUID = in.CustomerUUID
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
	if u.EstimatedCloseDate != nil {
		empty = false
		body.EstimatedCloseDate = &openapi_types.Date{Time: p.date("estimated_close_date", *u.EstimatedCloseDate)}
	}
	if u.AmountInCents != nil {
		empty = false
		a := *u.AmountInCents
		body.AmountInCents = &a
	}
	if u.Type != nil {
		empty = false
		p.typ("type", *u.Type)
		t := generated.OpportunityType(*u.Type)
		body.Type = &t
	}
	if u.ForecastCategory != nil {
		empty = false
		p.forecast("forecast_category", *u.ForecastCategory)
		f := generated.ForecastCategory(*u.ForecastCategory)
		body.ForecastCategory = &f
	}
	if u.WinLikelihood != nil {
		empty = false
		p.winLikelihood("win_likelihood", *u.WinLikelihood)
		w := int64(*u.WinLikelihood)
		body.WinLikelihood = &w
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
	keys := make([]string, 0, len(custom))
	for k := range custom {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]generated.CustomAttribute, 0, len(keys))
	for _, k := range keys {
		field := "custom." + k
		if k == "" {
			field = "custom"
			p.add(field, "has an empty key")
			continue
		}
		raw, err := customValueJSON(custom[k])
		if err != nil {
			p.add(field, "%v", err)
			continue
		}
		a := generated.CustomAttribute{Key: k}
		_ = a.Value.UnmarshalJSON(raw) // stores the bytes; cannot fail
		out = append(out, a)
	}
	return out
}

// customValueJSON encodes one custom value; integers keep every digit.
func customValueJSON(v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return json.Marshal(x)
	case bool:
		return strconv.AppendBool(nil, x), nil
	case int:
		return strconv.AppendInt(nil, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(nil, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(nil, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(nil, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(nil, x, 10), nil
	case uint:
		return strconv.AppendUint(nil, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(nil, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(nil, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(nil, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(nil, x, 10), nil
	case float32:
		return floatJSON(float64(x), x)
	case float64:
		return floatJSON(x, x)
	case json.Number:
		if _, err := x.Float64(); err != nil || !json.Valid([]byte(x)) {
			return nil, fmt.Errorf("json.Number %q is not a number", string(x))
		}
		return []byte(x), nil
	case nil:
		return nil, fmt.Errorf("value is nil; want a string, bool, integer or float")
	default:
		return nil, fmt.Errorf("value of type %T is not supported; want a string, bool, integer or float", v)
	}
}

// floatJSON encodes a float as encoding/json does (123456789, not
// 1.23456789e+08); v is the float32 or float64 itself so its precision is kept.
func floatJSON(f float64, v any) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("value %v is not a finite number", f)
	}
	return json.Marshal(v)
}

// fromWire converts a decoded opportunity to the wrapper type.
func fromWire(w *generated.Opportunity) (Opportunity, error) {
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
		EstimatedCloseDate: w.EstimatedCloseDate.Format(DateLayout),
		Currency:           w.Currency,
		AmountInCents:      w.AmountInCents,
		Custom:             custom,
		CreatedAt:          w.CreatedAt,
		UpdatedAt:          w.UpdatedAt,
	}
	if w.Type != nil {
		o.Type = Type(*w.Type)
	}
	if w.ForecastCategory != nil {
		o.ForecastCategory = ForecastCategory(*w.ForecastCategory)
	}
	if w.WinLikelihood != nil {
		n := int(*w.WinLikelihood)
		o.WinLikelihood = &n
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
	if len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return number(json.Number(raw))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return normalizeNumbers(v)
}

// number turns a JSON number into int64 when it is integral and fits, else
// float64.
func number(n json.Number) (any, error) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return nil, fmt.Errorf("invalid number %q", string(n))
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
		w.EstimatedCloseDateOnOrAfter = &openapi_types.Date{Time: pr.date("estimated_close_date_on_or_after", p.EstimatedCloseDateOnOrAfter)}
	}
	if p.EstimatedCloseDateOnOrBefore != "" {
		w.EstimatedCloseDateOnOrBefore = &openapi_types.Date{Time: pr.date("estimated_close_date_on_or_before", p.EstimatedCloseDateOnOrBefore)}
	}
	if p.PerPage != 0 {
		if p.PerPage < 1 || p.PerPage > 200 {
			pr.add("per_page", "must be between 1 and 200, got %d", p.PerPage)
		}
		n := int64(p.PerPage)
		w.PerPage = &n
	}
	if p.Cursor != "" {
		w.Cursor = &p.Cursor
	}
	return &w, pr.err()
}
