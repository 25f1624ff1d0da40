package wrapper_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

func TestLimitOptionsAreChecked(t *testing.T) {
	for _, opt := range []wrapper.Option{wrapper.WithRateLimit(0, 1), wrapper.WithRateLimit(1, 0),
		wrapper.WithMaxConcurrent(0), wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: -1}),
		wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: 2, InitialBackoff: -1}), wrapper.WithLogger(nil)} {
		_, err := wrapper.NewClient(testKey, opt)
		require.Error(t, err)
	}
	_, err := wrapper.NewClient(testKey, wrapper.WithChartMogulLimits())
	require.NoError(t, err)
}

// The client's concurrency cap keeps it under the server's: with both at 3,
// twenty parallel calls never meet a 503.
func TestMaxConcurrentKeepsUnderTheServersLimit(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithMaxConcurrent(3))
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Delay: 20 * time.Millisecond, Times: 20})
	c, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()), checkedHTTP(t), wrapper.WithoutRetries(),
		wrapper.WithMaxConcurrent(3))
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.List(context.Background(), wrapper.ListParams{})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 20, srv.Requests(chartmogultest.OpList))
}

// Without the cap, the same load does meet 503s, and the retries absorb them.
func TestWithoutTheCapThe503sAreRetried(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithMaxConcurrent(1))
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Delay: 20 * time.Millisecond, Times: 4})
	c, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()), checkedHTTP(t),
		wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: 50, InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}))
	require.NoError(t, err)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 4 {
		wg.Go(func() {
			if _, err := c.List(context.Background(), wrapper.ListParams{}); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	require.Zero(t, failed.Load())
	require.Greater(t, srv.Requests(chartmogultest.OpList), 4, "some requests met a 503 and were sent again")
}

// The client's rate limit paces requests: with the server allowing 10 per
// one-second window and the client 10 per second evenly paced, 15 calls meet
// no 429 at all.
func TestRateLimitKeepsUnderTheServersLimit(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithRateLimit(10, false))
	c, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()), checkedHTTP(t), wrapper.WithoutRetries(),
		wrapper.WithRateLimit(10, 1))
	require.NoError(t, err)
	for range 15 {
		_, err := c.List(context.Background(), wrapper.ListParams{})
		require.NoError(t, err)
	}
	require.Equal(t, 15, srv.Requests(chartmogultest.OpList))
}

func TestRateLimitWaitEndsWithTheContext(t *testing.T) {
	c, err := wrapper.NewClient(testKey, wrapper.WithRateLimit(0.001, 1), wrapper.WithBaseURL("http://127.0.0.1:1/v1"))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _ = c.List(ctx, wrapper.ListParams{}) // takes the only token (and fails to connect)
	_, err = c.List(ctx, wrapper.ListParams{})
	require.ErrorContains(t, err, "client-side limit")
	require.ErrorIs(t, err, context.DeadlineExceeded, "a wait that would outlive the deadline is a deadline error")
}

func TestZeroRetryPolicyFieldsTakeTheDefaults(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 500})
	c, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()), checkedHTTP(t),
		wrapper.WithRetryPolicy(wrapper.RetryPolicy{RetryCreateOnServerError: true, InitialBackoff: time.Millisecond}))
	require.NoError(t, err)
	_, err = c.Create(context.Background(), seedInput())
	require.NoError(t, err, "the create was retried after the 500, as opted in")
	require.Equal(t, 2, srv.Requests(chartmogultest.OpCreate))
}

// Retry-After is honoured: the retry waits the second the server asked for.
func TestRetryAfterIsHonoured(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: 429, Header: http.Header{"Retry-After": {"1"}}})
	seeded := srv.Seed(seedOpportunity())[0]
	c, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()), checkedHTTP(t),
		wrapper.WithRetryPolicy(wrapper.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 10 * time.Second}))
	require.NoError(t, err)
	start := time.Now()
	_, err = c.Get(context.Background(), seeded.UUID)
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "retried before the Retry-After second was up")
}

// A delete whose first attempt was not processed (503) and whose retry
// finds nothing is an error: it never existed. After a 500 (which may have
// been applied) the 404 means the first attempt deleted it.
func TestDeleteReadsA404AfterARetryByWhatCameBefore(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()), checkedHTTP(t), fastRetries)
	require.NoError(t, err)
	srv.Inject(chartmogultest.OpDelete, chartmogultest.Fault{Status: 503})
	require.True(t, wrapper.IsNotFound(c.Delete(context.Background(), recordedUUID)))

	seeded := srv.Seed(seedOpportunity())[0]
	srv.Inject(chartmogultest.OpDelete, chartmogultest.Fault{Status: 500, Apply: true})
	require.NoError(t, c.Delete(context.Background(), seeded.UUID))
	require.Empty(t, srv.Opportunities())
}

