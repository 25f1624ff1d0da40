package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/bulk"
	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

// rowAmount is row i's amount: unique, so that the fake's store tells which
// rows were created and how often.
func rowAmount(i int) int64 { return int64(100000 + i) }

// jsonlRow is row i of a JSON Lines import: two customers in turn, a custom
// attribute, win likelihood on odd rows.
func jsonlRow(i int) string {
	cus := seedCustomer
	if i%2 == 0 {
		cus = otherCustomer
	}
	win := ""
	if i%2 == 1 {
		win = fmt.Sprintf(`,"win_likelihood":%d`, i%101)
	}
	return fmt.Sprintf(`{"customer_uuid":%q,"owner":"test1@example.org","pipeline":"New Business","pipeline_stage":"Discovery",`+
		`"estimated_close_date":"2024-04-21","currency":"USD","amount_in_cents":%d,"type":"recurring"%s,`+
		`"custom":[{"key":"row","value":%d},{"key":"source","value":"import"}]}`, cus, rowAmount(i), win, i)
}

// jsonlFile writes rows 1..n, one per line, and returns the file's path.
func jsonlFile(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(jsonlRow(i))
		b.WriteByte('\n')
	}
	return writeFile(t, "rows.jsonl", b.String())
}

// requireEachRowOnce checks that the fake holds exactly one opportunity per
// row 1..n (by amount), ignoring the UUIDs in except.
func requireEachRowOnce(t *testing.T, srv *chartmogultest.Server, n int, except ...string) {
	t.Helper()
	counts := map[int64]int{}
	for _, o := range stored(t, srv) {
		if !contains(except, o.UUID) {
			counts[o.AmountInCents]++
		}
	}
	want := map[int64]int{}
	for i := 1; i <= n; i++ {
		want[rowAmount(i)] = 1
	}
	require.Equal(t, want, counts, "one opportunity per row")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// journalEntry is a journal record as the tests read it.
// headerCoversLastRecord reports whether the journal's header names its last
// record (last_seq), which it is updated to after each record is written.
func headerCoversLastRecord(t *testing.T, path string) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var header struct {
		LastSeq string `json:"last_seq"`
	}
	var last struct {
		Seq int `json:"seq"`
	}
	if len(lines) < 2 || json.Unmarshal([]byte(lines[0]), &header) != nil || json.Unmarshal([]byte(lines[len(lines)-1]), &last) != nil {
		return false
	}
	n, err := strconv.Atoi(header.LastSeq)
	return err == nil && n == last.Seq
}

type journalEntry struct {
	Line           int      `json:"line"`
	State          string   `json:"state"`
	At             string   `json:"at"`
	Hash           string   `json:"row_sha256"`
	UUID           string   `json:"uuid"`
	Error          string   `json:"error"`
	OutcomeUnknown bool     `json:"outcome_unknown"`
	Reconciled     bool     `json:"reconciled"`
	Invalid        bool     `json:"invalid"`
	Problems       []string `json:"problems"`
}

const (
	stateSending = bulk.StateSending
	stateCreated = bulk.StateCreated
	stateFailed  = bulk.StateFailed
)

// readJournal parses a journal file's records (not its header).
func readJournal(t *testing.T, path string) []journalEntry {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var out []journalEntry
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if l == "" {
			continue
		}
		var e journalEntry
		if json.Unmarshal([]byte(l), &e) != nil || e.State == "" || e.Line == 0 {
			continue // the header, or a line being written
		}
		out = append(out, e)
	}
	return out
}

// countStates counts journal entries per state.
func countStates(entries []journalEntry) map[string]int {
	n := map[string]int{}
	for _, e := range entries {
		n[e.State]++
	}
	return n
}

var summaryRE = regexp.MustCompile(`summary: total (\d+), created (\d+), skipped (\d+), reconciled (\d+), failed (\d+), invalid (\d+), not sent (\d+), elapsed \S+, rate [0-9.]+ rows/s`)

// summary parses the summary line of an import's stderr.
func summary(t *testing.T, stderr string) map[string]int {
	t.Helper()
	m := summaryRE.FindStringSubmatch(stderr)
	require.NotNil(t, m, "no summary in:\n%s", stderr)
	out := map[string]int{}
	for i, k := range []string{"total", "created", "skipped", "reconciled", "failed", "invalid", "not sent"} {
		out[k], _ = strconv.Atoi(m[i+1])
	}
	return out
}

