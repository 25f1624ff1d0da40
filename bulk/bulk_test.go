package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/bulk"
	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

func newClient(t *testing.T, srv *chartmogultest.Server, opts ...wrapper.Option) *wrapper.Client {
	t.Helper()
	c, err := wrapper.NewClient(srv.APIKey(), append([]wrapper.Option{wrapper.WithBaseURL(srv.URL())}, opts...)...)
	require.NoError(t, err)
	return c
}

// rowsOf numbers inputs from line 1.
func rowsOf(ins ...wrapper.OpportunityInput) bulk.Source {
	return func(yield func(bulk.Row, error) bool) {
		for i, in := range ins {
			if !yield(bulk.Row{Line: i + 1, Input: in}, nil) {
				return
			}
		}
	}
}

// all returns the fake's opportunities.
func all(t *testing.T, c *wrapper.Client) []wrapper.Opportunity {
	t.Helper()
	var out []wrapper.Opportunity
	for o, err := range c.All(context.Background(), wrapper.ListParams{}) {
		require.NoError(t, err)
		out = append(out, o)
	}
	return out
}

// requireEachOnce checks that the fake holds, for each distinct input, as
// many opportunities as rows have it, and no other: zero duplicates, zero
// lost rows.
func requireEachOnce(t *testing.T, c *wrapper.Client, ins ...wrapper.OpportunityInput) {
	t.Helper()
	opps := all(t, c)
	owned := make([]int, len(opps))
	for _, in := range ins {
		want := 0
		for _, other := range ins {
			if bulk.Matches(other, created(in)) && bulk.Matches(in, created(other)) {
				want++
			}
		}
		got := 0
		for i, o := range opps {
			if bulk.Matches(in, o) {
				got++
				owned[i]++
			}
		}
		require.Equal(t, want, got, "opportunities matching %+v", in)
	}
	for i, n := range owned {
		require.Positive(t, n, "opportunity %s belongs to no row", opps[i].UUID)
	}
}

// sendingRecord says an earlier run's request for line left a minute ago.
func sendingRecord(line int) bulk.Record {
	return bulk.Record{Line: line, State: bulk.StateSending, At: time.Now().Add(-time.Minute)}
}

// The case: two rows that differ only in an optional custom value,
// both interrupted mid-request; only the second was created. The first is
// not handed the second's opportunity: it is sent, the second reconciled.
func TestReconciliationIsExact(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	plain, seats := base(), base().WithCustom(map[string]any{"seats": 3})
	o, err := c.Create(context.Background(), seats)
	require.NoError(t, err)

	j := &bulk.MemoryJournal{}
	require.NoError(t, j.Append(sendingRecord(1)))
	require.NoError(t, j.Append(sendingRecord(2)))
	var outcomes []bulk.Outcome
	sum, err := bulk.Run(context.Background(), c, rowsOf(plain, seats), bulk.Options{Journal: j, Concurrency: 1,
		OnOutcome: func(o bulk.Outcome) { outcomes = append(outcomes, o) }})
	require.NoError(t, err)
	require.True(t, sum.OK())
	require.Equal(t, 1, sum.Created)
	require.Equal(t, 1, sum.Reconciled)
	// The created row's outcome may come before or after the reconciled
	// one's (a worker sends it).
	slices.SortFunc(outcomes, func(a, b bulk.Outcome) int { return a.Line - b.Line })
	require.Equal(t, bulk.Outcome{Line: 2, State: bulk.Reconciled, UUID: o.UUID}, outcomes[1])
	require.Equal(t, bulk.Created, outcomes[0].State)
	requireEachOnce(t, c, plain, seats)
	require.Equal(t, 2, srv.Applied(chartmogultest.OpCreate))
}

