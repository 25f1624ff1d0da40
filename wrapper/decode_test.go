package wrapper_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/wrapper"
)

// decodeSeedBody is the create body of ChartMogul's documentation page.
const decodeSeedBody = `{"customer_uuid": "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", "owner": "test1@example.org",
 "pipeline": "New Business", "pipeline_stage": "Discovery", "estimated_close_date": "2024-04-21", "currency": "USD",
 "amount_in_cents": 100000, "type": "recurring", "forecast_category": "best_case", "win_likelihood": 40,
 "custom": [{"key": "seats", "value": 3}, {"key": "marketing_campaign", "value": "Facebook"}]}`

func TestDecodeBodySeed(t *testing.T) {
	in, read, err := wrapper.DecodeOpportunityInput([]byte(decodeSeedBody))
	require.NoError(t, err)
	require.Empty(t, read)
	want := wrapper.NewOpportunity("cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", "test1@example.org", "New Business", "Discovery", "2024-04-21", "USD", 100000).
		WithType(wrapper.TypeRecurring).WithForecastCategory(wrapper.ForecastBestCase).WithWinLikelihood(40).
		WithCustom(map[string]any{"seats": int64(3), "marketing_campaign": "Facebook"})
	require.Equal(t, want, in)
	require.NoError(t, in.Validate())

	// Omitted stays omitted; nulls count as omitted on create; a missing
	// required number is reported (Go alone cannot tell 0 from absent).
	in, read, err = wrapper.DecodeOpportunityInput([]byte(`{"win_likelihood": null, "type": null, "amount_in_cents": 9007199254740993}`))
	require.NoError(t, err)
	require.NotContains(t, read, wrapper.FieldError{Field: "amount_in_cents", Problem: "is required"})
	require.Contains(t, read, wrapper.FieldError{Field: "owner", Problem: "is required"})
	require.Nil(t, in.WinLikelihood)
	require.Equal(t, int64(9007199254740993), in.AmountInCents, "every digit kept")
	_, read, _ = wrapper.DecodeOpportunityInput([]byte(`{"owner": "a@b"}`))
	require.Contains(t, read, wrapper.FieldError{Field: "amount_in_cents", Problem: "is required"})

	for body, want := range map[string]string{
		`[1]`:       "must be a JSON object",
		`null`:      "must be a JSON object, got null",
		``:          "empty",
		`{} {}`:     "more data",
		`{"a": }`:   "invalid JSON",
		"  \n\t   ": "empty",
	} {
		_, _, err := wrapper.DecodeOpportunityInput([]byte(body))
		require.ErrorContains(t, err, want, body)
	}

	u, read, err := wrapper.DecodeOpportunityUpdate([]byte(`{"customer_uuid": "x", "win_likelihood": 1.5, "owner": 3, "pipeline": null, "custom": [{"key": "a", "value": 1}, {"key": "a", "value": 2}, {"value": 1}, {"key": "b"}, {"key": "c", "value": null, "extra": 1}, {"key": "d", "value": 1, "type": "Integer"}]}`))
	require.NoError(t, err)
	fieldsOf := map[string]string{}
	for _, p := range read {
		fieldsOf[p.Field] += p.Problem + ";"
	}
	require.Contains(t, fieldsOf["customer_uuid"], "unknown field")
	require.Contains(t, fieldsOf["win_likelihood"], "must be an integer")
	require.Contains(t, fieldsOf["owner"], "must be a string")
	require.Contains(t, fieldsOf["pipeline"], "null is not supported")
	require.Contains(t, fieldsOf["custom.a"], "given twice")
	require.Contains(t, fieldsOf["custom"], "entry 2 has no key")
	require.Contains(t, fieldsOf["custom.b"], "has no value")
	require.Contains(t, fieldsOf["custom.c"], `unknown member "extra"`)
	require.NotContains(t, fieldsOf, "custom.d", "the spec's type member is accepted")
	// A null custom value is read, and refused by the spec's CustomValue rule.
	require.ErrorContains(t, u.Validate(), "custom.c: must be a string, a number or a boolean (oneOf), got null")
}

// An opportunity marshals to the API's JSON: its names and order, null for
// optional fields the API returned none for, timestamps with milliseconds.
func TestOpportunityMarshalsAsTheAPI(t *testing.T) {
	at := time.Date(2024, 3, 21, 6, 46, 23, 100_000_000, time.UTC)
	o := wrapper.Opportunity{UUID: "bb544336-e74e-11ee-800c-effc264f19ed", CustomerUUID: "cus_x", Owner: "a@b",
		Pipeline: "P", PipelineStage: "S", EstimatedCloseDate: "2024-04-21", Currency: "USD", AmountInCents: 1,
		CreatedAt: at, UpdatedAt: at}
	b, err := json.Marshal(o)
	require.NoError(t, err)
	require.Equal(t, `{"uuid":"bb544336-e74e-11ee-800c-effc264f19ed","customer_uuid":"cus_x","owner":"a@b","pipeline":"P",`+
		`"pipeline_stage":"S","estimated_close_date":"2024-04-21","currency":"USD","amount_in_cents":1,"type":null,`+
		`"forecast_category":null,"win_likelihood":null,"custom":{},"created_at":"2024-03-21T06:46:23.100Z",`+
		`"updated_at":"2024-03-21T06:46:23.100Z"}`, string(b))
	require.Equal(t, "2024-03-21", wrapper.Date(at))
}

// A name given twice is refused, not silently replaced by the last value.
func TestDecodeRefusesRepeatedNames(t *testing.T) {
	_, read, err := wrapper.DecodeOpportunityInput([]byte(`{"win_likelihood": 500, "win_likelihood": 5,
		"custom": [{"key": "a", "key": "b", "value": 1}]}`))
	require.NoError(t, err)
	require.Contains(t, read, wrapper.FieldError{Field: "win_likelihood", Problem: "is given more than once (a JSON object must not repeat a name)"})
	require.Contains(t, read, wrapper.FieldError{Field: "custom.b", Problem: `repeats "key" in the entry (a JSON object must not repeat a name)`})
}

// A body that is not UTF-8 is refused (encoding/json would send U+FFFD in
// place of the bad bytes, silently); the BOM some editors write is dropped.
func TestDecodeRefusesInvalidUTF8AndDropsTheBOM(t *testing.T) {
	_, _, err := wrapper.DecodeOpportunityInput([]byte(`{"pipeline_stage": "Disc` + "\xff" + `overy"}`))
	require.EqualError(t, err, "the body is not valid UTF-8 (byte 25)")
	_, _, err = wrapper.DecodeOpportunityUpdate([]byte("{\"owner\": \"\xc3\"}"))
	require.EqualError(t, err, "the body is not valid UTF-8 (byte 12)")

	in, read, err := wrapper.DecodeOpportunityInput([]byte("\ufeff" + decodeSeedBody))
	require.NoError(t, err)
	require.Empty(t, read)
	require.Equal(t, "Discovery", in.PipelineStage)
}
