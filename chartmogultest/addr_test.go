package chartmogultest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
)

func TestCheckAddr(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"127.0.0.1:0":        "",
		":12111":             "",
		"[::1]:65535":        "",
		"localhost:8080":     "",
		"localhost":          "missing port in address: want HOST:PORT, such as 127.0.0.1:12111",
		"[::1:80":            "missing ']' in address: want HOST:PORT, such as 127.0.0.1:12111",
		"127.0.0.1:99999":    "the port must be a number from 0 to 65535 (0 picks a free one)",
		"127.0.0.1:-1":       "the port must be a number from 0 to 65535 (0 picks a free one)",
		"127.0.0.1:http-ish": "the port must be a number from 0 to 65535 (0 picks a free one)",
		"127.0.0.1:http":     "the port must be a number from 0 to 65535 (0 picks a free one)",
	} {
		err := chartmogultest.CheckAddr(addr)
		if want == "" {
			require.NoError(t, err, addr)
			continue
		}
		require.EqualError(t, err, want, addr)
	}
}

func TestStartRefusesAnAddressCheckAddrRefuses(t *testing.T) {
	t.Parallel()
	_, err := chartmogultest.Start(chartmogultest.WithAddr("127.0.0.1:http"))
	require.EqualError(t, err, `chartmogultest: address "127.0.0.1:http": the port must be a number from 0 to 65535 (0 picks a free one)`)
}

func TestExposed(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		":0":          "every interface",
		"0.0.0.0:0":   "every interface",
		"[::]:0":      "every interface",
		"192.0.2.1:0": "192.0.2.1",
		"example:0":   "example",
		"localhost:0": "",
		"LocalHost:0": "",
		"127.0.0.1:0": "",
		"[::1]:0":     "",
	} {
		require.Equal(t, want, chartmogultest.Exposed(addr), addr)
	}
}

func TestAdminURL(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t, chartmogultest.WithBasePath("/api/v2"), chartmogultest.WithAdmin("/admin/"))
	root := strings.TrimSuffix(srv.URL(), "/api/v2")
	require.Equal(t, root+"/admin", srv.AdminURL())
	req, err := http.NewRequest(http.MethodGet, srv.AdminURL()+"/state", nil)
	require.NoError(t, err)
	req.SetBasicAuth(srv.APIKey(), "")
	resp, err := testClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the URL serves the admin endpoint")
	require.Empty(t, chartmogultest.NewServer(t).AdminURL(), "no WithAdmin, no admin endpoint")
}

func TestShutdownGrace(t *testing.T) {
	t.Parallel()
	t.Run("nothing in flight", func(t *testing.T) {
		t.Parallel()
		srv, err := chartmogultest.Start()
		require.NoError(t, err)
		create(t, srv, nil)
		require.NoError(t, srv.ShutdownGrace(context.Background(), time.Minute))
	})
	t.Run("the grace runs out", func(t *testing.T) {
		t.Parallel()
		srv, err := chartmogultest.Start()
		require.NoError(t, err)
		stall(t, srv)
		start := time.Now()
		require.ErrorIs(t, srv.ShutdownGrace(context.Background(), 200*time.Millisecond), chartmogultest.ErrCutOff)
		require.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
		require.Less(t, time.Since(start), 5*time.Second)
	})
	t.Run("cancelled before the grace runs out", func(t *testing.T) {
		t.Parallel()
		srv, err := chartmogultest.Start()
		require.NoError(t, err)
		stall(t, srv)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		require.ErrorIs(t, srv.ShutdownGrace(ctx, time.Minute), context.Canceled)
		require.Less(t, time.Since(start), 5*time.Second)
	})
}

// A server on every interface (":0", "0.0.0.0:0") gives a URL a client can
// dial, on loopback, not the unspecified address it listens on.
func TestURLOfAServerOnEveryInterfaceIsLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{":0", "0.0.0.0:0"} {
		srv, err := chartmogultest.Start(chartmogultest.WithAddr(addr))
		require.NoError(t, err, addr)
		t.Cleanup(srv.Close)
		require.True(t, strings.HasPrefix(srv.URL(), "http://127.0.0.1:"), "%s: %s", addr, srv.URL())
		req, err := http.NewRequest(http.MethodGet, srv.URL()+"/opportunities", nil)
		require.NoError(t, err)
		req.SetBasicAuth(srv.APIKey(), "")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err, addr)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, addr)
	}
}

// A base path under the admin endpoint would leave the API unreachable (the
// admin endpoint answers all of it): Start refuses it.
func TestStartRefusesABasePathUnderTheAdminEndpoint(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"/_fake", "/_fake/v1"} {
		_, err := chartmogultest.Start(chartmogultest.WithAddr("127.0.0.1:0"), chartmogultest.WithBasePath(base),
			chartmogultest.WithAdmin(chartmogultest.DefaultAdminPath))
		require.ErrorContains(t, err, "is under the admin endpoint", base)
	}
	srv, err := chartmogultest.Start(chartmogultest.WithAddr("127.0.0.1:0"), chartmogultest.WithBasePath("/_fakeish"),
		chartmogultest.WithAdmin(chartmogultest.DefaultAdminPath))
	require.NoError(t, err, "a path that only starts with the same letters")
	srv.Close()
}