// More candidates than rows that could own them: the row is neither sent
// nor claimed, and stays so on the next run.
func TestAmbiguityNeedsReview(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	in := base()
	a, err := c.Create(context.Background(), in)
	require.NoError(t, err)
	b, err := c.Create(context.Background(), in)
	require.NoError(t, err)

	j := &bulk.MemoryJournal{}
	require.NoError(t, j.Append(sendingRecord(1)))
	for range 2 {
		var got bulk.Outcome
		sum, err := bulk.Run(context.Background(), c, rowsOf(in), bulk.Options{Journal: j, OnOutcome: func(o bulk.Outcome) { got = o }})
		require.NoError(t, err)
		require.False(t, sum.OK())
		require.Equal(t, 1, sum.NeedsReview)
		require.Equal(t, bulk.NeedsReview, got.State)
		require.ElementsMatch(t, []string{a.UUID, b.UUID}, got.Candidates)
		require.Equal(t, 2, srv.Requests(chartmogultest.OpCreate), "not sent")
	}

	// Rows that could each own the candidate, but are not alike (one leaves
	// win_likelihood to the stage default, one sends it): both need review.
	srv2 := chartmogultest.NewServer(t)
	c2 := newClient(t, srv2)
	withWin := base().WithWinLikelihood(40)
	_, err = c2.Create(context.Background(), withWin)
	require.NoError(t, err)
	j = &bulk.MemoryJournal{}
	require.NoError(t, j.Append(sendingRecord(1)))
	require.NoError(t, j.Append(sendingRecord(2)))
	sum, err := bulk.Run(context.Background(), c2, rowsOf(base(), withWin), bulk.Options{Journal: j})
	require.NoError(t, err)
	require.Equal(t, 2, sum.NeedsReview)
	require.Equal(t, 1, srv2.Requests(chartmogultest.OpCreate))
}

// Identical rows are interchangeable: of two interrupted identical rows with
// one opportunity between them, one claims it and the other is sent.
func TestIdenticalRowsShareCandidates(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	in := base()
	_, err := c.Create(context.Background(), in)
	require.NoError(t, err)
	j := &bulk.MemoryJournal{}
	require.NoError(t, j.Append(sendingRecord(1)))
	require.NoError(t, j.Append(sendingRecord(2)))
	sum, err := bulk.Run(context.Background(), c, rowsOf(in, in), bulk.Options{Journal: j})
	require.NoError(t, err)
	require.True(t, sum.OK())
	require.Equal(t, 1, sum.Reconciled)
	require.Equal(t, 1, sum.Created)
	requireEachOnce(t, c, in, in)

	// An opportunity made before the attempt (less the clock skew) is not
	// the row's.
	srv2 := chartmogultest.NewServer(t, chartmogultest.WithClock(func() time.Time { return time.Now().Add(-time.Hour) }))
	c2 := newClient(t, srv2)
	_, err = c2.Create(context.Background(), in)
	require.NoError(t, err)
	j = &bulk.MemoryJournal{}
	require.NoError(t, j.Append(sendingRecord(1)))
	sum, err = bulk.Run(context.Background(), c2, rowsOf(in), bulk.Options{Journal: j})
	require.NoError(t, err)
	require.Equal(t, 1, sum.Created)
	require.Zero(t, sum.Reconciled)
}

// A server that creates and then drops the connection: the row fails as
// "may exist", and the next run finds it instead of creating it again.
func TestServerDropsTheConnectionAfterCreating(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	ins := []wrapper.OpportunityInput{base(), base().WithCustom(map[string]any{"seats": 3}), base().WithType(wrapper.TypeRecurring)}
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Apply: true, DropConnection: true, Times: 2})
	j := &bulk.MemoryJournal{}
	sum, err := bulk.Run(context.Background(), c, rowsOf(ins...), bulk.Options{Journal: j, Concurrency: 1})
	require.NoError(t, err)
	require.Equal(t, 2, sum.Failed)
	require.Equal(t, 2, sum.MayExist)
	require.Equal(t, 3, srv.Applied(chartmogultest.OpCreate))

	sum, err = bulk.Run(context.Background(), c, rowsOf(ins...), bulk.Options{Journal: j})
	require.NoError(t, err)
	require.True(t, sum.OK(), "%+v", sum)
	require.Equal(t, 2, sum.Reconciled)
	require.Equal(t, 1, sum.Skipped)
	require.Equal(t, 3, srv.Applied(chartmogultest.OpCreate))
	requireEachOnce(t, c, ins...)
}

