package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
)

// verifyArgs runs verify against base with key.
func verifyArgs(base, key string, extra ...string) []string {
	return append([]string{"--base-url", base, "--api-key", key, "verify", "--customer-uuid", seedCustomer, "--owner", "test1@example.org"}, extra...)
}

type verifyJSON struct {
	Conforms    bool `json:"conforms"`
	Interrupted bool `json:"interrupted"`
	Drift       int  `json:"drift"`
	Warnings    int  `json:"warnings"`
	Errors      int  `json:"errors"`
	Steps       []struct {
		Step     string    `json:"step"`
		Status   int       `json:"status"`
		Findings []finding `json:"findings"`
	} `json:"steps"`
	Cleanup struct {
		Created    int      `json:"created"`
		Deleted    int      `json:"deleted"`
		LeftBehind []string `json:"left_behind"`
	} `json:"cleanup"`
}

func parseVerify(t *testing.T, out string) verifyJSON {
	t.Helper()
	var r verifyJSON
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	return r
}

// findingsOf returns every finding of the report.
func (r verifyJSON) findings() []finding {
	var out []finding
	for _, s := range r.Steps {
		out = append(out, s.Findings...)
	}
	return out
}

func TestVerifyConformingFake(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	r := cli(t, verifyArgs(srv.URL(), srv.APIKey())...)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, "Result: 0 drift, 0 warning(s), 0 failed step(s): the API conforms")
	require.Contains(t, r.stdout, "Cleanup: created 2, deleted 2, nothing left behind")
	require.Empty(t, srv.Opportunities())
	for _, op := range []chartmogultest.Operation{chartmogultest.OpCreate, chartmogultest.OpRetrieve, chartmogultest.OpUpdate, chartmogultest.OpList, chartmogultest.OpDelete} {
		require.Positive(t, srv.Applied(op), op)
	}
	require.Equal(t, 8, srv.Applied(chartmogultest.OpList), "six filters and two pages")

	r = cli(t, verifyArgs(srv.URL(), srv.APIKey(), "--output", "json")...)
	require.Equal(t, 0, r.code, r.stderr)
	rep := parseVerify(t, r.stdout)
	require.True(t, rep.Conforms)
	require.Len(t, rep.Steps, 15)
	require.Equal(t, 404, rep.Steps[14].Status)
	require.Empty(t, rep.findings())
	require.Empty(t, srv.Opportunities())
}

// driftProxy serves srv's API through a rewrite of every JSON object that is
// an opportunity (it has a uuid and a customer_uuid).
func driftProxy(t *testing.T, srv *chartmogultest.Server, mutate func(map[string]any)) string {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequest(r.Method, srv.URL()+strings.TrimPrefix(r.URL.RequestURI(), "/v1"), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var v any
		if json.Unmarshal(data, &v) == nil {
			var walk func(any)
			walk = func(x any) {
				switch x := x.(type) {
				case map[string]any:
					if _, ok := x["customer_uuid"]; ok && x["uuid"] != nil {
						mutate(x)
					}
					for _, c := range x {
						walk(c)
					}
				case []any:
					for _, c := range x {
						walk(c)
					}
				}
			}
			walk(v)
			data, _ = json.Marshal(v)
		}
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(data)
	}))
	t.Cleanup(p.Close)
	return p.URL + "/v1"
}

func TestVerifyReportsEachKindOfDrift(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		mutate   func(map[string]any)
		inject   *chartmogultest.Fault
		code     int
		severity string
		kind     string
		field    string
	}{
		{name: "undocumented status", inject: &chartmogultest.Fault{Status: http.StatusAccepted, Body: `{}`},
			code: 1, severity: sevDrift, kind: kindStatus},
		{name: "missing required field", mutate: func(o map[string]any) { delete(o, "created_at") },
			code: 1, severity: sevDrift, kind: kindRequired, field: "created_at"},
		{name: "type change", mutate: func(o map[string]any) { o["amount_in_cents"] = "123456" },
			code: 1, severity: sevDrift, kind: kindType, field: "amount_in_cents"},
		{name: "unknown field", mutate: func(o map[string]any) { o["probability"] = 0.4 },
			code: 0, severity: sevWarning, kind: kindUnknown, field: "probability"},
		{name: "update ignored", mutate: func(o map[string]any) {
			if o["win_likelihood"] == float64(0) && o["amount_in_cents"] == float64(654321) {
				o["win_likelihood"] = 35.0
			}
		}, code: 1, severity: sevDrift, kind: kindBehaviour, field: "win_likelihood"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := chartmogultest.NewServer(t)
			base := srv.URL()
			if c.mutate != nil {
				base = driftProxy(t, srv, c.mutate)
			}
			if c.inject != nil {
				srv.Inject(chartmogultest.OpRetrieve, *c.inject)
			}
			r := cli(t, verifyArgs(base, srv.APIKey(), "--output", "json")...)
			require.Equal(t, c.code, r.code, r.stdout+r.stderr)
			rep := parseVerify(t, r.stdout)
			var found bool
			for _, f := range rep.findings() {
				if f.Kind == c.kind && f.Severity == c.severity && strings.HasSuffix(f.Field, c.field) {
					found = true
				}
			}
			require.True(t, found, "%s", r.stdout)
			require.Equal(t, c.code == 0, rep.Conforms)
			require.Empty(t, srv.Opportunities(), "verify deleted what it created")
			require.Empty(t, rep.Cleanup.LeftBehind)

			if c.inject != nil {
				srv.Inject(chartmogultest.OpRetrieve, *c.inject)
			}
			text := cli(t, verifyArgs(base, srv.APIKey())...)
			require.Equal(t, c.code, text.code)
			require.Contains(t, text.stdout, c.severity+" "+c.kind)
			require.Empty(t, srv.Opportunities())
		})
	}
}

