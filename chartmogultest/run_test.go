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

func TestStandaloneCheck(t *testing.T) {
	t.Parallel()
	require.NoError(t, chartmogultest.Standalone{}.Check(), "the zero Standalone: a free port on loopback, no limits")
	require.NoError(t, chartmogultest.Standalone{Addr: chartmogultest.StandaloneAddr, RateLimit: 40, MaxConcurrent: 20}.Check())

	for _, c := range []struct {
		s              chartmogultest.Standalone
		field, problem string
	}{
		{chartmogultest.Standalone{Addr: "localhost", RateLimit: -1}, "Addr", chartmogultest.CheckAddr("localhost").Error()},
		{chartmogultest.Standalone{Addr: "127.0.0.1:99999"}, "Addr", "the port must be a number from 0 to 65535 (0 picks a free one)"},
		{chartmogultest.Standalone{BasePath: "v1", RateLimit: -1}, "BasePath", `must be empty or /segment[/segment...], no . or .. segment, got "v1"`},
		{chartmogultest.Standalone{BasePath: "/v1/../_fake"}, "BasePath", `must be empty or /segment[/segment...], no . or .. segment, got "/v1/../_fake"`},
		{chartmogultest.Standalone{BasePath: chartmogultest.DefaultAdminPath + "/v1"}, "BasePath",
			`"` + chartmogultest.DefaultAdminPath + `/v1" is under the admin endpoint ` + chartmogultest.DefaultAdminPath + "; choose another"},
		{chartmogultest.Standalone{RateLimit: -1, MaxConcurrent: -2}, "RateLimit", "must not be negative, got -1"},
		{chartmogultest.Standalone{MaxConcurrent: -2}, "MaxConcurrent", "must not be negative, got -2"},
	} {
		var se *chartmogultest.StandaloneError
		require.ErrorAs(t, c.s.Check(), &se, "%+v", c.s)
		require.Equal(t, c.field, se.Field, "%+v: the first field at fault", c.s)
		require.Equal(t, c.problem, se.Problem, "%+v", c.s)
		require.Equal(t, "chartmogultest: Standalone."+c.field+": "+c.problem, se.Error())
	}
}

func TestStandaloneWarning(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"", "127.0.0.1:0", "localhost:12111", "[::1]:0"} {
		require.Empty(t, chartmogultest.Standalone{Addr: addr}.Warning(), addr)
	}
	for addr, where := range map[string]string{":12111": "every interface", "0.0.0.0:0": "every interface", "192.0.2.1:0": "192.0.2.1"} {
		w := chartmogultest.Standalone{Addr: addr}.Warning()
		require.True(t, strings.HasPrefix(w, "listens on "+where+": the fake is reachable from other machines"), "%s: %s", addr, w)
		require.Contains(t, w, "the API key crosses the network in clear text", addr)
	}
}

// runStandalone runs s in the background; its error arrives on the channel.
func runStandalone(t *testing.T, s chartmogultest.Standalone, ctx, cut context.Context) (*chartmogultest.Server, <-chan error) {
	t.Helper()
	started := make(chan *chartmogultest.Server, 1)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, cut, func(srv *chartmogultest.Server) { started <- srv }) }()
	select {
	case srv := <-started:
		return srv, done
	case err := <-done:
		t.Fatalf("Run returned before it started: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("Run never started")
	}
	return nil, nil
}

func TestStandaloneRun(t *testing.T) {
	t.Parallel()
	t.Run("refused before starting", func(t *testing.T) {
		t.Parallel()
		called := false
		started := func(*chartmogultest.Server) { called = true }
		err := chartmogultest.Standalone{RateLimit: -1}.Run(context.Background(), context.Background(), started)
		var se *chartmogultest.StandaloneError
		require.ErrorAs(t, err, &se)
		err = chartmogultest.Standalone{BasePath: chartmogultest.DefaultAdminPath}.Run(context.Background(), context.Background(), started)
		require.ErrorContains(t, err, "under the admin endpoint", "Start's error")
		require.False(t, called)
	})
	t.Run("serves until ctx is done", func(t *testing.T) {
		t.Parallel()
		ctx, stop := context.WithCancel(context.Background())
		srv, done := runStandalone(t, chartmogultest.Standalone{APIKey: "sk_run_4242", BasePath: "/v1", Seed: true}, ctx, context.Background())
		require.Equal(t, "sk_run_4242", srv.APIKey(), "as Options says")
		require.Len(t, srv.Opportunities(), 2)
		require.Equal(t, http.StatusOK, call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"}).Status)
		require.NotEmpty(t, srv.AdminURL())
		stop()
		require.NoError(t, <-done)
	})
	t.Run("the grace runs out", func(t *testing.T) {
		t.Parallel()
		ctx, stop := context.WithCancel(context.Background())
		srv, done := runStandalone(t, chartmogultest.Standalone{BasePath: "/v1", Grace: 200 * time.Millisecond}, ctx, context.Background())
		stall(t, srv)
		start := time.Now()
		stop()
		require.ErrorIs(t, <-done, chartmogultest.ErrCutOff)
		require.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
		require.Less(t, time.Since(start), chartmogultest.DefaultGrace, "Grace, not the default")
	})
	t.Run("cut ends the grace at once", func(t *testing.T) {
		t.Parallel()
		ctx, stop := context.WithCancel(context.Background())
		cut, cutNow := context.WithCancel(context.Background())
		srv, done := runStandalone(t, chartmogultest.Standalone{BasePath: "/v1"}, ctx, cut)
		stall(t, srv)
		start := time.Now()
		stop()
		time.AfterFunc(100*time.Millisecond, cutNow)
		require.ErrorIs(t, <-done, context.Canceled)
		require.Less(t, time.Since(start), chartmogultest.DefaultGrace/2, "the default grace is not waited for")
	})
}
