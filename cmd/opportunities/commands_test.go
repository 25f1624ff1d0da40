package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/internal/iostreams"
	"github.com/mogulkit/opportunities/wrapper"
)

var apiTimestamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// requireSeedOutput checks a printed opportunity against the seed body.
func requireSeedOutput(t *testing.T, out string) map[string]any {
	t.Helper()
	require.True(t, strings.HasSuffix(out, "}\n") && strings.Count(out, "\n") == 1, "one JSON object on one line: %q", out)
	m := decode(t, out)
	for k, v := range map[string]any{
		"customer_uuid": seedCustomer, "owner": "test1@example.org", "pipeline": "New Business",
		"pipeline_stage": "Discovery", "estimated_close_date": "2024-04-21", "currency": "USD",
		"amount_in_cents": float64(100000), "type": "recurring", "forecast_category": "best_case",
		"win_likelihood": float64(40),
		"custom":         map[string]any{"seats": float64(3), "marketing_campaign": "Facebook"},
	} {
		require.Equal(t, v, m[k], k)
	}
	require.Regexp(t, `^[0-9a-f-]{36}$`, m["uuid"])
	require.Regexp(t, apiTimestamp, m["created_at"])
	require.Regexp(t, apiTimestamp, m["updated_at"])
	return m
}

func TestCreateSeedBodyFromFile(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	file := writeFile(t, "seed.json", seedBody)

	r := cli(t, srvArgs(srv, "create", "--file", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Empty(t, r.stderr)
	m := requireSeedOutput(t, r.stdout)

	opps := stored(t, srv)
	require.Len(t, opps, 1)
	require.Equal(t, m["uuid"], opps[0].UUID)
	require.Equal(t, 1, srv.Applied(chartmogultest.OpCreate))
}

func TestCreateSeedBodyFromStdin(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	r := cliWith(t, runOpts{stdin: seedBody}, srvArgs(srv, "create", "--file", "-")...)
	require.Equal(t, 0, r.code, r.stderr)
	requireSeedOutput(t, r.stdout)
	require.Len(t, stored(t, srv), 1)
}

func TestCreateWithFlags(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	p := newProxy(t, srv, nil)
	r := cli(t, "--base-url", p.url(), "--api-key", srv.APIKey(), "create",
		"--customer-uuid", seedCustomer, "--owner", "test1@example.org", "--pipeline", "New Business",
		"--stage", "Discovery", "--close-date", "2024-04-21", "--currency", "EUR", "--amount-cents", "5000000000",
		"--type", "one-time", "--forecast", "pipeline",
		"--custom", "seats=3", "--custom", "zip:=02134", "--custom", "ratio=12.5", "--custom", "vip=true",
		"--custom", "note=hello world", "--custom", "code=007")
	require.Equal(t, 0, r.code, r.stderr)
	m := decode(t, r.stdout)
	require.Nil(t, m["win_likelihood"])
	require.Equal(t, map[string]any{"seats": float64(3), "zip": "02134", "ratio": 12.5, "vip": true,
		"note": "hello world", "code": "007"}, m["custom"])

	// The request: win_likelihood not given, so not sent; custom values typed.
	posts := p.recorded(http.MethodPost)
	require.Len(t, posts, 1)
	var sent map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(posts[0].body, &sent))
	require.NotContains(t, sent, "win_likelihood")
	require.JSONEq(t, `[{"key":"code","value":"007"},{"key":"note","value":"hello world"},{"key":"ratio","value":12.5},
		{"key":"seats","value":3},{"key":"vip","value":true},{"key":"zip","value":"02134"}]`, string(sent["custom"]))
	require.JSONEq(t, `5000000000`, string(sent["amount_in_cents"]))

	opps := stored(t, srv)
	require.Len(t, opps, 1)
	require.Nil(t, opps[0].WinLikelihood)
}

func TestCreateInvalidInputExits2AndSendsNothing(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)

	r := cli(t, srvArgs(srv, "create", "--customer-uuid", "cus_nope", "--owner", "test1@example.org",
		"--pipeline", "New Business", "--stage", "Discovery", "--close-date", "2024-04-21",
		"--currency", "USD", "--amount-cents", "100", "--win-likelihood", "101")...)
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "win_likelihood (--win-likelihood): must be between 0 and 100 (minimum, maximum), got 101")
	require.Contains(t, r.stderr, `customer_uuid (--customer-uuid): must match the pattern ^cus_`)
	require.Contains(t, r.stderr, "nothing was sent")
	require.Empty(t, r.stdout)

	// A body with wrong types and an unknown field: every problem, by field.
	body := `{"customer_uuid": "` + seedCustomer + `", "owner": "test1@example.org", "pipeline": "P",
		"pipeline_stage": "S", "estimated_close_date": "21/04/2024", "currency": "USD",
		"amount_in_cents": "100", "custom": [{"key": "seats", "value": {"n": 3}}], "colour": "red"}`
	r = cliWith(t, runOpts{stdin: body}, srvArgs(srv, "create", "--file", "-")...)
	require.Equal(t, 2, r.code)
	for _, want := range []string{
		`estimated_close_date: must be a date as YYYY-MM-DD (format date), got "21/04/2024"`,
		`amount_in_cents: must be an integer, got "100"`,
		"custom.seats: must be a string, a number or a boolean (oneOf), got object",
		"colour: unknown field",
	} {
		require.Contains(t, r.stderr, want)
	}
	require.Equal(t, 0, totalRequests(srv))
}

