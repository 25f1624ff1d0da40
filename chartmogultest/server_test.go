package chartmogultest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/generated"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// The recorded create request of API.md, with a decimal and a large amount.
const recordedCreate = `{"amount_in_cents":4294967296000,"currency":"USD",
 "custom":[{"key":"from_campaign","value":true},{"key":"discount","value":12.50},{"key":"seats","value":3},{"key":"source","value":"Facebook"}],
 "customer_uuid":"cus_bb167600-e74e-11ee-93bd-8f1e5b698784","estimated_close_date":"2023-12-22",
 "forecast_category":"best_case","owner":"kamil+pavlicko@chartmogul.com","pipeline":"New Business",
 "pipeline_stage":"Discovery","type":"recurring","win_likelihood":3}`

func TestEveryOperationHappyPath(t *testing.T) {
	start := time.Date(2024, 3, 21, 6, 46, 23, 137_654_321, time.UTC)
	srv := chartmogultest.NewServer(t, chartmogultest.WithClock(fixedClock(start, time.Minute)))
	require.True(t, strings.HasSuffix(srv.URL(), "/v1"), srv.URL())
	require.True(t, strings.HasPrefix(srv.URL(), "http://127.0.0.1:"), srv.URL())

	// create
	r := call(t, srv, request{Method: http.MethodPost, Path: "/opportunities", Body: recordedCreate})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.Body, &raw))
	id := strings.Trim(string(raw["uuid"]), `"`)
	require.Regexp(t, uuidPattern, id)
	require.JSONEq(t, `"2024-03-21T06:46:23.137Z"`, string(raw["created_at"]))
	require.JSONEq(t, `"2024-03-21T06:46:23.137Z"`, string(raw["updated_at"]))
	require.Equal(t, "4294967296000", string(raw["amount_in_cents"]))
	require.JSONEq(t, `{"from_campaign":true,"discount":12.50,"seats":3,"source":"Facebook"}`, string(raw["custom"]))
	require.Contains(t, string(raw["custom"]), `"discount":12.50`, "custom numbers keep their digits")
	for k, want := range map[string]string{
		"customer_uuid": `"cus_bb167600-e74e-11ee-93bd-8f1e5b698784"`, "owner": `"kamil+pavlicko@chartmogul.com"`,
		"pipeline": `"New Business"`, "pipeline_stage": `"Discovery"`, "estimated_close_date": `"2023-12-22"`,
		"currency": `"USD"`, "type": `"recurring"`, "forecast_category": `"best_case"`, "win_likelihood": `3`,
	} {
		require.JSONEq(t, want, string(raw[k]), k)
	}

	// retrieve, with the generated client
	client, err := generated.NewClientWithResponses(srv.URL(), generated.WithRequestEditorFn(
		func(_ context.Context, req *http.Request) error { req.SetBasicAuth(srv.APIKey(), ""); return nil }))
	require.NoError(t, err)
	got, err := client.RetrieveOpportunityWithResponse(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode(), "%s", got.Body)
	require.JSONEq(t, string(r.Body), string(got.Body))
	require.Equal(t, int64(4294967296000), got.JSON200.AmountInCents)

	// update: present fields change, the rest stays, custom merges
	upd := call(t, srv, request{Method: http.MethodPatch, Path: "/opportunities/" + id, Body: `{
		"pipeline_stage":"Lost","forecast_category":"lost","win_likelihood":0,
		"custom":[{"key":"seats","value":5},{"key":"new_key","value":"x"}]}`})
	require.Equal(t, http.StatusOK, upd.Status, "%s", upd.Body)
	u := upd.JSON(t)
	require.Equal(t, id, u["uuid"])
	require.Equal(t, "Lost", u["pipeline_stage"])
	require.Equal(t, "lost", u["forecast_category"])
	require.EqualValues(t, 0, u["win_likelihood"])
	require.Equal(t, "New Business", u["pipeline"])
	require.Equal(t, "recurring", u["type"])
	require.Equal(t, "2024-03-21T06:46:23.137Z", u["created_at"])
	require.Equal(t, "2024-03-21T06:47:23.137Z", u["updated_at"])
	require.Equal(t, map[string]any{"from_campaign": true, "discount": 12.5, "seats": 5.0, "source": "Facebook", "new_key": "x"}, u["custom"])

	// list
	l := call(t, srv, request{Method: http.MethodGet, Path: "/opportunities"})
	require.Equal(t, http.StatusOK, l.Status, "%s", l.Body)
	page := l.JSON(t)
	require.Len(t, page["entries"], 1)
	require.Equal(t, u, page["entries"].([]any)[0])
	require.Equal(t, false, page["has_more"])
	require.NotEmpty(t, page["cursor"])

	// delete, then every call on it is 404
	d := call(t, srv, request{Method: http.MethodDelete, Path: "/opportunities/" + id})
	require.Equal(t, http.StatusOK, d.Status)
	require.JSONEq(t, `{}`, string(d.Body))
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		nf := call(t, srv, request{Method: m, Path: "/opportunities/" + id})
		require.Equal(t, http.StatusNotFound, nf.Status, m)
		require.JSONEq(t, `{"error":"Opportunity not found"}`, string(nf.Body), m)
	}
	nf := call(t, srv, request{Method: http.MethodPatch, Path: "/opportunities/" + id, Body: `{"win_likelihood":1}`})
	require.Equal(t, http.StatusNotFound, nf.Status)
	require.Empty(t, srv.Opportunities())

	for op, n := range map[chartmogultest.Operation]int{
		chartmogultest.OpCreate: 1, chartmogultest.OpRetrieve: 1, chartmogultest.OpUpdate: 1,
		chartmogultest.OpList: 1, chartmogultest.OpDelete: 1,
	} {
		require.Equal(t, n, srv.Applied(op), op)
	}
	require.Equal(t, 2, srv.Requests(chartmogultest.OpRetrieve))
	require.Equal(t, 2, srv.Requests(chartmogultest.OpDelete))
	require.Equal(t, 2, srv.Requests(chartmogultest.OpUpdate))
}

