package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/bulk"
	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

// What a hostile tester tried (issue 10): bad flags, bad bytes, kill -9 at
// random moments, damaged journals.

func TestImportFlagsAreChecked(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	file := jsonlFile(t, 2)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--rate", "NaN"}, "--rate must be a number above 0"},
		{[]string{"--rate", "+Inf"}, "--rate must be a number above 0"},
		{[]string{"--rate", "0"}, "--rate must be a number above 0"},
		{[]string{"--rate", "-5"}, "--rate must be a number above 0"},
		{[]string{"--rate", "1e7"}, "at most 1e+06"},
		{[]string{"--rate", "1e-12"}, "--rate must be a number above 0, at least one request an hour"},
		{[]string{"--rate", "1e-300"}, "--rate must be a number above 0, at least one request an hour"},
		{[]string{"--check", "--rate", "1e-12"}, "--rate must be"},
		{[]string{"--check", "--retries", "-1"}, "--retries must be between 0 and 99"},
		{[]string{"--journal", t.TempDir()}, "is a directory"},
		{[]string{"--journal", filepath.Join(t.TempDir(), "missing", "j")}, "no journal can be created in "},
		{[]string{"--journal", writeFile(t, "deals.csv", "customer_uuid\nx\n")}, "exists and is not a journal: name a new one with --journal"},
		{[]string{"--journal="}, "--journal needs a path"},
		{[]string{"--journal", ""}, "--journal needs a path"},
		{[]string{"--concurrency", "0"}, "--concurrency must be between 1 and 1000, got 0"},
		{[]string{"--concurrency", "100000"}, "--concurrency must be between 1 and 1000"},
		{[]string{"--retries", "9223372036854775807"}, "--retries must be between 0 and 99"},
		{[]string{"--retries", "-1"}, "--retries must be between 0 and 99"},
		{[]string{"--progress-interval", "-1s"}, "--progress-interval must not be negative"},
	} {
		r := cli(t, srvArgs(srv, append(append([]string{"import"}, tt.args...), file)...)...)
		require.Equal(t, 2, r.code, "%v: %s", tt.args, r.stderr)
		require.Contains(t, r.stderr, tt.want, tt.args)
	}
	require.Zero(t, totalRequests(srv))
}

