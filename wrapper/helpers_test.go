package wrapper_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/wrapper"
)

const testKey = "sk_test_5ecret-Key"

// captured is one request as the test server saw it.
type captured struct {
	Method, Path, RawQuery string
	Query                  map[string][]string
	User, Password         string
	AuthOK                 bool
	UserAgent              string
	ContentType            string
	Body                   []byte
}

// recorder is a test server mounted behind a non-empty base path (so a client
// that drops the base path fails), recording every request.
type recorder struct {
	mu   sync.Mutex
	reqs []captured
	srv  *httptest.Server
}

func (r *recorder) requests() []captured {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]captured(nil), r.reqs...)
}

func (r *recorder) last(t *testing.T) captured {
	t.Helper()
	reqs := r.requests()
	require.NotEmpty(t, reqs, "no request reached the server")
	return reqs[len(reqs)-1]
}

// base is the base URL a client should use.
func (r *recorder) base() string { return r.srv.URL + "/api-v1" }

// newRecorder starts a server whose handler answers every request under
// /api-v1/ with respond; anything else gets 418 so path bugs show.
func newRecorder(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, body []byte)) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		user, pass, ok := r.BasicAuth()
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, captured{
			Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Query: r.URL.Query(),
			User: user, Password: pass, AuthOK: ok, UserAgent: r.UserAgent(),
			ContentType: r.Header.Get("Content-Type"), Body: body,
		})
		rec.mu.Unlock()
		if !strings.HasPrefix(r.URL.Path, "/api-v1/") {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		respond(w, r, body)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

// reply answers with a fixed status and JSON body.
func reply(status int, body string) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// newClient returns a client for rec whose every exchange is checked against
// openapi.yaml (a contract violation fails the test). It does not retry
// unless opts say otherwise; options may also override the HTTP client.
func newClient(t *testing.T, rec *recorder, opts ...wrapper.Option) *wrapper.Client {
	t.Helper()
	checked := &http.Client{Transport: chartmogultest.NewValidatingTransport(t, nil)}
	c, err := wrapper.NewClient(testKey, append([]wrapper.Option{wrapper.WithBaseURL(rec.base()), wrapper.WithHTTPClient(checked),
		wrapper.WithoutRetries()}, opts...)...)
	require.NoError(t, err)
	return c
}

// newUncheckedClient is newClient without the contract check, for tests whose
// server breaks the contract on purpose (HTML, truncated or oversized bodies).
func newUncheckedClient(t *testing.T, rec *recorder, opts ...wrapper.Option) *wrapper.Client {
	t.Helper()
	c, err := wrapper.NewClient(testKey, append([]wrapper.Option{wrapper.WithBaseURL(rec.base()), wrapper.WithoutRetries()}, opts...)...)
	require.NoError(t, err)
	return c
}

// requireJSONEqual compares two JSON documents by value.
func requireJSONEqual(t *testing.T, want string, got []byte) {
	t.Helper()
	var w, g any
	require.NoError(t, json.Unmarshal([]byte(want), &w), "want is not JSON")
	require.NoError(t, json.Unmarshal(got, &g), "got is not JSON: %s", got)
	require.Equal(t, w, g)
}

func ptr[T any](v T) *T { return &v }

// The recorded exchange from API.md (real API, March 2024).
const (
	recordedRequest = `{"amount_in_cents":100,"currency":"USD","custom":[{"key":"from_campaign","value":true}],
 "customer_uuid":"cus_bb167600-e74e-11ee-93bd-8f1e5b698784","estimated_close_date":"2023-12-22",
 "forecast_category":"best_case","owner":"kamil+pavlicko@chartmogul.com","pipeline":"New Business",
 "pipeline_stage":"Discovery","type":"recurring","win_likelihood":3}`
	recordedResponse = `{"uuid":"bb544336-e74e-11ee-800c-effc264f19ed","customer_uuid":"cus_bb167600-e74e-11ee-93bd-8f1e5b698784",
 "owner":"kamil+pavlicko@chartmogul.com","pipeline":"New Business","pipeline_stage":"Discovery",
 "estimated_close_date":"2023-12-22","currency":"USD","amount_in_cents":100,"type":"recurring",
 "forecast_category":"best_case","win_likelihood":3,"custom":{"from_campaign":true},
 "created_at":"2024-03-21T06:46:23.137Z","updated_at":"2024-03-21T06:46:23.137Z"}`
	recordedUUID = "bb544336-e74e-11ee-800c-effc264f19ed"
)

// fastRetries is the default policy with waits short enough for tests.
var fastRetries = wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: 4, InitialBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond})

// seedOpportunity is a stored opportunity for the fake's Seed.
func seedOpportunity() generated.Opportunity {
	return generated.Opportunity{
		CustomerUUID: "cus_bb167600-e74e-11ee-93bd-8f1e5b698784", Owner: "a@example.org",
		Pipeline: "New Business", PipelineStage: "Discovery", Currency: "USD", AmountInCents: 100,
		EstimatedCloseDate: "2024-04-21",
	}
}

// secretForms are the ways testKey could leak: as itself, and as it travels
// in the Authorization header.
func secretForms() []string {
	return []string{testKey, base64.StdEncoding.EncodeToString([]byte(testKey + ":")), "Basic "}
}

// checkedHTTP makes a client check every exchange against openapi.yaml.
func checkedHTTP(t *testing.T) wrapper.Option {
	return wrapper.WithHTTPClient(&http.Client{Transport: chartmogultest.NewValidatingTransport(t, nil)})
}
