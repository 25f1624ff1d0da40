package wrapper

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 3, 21, 6, 46, 23, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", -1},
		{"0", 0},
		{"3", 3 * time.Second},
		{"-1", -1},
		{"soon", -1},
		{"1.5", -1},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"99999999999", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			h := http.Header{}
			if tt.value != "" {
				h.Set("Retry-After", tt.value)
			}
			require.Equal(t, tt.want, parseRetryAfter(h, func() time.Time { return now }))
		})
	}
}

func TestBackoffIsFullJitterBoundedAndHonoursRetryAfter(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 10, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	const floor = 20 * time.Millisecond // a fifth of InitialBackoff
	for n, bound := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond,
		3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 9: time.Second} {
		var seenLow, seenHigh bool
		for range 2000 {
			d := p.backoff(n, -1)
			require.GreaterOrEqual(t, d, floor)
			require.LessOrEqual(t, d, bound, "attempt %d", n)
			seenLow = seenLow || d < floor+(bound-floor)/4
			seenHigh = seenHigh || d > floor+(bound-floor)*3/4
		}
		require.True(t, seenLow && seenHigh, "attempt %d: waits are not spread over [%v, %v]", n, floor, bound)
	}
	require.Equal(t, 700*time.Millisecond, p.backoff(1, 700*time.Millisecond), "Retry-After is honoured")
	require.Equal(t, time.Second, p.backoff(1, time.Hour), "Retry-After is capped by MaxBackoff")
	require.Equal(t, floor, p.backoff(1, 0), "Retry-After: 0 still waits the minimum")
	require.Equal(t, 100*time.Millisecond, DefaultRetryPolicy().backoff(3, 0), "100 ms by default")
	require.Equal(t, time.Millisecond, RetryPolicy{InitialBackoff: time.Second, MaxBackoff: time.Millisecond}.backoff(1, 0),
		"the minimum never exceeds MaxBackoff")
	require.Equal(t, MinRetryBackoff, RetryPolicy{MaxAttempts: 2}.backoff(3, -1), "even a zero bound waits the minimum")
}

func TestRetryableByMethodAndOutcome(t *testing.T) {
	status := func(code int) error { return &APIError{StatusCode: code} }
	reset := &url.Error{Op: "Post", URL: "http://x", Err: syscall.ECONNRESET}
	tests := []struct {
		name  string
		err   error
		post  bool // retried for POST
		other bool // retried for GET, PATCH, DELETE
	}{
		{"429", status(429), true, true},
		{"503", status(503), true, true},
		{"500", status(500), false, true},
		{"502", status(502), false, true},
		{"504", status(504), false, true},
		{"400", status(400), false, false},
		{"401", status(401), false, false},
		{"404", status(404), false, false},
		{"422", status(422), false, false},
		{"501", status(501), false, false},
		{"connection reset", reset, false, true},
		{"connection refused", &url.Error{Op: "Get", URL: "http://x", Err: syscall.ECONNREFUSED}, false, true},
		{"dial refused: never sent", &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, true, true},
		{"EOF before response", &url.Error{Op: "Get", URL: "http://x", Err: io.EOF}, false, true},
		{"attempt timed out", fmt.Errorf("x: %w", context.DeadlineExceeded), false, true},
		{"caller cancelled", fmt.Errorf("x: %w", context.Canceled), false, false},
		{"refused redirect", &url.Error{Op: "Get", URL: "http://x", Err: errors.New("refusing redirect")}, false, false},
		{"body cut short", &APIError{StatusCode: 200, Err: &bodyReadError{io.ErrUnexpectedEOF}}, false, true},
		{"body cut short on 503", &APIError{StatusCode: 503, Err: &bodyReadError{io.ErrUnexpectedEOF}}, true, true},
		{"body too large", &APIError{StatusCode: 500, Err: ErrBodyTooLarge}, false, false},
		{"body does not decode", &APIError{StatusCode: 200, Err: errors.New("does not decode")}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultRetryPolicy()
			require.Equal(t, tt.post, p.retryable(http.MethodPost, tt.err), "POST")
			for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
				require.Equal(t, tt.other, p.retryable(m, tt.err), m)
			}
			p.RetryCreateOnServerError = true
			require.Equal(t, tt.other, p.retryable(http.MethodPost, tt.err), "POST with RetryCreateOnServerError")
		})
	}
}

func TestMayHaveBeenApplied(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"bad input", &ValidationError{Problems: []FieldError{{"owner", "is required"}}}, false},
		{"client not made by NewClient", errNoClient, false},
		{"400", &APIError{StatusCode: 400}, false},
		{"404", &APIError{StatusCode: 404}, false},
		{"422", &APIError{StatusCode: 422}, false},
		{"429", &APIError{StatusCode: 429}, false},
		{"503", &APIError{StatusCode: 503}, false},
		{"500", &APIError{StatusCode: 500}, true},
		{"502", &APIError{StatusCode: 502}, true},
		{"504", &APIError{StatusCode: 504}, true},
		{"201 whose body did not decode", &APIError{StatusCode: 201, Err: errors.New("does not decode")}, true},
		{"201 cut short", &APIError{StatusCode: 201, Err: &bodyReadError{io.ErrUnexpectedEOF}}, true},
		{"connection reset", &url.Error{Op: "Post", URL: "http://x", Err: syscall.ECONNRESET}, true},
		{"connection refused", &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}, false},
		{"name not resolved", &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "x"}}}, false},
		{"cancelled while waiting for the limiter", fmt.Errorf("x: %w: %w", errNotSent, context.Canceled), false},
		{"reset while reading", &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "read", Err: syscall.ECONNRESET}}, true},
		{"timed out", fmt.Errorf("x: %w", context.DeadlineExceeded), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, MayHaveBeenApplied(tt.err))
			require.Equal(t, tt.want, MayHaveBeenApplied(fmt.Errorf("wrapped: %w", tt.err)))
		})
	}
}
