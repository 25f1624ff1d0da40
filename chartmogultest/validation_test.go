package chartmogultest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/generated"
)

// specRouter loads openapi.yaml independently of the package under test.
func specRouter(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(generated.OpenAPISpec())
	require.NoError(t, err)
	doc.Servers = nil
	doc.SetStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail))
	router, err := legacy.NewRouter(doc)
	require.NoError(t, err)
	return doc, router
}

// requireResponseMatchesSpec validates a response of the fake with
// openapi3filter.ValidateResponse; path is relative to the base path.
func requireResponseMatchesSpec(t testing.TB, doc *openapi3.T, router routers.Router, method, path string, r result) {
	t.Helper()
	u, err := url.Parse("http://fake" + path)
	require.NoError(t, err)
	req := &http.Request{Method: method, URL: u, Header: http.Header{}}
	route, params, err := router.FindRoute(req)
	require.NoError(t, err, "%s %s", method, path)
	opts := &openapi3filter.Options{IncludeResponseStatus: true, SchemaValidationOptions: doc.GetSchemaValidationOptions(),
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 r.Status, Header: r.Header, Options: opts,
	}
	in.SetBodyBytes(r.Body)
	require.NoError(t, openapi3filter.ValidateResponse(context.Background(), in), "%s %s -> %d %s", method, path, r.Status, r.Body)
}

func TestResponsesMatchTheSpec(t *testing.T) {
	doc, router := specRouter(t)
	srv := chartmogultest.NewServer(t, chartmogultest.WithRateLimit(1000, true))
	check := func(rq request, want int) result {
		t.Helper()
		r := call(t, srv, rq)
		require.Equal(t, want, r.Status, "%s %s: %s", rq.Method, rq.Path, r.Body)
		requireResponseMatchesSpec(t, doc, router, rq.Method, rq.Path, r)
		return r
	}
	full := check(request{Method: "POST", Path: "/opportunities", Body: recordedCreate}, 201).JSON(t)["uuid"].(string)
	bare := check(request{Method: "POST", Path: "/opportunities", Body: createBody(nil)}, 201).JSON(t)["uuid"].(string)
	check(request{Method: "GET", Path: "/opportunities/" + full}, 200)
	check(request{Method: "GET", Path: "/opportunities/" + bare}, 200)
	check(request{Method: "PATCH", Path: "/opportunities/" + bare, Body: `{"custom":[{"key":"k","value":1.25}],"type":"one-time"}`}, 200)
	check(request{Method: "GET", Path: "/opportunities"}, 200)
	check(request{Method: "GET", Path: "/opportunities?per_page=1"}, 200)
	check(request{Method: "GET", Path: "/opportunities?pipeline=none"}, 200)
	check(request{Method: "DELETE", Path: "/opportunities/" + full}, 200)
	check(request{Method: "GET", Path: "/opportunities/" + full}, 404)
	check(request{Method: "DELETE", Path: "/opportunities/" + full}, 404)
	check(request{Method: "PATCH", Path: "/opportunities/" + full, Body: `{"win_likelihood":1}`}, 404)
	check(request{Method: "POST", Path: "/opportunities", Body: createBody(map[string]any{"win_likelihood": 101})}, 400)
	check(request{Method: "POST", Path: "/opportunities"}, 400)
	check(request{Method: "GET", Path: "/opportunities/nope"}, 400)
	check(request{Method: "GET", Path: "/opportunities?cursor=bm9wZQ"}, 400)
	check(request{Method: "GET", Path: "/opportunities", NoAuth: true}, 401)
	check(request{Method: "DELETE", Path: "/opportunities/" + bare, Key: "wrong"}, 401)
	// Fault responses in ChartMogul's shapes match too.
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Status: 500})
	check(request{Method: "GET", Path: "/opportunities"}, 500)
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Status: 504, Body: "Gateway Timeout"})
	check(request{Method: "GET", Path: "/opportunities"}, 504)

	limited := chartmogultest.NewServer(t, chartmogultest.WithRateLimit(1, true))
	for i := 0; i < 100; i++ {
		r := call(t, limited, request{Method: "GET", Path: "/opportunities"})
		requireResponseMatchesSpec(t, doc, router, "GET", "/opportunities", r)
		if r.Status == http.StatusTooManyRequests {
			return
		}
	}
	t.Fatal("no 429 in 100 requests")
}

func TestResponseValidationCatchesDrift(t *testing.T) {
	bad := 150 // the contract allows 0-100
	seed := generated.Opportunity{
		UUID: "bb544336-e74e-11ee-800c-effc264f19ed", CustomerUUID: "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7",
		Owner: "a@example.org", Pipeline: "P", PipelineStage: "S", Currency: "USD", WinLikelihood: &bad,
		EstimatedCloseDate: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02"),
	}
	srv := chartmogultest.NewServer(t)
	srv.Seed(seed)
	for _, path := range []string{"/opportunities/" + seed.UUID, "/opportunities"} {
		r := call(t, srv, request{Method: "GET", Path: path})
		require.Equal(t, http.StatusInternalServerError, r.Status, "%s", r.Body)
		var e struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &e))
		require.Equal(t, 500, e.Code)
		require.Contains(t, e.Message, "violates openapi.yaml")
		require.Contains(t, e.Message, "win_likelihood")
	}

	lax := chartmogultest.NewServer(t, chartmogultest.WithResponseValidation(false))
	lax.Seed(seed)
	r := call(t, lax, request{Method: "GET", Path: "/opportunities/" + seed.UUID})
	require.Equal(t, http.StatusOK, r.Status)
	require.True(t, strings.Contains(string(r.Body), `"win_likelihood":150`), "%s", r.Body)
}
