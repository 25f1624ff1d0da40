package opportunities_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/wrapper"
)

// recordedExchange is one request/response pair of
// testdata/recorded-exchanges.json, recorded against the live API (March 2024)
// by ChartMogul's own SDK test suites; a copy of the file in
// /work/shared/reference, kept byte for byte.
type recordedExchange struct {
	Source              string  `json:"source"`
	Method              string  `json:"method"`
	Path                string  `json:"path"`
	Query               string  `json:"query"`
	RequestContentType  *string `json:"request_content_type"`
	RequestBody         *string `json:"request_body"`
	Status              int     `json:"status"`
	ResponseContentType *string `json:"response_content_type"`
	ResponseBody        *string `json:"response_body"`
}

func loadRecordings(t *testing.T) []recordedExchange {
	t.Helper()
	data, err := os.ReadFile("testdata/recorded-exchanges.json")
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var out []recordedExchange
	require.NoError(t, dec.Decode(&out))
	require.Len(t, out, 16)
	for _, e := range out {
		require.True(t, strings.HasPrefix(e.Path, "/v1/opportunities"), e.Path)
		require.NotNil(t, e.ResponseBody, e.Source)
	}
	return out
}

func (e recordedExchange) name(i int) string {
	return fmt.Sprintf("%02d %s %s (%s)", i, e.Method, e.Path, e.Source)
}

func (e recordedExchange) requestBody() []byte {
	if e.RequestBody == nil {
		return nil
	}
	return []byte(*e.RequestBody)
}

func (e recordedExchange) requestContentType() string {
	if e.RequestContentType == nil {
		return ""
	}
	return *e.RequestContentType
}

// responseContentType is the recorded Content-Type. The Ruby SDK's VCR
// cassettes store response headers in lower case ("content-type:
// application/json"), which the extraction into this file did not pick up:
// their null means "not extracted", and the cassettes say application/json.
func (e recordedExchange) responseContentType() string {
	if e.ResponseContentType == nil {
		return "application/json"
	}
	return *e.ResponseContentType
}

// pathUUID is the opportunity UUID in the path, or "" for the collection.
func (e recordedExchange) pathUUID() string {
	return strings.TrimPrefix(strings.TrimPrefix(e.Path, "/v1/opportunities"), "/")
}

// TestRecordedExchangesPassTheSpec: every recorded request and response
// satisfies openapi.yaml (routing without the /v1 base path, formats
// including e-mail enforced, undeclared statuses rejected).
func TestRecordedExchangesPassTheSpec(t *testing.T) {
	c := loadWireContract(t)
	operations := map[string]int{}
	for i, e := range loadRecordings(t) {
		t.Run(e.name(i), func(t *testing.T) {
			in := c.route(t, e.Method, e.Path, e.Query, e.requestContentType(), e.requestBody())
			operations[in.Route.Operation.OperationID]++
			require.NoError(t, c.validateRequest(t, e.Method, e.Path, e.Query, e.requestContentType(), e.requestBody()))
			require.NoError(t, c.validateResponse(t, e.Method, e.Path, e.Status, e.responseContentType(), []byte(*e.ResponseBody)))
		})
	}
	// Every operation is covered by at least one recording.
	require.Len(t, operations, 5, "%v", operations)
}

// replayServer answers every request with the recorded response and keeps
// what the client sent.
type replayServer struct {
	*httptest.Server
	mu   sync.Mutex
	got  []*http.Request
	body [][]byte
}

func newReplayServer(t *testing.T, e recordedExchange) *replayServer {
	t.Helper()
	rs := &replayServer{}
	// httptest listens on 127.0.0.1.
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rs.mu.Lock()
		rs.got = append(rs.got, r.Clone(context.Background()))
		rs.body = append(rs.body, b)
		rs.mu.Unlock()
		w.Header().Set("Content-Type", e.responseContentType())
		w.WriteHeader(e.Status)
		_, _ = io.WriteString(w, *e.ResponseBody)
	}))
	t.Cleanup(rs.Close)
	return rs
}