// A 429 storm: the server allows 5 requests a second, the import starts at
// 40. With a budget and no retries at all, every row is created once and
// none fails; without a budget, a row whose retries all met 429 is sent
// again rather than failed.
func Test429StormFailsNoRow(t *testing.T) {
	for _, tt := range []struct {
		name   string
		budget bool
	}{{"budget", true}, {"no budget", false}} {
		t.Run(tt.name, func(t *testing.T) {
			srv := chartmogultest.NewServer(t, chartmogultest.WithRateLimit(5, tt.name == "budget"))
			opts := []wrapper.Option{wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: 2, InitialBackoff: 50 * time.Millisecond})}
			if tt.budget {
				b, err := wrapper.NewRateBudget(40)
				require.NoError(t, err)
				opts = []wrapper.Option{wrapper.WithoutRetries(), wrapper.WithRateBudget(b)}
			}
			c := newClient(t, srv, opts...)
			var ins []wrapper.OpportunityInput
			for i := range 15 {
				ins = append(ins, base().WithCustom(map[string]any{"row": i}))
			}
			sum, err := bulk.Run(context.Background(), c, rowsOf(ins...), bulk.Options{Journal: &bulk.MemoryJournal{}, Concurrency: 8})
			require.NoError(t, err)
			require.True(t, sum.OK(), "%+v", sum)
			require.Zero(t, sum.Failed)
			require.Equal(t, 15, srv.Applied(chartmogultest.OpCreate))
			require.Greater(t, srv.Requests(chartmogultest.OpCreate), 15, "there were 429s")
		})
	}
}

// Every kind of damage: the next run checks every row not recorded as
// created against the API, so nothing is sent twice; once checked, the
// journal is whole again.
func TestDamagedJournalNeverResends(t *testing.T) {
	for _, tt := range []struct {
		name   string
		damage func(l []string) []string
	}{
		{"middle lines deleted", func(l []string) []string { return append(l[:4:4], l[8:]...) }},
		{"emptied", func([]string) []string { return nil }},
		{"a middle line cut", func(l []string) []string { l[5] = l[5][:20] + "\n"; return l }},
		{"lines cut from the end", func(l []string) []string { return l[:len(l)-5] }},
		{"the header deleted", func(l []string) []string { return l[1:] }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := chartmogultest.NewServer(t)
			c := newClient(t, srv)
			var ins []wrapper.OpportunityInput
			for i := range 6 {
				in := base()
				if i%2 == 1 {
					in = in.WithCustom(map[string]any{"seats": i})
				}
				ins = append(ins, in) // rows 1, 3, 5 alike
			}
			path := filepath.Join(t.TempDir(), "j")
			run := func() bulk.Summary {
				j, err := bulk.OpenJournal(path, bulk.JournalOptions{Source: "rows", Resume: true})
				if errors.Is(err, bulk.ErrNoJournal) {
					j, err = bulk.OpenJournal(path, bulk.JournalOptions{Source: "rows"})
				}
				require.NoError(t, err)
				defer j.Close()
				sum, err := bulk.Run(context.Background(), c, rowsOf(ins...), bulk.Options{Journal: j, Concurrency: 2})
				require.NoError(t, err)
				return sum
			}
			require.True(t, run().OK())
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			l := strings.SplitAfter(string(data), "\n")
			require.NoError(t, os.WriteFile(path, []byte(strings.Join(tt.damage(l), "")), 0o644))

			sum := run()
			require.True(t, sum.OK(), "%+v", sum)
			require.NotEmpty(t, sum.Damage)
			require.Zero(t, sum.Created, "nothing sent again")
			require.Equal(t, 6, srv.Applied(chartmogultest.OpCreate))
			requireEachOnce(t, c, ins...)

			lists := srv.Requests(chartmogultest.OpList)
			sum = run()
			require.Empty(t, sum.Damage, "settled by the check")
			require.Equal(t, 6, sum.Skipped)
			require.Equal(t, lists, srv.Requests(chartmogultest.OpList), "nothing to check")
		})
	}
}

