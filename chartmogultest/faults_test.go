package chartmogultest_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
)

func TestFaultStatusBodyAndHeaders(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{
		Status: http.StatusInternalServerError, Body: "Internal Server Error",
		Header: http.Header{"Retry-Count": {"0"}},
	})
	r := call(t, srv, request{Method: http.MethodPost, Path: "/opportunities", Body: createBody(nil)})
	require.Equal(t, http.StatusInternalServerError, r.Status)
	require.Equal(t, "Internal Server Error", string(r.Body))
	require.Equal(t, "text/plain; charset=utf-8", r.Header.Get("Content-Type"))
	require.Equal(t, "0", r.Header.Get("Retry-Count"))
	require.Empty(t, srv.Opportunities(), "not applied by default")
	require.Equal(t, 1, srv.Requests(chartmogultest.OpCreate))
	require.Zero(t, srv.Applied(chartmogultest.OpCreate))

	// The fault is used up: the next create works.
	create(t, srv, nil)
	require.Equal(t, 2, srv.Requests(chartmogultest.OpCreate))
	require.Equal(t, 1, srv.Applied(chartmogultest.OpCreate))
}

func TestFaultDefaultsTimesAndOrder(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Status: http.StatusBadGateway, Times: 2})
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Status: http.StatusForbidden, Body: `{"error":"Forbidden"}`})
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Header: http.Header{"X-Extra": {"yes"}}})
	srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: http.StatusTeapot})

	get := func() result { return call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"}) }
	for i := 0; i < 2; i++ {
		r := get()
		require.Equal(t, http.StatusBadGateway, r.Status)
		require.JSONEq(t, `{"code":502,"message":"Bad Gateway"}`, string(r.Body))
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	}
	r := get()
	require.Equal(t, http.StatusForbidden, r.Status)
	require.JSONEq(t, `{"error":"Forbidden"}`, string(r.Body))
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))

	r = get() // a header alone decorates the real response
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, "yes", r.Header.Get("X-Extra"))
	require.Equal(t, 1, srv.Applied(chartmogultest.OpList))

	require.Equal(t, http.StatusOK, get().Status)
	require.Empty(t, get().Header.Get("X-Extra"))

	// Faults are per operation; ClearFaults drops what is left.
	srv.ClearFaults()
	r = call(t, srv, request{Method: http.MethodGet, Path: "/opportunities/bb544336-e74e-11ee-800c-effc264f19ed"})
	require.Equal(t, http.StatusNotFound, r.Status)

	require.Panics(t, func() { srv.Inject("createSomething", chartmogultest.Fault{}) })
}

func TestFaultApplyThenFail(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: http.StatusServiceUnavailable, Apply: true})
	r := call(t, srv, request{Method: http.MethodPost, Path: "/opportunities", Body: createBody(nil)})
	require.Equal(t, http.StatusServiceUnavailable, r.Status)
	require.Len(t, srv.Opportunities(), 1, "the server created it but the response was lost")
	require.Equal(t, 1, srv.Applied(chartmogultest.OpCreate))

	// A retry makes a duplicate, as with the real API.
	create(t, srv, nil)
	require.Len(t, srv.Opportunities(), 2)
}

func TestFaultDelay(t *testing.T) {
	srv := chartmogultest.NewServer(t)

	// A short delay, then the real answer.
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Delay: 50 * time.Millisecond})
	start := time.Now()
	r := call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"})
	require.Equal(t, http.StatusOK, r.Status)
	require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)

	// A long delay against a client timeout: the client gives up, nothing is applied.
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Delay: time.Hour})
	impatient := &http.Client{Timeout: 200 * time.Millisecond}
	_, err := try(srv, request{Method: http.MethodPost, Path: "/opportunities", Body: createBody(nil), Client: impatient})
	require.Error(t, err)
	var netErr net.Error
	require.True(t, errors.As(err, &netErr) && netErr.Timeout(), "want a timeout, got %v", err)
	require.Equal(t, 1, srv.Requests(chartmogultest.OpCreate))
	require.Zero(t, srv.Applied(chartmogultest.OpCreate))
	require.Empty(t, srv.Opportunities())
}

func TestFaultDelayEndsOnClose(t *testing.T) {
	srv, err := chartmogultest.Start()
	require.NoError(t, err)
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Delay: time.Hour})
	done := make(chan error, 1)
	go func() {
		_, err := try(srv, request{Method: http.MethodGet, Path: "/opportunities"})
		done <- err
	}()
	for i := 0; i < 1000 && srv.Requests(chartmogultest.OpList) == 0; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	require.Equal(t, 1, srv.Requests(chartmogultest.OpList))
	srv.Close() // returns although the delay has not run out
	select {
	case err := <-done:
		require.Error(t, err, "the delayed request got no response")
	case <-time.After(30 * time.Second):
		t.Fatal("the delayed request did not end")
	}
}

func TestFaultDropConnection(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{DropConnection: true})
	_, err := try(srv, request{Method: http.MethodPost, Path: "/opportunities", Body: createBody(nil)})
	require.Error(t, err)
	require.Empty(t, srv.Opportunities())
	require.Zero(t, srv.Applied(chartmogultest.OpCreate))

	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{DropConnection: true, Apply: true})
	_, err = try(srv, request{Method: http.MethodPost, Path: "/opportunities", Body: createBody(nil)})
	require.Error(t, err)
	require.Len(t, srv.Opportunities(), 1, "applied, then dropped")

	// A GET is retried by http.Transport on a reused connection: with Times: 2
	// the retry fails too and the client sees the error.
	require.Equal(t, http.StatusOK, call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"}).Status)
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{DropConnection: true, Times: 2})
	_, err = try(srv, request{Method: http.MethodGet, Path: "/opportunities"})
	require.Error(t, err)
	srv.ClearFaults()
	require.Equal(t, http.StatusOK, call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"}).Status)
}

func TestFaultTruncateBody(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{TruncateBody: true})
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/opportunities", strings.NewReader(createBody(nil)))
	require.NoError(t, err)
	req.SetBasicAuth(srv.APIKey(), "")
	req.Header.Set("Content-Type", "application/json")
	resp, err := testClient.Do(req)
	require.NoError(t, err, "the status line and headers arrive")
	defer resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	data, err := io.ReadAll(resp.Body)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.Equal(t, resp.ContentLength/2, int64(len(data)))
	require.Len(t, srv.Opportunities(), 1, "the create was applied")
	require.Equal(t, 1, srv.Applied(chartmogultest.OpCreate))
	require.True(t, strings.HasPrefix(`{"amount_in_cents":100000`, string(data[:min(len(data), 25)])))
}

func TestFaultEmptyBody(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: http.StatusServiceUnavailable, EmptyBody: true})
	r := call(t, srv, request{Method: http.MethodGet, Path: "/opportunities/bb544336-e74e-11ee-800c-effc264f19ed"})
	require.Equal(t, http.StatusServiceUnavailable, r.Status)
	require.Empty(t, r.Body)
	require.Empty(t, r.Header.Get("Content-Type"))
}
