package chartmogultest_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
)

func TestRateLimit(t *testing.T) {
	for _, retryAfter := range []bool{true, false} {
		srv := chartmogultest.NewServer(t, chartmogultest.WithRateLimit(2, retryAfter))
		var limited *result
		for i := 0; i < 200 && limited == nil; i++ { // a few requests are enough
			r := call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"})
			if r.Status == http.StatusTooManyRequests {
				limited = &r
				continue
			}
			require.Equal(t, http.StatusOK, r.Status)
		}
		require.NotNil(t, limited, "no 429 in 200 requests")
		require.JSONEq(t, `{"error":"Your request rate has exceeded our rate limit."}`, string(limited.Body))
		if retryAfter {
			require.Equal(t, "1", limited.Header.Get("Retry-After"))
		} else {
			require.Empty(t, limited.Header.Values("Retry-After"))
		}
		require.Less(t, srv.Applied(chartmogultest.OpList), srv.Requests(chartmogultest.OpList))
	}
}

func TestRateLimitWindowEnds(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithRateLimit(1, true))
	require.Equal(t, http.StatusOK, call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"}).Status)
	// Once the window is over, requests pass again (bounded wait).
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"})
		if r.Status == http.StatusOK {
			break
		}
		require.Equal(t, http.StatusTooManyRequests, r.Status)
		require.True(t, time.Now().Before(deadline), "still limited after 10s")
		time.Sleep(100 * time.Millisecond)
	}
}

func TestMaxConcurrent(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithMaxConcurrent(1))
	// One list request is held by a long delay; it holds the only slot.
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Delay: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Retry while a probe below holds the slot; then the delay holds it
		// until cancel.
		for i := 0; i < 1000 && ctx.Err() == nil; i++ {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL()+"/opportunities", nil)
			req.SetBasicAuth(srv.APIKey(), "")
			resp, err := testClient.Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable {
				return
			}
		}
	}()
	var unavailable *result
	for i := 0; i < 500 && unavailable == nil; i++ { // bounded: up to ~10s
		r := call(t, srv, request{Method: http.MethodGet, Path: "/opportunities/bb544336-e74e-11ee-800c-effc264f19ed"})
		if r.Status == http.StatusServiceUnavailable {
			unavailable = &r
			break
		}
		require.Equal(t, http.StatusNotFound, r.Status)
		time.Sleep(time.Duration(i%5) * 5 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	require.NotNil(t, unavailable, "no 503 while a request was in flight")
	require.Equal(t, "Service Unavailable", string(unavailable.Body))
	require.Contains(t, unavailable.Header.Get("Content-Type"), "text/plain")
	doc, router := specRouter(t)
	requireResponseMatchesSpec(t, doc, router, http.MethodGet, "/opportunities/bb544336-e74e-11ee-800c-effc264f19ed", *unavailable)

	// The slot is free again once the held request is gone (bounded wait).
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"})
		if r.Status == http.StatusOK {
			break
		}
		require.True(t, time.Now().Before(deadline), "still unavailable after 10s")
		time.Sleep(20 * time.Millisecond)
	}
}

func TestConcurrentUse(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				r, err := try(srv, request{Method: http.MethodPost, Path: "/opportunities", Body: createBody(nil)})
				if err == nil && r.Status != http.StatusCreated {
					err = errorf("create: %d %s", r.Status, r.Body)
				}
				if err == nil {
					_, err = try(srv, request{Method: http.MethodGet, Path: "/opportunities?per_page=3"})
				}
				if err != nil {
					errs <- err
					return
				}
				_ = srv.Opportunities()
				_ = srv.Requests(chartmogultest.OpCreate)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, srv.Opportunities(), 80)
	require.Equal(t, 80, srv.Applied(chartmogultest.OpCreate))
	require.Equal(t, 80, srv.Requests(chartmogultest.OpList))
}