func TestUsageErrorsExit2AndSendNothing(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	seed := writeFile(t, "seed.json", seedBody)
	bad := writeFile(t, "bad.json", `{"owner": `)
	notUTF8 := writeFile(t, "latin1.json", strings.Replace(string(seedBody), "Discovery", "Disc\xe9", 1))
	for name, args := range map[string][]string{
		"no command":         {},
		"unknown command":    {"frobnicate"},
		"unknown flag":       {"list", "--colour", "red"},
		"unknown global":     {"--colour", "red", "list"},
		"missing uuid":       {"get"},
		"two uuids":          {"delete", missingUUID, missingUUID},
		"bad uuid":           {"get", "not-a-uuid"},
		"file and flags":     {"create", "--file", seed, "--owner", "test1@example.org"},
		"missing file":       {"create", "--file", "/does/not/exist.json"},
		"malformed json":     {"create", "--file", bad},
		"not UTF-8 file":     {"create", "--file", notUTF8},
		"not UTF-8 flag":     {"update", missingUUID, "--stage", "Disc\xe9"},
		"bad custom":         {"update", missingUUID, "--custom", "seats"},
		"bad int":            {"create", "--amount-cents", "12.5"},
		"negative retries":   {"--retries", "-1", "get", missingUUID},
		"empty update":       {"update", missingUUID},
		"update customer":    {"update", missingUUID, "--customer-uuid", seedCustomer},
		"bad per page":       {"list", "--per-page", "-1"},
		"bad date filter":    {"list", "--close-date-on-or-after", "yesterday"},
		"extra list arg":     {"list", "extra"},
		"import no file":     {"import"},
		"import bad format":  {"import", "--format", "xml", seed},
		"help two commands":  {"help", "get", "list"},
		"help unknown":       {"help", "frobnicate"},
		"insecure base url":  {"--base-url", "http://example.com/v1", "get", missingUUID},
		"negative timeout":   {"--timeout", "-1s", "get", missingUUID},
		"import concurrency": {"import", "--concurrency", "0", seed},
	} {
		r := cli(t, srvArgs(srv, args...)...)
		require.Equal(t, 2, r.code, "%s: %s", name, r.stderr)
		require.NotEmpty(t, r.stderr, name)
		require.Empty(t, r.stdout, name)
	}
	require.Equal(t, 0, totalRequests(srv))

	for _, args := range [][]string{{"create", "--file="}, {"update", missingUUID, "--file", ""}} {
		r := cli(t, srvArgs(srv, args...)...)
		require.Equal(t, 2, r.code, "%q: %s", args, r.stderr)
		require.Contains(t, r.stderr, "--file needs a path (- for stdin)", "not taken for no --file")
	}

	r := cli(t, "get", missingUUID) // no key anywhere
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "no API key")
}

