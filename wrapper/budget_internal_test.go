package wrapper

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A budget on a hand-driven clock: it slows down on 429s, at most once a
// second, to about what the server accepted, and grows back while requests
// succeed.
func TestRateBudgetAIMD(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	b, err := NewRateBudget(40)
	require.NoError(t, err)
	b.now = func() time.Time { return now }
	require.InDelta(t, 40*rateMargin, b.Rate(), 1e-9)

	// 20 successes in the last second, then a 429: down to 90 % of 20,
	// bounded by half of the rate.
	for range 20 {
		now = now.Add(40 * time.Millisecond)
		b.succeeded()
	}
	b.rateLimited(-1)
	require.InDelta(t, 40*rateMargin*0.5, b.Rate(), 1e-9, "no more than half at once")
	require.EqualValues(t, 1, b.RateLimited())
	// More 429s within a quarter of a second are the same signal; after it,
	// a decrease held back by the half bound goes on.
	b.rateLimited(-1)
	require.InDelta(t, 40*rateMargin*0.5, b.Rate(), 1e-9)
	now = now.Add(300 * time.Millisecond)
	b.rateLimited(-1)
	require.InDelta(t, 0.9*18, b.Rate(), 1e-9, "18 of the successes are within the last second")
	now = now.Add(300 * time.Millisecond)
	b.rateLimited(-1)
	require.InDelta(t, 0.9*18, b.Rate(), 1e-9, "not bounded by half: one decrease per second")
	now = now.Add(500 * time.Millisecond)

	// A second later, 17 accepted within the last second: 90 % of that is
	// within the bounds.
	for range 18 {
		now = now.Add(50 * time.Millisecond)
		b.succeeded()
	}
	now = now.Add(200 * time.Millisecond)
	prev := b.Rate()
	b.rateLimited(-1)
	require.LessOrEqual(t, b.Rate(), prev*0.85+1e-9, "at least 15 % down")
	require.GreaterOrEqual(t, b.Rate(), prev*0.5, "at most half")

	// Successes for a while: it grows by 2.5 % of the ceiling per second, up
	// to the ceiling and no further.
	now = now.Add(2 * time.Second)
	b.succeeded()
	before := b.Rate()
	now = now.Add(time.Second)
	b.succeeded()
	require.InDelta(t, before+0.025*40*rateMargin, b.Rate(), 1e-9)
	for range 200 {
		now = now.Add(time.Second)
		b.succeeded()
	}
	require.InDelta(t, 40*rateMargin, b.Rate(), 1e-9)

	// Never below the floor.
	for range 50 {
		now = now.Add(2 * time.Second)
		b.rateLimited(-1)
	}
	require.InDelta(t, 0.4*rateMargin, b.Rate(), 1e-9)
}

func TestRateBudgetRetryAfterPausesEveryone(t *testing.T) {
	b, err := NewRateBudget(1000)
	require.NoError(t, err)
	b.rateLimited(300 * time.Millisecond)
	start := time.Now()
	require.NoError(t, b.Wait(context.Background()))
	require.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond)

	// A wait that would outlive the deadline is not started.
	b.rateLimited(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = b.Wait(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	b2, _ := NewRateBudget(1)
	b2.next = time.Now().Add(time.Minute)
	require.ErrorIs(t, b2.Wait(ctx), context.Canceled)
}

func TestNewRateBudgetRefusesWhatItCannotHonour(t *testing.T) {
	for _, r := range []float64{0, -1, 1e-12, 1e-300, MinRateLimit * 0.99, math.NaN(), math.Inf(1), MaxRateLimit * 2} {
		_, err := NewRateBudget(r)
		require.Error(t, err, "%v", r)
	}
	_, err := NewClient("k", WithRateBudget(nil))
	require.Error(t, err)
}