func TestRowsAreCheckedBeforeAnythingIsSent(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	bad := base()
	bad.Currency = "usd"
	latin1 := base()
	latin1.Pipeline = "Caf\xe9"
	var invalid []bulk.Outcome
	_, err := bulk.Run(context.Background(), c, rowsOf(base(), bad, latin1), bulk.Options{Journal: &bulk.MemoryJournal{},
		OnOutcome: func(o bulk.Outcome) { invalid = append(invalid, o) }})
	require.ErrorIs(t, err, bulk.ErrInvalidRows)
	require.Zero(t, srv.Requests(chartmogultest.OpCreate))
	require.Len(t, invalid, 2)
	require.Equal(t, `currency: must match the pattern ^[A-Z]{3}$, got "usd"`, invalid[0].Problems[0])
	require.Equal(t, "pipeline: is not valid UTF-8", invalid[1].Problems[0])

	// CheckOnly sends nothing; SkipInvalid journals the invalid rows.
	sum, err := bulk.Run(context.Background(), c, rowsOf(base()), bulk.Options{Journal: &bulk.MemoryJournal{}, CheckOnly: true})
	require.NoError(t, err)
	require.Equal(t, 1, sum.Total)
	require.Zero(t, srv.Requests(chartmogultest.OpCreate))
	j := &bulk.MemoryJournal{}
	sum, err = bulk.Run(context.Background(), c, rowsOf(base(), bad), bulk.Options{Journal: j, SkipInvalid: true})
	require.NoError(t, err)
	require.Equal(t, 1, sum.Created)
	require.Equal(t, 1, sum.Invalid)
	require.False(t, sum.OK())
	invalidLines := 0
	for _, r := range j.Records() {
		if r.Invalid {
			require.Equal(t, 2, r.Line)
			invalidLines++
		}
	}
	require.Equal(t, 1, invalidLines)

	// Identities out of order are refused before anything is sent.
	backwards := func(yield func(bulk.Row, error) bool) {
		_ = yield(bulk.Row{Line: 2, Input: base()}, nil) && yield(bulk.Row{Line: 1, Input: base()}, nil)
	}
	_, err = bulk.Run(context.Background(), c, backwards, bulk.Options{Journal: &bulk.MemoryJournal{}})
	var se *bulk.SourceError
	require.ErrorAs(t, err, &se)
	require.ErrorContains(t, err, "line 1 comes after line 2")
	require.Equal(t, 1, srv.Requests(chartmogultest.OpCreate))

	// A row changed since the journal recorded sending it is refused.
	j = &bulk.MemoryJournal{}
	require.NoError(t, j.Append(bulk.Record{Line: 1, State: bulk.StateSending, Fingerprint: "0000000000000000"}))
	_, err = bulk.Run(context.Background(), c, rowsOf(base()), bulk.Options{Journal: j})
	var ce *bulk.ChangedError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, []string{"line 1 changed since it may have been created"}, ce.Rows)
}

func TestCancelledRunSendsNothing(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sum, err := bulk.Run(ctx, c, rowsOf(base(), base()), bulk.Options{Journal: &bulk.MemoryJournal{}})
	require.NoError(t, err)
	require.True(t, sum.Interrupted)
	require.Equal(t, 2, sum.NotSent)
	require.Zero(t, srv.Requests(chartmogultest.OpCreate))
	_, err = bulk.Run(ctx, c, rowsOf(base()), bulk.Options{})
	require.Error(t, err)
	_, err = bulk.Run(ctx, c, rowsOf(base()), bulk.Options{Journal: &bulk.MemoryJournal{}, Concurrency: -1})
	require.Error(t, err)
}

func TestFileReadsCSVAndJSONL(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	collect := func(src bulk.Source) ([]bulk.Row, error) {
		var rows []bulk.Row
		for r, err := range src {
			if err != nil {
				return rows, err
			}
			rows = append(rows, r)
		}
		return rows, nil
	}
	row := `{"customer_uuid":"` + customer + `","owner":"test1@example.org","pipeline":"P","pipeline_stage":"S",` +
		`"estimated_close_date":"2024-04-21","currency":"USD","amount_in_cents":1,` +
		`"custom":[{"key":"seats","value":3,"type":"Integer"}]}`

	// A BOM before a quoted CSV header; a Latin-1 cell.
	csv := "\ufeff\"customer_uuid\",\"owner\",pipeline,pipeline_stage,estimated_close_date,currency,amount_in_cents,custom.note\n" +
		customer + ",test1@example.org,P,S,2024-04-21,USD,1,Caf\xe9\n" +
		customer + ",test1@example.org,P,S,2024-04-21,USD,2,Café\n"
	rows, err := collect(bulk.File(write("d.csv", csv), bulk.FormatOf("d.csv")))
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, "custom.note", rows[0].Problems[0].Field)
	require.Contains(t, rows[0].Problems[0].Problem, "is not valid UTF-8 (byte 4 of the cell)")
	require.Empty(t, rows[1].Problems)
	require.Equal(t, "Café", rows[1].Input.Custom["note"])
	require.Equal(t, 3, rows[1].Line)

	// JSONL with a BOM; a custom entry with the "type" member the spec
	// allows; a Latin-1 line; a blank line counted.
	jsonl := "\ufeff" + row + "\n\n" + strings.Replace(row, `"P"`, "\"Caf\xe9\"", 1) + "\n"
	rows, err = collect(bulk.File(write("d.jsonl", jsonl), bulk.FormatOf("d.jsonl")))
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Empty(t, rows[0].Problems)
	require.Equal(t, int64(3), rows[0].Input.Custom["seats"])
	require.Equal(t, 3, rows[1].Line)
	require.Contains(t, rows[1].Problems[0].Problem, "is not valid UTF-8 (byte")

	_, err = collect(bulk.File(write("bad.csv", "customer_uuid,colour\n"), bulk.FormatCSV))
	require.ErrorContains(t, err, `unknown column "colour"`)
	_, err = collect(bulk.File(filepath.Join(dir, "missing"), bulk.FormatJSONL))
	require.Error(t, err)
	_, err = collect(bulk.Reader(strings.NewReader(""), "xml"))
	require.ErrorContains(t, err, "unknown format")
}

