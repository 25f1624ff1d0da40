package wrapper_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/wrapper"
)

// seedBody is the curl body on ChartMogul's page for the create call. The
// page's owner address is obfuscated ("[email protected]"); its PHP dump gives
// the length, 17, which test1@example.org matches.
const seedBody = `{
"customer_uuid": "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7",
"owner": "test1@example.org",
"pipeline": "New Business",
"pipeline_stage": "Discovery",
"estimated_close_date": "2024-04-21",
"currency": "USD",
"amount_in_cents": 100000,
"type": "recurring",
"forecast_category": "best_case",
"win_likelihood": 40,
"custom":[
{"key": "seats","value":3},
{"key":"marketing_campaign","value":"Facebook"}
]
}`

func seedInput() wrapper.OpportunityInput {
	return wrapper.NewOpportunity("cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", "test1@example.org",
		"New Business", "Discovery", "2024-04-21", "USD", 100000).
		WithType(wrapper.TypeRecurring).
		WithForecastCategory(wrapper.ForecastBestCase).
		WithWinLikelihood(40).
		WithCustom(map[string]any{"seats": 3, "marketing_campaign": "Facebook"})
}

func requireAuthed(t *testing.T, c captured) {
	t.Helper()
	require.True(t, c.AuthOK, "no basic auth")
	require.Equal(t, testKey, c.User)
	require.Equal(t, "", c.Password)
	require.Equal(t, wrapper.DefaultUserAgent, c.UserAgent)
}

func TestCreateSendsTheSeedBody(t *testing.T) {
	rec := newRecorder(t, reply(201, recordedResponse))
	c := newClient(t, rec)

	_, err := c.Create(context.Background(), seedInput())
	require.NoError(t, err)

	got := rec.last(t)
	require.Equal(t, http.MethodPost, got.Method)
	require.Equal(t, "/api-v1/opportunities", got.Path)
	require.Empty(t, got.RawQuery)
	require.Equal(t, "application/json", got.ContentType)
	requireAuthed(t, got)

	// custom is a map in Go, so the wrapper sends it in sorted key order; the
	// seed lists the same two attributes the other way round. Every other
	// byte of meaning is compared as is.
	var sent, seed map[string]any
	require.NoError(t, json.Unmarshal(got.Body, &sent))
	require.NoError(t, json.Unmarshal([]byte(seedBody), &seed))
	require.Equal(t, []any{
		map[string]any{"key": "marketing_campaign", "value": "Facebook"},
		map[string]any{"key": "seats", "value": float64(3)},
	}, sent["custom"])
	require.ElementsMatch(t, seed["custom"], sent["custom"])
	delete(sent, "custom")
	delete(seed, "custom")
	require.Equal(t, seed, sent)
}

func TestCreateRecordedExchange(t *testing.T) {
	rec := newRecorder(t, reply(201, recordedResponse))
	c := newClient(t, rec)

	in := wrapper.NewOpportunity("cus_bb167600-e74e-11ee-93bd-8f1e5b698784", "kamil+pavlicko@chartmogul.com",
		"New Business", "Discovery", "2023-12-22", "USD", 100).
		WithType(wrapper.TypeRecurring).WithForecastCategory(wrapper.ForecastBestCase).
		WithWinLikelihood(3).WithCustom(map[string]any{"from_campaign": true})
	got, err := c.Create(context.Background(), in)
	require.NoError(t, err)
	requireJSONEqual(t, recordedRequest, rec.last(t).Body)

	created := time.Date(2024, 3, 21, 6, 46, 23, 137_000_000, time.UTC)
	require.Equal(t, wrapper.Opportunity{
		UUID:               recordedUUID,
		CustomerUUID:       "cus_bb167600-e74e-11ee-93bd-8f1e5b698784",
		Owner:              "kamil+pavlicko@chartmogul.com",
		Pipeline:           "New Business",
		PipelineStage:      "Discovery",
		EstimatedCloseDate: "2023-12-22",
		Currency:           "USD",
		AmountInCents:      100,
		Type:               wrapper.TypeRecurring,
		ForecastCategory:   wrapper.ForecastBestCase,
		WinLikelihood:      ptr(3),
		Custom:             map[string]any{"from_campaign": true},
		CreatedAt:          created,
		UpdatedAt:          created,
	}, got)
}

