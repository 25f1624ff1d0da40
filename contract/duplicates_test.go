package contract_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/contract"
)

// A JSON key twice in one object, or a query parameter given twice, is
// ambiguous on the wire (readers disagree on which value counts): the
// contract flags it, in requests and responses, at any depth.
func TestRepeatedNamesAreViolations(t *testing.T) {
	c := load(t)
	create := `{"customer_uuid":"` + seedCustomer + `","owner":"a@example.org","owner":"b@example.org","pipeline":"P",` +
		`"pipeline_stage":"S","estimated_close_date":"2024-04-21","currency":"USD","amount_in_cents":1,` +
		`"custom":[{"key":"seats","value":3,"value":4}]}`
	requireViolations(t, c.ValidateRequest(ctx, contract.Request{Method: http.MethodPost, URL: "/v1/opportunities", Header: authed(), Body: []byte(create)}),
		want{contract.PartRequestBody, "owner", "duplicate"},
		want{contract.PartRequestBody, "custom[0].value", "duplicate"})

	requireViolations(t, c.ValidateRequest(ctx, contract.Request{Method: http.MethodGet, URL: "/v1/opportunities?per_page=1&per_page=200&pipeline=P", Header: authed()}),
		want{contract.PartQuery, "per_page", "duplicate"})

	get := contract.Request{Method: http.MethodGet, URL: "/v1/opportunities/" + seedUUID, Header: authed()}
	body := opportunityBody(nil)
	body = append(body[:len(body)-1], []byte(`,"custom":{"a":1,"a":2},"uuid":"`+seedUUID+`"}`)...)
	err := c.ValidateResponse(ctx, get, contract.Response{Status: 200, Header: jsonHeader(), Body: body})
	require.ErrorContains(t, err, "duplicate")
	var fields []string
	for _, v := range violations(t, err) {
		if v.Rule == "duplicate" {
			require.Equal(t, contract.PartResponseBody, v.Part)
			fields = append(fields, v.Field)
		}
	}
	require.ElementsMatch(t, []string{"custom", "custom.a", "uuid"}, fields)

	// The same names in different objects, or once each, are fine.
	require.NoError(t, c.ValidateRequest(ctx, contract.Request{Method: http.MethodPost, URL: "/v1/opportunities", Header: authed(),
		Body: createBody(map[string]any{"custom": []map[string]any{{"key": "a", "value": 1}, {"key": "b", "value": 2}}})}))
	require.NoError(t, c.ValidateResponse(ctx, get, contract.Response{Status: 200, Header: jsonHeader(), Body: opportunityBody(nil)}))
	// Custom attribute names are case-sensitive: "Tier" and "tier" are two.
	require.NoError(t, c.ValidateResponse(ctx, get, contract.Response{Status: 200, Header: jsonHeader(),
		Body: opportunityBody(map[string]any{"custom": map[string]any{"Tier": "a", "tier": "b"}})}))
}
