package wrapper_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mogulkit/opportunities/wrapper"
)

// Benchmarks: each operation through the wrapper, beside "the floor" — the
// same call written by hand with net/http and encoding/json (a plain struct,
// one Marshal, one Decode) — over (a) a stub RoundTripper that returns a
// canned response (client-side cost only) and (b) a loopback httptest server.
// BENCHMARKS.md has the command and the results as ratios to the floor.

// stubTransport answers every request with a canned response, after reading
// and closing the request body as a real transport would.
type stubTransport struct {
	status int
	body   []byte
}

func (s *stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{
		StatusCode:    s.status,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(s.body)),
		ContentLength: int64(len(s.body)),
		Request:       r,
	}, nil
}

// floorOpportunity is the plain struct the hand-written floor uses.
type floorOpportunity struct {
	UUID               string         `json:"uuid,omitempty"`
	CustomerUUID       string         `json:"customer_uuid"`
	Owner              string         `json:"owner"`
	Pipeline           string         `json:"pipeline"`
	PipelineStage      string         `json:"pipeline_stage"`
	EstimatedCloseDate string         `json:"estimated_close_date"`
	Currency           string         `json:"currency"`
	AmountInCents      int64          `json:"amount_in_cents"`
	Type               string         `json:"type,omitempty"`
	ForecastCategory   string         `json:"forecast_category,omitempty"`
	WinLikelihood      *int           `json:"win_likelihood,omitempty"`
	Custom             map[string]any `json:"custom,omitempty"`
	CreatedAt          time.Time      `json:"created_at,omitzero"`
	UpdatedAt          time.Time      `json:"updated_at,omitzero"`
}

type floorCustom struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

type floorCreate struct {
	CustomerUUID       string        `json:"customer_uuid"`
	Owner              string        `json:"owner"`
	Pipeline           string        `json:"pipeline"`
	PipelineStage      string        `json:"pipeline_stage"`
	EstimatedCloseDate string        `json:"estimated_close_date"`
	Currency           string        `json:"currency"`
	AmountInCents      int64         `json:"amount_in_cents"`
	Type               string        `json:"type,omitempty"`
	ForecastCategory   string        `json:"forecast_category,omitempty"`
	WinLikelihood      *int          `json:"win_likelihood,omitempty"`
	Custom             []floorCustom `json:"custom,omitempty"`
}

type floorList struct {
	Entries []floorOpportunity `json:"entries"`
	Cursor  string             `json:"cursor"`
	HasMore bool               `json:"has_more"`
}

// floor is the hand-written client: one Marshal, one request, one Decode.
type floor struct {
	hc   *http.Client
	base string
}

func (f floor) do(method, url string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return err
	}
	req.SetBasicAuth(testKey, "")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode > 299 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

var floorSeed = floorCreate{
	CustomerUUID: "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7", Owner: "test1@example.org", Pipeline: "New Business",
	PipelineStage: "Discovery", EstimatedCloseDate: "2024-04-21", Currency: "USD", AmountInCents: 100000,
	Type: "recurring", ForecastCategory: "best_case", WinLikelihood: ptr(40),
	Custom: []floorCustom{{"marketing_campaign", "Facebook"}, {"seats", 3}},
}

// seedResponse is the seed page's result, as the API returns it.
const seedResponse = `{"uuid":"4ee13ca4-e7fe-11ee-fa7f-f303abf41acc","customer_uuid":"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7",` +
	`"owner":"test1@example.org","pipeline":"New Business","pipeline_stage":"Discovery","estimated_close_date":"2024-04-21",` +
	`"currency":"USD","amount_in_cents":100000,"type":"recurring","forecast_category":"best_case","win_likelihood":40,` +
	`"custom":{"seats":3,"marketing_campaign":"Facebook"},"created_at":"2024-03-20T09:55:50.156Z","updated_at":"2024-03-20T09:55:50.156Z"}`