func TestCreateOmitsUnsetOptionalFields(t *testing.T) {
	rec := newRecorder(t, reply(201, recordedResponse))
	c := newClient(t, rec)
	in := wrapper.NewOpportunity("cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", "test1@example.org",
		"New Business", "Discovery", "2024-04-21", "USD", 1<<40)
	_, err := c.Create(context.Background(), in)
	require.NoError(t, err)
	requireJSONEqual(t, `{"customer_uuid":"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7","owner":"test1@example.org",
		"pipeline":"New Business","pipeline_stage":"Discovery","estimated_close_date":"2024-04-21",
		"currency":"USD","amount_in_cents":1099511627776}`, rec.last(t).Body)

	// An explicit 0 is sent as 0, unlike an absent likelihood.
	_, err = c.Create(context.Background(), in.WithWinLikelihood(0))
	require.NoError(t, err)
	require.JSONEq(t, `0`, string(mustField(t, rec.last(t).Body, "win_likelihood")))
}

func mustField(t *testing.T, body []byte, name string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &m))
	v, ok := m[name]
	require.True(t, ok, "%s not sent in %s", name, body)
	return v
}

func TestGet(t *testing.T) {
	rec := newRecorder(t, reply(200, recordedResponse))
	c := newClient(t, rec)
	got, err := c.Get(context.Background(), recordedUUID)
	require.NoError(t, err)
	require.Equal(t, recordedUUID, got.UUID)

	r := rec.last(t)
	require.Equal(t, http.MethodGet, r.Method)
	require.Equal(t, "/api-v1/opportunities/"+recordedUUID, r.Path)
	require.Empty(t, r.Body)
	requireAuthed(t, r)
}