func TestGet(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	created := cliWith(t, runOpts{stdin: seedBody}, srvArgs(srv, "create", "--file", "-")...)
	require.Equal(t, 0, created.code, created.stderr)
	uuid := decode(t, created.stdout)["uuid"].(string)

	r := cli(t, srvArgs(srv, "get", uuid)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.JSONEq(t, created.stdout, r.stdout)

	// Global flags are accepted after the command too.
	r = cli(t, "get", uuid, "--api-key", srv.APIKey(), "--base-url", srv.URL())
	require.Equal(t, 0, r.code, r.stderr)

	r = cli(t, srvArgs(srv, "get", missingUUID)...)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "404")
	require.Contains(t, r.stderr, "Opportunity not found")
	require.Empty(t, r.stdout)
}

func TestServerErrorsExit1(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)

	// --retries N: N retries, N+1 attempts; the default is the wrapper's.
	srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: 500, Times: 10})
	r := cli(t, srvArgs(srv, "--retries", "0", "get", missingUUID)...)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "500")
	require.Equal(t, 1, srv.Requests(chartmogultest.OpRetrieve), "--retries 0 sends once")
	r = cli(t, srvArgs(srv, "--retries", "1", "--timeout", "5s", "get", missingUUID)...)
	require.Equal(t, 1, r.code)
	require.Equal(t, 1+2, srv.Requests(chartmogultest.OpRetrieve), "--retries 1 sends twice")
	srv.ClearFaults()
	srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Status: 503, Times: 10})
	r = cli(t, srvArgs(srv, "get", missingUUID)...)
	require.Equal(t, 1, r.code)
	require.Equal(t, 3+wrapper.DefaultRetryPolicy().MaxAttempts, srv.Requests(chartmogultest.OpRetrieve),
		"by default 3 retries: the wrapper's default attempts")
	srv.ClearFaults()

	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 500})
	r = cliWith(t, runOpts{stdin: seedBody}, srvArgs(srv, "create", "--file", "-")...)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "500 Internal Server Error")
	require.Contains(t, r.stderr, "may have been created all the same")
	require.Equal(t, 0, srv.Applied(chartmogultest.OpCreate))
	require.Equal(t, 1, srv.Requests(chartmogultest.OpCreate), "a create is not retried after a 500")

	// A 503 is retried while --retries allows it.
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Status: 503})
	r = cli(t, srvArgs(srv, "--retries", "1", "list")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 2, srv.Requests(chartmogultest.OpList))

	// --timeout bounds an attempt.
	srv.Inject(chartmogultest.OpRetrieve, chartmogultest.Fault{Delay: 20 * time.Second})
	start := time.Now()
	r = cli(t, srvArgs(srv, "--timeout", "300ms", "--retries", "0", "get", missingUUID)...)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "deadline exceeded")
	require.Less(t, time.Since(start), 10*time.Second)

	// A refused connection is a network error: 1.
	r = cli(t, "--base-url", "http://127.0.0.1:1/v1", "--api-key", "k", "--retries", "0", "get", missingUUID)
	require.Equal(t, 1, r.code, r.stderr)
}