// A retry waits no longer than the caller's deadline allows: a Retry-After of
// an hour with a one-second deadline gives up at once with the 429.
func TestRetriesStayInsideTheCallersDeadline(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: 429, Header: http.Header{"Retry-After": {"3600"}}})
	c, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()), checkedHTTP(t),
		wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: 4, MaxBackoff: time.Hour}))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = c.Get(ctx, recordedUUID)
	require.True(t, wrapper.IsRateLimited(err))
	require.NoError(t, ctx.Err(), "gave up before the deadline instead of sleeping into it")
	require.Equal(t, 1, srv.Requests(chartmogultest.OpRetrieve))
}

func TestRetryResendsTheIdenticalBody(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	var calls atomic.Int32
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		mu.Lock()
		bodies = append(bodies, string(body))
		mu.Unlock()
		if calls.Add(1) < 3 {
			reply(503, `{"error":"busy"}`)(w, r, nil)
			return
		}
		reply(200, recordedResponse)(w, r, nil)
	})
	c := newClient(t, rec, fastRetries)
	_, err := c.Update(context.Background(), recordedUUID, wrapper.NewUpdate().SetWinLikelihood(0).
		SetCustom(map[string]any{"b": 2, "a": 1, "c": "x"}))
	require.NoError(t, err)
	require.Len(t, bodies, 3)
	require.Equal(t, bodies[0], bodies[1])
	require.Equal(t, bodies[0], bodies[2])
}

// countingBody is an endless response body that counts what is read from it.
type countingBody struct{ n atomic.Int64 }

func (b *countingBody) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	b.n.Add(int64(len(p)))
	return len(p), nil
}
func (b *countingBody) Close() error { return nil }

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A 100 MB (here: endless) body costs no more than the cap, on success and
// error statuses alike.
func TestHugeBodiesAreReadOnlyUpToTheCap(t *testing.T) {
	for _, status := range []int{200, 500} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			body := &countingBody{}
			hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
					Body: body, Request: r}, nil
			})}
			const limit = 64 << 10
			c, err := wrapper.NewClient(testKey, wrapper.WithHTTPClient(hc), wrapper.WithMaxResponseBytes(limit), wrapper.WithoutRetries())
			require.NoError(t, err)
			_, err = c.Get(context.Background(), recordedUUID)
			require.ErrorIs(t, err, wrapper.ErrBodyTooLarge)
			require.LessOrEqual(t, body.n.Load(), int64(limit+64<<10), "read far past the cap")
		})
	}
}

// The key appears nowhere: not in errors after retries, not in log lines.
func TestTheKeyIsInNoErrorOrLogLineAfterRetries(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithAPIKey(testKey))
	srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: 503, Times: 10})
	srv.Inject(chartmogultest.OpUpdate, chartmogultest.Fault{DropConnection: true, Times: 10})
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := wrapper.NewClient(testKey, wrapper.WithBaseURL(srv.URL()), fastRetries, wrapper.WithLogger(logger), checkedHTTP(t))
	require.NoError(t, err)

	_, getErr := c.Get(context.Background(), recordedUUID)
	require.True(t, wrapper.IsServerError(getErr))
	_, updErr := c.Update(context.Background(), recordedUUID, wrapper.NewUpdate().SetWinLikelihood(1))
	require.Error(t, updErr)
	require.Contains(t, updErr.Error(), "after 4 attempts")

	require.Equal(t, 6, strings.Count(logs.String(), "chartmogul: retrying"), logs.String())
	for _, s := range []string{logs.String(), getErr.Error(), updErr.Error(), fmt.Sprintf("%+v %#v", getErr, updErr), fmt.Sprintf("%#v", c)} {
		for _, secret := range secretForms() {
			require.NotContains(t, s, secret)
		}
	}
	var apiErr *wrapper.APIError
	require.ErrorAs(t, getErr, &apiErr)
	require.Equal(t, 4, apiErr.Attempts)
	require.Contains(t, getErr.Error(), "after 4 attempts")
}