func TestImportInputIntegrity(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	header := "customer_uuid,owner,pipeline,pipeline_stage,estimated_close_date,currency,amount_in_cents,custom.note\n"
	// A Latin-1 "Café": refused by line number, nothing sent, every --resume
	// alike.
	latin1 := header + seedCustomer + ",test1@example.org,New Business,Discovery,2024-04-21,USD,100001,ok\n" +
		seedCustomer + ",test1@example.org,New Business,Discovery,2024-04-21,USD,100002,Caf\xe9\n"
	r := cli(t, srvArgs(srv, "import", writeFile(t, "latin1.csv", latin1))...)
	require.Equal(t, 2, r.code, r.stderr)
	require.Contains(t, r.stderr, "line 3: custom.note: is not valid UTF-8 (byte 4 of the cell); save the file as UTF-8")
	require.Zero(t, totalRequests(srv))

	// A BOM before a quoted header; a JSONL file with a BOM and a custom
	// entry with the "type" member the spec allows.
	bomCSV := "\ufeff\"customer_uuid\",\"owner\",\"pipeline\",\"pipeline_stage\",\"estimated_close_date\",\"currency\",\"amount_in_cents\"\n" +
		seedCustomer + ",test1@example.org,New Business,Discovery,2024-04-21,USD,100001\n"
	r = cli(t, srvArgs(srv, "import", writeFile(t, "bom.csv", bomCSV))...)
	require.Equal(t, 0, r.code, r.stderr)
	bomJSONL := "\ufeff" + strings.Replace(jsonlRow(2), `{"key":"row","value":2}`, `{"key":"row","value":2,"type":"Integer"}`, 1) + "\n"
	r = cli(t, srvArgs(srv, "import", writeFile(t, "bom.jsonl", bomJSONL))...)
	require.Equal(t, 0, r.code, r.stderr)
	requireEachRowOnce(t, srv, 2)

	// --check checks and sends nothing, writes no journal.
	file := jsonlFile(t, 3)
	r = cli(t, srvArgs(srv, "import", "--check", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "3 rows checked, 0 invalid; nothing was sent")
	require.Contains(t, r.stdout, `{"summary":{"total":3,`)
	_, err := os.Stat(file + ".journal")
	require.True(t, os.IsNotExist(err))
	require.Equal(t, 2, srv.Requests(chartmogultest.OpCreate))
}

// hostileRows are rows that differ only in optional fields and custom
// values: the same customer, owner, pipeline, stage, date, currency and
// amount for all. Rows 25 and 26 are identical.
func hostileRows() []string {
	var rows []string
	for _, typ := range []string{"", `,"type":"recurring"`, `,"type":"one-time"`} {
		for _, fc := range []string{"", `,"forecast_category":"won"`} {
			for _, custom := range []string{"", `,"custom":[{"key":"seats","value":3}]`,
				`,"custom":[{"key":"seats","value":3},{"key":"vip","value":true}]`, `,"custom":[{"key":"vip","value":true}]`} {
				rows = append(rows, typ+fc+custom)
			}
		}
	}
	for i, win := range []int{0, 50, 0, 50} {
		rows = append(rows, fmt.Sprintf(`,"win_likelihood":%d,"custom":[{"key":"w%d","value":%d}]`, win, i/2, i%2))
	}
	rows = append(rows, `,"custom":[{"key":"twin","value":"a"}]`, `,"custom":[{"key":"twin","value":"a"}]`)
	for i, extra := range rows {
		rows[i] = `{"customer_uuid":"` + seedCustomer + `","owner":"test1@example.org","pipeline":"New Business",` +
			`"pipeline_stage":"Discovery","estimated_close_date":"2024-04-21","currency":"USD","amount_in_cents":100` + extra + `}`
	}
	return rows
}

// requireEachHostileRowOnce checks the fake against hostileRows: per
// distinct row, as many opportunities as rows have it, and none other.
func requireEachHostileRowOnce(t *testing.T, srv *chartmogultest.Server, rows []string) {
	t.Helper()
	var ins []wrapper.OpportunityInput
	for _, r := range rows {
		in, probs, err := wrapper.DecodeOpportunityInput([]byte(r))
		require.NoError(t, err)
		require.Empty(t, probs)
		ins = append(ins, in)
	}
	var opps []wrapper.Opportunity
	for o, err := range testClient(t, srv).All(context.Background(), wrapper.ListParams{}) {
		require.NoError(t, err)
		opps = append(opps, o)
	}
	matched := map[string]int{}
	for i, in := range ins {
		want := 0
		for _, other := range ins {
			if rowsEqual(in, other) {
				want++
			}
		}
		got := 0
		for _, o := range opps {
			if bulk.Matches(in, o) {
				got++
				matched[o.UUID]++
			}
		}
		require.Equal(t, want, got, "row %d: opportunities", i+1)
	}
	require.Len(t, matched, len(opps), "every opportunity belongs to a row")
}

func rowsEqual(a, b wrapper.OpportunityInput) bool {
	x, err1 := wrapper.EncodeOpportunityInput(a)
	y, err2 := wrapper.EncodeOpportunityInput(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// kill -9 at random moments, with requests held before and after the fake
// applied them, then --resume until done: every row created exactly once.
// The seed is logged; HOSTILE_ROUNDS sets the number of kills (default 6,
// 3 with -short).
func TestImportKillNineAtRandomPoints(t *testing.T) {
	t.Parallel()
	rounds := 6
	if testing.Short() {
		rounds = 3
	}
	if n, err := fmt.Sscan(os.Getenv("HOSTILE_ROUNDS"), &rounds); n == 1 && err == nil && rounds < 1 {
		rounds = 1
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	var rngMu = make(chan struct{}, 1)
	random := func(n int) int {
		rngMu <- struct{}{}
		defer func() { <-rngMu }()
		return rng.IntN(n)
	}

	srv := chartmogultest.NewServer(t)
	rows := hostileRows()
	file := writeFile(t, "hostile.jsonl", strings.Join(rows, "\n")+"\n")
	var hostile = make(chan bool, 1)
	hostile <- true
	p := newProxy(t, srv, func(method string, _ []byte) holdMode {
		on := <-hostile
		hostile <- on
		if method != http.MethodPost || !on {
			return pass
		}
		switch n := random(10); {
		case n == 0:
			return holdBefore
		case n == 1:
			return holdAfter // created, the answer never comes
		default:
			time.Sleep(time.Duration(random(30)) * time.Millisecond)
			return pass
		}
	})
	// --timeout 2s: a resume waits that long after the last request left
	// (see bulk.Options.Settle), so that one still in flight lands first.
	args := []string{"--base-url", p.url(), "--api-key", srv.APIKey(), "--timeout", "2s", "import", "--concurrency", "4", "--rate", "200", "--progress-interval", "0"}
	for round := range rounds {

		a := args
		if _, err := os.Stat(file + ".journal"); err == nil {
			a = append(a, "--resume") // killed before the first row left: no journal yet
		}
		s := startCLI(t, append(a, file)...)
		time.Sleep(time.Duration(20+random(250)) * time.Millisecond)
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		r := s.wait(t, 20*time.Second)
		t.Logf("round %d: exit %d, %d creates applied, %d held", round, r.code, srv.Applied(chartmogultest.OpCreate), p.held.Load())
		if r.code == 0 {
			break // finished before the kill
		}
	}
	<-hostile
	hostile <- false
	final := args
	if _, err := os.Stat(file + ".journal"); err == nil {
		final = append(final, "--resume")
	}
	r := cli(t, append(final, file)...)
	require.Equal(t, 0, r.code, "seed %d: %s", seed, r.stderr)
	requireEachHostileRowOnce(t, srv, rows)
	// Each row's journal ends created.
	created := map[int]bool{}
	for _, e := range readJournal(t, file+".journal") {
		if e.State == stateCreated {
			require.False(t, created[e.Line], "line %d created twice in the journal", e.Line)
			created[e.Line] = true
		}
	}
	require.Len(t, created, len(rows))
}

// A damaged journal never leads to a silent resend: --resume says so and
// checks every row not recorded as created against the API.
func TestImportResumeOnADamagedJournal(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		damage func(string) string
		says   string
	}{
		{"middle lines deleted", func(s string) string {
			l := strings.SplitAfter(s, "\n")
			return strings.Join(append(l[:3:3], l[9:]...), "")
		}, "records 3 to 8 are missing"},
		{"emptied", func(string) string { return "" }, "the journal is empty"},
		{"a middle line cut", func(s string) string {
			l := strings.SplitAfter(s, "\n")
			l[4] = l[4][:10] + "\n"
			return strings.Join(l, "")
		}, "is cut short (not by a crash"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := chartmogultest.NewServer(t)
			rows := hostileRows()[:10]
			file := writeFile(t, "rows.jsonl", strings.Join(rows, "\n")+"\n")
			r := cli(t, srvArgs(srv, "import", file)...)
			require.Equal(t, 0, r.code, r.stderr)
			data, err := os.ReadFile(file + ".journal")
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(file+".journal", []byte(tt.damage(string(data))), 0o644))

			// --timeout 2s: a damaged journal's rows count as just sent;
			// the resume waits that long, not 30 s, before looking them up.
			r = cli(t, srvArgs(srv, "--timeout", "2s", "import", "--resume", file)...)
			require.Equal(t, 0, r.code, r.stderr)
			require.Contains(t, r.stderr, tt.says)
			require.Contains(t, r.stderr, "every row not recorded as created is checked against the API")
			require.Equal(t, 10, srv.Applied(chartmogultest.OpCreate), "nothing sent again")
			requireEachHostileRowOnce(t, srv, rows)
		})
	}
}

// A journal written by the previous version is converted and resumed
// without a duplicate.
func TestImportResumesAVersion1Journal(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	file := jsonlFile(t, 4)
	c := testClient(t, srv)
	var uuids []string
	for i := 1; i <= 2; i++ {
		in, _, err := wrapper.DecodeOpportunityInput([]byte(jsonlRow(i)))
		require.NoError(t, err)
		o, err := c.Create(context.Background(), in)
		require.NoError(t, err)
		uuids = append(uuids, o.UUID)
	}
	at := time.Now().UTC().Format(time.RFC3339Nano)
	v1 := `{"line":1,"state":"sending","at":"` + at + `"}` + "\n" +
		`{"line":1,"state":"created","at":"` + at + `","uuid":"` + uuids[0] + `"}` + "\n" +
		`{"line":2,"state":"sending","at":"` + at + `"}` + "\n" // row 2 created, the answer lost
	require.NoError(t, os.WriteFile(file+".journal", []byte(v1), 0o644))
	// --timeout 2s: row 2's request is that recent; the resume waits that
	// long, not 30 s, before looking it up.
	r := cli(t, srvArgs(srv, "--timeout", "2s", "import", "--resume", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "older version (format 1)")
	require.Contains(t, r.stderr, "line 2: already created as "+uuids[1])
	requireEachRowOnce(t, srv, 4)
	_, err := os.Stat(file + ".journal.v1")
	require.NoError(t, err, "the old journal is kept")
}

// A 429 storm: the server allows 8 requests a second, the import runs at its
// defaults (40/s) with no retries at all. One run creates every row once
// and fails none.
func TestImport429StormFailsNoRow(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t, chartmogultest.WithRateLimit(8, false))
	const n = 24
	file := jsonlFile(t, n)
	r := cli(t, srvArgs(srv, "--retries", "0", "import", "--progress-interval", "0", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	s := summary(t, r.stderr)
	require.Equal(t, n, s["created"])
	require.Zero(t, s["failed"])
	requireEachRowOnce(t, srv, n)
	require.Greater(t, srv.Requests(chartmogultest.OpCreate), n, "there were 429s")
}

// A server that creates and then drops the connection: the row fails as
// "may exist" (exit 1), and --resume finds it instead of creating it again.
func TestImportServerDropsTheConnectionAfterCreating(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	rows := hostileRows()[:6]
	file := writeFile(t, "rows.jsonl", strings.Join(rows, "\n")+"\n")
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Apply: true, DropConnection: true, Times: 3})
	r := cli(t, srvArgs(srv, "import", "--concurrency", "2", file)...)
	require.Equal(t, 1, r.code, r.stderr)
	require.Contains(t, r.stdout, `"may_exist":true`)
	require.Equal(t, 6, srv.Applied(chartmogultest.OpCreate))
	// --timeout 2s: the wait before looking rows up.
	r = cli(t, srvArgs(srv, "--timeout", "2s", "import", "--resume", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 3, summary(t, r.stderr)["reconciled"])
	require.Equal(t, 6, srv.Applied(chartmogultest.OpCreate))
	requireEachHostileRowOnce(t, srv, rows)
}

// Ctrl-C while stdin is still being copied (a pipe that has not ended): the
// command ends with 130 and leaves no copy of the input in the temporary
// directory, nor a journal.
func TestImportInterruptedWhileReadingStdinLeavesNothing(t *testing.T) {
	t.Parallel()
	tmp, dir := t.TempDir(), t.TempDir()
	journal := filepath.Join(dir, "j.journal")
	s := prepareCLI([]string{"TMPDIR=" + tmp}, "--fake", "import", "--journal", journal, "-")
	stdin, err := s.cmd.StdinPipe()
	require.NoError(t, err)
	t.Cleanup(func() { stdin.Close() })
	s.start(t)
	_, err = io.WriteString(stdin, `{"customer_uuid":"cus_f466e33d-ff2b-4a11-8f85-417eb02157a7"`)
	require.NoError(t, err)
	waitSpooling(t, s, tmp)
	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	r := s.wait(t, 20*time.Second)
	require.Equal(t, 130, r.code, r.stderr)
	require.Contains(t, r.stderr, "interrupted: reading stdin (nothing was sent)")
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, entries, "no copy of the input is left")
	_, err = os.Stat(journal)
	require.ErrorIs(t, err, os.ErrNotExist, "no journal")
}

// waitSpooling waits until the command holds its copy of stdin open: on
// Linux it is seen among the process's files (it has no name in tmp); on
// other systems, a moment is given.
func waitSpooling(t *testing.T, s *started, tmp string) {
	t.Helper()
	fds := fmt.Sprintf("/proc/%d/fd", s.cmd.Process.Pid)
	if _, err := os.Stat(fds); err != nil {
		time.Sleep(time.Second)
		return
	}
	eventually(t, 20*time.Second, "stdin being copied", func() bool {
		entries, _ := os.ReadDir(fds)
		for _, e := range entries {
			if target, err := os.Readlink(filepath.Join(fds, e.Name())); err == nil && strings.HasPrefix(target, tmp) {
				return true
			}
		}
		return false
	})
}

// --resume naming a file that is no journal (the input itself, another
// input, the key file) is refused with exit 2 before anything is sent, and
// the file is left byte for byte as it was.
func TestImportResumeRefusesAFileThatIsNotAJournal(t *testing.T) {
	t.Parallel()
	srv := chartmogultest.NewServer(t)
	jsonl := jsonlFile(t, 2)
	csvText := "customer_uuid,owner,pipeline,pipeline_stage,estimated_close_date,currency,amount_in_cents\n" +
		seedCustomer + ",test1@example.org,New Business,Discovery,2024-04-21,USD,100001\n"
	csvFile := writeFile(t, "deals.csv", csvText)
	key := writeFile(t, "key", srv.APIKey()+"\n")
	for _, tt := range []struct {
		journal, input string
	}{
		{csvFile, jsonl},   // another input
		{csvFile, csvFile}, // the input itself
		{key, jsonl},       // the key file
	} {
		before, err := os.ReadFile(tt.journal)
		require.NoError(t, err)
		r := cli(t, srvArgs(srv, "import", "--resume="+tt.journal, tt.input)...)
		require.Equal(t, 2, r.code, "%v: %s", tt, r.stderr)
		require.Contains(t, r.stderr, tt.journal+": not a journal", tt)
		require.Contains(t, r.stderr, "nothing was changed", tt)
		after, err := os.ReadFile(tt.journal)
		require.NoError(t, err)
		require.Equal(t, string(before), string(after), "%v: left as it was", tt)
		_, err = os.Stat(tt.journal + ".v1")
		require.ErrorIs(t, err, os.ErrNotExist)
	}
	require.Zero(t, totalRequests(srv), "nothing sent")
}
