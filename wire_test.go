package opportunities_test

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/require"

	opportunities "github.com/mogulkit/opportunities"
)

// wireContract is openapi.yaml set up to check traffic the way
// chartmogultest's contract does: the "email" format is switched on for this
// document only, and routes match paths relative to the server's base path.
type wireContract struct {
	doc      *openapi3.T
	router   routers.Router
	basePath string // "/v1", the path of the document's server URL
	opts     []openapi3.SchemaValidationOption
}

var registerHTMLDecoder sync.Once

func loadWireContract(t testing.TB) *wireContract {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(opportunities.OpenAPISpec)
	require.NoError(t, err)
	require.Len(t, doc.Servers, 1)
	server, err := url.Parse(doc.Servers[0].URL)
	require.NoError(t, err)
	// Route without the base path: callers strip it from the request first.
	doc.Servers = nil
	doc.SetStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail))
	router, err := legacy.NewRouter(doc)
	require.NoError(t, err)
	// kin-openapi decodes text/plain but not text/html; a proxy's HTML page is
	// a string to the spec, so it is decoded the same way (this test binary only).
	registerHTMLDecoder.Do(func() { openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder) })
	return &wireContract{doc: doc, router: router, basePath: server.Path, opts: doc.GetSchemaValidationOptions()}
}

func (c *wireContract) options() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus:   true,
		SkipSettingDefaults:     true,
		SchemaValidationOptions: c.opts,
	}
}

// route matches a request whose path may carry the base path ("/v1/...").
func (c *wireContract) route(t testing.TB, method, path, rawQuery, contentType string, body []byte) *openapi3filter.RequestValidationInput {
	t.Helper()
	rel := strings.TrimPrefix(path, c.basePath)
	req := httptest.NewRequest(method, "http://127.0.0.1"+rel, bytes.NewReader(body))
	req.URL.RawQuery = rawQuery
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	route, params, err := c.router.FindRoute(req)
	require.NoError(t, err, "%s %s", method, path)
	return &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: c.options()}
}

func (c *wireContract) validateRequest(t testing.TB, method, path, rawQuery, contentType string, body []byte) error {
	t.Helper()
	return openapi3filter.ValidateRequest(context.Background(), c.route(t, method, path, rawQuery, contentType, body))
}