func TestImportJSONLAndJournal(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	content := jsonlRow(1) + "\n\n" + jsonlRow(2) + "\n" + jsonlRow(3) + "\n" + jsonlRow(4) // blank line 2, no final newline
	file := writeFile(t, "deals.jsonl", content)

	r := cli(t, srvArgs(srv, "import", "--progress-interval", "0", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	// stdout: one JSON line per row, then the summary.
	out := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, out, 5, r.stdout)
	lines := map[int]string{}
	for _, l := range out[:4] {
		var o struct {
			Line  int    `json:"line"`
			State string `json:"state"`
			UUID  string `json:"uuid"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &o))
		require.Equal(t, "created", o.State)
		require.NotEmpty(t, o.UUID)
		lines[o.Line] = o.UUID
	}
	require.Len(t, lines, 4)
	require.JSONEq(t, `{"summary":{"total":4,"created":4,"skipped":0,"reconciled":0,"failed":0,"invalid":0,"not_sent":0,"needs_review":0,"may_exist":0}}`, out[4])
	require.Equal(t, map[string]int{"total": 4, "created": 4, "skipped": 0, "reconciled": 0, "failed": 0, "invalid": 0, "not sent": 0}, summary(t, r.stderr))
	require.Contains(t, r.stderr, "progress: 4/4 rows (100%)")
	requireEachRowOnce(t, srv, 4)
	require.Equal(t, 4, srv.Applied(chartmogultest.OpCreate))

	// The fields went through: custom typed, win likelihood only where given.
	byAmount := map[int64]storedOpp{}
	for _, o := range stored(t, srv) {
		byAmount[o.AmountInCents] = o
	}
	require.Equal(t, otherCustomer, byAmount[rowAmount(2)].CustomerUUID)
	require.Nil(t, byAmount[rowAmount(2)].WinLikelihood)
	require.Equal(t, 1, *byAmount[rowAmount(1)].WinLikelihood)
	require.JSONEq(t, `3`, string(byAmount[rowAmount(3)].Custom["row"]))
	require.JSONEq(t, `"import"`, string(byAmount[rowAmount(3)].Custom["source"]))

	// The journal: per row, "sending" (timestamped) then "created" with the UUID.
	uuidByLine := map[int]string{}
	sentAt := map[int]time.Time{}
	for _, e := range readJournal(t, file+".journal") {
		switch e.State {
		case stateSending:
			require.NotContains(t, uuidByLine, e.Line, "sending after created")
			at, err := time.Parse(time.RFC3339Nano, e.At)
			require.NoError(t, err)
			sentAt[e.Line] = at
			require.Len(t, e.Hash, 16)
		case stateCreated:
			require.Contains(t, sentAt, e.Line, "created before sending")
			uuidByLine[e.Line] = e.UUID
		default:
			t.Fatalf("unexpected entry %+v", e)
		}
	}
	require.Len(t, sentAt, 4)
	require.Len(t, uuidByLine, 4)
	lineOf := map[int64]int{rowAmount(1): 1, rowAmount(2): 3, rowAmount(3): 4, rowAmount(4): 5}
	for _, o := range stored(t, srv) {
		require.Equal(t, o.UUID, uuidByLine[lineOf[o.AmountInCents]])
	}

	// Running it again without --resume is refused; with --resume it skips all.
	r = cli(t, srvArgs(srv, "import", file)...)
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "already exists")
	r = cli(t, srvArgs(srv, "import", "--resume", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 4, summary(t, r.stderr)["skipped"])
	require.Equal(t, 4, srv.Requests(chartmogultest.OpCreate))

	// --resume needs a journal.
	r = cli(t, srvArgs(srv, "import", "--resume", writeFile(t, "other.jsonl", jsonlRow(9)+"\n"))...)
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "no journal")

	// A created row that changed since is refused rather than skipped.
	require.NoError(t, os.WriteFile(file, []byte(strings.Replace(content, `"owner":"test1@example.org"`, `"owner":"test9@example.org"`, 1)), 0o644))
	r = cli(t, srvArgs(srv, "import", "--resume", file)...)
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "line 1 changed since it was created as "+uuidByLine[1])
	require.Equal(t, 4, srv.Requests(chartmogultest.OpCreate))
}

func TestImportCSV(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	csv := "\ufeffcustomer_uuid,owner,pipeline,pipeline_stage,estimated_close_date,currency,amount_in_cents,type,forecast_category,win_likelihood,custom.seats,custom.zip:,custom.vip,custom.note\n" +
		seedCustomer + ",test1@example.org,New Business,Discovery,2024-04-21,USD,100001,recurring,best_case,40,3,02134,true,\"Hello, world\"\n" +
		otherCustomer + ",test2@example.org,Expansion,Proposal,2024-05-01,EUR,100002,,,0,,00501,false,\n" +
		seedCustomer + ",test1@example.org,New Business,\"Multi\nline\",2024-06-01,GBP,100003,one-time,,,12.5,,,\n"
	file := writeFile(t, "deals.csv", csv)

	r := cli(t, srvArgs(srv, "import", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 3, summary(t, r.stderr)["created"])
	requireEachRowOnce(t, srv, 3)

	byAmount := map[int64]storedOpp{}
	for _, o := range stored(t, srv) {
		byAmount[o.AmountInCents] = o
	}
	first := byAmount[100001]
	require.Equal(t, "best_case", *first.ForecastCategory)
	require.Equal(t, 40, *first.WinLikelihood)
	require.JSONEq(t, `{"seats":3,"zip":"02134","vip":true,"note":"Hello, world"}`, mustJSON(t, first.Custom))

	second := byAmount[100002]
	require.Equal(t, 0, *second.WinLikelihood, "an explicit 0 is sent")
	require.True(t, second.Type == nil || *second.Type == "", "an empty cell is not sent")
	require.JSONEq(t, `{"zip":"00501","vip":false}`, mustJSON(t, second.Custom), "empty cells are absent attributes")

	third := byAmount[100003]
	require.Equal(t, "Multi\nline", third.PipelineStage)
	require.Nil(t, third.WinLikelihood)
	require.JSONEq(t, `{"seats":12.5}`, mustJSON(t, third.Custom))

	// Line numbers count the physical lines of multi-line cells.
	bad := "customer_uuid,owner,pipeline,pipeline_stage,estimated_close_date,currency,amount_in_cents,win_likelihood\n" +
		seedCustomer + ",test1@example.org,P,\"two\nlines\",2024-04-21,USD,1,0\n" +
		seedCustomer + ",test1@example.org,P,S,2024-04-21,USD,ten,101\n" +
		seedCustomer + ",test1@example.org,P,S\n"
	r = cli(t, srvArgs(srv, "import", writeFile(t, "bad.csv", bad))...)
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `line 4: amount_in_cents: must be an integer, got "ten"`)
	require.Contains(t, r.stderr, "line 4: win_likelihood: must be between 0 and 100 (minimum, maximum), got 101")
	require.Contains(t, r.stderr, "line 5: has 4 fields, the header has 8")
	require.Equal(t, 3, srv.Requests(chartmogultest.OpCreate))

	// From stdin, with a journal named: --resume=JOURNAL continues it.
	journal := filepath.Join(t.TempDir(), "stdin.journal")
	one := "customer_uuid,owner,pipeline,pipeline_stage,estimated_close_date,currency,amount_in_cents\n" +
		seedCustomer + ",test1@example.org,P,S,2024-04-21,USD,100004\n"
	r = cliWith(t, runOpts{stdin: one}, srvArgs(srv, "import", "--format", "csv", "--journal", journal, "-")...)
	require.Equal(t, 0, r.code, r.stderr)
	r = cliWith(t, runOpts{stdin: one}, srvArgs(srv, "import", "--format", "csv", "--resume="+journal, "-")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 1, summary(t, r.stderr)["skipped"])
	requireEachRowOnce(t, srv, 4)
	// --check reads stdin with no journal: it writes none.
	r = cliWith(t, runOpts{stdin: one}, srvArgs(srv, "import", "--format", "csv", "--check", "-")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "1 rows checked, 0 invalid; nothing was sent")
	r = cliWith(t, runOpts{stdin: one}, srvArgs(srv, "import", "--format", "csv", "-")...)
	require.Equal(t, 2, r.code, r.stderr)
	require.Contains(t, r.stderr, "reading stdin (-) needs --journal")

	// A header the import does not know is a usage error.
	r = cli(t, srvArgs(srv, "import", writeFile(t, "cols.csv", "customer_uuid,colour\n"))...)
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `unknown column "colour"`)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestImportInvalidRowsSendNothing(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	lines := []string{
		jsonlRow(1),
		strings.Replace(jsonlRow(2), `"type":"recurring"`, `"type":"recurring","win_likelihood":101`, 1),
		jsonlRow(3),
		`{"customer_uuid": "cus_`,
		strings.Replace(jsonlRow(5), `"amount_in_cents":100005,`, ``, 1),
		jsonlRow(6),
		strings.Replace(jsonlRow(7), `"currency":"USD"`, `"currency":"usd","colour":"red"`, 1),
	}
	file := writeFile(t, "deals.jsonl", strings.Join(lines, "\n")+"\n")

	r := cli(t, srvArgs(srv, "import", file)...)
	require.Equal(t, 2, r.code, r.stderr)
	for _, want := range []string{
		"line 2: win_likelihood: must be between 0 and 100 (minimum, maximum), got 101",
		"line 4: invalid JSON",
		"line 5: amount_in_cents: is required",
		`line 7: currency: must match the pattern ^[A-Z]{3}$, got "usd"`,
		"line 7: colour: unknown field",
		"4 of 7 rows are invalid; nothing was sent",
	} {
		require.Contains(t, r.stderr, want)
	}
	require.NotContains(t, r.stderr, "line 1:")
	require.Equal(t, 0, totalRequests(srv))
	_, err := os.Stat(file + ".journal")
	require.True(t, os.IsNotExist(err), "no journal when nothing is sent")

	// --skip-invalid sends the valid rows and counts the others as failures.
	r = cli(t, srvArgs(srv, "import", "--skip-invalid", file)...)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "line 2: win_likelihood: must be between 0 and 100 (minimum, maximum), got 101")
	s := summary(t, r.stderr)
	require.Equal(t, 7, s["total"])
	require.Equal(t, 3, s["created"])
	require.Equal(t, 4, s["invalid"])
	require.Equal(t, 3, srv.Applied(chartmogultest.OpCreate))
	amounts := map[int64]bool{}
	for _, o := range stored(t, srv) {
		amounts[o.AmountInCents] = true
	}
	require.Equal(t, map[int64]bool{rowAmount(1): true, rowAmount(3): true, rowAmount(6): true}, amounts)

	// The journal has every row: the invalid ones failed, with their problems.
	invalid := map[int][]string{}
	for _, e := range readJournal(t, file+".journal") {
		if e.Invalid {
			require.Equal(t, stateFailed, e.State)
			invalid[e.Line] = e.Problems
		}
	}
	require.Equal(t, map[int][]string{
		2: {"win_likelihood: must be between 0 and 100 (minimum, maximum), got 101"},
		4: invalid[4],
		5: {"amount_in_cents: is required"},
		7: {`currency: must match the pattern ^[A-Z]{3}$, got "usd"`, "colour: unknown field (openapi.yaml has no such property)"},
	}, invalid)
	require.Len(t, invalid[4], 1)
	require.Contains(t, invalid[4][0], "invalid JSON")

	// Resumed after line 2 is fixed: line 2 is checked again and sent; the
	// others are still invalid, reported and journalled again.
	lines[1] = jsonlRow(2)
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	r = cli(t, srvArgs(srv, "import", "--resume", "--skip-invalid", file)...)
	require.Equal(t, 1, r.code, r.stderr)
	require.Equal(t, map[string]int{"total": 7, "created": 1, "skipped": 3, "reconciled": 0, "failed": 0, "invalid": 3, "not sent": 0}, summary(t, r.stderr))
	require.NotContains(t, r.stderr, "line 2:")
	require.Contains(t, r.stderr, "line 5: amount_in_cents: is required")
	require.Equal(t, 4, srv.Applied(chartmogultest.OpCreate))
	require.Zero(t, srv.Requests(chartmogultest.OpList), "an invalid row was never sent: nothing to check")
	perLine := map[int]int{}
	for _, e := range readJournal(t, file+".journal") {
		if e.Invalid {
			perLine[e.Line]++
		}
	}
	require.Equal(t, map[int]int{2: 1, 4: 2, 5: 2, 7: 2}, perLine)

	// Without --skip-invalid the resume sends nothing while rows are invalid.
	r = cli(t, srvArgs(srv, "import", "--resume", file)...)
	require.Equal(t, 2, r.code, r.stderr)
	require.Contains(t, r.stderr, "3 of 7 rows are invalid; nothing was sent")
	require.Equal(t, 4, srv.Requests(chartmogultest.OpCreate))
}

func TestImportResumeTakesTheJournalAsItsValue(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	const n = 4
	file := jsonlFile(t, n)
	// A journal whose name does not end in .journal: recognised by content.
	journal := filepath.Join(t.TempDir(), "run-1.log")
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 422, Body: `{"message":"Owner has no CRM seat"}`})
	r := cli(t, srvArgs(srv, "import", "--concurrency", "1", "--journal", journal, file)...)
	require.Equal(t, 1, r.code, r.stderr)
	require.Equal(t, 3, srv.Applied(chartmogultest.OpCreate))

	// "--resume JOURNAL FILE", as the issue writes it.
	r = cli(t, srvArgs(srv, "import", "--resume", journal, file)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, map[string]int{"total": n, "created": 1, "skipped": 3, "reconciled": 0, "failed": 0, "invalid": 0, "not sent": 0}, summary(t, r.stderr))
	// FILE first, the flag after it.
	r = cli(t, srvArgs(srv, "import", file, "--resume", journal)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, n, summary(t, r.stderr)["skipped"])
	requireEachRowOnce(t, srv, n)

	// The default journal named with --resume: FILE is implied by its name.
	other := jsonlFile(t, 2)
	r = cli(t, srvArgs(srv, "import", "--journal", other+".journal", other)...)
	require.Equal(t, 0, r.code, r.stderr)
	r = cli(t, srvArgs(srv, "import", "--resume", other+".journal")...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 2, summary(t, r.stderr)["skipped"])
	r = cli(t, srvArgs(srv, "import", "--resume", other+".journal", other)...)
	require.Equal(t, 0, r.code, r.stderr)
	// --resume alone still means FILE's default journal; FILE is not taken
	// for a journal.
	r = cli(t, srvArgs(srv, "import", "--resume", other)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 2, summary(t, r.stderr)["skipped"])
	// --resume=JOURNAL, and a --journal that names the same one.
	r = cli(t, srvArgs(srv, "import", "--journal", journal, "--resume="+journal, file)...)
	require.Equal(t, 0, r.code, r.stderr)
	// A journal that does not exist is named as such.
	r = cli(t, srvArgs(srv, "import", "--resume", filepath.Join(t.TempDir(), "missing.journal"), file)...)
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "no journal")
	require.Equal(t, n+2+1, srv.Requests(chartmogultest.OpCreate))
}

