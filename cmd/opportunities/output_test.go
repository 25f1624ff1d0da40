package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/internal/iostreams"
)

// The output of get, list and delete, byte for byte, from a server that
// returns awkward data: these pin what a rewrite of output.go or list.go
// must keep.

// outputKey is long enough for data on stdout to be redacted (minDataKey).
const outputKey = "sk_test_output_0123"

// awkwardOpportunity has text a terminal would act on, characters JSON
// could escape, the key, custom values of every kind, an unlisted type and
// no forecast.
const awkwardOpportunity = `{"uuid":"bb544336-e74e-11ee-800c-effc264f19ed","customer_uuid":"cus_bb167600-e74e-11ee-93bd-8f1e5b698784",` +
	`"owner":"a@example.org","pipeline":"<New> & \"Old\"\t\u001b[2J \u009b31m \u2028 \u202e ` + outputKey + ` ✓",` +
	`"pipeline_stage":"Discovery","estimated_close_date":"2024-04-21","currency":"EUR","amount_in_cents":-12345,` +
	`"type":"barter","forecast_category":null,"win_likelihood":0,` +
	`"custom":{"b":1.5,"a":"x\ty","n":null,"obj":{"k":[1,"two"]},"big":9007199254740993,"k\u001b":true,"` + outputKey + `":"s"},` +
	`"created_at":"2024-03-21T07:46:23.1+01:00","updated_at":"2024-03-21T06:46:23.137Z","extra":"ignored"}`

// plainOpportunity is an ordinary one.
const plainOpportunity = `{"uuid":"0b7d2f5e-1c7a-11ef-9f2a-3b1f4c1d2e3f","customer_uuid":"cus_bb167600-e74e-11ee-93bd-8f1e5b698784",` +
	`"owner":"b@example.org","pipeline":"New Business","pipeline_stage":"Won","estimated_close_date":"2024-05-01",` +
	`"currency":"USD","amount_in_cents":5,"type":"recurring","forecast_category":"won","win_likelihood":100,` +
	`"custom":{},"created_at":"2024-03-21T06:46:23.137Z","updated_at":"2024-03-21T06:46:23.137Z"}`

