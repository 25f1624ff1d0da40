package wrapper

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// RetryPolicy says when and how a failed request is sent again. Every wait
// happens inside the caller's context: a call never outlives its deadline,
// and no wait starts that would end past it.
//
// What is retried, and why:
//   - 429 and 503, for every method: ChartMogul did not process the request
//     (rate limit, too many parallel connections).
//   - A connection that could not be made (refused): for every method, the
//     request never left.
//   - 500, 502, 504, a dropped connection, a timed-out attempt and a body
//     cut short: only for GET, PATCH and DELETE, which are safe to repeat.
//     Never for POST (create) unless RetryCreateOnServerError is set:
//     ChartMogul has no idempotency key, so the first create may have been
//     applied and a retry would make a duplicate.
//   - Nothing else: no other 4xx, no body that does not decode, no body over
//     the size cap.
//
// A retry resends the identical body.
type RetryPolicy struct {
	// MaxAttempts is the total number of tries, first one included. 1 means
	// no retries.
	MaxAttempts int
	// InitialBackoff bounds the first wait; each later bound doubles. The
	// wait is drawn uniformly between the minimum wait and the bound ("full
	// jitter"). The minimum wait, a fifth of InitialBackoff (100 ms by
	// default) and never more than MaxBackoff, applies before every retry,
	// also when Retry-After says 0 or a date in the past.
	InitialBackoff time.Duration
	// MaxBackoff caps every wait, including one asked for by Retry-After.
	MaxBackoff time.Duration
	// RetryCreateOnServerError also retries a create after a 500, 502, 504 or
	// a transport failure. This can create duplicates; leave it off unless a
	// duplicate is cheaper for you than a missing opportunity.
	RetryCreateOnServerError bool
}

// DefaultRetryPolicy returns the policy used unless [WithRetryPolicy] or
// [WithoutRetries] says otherwise: at most 4 attempts, waits bounded by 0.5 s,
// 1 s, 2 s, and a Retry-After honoured up to 30 s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, InitialBackoff: 500 * time.Millisecond, MaxBackoff: 30 * time.Second}
}

// Bounds of a [RetryPolicy], checked by [WithRetryPolicy]: values beyond them
// could not be honoured (a wait of centuries, a backoff that overflows).
const (
	MaxRetryAttempts = 100
	MaxRetryBackoff  = time.Hour
	// MinRetryBackoff is the least InitialBackoff or MaxBackoff may be, and
	// the least any wait before a retry is: retries are never a burst.
	MinRetryBackoff = time.Millisecond
)

// WithRetryPolicy sets the retry policy. Zero fields take the default's
// values, so RetryPolicy{RetryCreateOnServerError: true} changes only that.
// MaxAttempts must be at most [MaxRetryAttempts], InitialBackoff and
// MaxBackoff between [MinRetryBackoff] and [MaxRetryBackoff].
func WithRetryPolicy(p RetryPolicy) Option {
	return func(o *options) error {
		if p.MaxAttempts < 0 || p.InitialBackoff < 0 || p.MaxBackoff < 0 {
			return errors.New("WithRetryPolicy: negative attempts or backoff")
		}
		if p.MaxAttempts > MaxRetryAttempts {
			return fmt.Errorf("WithRetryPolicy: MaxAttempts %d is above the limit of %d", p.MaxAttempts, MaxRetryAttempts)
		}
		if (p.InitialBackoff != 0 && p.InitialBackoff < MinRetryBackoff) || (p.MaxBackoff != 0 && p.MaxBackoff < MinRetryBackoff) {
			return fmt.Errorf("WithRetryPolicy: InitialBackoff %v or MaxBackoff %v is below the minimum of %v", p.InitialBackoff, p.MaxBackoff, MinRetryBackoff)
		}
		if p.InitialBackoff > MaxRetryBackoff || p.MaxBackoff > MaxRetryBackoff {
			return fmt.Errorf("WithRetryPolicy: InitialBackoff %v or MaxBackoff %v is above the limit of %v", p.InitialBackoff, p.MaxBackoff, MaxRetryBackoff)
		}
		d := DefaultRetryPolicy()
		if p.MaxAttempts == 0 {
			p.MaxAttempts = d.MaxAttempts
		}
		if p.InitialBackoff == 0 {
			p.InitialBackoff = d.InitialBackoff
		}
		if p.MaxBackoff == 0 {
			p.MaxBackoff = d.MaxBackoff
		}
		o.retry = p
		return nil
	}
}