func TestUpdateSendsOnlyWhatWasSet(t *testing.T) {
	rec := newRecorder(t, reply(200, recordedResponse))
	c := newClient(t, rec)
	ctx := context.Background()

	tests := []struct {
		name string
		u    wrapper.OpportunityUpdate
		want string
	}{
		{"zero likelihood is sent", wrapper.NewUpdate().SetWinLikelihood(0), `{"win_likelihood":0}`},
		{"stage and category", wrapper.NewUpdate().SetPipelineStage("Lost").SetForecastCategory(wrapper.ForecastLost),
			`{"pipeline_stage":"Lost","forecast_category":"lost"}`},
		{"every field", wrapper.NewUpdate().SetOwner("a@b.co").SetPipeline("P").SetPipelineStage("S").
			SetEstimatedCloseDate("2025-01-31").SetCurrency("EUR").SetAmountInCents(0).SetType(wrapper.TypeOneTime).
			SetForecastCategory(wrapper.ForecastWon).SetWinLikelihood(100).SetCustom(map[string]any{"b": 1.5, "a": "x"}),
			`{"owner":"a@b.co","pipeline":"P","pipeline_stage":"S","estimated_close_date":"2025-01-31","currency":"EUR",
			"amount_in_cents":0,"type":"one-time","forecast_category":"won","win_likelihood":100,
			"custom":[{"key":"a","value":"x"},{"key":"b","value":1.5}]}`},
		{"empty custom is an empty list", wrapper.NewUpdate().SetCustom(nil), `{"custom":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Update(ctx, recordedUUID, tt.u)
			require.NoError(t, err)
			require.Equal(t, recordedUUID, got.UUID)
			r := rec.last(t)
			require.Equal(t, http.MethodPatch, r.Method)
			require.Equal(t, "/api-v1/opportunities/"+recordedUUID, r.Path)
			requireAuthed(t, r)
			requireJSONEqual(t, tt.want, r.Body)
		})
	}
}

func TestDeleteAcceptsEmptyObjectAnd204(t *testing.T) {
	for _, tt := range []struct {
		status int
		body   string
	}{{200, `{}`}, {204, ``}} {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			rec := newRecorder(t, reply(tt.status, tt.body))
			c := newClient(t, rec)
			require.NoError(t, c.Delete(context.Background(), recordedUUID))
			r := rec.last(t)
			require.Equal(t, http.MethodDelete, r.Method)
			require.Equal(t, "/api-v1/opportunities/"+recordedUUID, r.Path)
			requireAuthed(t, r)
		})
	}
}

func TestDeleteRejectsANonJSONSuccessBody(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>ok</html>"))
	})
	err := newUncheckedClient(t, rec).Delete(context.Background(), recordedUUID)
	var apiErr *wrapper.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 200, apiErr.StatusCode)
	require.Equal(t, "<html>ok</html>", string(apiErr.Body))
}

func TestListSendsEveryFilter(t *testing.T) {
	rec := newRecorder(t, reply(200, `{"entries":[`+recordedResponse+`],"cursor":"abc","has_more":false}`))
	c := newClient(t, rec)
	page, err := c.List(context.Background(), wrapper.ListParams{
		CustomerUUID:                 "cus_bb167600-e74e-11ee-93bd-8f1e5b698784",
		Owner:                        "kamil+pavlicko@chartmogul.com",
		Pipeline:                     "New Business",
		PipelineStage:                "Discovery & Demo",
		EstimatedCloseDateOnOrAfter:  "2023-01-01",
		EstimatedCloseDateOnOrBefore: "2023-12-31",
		PerPage:                      50,
		Cursor:                       "c/1+2=",
	})
	require.NoError(t, err)
	require.Len(t, page.Entries, 1)
	require.Equal(t, recordedUUID, page.Entries[0].UUID)
	require.Equal(t, "abc", page.Cursor)
	require.False(t, page.HasMore)

	r := rec.last(t)
	require.Equal(t, http.MethodGet, r.Method)
	require.Equal(t, "/api-v1/opportunities", r.Path)
	requireAuthed(t, r)
	require.Equal(t, map[string][]string{
		"customer_uuid":                     {"cus_bb167600-e74e-11ee-93bd-8f1e5b698784"},
		"owner":                             {"kamil+pavlicko@chartmogul.com"},
		"pipeline":                          {"New Business"},
		"pipeline_stage":                    {"Discovery & Demo"},
		"estimated_close_date_on_or_after":  {"2023-01-01"},
		"estimated_close_date_on_or_before": {"2023-12-31"},
		"per_page":                          {"50"},
		"cursor":                            {"c/1+2="},
	}, r.Query)
}

func TestListWithoutFiltersSendsNoQuery(t *testing.T) {
	rec := newRecorder(t, reply(200, `{"entries":[],"cursor":null,"has_more":false}`))
	page, err := newClient(t, rec).List(context.Background(), wrapper.ListParams{})
	require.NoError(t, err)
	require.Empty(t, page.Entries)
	require.NotNil(t, page.Entries)
	require.Empty(t, rec.last(t).RawQuery)
}

// pagedServer serves total opportunities, per entries a page, with cursors
// "p1", "p2", ...; it records the filters each page was asked with.
func pagedServer(t *testing.T, total, per int) *recorder {
	return newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		start := 0
		if c := r.URL.Query().Get("cursor"); c != "" {
			n, err := strconv.Atoi(c[1:])
			if err != nil {
				http.Error(w, "bad cursor", http.StatusBadRequest)
				return
			}
			start = n * per
		}
		end := min(start+per, total)
		entries := make([]json.RawMessage, 0, per)
		for i := start; i < end; i++ {
			entries = append(entries, json.RawMessage(fmt.Sprintf(
				`{"uuid":"00000000-0000-0000-0000-%012d","customer_uuid":"cus_bb167600-e74e-11ee-93bd-8f1e5b698784",
				"owner":"a@b.co","pipeline":"P","pipeline_stage":"S","estimated_close_date":"2024-01-01",
				"currency":"USD","amount_in_cents":%d,"custom":{},"created_at":"2024-03-21T06:46:23.137Z",
				"updated_at":"2024-03-21T06:46:23.137Z"}`, i, i)))
		}
		body, _ := json.Marshal(map[string]any{
			"entries": entries, "cursor": fmt.Sprintf("p%d", start/per+1), "has_more": end < total,
		})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}

func TestAllWalksEveryPageResendingTheFilters(t *testing.T) {
	rec := pagedServer(t, 7, 3)
	c := newClient(t, rec)
	var amounts []int64
	for o, err := range c.All(context.Background(), wrapper.ListParams{Pipeline: "P", PerPage: 3}) {
		require.NoError(t, err)
		amounts = append(amounts, o.AmountInCents)
	}
	require.Equal(t, []int64{0, 1, 2, 3, 4, 5, 6}, amounts)

	reqs := rec.requests()
	require.Len(t, reqs, 3)
	for i, r := range reqs {
		require.Equal(t, []string{"P"}, r.Query["pipeline"], "page %d", i)
		require.Equal(t, []string{"3"}, r.Query["per_page"], "page %d", i)
	}
	require.Empty(t, reqs[0].Query["cursor"])
	require.Equal(t, []string{"p1"}, reqs[1].Query["cursor"])
	require.Equal(t, []string{"p2"}, reqs[2].Query["cursor"])
}

func TestAllStopsWhenTheLoopBreaks(t *testing.T) {
	rec := pagedServer(t, 100, 10)
	c := newClient(t, rec)
	n := 0
	for _, err := range c.All(context.Background(), wrapper.ListParams{PerPage: 10}) {
		require.NoError(t, err)
		n++
		if n == 15 {
			break
		}
	}
	require.Len(t, rec.requests(), 2)
}

func TestAllYieldsAnErrorOnceAndStops(t *testing.T) {
	var calls atomic.Int32
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if calls.Add(1) == 1 {
			reply(200, `{"entries":[`+recordedResponse+`],"cursor":"next","has_more":true}`)(w, r, nil)
			return
		}
		reply(500, `{"code":500,"message":"boom"}`)(w, r, nil)
	})
	c := newClient(t, rec)
	var got []error
	for _, err := range c.All(context.Background(), wrapper.ListParams{}) {
		got = append(got, err)
	}
	require.Len(t, got, 2)
	require.NoError(t, got[0])
	require.True(t, wrapper.IsServerError(got[1]))
}

func TestAllRefusesACursorThatDoesNotAdvance(t *testing.T) {
	rec := newRecorder(t, reply(200, `{"entries":[],"cursor":"same","has_more":true}`))
	var last error
	for _, err := range newClient(t, rec).All(context.Background(), wrapper.ListParams{}) {
		last = err
	}
	require.ErrorContains(t, last, "does not advance")
	require.Len(t, rec.requests(), 2)
}

// A server whose cursors cycle (a → b → a) is stopped too, once it hands
// back a cursor already followed.
func TestAllRefusesACursorCycle(t *testing.T) {
	var calls atomic.Int32
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		next := "a"
		if r.URL.Query().Get("cursor") == "a" {
			next = "b"
		}
		calls.Add(1)
		reply(200, `{"entries":[],"cursor":"`+next+`","has_more":true}`)(w, r, nil)
	})
	var last error
	for _, err := range newClient(t, rec).All(context.Background(), wrapper.ListParams{}) {
		last = err
	}
	require.ErrorContains(t, last, `the cursor "a" does not advance`)
	require.Equal(t, int32(3), calls.Load(), "first page, a, b: then a again is refused")
}

// The cursor in that error is the server's text: a cursor echoing the key
// is redacted, and a long or hostile one is escaped and cut short.
func TestAllCursorErrorIsRedactedAndBounded(t *testing.T) {
	for _, cursor := range []string{testKey, strings.Repeat("c", 100_000) + "\u001b[2J"} {
		body, err := json.Marshal(map[string]any{"entries": []any{}, "cursor": cursor, "has_more": true})
		require.NoError(t, err)
		rec := newRecorder(t, reply(200, string(body)))
		var last error
		for _, err := range newClient(t, rec).All(context.Background(), wrapper.ListParams{}) {
			last = err
		}
		require.ErrorContains(t, last, "does not advance")
		require.NotContains(t, last.Error(), testKey)
		require.NotContains(t, last.Error(), "\x1b")
		require.Less(t, len(last.Error()), 2000)
	}
}

func TestInvalidInputSendsNothing(t *testing.T) {
	rec := newRecorder(t, reply(200, recordedResponse))
	c := newClient(t, rec)
	ctx := context.Background()

	_, err := c.Create(ctx, wrapper.OpportunityInput{})
	require.True(t, wrapper.IsValidation(err))
	_, err = c.Get(ctx, "")
	require.True(t, wrapper.IsValidation(err))
	_, err = c.Get(ctx, "../../customers")
	require.True(t, wrapper.IsValidation(err))
	_, err = c.Update(ctx, recordedUUID, wrapper.NewUpdate())
	require.True(t, wrapper.IsValidation(err))
	require.True(t, wrapper.IsValidation(c.Delete(ctx, "bb544336?x=1")))
	_, err = c.List(ctx, wrapper.ListParams{PerPage: -3})
	require.True(t, wrapper.IsValidation(err))
	for _, err := range c.All(ctx, wrapper.ListParams{PerPage: -1}) {
		require.True(t, wrapper.IsValidation(err))
	}

	require.Empty(t, rec.requests())
}

func TestUpdateReportsUUIDAndBodyProblemsTogether(t *testing.T) {
	rec := newRecorder(t, reply(200, recordedResponse))
	_, err := newClient(t, rec).Update(context.Background(), "nope", wrapper.NewUpdate().SetWinLikelihood(101))
	var v *wrapper.ValidationError
	require.ErrorAs(t, err, &v)
	_, ok := v.Field("uuid")
	require.True(t, ok)
	_, ok = v.Field("win_likelihood")
	require.True(t, ok)
	require.Empty(t, rec.requests())
}

func TestContextCancellationStopsTheCall(t *testing.T) {
	release := make(chan struct{})
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := newClient(t, rec).Get(ctx, recordedUUID)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestClientTimeoutBoundsEachCall(t *testing.T) {
	release := make(chan struct{})
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	_, err := newClient(t, rec, wrapper.WithTimeout(50*time.Millisecond)).Get(context.Background(), recordedUUID)
	require.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
}
