package wrapper

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	opportunities "github.com/mogulkit/opportunities"
	"github.com/mogulkit/opportunities/generated"
)

// The required names come from the generated types; they must be exactly
// the spec's, so that the check follows openapi.yaml with no list kept here.
func TestRequiredFieldsAreTheSpecs(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(opportunities.OpenAPISpec)
	require.NoError(t, err)
	req := requiredFields()
	require.ElementsMatch(t, doc.Components.Schemas["Opportunity"].Value.Required, req.opportunity.names)
	require.ElementsMatch(t, doc.Components.Schemas["OpportunityList"].Value.Required, req.page.names)
}

func TestScanRequired(t *testing.T) {
	req := []string{"a", "b", "c"}
	tests := []struct {
		body    string
		missing string
	}{
		{`{"a":1,"b":"x","c":[1,{"a":null}]}`, ""},
		{` { "c" : {"b":1} , "a":"}\"]", "b":false } `, ""},
		{`{"a":1,"b":"x"}`, "c"},
		{`{"a":1,"b":null,"c":2}`, "b"},
		{`{"\u0061":1,"b":2,"c":3}`, ""},
		{`{"A":1,"b":2,"c":3}`, "a"},
		{`{"x":{"a":1,"b":2,"c":3}}`, "a"},
		{`{}`, "a"},
		{`[]`, "a"},
	}
	for _, tt := range tests {
		name, ok := missingRequired([]byte(tt.body), req)
		require.Equal(t, tt.missing == "", ok, tt.body)
		require.Equal(t, tt.missing, name, tt.body)
	}
}

func TestCheckRequiredPageChecksEveryEntry(t *testing.T) {
	check := func(body string) error {
		var w generated.OpportunityList
		require.NoError(t, json.Unmarshal([]byte(body), &w))
		return checkRequiredPage([]byte(body), &w)
	}
	require.NoError(t, check(`{"entries":[],"has_more":false}`))
	require.ErrorContains(t, check(`{"entries":[]}`), `"has_more"`)
	require.ErrorContains(t, check(`{"entries":null,"has_more":true}`), `"entries"`)
	entry := `{"uuid":"u","customer_uuid":"c","owner":"o","pipeline":"p","pipeline_stage":"s","estimated_close_date":"d",` +
		`"currency":"USD","amount_in_cents":1,"custom":{},"created_at":"2024-03-21T06:46:23.137Z","updated_at":"2024-03-21T06:46:23.137Z"}`
	zeroAmount := strings.Replace(entry, `"amount_in_cents":1`, `"amount_in_cents":0`, 1)
	require.NoError(t, check(`{"entries":[`+entry+`,`+zeroAmount+`],"has_more":false}`), "a zero value present is present")
	noAmount := strings.Replace(entry, `"amount_in_cents":1,`, ``, 1)
	require.ErrorContains(t, check(`{"entries":[`+entry+`,`+noAmount+`],"has_more":false}`), `"entries[1].amount_in_cents"`)
	noCustom := strings.Replace(entry, `"custom":{},`, `"custom":null,`, 1)
	require.ErrorContains(t, check(`{"entries":[`+noCustom+`],"has_more":true}`), `"entries[0].custom"`)
}

func BenchmarkCheckRequiredOpportunity(b *testing.B) {
	body := []byte(fuzzOpportunity)
	var w generated.Opportunity
	if err := json.Unmarshal(body, &w); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := checkRequiredOpportunity(body, &w); err != nil {
			b.Fatal(err)
		}
	}
}
