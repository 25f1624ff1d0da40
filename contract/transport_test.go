package contract_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/contract"
)

// provider is a tiny stand-in for the API: it answers every request with
// status and body, and counts what reached it.
type provider struct {
	status int
	body   string
	hits   atomic.Int32
	got    atomic.Value // the last request body
}

func (p *provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.hits.Add(1)
	b, _ := io.ReadAll(r.Body)
	p.got.Store(string(b))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(p.status)
	_, _ = io.WriteString(w, p.body)
}

func startProvider(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h) // 127.0.0.1
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

func send(t *testing.T, hc *http.Client, method, u, body string) (*http.Response, string, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(t, err)
	req.SetBasicAuth("key", "")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(data), nil
}

func TestTransportStrict(t *testing.T) {
	c := load(t)
	p := &provider{status: http.StatusOK, body: string(opportunityBody(nil))}
	base := startProvider(t, p)
	hc := &http.Client{Transport: &contract.Transport{Contract: c}, Timeout: 10 * time.Second}

	resp, body, err := send(t, hc, http.MethodGet, base+"/opportunities/"+seedUUID, "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, string(opportunityBody(nil)), body, "the body reaches the caller whole")

	// A bad request is not sent.
	_, _, err = send(t, hc, http.MethodPatch, base+"/opportunities/"+seedUUID, `{"win_likelihood":-1}`)
	var ce *contract.Error
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "win_likelihood", ce.Violations[0].Field)
	require.Equal(t, int32(1), p.hits.Load(), "the bad request was not sent")

	// A bad response is not returned.
	p.body = string(opportunityBody(map[string]any{"currency": nil}))
	_, _, err = send(t, hc, http.MethodGet, base+"/opportunities/"+seedUUID, "")
	require.ErrorAs(t, err, &ce)
	require.Equal(t, contract.PartResponseBody, ce.Violations[0].Part)
	require.Equal(t, "currency", ce.Violations[0].Field)

	// A request body reaches the server whole.
	p.status, p.body = http.StatusCreated, string(opportunityBody(nil))
	_, _, err = send(t, hc, http.MethodPost, base+"/opportunities", string(createBody(nil)))
	require.NoError(t, err)
	require.JSONEq(t, string(createBody(nil)), p.got.Load().(string))

	// Without a contract the transport says so.
	_, err = (&http.Client{Transport: &contract.Transport{}}).Get(base + "/opportunities")
	require.ErrorContains(t, err, "Transport.Contract is nil")
}

func TestTransportReport(t *testing.T) {
	c := load(t)
	p := &provider{status: http.StatusCreated, body: string(opportunityBody(map[string]any{"amount_in_cents": "1"}))}
	base := startProvider(t, p)
	var col contract.Collector
	hc := &http.Client{Transport: &contract.Transport{Contract: c, Report: col.Add}, Timeout: 10 * time.Second}

	resp, _, err := send(t, hc, http.MethodPost, base+"/opportunities", string(createBody(map[string]any{"owner": "nobody"})))
	require.NoError(t, err, "report mode never fails the call")
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	_, _, err = send(t, hc, http.MethodGet, base+"/elsewhere", "")
	require.NoError(t, err)
	errs := col.Errors()
	require.Len(t, errs, 2)
	require.Equal(t, []contract.Violation{
		{Part: contract.PartRequestBody, Field: "owner", Rule: "format", Message: errs[0].Violations[0].Message},
		{Part: contract.PartResponseBody, Field: "amount_in_cents", Rule: "type", Message: "value must be an integer"},
	}, errs[0].Violations)
	require.Equal(t, http.StatusCreated, errs[0].Status)
	require.Equal(t, contract.PartRoute, errs[1].Violations[0].Part)
	var ce *contract.Error
	require.ErrorAs(t, col.Err(), &ce)
	require.Equal(t, int32(2), p.hits.Load(), "every request was sent")

	var empty contract.Collector
	require.NoError(t, empty.Err())
}