func TestUpdateSendsOnlyTheFlagsGiven(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	p := newProxy(t, srv, nil)
	args := func(a ...string) []string {
		return append([]string{"--base-url", p.url(), "--api-key", srv.APIKey()}, a...)
	}
	created := cliWith(t, runOpts{stdin: seedBody}, args("create", "--file", "-")...)
	require.Equal(t, 0, created.code, created.stderr)
	uuid := decode(t, created.stdout)["uuid"].(string)

	r := cli(t, args("update", uuid, "--stage", "Proposal", "--win-likelihood", "0")...)
	require.Equal(t, 0, r.code, r.stderr)
	patches := p.recorded(http.MethodPatch)
	require.Len(t, patches, 1)
	require.JSONEq(t, `{"pipeline_stage":"Proposal","win_likelihood":0}`, string(patches[0].body))
	m := decode(t, r.stdout)
	require.Equal(t, "Proposal", m["pipeline_stage"])
	require.Equal(t, float64(0), m["win_likelihood"])
	require.Equal(t, "test1@example.org", m["owner"])
	require.Equal(t, float64(100000), m["amount_in_cents"])
	require.Equal(t, map[string]any{"seats": float64(3), "marketing_campaign": "Facebook"}, m["custom"])

	// Flags before the UUID, and custom attributes.
	r = cli(t, args("update", "--custom", "seats=5", uuid)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.JSONEq(t, `{"custom":[{"key":"seats","value":5}]}`, string(p.recorded(http.MethodPatch)[1].body))

	// A PATCH body from stdin.
	r = cliWith(t, runOpts{stdin: `{"forecast_category": "won", "amount_in_cents": 4200}`}, args("update", uuid, "--file", "-")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.JSONEq(t, `{"forecast_category":"won","amount_in_cents":4200}`, string(p.recorded(http.MethodPatch)[2].body))
	m = decode(t, r.stdout)
	require.Equal(t, "won", m["forecast_category"])
	require.Equal(t, float64(0), m["win_likelihood"])

	// Invalid: nothing sent.
	r = cli(t, args("update", uuid, "--currency", "dollars", "--win-likelihood", "-1")...)
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "currency (--currency): must match the pattern ^[A-Z]{3}$")
	require.Contains(t, r.stderr, "win_likelihood (--win-likelihood): must be between 0 and 100 (minimum, maximum), got -1")
	require.Len(t, p.recorded(http.MethodPatch), 3)

	r = cli(t, args("update", missingUUID, "--stage", "Lost")...)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "Opportunity not found")
}

func TestDelete(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	created := cliWith(t, runOpts{stdin: seedBody}, srvArgs(srv, "create", "--file", "-")...)
	require.Equal(t, 0, created.code, created.stderr)
	uuid := decode(t, created.stdout)["uuid"].(string)

	r := cli(t, srvArgs(srv, "delete", uuid)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "{}\n", r.stdout)
	require.Empty(t, stored(t, srv))

	r = cli(t, srvArgs(srv, "--retries", "0", "delete", uuid)...)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "404")
	r = cli(t, srvArgs(srv, "get", uuid)...)
	require.Equal(t, 1, r.code)
}

