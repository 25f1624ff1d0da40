package chartmogultest_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/generated"
)

func validatingClient(t testing.TB) (*http.Client, *recordingTB) {
	rec := &recordingTB{TB: t}
	return &http.Client{Transport: chartmogultest.NewValidatingTransport(rec, nil), Timeout: testClient.Timeout}, rec
}

func TestValidatingTransportPassesValidExchanges(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithBasePath("/api/v1"))
	hc, rec := validatingClient(t)
	client, err := generated.NewClientWithResponses(srv.URL(), generated.WithHTTPClient(hc),
		generated.WithRequestEditorFn(func(_ context.Context, r *http.Request) error { r.SetBasicAuth(srv.APIKey(), ""); return nil }))
	require.NoError(t, err)
	ctx := context.Background()

	var body generated.CreateOpportunity
	body.EstimatedCloseDate = "2024-04-21"
	body.CustomerUUID, body.Owner, body.Pipeline, body.PipelineStage = "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", "test1@example.org", "New Business", "Discovery"
	body.Currency, body.AmountInCents = "USD", 100000
	var seats generated.CustomValue
	require.NoError(t, seats.FromCustomValue1(3))
	body.Custom = []generated.CustomAttribute{{Key: "seats", Value: seats}}
	created, err := client.CreateOpportunityWithResponse(ctx, body)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.StatusCode(), "%s", created.Body)
	require.NotNil(t, created.JSON201, "the response body was restored for the caller")
	id := created.JSON201.UUID
	require.Len(t, srv.Opportunities(), 1, "the request body reached the server")

	got, err := client.RetrieveOpportunityWithResponse(ctx, id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode())
	wl := 0
	upd, err := client.UpdateOpportunityWithResponse(ctx, id, generated.UpdateOpportunity{WinLikelihood: &wl})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, upd.StatusCode(), "%s", upd.Body)
	list, err := client.ListOpportunitiesWithResponse(ctx, &generated.ListOpportunitiesParams{})
	require.NoError(t, err)
	require.Len(t, list.JSON200.Entries, 1)
	del, err := client.DeleteOpportunityWithResponse(ctx, id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, del.StatusCode())
	missing, err := client.RetrieveOpportunityWithResponse(ctx, id)
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, missing.StatusCode())

	// Errors and faults in the shapes the contract declares are not violations.
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Status: http.StatusBadGateway,
		Body: "<html><body><h1>502 Bad Gateway</h1></body></html>", Header: http.Header{"Content-Type": {"text/html"}}})
	bad, err := client.ListOpportunitiesWithResponse(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusBadGateway, bad.StatusCode())
	wrongKey, err := client.ListOpportunitiesWithResponse(ctx, nil, func(_ context.Context, r *http.Request) error {
		r.SetBasicAuth("wrong", "")
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, wrongKey.StatusCode())

	require.Empty(t, rec.Errors())
}

func TestValidatingTransportReportsViolations(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	id := srv.Seed(generated.Opportunity{CustomerUUID: "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", Owner: "a@example.org",
		Pipeline: "P", PipelineStage: "S", Currency: "USD"})[0].UUID

	cases := []struct {
		name  string
		setup func()
		rq    request
		want  []string
	}{
		{"request body", nil,
			request{Method: http.MethodPost, Path: "/opportunities", Body: createBody(map[string]any{"win_likelihood": 101})},
			[]string{"POST", "request violates openapi.yaml", "createOpportunity", "win_likelihood"}},
		{"query parameter", nil,
			request{Method: http.MethodGet, Path: "/opportunities?per_page=0"},
			[]string{"request violates openapi.yaml", "per_page"}},
		{"no auth", nil,
			request{Method: http.MethodGet, Path: "/opportunities", NoAuth: true},
			[]string{"request violates openapi.yaml", "basic auth"}},
		{"unknown path", nil,
			request{Method: http.MethodGet, Path: "/customers"},
			[]string{"no /opportunities segment"}},
		{"unknown method", nil,
			request{Method: http.MethodPut, Path: "/opportunities"},
			[]string{"no operation of openapi.yaml matches PUT /opportunities"}},
		{"response body", func() {
			srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: http.StatusOK, Body: `{"uuid":"` + id + `"}`})
		}, request{Method: http.MethodGet, Path: "/opportunities/" + id},
			[]string{"the 200 response violates openapi.yaml", "retrieveOpportunity", "customer_uuid"}},
		{"response content type", func() {
			srv.Inject(chartmogultest.OpDelete, chartmogultest.Fault{Status: http.StatusNotFound, Body: "gone"})
		}, request{Method: http.MethodDelete, Path: "/opportunities/" + id},
			[]string{"the 404 response violates openapi.yaml", "text/plain"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hc, rec := validatingClient(t)
			if c.setup != nil {
				c.setup()
			}
			c.rq.Client = hc
			r := call(t, srv, c.rq)
			require.NotZero(t, r.Status)
			errs := rec.Errors()
			require.Len(t, errs, 1, "%q", errs)
			t.Log(errs[0])
			for _, w := range c.want {
				require.Contains(t, errs[0], w)
			}
		})
	}
}

func TestValidatingTransportKeepsBodiesAndErrors(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	hc, rec := validatingClient(t)

	// The request body is sent whole, even when the transport reads it.
	r := call(t, srv, request{Method: http.MethodPost, Path: "/opportunities", Body: createBody(nil), Client: hc})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)

	// A truncated response reaches the caller as the read error it is.
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{TruncateBody: true})
	req, err := http.NewRequest(http.MethodGet, srv.URL()+"/opportunities", nil)
	require.NoError(t, err)
	req.SetBasicAuth(srv.APIKey(), "")
	resp, err := hc.Do(req)
	require.NoError(t, err)
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.True(t, strings.HasPrefix(string(data), `{"entries":[`), "%s", data)

	// A transport error is returned as is.
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{DropConnection: true})
	_, err = try(srv, request{Method: http.MethodPost, Path: "/opportunities", Body: createBody(nil), Client: hc})
	require.Error(t, err)

	require.Empty(t, rec.Errors())
}