func TestCreateWithoutOptionalFields(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	o := create(t, srv, nil)
	for _, k := range []string{"type", "forecast_category", "win_likelihood"} {
		v, present := o[k]
		require.True(t, present, k)
		require.Nil(t, v, k)
	}
	require.Equal(t, map[string]any{}, o["custom"])
	stored := srv.Opportunities()
	require.Len(t, stored, 1)
	require.Nil(t, stored[0].WinLikelihood)
	require.Empty(t, stored[0].Type)
	require.Equal(t, o["uuid"], stored[0].UUID)
}

func TestUpdateAlwaysMovesUpdatedAt(t *testing.T) {
	frozen := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := chartmogultest.NewServer(t, chartmogultest.WithClock(func() time.Time { return frozen }))
	o := create(t, srv, nil)
	require.Equal(t, "2024-01-02T03:04:05.000Z", o["created_at"], "milliseconds are always written")
	for _, want := range []string{"2024-01-02T03:04:05.001Z", "2024-01-02T03:04:05.002Z"} {
		r := call(t, srv, request{Method: http.MethodPatch, Path: "/opportunities/" + o["uuid"].(string), Body: `{"custom":[]}`})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		require.Equal(t, want, r.JSON(t)["updated_at"])
		require.Equal(t, map[string]any{}, r.JSON(t)["custom"])
	}
}

func TestUpdateIgnoresCustomerUUID(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	o := create(t, srv, nil)
	r := call(t, srv, request{Method: http.MethodPatch, Path: "/opportunities/" + o["uuid"].(string),
		Body: `{"customer_uuid":"cus_00000000-0000-0000-0000-000000000000","amount_in_cents":5}`})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, o["customer_uuid"], r.JSON(t)["customer_uuid"])
	require.EqualValues(t, 5, r.JSON(t)["amount_in_cents"])
}

