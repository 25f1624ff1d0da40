package chartmogultest_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/generated"
)

func TestDocumentationSeedConformsAndIsFresh(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t, chartmogultest.WithSeed(chartmogultest.DocumentationSeed()...))
	// Responses are validated against openapi.yaml: a 200 means the seed
	// conforms.
	r := call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var page struct {
		Entries []struct {
			UUID         string `json:"uuid"`
			CustomerUUID string `json:"customer_uuid"`
		} `json:"entries"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &page))
	require.Len(t, page.Entries, 2)
	require.Equal(t, chartmogultest.DocRecordedUUID, page.Entries[0].UUID, "the recorded one is the newer")
	require.Equal(t, chartmogultest.DocRecordedCustomerUUID, page.Entries[0].CustomerUUID)
	require.Equal(t, chartmogultest.DocCreateExampleUUID, page.Entries[1].UUID)
	require.Equal(t, chartmogultest.DocCreateExampleCustomerUUID, page.Entries[1].CustomerUUID)

	a := chartmogultest.DocumentationSeed()
	*a[0].WinLikelihood = 99
	a[0].Custom["seats"] = json.RawMessage(`4`)
	b := chartmogultest.DocumentationSeed()
	require.Equal(t, 40, *b[0].WinLikelihood)
	require.JSONEq(t, `3`, string(b[0].Custom["seats"]))
}

func TestResetRestoresTheSeed(t *testing.T) {
	t.Parallel()
	start := time.Date(2024, 3, 21, 6, 46, 23, 137e6, time.UTC)
	seed := chartmogultest.DocumentationSeed()
	// One without a UUID or timestamps: Reset brings back the UUID and
	// times it was given at the start, not new ones.
	seed = append(seed, generated.Opportunity{CustomerUUID: chartmogultest.DocCreateExampleCustomerUUID, Owner: "b@example.org",
		Pipeline: "New Business", PipelineStage: "Discovery", EstimatedCloseDate: "2024-05-01", Currency: "EUR", AmountInCents: 5})
	opt := chartmogultest.WithSeed(seed...)
	seed[0].Owner = "changed-after@example.org" // WithSeed keeps its own copy
	srv := chartmogultest.NewServer(t, opt, chartmogultest.WithAdmin(""),
		chartmogultest.WithClock(fixedClock(start, time.Second)))
	initial := srv.Opportunities()
	require.Len(t, initial, 3)
	require.NotEmpty(t, initial[0].UUID)
	require.Equal(t, start, initial[0].CreatedAt)
	require.Equal(t, "test1@example.org", initial[2].Owner)

	create(t, srv, nil)
	r := call(t, srv, request{Method: http.MethodDelete, Path: "/opportunities/" + chartmogultest.DocRecordedUUID})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r = call(t, srv, request{Method: http.MethodPatch, Path: "/opportunities/" + chartmogultest.DocCreateExampleUUID, Body: `{"amount_in_cents":1}`})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	srv.Seed(generated.Opportunity{CustomerUUID: chartmogultest.DocCreateExampleCustomerUUID, Owner: "c@example.org",
		Pipeline: "P", PipelineStage: "S", EstimatedCloseDate: "2024-05-01", Currency: "EUR"})

	srv.Reset()
	require.Equal(t, initial, srv.Opportunities(), "Reset: the seed as first stored, nothing else")
	require.Zero(t, srv.Applied(chartmogultest.OpCreate))

	create(t, srv, nil)
	code, _ := admin(t, srv, http.MethodPost, "/_fake/reset", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, initial, srv.Opportunities(), "the admin reset too")
}

func TestResetWithoutSeedEmptiesTheStore(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	srv.Seed(chartmogultest.DocumentationSeed()...)
	create(t, srv, nil)
	srv.Reset()
	require.Empty(t, srv.Opportunities(), "Seed is not WithSeed: nothing comes back")
}