func TestListPagesFiltersAndAll(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	client := testClient(t, srv)
	ctx := context.Background()
	want := map[string]bool{}
	for i := range 7 {
		in := wrapper.NewOpportunity(seedCustomer, "test1@example.org", "New Business", "Discovery",
			"2024-04-2"+string(rune('1'+i)), "USD", int64(1000+i))
		if i%2 == 1 {
			in.PipelineStage = "Proposal"
		}
		o, err := client.Create(ctx, in)
		require.NoError(t, err)
		want[o.UUID] = true
	}
	_, err := client.Create(ctx, wrapper.NewOpportunity(otherCustomer, "test2@example.org", "Expansion", "Discovery", "2025-01-01", "EUR", 1))
	require.NoError(t, err)

	// One page: the API's page object.
	r := cli(t, srvArgs(srv, "list", "--customer-uuid", seedCustomer, "--per-page", "3")...)
	require.Equal(t, 0, r.code, r.stderr)
	var page struct {
		Entries []map[string]any `json:"entries"`
		Cursor  string           `json:"cursor"`
		HasMore bool             `json:"has_more"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &page))
	require.Len(t, page.Entries, 3)
	require.True(t, page.HasMore)
	require.NotEmpty(t, page.Cursor)
	require.Regexp(t, apiTimestamp, page.Entries[0]["created_at"])
	require.Contains(t, r.stdout, `"has_more":true`)

	// The next page, by cursor.
	r = cli(t, srvArgs(srv, "list", "--customer-uuid", seedCustomer, "--per-page", "3", "--cursor", page.Cursor)...)
	require.Equal(t, 0, r.code, r.stderr)
	var next struct {
		Entries []map[string]any `json:"entries"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &next))
	require.Len(t, next.Entries, 3)
	require.NotEqual(t, page.Entries[0]["uuid"], next.Entries[0]["uuid"])

	// Every page, as JSON Lines.
	before := srv.Requests(chartmogultest.OpList)
	r = cli(t, srvArgs(srv, "list", "--customer-uuid", seedCustomer, "--per-page", "3", "--all")...)
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 7)
	got := map[string]bool{}
	for _, l := range lines {
		m := decode(t, l)
		require.Equal(t, seedCustomer, m["customer_uuid"])
		got[m["uuid"].(string)] = true
	}
	require.Equal(t, want, got)
	require.Equal(t, 3, srv.Requests(chartmogultest.OpList)-before, "7 rows at 3 per page")

	// The other filters.
	count := func(args ...string) int {
		r := cli(t, srvArgs(srv, append([]string{"list", "--all"}, args...)...)...)
		require.Equal(t, 0, r.code, r.stderr)
		return strings.Count(r.stdout, "\n")
	}
	require.Equal(t, 8, count())
	require.Equal(t, 3, count("--stage", "Proposal"))
	require.Equal(t, 1, count("--owner", "test2@example.org"))
	require.Equal(t, 1, count("--pipeline", "Expansion"))
	require.Equal(t, 3, count("--close-date-on-or-after", "2024-04-23", "--close-date-on-or-before", "2024-04-25"))
	require.Equal(t, 0, count("--customer-uuid", "cus_00000000-0000-0000-0000-000000000000"))
}

func TestFakeNeedsNoKey(t *testing.T) {
	t.Parallel()
	r := cliWith(t, runOpts{stdin: seedBody}, "--fake", "create", "--file", "-")
	require.Equal(t, 0, r.code, r.stderr)
	requireSeedOutput(t, r.stdout)

	r = cli(t, "--fake", "get", "00000000-0000-0000-0000-000000000000")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "Opportunity not found")
}

// The embedded fake starts with the opportunity recorded in the API's
// documentation and the result on the create call's page.
const (
	fakeRecorded = `{"uuid":"bb544336-e74e-11ee-800c-effc264f19ed","customer_uuid":"cus_bb167600-e74e-11ee-93bd-8f1e5b698784",
		"owner":"kamil+pavlicko@chartmogul.com","pipeline":"New Business","pipeline_stage":"Discovery",
		"estimated_close_date":"2023-12-22","currency":"USD","amount_in_cents":100,"type":"recurring",
		"forecast_category":"best_case","win_likelihood":3,"custom":{"from_campaign":true},
		"created_at":"2024-03-21T06:46:23.137Z","updated_at":"2024-03-21T06:46:23.137Z"}`
	fakeSeedResult = `{"uuid":"4ee13ca4-e7fe-11ee-fa7f-f303abf41acc","customer_uuid":"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7",
		"owner":"test1@example.org","pipeline":"New Business","pipeline_stage":"Discovery",
		"estimated_close_date":"2024-04-21","currency":"USD","amount_in_cents":10000,"type":"recurring",
		"forecast_category":"best_case","win_likelihood":40,"custom":{"seats":3,"marketing_campaign":"Facebook"},
		"created_at":"2024-03-20T09:55:50.156Z","updated_at":"2024-03-20T09:55:50.156Z"}`
)

