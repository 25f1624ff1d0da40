package wrapper

import (
	"context"
	"fmt"
	"math"

	"golang.org/x/time/rate"
)

// ChartMogul's documented limits: 40 requests per second per account, and
// more than 20 parallel connections answers 503.
const (
	ChartMogulRequestsPerSecond = 40
	ChartMogulMaxConcurrent     = 20
)

// Bounds of the client-side limits: larger values could not be honoured (a
// channel of that many slots cannot be made) or mean no limit at all.
const (
	MaxConcurrentLimit = 1 << 16
	MaxRateLimit       = 1e6
	MinRateLimit       = 1.0 / 3600
	MaxBurst           = 1 << 20
)

// rateMargin is how far under the configured rate the limiter paces: a
// request can reach the server later than it was sent (scheduling, the
// network), and with exact pacing one late request at the start of a
// server's one-second window lets one more than the limit into it.
const rateMargin = 0.97

// WithRateLimit keeps the client under perSecond requests per second (retries
// included), with bursts of up to burst. It paces at 97 % of perSecond, so
// that delays on the way cannot bunch more than perSecond requests into any
// one second at the server; use burst 1 for an even pace. Callers wait their
// turn inside their context. Off by default.
func WithRateLimit(perSecond float64, burst int) Option {
	return func(o *options) error {
		if !(perSecond > 0) || burst < 1 { // NaN too
			return fmt.Errorf("WithRateLimit: rate limit %v/s with burst %d: both must be positive", perSecond, burst)
		}
		if perSecond < MinRateLimit {
			return fmt.Errorf("WithRateLimit: rate limit %v/s is below the minimum of %g/s (one request an hour)", perSecond, MinRateLimit)
		}
		if math.IsInf(perSecond, 0) || perSecond > MaxRateLimit || burst > MaxBurst {
			return fmt.Errorf("WithRateLimit: rate limit %v/s with burst %d: at most %g/s and a burst of %d", perSecond, burst, MaxRateLimit, MaxBurst)
		}
		o.limiter = rate.NewLimiter(rate.Limit(perSecond*rateMargin), burst)
		return nil
	}
}

// WithMaxConcurrent lets at most n requests of this client be in flight at
// once; the others wait inside their context. Off by default.
func WithMaxConcurrent(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("WithMaxConcurrent: max concurrent %d is below 1", n)
		}
		if n > MaxConcurrentLimit {
			return fmt.Errorf("WithMaxConcurrent: max concurrent %d is above the limit of %d", n, MaxConcurrentLimit)
		}
		o.slots = make(chan struct{}, n)
		return nil
	}
}

// WithChartMogulLimits applies ChartMogul's documented limits on the client
// side: WithRateLimit(40, 1), evenly paced at 38.8 requests per second, and 20
// requests in flight. Share one client per API key so every caller of that
// key is counted.
func WithChartMogulLimits() Option {
	return func(o *options) error {
		if err := WithRateLimit(ChartMogulRequestsPerSecond, 1)(o); err != nil {
			return err
		}
		return WithMaxConcurrent(ChartMogulMaxConcurrent)(o)
	}
}

// acquire waits for a concurrency slot and the rate limiter; when it returns
// nil, release must be called.
func (c *Client) acquire(ctx context.Context) error {
	if c.slots != nil {
		select {
		case c.slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			c.release()
			if ctx.Err() == nil {
				// The wait would outlive the deadline: say so in a way
				// errors.Is understands.
				return fmt.Errorf("%w: %v", context.DeadlineExceeded, err)
			}
			return err
		}
	}
	return nil
}

// release gives back the slot taken by acquire.
func (c *Client) release() {
	if c.slots != nil {
		<-c.slots
	}
}
