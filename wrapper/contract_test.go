package wrapper_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

// Contract tests: the wrapper against the spec-enforcing fake, with every
// exchange also checked by the validating transport on the client side.

func fakeClient(t *testing.T, srv *chartmogultest.Server, key string) *wrapper.Client {
	t.Helper()
	c, err := wrapper.NewClient(key, wrapper.WithBaseURL(srv.URL()), fastRetries,
		wrapper.WithHTTPClient(&http.Client{Transport: chartmogultest.NewValidatingTransport(t, nil)}))
	require.NoError(t, err)
	return c
}

func TestContractLifecycle(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := fakeClient(t, srv, srv.APIKey())
	ctx := context.Background()

	created, err := c.Create(ctx, seedInput())
	require.NoError(t, err)
	require.Regexp(t, `^[0-9a-f-]{36}$`, created.UUID)
	require.Equal(t, map[string]any{"seats": int64(3), "marketing_campaign": "Facebook"}, created.Custom)
	require.Equal(t, ptr(40), created.WinLikelihood)
	require.False(t, created.CreatedAt.IsZero())

	// Omitted optional fields come back unset, not as zero values.
	bare, err := c.Create(ctx, wrapper.NewOpportunity("cus_bb167600-e74e-11ee-93bd-8f1e5b698784",
		"kamil+pavlicko@chartmogul.com", "Renewals", "Discovery", "2023-12-22", "EUR", 1<<40))
	require.NoError(t, err)
	require.Nil(t, bare.WinLikelihood)
	require.Empty(t, bare.Type)
	require.Equal(t, int64(1<<40), bare.AmountInCents)
	require.Empty(t, bare.Custom)

	updated, err := c.Update(ctx, created.UUID, wrapper.NewUpdate().SetWinLikelihood(0).SetPipelineStage("Won").
		SetForecastCategory(wrapper.ForecastWon).SetCustom(map[string]any{"discount": 12.5}))
	require.NoError(t, err)
	require.Equal(t, ptr(0), updated.WinLikelihood)
	require.Equal(t, "Won", updated.PipelineStage)
	require.Equal(t, 12.5, updated.Custom["discount"])
	require.Equal(t, created.Owner, updated.Owner, "fields not sent are left alone")

	got, err := c.Get(ctx, created.UUID)
	require.NoError(t, err)
	require.Equal(t, updated, got)

	page, err := c.List(ctx, wrapper.ListParams{CustomerUUID: created.CustomerUUID})
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	require.Equal(t, updated, page.Entries[0])
	require.False(t, page.HasMore)

	require.NoError(t, c.Delete(ctx, created.UUID))
	_, err = c.Get(ctx, created.UUID)
	require.True(t, wrapper.IsNotFound(err), "got %v", err)
	require.True(t, wrapper.IsNotFound(c.Delete(ctx, created.UUID)))

	require.Equal(t, 2, srv.Applied(chartmogultest.OpCreate))
	require.Equal(t, 2, srv.Requests(chartmogultest.OpCreate))
	require.Equal(t, 1, srv.Applied(chartmogultest.OpUpdate))
	require.Equal(t, 1, srv.Applied(chartmogultest.OpDelete))
}

func TestContractPagingWalksEveryPageOnce(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := fakeClient(t, srv, srv.APIKey())
	ctx := context.Background()
	const total = 23
	for i := range total {
		pipeline := "New Business"
		if i%2 == 1 {
			pipeline = "Renewals"
		}
		_, err := c.Create(ctx, wrapper.NewOpportunity("cus_bb167600-e74e-11ee-93bd-8f1e5b698784",
			"a@example.org", pipeline, "Discovery", fmt.Sprintf("2024-01-%02d", i+1), "USD", int64(i)))
		require.NoError(t, err)
	}

	var amounts []int64
	for o, err := range c.All(ctx, wrapper.ListParams{PerPage: 5}) {
		require.NoError(t, err)
		amounts = append(amounts, o.AmountInCents)
	}
	require.Len(t, amounts, total)
	for i, a := range amounts {
		require.Equal(t, int64(total-1-i), a, "newest first")
	}
	require.Equal(t, 5, srv.Requests(chartmogultest.OpList))

	// Filters are resent with every cursor.
	n := 0
	for o, err := range c.All(ctx, wrapper.ListParams{Pipeline: "Renewals", PerPage: 3,
		EstimatedCloseDateOnOrAfter: "2024-01-05", EstimatedCloseDateOnOrBefore: "2024-01-20"}) {
		require.NoError(t, err)
		require.Equal(t, "Renewals", o.Pipeline)
		require.GreaterOrEqual(t, o.EstimatedCloseDate, "2024-01-05")
		require.LessOrEqual(t, o.EstimatedCloseDate, "2024-01-20")
		n++
	}
	require.Equal(t, 8, n) // days 6, 8, ..., 20
}

func TestContractWrongKeyIsUnauthorized(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := fakeClient(t, srv, "not-the-key")
	_, err := c.Create(context.Background(), seedInput())
	require.True(t, wrapper.IsUnauthorized(err), "got %v", err)
	require.NotContains(t, err.Error(), "not-the-key")
	require.Equal(t, 0, srv.Applied(chartmogultest.OpCreate))
}

func TestContractRateLimitAndFaultsAreTypedErrors(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := fakeClient(t, srv, srv.APIKey())
	ctx := context.Background()

	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 429, Times: 4, Body: `{"error":"Too Many Requests"}`})
	_, err := c.Create(ctx, seedInput())
	require.True(t, wrapper.IsRateLimited(err), "got %v", err)
	require.Equal(t, 0, srv.Applied(chartmogultest.OpCreate))
	require.Equal(t, 4, srv.Requests(chartmogultest.OpCreate))
	require.ErrorContains(t, err, "after 4 attempts")

	srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: 403, Body: `{"error":"Forbidden"}`})
	_, err = c.Get(ctx, recordedUUID)
	require.True(t, wrapper.IsForbidden(err), "got %v", err)

	srv.Inject(chartmogultest.OpUpdate, chartmogultest.Fault{Status: 422,
		Body: `{"errors":{"pipeline_stage":"does not exist in the pipeline"}}`})
	_, err = c.Update(ctx, recordedUUID, wrapper.NewUpdate().SetPipelineStage("Nowhere"))
	var apiErr *wrapper.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, map[string][]string{"pipeline_stage": {"does not exist in the pipeline"}}, apiErr.Fields)
}

// mySignupFlow stands for the user's code in the README's example.
func mySignupFlow(client *wrapper.Client) error {
	_, err := client.Create(context.Background(), seedInput())
	return err
}

// TestReadmeFakeExample is the README's "Testing your code against the fake"
// example, verbatim, so the README cannot drift from what works.
func TestReadmeFakeExample(t *testing.T) {
	srv := chartmogultest.NewServer(t) // 127.0.0.1, closed when the test ends
	client, err := wrapper.NewClient(srv.APIKey(), wrapper.WithBaseURL(srv.URL()))
	require.NoError(t, err)

	// Script a failure: the next create answers 500. Creates are not retried
	// after a 500 (it may have been applied), so your code sees the error.
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 500})

	err = mySignupFlow(client) // your code
	require.Error(t, err)
	require.Equal(t, 1, srv.Requests(chartmogultest.OpCreate)) // sent once
	require.Equal(t, 0, srv.Applied(chartmogultest.OpCreate))  // nothing was created
}
