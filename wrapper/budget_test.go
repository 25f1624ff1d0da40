package wrapper_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

// Under a budget a 429 uses up no attempt: with retries off, creates against
// a server allowing 10 requests a second all succeed, each created once.
func TestRateBudgetTurns429sIntoWaiting(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithRateLimit(10, false))
	b, err := wrapper.NewRateBudget(40)
	require.NoError(t, err)
	c, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()), checkedHTTP(t), wrapper.WithoutRetries(),
		wrapper.WithRateBudget(b))
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for i := range 30 {
		wg.Go(func() {
			_, err := c.Create(context.Background(), wrapper.NewOpportunity("cus_f466e33d-ff2b-4a11-8f85-417eb02157a7",
				"a@example.org", "P", "S", "2024-04-21", "USD", int64(i)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 30, srv.Applied(chartmogultest.OpCreate))
	require.Positive(t, b.RateLimited())
	require.Less(t, b.Rate(), 40.0, "it slowed down")
}

// A before-send hook runs once the request is about to leave; its error
// keeps the request from being sent, and says it was not applied.
func TestWithBeforeSend(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()), checkedHTTP(t))
	require.NoError(t, err)
	calls := 0
	ctx := wrapper.WithBeforeSend(context.Background(), func() error { calls++; return nil })
	_, err = c.List(ctx, wrapper.ListParams{})
	require.NoError(t, err)
	require.Equal(t, 1, calls)

	stop := errors.New("stopping")
	ctx = wrapper.WithBeforeSend(context.Background(), func() error { return stop })
	_, err = c.Create(ctx, wrapper.NewOpportunity("cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", "a@example.org", "P", "S", "2024-04-21", "USD", 1))
	require.ErrorIs(t, err, stop)
	require.False(t, wrapper.MayHaveBeenApplied(err))
	require.Zero(t, srv.Requests(chartmogultest.OpCreate))

	// A budget wait cut short by the context is not sent either.
	b, err := wrapper.NewRateBudget(0.5)
	require.NoError(t, err)
	c, err = wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()), wrapper.WithRateBudget(b))
	require.NoError(t, err)
	_, err = c.List(context.Background(), wrapper.ListParams{}) // takes the first slot
	require.NoError(t, err)
	tctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = c.List(tctx, wrapper.ListParams{})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.False(t, wrapper.MayHaveBeenApplied(err))
}

func TestEncodeOpportunityInputRoundTrips(t *testing.T) {
	in := wrapper.NewOpportunity("cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", "a@example.org", "P", "S", "2024-04-21", "USD", 1).
		WithWinLikelihood(0).WithCustom(map[string]any{"seats": int64(3), "b": "x"})
	body, err := wrapper.EncodeOpportunityInput(in)
	require.NoError(t, err)
	require.JSONEq(t, `{"customer_uuid":"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7","owner":"a@example.org","pipeline":"P",
		"pipeline_stage":"S","estimated_close_date":"2024-04-21","currency":"USD","amount_in_cents":1,"win_likelihood":0,
		"custom":[{"key":"b","value":"x"},{"key":"seats","value":3}]}`, string(body))
	back, problems, err := wrapper.DecodeOpportunityInput(body)
	require.NoError(t, err)
	require.Empty(t, problems)
	require.Equal(t, in, back)
	_, err = wrapper.EncodeOpportunityInput(wrapper.OpportunityInput{})
	require.True(t, wrapper.IsValidation(err))
}