func TestVerifyCleansUpAfterAFailedStep(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	// The second create is applied but its answer is lost: it is found by
	// its marker and deleted.
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Header: http.Header{"X-First": {"passes"}}})
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: http.StatusBadGateway, Apply: true})
	r := cli(t, verifyArgs(srv.URL(), srv.APIKey(), "--output", "json")...)
	require.Equal(t, 1, r.code, r.stdout+r.stderr)
	rep := parseVerify(t, r.stdout)
	require.False(t, rep.Conforms)
	require.Equal(t, 1, rep.Errors, r.stdout)
	require.Equal(t, 2, rep.Cleanup.Created)
	require.Equal(t, 2, rep.Cleanup.Deleted)
	require.Empty(t, srv.Opportunities())
}

func TestVerifyInterruptedHalfWayLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Delay: time.Minute})
	s := startCLI(t, verifyArgs(srv.URL(), srv.APIKey())...)
	eventually(t, 30*time.Second, "the list step", func() bool { return srv.Requests(chartmogultest.OpList) >= 1 })
	require.Equal(t, 2, srv.Applied(chartmogultest.OpCreate))
	require.Len(t, srv.Opportunities(), 2)
	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	r := s.wait(t, 30*time.Second)
	require.Equal(t, 130, r.code, r.stdout+r.stderr)
	require.Contains(t, r.stdout, "Interrupted")
	require.Contains(t, r.stdout, "Cleanup: created 2, deleted 2, nothing left behind")
	require.Empty(t, srv.Opportunities(), "nothing is left in the fake")
}

// --output takes table, as every other command does, and text, its old name
// for the same report.
func TestVerifyOutputTableAndItsOldName(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	for _, format := range []string{"table", "text"} {
		r := cli(t, verifyArgs(srv.URL(), srv.APIKey(), "--output", format)...)
		require.Equal(t, 0, r.code, "%s: %s", format, r.stderr)
		require.Contains(t, r.stdout, "Result: 0 drift", format)
	}
}

func TestVerifyUsageErrorsSendNothing(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--base-url", srv.URL(), "--api-key", srv.APIKey(), "verify", "--owner", "a@example.org"}, "--customer-uuid is required"},
		{[]string{"--base-url", srv.URL(), "--api-key", srv.APIKey(), "verify", "--customer-uuid", seedCustomer}, "--owner is required"},
		{verifyArgs(srv.URL(), srv.APIKey(), "--output", "xml"), "--output must be table or json"},
		{[]string{"--base-url", srv.URL(), "--api-key", srv.APIKey(), "verify", "--customer-uuid", "123", "--owner", "nobody"}, "customer_uuid (--customer-uuid)"},
		{[]string{"--base-url", srv.URL(), "--api-key", srv.APIKey(), "verify", "--customer-uuid", seedCustomer, "--owner", "nobody"}, "owner (--owner)"},
		{verifyArgs("http://example.com/v1", srv.APIKey()), "http is only allowed on a loopback address"},
		{[]string{"--base-url", srv.URL(), "verify", "--customer-uuid", seedCustomer, "--owner", "a@example.org"}, "no API key"},
	} {
		r := cli(t, c.args...)
		require.Equal(t, 2, r.code, "%v: %s", c.args, r.stdout+r.stderr)
		require.Contains(t, r.stderr, c.want, "%v", c.args)
	}
	require.Zero(t, totalRequests(srv))
}

func TestVerifyNeverPrintsTheKey(t *testing.T) {
	t.Parallel()
	const key = "sk_live_verify_secret_5150"
	srv := chartmogultest.NewServer(t, chartmogultest.WithAPIKey(key))
	r := cli(t, verifyArgs(srv.URL(), key)...)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	wrong := cli(t, verifyArgs(srv.URL(), "sk_live_wrong_key_000001")...)
	require.Equal(t, 1, wrong.code)
	require.Contains(t, wrong.stdout, "expected status [201], got 401")
	require.NotContains(t, r.stdout+r.stderr+wrong.stdout+wrong.stderr, key)
	require.NotContains(t, wrong.stdout+wrong.stderr, "sk_live_wrong_key_000001")
}

func TestVerifyHelpExamples(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	n := 0
	for _, ex := range exampleLines(helpExamples(t)["verify"]) {
		line, _, _ := strings.Cut(ex, "#") // a trailing comment
		args := strings.Fields(strings.TrimSpace(line))
		require.Equal(t, "opportunities", args[0])
		// The examples name the real API or the default fake-server address:
		// point them at a fake of this test, through the environment or by
		// replacing the documented address.
		for i, a := range args {
			if a == "http://127.0.0.1:12111/v1" {
				args[i] = srv.URL()
			}
			if a == "test_api_key" {
				args[i] = srv.APIKey()
			}
		}
		r := cliWith(t, runOpts{env: []string{"CHARTMOGUL_API_KEY=" + srv.APIKey(), "CHARTMOGUL_BASE_URL=" + srv.URL()}}, args[1:]...)
		require.Equal(t, 0, r.code, "%q: %s", ex, r.stdout+r.stderr)
		require.NotEmpty(t, r.stdout)
		n++
	}
	require.Equal(t, 3, n)
	require.Empty(t, srv.Opportunities())
}
