package contract_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/contract"
)

const (
	seedUUID     = "4ee13ca4-e7fe-11ee-fa7f-f303abf41acc"
	seedCustomer = "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7"
)

var ctx = context.Background()

func load(t testing.TB, opts ...contract.Option) *contract.Contract {
	t.Helper()
	c, err := contract.Load(opts...)
	require.NoError(t, err)
	return c
}

// authed is a request header with basic auth and a JSON body.
func authed() http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth("key", "")
	h.Set("Authorization", r.Header.Get("Authorization"))
	return h
}

func jsonHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

// createBody is a valid create body with changes; a nil value removes a field.
func createBody(changes map[string]any) []byte {
	f := map[string]any{
		"customer_uuid": seedCustomer, "owner": "test1@example.org", "pipeline": "New Business",
		"pipeline_stage": "Discovery", "estimated_close_date": "2024-04-21", "currency": "USD", "amount_in_cents": 100000,
	}
	for k, v := range changes {
		if v == nil {
			delete(f, k)
		} else {
			f[k] = v
		}
	}
	b, _ := json.Marshal(f)
	return b
}

// opportunityBody is a valid opportunity with changes; a nil value removes a field.
func opportunityBody(changes map[string]any) []byte {
	f := map[string]any{
		"uuid": seedUUID, "customer_uuid": seedCustomer, "owner": "test1@example.org", "pipeline": "New Business",
		"pipeline_stage": "Discovery", "estimated_close_date": "2024-04-21", "currency": "USD", "amount_in_cents": 10000,
		"type": "recurring", "forecast_category": "best_case", "win_likelihood": 40, "custom": map[string]any{"seats": 3},
		"created_at": "2024-03-20T09:55:50.156Z", "updated_at": "2024-03-20T09:55:50.156Z",
	}
	for k, v := range changes {
		if v == nil {
			delete(f, k)
		} else {
			f[k] = v
		}
	}
	b, _ := json.Marshal(f)
	return b
}

// violations returns the violations of err, which must be an *contract.Error.
func violations(t *testing.T, err error) []contract.Violation {
	t.Helper()
	var ce *contract.Error
	require.ErrorAs(t, err, &ce)
	return ce.Violations
}

type want struct {
	part  contract.Part
	field string
	rule  string
}

func requireViolations(t *testing.T, err error, wants ...want) {
	t.Helper()
	vs := violations(t, err)
	got := make([]want, len(vs))
	for i, v := range vs {
		got[i] = want{v.Part, v.Field, v.Rule}
		require.NotEmpty(t, v.Message)
	}
	require.ElementsMatch(t, wants, got, "%v", err)
}

func TestValidateRequestAcceptsValidRequests(t *testing.T) {
	c := load(t)
	for _, r := range []contract.Request{
		{Method: http.MethodPost, URL: "https://api.chartmogul.com/v1/opportunities", Header: authed(), Body: createBody(map[string]any{
			"win_likelihood": 0, "type": "recurring", "forecast_category": "won",
			"custom": []map[string]any{{"key": "s", "value": "x"}, {"key": "i", "value": 3}, {"key": "d", "value": 12.5}, {"key": "b", "value": true}},
		})},
		{Method: http.MethodGet, URL: "/v1/opportunities?customer_uuid=" + seedCustomer + "&owner=a%2Bb@example.org&pipeline=P&pipeline_stage=S" +
			"&estimated_close_date_on_or_after=2024-02-29&estimated_close_date_on_or_before=2024-12-31&per_page=1&cursor=abc", Header: authed()},
		{Method: http.MethodGet, URL: "/v1/opportunities/" + seedUUID, Header: authed()},
		{Method: http.MethodPatch, URL: "/v1/opportunities/" + seedUUID, Header: authed(), Body: []byte(`{"win_likelihood":0}`)},
		{Method: http.MethodDelete, URL: "/v1/opportunities/" + seedUUID, Header: authed()},
	} {
		require.NoError(t, c.ValidateRequest(ctx, r), "%s %s", r.Method, r.URL)
	}
}