// CSVFields: a header naming them all is read (it holds the required
// ones); custom is not among them, its attributes being custom.KEY columns.
func TestCSVFieldsMakeAHeader(t *testing.T) {
	fields := bulk.CSVFields()
	require.Contains(t, fields, "customer_uuid")
	require.NotContains(t, fields, "custom")
	read := func(header string) (n int, err error) {
		for _, err = range bulk.Reader(strings.NewReader(header+"\n"), bulk.FormatCSV) {
			n++
		}
		return n, err
	}
	n, err := read(strings.Join(fields, ","))
	require.NoError(t, err)
	require.Zero(t, n)
	_, err = read(strings.Join(fields, ",") + ",custom")
	require.ErrorContains(t, err, `unknown column "custom"`)
}

// Run under the race detector with many rows and workers.
func TestManyRowsConcurrently(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	var ins []wrapper.OpportunityInput
	for i := range 200 {
		ins = append(ins, base().WithCustom(map[string]any{"row": i, "tag": fmt.Sprint("t", i%7)}))
	}
	sum, err := bulk.Run(context.Background(), c, rowsOf(ins...), bulk.Options{Journal: &bulk.MemoryJournal{}, Concurrency: 16})
	require.NoError(t, err)
	require.True(t, sum.OK())
	require.Equal(t, 200, srv.Applied(chartmogultest.OpCreate))
}

// failingJournal fails every Append after the first ok ones.
type failingJournal struct {
	bulk.MemoryJournal
	ok int
}

func (f *failingJournal) Append(r bulk.Record) error {
	if len(f.Records()) >= f.ok {
		return errors.New("disk full")
	}
	return f.MemoryJournal.Append(r)
}

// When the journal cannot be written, no request leaves without its
// "sending" record: the import stops, and says why.
func TestJournalFailureStopsSending(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	var ins []wrapper.OpportunityInput
	for i := range 10 {
		ins = append(ins, base().WithCustom(map[string]any{"row": i}))
	}
	j := &failingJournal{ok: 5}
	sum, err := bulk.Run(context.Background(), c, rowsOf(ins...), bulk.Options{Journal: j, Concurrency: 1})
	require.ErrorContains(t, err, "disk full")
	require.False(t, sum.OK())
	sending := 0
	for _, r := range j.Records() {
		if r.State == bulk.StateSending {
			sending++
		}
	}
	require.Equal(t, sending, srv.Requests(chartmogultest.OpCreate), "a request per sending record, none without")
	require.Positive(t, sum.NotSent)

	// A very long JSON line is read whole.
	long := `{"customer_uuid":"` + customer + `","owner":"test1@example.org","pipeline":"P","pipeline_stage":"S",` +
		`"estimated_close_date":"2024-04-21","currency":"USD","amount_in_cents":1,"custom":[{"key":"note","value":"` +
		strings.Repeat("x", 200<<10) + `"}]}`
	var rows []bulk.Row
	for r, err := range bulk.Reader(strings.NewReader(long+"\n"+long), bulk.FormatJSONL) {
		require.NoError(t, err)
		rows = append(rows, r)
	}
	require.Len(t, rows, 2)
	require.Empty(t, rows[1].Problems)
	require.Len(t, rows[1].Input.Custom["note"], 200<<10)
}

// The journal keeps UUIDs compactly; odd ones (upper case, not a UUID at
// all, as a hand-edited or foreign journal may hold) come back as written.
func TestSkippedRowsReportTheJournalsUUID(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	j := &bulk.MemoryJournal{}
	uuids := []string{"bb544336-e74e-11ee-800c-effc264f19ed", "BB544336-E74E-11EE-800C-EFFC264F19ED", "not-a-uuid"}
	for i, u := range uuids {
		require.NoError(t, j.Append(bulk.Record{Line: i + 1, State: bulk.StateCreated, UUID: u}))
	}
	var got []string
	sum, err := bulk.Run(context.Background(), c, rowsOf(base(), base(), base()), bulk.Options{Journal: j, Concurrency: 1,
		OnOutcome: func(o bulk.Outcome) { got = append(got, o.UUID) }})
	require.NoError(t, err)
	require.Equal(t, 3, sum.Skipped)
	require.Equal(t, uuids, got)
	require.Zero(t, srv.Requests(chartmogultest.OpCreate))
}