func TestImportRedactsTheKey(t *testing.T) {
	t.Parallel()
	const key = "sk_live_Pasted_1nt0_a_c3ll_9921"
	srv := chartmogultest.NewServer(t, chartmogultest.WithAPIKey(key))
	// Row 2: the key pasted into a cell that is invalid; row 3: one the API
	// refuses with a message that echoes it.
	csv := "customer_uuid,owner,pipeline,pipeline_stage,estimated_close_date,currency,amount_in_cents,custom.note\n" +
		seedCustomer + "," + key + ",New Business,Discovery,2024-04-21,USD,100001,\n" +
		seedCustomer + ",test1@example.org,New Business,Discovery,2024-04-21,USD,100002," + key + "\n" +
		seedCustomer + ",test1@example.org,New Business,Discovery,2024-04-21,USD,100003,\n"
	file := writeFile(t, "deals.csv", csv)
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 422, Body: `{"message":"Custom attribute note=` + key + ` is not allowed"}`})

	r := cli(t, srvArgs(srv, "import", "--concurrency", "1", file)...)
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `line 2: owner: `)
	require.Contains(t, r.stderr, `[redacted]`)
	require.NotContains(t, r.stderr, key)

	r = cli(t, srvArgs(srv, "import", "--concurrency", "1", "--skip-invalid", file)...)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "line 3: ")
	require.Contains(t, r.stderr, "Custom attribute note=[redacted] is not allowed")
	require.Contains(t, r.stderr, "line 2: owner: ")
	require.NotContains(t, r.stdout+r.stderr, key)
	journal, err := os.ReadFile(file + ".journal")
	require.NoError(t, err)
	require.NotContains(t, string(journal), key)
	require.Contains(t, string(journal), "[redacted]")

	// The key from the environment is redacted as well.
	r = cliWith(t, runOpts{env: []string{"CHARTMOGUL_API_KEY=" + key}}, "--base-url", srv.URL(), "import",
		"--journal", filepath.Join(t.TempDir(), "j"), file)
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "line 2: owner: ")
	require.NotContains(t, r.stderr, key)
	// And under --fake, where the key is not used but is a secret still.
	r = cliWith(t, runOpts{env: []string{"CHARTMOGUL_API_KEY=" + key}}, "--fake", "import", "--skip-invalid",
		"--journal", filepath.Join(t.TempDir(), "j"), file)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stderr, "line 2: owner: ")
	require.NotContains(t, r.stderr, key)
}