func TestValidateRequestListsEveryViolation(t *testing.T) {
	c := load(t)
	cases := []struct {
		name  string
		req   contract.Request
		wants []want
	}{
		{"body", contract.Request{Method: http.MethodPost, URL: "/v1/opportunities", Header: authed(), Body: createBody(map[string]any{
			"owner": "not-an-address", "win_likelihood": 101, "amount_in_cents": "100", "customer_uuid": nil,
			"custom": []map[string]any{{"key": "seats", "value": map[string]any{}}},
		})}, []want{
			{contract.PartRequestBody, "owner", "format"},
			{contract.PartRequestBody, "win_likelihood", "maximum"},
			{contract.PartRequestBody, "amount_in_cents", "type"},
			{contract.PartRequestBody, "customer_uuid", "required"},
			{contract.PartRequestBody, "custom[0].value", "oneOf"},
		}},
		{"query and auth", contract.Request{Method: http.MethodGet,
			URL: "/v1/opportunities?per_page=0&owner=nobody&estimated_close_date_on_or_after=2024-02-30"}, []want{
			{contract.PartSecurity, "", "security"},
			{contract.PartQuery, "per_page", "minimum"},
			{contract.PartQuery, "owner", "format"},
			{contract.PartQuery, "estimated_close_date_on_or_after", "format"},
		}},
		{"path", contract.Request{Method: http.MethodGet, URL: "/v1/opportunities/not-a-uuid", Header: authed()},
			[]want{{contract.PartPath, "uuid", "pattern"}}},
		{"no body", contract.Request{Method: http.MethodPost, URL: "/v1/opportunities", Header: authed()},
			[]want{{contract.PartRequestBody, "", "required"}}},
		{"broken JSON", contract.Request{Method: http.MethodPost, URL: "/v1/opportunities", Header: authed(), Body: []byte(`{"owner":`)},
			[]want{{contract.PartRequestBody, "", "body"}}},
		{"unknown path", contract.Request{Method: http.MethodGet, URL: "/v1/customers", Header: authed()},
			[]want{{contract.PartRoute, "", "route"}}},
		{"unknown method", contract.Request{Method: http.MethodPut, URL: "/v1/opportunities", Header: authed()},
			[]want{{contract.PartRoute, "", "route"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := c.ValidateRequest(ctx, tc.req)
			requireViolations(t, err, tc.wants...)
			for _, w := range tc.wants {
				require.Contains(t, err.Error(), w.field)
			}
		})
	}
}

func TestAnyBaseURLIsAccepted(t *testing.T) {
	c := load(t)
	for _, u := range []string{
		"https://api.chartmogul.com/v1/opportunities",
		"http://127.0.0.1:12111/v1/opportunities",
		"http://localhost/opportunities",
		"http://proxy.internal/chartmogul/api/v2/opportunities",
		"/opportunities",
		"/opportunities-archive/v1/opportunities", // a base that merely starts like the API
	} {
		op, err := c.Operation(http.MethodGet, u)
		require.NoError(t, err, u)
		require.Equal(t, contract.OpList, op, u)
	}
	op, err := c.Operation(http.MethodDelete, "http://127.0.0.1:1/opportunities/v1/opportunities/"+seedUUID)
	require.NoError(t, err)
	require.Equal(t, contract.OpDelete, op)

	exact := load(t, contract.WithBasePath("/v1/"))
	_, err = exact.Operation(http.MethodGet, "http://127.0.0.1/v1/opportunities")
	require.NoError(t, err)
	_, err = exact.Operation(http.MethodGet, "http://127.0.0.1/v2/opportunities")
	require.ErrorContains(t, err, `not under the base path "/v1"`)
	_, err = exact.Operation(http.MethodGet, "http://127.0.0.1/v1/x/opportunities")
	require.ErrorContains(t, err, "no operation of openapi.yaml matches GET /x/opportunities")
}

func TestFormatsAreScopedToTheDocument(t *testing.T) {
	before := len(openapi3.SchemaStringFormats)
	c := load(t)
	require.Equal(t, before, len(openapi3.SchemaStringFormats), "no format was registered process-wide")
	for _, f := range []string{"email", "uuid"} {
		_, global := openapi3.SchemaStringFormats[f]
		require.False(t, global, f)
	}
	bad := contract.Request{Method: http.MethodPost, URL: "/v1/opportunities", Header: authed(),
		Body: createBody(map[string]any{"owner": "two@at@example.org", "estimated_close_date": "2024-02-30"})}
	requireViolations(t, c.ValidateRequest(ctx, bad),
		want{contract.PartRequestBody, "owner", "format"}, want{contract.PartRequestBody, "estimated_close_date", "format"})

	// date-time and uuid, checked through a document of our own.
	doc := `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /opportunities:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                id: {type: string, format: uuid}
                at: {type: string, format: date-time}
      responses:
        "200": {description: ok}
`
	own, err := contract.LoadData([]byte(doc), contract.WithoutAuth())
	require.NoError(t, err)
	err = own.ValidateRequest(ctx, contract.Request{Method: http.MethodPost, URL: "/opportunities", Header: jsonHeader(),
		Body: []byte(`{"id":"bb544336-e74e-11ee-800c","at":"2024-03-21 06:46"}`)})
	requireViolations(t, err, want{contract.PartRequestBody, "id", "format"}, want{contract.PartRequestBody, "at", "format"})
	require.NoError(t, own.ValidateRequest(ctx, contract.Request{Method: http.MethodPost, URL: "/opportunities", Header: jsonHeader(),
		Body: []byte(`{"id":"bb544336-e74e-11ee-800c-effc264f19ed","at":"2024-03-21T06:46:23.137Z"}`)}))
}

func TestLoadDataRejectsABadDocument(t *testing.T) {
	_, err := contract.LoadData([]byte("openapi: 3.0.3\ninfo: {}\npaths: {}\n"))
	require.ErrorContains(t, err, "contract: the spec is not valid OpenAPI")
	_, err = contract.LoadData([]byte("{"))
	require.ErrorContains(t, err, "contract: loading the spec")
}

func TestValidateResponse(t *testing.T) {
	c := load(t)
	get := contract.Request{Method: http.MethodGet, URL: "/v1/opportunities/" + seedUUID, Header: authed()}
	require.NoError(t, c.ValidateResponse(ctx, get, contract.Response{Status: 200, Header: jsonHeader(), Body: opportunityBody(nil)}))
	require.NoError(t, c.ValidateResponse(ctx, get, contract.Response{Status: 404, Header: jsonHeader(), Body: []byte(`{"error":"Opportunity not found"}`)}))
	require.NoError(t, c.ValidateResponse(ctx, get, contract.Response{Status: 502,
		Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte(`<html><h1>502</h1></html>`)}))

	cases := []struct {
		name  string
		resp  contract.Response
		wants []want
	}{
		{"missing required field and type change", contract.Response{Status: 200, Header: jsonHeader(),
			Body: opportunityBody(map[string]any{"created_at": nil, "amount_in_cents": "10000", "win_likelihood": 140})}, []want{
			{contract.PartResponseBody, "created_at", "required"},
			{contract.PartResponseBody, "amount_in_cents", "type"},
			{contract.PartResponseBody, "win_likelihood", "maximum"},
		}},
		{"undocumented success status", contract.Response{Status: 202, Header: jsonHeader(), Body: opportunityBody(nil)},
			[]want{{contract.PartStatus, "", "status"}}},
		{"undocumented media type", contract.Response{Status: 404, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("gone")},
			[]want{{contract.PartResponseHeader, "Content-Type", "content-type"}}},
		{"error body of the wrong shape", contract.Response{Status: 429, Header: jsonHeader(), Body: []byte(`{"error":3}`)},
			[]want{{contract.PartResponseBody, "error", "type"}}},
		{"broken JSON", contract.Response{Status: 200, Header: jsonHeader(), Body: []byte(`{"uuid":`)},
			[]want{{contract.PartResponseBody, "", "body"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := c.ValidateResponse(ctx, get, tc.resp)
			requireViolations(t, err, tc.wants...)
			var ce *contract.Error
			require.ErrorAs(t, err, &ce)
			require.Equal(t, contract.OpRetrieve, ce.Operation)
			require.Equal(t, tc.resp.Status, ce.Status)
			require.False(t, ce.InRequest())
		})
	}
}

func TestValidateExchangeListsBothSides(t *testing.T) {
	c := load(t)
	req := contract.Request{Method: http.MethodPost, URL: "/v1/opportunities", Header: authed(), Body: createBody(map[string]any{"currency": "usd"})}
	resp := contract.Response{Status: 201, Header: jsonHeader(), Body: opportunityBody(map[string]any{"uuid": nil})}
	err := c.ValidateExchange(ctx, req, resp)
	requireViolations(t, err, want{contract.PartRequestBody, "currency", "pattern"}, want{contract.PartResponseBody, "uuid", "required"})
	require.Equal(t, contract.PartRequestBody, violations(t, err)[0].Part, "request violations come first")
	var ce *contract.Error
	require.ErrorAs(t, err, &ce)
	require.True(t, ce.InRequest())
	require.Equal(t, "contract: POST /v1/opportunities (createOpportunity) -> 201: 2 violations of openapi.yaml: "+
		`request body currency: pattern: string doesn't match the regular expression "^[A-Z]{3}$"; `+
		`response body uuid: required: property "uuid" is missing`, err.Error())

	ok := contract.Request{Method: http.MethodPost, URL: "/v1/opportunities", Header: authed(), Body: createBody(nil)}
	require.NoError(t, c.ValidateExchange(ctx, ok, contract.Response{Status: 201, Header: jsonHeader(), Body: opportunityBody(nil)}))
	err = c.ValidateExchange(ctx, contract.Request{Method: http.MethodGet, URL: "/v1/nothing"}, contract.Response{Status: 404})
	requireViolations(t, err, want{contract.PartRoute, "", "route"})
}

func TestErrorsNeverCarryTheKeyOrAPassword(t *testing.T) {
	c := load(t)
	h := http.Header{}
	h.Set("Authorization", "Bearer secret-key-123456")
	err := c.ValidateRequest(ctx, contract.Request{Method: http.MethodGet, URL: "https://user:secret-password@api.example/v1/opportunities?per_page=x", Header: h})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "secret")
}

func TestUndocumentedFields(t *testing.T) {
	c := load(t)
	get := contract.Request{Method: http.MethodGet, URL: "/v1/opportunities/" + seedUUID}
	body := opportunityBody(map[string]any{"probability": 0.4, "custom": map[string]any{"anything": 1}})
	require.Equal(t, []string{"probability"}, c.UndocumentedFields(get, contract.Response{Status: 200, Header: jsonHeader(), Body: body}))
	require.Empty(t, c.UndocumentedFields(get, contract.Response{Status: 200, Header: jsonHeader(), Body: opportunityBody(nil)}))
	require.Empty(t, c.UndocumentedFields(get, contract.Response{Status: 404, Header: jsonHeader(), Body: []byte(`{"error":"x","extra":1}`)}),
		"error bodies take any key")

	list := contract.Request{Method: http.MethodGet, URL: "/v1/opportunities"}
	page := `{"entries":[` + string(opportunityBody(map[string]any{"stage_id": 3})) + `,` + string(opportunityBody(map[string]any{"stage_id": 4})) +
		`],"has_more":false,"cursor":"x","total":2}`
	require.Equal(t, []string{"entries[].stage_id", "total"}, c.UndocumentedFields(list, contract.Response{Status: 200, Header: jsonHeader(), Body: []byte(page)}))
	require.Nil(t, c.UndocumentedFields(list, contract.Response{Status: 200, Header: jsonHeader(), Body: []byte(`{`)}))
	require.Nil(t, c.UndocumentedFields(contract.Request{Method: http.MethodGet, URL: "/x"}, contract.Response{Status: 200}))
}

// recorded is one exchange recorded against the live API (March 2024).
type recorded struct {
	Source              string `json:"source"`
	Method              string `json:"method"`
	Path                string `json:"path"`
	Query               string `json:"query"`
	RequestContentType  string `json:"request_content_type"`
	RequestBody         string `json:"request_body"`
	Status              int    `json:"status"`
	ResponseContentType string `json:"response_content_type"`
	ResponseBody        string `json:"response_body"`
}

func TestRecordedExchangesConform(t *testing.T) {
	data, err := os.ReadFile("testdata/recorded-exchanges.json")
	require.NoError(t, err)
	var all []recorded
	require.NoError(t, json.Unmarshal(data, &all))
	require.Len(t, all, 16)
	c := load(t, contract.WithoutAuth()) // the recordings have no Authorization header
	for _, x := range all {
		u := "https://api.chartmogul.com" + x.Path
		if x.Query != "" {
			u += "?" + strings.TrimPrefix(x.Query, "?")
		}
		req := contract.Request{Method: x.Method, URL: u, Header: http.Header{}, Body: []byte(x.RequestBody)}
		if x.RequestContentType != "" {
			req.Header.Set("Content-Type", x.RequestContentType)
		}
		ct := x.ResponseContentType
		if ct == "" { // some fixtures did not keep the header; the bodies are JSON
			ct = "application/json"
		}
		resp := contract.Response{Status: x.Status, Header: http.Header{"Content-Type": {ct}}, Body: []byte(x.ResponseBody)}
		require.NoError(t, c.ValidateExchange(ctx, req, resp), x.Source)
		require.Empty(t, c.UndocumentedFields(req, resp), x.Source)
	}
}

func TestViolationParam(t *testing.T) {
	for field, want := range map[string]string{"custom[0].value": "custom[0][value]", "win_likelihood": "win_likelihood", "": "", "entries[1].custom.seats": "entries[1][custom][seats]"} {
		require.Equal(t, want, contract.Violation{Part: contract.PartRequestBody, Field: field}.Param(), field)
	}
	require.Equal(t, "per_page", contract.Violation{Part: contract.PartQuery, Field: "per_page"}.Param())
}
