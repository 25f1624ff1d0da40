package wrapper

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// RateBudget is a request rate shared by every client (and every caller of a
// client) it is given to with [WithRateBudget], and which adapts to what the
// server accepts: ChartMogul's 40 requests per second belong to the account,
// so another program using the same key leaves less for this one, and the
// only sign of it is a 429.
//
// It paces requests evenly at its current rate, at most the ceiling given to
// [NewRateBudget]. On a 429 it slows down (additive increase, multiplicative
// decrease): at most once a second the rate drops to 90 % of what the server
// accepted in the last second, but by no more than half and by at least 15 %
// (a decrease held back by the half bound may be repeated after 250 ms);
// a Retry-After pauses every request of the budget until then, for at most
// the retry policy's MaxBackoff of the client that was answered (30 s by
// default). While requests
// succeed it probes back up by 2.5 % of the ceiling per second.
//
// A client with a budget does not count a 429 against its retry policy's
// MaxAttempts: the request was not processed, so it is sent again when the
// budget allows, up to [MaxRateLimitedAttempts] times per call and always
// within the caller's context. It is safe for concurrent use.
type RateBudget struct {
	mu      sync.Mutex
	now     func() time.Time
	ceiling float64
	floor   float64
	rate    float64   // current requests per second
	next    time.Time // the earliest time the next request may leave
	paused  time.Time // Retry-After: nothing leaves before
	cut     time.Time // the last decrease
	halved  bool      // the last decrease was bounded by half the rate
	grown   time.Time // the last increase
	oks     []time.Time
	limited int64
}

// MaxRateLimitedAttempts bounds how many 429 answers one call under a
// [RateBudget] takes before it returns the last one as its error.
const MaxRateLimitedAttempts = 100

// NewRateBudget returns a budget of at most perSecond requests per second
// (ChartMogul's documented limit is [ChartMogulRequestsPerSecond]); it starts
// at that rate. perSecond must be at least [MinRateLimit] (slower, the wait
// between requests could not be represented) and at most [MaxRateLimit].
func NewRateBudget(perSecond float64) (*RateBudget, error) {
	if !(perSecond >= MinRateLimit) || math.IsInf(perSecond, 0) || perSecond > MaxRateLimit { // NaN too
		return nil, fmt.Errorf("NewRateBudget: rate %v/s must be at least %g/s (one request an hour) and at most %g/s", perSecond, MinRateLimit, MaxRateLimit)
	}
	ceiling := perSecond * rateMargin
	return &RateBudget{now: time.Now, ceiling: ceiling, floor: min(ceiling, max(ceiling/100, 0.1)), rate: ceiling}, nil
}

// WithRateBudget makes every request of the client wait for b (retries
// included), and tells b of every 429 and every success. Give the same budget
// to every client of one API key.
func WithRateBudget(b *RateBudget) Option {
	return func(o *options) error {
		if b == nil {
			return fmt.Errorf("WithRateBudget: the budget is nil")
		}
		o.budget = b
		return nil
	}
}

// Rate returns the current rate in requests per second.
func (b *RateBudget) Rate() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rate
}

// RateLimited returns how many 429 answers the budget has been told of.
func (b *RateBudget) RateLimited() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limited
}

// Wait blocks until a request may leave under the budget, or ctx is done.
func (b *RateBudget) Wait(ctx context.Context) error {
	b.mu.Lock()
	now := b.now()
	at := now
	if b.next.After(at) {
		at = b.next
	}
	if b.paused.After(at) {
		at = b.paused
	}
	b.next = at.Add(time.Duration(float64(time.Second) / b.rate))
	b.mu.Unlock()
	if deadline, ok := ctx.Deadline(); ok && deadline.Before(at) {
		return fmt.Errorf("%w: the rate budget's next slot is after the deadline", context.DeadlineExceeded)
	}
	if !sleep(ctx, at.Sub(now)) {
		return ctx.Err()
	}
	return nil
}

// succeeded records a request the server processed: the rate grows back.
func (b *RateBudget) succeeded() {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.oks = append(b.oks, now)
	if len(b.oks) > 4096 || (len(b.oks) > 0 && now.Sub(b.oks[0]) > time.Second) {
		b.oks = pruneBefore(b.oks, now.Add(-time.Second))
	}
	if now.Sub(b.cut) < time.Second {
		return // just slowed down: let the server's window settle first
	}
	if !b.grown.IsZero() && b.rate < b.ceiling {
		dt := min(now.Sub(b.grown), time.Second).Seconds()
		b.rate = min(b.ceiling, b.rate+0.025*b.ceiling*dt)
	}
	b.grown = now
}

// rateLimited records a 429 and its Retry-After (negative when absent).
func (b *RateBudget) rateLimited(retryAfter time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	b.limited++
	if retryAfter > 0 {
		if until := now.Add(min(retryAfter, MaxRetryBackoff)); until.After(b.paused) {
			b.paused = until
		}
	}
	// One decrease per second: the 429s of one server window are one
	// signal. Only a decrease that was held back by the "at most half" bound
	// may follow sooner, a quarter of a second on, to reach what the server
	// accepts within the first window.
	if since := now.Sub(b.cut); since < time.Second && !(b.halved && since >= time.Second/4) {
		return
	}
	b.oks = pruneBefore(b.oks, now.Add(-time.Second))
	target := 0.9 * float64(len(b.oks))
	b.halved = target < b.rate*0.5
	b.rate = max(b.floor, min(max(target, b.rate*0.5), b.rate*0.85))
	b.cut, b.grown = now, now
	if next := now.Add(time.Duration(float64(time.Second) / b.rate)); next.After(b.next) {
		b.next = next
	}
}

func pruneBefore(ts []time.Time, t time.Time) []time.Time {
	i := 0
	for i < len(ts) && ts[i].Before(t) {
		i++
	}
	return append(ts[:0], ts[i:]...)
}