func TestTransportKeepsTransportAndReadErrors(t *testing.T) {
	c := load(t)
	// A truncated body reaches the caller as the read error it is.
	cut := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "100")
		_, _ = io.WriteString(w, `{"entries":[`)
	})
	base := startProvider(t, cut)
	var col contract.Collector
	hc := &http.Client{Transport: &contract.Transport{Contract: c, Report: col.Add}, Timeout: 10 * time.Second}
	req, err := http.NewRequest(http.MethodGet, base+"/opportunities", nil)
	require.NoError(t, err)
	req.SetBasicAuth("key", "")
	resp, err := hc.Do(req)
	require.NoError(t, err)
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.Equal(t, `{"entries":[`, string(data))
	require.Empty(t, col.Errors())

	// A refused connection is returned as is.
	_, err = hc.Get("http://127.0.0.1:1/v1/opportunities")
	var ue *url.Error
	require.ErrorAs(t, err, &ue)
	var ce *contract.Error
	require.False(t, errors.As(err, &ce))
}

func TestMiddlewareStrict(t *testing.T) {
	c := load(t)
	p := &provider{status: http.StatusOK, body: string(opportunityBody(nil))}
	base := startProvider(t, &contract.Middleware{Contract: c, Next: p})
	hc := &http.Client{Timeout: 10 * time.Second}

	resp, body, err := send(t, hc, http.MethodGet, base+"/opportunities/"+seedUUID, "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)

	// A bad request is answered 400, naming the field the Rails way.
	resp, body, err = send(t, hc, http.MethodPost, base+"/opportunities",
		string(createBody(map[string]any{"custom": []map[string]any{{"key": "k", "value": []int{1}}}})))
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, `"param":"custom[0][value]"`)
	require.Equal(t, int32(1), p.hits.Load(), "the bad request did not reach the provider")

	// A request without the key is answered 401.
	req, err := http.NewRequest(http.MethodGet, base+"/opportunities", nil)
	require.NoError(t, err)
	noKey, err := hc.Do(req)
	require.NoError(t, err)
	noKey.Body.Close()
	require.Equal(t, http.StatusUnauthorized, noKey.StatusCode)

	// The provider's bad response is replaced by a 500 naming the violation.
	p.body = string(opportunityBody(map[string]any{"created_at": "yesterday"}))
	resp, body, err = send(t, hc, http.MethodGet, base+"/opportunities/"+seedUUID, "")
	require.NoError(t, err)
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	require.Contains(t, body, "response body created_at: format")

	// Paths outside the API reach the provider unchecked.
	_, _, err = send(t, hc, http.MethodGet, strings.TrimSuffix(base, "/v1")+"/healthz", "")
	require.NoError(t, err)
	require.Equal(t, int32(3), p.hits.Load())
}

func TestMiddlewareReport(t *testing.T) {
	c := load(t)
	var col contract.Collector
	streaming := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"entries":[],`)
		http.NewResponseController(w).Flush() // flushing works through the middleware
		_, _ = io.WriteString(w, `"has_more":"no"}`)
	})
	base := startProvider(t, &contract.Middleware{Contract: c, Next: streaming, Report: col.Add})
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, body, err := send(t, hc, http.MethodGet, base+"/opportunities?per_page=0", "")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "report mode changes nothing")
	require.Equal(t, `{"entries":[],"has_more":"no"}`, body)
	errs := col.Errors()
	require.Len(t, errs, 1)
	require.Equal(t, []string{"per_page", "has_more"}, []string{errs[0].Violations[0].Field, errs[0].Violations[1].Field})
	require.Equal(t, http.StatusOK, errs[0].Status)

	misconfigured := httptest.NewRecorder()
	(&contract.Middleware{}).ServeHTTP(misconfigured, httptest.NewRequest(http.MethodGet, "/v1/opportunities", bytes.NewReader(nil)))
	require.Equal(t, http.StatusInternalServerError, misconfigured.Code)
}