func TestFakeIsSeeded(t *testing.T) {
	t.Parallel()
	r := cli(t, "--fake", "get", "bb544336-e74e-11ee-800c-effc264f19ed")
	require.Equal(t, 0, r.code, r.stderr)
	require.JSONEq(t, fakeRecorded, r.stdout)

	r = cli(t, "--fake", "get", "4ee13ca4-e7fe-11ee-fa7f-f303abf41acc")
	require.Equal(t, 0, r.code, r.stderr)
	require.JSONEq(t, fakeSeedResult, r.stdout)

	r = cli(t, "list", "--fake", "--all")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 2)
	require.JSONEq(t, fakeRecorded, lines[0], "newest first")
	require.JSONEq(t, fakeSeedResult, lines[1])

	r = cli(t, "--fake", "delete", "bb544336-e74e-11ee-800c-effc264f19ed")
	require.Equal(t, 0, r.code, r.stderr)
	r = cli(t, "--fake", "get", "bb544336-e74e-11ee-800c-effc264f19ed")
	require.Equal(t, 0, r.code, "each command starts a fresh fake: %s", r.stderr)

	r = cli(t, "--fake", "help")
	require.Contains(t, r.stdout, "bb544336-e74e-11ee-800c-effc264f19ed", "--fake's help names what it holds")
}

// TestHelpExamplesRunAsWritten runs every line under an Examples heading of
// every --help, as written, through a shell whose PATH has the binary, in a
// fresh copy of the repository's examples/ (so that no example depends on
// another) with TMPDIR a temporary directory.
func TestHelpExamplesRunAsWritten(t *testing.T) {
	t.Parallel()
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	n := 0
	for name, text := range helpExamples(t) {
		if serverExamples[name] {
			continue // they need a server of their own: see TestFakeServerHelpExamples and TestVerifyHelpExamples
		}
		for _, ex := range exampleLines(text) {
			if strings.HasPrefix(ex, "export ") {
				continue
			}
			n++
			dir := t.TempDir()
			require.NoError(t, os.CopyFS(filepath.Join(dir, "examples"), os.DirFS(filepath.Join(repo, "examples"))))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			cmd := exec.CommandContext(ctx, "sh", "-c", ex)
			cmd.Dir = dir
			cmd.Env = cleanEnv([]string{"PATH=" + filepath.Dir(binary) + string(os.PathListSeparator) + os.Getenv("PATH"), "TMPDIR=" + t.TempDir()})
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			cancel()
			require.NoError(t, err, "%s example %q: %s", name, ex, stderr.String())
			require.NotEmpty(t, stdout.String(), "%s example %q", name, ex)
			requireNoRace(t, stderr.String())
		}
	}
	require.Greater(t, n, 20)
}

// helpExamples are the Examples sections of every command's --help, by
// command ("" for the root), as the binary prints them.
func helpExamples(t *testing.T) map[string]string {
	t.Helper()
	sets := map[string]string{}
	for _, name := range append([]string{""}, commandNames()...) {
		args := []string{"--help"}
		if name != "" {
			args = []string{name, "--help"}
		}
		r := cli(t, args...)
		require.Equal(t, 0, r.code, r.stderr)
		_, ex, ok := strings.Cut(r.stdout, "\nExamples:\n")
		require.True(t, ok, "%q has examples", name)
		ex, _, _ = strings.Cut(ex, "\n\n")
		sets[name] = ex
	}
	return sets
}

// exampleLines splits an Examples section into commands, joining lines
// continued with a backslash.
func exampleLines(text string) []string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\\\n", " "), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// commandNames are the commands of the tree (cobra's completion aside).
func commandNames() []string {
	var names []string
	for _, c := range newRoot(&env{ios: &iostreams.IO{}, getenv: os.Getenv}).Commands() {
		if c.Name() != "completion" {
			names = append(names, c.Name())
		}
	}
	return names
}

