package chartmogultest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
)

// admin sends an admin request with the server's key.
func admin(t *testing.T, srv *chartmogultest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	root := strings.TrimSuffix(srv.URL(), "/v1")
	req, err := http.NewRequest(method, root+path, strings.NewReader(body))
	require.NoError(t, err)
	req.SetBasicAuth(srv.APIKey(), "")
	resp, err := testClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m), "%s", data)
	return resp.StatusCode, m
}

func TestAdminEndpoint(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithAdmin(""))
	create(t, srv, nil)

	code, state := admin(t, srv, http.MethodGet, "/_fake/state", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, float64(1), state["opportunities"])
	require.Equal(t, float64(1), state["applied"].(map[string]any)["createOpportunity"])

	// A fault over HTTP.
	code, _ = admin(t, srv, http.MethodPost, "/_fake/faults", `{"operation":"createOpportunity","status":503,"times":2,"headers":{"Retry-After":"3"}}`)
	require.Equal(t, http.StatusOK, code)
	for range 2 {
		r := call(t, srv, request{Method: http.MethodPost, Path: "/opportunities", Body: createBody(nil)})
		require.Equal(t, http.StatusServiceUnavailable, r.Status)
		require.Equal(t, "3", r.Header.Get("Retry-After"))
	}
	create(t, srv, nil)
	code, _ = admin(t, srv, http.MethodPost, "/_fake/faults", `{"operation":"listOpportunities","drop_connection":true}`)
	require.Equal(t, http.StatusOK, code)
	code, _ = admin(t, srv, http.MethodDelete, "/_fake/faults", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, http.StatusOK, call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"}).Status, "the fault was cleared")

	// Limits over HTTP.
	code, _ = admin(t, srv, http.MethodPut, "/_fake/limits", `{"rate_per_second":1,"retry_after":true}`)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, http.StatusOK, call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"}).Status)
	limited := call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"})
	require.Equal(t, http.StatusTooManyRequests, limited.Status)
	require.Equal(t, "1", limited.Header.Get("Retry-After"))
	code, _ = admin(t, srv, http.MethodPut, "/_fake/limits", `{"rate_per_second":0,"max_concurrent":5}`)
	require.Equal(t, http.StatusOK, code)
	_, state = admin(t, srv, http.MethodGet, "/_fake/state", "")
	require.Equal(t, map[string]any{"rate_per_second": float64(0), "retry_after": false, "max_concurrent": float64(5)}, state["limits"])
	require.Equal(t, http.StatusOK, call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"}).Status)

	// Reset.
	code, _ = admin(t, srv, http.MethodPost, "/_fake/reset", "")
	require.Equal(t, http.StatusOK, code)
	require.Empty(t, srv.Opportunities())
}

func TestAdminEndpointRejectsMistakes(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithAdmin("/admin/"))
	for _, c := range []struct{ path, body, param string }{
		{"/admin/faults", `{"operation":"createOpportunities","status":500}`, "operation"},
		{"/admin/faults", `{"operation":"createOpportunity","status":1000}`, "status"},
		{"/admin/faults", `{"operation":"createOpportunity"}`, "status"},
		{"/admin/faults", `{"operation":"createOpportunity","delay":"soon"}`, "delay"},
		{"/admin/faults", `{"operation":"createOpportunity","times":-1,"status":500}`, "times"},
		{"/admin/faults", `{"operation":"createOpportunity","status":"500"}`, "status"},
		{"/admin/faults", `{"operation":"createOpportunity","stauts":500}`, "stauts"},
		{"/admin/limits", `{"rate_per_second":-1}`, "rate_per_second"},
		{"/admin/limits", `{"max_concurrent":-1}`, "max_concurrent"},
	} {
		method := http.MethodPost
		if strings.HasSuffix(c.path, "limits") {
			method = http.MethodPut
		}
		code, body := admin(t, srv, method, c.path, c.body)
		require.Equal(t, http.StatusBadRequest, code, c.body)
		require.Equal(t, c.param, body["param"], c.body)
	}
	code, _ := admin(t, srv, http.MethodGet, "/admin/nothing", "")
	require.Equal(t, http.StatusNotFound, code)

	// The admin endpoint needs the key.
	resp, err := testClient.Post(strings.TrimSuffix(srv.URL(), "/v1")+"/admin/reset", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestSetLimitsRejectNegatives(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	require.Error(t, srv.SetRateLimit(-1, false))
	require.Error(t, srv.SetMaxConcurrent(-1))
	require.NoError(t, srv.SetMaxConcurrent(0))
}

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRequestLogAndAddress(t *testing.T) {
	var log lockedBuffer
	const key = "sk_secret_key_1234567890"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	srv := chartmogultest.NewServer(t, chartmogultest.WithAPIKey(key), chartmogultest.WithAddr(addr),
		chartmogultest.WithRequestLog(slog.New(slog.NewTextHandler(&log, nil))))
	require.Equal(t, "http://"+addr+"/v1", srv.URL())

	create(t, srv, nil)
	call(t, srv, request{Method: http.MethodGet, Path: "/opportunities", Key: "wrong_key_987654321"})
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{DropConnection: true, Times: 2})
	_, err = try(srv, request{Method: http.MethodGet, Path: "/opportunities"})
	require.Error(t, err)

	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	require.GreaterOrEqual(t, len(lines), 3, log.String())
	require.Contains(t, lines[0], "method=POST path=/v1/opportunities status=201")
	require.Contains(t, lines[1], "method=GET path=/v1/opportunities status=401")
	require.Contains(t, lines[2], "status=0")
	require.NotContains(t, log.String(), key)
	require.NotContains(t, log.String(), "wrong_key")
}

// stall opens a connection to srv and sends the start of a create whose body
// never arrives, and waits until the server is reading it.
func stall(t *testing.T, srv *chartmogultest.Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(srv.URL(), "/v1"), "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	req, _ := http.NewRequest(http.MethodPost, "/v1/opportunities", nil)
	req.SetBasicAuth(srv.APIKey(), "")
	_, err = io.WriteString(c, "POST /v1/opportunities HTTP/1.1\r\nHost: fake\r\nAuthorization: "+req.Header.Get("Authorization")+
		"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	require.NoError(t, err)
	deadline := time.Now().Add(10 * time.Second)
	for srv.Requests(chartmogultest.OpCreate) == 0 {
		require.True(t, time.Now().Before(deadline), "the server never got the request")
		time.Sleep(5 * time.Millisecond)
	}
	return c
}

func TestShutdownCutsOffAStalledClient(t *testing.T) {
	srv, err := chartmogultest.Start()
	require.NoError(t, err)
	stall(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.ErrorIs(t, srv.Shutdown(ctx), context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)
	srv.Close() // a no-op now
}

func TestShutdownWithNothingInFlightIsImmediate(t *testing.T) {
	srv, err := chartmogultest.Start()
	require.NoError(t, err)
	// An idle keep-alive connection and one that never sent a request do
	// not hold it.
	create(t, srv, nil)
	c, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(srv.URL(), "/v1"), "http://"))
	require.NoError(t, err)
	defer c.Close()
	start := time.Now()
	require.NoError(t, srv.Shutdown(context.Background()))
	require.Less(t, time.Since(start), 2*time.Second)
}

func TestAdminEndpointNamesWhatIsWrong(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithAdmin(""))
	for _, c := range []struct{ body, param, message string }{
		{`{"operation":"createOpportunity","status":500,"headers":{"X-A\r\nSet-Cookie: a":"1"}}`, "headers", "not a valid header name"},
		{`{"operation":"createOpportunity","status":500,"headers":{"X-A":"1\r\nSet-Cookie: a=1"}}`, "headers", "must not contain CR, LF"},
		{`{"operation":"createOpportunity","status":500,"headers":{"":"1"}}`, "headers", "not a valid header name"},
		{`{"operation":"createOpportunity","delay":"2h"}`, "delay", "at most 1m0s"},
		{`{"operation":"createOpportunity","status":500,"times":1000000}`, "times", "at most 10000"},
		{`[]`, "", "the body must be a JSON object, got a JSON array"},
		{`{"operation":"createOpportunity","status":[500]}`, "status", "status must be a JSON number, got a JSON array"},
	} {
		code, body := admin(t, srv, http.MethodPost, "/_fake/faults", c.body)
		require.Equal(t, http.StatusBadRequest, code, c.body)
		if c.param != "" {
			require.Equal(t, c.param, body["param"], c.body)
		}
		require.Contains(t, body["message"], c.message, c.body)
	}
	code, _ := admin(t, srv, http.MethodPost, "/_fake/faults", `{"operation":"createOpportunity","delay":"1m","times":10000}`)
	require.Equal(t, http.StatusOK, code, "the bounds themselves are allowed")
	admin(t, srv, http.MethodDelete, "/_fake/faults", "")

	// A known path with the wrong method: 405 naming the methods allowed.
	for path, allow := range map[string]string{"/_fake/state": "GET, HEAD", "/_fake/faults": "POST, DELETE", "/_fake/limits": "PUT", "/_fake/reset": "POST"} {
		req, err := http.NewRequest(http.MethodPatch, strings.TrimSuffix(srv.URL(), "/v1")+path, nil)
		require.NoError(t, err)
		req.SetBasicAuth(srv.APIKey(), "")
		resp, err := testClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, path)
		require.Equal(t, allow, resp.Header.Get("Allow"), path)
	}
}