// outputServer answers get, delete and list: by the list's pipeline filter
// and cursor, a page with more, the last page, an empty page, or a failure
// on the second page.
func outputServer(t *testing.T) string {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/opportunities/{uuid}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, awkwardOpportunity)
	})
	mux.HandleFunc("DELETE /v1/opportunities/{uuid}", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/opportunities", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case q.Get("pipeline") == "None":
			fmt.Fprint(w, `{"entries":[],"has_more":false}`)
		case q.Get("cursor") == "":
			fmt.Fprint(w, `{"entries":[`+awkwardOpportunity+`,`+plainOpportunity+`],"cursor":"c1<&>`+outputKey+`","has_more":true}`)
		case q.Get("pipeline") == "Failing":
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"message":"the second page failed"}`)
		default:
			fmt.Fprint(w, `{"entries":[`+plainOpportunity+`],"has_more":false}`)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// runOutput runs the command in-process, stdout a terminal or not.
func runOutput(tty bool, stdout *bytes.Buffer, args ...string) (int, string) {
	var stderr bytes.Buffer
	e := &env{ios: &iostreams.IO{In: strings.NewReader(""), Out: stdout, Err: &stderr, OutTTY: tty}, getenv: func(string) string { return "" }}
	return run(e, args), stderr.String()
}

func TestOutputIsAsBefore(t *testing.T) {
	t.Parallel()
	base := []string{"--base-url", outputServer(t), "--api-key", outputKey, "--retries", "0"}
	const uuid = "bb544336-e74e-11ee-800c-effc264f19ed"
	for _, c := range []struct {
		name   string
		tty    bool
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"get json", false, []string{"get", uuid}, 0, outGetJSON, ""},
		{"get block", true, []string{"get", uuid}, 0, outGetBlock, ""},
		{"get block asked", false, []string{"get", uuid, "-o", "table"}, 0, outGetBlock, ""},
		{"list json", false, []string{"list"}, 0, outListJSON, ""},
		{"list json asked", true, []string{"list", "--output", "json"}, 0, outListJSON, ""},
		{"list table", true, []string{"list"}, 0, outListTable, ""},
		{"list empty json", false, []string{"list", "--pipeline", "None"}, 0, outEmptyJSON, ""},
		{"list empty table", true, []string{"list", "--pipeline", "None"}, 0, outEmptyTable, ""},
		{"list last page", false, []string{"list", "--cursor", "c2"}, 0, outLastJSON, ""},
		{"list last page table", true, []string{"list", "--cursor", "c2"}, 0, outLastTable, ""},
		{"all json", false, []string{"list", "--all"}, 0, outAllJSON, ""},
		{"all table", true, []string{"list", "--all"}, 0, outAllTable, ""},
		{"all empty json", false, []string{"list", "--all", "--pipeline", "None"}, 0, "", ""},
		{"all empty table", true, []string{"list", "--all", "--pipeline", "None"}, 0, outEmptyTable, ""},
		{"all failing json", false, []string{"list", "--all", "--pipeline", "Failing"}, 1, outFailingJSON, outFailingErr},
		{"all failing table", true, []string{"list", "--all", "--pipeline", "Failing"}, 1, outFailingTable, outFailingErr},
		{"delete json", false, []string{"delete", uuid}, 0, "{}\n", ""},
		{"delete text", true, []string{"delete", uuid}, 0, "Deleted " + uuid + "\n", ""},
	} {
		var stdout bytes.Buffer
		code, stderr := runOutput(c.tty, &stdout, append(base, c.args...)...)
		require.Equal(t, c.code, code, "%s: %s", c.name, stderr)
		require.Equal(t, c.stdout, stdout.String(), c.name)
		require.Equal(t, c.stderr, stderr, c.name)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// A failure to write stdout is reported once, as before: wrapped for one
// value, as it is for every opportunity of --all.
func TestOutputWriteFailures(t *testing.T) {
	t.Parallel()
	base := []string{"--base-url", outputServer(t), "--api-key", outputKey, "--retries", "0"}
	for _, c := range []struct {
		args []string
		tty  bool
		want string
	}{
		{[]string{"get", "bb544336-e74e-11ee-800c-effc264f19ed"}, false, "opportunities get: writing the output: disk full\n"},
		{[]string{"get", "bb544336-e74e-11ee-800c-effc264f19ed"}, true, "opportunities get: writing the output: disk full\n"},
		{[]string{"list"}, false, "opportunities list: writing the output: disk full\n"},
		{[]string{"list"}, true, "opportunities list: writing the output: disk full\n"},
		{[]string{"list", "--all"}, false, "opportunities list: disk full\n"},
		{[]string{"list", "--all"}, true, "opportunities list: disk full\n"},
		{[]string{"list", "--all", "--pipeline", "Failing"}, true, "opportunities list: disk full\n"},
	} {
		var stderr bytes.Buffer
		e := &env{ios: &iostreams.IO{In: strings.NewReader(""), Out: failingWriter{}, Err: &stderr, OutTTY: c.tty}, getenv: func(string) string { return "" }}
		code := run(e, append(base, c.args...))
		require.Equal(t, 1, code, "%v: %s", c.args, stderr.String())
		require.Equal(t, c.want, stderr.String(), c.args)
	}
}

// An import whose outcomes cannot be written on stdout says so and fails,
// --check too; the rows are created all the same (the journal has them).
func TestImportFailsWhenStdoutCannotBeWritten(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--journal", filepath.Join(t.TempDir(), "j")}, {"--check"}} {
		var stderr bytes.Buffer
		e := &env{ios: &iostreams.IO{In: strings.NewReader(""), Out: failingWriter{}, Err: &stderr}, getenv: func(string) string { return "" }}
		code := run(e, append(append([]string{"--fake", "import"}, args...), "../../examples/deals.csv"))
		require.Equal(t, exitError, code, "%v: %s", args, stderr.String())
		require.Contains(t, stderr.String(), "opportunities import: writing the outcomes on stdout: disk full\n", args)
	}
}

// Every problem with list's filters is named with its flag, in the spec's
// order, before the output format, the key or the server are looked at;
// --per-page 0 is refused only when given.
func TestListFiltersAreCheckedFirst(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	code, stderr := runOutput(false, &stdout, "list", "--output", "xml", "--customer-uuid", "cus_1", "--owner", "nobody",
		"--pipeline", "", "--stage", "", "--close-date-on-or-after", "2024-1-1", "--close-date-on-or-before", "tomorrow",
		"--per-page", "0", "--cursor", "c")
	require.Equal(t, 2, code)
	require.Empty(t, stdout.String())
	require.Equal(t, "opportunities list: invalid input, nothing was sent:\n"+
		"  customer_uuid (--customer-uuid): must match the pattern ^cus_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$, got \"cus_1\"\n"+
		"  owner (--owner): must be an e-mail address (format email), got \"nobody\"\n"+
		"  estimated_close_date_on_or_after (--close-date-on-or-after): must be a date as YYYY-MM-DD (format date), got \"2024-1-1\"\n"+
		"  estimated_close_date_on_or_before (--close-date-on-or-before): must be a date as YYYY-MM-DD (format date), got \"tomorrow\"\n"+
		"  per_page (--per-page): must be at least 1 (minimum), got 0\n", stderr)

	code, stderr = runOutput(true, &stdout, "--fake", "list", "--all", "--per-page", "-3")
	require.Equal(t, 2, code)
	require.Empty(t, stdout.String(), "not even a table's header")
	require.Equal(t, "opportunities list: invalid input, nothing was sent:\n"+
		"  per_page (--per-page): must be at least 1 (minimum), got -3\n", stderr)

	code, stderr = runOutput(false, &stdout, "--fake", "list", "--per-page", "0", "--output", "xml")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "per_page (--per-page)")
	require.NotContains(t, stderr, "--output must be")

	code, stderr = runOutput(false, &stdout, "--fake", "list", "--output", "xml")
	require.Equal(t, 2, code)
	require.Equal(t, "opportunities list: --output must be json or table, got \"xml\"\nRun 'opportunities list --help' for usage.\n", stderr)

	code, stderr = runOutput(false, &stdout, "--fake", "list", "--per-page", "1")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout.String(), `"has_more":true`, "--per-page given is sent")
}

// What the commands printed before output.go and list.go were slimmed, kept
// byte for byte (but U+202E, now \u escaped in JSON too).
const (
	awkwardJSON = `{"uuid":"bb544336-e74e-11ee-800c-effc264f19ed","customer_uuid":"cus_bb167600-e74e-11ee-93bd-8f1e5b698784",` +
		`"owner":"a@example.org","pipeline":"<New> & \"Old\"\t\u001b[2J \u009b31m \u2028 \u202e [redacted] ✓",` + // the bidi control escaped like the others
		`"pipeline_stage":"Discovery","estimated_close_date":"2024-04-21","currency":"EUR","amount_in_cents":-12345,` +
		`"type":"barter","forecast_category":null,"win_likelihood":0,` +
		`"custom":{"a":"x\ty","b":1.5,"big":9007199254740993,"k\u001b":true,"n":null,"obj":{"k":[1,"two"]},"[redacted]":"s"},` +
		`"created_at":"2024-03-21T06:46:23.100Z","updated_at":"2024-03-21T06:46:23.137Z"}`
	plainJSON = `{"uuid":"0b7d2f5e-1c7a-11ef-9f2a-3b1f4c1d2e3f","customer_uuid":"cus_bb167600-e74e-11ee-93bd-8f1e5b698784",` +
		`"owner":"b@example.org","pipeline":"New Business","pipeline_stage":"Won","estimated_close_date":"2024-05-01",` +
		`"currency":"USD","amount_in_cents":5,"type":"recurring","forecast_category":"won","win_likelihood":100,` +
		`"custom":{},"created_at":"2024-03-21T06:46:23.137Z","updated_at":"2024-03-21T06:46:23.137Z"}`

	outGetJSON  = awkwardJSON + "\n"
	outGetBlock = `uuid:                 bb544336-e74e-11ee-800c-effc264f19ed
