package wrapper_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

// logRecords runs the client's calls with a JSON logger at level and
// returns what it logged, one map a line.
func logRecords(t *testing.T, level slog.Level, base string, calls func(c *wrapper.Client)) []map[string]any {
	t.Helper()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: level}))
	c, err := wrapper.NewClient(testKey, wrapper.WithBaseURL(base), fastRetries, wrapper.WithLogger(logger))
	require.NoError(t, err)
	calls(c)
	var records []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		delete(rec, "time")
		records = append(records, rec)
	}
	return records
}

// With a logger at level Debug each request is logged, between the retries
// logged at Warn; never a header.
func TestTheLoggerLogsEachRequestAtDebug(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithAPIKey(testKey))
	uuid := srv.Seed(seedOpportunity())[0].UUID
	srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: 503, Times: 1})
	path := "/v1/opportunities/" + uuid
	recs := logRecords(t, slog.LevelDebug, srv.URL(), func(c *wrapper.Client) {
		_, err := c.Get(context.Background(), uuid)
		require.NoError(t, err)
	})
	require.Len(t, recs, 3, "%v", recs)
	for i, status := range map[int]float64{0: 503, 2: 200} {
		took, ok := recs[i]["took"].(float64) // nanoseconds, to the millisecond
		require.True(t, ok, "%v", recs[i])
		require.Zero(t, int64(took)%int64(time.Millisecond))
		delete(recs[i], "took")
		require.Equal(t, map[string]any{"level": "DEBUG", "msg": "request", "method": "GET", "path": path, "status": status}, recs[i])
	}
	require.Equal(t, "WARN", recs[1]["level"])
	require.Equal(t, "chartmogul: retrying", recs[1]["msg"])
	require.EqualValues(t, 1, recs[1]["attempt"])

	// At level Info, the retries only, as before requests were logged.
	recs = logRecords(t, slog.LevelInfo, srv.URL(), func(c *wrapper.Client) {
		srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: 503, Times: 1})
		_, err := c.Get(context.Background(), uuid)
		require.NoError(t, err)
	})
	require.Len(t, recs, 1, "%v", recs)
	require.Equal(t, "chartmogul: retrying", recs[0]["msg"])
}

// A request that got no response is logged with the transport's error,
// without the URL the line already names by its path.
func TestTheLoggerLogsATransportError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String() + "/v1"
	require.NoError(t, ln.Close()) // refused from now on
	recs := logRecords(t, slog.LevelDebug, base, func(c *wrapper.Client) {
		require.Error(t, c.Delete(context.Background(), recordedUUID))
	})
	require.Len(t, recs, 7, "4 attempts, 3 retries: %v", recs)
	req := recs[0]
	require.Equal(t, "request", req["msg"])
	require.Equal(t, "DELETE", req["method"])
	require.Equal(t, "/v1/opportunities/"+recordedUUID, req["path"])
	require.Contains(t, req["error"], "connection refused")
	require.NotContains(t, req["error"], "http://", "the URL is left out")
	require.NotContains(t, req, "status")
	require.Contains(t, req, "took")
}

// A transport error that quotes what a broken server sent, the key among it,
// is logged with the key redacted.
func TestTheRequestLogRedactsAKeyInATransportError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 4096)
			_, _ = conn.Read(buf)
			_, _ = conn.Write([]byte("garbage " + testKey + "\r\n\r\n"))
			_ = conn.Close()
		}
	}()
	var logged []string
	recs := logRecords(t, slog.LevelDebug, "http://"+ln.Addr().String()+"/v1", func(c *wrapper.Client) {
		_, err := c.Get(context.Background(), recordedUUID)
		require.Error(t, err)
	})
	for _, rec := range recs {
		if rec["msg"] == "request" {
			logged = append(logged, rec["error"].(string))
		}
	}
	require.NotEmpty(t, logged)
	for _, e := range logged {
		require.Contains(t, e, "malformed HTTP status code \"[redacted]\"")
		for _, secret := range secretForms() {
			require.NotContains(t, e, secret)
		}
	}
}

// The path a redirect led to, and a base URL's path, are logged redacted: a
// server chooses the first, and a key can be pasted into the second.
func TestTheRequestLogRedactsAKeyInThePath(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/opportunities/") {
			http.Redirect(w, r, "/v1/x/"+testKey+"/"+url.PathEscape(base64.StdEncoding.EncodeToString([]byte(testKey+":"))), http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	for _, base := range []string{srv.URL + "/v1", srv.URL + "/" + testKey + "/v1"} {
		recs := logRecords(t, slog.LevelDebug, base, func(c *wrapper.Client) {
			_, err := c.Get(context.Background(), recordedUUID)
			require.Error(t, err)
		})
		require.NotEmpty(t, recs)
		for _, rec := range recs {
			line := fmt.Sprint(rec)
			require.Contains(t, line, "[redacted]", line)
			for _, secret := range secretForms() {
				require.NotContains(t, line, secret)
			}
		}
	}
}

// A key pasted into the base URL's host is not in NewClient's error.
func TestNewClientErrorRedactsAKeyInTheBaseURL(t *testing.T) {
	for _, base := range []string{"http://" + testKey + "/v1", "http://" + testKey + ".example.com/v1", "https://h.example/v1?" + testKey} {
		_, err := wrapper.NewClient(testKey, wrapper.WithBaseURL(base))
		require.Error(t, err, base)
		for _, secret := range secretForms() {
			require.NotContains(t, err.Error(), secret, base)
		}
	}
}