func TestHelpForEveryCommand(t *testing.T) {
	t.Parallel()
	const secret = "sk_env_d0_n0t_pr1nt_8841"
	env := runOpts{env: []string{"CHARTMOGUL_API_KEY=" + secret}}
	for _, name := range commandNames() {
		for _, args := range [][]string{{name, "--help"}, {name, "-h"}, {"help", name}, {"--api-key", secret, name, "--help"}, {name, "-help"}} {
			r := cliWith(t, env, args...)
			require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
			require.Contains(t, r.stdout, "Usage:")
			require.Contains(t, r.stdout, "opportunities "+name)
			require.Contains(t, r.stdout, "Examples:\n  opportunities ")
			require.Contains(t, r.stdout, "$CHARTMOGUL_API_KEY")
			require.NotContains(t, r.stdout+r.stderr, secret)
		}
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		r := cliWith(t, env, args...)
		require.Equal(t, 0, r.code)
		for _, name := range commandNames() {
			require.Contains(t, r.stdout, "\n  "+name+" ")
		}
		require.Contains(t, r.stdout, "Examples:")
		require.NotContains(t, r.stdout, secret)
	}
}

func TestAPIKeyIsNeverPrinted(t *testing.T) {
	t.Parallel()
	const key = "sk_live_Zq8vK3mP0sEcReT_7731"
	const wrongKey = "sk_live_WrOnGkEy_4412_x"
	srv := chartmogultest.NewServer(t, chartmogultest.WithAPIKey(key))
	seed := writeFile(t, "seed.json", seedBody)
	jsonl := writeFile(t, "rows.jsonl", strings.ReplaceAll(seedBody, "\n", "")+"\n{\"owner\": 1}\n")

	var out strings.Builder
	record := func(r result) result {
		out.WriteString(r.stdout)
		out.WriteString(r.stderr)
		return r
	}
	created := record(cli(t, srvArgs(srv, "create", "--file", seed)...))
	require.Equal(t, 0, created.code, created.stderr)
	uuid := decode(t, created.stdout)["uuid"].(string)
	record(cli(t, srvArgs(srv, "get", uuid)...))
	record(cli(t, srvArgs(srv, "list", "--all")...))
	record(cli(t, srvArgs(srv, "update", uuid, "--win-likelihood", "500")...))
	// A key pasted into a field: the validation message quotes the value.
	r := record(cli(t, srvArgs(srv, "update", uuid, "--owner", key)...))
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `owner (--owner): must be an e-mail address (format email), got "[redacted]"`)
	require.Equal(t, 1, record(cli(t, srvArgs(srv, "get", missingUUID)...)).code)
	require.Equal(t, 2, record(cli(t, srvArgs(srv, "import", jsonl)...)).code)
	require.Equal(t, 2, record(cli(t, srvArgs(srv, "bogus")...)).code)
	require.Equal(t, 0, record(cli(t, srvArgs(srv, "create", "--help")...)).code)
	r = record(cli(t, "--base-url", srv.URL(), "--api-key", wrongKey, "--retries", "0", "get", uuid))
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "401")
	r = record(cliWith(t, runOpts{env: []string{"CHARTMOGUL_API_KEY=" + key, "CHARTMOGUL_BASE_URL=" + srv.URL()}}, "delete", uuid))
	require.Equal(t, 0, r.code, r.stderr)
	record(cli(t, "--base-url", "http://"+key+"@127.0.0.1:1/v1", "--api-key", key, "list"))
	r = record(cli(t, "--base-url", "ftp://"+key+"@127.0.0.1/v1?x#"+key, "--api-key", key, "list"))
	require.Equal(t, 2, r.code)

	require.NotContains(t, out.String(), key)
	require.NotContains(t, out.String(), wrongKey)
}