// listPage is a page of n entries like the seed's.
func listPage(n int, hasMore bool, cursor string) []byte {
	var b strings.Builder
	b.WriteString(`{"entries":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strings.Replace(seedResponse, `"amount_in_cents":100000`, fmt.Sprintf(`"amount_in_cents":%d`, i), 1))
	}
	fmt.Fprintf(&b, `],"cursor":%q,"has_more":%t}`, cursor, hasMore)
	return []byte(b.String())
}

func benchClient(b *testing.B, rt http.RoundTripper, base string, opts ...wrapper.Option) *wrapper.Client {
	b.Helper()
	// Defaults but for the transport (retries change nothing on success).
	c, err := wrapper.NewClient(testKey, append([]wrapper.Option{wrapper.WithBaseURL(base),
		wrapper.WithHTTPClient(&http.Client{Transport: rt})}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

type benchOp struct {
	name    string
	status  int
	resp    []byte
	wrapped func(ctx context.Context, c *wrapper.Client) error
	floor   func(f floor) error
}

func benchOps() []benchOp {
	page := listPage(200, false, "c")
	seed := seedInput()
	return []benchOp{
		{"Create", 201, []byte(seedResponse),
			func(ctx context.Context, c *wrapper.Client) error { _, err := c.Create(ctx, seed); return err },
			func(f floor) error {
				var o floorOpportunity
				return f.do(http.MethodPost, f.base+"/opportunities", floorSeed, &o)
			}},
		{"Get", 200, []byte(seedResponse),
			func(ctx context.Context, c *wrapper.Client) error { _, err := c.Get(ctx, recordedUUID); return err },
			func(f floor) error {
				var o floorOpportunity
				return f.do(http.MethodGet, f.base+"/opportunities/"+recordedUUID, nil, &o)
			}},
		{"Update", 200, []byte(seedResponse),
			func(ctx context.Context, c *wrapper.Client) error {
				_, err := c.Update(ctx, recordedUUID, wrapper.NewUpdate().SetWinLikelihood(0).SetPipelineStage("Won"))
				return err
			},
			func(f floor) error {
				var o floorOpportunity
				in := struct {
					PipelineStage string `json:"pipeline_stage"`
					WinLikelihood int    `json:"win_likelihood"`
				}{"Won", 0}
				return f.do(http.MethodPatch, f.base+"/opportunities/"+recordedUUID, in, &o)
			}},
		{"Delete", 200, []byte(`{}`),
			func(ctx context.Context, c *wrapper.Client) error { return c.Delete(ctx, recordedUUID) },
			func(f floor) error {
				var o map[string]any
				return f.do(http.MethodDelete, f.base+"/opportunities/"+recordedUUID, nil, &o)
			}},
		{"ListPage200", 200, page,
			func(ctx context.Context, c *wrapper.Client) error {
				_, err := c.List(ctx, wrapper.ListParams{PerPage: 200})
				return err
			},
			func(f floor) error {
				var p floorList
				return f.do(http.MethodGet, f.base+"/opportunities?per_page=200", nil, &p)
			}},
	}
}

// runImpls runs one operation three ways: the floor first (benchstat's
// baseline column with -col /impl), then the wrapper as configured by
// default, then the wrapper without its per-attempt timeout.
func runImpls(b *testing.B, op benchOp, rt http.RoundTripper, base string) {
	ctx := context.Background()
	b.Run(op.name+"/impl=floor", func(b *testing.B) {
		f := floor{hc: &http.Client{Transport: rt}, base: base}
		b.ReportAllocs()
		for b.Loop() {
			if err := op.floor(f); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, w := range []struct {
		name string
		opts []wrapper.Option
	}{{"wrapper", nil}, {"wrapper-notimeout", []wrapper.Option{wrapper.WithTimeout(0)}}} {
		b.Run(op.name+"/impl="+w.name, func(b *testing.B) {
			c := benchClient(b, rt, base, w.opts...)
			b.ReportAllocs()
			for b.Loop() {
				if err := op.wrapped(ctx, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStub measures client-side cost only: the transport is a stub.
func BenchmarkStub(b *testing.B) {
	for _, op := range benchOps() {
		runImpls(b, op, &stubTransport{status: op.status, body: op.resp}, "https://api.chartmogul.com/v1")
	}
}

// BenchmarkLoopback measures whole calls against an httptest server.
func BenchmarkLoopback(b *testing.B) {
	for _, op := range benchOps() {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(op.status)
			_, _ = w.Write(op.resp)
		}))
		tr := &http.Transport{MaxIdleConnsPerHost: 4}
		runImpls(b, op, tr, srv.URL+"/v1")
		tr.CloseIdleConnections()
		srv.Close()
	}
}

// pagingTransport serves total opportunities in pages of 200, built once, and
// counts the pages served. With sample set, it also records the live heap
// each time a page is requested (the previous page may still be held then).
type pagingTransport struct {
	pages  [][]byte
	calls  atomic.Int64
	sample func()
}

func newPagingTransport(total int) *pagingTransport {
	p := &pagingTransport{}
	for start := 0; start < total; start += 200 {
		n := min(200, total-start)
		p.pages = append(p.pages, listPage(n, start+n < total, fmt.Sprintf("p%d", len(p.pages)+1)))
	}
	return p
}

func (p *pagingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	i := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		_, _ = fmt.Sscanf(c, "p%d", &i)
	}
	p.calls.Add(1)
	resp, err := (&stubTransport{status: 200, body: p.pages[i]}).RoundTrip(r)
	if p.sample != nil {
		p.sample()
	}
	return resp, err
}

// BenchmarkIterator walks every opportunity with Client.All and reports the
// peak live heap seen while walking (after a GC, every 100 entries and at
// every page request): it must not grow with the total.
func BenchmarkIterator(b *testing.B) {
	for _, total := range []int{2000, 10000} {
		b.Run(fmt.Sprintf("total=%d", total), func(b *testing.B) {
			rt := newPagingTransport(total)
			c := benchClient(b, rt, "https://api.chartmogul.com/v1")
			var peak, base uint64
			var ms runtime.MemStats
			// sample records the live heap above base: every 100 entries
			// and whenever a page is requested (the previous page and its
			// entries may still be reachable then).
			sample := func() {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > base {
					peak = max(peak, ms.HeapAlloc-base)
				}
			}
			rt.sample = sample
			b.ReportAllocs()
			for b.Loop() {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				base = ms.HeapAlloc
				n := 0
				for _, err := range c.All(context.Background(), wrapper.ListParams{PerPage: 200}) {
					if err != nil {
						b.Fatal(err)
					}
					n++
					if n%100 == 0 {
						sample()
					}
				}
				if n != total {
					b.Fatalf("walked %d of %d", n, total)
				}
			}
			b.ReportMetric(float64(peak)/1024, "peak-heap-KiB")
		})
	}
}