func TestStandaloneOptions(t *testing.T) {
	t.Parallel()
	var log lockedBuffer
	srv := chartmogultest.NewServer(t, chartmogultest.Standalone{APIKey: "sk_standalone_4242", BasePath: "/v1", Seed: true,
		RateLimit: 40, RetryAfter: true, MaxConcurrent: 20, Log: slog.New(slog.NewTextHandler(&log, nil))}.Options()...)
	require.Equal(t, "sk_standalone_4242", srv.APIKey())
	require.Regexp(t, `^http://127\.0\.0\.1:\d+/v1$`, srv.URL(), "an empty Addr is a free port on loopback")
	require.Equal(t, strings.TrimSuffix(srv.URL(), "/v1")+chartmogultest.DefaultAdminPath, srv.AdminURL())
	require.Len(t, srv.Opportunities(), 2, "Seed stores DocumentationSeed")

	code, state := admin(t, srv, http.MethodGet, "/_fake/state", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, map[string]any{"rate_per_second": float64(40), "retry_after": true, "max_concurrent": float64(20)}, state["limits"])
	srv.Close() // the log line is written before Close returns
	require.Contains(t, log.String(), "method=GET path=/_fake/state status=200", "admin requests are logged too")

	// The zero Standalone: the default key, the API at the root, no limits.
	zero := chartmogultest.NewServer(t, chartmogultest.Standalone{}.Options()...)
	require.Equal(t, chartmogultest.DefaultAPIKey, zero.APIKey())
	require.Equal(t, zero.AdminURL(), zero.URL()+chartmogultest.DefaultAdminPath)
	require.Empty(t, zero.Opportunities())
}