func TestImportFailedRowsAreRetriedOnResume(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	const n = 6
	file := jsonlFile(t, n)
	// One row refused (422: not created), one created but answered 500 (the
	// outcome is unknown to the command).
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 422, Body: `{"message":"Owner has no CRM seat"}`})
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 500, Apply: true})

	r := cli(t, srvArgs(srv, "import", "--concurrency", "1", file)...)
	require.Equal(t, 1, r.code, r.stderr)
	s := summary(t, r.stderr)
	require.Equal(t, 4, s["created"])
	require.Equal(t, 2, s["failed"])
	require.Contains(t, r.stderr, "line 1: ")
	require.Contains(t, r.stderr, "Owner has no CRM seat")
	require.Contains(t, r.stderr, "may have been created anyway")
	require.Equal(t, 5, srv.Applied(chartmogultest.OpCreate))

	var refused, unknown journalEntry
	for _, e := range readJournal(t, file+".journal") {
		if e.State == stateFailed && e.Line == 1 {
			refused = e
		}
		if e.State == stateFailed && e.Line == 2 {
			unknown = e
		}
	}
	require.Contains(t, refused.Error, "422")
	require.False(t, refused.OutcomeUnknown)
	require.Contains(t, unknown.Error, "500")
	require.True(t, unknown.OutcomeUnknown)

	// The resume sends the refused row again and finds the other one
	// (--timeout 2s: it waits that long, not 30 s, for the attempt's
	// requests before looking rows up).
	r = cli(t, srvArgs(srv, "--timeout", "2s", "import", "--resume", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	s = summary(t, r.stderr)
	require.Equal(t, map[string]int{"total": n, "created": 1, "skipped": 4, "reconciled": 1, "failed": 0, "invalid": 0, "not sent": 0}, s)
	require.Contains(t, r.stderr, "line 2: already created as")
	requireEachRowOnce(t, srv, n)
	require.Equal(t, n, srv.Applied(chartmogultest.OpCreate))
}

func TestImportInterruptedBySIGINTThenResumed(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	const n = 30
	file := jsonlFile(t, n)
	journal := file + ".journal"
	// Slow every create down so the import is caught mid-way.
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Delay: 150 * time.Millisecond, Times: 1000})

	s := startCLI(t, srvArgs(srv, "import", "--concurrency", "3", "--rate", "1000", "--progress-interval", "50ms", file)...)
	eventually(t, 20*time.Second, "6 rows created", func() bool { return countStates(readJournal(t, journal))[stateCreated] >= 6 })
	// A second import of the same journal is refused while this one runs.
	other := cli(t, srvArgs(srv, "import", "--resume", file)...)
	require.Equal(t, 2, other.code, other.stderr)
	require.Contains(t, other.stderr, "another import is using this journal")
	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	r := s.wait(t, 20*time.Second)
	require.Equal(t, 130, r.code, "Ctrl-C: 128 + SIGINT, once the journal is complete: %s", r.stderr)
	require.Contains(t, r.stderr, "interrupted; rerun with --resume")

	// In-flight requests were finished and journalled: no "sending" is left
	// without an outcome, and the journal matches the fake.
	entries := readJournal(t, journal)
	states := countStates(entries)
	require.Equal(t, states[stateSending], states[stateCreated], "every request in flight finished")
	require.Zero(t, states[stateFailed])
	done := states[stateCreated]
	require.Less(t, done, n, "interrupted mid-way")
	require.Equal(t, done, srv.Applied(chartmogultest.OpCreate))
	first := summary(t, r.stderr)
	require.Equal(t, done, first["created"])
	require.Equal(t, n-done, first["not sent"])

	srv.ClearFaults()
	r = cli(t, srvArgs(srv, "import", "--resume", "--rate", "1000", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	second := summary(t, r.stderr)
	require.Equal(t, done, second["skipped"])
	require.Equal(t, n-done, second["created"])
	requireEachRowOnce(t, srv, n)
	require.Equal(t, n, srv.Applied(chartmogultest.OpCreate))
}

func TestImportSecondSignalAbortsRequestsInFlight(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	const n = 5
	file := jsonlFile(t, n)
	// The first two creates hang; the fake drops them when the client gives up.
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Delay: time.Minute, Times: 2})

	s := startCLI(t, srvArgs(srv, "import", "--concurrency", "2", "--rate", "1000", file)...)
	eventually(t, 20*time.Second, "two creates in flight", func() bool { return srv.Requests(chartmogultest.OpCreate) == 2 })
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	eventually(t, 20*time.Second, "the first signal noticed", func() bool {
		return strings.Contains(s.stderr.String(), "sending no new row")
	})
	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	r := s.wait(t, 20*time.Second)
	require.Equal(t, 143, r.code, "the first signal, SIGTERM, sets the status: %s", r.stderr)
	require.Equal(t, map[string]int{"total": n, "created": 0, "skipped": 0, "reconciled": 0, "failed": 2, "invalid": 0, "not sent": 3}, summary(t, r.stderr))
	for _, e := range readJournal(t, file+".journal") {
		if e.State == stateFailed {
			require.True(t, e.OutcomeUnknown, "a request cut short may have been applied")
		}
	}
	require.Zero(t, srv.Applied(chartmogultest.OpCreate))

	// The resume checks the two (nothing was created) and sends every row
	// once (--timeout 2s: the wait before looking rows up).
	r = cli(t, srvArgs(srv, "--timeout", "2s", "import", "--resume", "--rate", "1000", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "an earlier attempt did not create it")
	require.Equal(t, 2, srv.Requests(chartmogultest.OpList), "one list per customer (rows 1 and 2 have different ones)")
	requireEachRowOnce(t, srv, n)
}

