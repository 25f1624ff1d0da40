package chartmogultest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/generated"
)

func opp(customer, owner, pipeline, stage, closeDate string, created time.Time) generated.Opportunity {
	d, err := time.Parse(time.DateOnly, closeDate)
	if err != nil {
		panic(err)
	}
	return generated.Opportunity{
		CustomerUUID: customer, Owner: owner, Pipeline: pipeline, PipelineStage: stage,
		EstimatedCloseDate: d.Format("2006-01-02"), Currency: "USD", AmountInCents: 100, CreatedAt: created,
	}
}

// list reads one page and returns the UUIDs, the cursor and has_more.
func list(t *testing.T, srv *chartmogultest.Server, query url.Values) ([]string, string, bool) {
	t.Helper()
	r := call(t, srv, request{Method: http.MethodGet, Path: "/opportunities?" + query.Encode()})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	page := r.JSON(t)
	require.NotNil(t, page["entries"], "entries is [] rather than null")
	var ids []string
	for _, e := range page["entries"].([]any) {
		ids = append(ids, e.(map[string]any)["uuid"].(string))
	}
	cursor, _ := page["cursor"].(string)
	return ids, cursor, page["has_more"].(bool)
}

func TestListFilters(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	const c1, c2 = "cus_11111111-1111-1111-1111-111111111111", "cus_22222222-2222-2222-2222-222222222222"
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	s := srv.Seed(
		opp(c1, "a@example.org", "New Business", "Discovery", "2024-03-01", base),
		opp(c1, "b@example.org", "New Business", "Won", "2024-03-15", base.Add(time.Hour)),
		opp(c2, "a@example.org", "Expansion", "Discovery", "2024-03-31", base.Add(2*time.Hour)),
		opp(c2, "b@example.org", "Expansion", "Won", "2024-04-01", base.Add(3*time.Hour)),
	)
	ids := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, s[i].UUID)
		}
		return out
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", ids(3, 2, 1, 0)},
		{"customer_uuid=" + c1, ids(1, 0)},
		{"owner=a@example.org", ids(2, 0)},
		{"pipeline=Expansion", ids(3, 2)},
		{"pipeline_stage=Won", ids(3, 1)},
		{"estimated_close_date_on_or_after=2024-03-15", ids(3, 2, 1)},
		{"estimated_close_date_on_or_before=2024-03-15", ids(1, 0)},
		{"estimated_close_date_on_or_after=2024-03-15&estimated_close_date_on_or_before=2024-03-31", ids(2, 1)},
		{"estimated_close_date_on_or_after=2024-03-16&estimated_close_date_on_or_before=2024-03-30", nil},
		{"customer_uuid=" + c2 + "&owner=b@example.org&pipeline=Expansion&pipeline_stage=Won", ids(3)},
		{"pipeline=Nothing", nil},
	} {
		q, err := url.ParseQuery(c.query)
		require.NoError(t, err)
		got, _, more := list(t, srv, q)
		require.Equal(t, c.want, got, c.query)
		require.False(t, more, c.query)
	}

	// The generated client encodes the same filters.
	client, err := generated.NewClientWithResponses(srv.URL(), generated.WithRequestEditorFn(
		func(_ context.Context, req *http.Request) error { req.SetBasicAuth(srv.APIKey(), ""); return nil }))
	require.NoError(t, err)
	after := time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
	owner := "a@example.org"
	resp, err := client.ListOpportunitiesWithResponse(context.Background(), &generated.ListOpportunitiesParams{
		EstimatedCloseDateOnOrAfter: &after, Owner: &owner})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode(), "%s", resp.Body)
	require.Len(t, resp.JSON200.Entries, 1)
	require.Equal(t, s[2].UUID, resp.JSON200.Entries[0].UUID)
}

func TestListPagesNewestFirst(t *testing.T) {
	// Every opportunity is created at the same instant: insertion order decides.
	frozen := time.Date(2024, 3, 21, 6, 46, 23, 137e6, time.UTC)
	srv := chartmogultest.NewServer(t, chartmogultest.WithClock(func() time.Time { return frozen }))
	var created []string
	for i := 0; i < 23; i++ {
		created = append(created, create(t, srv, map[string]any{"amount_in_cents": i})["uuid"].(string))
	}
	var want []string
	for i := len(created) - 1; i >= 0; i-- {
		want = append(want, created[i])
	}

	var got []string
	q := url.Values{"per_page": {"5"}}
	pages := 0
	for ; pages < 10; pages++ { // bounded: 5 pages expected
		ids, cursor, more := list(t, srv, q)
		require.NotEmpty(t, cursor, "a cursor comes back on every page, even the last")
		got = append(got, ids...)
		if !more {
			require.Len(t, ids, 3)
			break
		}
		require.Len(t, ids, 5)
		q.Set("cursor", cursor)
	}
	require.Equal(t, 4, pages, "5 pages were read (pages counts from 0)")
	require.Equal(t, want, got)

	var snapshot []string
	for _, o := range srv.Opportunities() {
		snapshot = append(snapshot, o.UUID)
	}
	require.Equal(t, want, snapshot)
	require.Equal(t, 5, srv.Applied(chartmogultest.OpList))
}

func TestListOrderByCreatedAt(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	s := srv.Seed(
		opp("cus_11111111-1111-1111-1111-111111111111", "a@example.org", "P", "S", "2024-01-01", t0.Add(time.Hour)),
		opp("cus_11111111-1111-1111-1111-111111111111", "a@example.org", "P", "S", "2024-01-01", t0.Add(3*time.Hour)),
		opp("cus_11111111-1111-1111-1111-111111111111", "a@example.org", "P", "S", "2024-01-01", t0),
		opp("cus_11111111-1111-1111-1111-111111111111", "a@example.org", "P", "S", "2024-01-01", t0.Add(time.Hour)),
	)
	got, _, _ := list(t, srv, nil)
	require.Equal(t, []string{s[1].UUID, s[3].UUID, s[0].UUID, s[2].UUID}, got)
}

func TestListPagingSurvivesChanges(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithClock(fixedClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Second)))
	for i := 0; i < 6; i++ {
		create(t, srv, nil)
	}
	all := srv.Opportunities()
	first, cursor, more := list(t, srv, url.Values{"per_page": {"3"}})
	require.True(t, more)
	// A newer opportunity and the deletion of the page's last entry do not
	// disturb the next page.
	create(t, srv, nil)
	require.Equal(t, http.StatusOK, call(t, srv, request{Method: http.MethodDelete, Path: "/opportunities/" + first[2]}).Status)
	second, _, more := list(t, srv, url.Values{"per_page": {"3"}, "cursor": {cursor}})
	require.False(t, more)
	require.Equal(t, []string{all[3].UUID, all[4].UUID, all[5].UUID}, second)
}

func TestListDefaultsAndEmpty(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	r := call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"})
	require.Equal(t, http.StatusOK, r.Status)
	require.JSONEq(t, `{"entries":[],"cursor":"","has_more":false}`, string(r.Body))

	batch := make([]generated.Opportunity, 205)
	for i := range batch {
		batch[i] = opp("cus_11111111-1111-1111-1111-111111111111", "a@example.org", "P", "S", "2024-01-01", time.Time{})
		batch[i].Pipeline = fmt.Sprint("P", i)
	}
	srv.Seed(batch...)
	ids, cursor, more := list(t, srv, nil)
	require.Len(t, ids, 200, "per_page defaults to 200")
	require.True(t, more)
	ids, _, more = list(t, srv, url.Values{"cursor": {cursor}, "per_page": {"200"}})
	require.Len(t, ids, 5)
	require.False(t, more)
}