func (c *wireContract) validateResponse(t testing.TB, method, path string, status int, contentType string, body []byte) error {
	t.Helper()
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: c.route(t, method, path, "", "", nil),
		Status:                 status,
		Header:                 http.Header{},
		Options:                c.options(),
	}
	if contentType != "" {
		in.Header.Set("Content-Type", contentType)
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

const (
	recordedOpportunityJSON = `{"uuid":"bb544336-e74e-11ee-800c-effc264f19ed","customer_uuid":"cus_bb167600-e74e-11ee-93bd-8f1e5b698784",
	"owner":"owner1@example.com","pipeline":"New Business","pipeline_stage":"Discovery","estimated_close_date":"2023-12-22",
	"currency":"USD","amount_in_cents":100,"type":"recurring","forecast_category":"best_case","win_likelihood":3,
	"custom":{"from_campaign":true},"created_at":"2024-03-21T06:46:23.137Z","updated_at":"2024-03-21T06:46:23.137Z"}`
	oneUUID = "/v1/opportunities/bb544336-e74e-11ee-800c-effc264f19ed"
)

// TestEachOperationDeclaresExactlyTheStatusesTheAPISends proves that the
// spec has no catch-all: a success status of another operation, or a status
// the API never sends, fails response validation, while every declared error
// (including a proxy's HTML or plain-text 5xx page) passes.
func TestEachOperationDeclaresExactlyTheStatusesTheAPISends(t *testing.T) {
	c := loadWireContract(t)
	const (
		jsonCT = "application/json"
		page   = `{"entries":[],"cursor":"","has_more":false}`
		html   = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
	)
	type op struct{ method, path string }
	create, list := op{http.MethodPost, "/v1/opportunities"}, op{http.MethodGet, "/v1/opportunities"}
	retrieve, update, del := op{http.MethodGet, oneUUID}, op{http.MethodPatch, oneUUID}, op{http.MethodDelete, oneUUID}
	all := []op{create, list, retrieve, update, del}

	type answer struct {
		status      int
		contentType string
		body        string
	}
	pass := map[op][]answer{
		create:   {{201, jsonCT, recordedOpportunityJSON}},
		list:     {{200, jsonCT, page}},
		retrieve: {{200, jsonCT, recordedOpportunityJSON}},
		update:   {{200, jsonCT, recordedOpportunityJSON}},
		del:      {{200, jsonCT, `{}`}, {204, "", ""}},
	}
	fail := map[op][]answer{
		create:   {{200, jsonCT, recordedOpportunityJSON}, {204, "", ""}},
		list:     {{201, jsonCT, page}},
		retrieve: {{201, jsonCT, recordedOpportunityJSON}, {204, "", ""}},
		update:   {{201, jsonCT, recordedOpportunityJSON}, {204, "", ""}},
		del:      {{201, jsonCT, `{}`}, {202, jsonCT, `{}`}},
	}
	for _, o := range all {
		pass[o] = append(pass[o],
			answer{400, jsonCT, `{"code":400,"message":"Parameter \"custom[0][type]\" does not have a valid value","param":"custom[0][type]"}`},
			answer{401, jsonCT, `{"code":401,"message":"No valid API key provided"}`},
			answer{402, jsonCT, `{"code":402,"message":"Request Failed"}`},
			answer{403, jsonCT, `{"error":"Forbidden"}`},
			answer{404, jsonCT, `{"error":"Opportunity not found"}`},
			answer{422, jsonCT, `{"errors":{"win_likelihood":"must be between 0 and 100"}}`},
			answer{429, jsonCT, `{"error":"Your request rate has exceeded our rate limit."}`},
			answer{500, jsonCT, `{"code":500,"message":"Internal Server Error"}`},
			answer{500, "text/plain; charset=utf-8", "Internal Server Error"},
			answer{502, "text/html", html},
			answer{503, "text/plain", "Service Unavailable"},
			answer{504, "text/html; charset=utf-8", html},
		)
		fail[o] = append(fail[o],
			answer{302, "text/html", html},       // a redirect is no answer of the API
			answer{409, jsonCT, `{"error":"x"}`}, // nor is a status ChartMogul does not list
			answer{418, "text/plain", "teapot"},
			answer{404, "text/html", html},    // only 5xx come as a proxy's page
			answer{429, "text/plain", "slow"}, // the rate limit answers JSON
			answer{600, jsonCT, `{}`},
		)
	}
	for _, o := range all {
		for _, a := range pass[o] {
			t.Run(fmt.Sprintf("%s %s passes %d %s", o.method, o.path, a.status, a.contentType), func(t *testing.T) {
				require.NoError(t, c.validateResponse(t, o.method, o.path, a.status, a.contentType, []byte(a.body)))
			})
		}
		for _, a := range fail[o] {
			t.Run(fmt.Sprintf("%s %s rejects %d %s", o.method, o.path, a.status, a.contentType), func(t *testing.T) {
				err := c.validateResponse(t, o.method, o.path, a.status, a.contentType, []byte(a.body))
				require.Error(t, err)
				t.Log(err)
			})
		}
	}
	// The 2xx lists above are complete: each operation declares one success
	// status (delete two), no default, and every status is a listed one.
	successes := map[string][]string{}
	for path, item := range c.doc.Paths.Map() {
		for method, operation := range item.Operations() {
			require.Nil(t, operation.Responses.Default(), "%s %s", method, path)
			for status := range operation.Responses.Map() {
				require.Contains(t, []string{"200", "201", "204", "400", "401", "402", "403", "404", "422", "429", "5XX"}, status)
				if strings.HasPrefix(status, "2") {
					successes[operation.OperationID] = append(successes[operation.OperationID], status)
				}
			}
		}
	}
	for id := range successes {
		sort.Strings(successes[id])
	}
	require.Equal(t, map[string][]string{
		"createOpportunity": {"201"}, "listOpportunities": {"200"}, "retrieveOpportunity": {"200"},
		"updateOpportunity": {"200"}, "deleteOpportunity": {"200", "204"},
	}, successes)
}

// TestPerPageAboveTwoHundredIsAccepted follows ChartMogul's pagination page:
// a per_page above 200 is accepted (and treated as 200), so the spec sets no
// maximum and says so.
func TestPerPageAboveTwoHundredIsAccepted(t *testing.T) {
	c := loadWireContract(t)
	for _, q := range []string{"per_page=1", "per_page=200", "per_page=201", "per_page=500", "per_page=1000000"} {
		require.NoError(t, c.validateRequest(t, http.MethodGet, "/v1/opportunities", q, "", nil), q)
	}
	for _, q := range []string{"per_page=0", "per_page=-1", "per_page=ten", "per_page=1.5"} {
		require.Error(t, c.validateRequest(t, http.MethodGet, "/v1/opportunities", q, "", nil), q)
	}
	param := c.doc.Components.Parameters["PerPage"].Value
	require.Nil(t, param.Schema.Value.Max)
	require.Contains(t, param.Description, "above 200 is accepted and treated as 200")
}

// contentTypeOf returns the media type of a Content-Type value.
func contentTypeOf(t testing.TB, v string) string {
	t.Helper()
	mt, _, err := mime.ParseMediaType(v)
	require.NoError(t, err, v)
	return mt
}