func TestImportKilledMidRequestThenResumed(t *testing.T) {
	t.Parallel()
	// The fake's clock can be set back, to make an old look-alike of a row.
	var offset atomic.Int64
	srv := chartmogultest.NewServer(t, chartmogultest.WithClock(func() time.Time {
		return time.Now().Add(time.Duration(offset.Load()))
	}))
	const n = 16
	file := jsonlFile(t, n)
	journal := file + ".journal"

	// An opportunity identical to row 7, made an hour ago: not the import's.
	var row7 struct {
		CustomerUUID string `json:"customer_uuid"`
		Amount       int64  `json:"amount_in_cents"`
	}
	require.NoError(t, json.Unmarshal([]byte(jsonlRow(7)), &row7))
	offset.Store(int64(-time.Hour))
	old, err := testClient(t, srv).Create(context.Background(), wrapper.NewOpportunity(row7.CustomerUUID, "test1@example.org",
		"New Business", "Discovery", "2024-04-21", "USD", row7.Amount).WithType(wrapper.TypeRecurring).WithWinLikelihood(7).
		WithCustom(map[string]any{"row": 7, "source": "import"}))
	require.NoError(t, err)
	offset.Store(0)

	// Rows 7 and 8 never reach the fake; rows 9 and 10 are created but their
	// responses never come back. With 4 workers, the import then hangs with
	// those four in flight.
	p := newProxy(t, srv, func(method string, body []byte) holdMode {
		if method != http.MethodPost {
			return pass
		}
		var b struct {
			Amount int64 `json:"amount_in_cents"`
		}
		_ = json.Unmarshal(body, &b)
		switch b.Amount {
		case rowAmount(7), rowAmount(8):
			return holdBefore
		case rowAmount(9), rowAmount(10):
			return holdAfter
		}
		return pass
	})
	s := startCLI(t, "--base-url", p.url(), "--api-key", srv.APIKey(), "import", "--concurrency", "4", "--rate", "1000", file)
	eventually(t, 20*time.Second, "four requests held", func() bool { return p.held.Load() == 4 })
	states := countStates(readJournal(t, journal))
	require.Equal(t, 6, states[stateCreated])
	require.Equal(t, 10, states[stateSending])
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGKILL))
	r := s.wait(t, 10*time.Second)
	require.Equal(t, -1, r.code, "killed")
	require.Equal(t, 1+8, srv.Applied(chartmogultest.OpCreate), "the old look-alike, rows 1-6, 9 and 10")

	// Resume against the fake itself: rows 9 and 10 are found, not resent;
	// rows 7 and 8 are sent (the old look-alike of row 7 predates the
	// attempt), and so are rows 11-16. --timeout 2s: the wait before
	// looking rows up.
	r = cli(t, srvArgs(srv, "--timeout", "2s", "import", "--resume", "--rate", "1000", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, map[string]int{"total": n, "created": 8, "skipped": 6, "reconciled": 2, "failed": 0, "invalid": 0, "not sent": 0}, summary(t, r.stderr))
	require.Contains(t, r.stderr, "line 9: already created as")
	require.Contains(t, r.stderr, "line 10: already created as")
	require.Contains(t, r.stderr, "line 7: an earlier attempt did not create it")
	requireEachRowOnce(t, srv, n, old.UUID)
	require.Equal(t, 1+n, srv.Applied(chartmogultest.OpCreate))

	reconciled := map[int]bool{}
	for _, e := range readJournal(t, journal) {
		if e.Reconciled {
			require.Equal(t, stateCreated, e.State)
			require.NotEqual(t, old.UUID, e.UUID)
			reconciled[e.Line] = true
		}
	}
	require.Equal(t, map[int]bool{9: true, 10: true}, reconciled)

	// Everything is done: one more resume sends nothing.
	r = cli(t, srvArgs(srv, "import", "--resume", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, n, summary(t, r.stderr)["skipped"])
	require.Equal(t, 1+n, srv.Applied(chartmogultest.OpCreate))
}

// TestImportSIGINTSendsNoRowStillWaiting: rows that hold a worker but wait
// for the rate limit when the signal comes are not sent, and --resume sends
// them.
func TestImportSIGINTSendsNoRowStillWaiting(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	const n = 20
	file := jsonlFile(t, n)
	journal := file + ".journal"

	// 5 workers, one request a second: four or five rows wait for the limiter
	// at any moment, and a loaded machine has a second between reading the
	// count and handling the signal before another token comes.
	s := startCLI(t, srvArgs(srv, "import", "--concurrency", "5", "--rate", "1", "--progress-interval", "0", file)...)
	eventually(t, 20*time.Second, "2 rows created", func() bool { return countStates(readJournal(t, journal))[stateCreated] >= 2 })
	before := srv.Requests(chartmogultest.OpCreate)
	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	eventually(t, 20*time.Second, "the signal handled", func() bool { return strings.Contains(s.stderr.String(), "sending no new row") })
	handled := srv.Requests(chartmogultest.OpCreate)
	r := s.wait(t, 20*time.Second)
	require.Equal(t, 130, r.code, r.stderr)
	require.Contains(t, r.stderr, "interrupted; rerun with --resume")

	sent := srv.Requests(chartmogultest.OpCreate)
	// A request that had passed the limiter when the signal was handled may
	// still reach the fake (its journal line is synced first); nothing else.
	require.LessOrEqual(t, sent, handled+1, "no request after the signal was handled")
	require.LessOrEqual(t, sent, before+1, "the rows waiting for the limiter were not sent (at most one more token in between)")
	require.Less(t, sent, n)
	states := countStates(readJournal(t, journal))
	require.Equal(t, sent, states[stateSending], "one sending line per request that left, none for the rows that waited")
	require.Equal(t, sent, states[stateCreated])
	require.Zero(t, states[stateFailed])
	first := summary(t, r.stderr)
	require.Equal(t, sent, first["created"])
	require.Equal(t, n-sent, first["not sent"])
	require.Equal(t, sent, srv.Applied(chartmogultest.OpCreate))

	// The resume sends exactly the rest, each once, with nothing to check.
	r = cli(t, srvArgs(srv, "import", "--resume", "--rate", "1000", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	second := summary(t, r.stderr)
	require.Equal(t, sent, second["skipped"])
	require.Equal(t, n-sent, second["created"])
	require.Zero(t, second["reconciled"])
	require.Zero(t, srv.Requests(chartmogultest.OpList), "no row may have been created")
	requireEachRowOnce(t, srv, n)
	require.Equal(t, n, srv.Requests(chartmogultest.OpCreate), "every row sent once in all")
}

// TestImportKilledWhileWaitingForTheRateLimit: a row journals "sending" only
// when its request leaves, so rows that only waited for the limiter when the
// process was killed are plain "not started" on --resume, not "may have been
// created".
func TestImportKilledWhileWaitingForTheRateLimit(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	const n = 8
	file := jsonlFile(t, n)
	journal := file + ".journal"

	// One request every 30 seconds: after the first, three workers wait for the
	// rate limit, and the kill lands long before a second request may leave, even
	// on a loaded CI machine (at one every two seconds it once did not).
	s := startCLI(t, srvArgs(srv, "import", "--concurrency", "4", "--rate", "0.0333", "--progress-interval", "0", file)...)
	// Killed once the header vouches for the "created" record: a kill between
	// writing a record and updating the header leaves that record unvouched,
	// and a resume rightly checks its row with the API (another test's case).
	eventually(t, 20*time.Second, "the first row created and the header updated", func() bool {
		return countStates(readJournal(t, journal))[stateCreated] >= 1 && headerCoversLastRecord(t, journal)
	})
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGKILL))
	r := s.wait(t, 10*time.Second)
	require.Equal(t, -1, r.code, "killed")
	states := countStates(readJournal(t, journal))
	require.Equal(t, srv.Requests(chartmogultest.OpCreate), states[stateSending], "a sending line per request that left, and only those")
	killed, err := os.ReadFile(journal)
	require.NoError(t, err)

	r = cli(t, srvArgs(srv, "import", "--resume", "--rate", "1000", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.NotContains(t, r.stderr, "earlier attempt")
	require.Zero(t, srv.Requests(chartmogultest.OpList), "nothing to reconcile; the resume said:\n%s\nthe journal when killed:\n%s", r.stderr, killed)
	require.Zero(t, summary(t, r.stderr)["reconciled"])
	requireEachRowOnce(t, srv, n)
	require.Equal(t, n, srv.Requests(chartmogultest.OpCreate))
}

// A journal records the API its rows were sent to. One written under --fake
// (whose rows vanish with the command) is not resumed against a real API,
// which would skip every row as created; nor the other way round. Another
// address may be the same API (a proxy), so it only gets a warning.
func TestImportJournalKeepsItsAPI(t *testing.T) {
	t.Parallel()
	file := jsonlFile(t, 3)
	journal := file + ".journal"
	r := cli(t, "--fake", "import", file)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, readJournalHeader(t, journal), `"target":"the embedded fake (--fake)"`)

	srv := chartmogultest.NewServer(t)
	r = cli(t, srvArgs(srv, "import", "--resume", file)...)
	require.Equal(t, exitUsage, r.code, r.stderr)
	require.Contains(t, r.stderr, "records an import to the embedded fake (--fake), not to "+srv.URL()+": the rows it records as created do not exist there")
	require.Zero(t, totalRequests(srv), "nothing sent")

	require.NoError(t, os.Remove(journal))
	r = cli(t, srvArgs(srv, "import", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, readJournalHeader(t, journal), `"target":"`+srv.URL()+`"`)
	r = cli(t, "--fake", "import", "--resume", file)
	require.Equal(t, exitUsage, r.code, r.stderr)
	require.Contains(t, r.stderr, "records an import to "+srv.URL()+", not to the embedded fake (--fake)")

	other := chartmogultest.NewServer(t)
	r = cli(t, srvArgs(other, "import", "--resume", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "warning: journal "+journal+" records an import to "+srv.URL()+", and this one sends to "+other.URL())
	require.Equal(t, 3, summary(t, r.stderr)["skipped"])
	require.Contains(t, readJournalHeader(t, journal), `"target":"`+srv.URL()+`"`, "the journal keeps its own")
}

func readJournalHeader(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	header, _, _ := strings.Cut(string(data), "\n")
	return header
}

// CSV piped without --format is read as JSON Lines: the refusal says how to
// read it as CSV, and no progress line counts the nothing that was to send.
func TestImportStdinCSVWithoutFormat(t *testing.T) {
	t.Parallel()
	journal := filepath.Join(t.TempDir(), "j.journal")
	r := cliWith(t, runOpts{stdin: "customer_uuid,owner\ncus_x,a@example.org\n"}, "--fake", "import", "--journal", journal, "-")
	require.Equal(t, exitUsage, r.code, r.stderr)
	require.Contains(t, r.stderr, "stdin is read as jsonl unless --format says otherwise (--format csv for CSV)")
	require.NotContains(t, r.stderr, "progress:")

	r = cliWith(t, runOpts{stdin: "customer_uuid,owner\ncus_x,a@example.org\n"}, "--fake", "import", "--format", "jsonl", "--journal", journal, "-")
	require.Equal(t, exitUsage, r.code, r.stderr)
	require.NotContains(t, r.stderr, "--format csv for CSV", "the format was chosen")
}

// --fake talks to the embedded fake whatever --base-url says, and says so.
func TestFakeIgnoresBaseURLAloud(t *testing.T) {
	t.Parallel()
	r := cli(t, "--fake", "--base-url", "http://127.0.0.1:1/v1", "get", "bb544336-e74e-11ee-800c-effc264f19ed")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "warning: --fake runs against the embedded fake; --base-url http://127.0.0.1:1/v1 is not used")
}

// A header edited to hide where a journal's rows went (its target removed,
// or changed) vouches for nothing: every row is looked up in the API it is
// resumed against, and those not there are sent.
func TestImportJournalWithAnEditedHeaderChecksEveryRow(t *testing.T) {
	t.Parallel()
	for _, edit := range []func(header, url string) string{
		func(h, _ string) string { return strings.Replace(h, `"target":"the embedded fake (--fake)",`, "", 1) },
		func(h, url string) string { return strings.Replace(h, "the embedded fake (--fake)", url, 1) },
	} {
		file := jsonlFile(t, 3)
		journal := file + ".journal"
		r := cli(t, "--fake", "import", file)
		require.Equal(t, 0, r.code, r.stderr)
		srv := chartmogultest.NewServer(t)
		data, err := os.ReadFile(journal)
		require.NoError(t, err)
		header, rest, _ := strings.Cut(string(data), "\n")
		require.NoError(t, os.WriteFile(journal, []byte(edit(header, srv.URL())+"\n"+rest), 0o644))

		r = cli(t, srvArgs(srv, "--timeout", "1s", "import", "--resume", file)...)
		require.Equal(t, 0, r.code, r.stderr)
		require.Contains(t, r.stderr, "does not follow the line before it")
		require.Equal(t, 3, summary(t, r.stderr)["created"], r.stderr)
		require.Equal(t, 3, srv.Applied(chartmogultest.OpCreate))
	}
}