// A request an earlier run sent just before it died can land after a quick
// resume has looked and found nothing; the row would be sent twice. With
// Settle the resume first waits for it, and claims it.
func TestSettleWaitsForARequestStillInFlight(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	in := base()
	rows := func(yield func(bulk.Row, error) bool) {
		yield(bulk.Row{Line: 1, Input: in, Fingerprint: "fp1"}, nil)
	}
	j := &bulk.MemoryJournal{}
	require.NoError(t, j.Append(bulk.Record{Line: 1, State: bulk.StateSending, At: time.Now(), Fingerprint: "fp1"}))
	landed := make(chan struct{})
	go func() { // the earlier run's request, landing 300 ms later
		defer close(landed)
		time.Sleep(300 * time.Millisecond)
		_, _ = c.Create(context.Background(), in)
	}()
	sum, err := bulk.Run(context.Background(), c, rows, bulk.Options{Journal: j, Settle: time.Second})
	<-landed
	require.NoError(t, err)
	require.Equal(t, 1, sum.Reconciled, "%+v", sum)
	require.Equal(t, 1, srv.Applied(chartmogultest.OpCreate), "created once")
}

func TestSummaryString(t *testing.T) {
	s := bulk.Summary{Total: 9, Created: 3, Skipped: 2, Reconciled: 1, Failed: 2, Invalid: 1, NotSent: 0, NeedsReview: 4, MayExist: 1,
		Elapsed: 1234 * time.Millisecond}
	require.Equal(t, "total 9, created 3, skipped 2, reconciled 1, failed 2, invalid 1, not sent 0, elapsed 1.2s, rate 4.9 rows/s, needs review 4", s.String(),
		"the rate counts the rows handled: created, reconciled or failed")
	s = bulk.Summary{Total: 100, Created: 40, NotSent: 60, Elapsed: 12600 * time.Millisecond}
	require.Equal(t, "total 100, created 40, skipped 0, reconciled 0, failed 0, invalid 0, not sent 60, elapsed 13s, rate 3.2 rows/s", s.String())
	require.Equal(t, "total 0, created 0, skipped 0, reconciled 0, failed 0, invalid 0, not sent 0, elapsed 0s, rate 0.0 rows/s", bulk.Summary{}.String())
	require.Equal(t, "total 3, created 1, skipped 0, reconciled 0, failed 0, invalid 0, not sent 0, elapsed 0s, rate 0.0 rows/s, needs review 2", bulk.Summary{Total: 3, Created: 1, NeedsReview: 2}.String())
	require.Equal(t, "summary: "+s.String(), fmt.Sprintf("summary: %v", s))
	require.Contains(t, bulk.Summary{Created: 5}.String(), "rate 0.0 rows/s", "no time elapsed: no rate")
	require.Contains(t, bulk.Summary{Created: 5, Elapsed: -time.Second}.String(), "rate 0.0 rows/s")
}

// A stop while the rows are being checked (a large file takes a while) ends
// the run there: the rows read are not sent, and the rest is not read.
func TestStopWhileCheckingTheRows(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	read := 0
	rows := func(yield func(bulk.Row, error) bool) {
		for line := 1; line <= 1_000_000; line++ {
			read++
			if line == 1000 {
				cancel()
			}
			if !yield(bulk.Row{Line: line, Input: base()}, nil) {
				return
			}
		}
	}
	notSent := 0
	sum, err := bulk.Run(ctx, c, rows, bulk.Options{Journal: &bulk.MemoryJournal{},
		OnOutcome: func(o bulk.Outcome) {
			if o.State == bulk.NotSent {
				notSent++
			}
		}})
	require.NoError(t, err, "a stop, as later in the run")
	require.True(t, sum.Interrupted)
	require.Less(t, read, 2000, "the rest is not read")
	require.Equal(t, sum.Total, sum.NotSent, "the rows read are not sent")
	require.Equal(t, sum.NotSent, notSent, "each has its outcome")
	require.Zero(t, srv.Applied(chartmogultest.OpCreate))
}