func TestAuthentication(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithAPIKey("secret"))
	require.Equal(t, "secret", srv.APIKey())
	const unauthorized = `{"code":401,"message":"No valid API key provided"}`
	for name, rq := range map[string]request{
		"no auth":           {Method: http.MethodGet, Path: "/opportunities", NoAuth: true},
		"wrong key":         {Method: http.MethodGet, Path: "/opportunities", Key: chartmogultest.DefaultAPIKey},
		"401 wins over 400": {Method: http.MethodPost, Path: "/opportunities", Body: `{"win_likelihood":101}`, Key: "nope"},
		"401 wins over 404": {Method: http.MethodGet, Path: "/nowhere", NoAuth: true},
	} {
		r := call(t, srv, rq)
		require.Equal(t, http.StatusUnauthorized, r.Status, name)
		require.JSONEq(t, unauthorized, string(r.Body), name)
		require.Equal(t, "application/json", r.Header.Get("Content-Type"), name)
	}
	require.Equal(t, 2, srv.Requests(chartmogultest.OpList))
	require.Equal(t, 1, srv.Requests(chartmogultest.OpCreate))
	require.Zero(t, srv.Applied(chartmogultest.OpList))

	// Any password is accepted with the right key.
	req, err := http.NewRequest(http.MethodGet, srv.URL()+"/opportunities", nil)
	require.NoError(t, err)
	req.SetBasicAuth("secret", "whatever")
	resp, err := testClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestBadRequests(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	existing := create(t, srv, nil)["uuid"].(string)
	cases := []struct {
		name      string
		rq        request
		wantParam string
	}{
		{"win_likelihood above 100", request{Method: "POST", Body: createBody(map[string]any{"win_likelihood": 101})}, "win_likelihood"},
		{"win_likelihood below 0", request{Method: "POST", Body: createBody(map[string]any{"win_likelihood": -1})}, "win_likelihood"},
		{"custom value an object", request{Method: "POST", Body: createBody(map[string]any{"custom": []any{map[string]any{"key": "a", "value": map[string]any{"x": 1}}}})}, "custom[0][value]"},
		{"custom value null", request{Method: "POST", Body: createBody(map[string]any{"custom": []any{map[string]any{"key": "a", "value": 1}, map[string]any{"key": "b", "value": nil}}})}, "custom[1][value]"},
		{"custom value missing", request{Method: "POST", Body: createBody(map[string]any{"custom": []any{map[string]any{"key": "a"}}})}, "custom[0][value]"},
		{"custom an object", request{Method: "POST", Body: createBody(map[string]any{"custom": map[string]any{"a": 1}})}, "custom"},
		{"missing owner", request{Method: "POST", Body: createBody(map[string]any{"owner": nil})}, "owner"},
		{"bad owner", request{Method: "POST", Body: createBody(map[string]any{"owner": "not an address"})}, "owner"},
		{"lower-case currency", request{Method: "POST", Body: createBody(map[string]any{"currency": "usd"})}, "currency"},
		{"customer without prefix", request{Method: "POST", Body: createBody(map[string]any{"customer_uuid": "f466e33d-ff2b-4a11-8f85-417eb02157a7"})}, "customer_uuid"},
		{"timestamp as close date", request{Method: "POST", Body: createBody(map[string]any{"estimated_close_date": "2024-04-21T00:00:00Z"})}, "estimated_close_date"},
		{"unknown type", request{Method: "POST", Body: createBody(map[string]any{"type": "arr"})}, "type"},
		{"fractional amount", request{Method: "POST", Body: createBody(map[string]any{"amount_in_cents": 1.5})}, "amount_in_cents"},
		{"missing body", request{Method: "POST"}, ""},
		{"malformed JSON", request{Method: "POST", Body: `{"owner":`}, ""},
		{"update win_likelihood 101", request{Method: "PATCH", Path: "/" + existing, Body: `{"win_likelihood":101}`}, "win_likelihood"},
		{"update null win_likelihood", request{Method: "PATCH", Path: "/" + existing, Body: `{"win_likelihood":null}`}, "win_likelihood"},
		{"bad path uuid on retrieve", request{Method: "GET", Path: "/not-a-uuid"}, "uuid"},
		{"bad path uuid on update", request{Method: "PATCH", Path: "/cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", Body: `{"win_likelihood":1}`}, "uuid"},
		{"bad path uuid on delete", request{Method: "DELETE", Path: "/123"}, "uuid"},
		{"per_page 0", request{Method: "GET", Path: "?per_page=0"}, "per_page"},
		{"per_page not a number", request{Method: "GET", Path: "?per_page=ten"}, "per_page"},
		{"bad owner filter", request{Method: "GET", Path: "?owner=nobody"}, "owner"},
		{"bad customer filter", request{Method: "GET", Path: "?customer_uuid=123"}, "customer_uuid"},
		{"bad date filter", request{Method: "GET", Path: "?estimated_close_date_on_or_before=2024-02-30"}, "estimated_close_date_on_or_before"},
		{"cursor not made by the fake", request{Method: "GET", Path: "?cursor=bm9wZQ"}, "cursor"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.rq.Path = "/opportunities" + c.rq.Path
			r := call(t, srv, c.rq)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			require.Equal(t, "application/json", r.Header.Get("Content-Type"))
			var e struct {
				Code    int     `json:"code"`
				Message string  `json:"message"`
				Param   *string `json:"param"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &e), "%s", r.Body)
			require.Equal(t, 400, e.Code)
			require.NotEmpty(t, e.Message)
			if c.wantParam == "" {
				require.Nil(t, e.Param, "%s", r.Body)
				return
			}
			require.NotNil(t, e.Param, "%s", r.Body)
			require.Equal(t, c.wantParam, *e.Param)
			require.Contains(t, e.Message, `"`+c.wantParam+`"`)
		})
	}
	require.Len(t, srv.Opportunities(), 1, "no bad request changed the store")
	require.Equal(t, 1, srv.Applied(chartmogultest.OpCreate))
	require.Zero(t, srv.Applied(chartmogultest.OpUpdate))
}

func TestBasePathAndUnknownRoutes(t *testing.T) {
	srv := chartmogultest.NewServer(t, chartmogultest.WithBasePath("/api/v2/"))
	require.True(t, strings.HasSuffix(srv.URL(), "/api/v2"), srv.URL())
	require.Equal(t, http.StatusOK, call(t, srv, request{Method: "GET", Path: "/opportunities"}).Status)

	root := chartmogultest.NewServer(t, chartmogultest.WithBasePath(""))
	require.Equal(t, http.StatusOK, call(t, root, request{Method: "GET", Path: "/opportunities"}).Status)

	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/nowhere", http.StatusNotFound},
		{"GET", "", http.StatusNotFound},
		{"GET", "/opportunities/", http.StatusNotFound},
		{"GET", "/opportunities/bb544336-e74e-11ee-800c-effc264f19ed/", http.StatusNotFound},
		{"PUT", "/opportunities", http.StatusMethodNotAllowed},
		{"POST", "/opportunities/bb544336-e74e-11ee-800c-effc264f19ed", http.StatusMethodNotAllowed},
	} {
		r := call(t, srv, request{Method: c.method, Path: c.path})
		require.Equal(t, c.status, r.Status, "%s %s: %s", c.method, c.path, r.Body)
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	}
	for _, op := range []chartmogultest.Operation{chartmogultest.OpCreate, chartmogultest.OpRetrieve} {
		require.Zero(t, srv.Requests(op), "unrouted requests are not counted")
	}
}

func TestStartOutsideTestsAndOptionErrors(t *testing.T) {
	srv, err := chartmogultest.Start()
	require.NoError(t, err)
	r := call(t, srv, request{Method: "GET", Path: "/opportunities"})
	require.Equal(t, http.StatusOK, r.Status)
	srv.Close()
	srv.Close() // idempotent
	_, err = try(srv, request{Method: "GET", Path: "/opportunities"})
	require.Error(t, err, "a closed server refuses connections")

	for name, opt := range map[string]chartmogultest.Option{
		"bad base path":   chartmogultest.WithBasePath("v1"),
		"pattern in path": chartmogultest.WithBasePath("/{x}"),
		"dot segment":     chartmogultest.WithBasePath("/v1/."),
		"dot-dot segment": chartmogultest.WithBasePath("/v1/../x"),
		"empty key":       chartmogultest.WithAPIKey(""),
		"nil clock":       chartmogultest.WithClock(nil),
		"negative rate":   chartmogultest.WithRateLimit(-1, false),
		"negative conc":   chartmogultest.WithMaxConcurrent(-1),
	} {
		_, err := chartmogultest.Start(opt)
		require.Error(t, err, name)
	}
}

func TestSeedSnapshotsAndReset(t *testing.T) {
	now := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	srv := chartmogultest.NewServer(t, chartmogultest.WithClock(func() time.Time { return now }))
	wl := 40
	seeded := srv.Seed(
		generated.Opportunity{CustomerUUID: "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", Owner: "a@example.org",
			Pipeline: "P", PipelineStage: "S", Currency: "EUR", AmountInCents: 1, WinLikelihood: &wl,
			EstimatedCloseDate: now.Format("2006-01-02")},
		generated.Opportunity{UUID: "bb544336-e74e-11ee-800c-effc264f19ed", CustomerUUID: "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7",
			Owner: "b@example.org", Pipeline: "P", PipelineStage: "S", Currency: "EUR", AmountInCents: 2,
			EstimatedCloseDate: now.Format("2006-01-02"), CreatedAt: now.Add(-time.Hour),
			Custom: map[string]json.RawMessage{"seats": json.RawMessage(`3`)}},
	)
	require.Len(t, seeded, 2)
	require.Regexp(t, uuidPattern, seeded[0].UUID)
	require.Equal(t, now, seeded[0].CreatedAt)
	require.Equal(t, now.Add(-time.Hour), seeded[1].UpdatedAt)
	require.NotNil(t, seeded[0].Custom)

	// The snapshot is a copy.
	snap := srv.Opportunities()
	require.Equal(t, []string{seeded[0].UUID, seeded[1].UUID}, []string{snap[0].UUID, snap[1].UUID})
	*snap[0].WinLikelihood = 99
	snap[1].Custom["seats"] = json.RawMessage(`4`)
	r := call(t, srv, request{Method: "GET", Path: "/opportunities/bb544336-e74e-11ee-800c-effc264f19ed"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"seats": 3.0}, r.JSON(t)["custom"])
	require.EqualValues(t, 40, *srv.Opportunities()[0].WinLikelihood)

	// Seeding a stored UUID replaces it.
	srv.Seed(generated.Opportunity{UUID: "bb544336-e74e-11ee-800c-effc264f19ed", CustomerUUID: "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7",
		Owner: "c@example.org", Pipeline: "P", PipelineStage: "S", Currency: "EUR", EstimatedCloseDate: now.Format("2006-01-02")})
	require.Len(t, srv.Opportunities(), 2)
	require.Equal(t, "c@example.org", srv.Opportunities()[0].Owner)

	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Status: 500})
	srv.Reset()
	require.Empty(t, srv.Opportunities())
	require.Zero(t, srv.Requests(chartmogultest.OpRetrieve))
	require.Zero(t, srv.Applied(chartmogultest.OpRetrieve))
	require.Equal(t, http.StatusOK, call(t, srv, request{Method: "GET", Path: "/opportunities"}).Status, "Reset clears faults")
}