customer_uuid:        cus_bb167600-e74e-11ee-93bd-8f1e5b698784
owner:                a@example.org
pipeline:             <New> & "Old"\t\x1b[2J \u009b31m \u2028 \u202e [redacted] ✓
pipeline_stage:       Discovery
estimated_close_date: 2024-04-21
currency:             EUR
amount_in_cents:      -12345
type:                 barter
forecast_category:    -
win_likelihood:       0
custom.a:             x\ty
custom.b:             1.5
custom.big:           9007199254740993
custom.k\x1b:         true
custom.n:             -
custom.obj:           {"k":[1,"two"]}
custom.[redacted]:    s
created_at:           2024-03-21T06:46:23.100Z
updated_at:           2024-03-21T06:46:23.137Z
`
	outListJSON   = `{"entries":[` + awkwardJSON + `,` + plainJSON + `],"cursor":"c1<&>[redacted]","has_more":true}` + "\n"
	outEmptyJSON  = `{"entries":[],"cursor":"","has_more":false}` + "\n"
	outLastJSON   = `{"entries":[` + plainJSON + `],"cursor":"","has_more":false}` + "\n"
	outAllJSON    = awkwardJSON + "\n" + plainJSON + "\n" + plainJSON + "\n"
	outEmptyTable = "UUID  CUSTOMER  PIPELINE / STAGE  AMOUNT  CLOSE DATE  FORECAST  WIN %\n(no opportunities)\n"
	outLastTable  = `UUID                                  CUSTOMER                                  PIPELINE / STAGE    AMOUNT    CLOSE DATE  FORECAST  WIN %
0b7d2f5e-1c7a-11ef-9f2a-3b1f4c1d2e3f  cus_bb167600-e74e-11ee-93bd-8f1e5b698784  New Business / Won  0.05 USD  2024-05-01  won       100
`
	tableHead = `UUID                                  CUSTOMER                                  PIPELINE / STAGE                                                         AMOUNT       CLOSE DATE  FORECAST  WIN %
bb544336-e74e-11ee-800c-effc264f19ed  cus_bb167600-e74e-11ee-93bd-8f1e5b698784  <New> & "Old"\t\x1b[2J \u009b31m \u2028 \u202e [redacted] ✓ / Discovery  -123.45 EUR  2024-04-21  -         0
`
	tablePlainRow   = "0b7d2f5e-1c7a-11ef-9f2a-3b1f4c1d2e3f  cus_bb167600-e74e-11ee-93bd-8f1e5b698784  New Business / Won                                                       0.05 USD     2024-05-01  won       100\n"
	outListTable    = tableHead + tablePlainRow + "\nMore: --cursor c1<&>[redacted]\n"
	outAllTable     = tableHead + tablePlainRow + tablePlainRow
	outFailingJSON  = awkwardJSON + "\n" + plainJSON + "\n"
	outFailingTable = tableHead + tablePlainRow
	outFailingErr   = "opportunities list: chartmogul: GET /v1/opportunities: 500 Internal Server Error: the second page failed\n"
)

// Under --fake no server sees the key, so data on stdout is printed as it
// is even when the key in the environment happens to be a value of it.
func TestFakeDataIsNotRedactedForAnUnseenKey(t *testing.T) {
	r := cliWith(t, runOpts{env: []string{"CHARTMOGUL_API_KEY=Discovery"}}, "--fake", "get", fakeSeedUUID, "-o", "json")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Contains(t, r.stdout, `"pipeline_stage":"Discovery"`)
}
