package wrapper_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/wrapper"
)

// A page marshals to the API's JSON: entries, cursor and has_more, in the
// spec's order, with [] for no entries; an encoder that does not escape
// HTML leaves <, > and & as they are, in the entries too.
func TestPageMarshalsAsTheAPI(t *testing.T) {
	b, err := json.Marshal(wrapper.Page{})
	require.NoError(t, err)
	require.Equal(t, `{"entries":[],"cursor":"","has_more":false}`, string(b))

	at := time.Date(2024, 3, 21, 6, 46, 23, 137_000_000, time.UTC)
	o := wrapper.Opportunity{UUID: "bb544336-e74e-11ee-800c-effc264f19ed", CustomerUUID: "cus_x", Owner: "a@b",
		Pipeline: "<P&>", PipelineStage: "S", EstimatedCloseDate: "2024-04-21", Currency: "USD", AmountInCents: 1,
		Custom: map[string]any{"seats": int64(3)}, CreatedAt: at, UpdatedAt: at}
	entry, err := json.Marshal(o)
	require.NoError(t, err)
	page := wrapper.Page{Entries: []wrapper.Opportunity{o, o}, Cursor: "c2", HasMore: true}
	b, err = json.Marshal(page)
	require.NoError(t, err)
	require.Equal(t, `{"entries":[`+string(entry)+`,`+string(entry)+`],"cursor":"c2","has_more":true}`, string(b))

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	page.Cursor = "c<&>"
	require.NoError(t, enc.Encode(page))
	require.Contains(t, buf.String(), `"pipeline":"<P&>"`)
	require.Contains(t, buf.String(), `"cursor":"c<&>"`)
}

// A Page, and an Opportunity, read back what they marshal: every field,
// custom values with their types, has_more.
func TestPageAndOpportunityRoundTripThroughJSON(t *testing.T) {
	at := time.Date(2024, 3, 21, 6, 46, 23, 137_000_000, time.UTC)
	win := 0
	o := wrapper.Opportunity{UUID: "bb544336-e74e-11ee-800c-effc264f19ed", CustomerUUID: "cus_bb167600-e74e-11ee-93bd-8f1e5b698784",
		Owner: "a@example.org", Pipeline: "New Business", PipelineStage: "Discovery", EstimatedCloseDate: "2024-04-21",
		Currency: "USD", AmountInCents: 100000, Type: wrapper.TypeRecurring, ForecastCategory: wrapper.ForecastBestCase,
		WinLikelihood: &win, Custom: map[string]any{"seats": int64(3), "rate": 12.5, "ok": true, "zip": "02134"}, CreatedAt: at, UpdatedAt: at}
	for _, page := range []wrapper.Page{{Entries: []wrapper.Opportunity{o}, Cursor: "next", HasMore: true}, {Entries: []wrapper.Opportunity{}}} {
		b, err := json.Marshal(page)
		require.NoError(t, err)
		var back wrapper.Page
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, page, back)
	}
	var zero wrapper.Opportunity
	b, err := json.Marshal(zero)
	require.NoError(t, err)
	var back wrapper.Opportunity
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, zero.UUID, back.UUID)
	require.Error(t, json.Unmarshal([]byte(`{"entries":{}}`), &wrapper.Page{}))

	kept := o
	require.NoError(t, json.Unmarshal([]byte("null"), &kept))
	require.Equal(t, o, kept, "null leaves the value as it is")
}
