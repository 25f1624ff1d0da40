package chartmogultest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
)

// createFields is a valid create body with only the seven required fields.
func createFields() map[string]any {
	return map[string]any{
		"customer_uuid":        "cus_f466e33d-ff2b-4a11-8f85-417eb02157a7",
		"owner":                "test1@example.org",
		"pipeline":             "New Business",
		"pipeline_stage":       "Discovery",
		"estimated_close_date": "2024-04-21",
		"currency":             "USD",
		"amount_in_cents":      100000,
	}
}

// createBody is createFields with changes; a nil value removes the field.
func createBody(changes map[string]any) string {
	f := createFields()
	for k, v := range changes {
		if v == nil {
			delete(f, k)
		} else {
			f[k] = v
		}
	}
	b, err := json.Marshal(f)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// result is a response read in full.
type result struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r result) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body: %s", r.Body)
	return m
}

// request describes a call; by default it carries the server's API key.
type request struct {
	Method, Path, Body string
	NoAuth             bool
	Key                string
	Client             *http.Client
}

var testClient = &http.Client{Timeout: 30 * time.Second}

// call sends rq to srv and reads the whole response.
func call(t testing.TB, srv *chartmogultest.Server, rq request) result {
	t.Helper()
	r, err := try(srv, rq)
	require.NoError(t, err)
	return r
}

func try(srv *chartmogultest.Server, rq request) (result, error) {
	var body io.Reader
	if rq.Body != "" {
		body = strings.NewReader(rq.Body)
	}
	req, err := http.NewRequest(rq.Method, srv.URL()+rq.Path, body)
	if err != nil {
		return result{}, err
	}
	if rq.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case rq.Key != "":
		req.SetBasicAuth(rq.Key, "")
	case !rq.NoAuth:
		req.SetBasicAuth(srv.APIKey(), "")
	}
	c := rq.Client
	if c == nil {
		c = testClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return result{Status: resp.StatusCode, Header: resp.Header, Body: data}, err
}

// create makes one opportunity and returns its decoded body.
func create(t testing.TB, srv *chartmogultest.Server, changes map[string]any) map[string]any {
	t.Helper()
	r := call(t, srv, request{Method: http.MethodPost, Path: "/opportunities", Body: createBody(changes)})
	require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Body)
	return r.JSON(t)
}

// recordingTB is a testing.TB whose Errorf records instead of failing.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recordingTB) Errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

// fixedClock returns a clock that starts at start and moves on by step at
// every reading.
func fixedClock(start time.Time, step time.Duration) func() time.Time {
	var mu sync.Mutex
	now := start
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t := now
		now = now.Add(step)
		return t
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