// TestRecordedResponsesDecodeThroughTheWrapper: the wrapper, sending the
// recorded request, decodes every recorded success response.
func TestRecordedResponsesDecodeThroughTheWrapper(t *testing.T) {
	ctx := context.Background()
	for i, e := range loadRecordings(t) {
		t.Run(e.name(i), func(t *testing.T) {
			require.Less(t, e.Status, 300, "only success responses are recorded")
			rs := newReplayServer(t, e)
			c, err := wrapper.NewClient("replay_key", wrapper.WithBaseURL(rs.URL+"/v1"), wrapper.WithoutRetries())
			require.NoError(t, err)
			var recorded map[string]any
			require.NoError(t, json.Unmarshal([]byte(*e.ResponseBody), &recorded))

			switch {
			case e.Method == http.MethodPost:
				got, err := c.Create(ctx, inputFromRecording(t, e.requestBody()))
				require.NoError(t, err)
				require.Equal(t, recorded["uuid"], got.UUID)
			case e.Method == http.MethodGet && e.pathUUID() == "":
				q, err := url.ParseQuery(e.Query)
				require.NoError(t, err)
				params := wrapper.ListParams{CustomerUUID: q.Get("customer_uuid"), Cursor: q.Get("cursor")}
				if pp := q.Get("per_page"); pp != "" {
					params.PerPage, err = strconv.Atoi(pp)
					require.NoError(t, err)
				}
				page, err := c.List(ctx, params)
				require.NoError(t, err)
				entries := recorded["entries"].([]any)
				require.Len(t, page.Entries, len(entries))
				for j, entry := range entries {
					require.Equal(t, entry.(map[string]any)["uuid"], page.Entries[j].UUID)
				}
				require.Equal(t, recorded["cursor"], page.Cursor)
				require.Equal(t, recorded["has_more"], page.HasMore)
			case e.Method == http.MethodGet:
				got, err := c.Get(ctx, e.pathUUID())
				require.NoError(t, err)
				require.Equal(t, recorded["uuid"], got.UUID)
			case e.Method == http.MethodPatch:
				got, err := c.Update(ctx, e.pathUUID(), updateFromRecording(t, e.requestBody()))
				require.NoError(t, err)
				require.Equal(t, recorded["uuid"], got.UUID)
				require.Equal(t, recorded["estimated_close_date"], got.EstimatedCloseDate)
			case e.Method == http.MethodDelete:
				require.NoError(t, c.Delete(ctx, e.pathUUID()))
			default:
				t.Fatalf("no replay for %s", e.Method)
			}

			// The wrapper sent the recorded request: method, path, query and body.
			require.Len(t, rs.got, 1)
			sent := rs.got[0]
			require.Equal(t, e.Method, sent.Method)
			require.Equal(t, e.Path, sent.URL.Path)
			wantQuery, err := url.ParseQuery(e.Query)
			require.NoError(t, err)
			require.Equal(t, wantQuery, sent.URL.Query())
			if e.RequestBody != nil {
				require.JSONEq(t, *e.RequestBody, string(rs.body[0]))
			} else {
				require.Empty(t, rs.body[0])
			}
		})
	}
}