// WithoutRetries sends every request once.
func WithoutRetries() Option {
	return func(o *options) error { o.retry = RetryPolicy{MaxAttempts: 1}; return nil }
}

// errNotSent marks an error from before the request left the client.
var errNotSent = errors.New("the request was not sent")

// idempotent reports whether a method may be sent twice without a second
// effect. PATCH qualifies here: an update sets absolute values.
func idempotent(method string) bool {
	return method == http.MethodGet || method == http.MethodPatch || method == http.MethodDelete
}

// bodyReadError marks a failure while reading a response body (the
// connection was cut mid-body), as opposed to a body that was read whole.
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return "reading the response body: " + e.err.Error() }
func (e *bodyReadError) Unwrap() error { return e.err }

// retryable decides whether err, the outcome of one attempt, is worth
// another attempt under p.
func (p RetryPolicy) retryable(method string, err error) bool {
	repeatable := idempotent(method) || p.RetryCreateOnServerError
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch apiErr.StatusCode {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			return true
		}
		var readErr *bodyReadError
		if errors.As(apiErr.Err, &readErr) {
			return repeatable
		}
		if apiErr.Err != nil {
			return false // decoded badly or too large: the same again
		}
		switch apiErr.StatusCode {
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
			return repeatable
		}
		return false
	}
	// A transport failure: retried when the method is safe to repeat, or
	// when the request cannot have reached ChartMogul (a refused dial).
	return (repeatable || !MayHaveBeenApplied(err)) && transient(err)
}

// MayHaveBeenApplied reports whether the request that ended in err may still
// have been acted on by ChartMogul: true after a 5xx other than 503, a 2xx
// whose body could not be used, or a transport failure once connected
// (timeout, dropped connection); false for bad input caught before sending,
// a request that never left (cancelled while waiting for the client-side
// limits, a refused connection, a name that did not resolve), any 4xx (the
// request was refused, rate limits included) and 503 (not processed).
//
// It is true, whatever ended the last attempt, when an earlier attempt of the
// same call may have been applied (a retry after a 5xx under a policy that
// retries creates on server errors, say).
//
// For a create it tells whether a duplicate is possible on resending: list
// the customer's opportunities before creating again. A nil err (the call
// succeeded, so it was applied) reports true.
func MayHaveBeenApplied(err error) bool {
	if err == nil {
		return true
	}
	var earlier *earlierApplied
	var last *APIError
	if errors.As(err, &earlier) || (errors.As(err, &last) && last.earlierMayHaveApplied) {
		return true
	}
	var invalid *ValidationError
	if errors.As(err, &invalid) || errors.Is(err, errNoClient) || errors.Is(err, errNotSent) {
		return false
	}
	// No connection, no request: a refused or failed dial, or a name that
	// did not resolve.
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) || (errors.As(err, &opErr) && opErr.Op == "dial") {
		return false
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch {
		case apiErr.StatusCode >= 400 && apiErr.StatusCode < 500:
			return false
		case apiErr.StatusCode == http.StatusServiceUnavailable:
			return false
		}
		return true
	}
	return true
}

// transient reports whether a transport error may pass: a reset, refused or
// dropped connection, or an attempt that timed out.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// backoff returns how long to wait before attempt n+1, after attempt n
// failed; retryAfter is the server's Retry-After, or negative when absent.
// Every wait is at least minWait, whatever Retry-After says: "0" or a date
// in the past would otherwise let a server (or a clock skew) turn the retries
// into a burst.
func (p RetryPolicy) backoff(n int, retryAfter time.Duration) time.Duration {
	floor := p.minWait()
	if retryAfter >= 0 {
		return max(min(retryAfter, p.MaxBackoff), floor)
	}
	bound := p.InitialBackoff
	for i := 1; i < n && bound < p.MaxBackoff; i++ {
		bound *= 2
	}
	bound = min(bound, p.MaxBackoff)
	if bound <= floor {
		return floor
	}
	return floor + time.Duration(rand.Int64N(int64(bound-floor)+1))
}

// minWait is the shortest wait before any retry: a fifth of InitialBackoff
// (100 ms by default), never more than MaxBackoff, never less than
// MinRetryBackoff.
func (p RetryPolicy) minWait() time.Duration {
	return max(min(p.InitialBackoff/5, p.MaxBackoff), MinRetryBackoff)
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
// It returns a negative duration when the header is absent or unreadable.
func parseRetryAfter(h http.Header, now func() time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return -1
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return -1
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now()), 0)
	}
	return -1
}

// sleep waits for d or until ctx is done; it reports whether it waited the
// whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