// inputFromRecording builds the create input that sends the recorded body.
func inputFromRecording(t *testing.T, body []byte) wrapper.OpportunityInput {
	t.Helper()
	var b struct {
		CustomerUUID       string `json:"customer_uuid"`
		Owner              string `json:"owner"`
		Pipeline           string `json:"pipeline"`
		PipelineStage      string `json:"pipeline_stage"`
		EstimatedCloseDate string `json:"estimated_close_date"`
		Currency           string `json:"currency"`
		AmountInCents      int64  `json:"amount_in_cents"`
		Type               string `json:"type"`
		ForecastCategory   string `json:"forecast_category"`
		WinLikelihood      *int   `json:"win_likelihood"`
		Custom             []struct {
			Key   string `json:"key"`
			Value any    `json:"value"`
		} `json:"custom"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&b))
	in := wrapper.NewOpportunity(b.CustomerUUID, b.Owner, b.Pipeline, b.PipelineStage, b.EstimatedCloseDate, b.Currency, b.AmountInCents)
	if b.Type != "" {
		in = in.WithType(wrapper.Type(b.Type))
	}
	if b.ForecastCategory != "" {
		in = in.WithForecastCategory(wrapper.ForecastCategory(b.ForecastCategory))
	}
	if b.WinLikelihood != nil {
		in = in.WithWinLikelihood(*b.WinLikelihood)
	}
	if b.Custom != nil {
		custom := map[string]any{}
		for _, a := range b.Custom {
			custom[a.Key] = a.Value
		}
		in = in.WithCustom(custom)
	}
	return in
}

// updateFromRecording builds the update that sends the recorded body; it
// fails on a field the recordings have not needed so far.
func updateFromRecording(t *testing.T, body []byte) wrapper.OpportunityUpdate {
	t.Helper()
	var b map[string]any
	require.NoError(t, json.Unmarshal(body, &b))
	u := wrapper.NewUpdate()
	for k, v := range b {
		switch k {
		case "estimated_close_date":
			u = u.SetEstimatedCloseDate(v.(string))
		default:
			t.Fatalf("the replay does not send %q in an update yet", k)
		}
	}
	return u
}

// recordedOpportunities returns every opportunity in the recorded responses
// (the last recorded version of each), plus one for each UUID that only a
// path names (a recorded delete), copied from the first with that UUID.
func recordedOpportunities(t *testing.T, recs []recordedExchange) []generated.Opportunity {
	t.Helper()
	byUUID := map[string]generated.Opportunity{}
	var order []string
	add := func(raw json.RawMessage) {
		var o generated.Opportunity
		require.NoError(t, json.Unmarshal(raw, &o))
		if _, ok := byUUID[o.UUID]; !ok {
			order = append(order, o.UUID)
		}
		byUUID[o.UUID] = o
	}
	for _, e := range recs {
		var body struct {
			UUID    string            `json:"uuid"`
			Entries []json.RawMessage `json:"entries"`
		}
		require.NoError(t, json.Unmarshal([]byte(*e.ResponseBody), &body))
		if body.UUID != "" {
			add(json.RawMessage(*e.ResponseBody))
		}
		for _, entry := range body.Entries {
			add(entry)
		}
	}
	require.NotEmpty(t, order)
	for _, e := range recs {
		if id := e.pathUUID(); id != "" {
			if _, ok := byUUID[id]; !ok {
				o := byUUID[order[0]]
				o.UUID = id
				byUUID[id] = o
				order = append(order, id)
			}
		}
	}
	out := make([]generated.Opportunity, len(order))
	for i, id := range order {
		out[i] = byUUID[id]
	}
	return out
}

type fakeAnswer struct {
	status      int
	contentType string
	body        []byte
}

// sendToFake sends a recorded request to the fake, with the fake's key.
func sendToFake(t *testing.T, srv *chartmogultest.Server, e recordedExchange, query string) fakeAnswer {
	t.Helper()
	target := srv.URL() + strings.TrimPrefix(e.Path, "/v1")
	if query != "" {
		target += "?" + query
	}
	req, err := http.NewRequest(e.Method, target, bytes.NewReader(e.requestBody()))
	require.NoError(t, err)
	if ct := e.requestContentType(); ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.SetBasicAuth(srv.APIKey(), "")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return fakeAnswer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: body}
}

// jsonShape names the JSON type of each top-level member of an object.
func jsonShape(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	var obj map[string]any
	require.NoError(t, json.Unmarshal(raw, &obj), "%s", raw)
	shape := make(map[string]string, len(obj))
	for k, v := range obj {
		switch v.(type) {
		case nil:
			shape[k] = "null"
		case bool:
			shape[k] = "boolean"
		case float64:
			shape[k] = "number"
		case string:
			shape[k] = "string"
		case []any:
			shape[k] = "array"
		case map[string]any:
			shape[k] = "object"
		}
	}
	return shape
}

// TestFakeAnswersEveryRecordedRequest: chartmogultest, seeded with the
// recorded opportunities, answers each recorded request with the recorded
// status, a JSON body with the same members of the same JSON types, and (for
// a list) entries of the same shape as the recorded ones.
//
// Cursors are opaque and each server makes its own: a recorded cursor is
// replaced by the one the fake returned for the recorded request that
// produced it, as a client following the pages would.
func TestFakeAnswersEveryRecordedRequest(t *testing.T) {
	recs := loadRecordings(t)
	seed := recordedOpportunities(t, recs)
	cursorFrom := func(e recordedExchange) string {
		var page struct{ Cursor string }
		require.NoError(t, json.Unmarshal([]byte(*e.ResponseBody), &page))
		return page.Cursor
	}
	for i, e := range recs {
		t.Run(e.name(i), func(t *testing.T) {
			srv := chartmogultest.NewServer(t)
			srv.Seed(seed...)
			query := e.Query
			q, err := url.ParseQuery(e.Query)
			require.NoError(t, err)
			if cur := q.Get("cursor"); cur != "" {
				var producer *recordedExchange
				for j := range recs[:i] {
					if recs[j].pathUUID() == "" && recs[j].Method == http.MethodGet && cursorFrom(recs[j]) == cur {
						producer = &recs[j]
					}
				}
				require.NotNil(t, producer, "no recorded page returned the cursor %q", cur)
				prev := sendToFake(t, srv, *producer, producer.Query)
				require.Equal(t, http.StatusOK, prev.status, "%s", prev.body)
				var page struct{ Cursor string }
				require.NoError(t, json.Unmarshal(prev.body, &page))
				require.NotEmpty(t, page.Cursor)
				q.Set("cursor", page.Cursor)
				query = q.Encode()
			}

			got := sendToFake(t, srv, e, query)
			require.Equal(t, e.Status, got.status, "%s", got.body)
			require.Equal(t, "application/json", contentTypeOf(t, got.contentType))
			require.Equal(t, jsonShape(t, []byte(*e.ResponseBody)), jsonShape(t, got.body), "%s", got.body)

			var want, have struct{ Entries []json.RawMessage }
			require.NoError(t, json.Unmarshal([]byte(*e.ResponseBody), &want))
			require.NoError(t, json.Unmarshal(got.body, &have))
			if len(have.Entries) > 0 {
				require.NotEmpty(t, want.Entries)
			}
			for _, entry := range have.Entries {
				require.Equal(t, jsonShape(t, want.Entries[0]), jsonShape(t, entry), "%s", entry)
			}
		})
	}
}
