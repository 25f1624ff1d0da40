package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/bulk"
	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/wrapper"
)

// fileRun runs an import of ins with the file journal at path (created on
// the first run, resumed after).
func fileRun(t *testing.T, c *wrapper.Client, path string, src bulk.Source) (bulk.Summary, []bulk.Outcome, error) {
	t.Helper()
	j, err := bulk.OpenJournal(path, bulk.JournalOptions{Source: "rows", Resume: true})
	if errors.Is(err, bulk.ErrNoJournal) {
		j, err = bulk.OpenJournal(path, bulk.JournalOptions{Source: "rows"})
	}
	require.NoError(t, err)
	defer j.Close()
	var outs []bulk.Outcome
	sum, err := bulk.Run(context.Background(), c, src, bulk.Options{Journal: j, Concurrency: 1,
		OnOutcome: func(o bulk.Outcome) { outs = append(outs, o) }})
	return sum, outs, err
}

func editJournal(t *testing.T, path string, edit func(l []string) []string) {
	t.Helper()
	l := lines(t, path)
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(edit(l), "")), 0o644))
}

// Hostile 1: editing the last record (here: a failure after which the row
// may exist, turned into a definite one) is seen, and the row is looked up
// before anything is sent again; so is cutting records off the end and
// lowering last_seq to match.
func TestEditedLastRecordIsDetected(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(l []string) []string
	}{
		{"outcome_unknown removed from the last record", func(l []string) []string {
			last := len(l) - 2 // l ends with ""
			require.Contains(t, l[last], `,"outcome_unknown":true`)
			l[last] = strings.Replace(l[last], `,"outcome_unknown":true`, "", 1)
			return l
		}},
		{"the last record deleted and last_seq lowered", func(l []string) []string {
			l[0] = strings.Replace(l[0], `"last_seq":"00000000000000000002"`, `"last_seq":"00000000000000000001"`, 1)
			return l[:len(l)-2]
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := chartmogultest.NewServer(t)
			c := newClient(t, srv)
			path := filepath.Join(t.TempDir(), "j")
			srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Apply: true, DropConnection: true, Times: 1})
			sum, _, err := fileRun(t, c, path, rowsOf(base()))
			require.NoError(t, err)
			require.Equal(t, 1, sum.MayExist)
			require.Equal(t, 1, srv.Applied(chartmogultest.OpCreate))

			editJournal(t, path, tt.edit)
			sum, outs, err := fileRun(t, c, path, rowsOf(base()))
			require.NoError(t, err)
			require.NotEmpty(t, sum.Damage)
			require.True(t, sum.OK(), "%+v", sum)
			require.Equal(t, bulk.Reconciled, outs[0].State)
			require.Equal(t, 1, srv.Applied(chartmogultest.OpCreate), "not created twice")
			requireEachOnce(t, c, base())
		})
	}
}

// A crash between a record and the header's update is no damage; the
// record the header does not cover is not trusted.
func TestJournalHeaderOneBehindIsNoDamage(t *testing.T) {
	path := writeJournal(t, 2)
	editJournal(t, path, func(l []string) []string {
		// As the journal looked before the last Append updated the header.
		prev := lines(t, path)
		l[0] = strings.Replace(l[0], `"last_seq":"00000000000000000004"`, `"last_seq":"00000000000000000003"`, 1)
		i := strings.Index(l[0], `"last_hash":"`) + len(`"last_hash":"`)
		l[0] = l[0][:i] + prevHash(prev[4]) + l[0][i+16:]
		return l
	})
	recs, integ := replay(t, path)
	require.Empty(t, integ.Damage)
	require.Len(t, recs, 4)
	for i, r := range recs {
		require.Equal(t, i == 3, r.Unverified, "record %d", i+1)
	}
}

// prevHash is the "prev" of the record line that follows line.
func prevHash(line string) string {
	i := strings.Index(line, `"prev":"`) + len(`"prev":"`)
	return line[i : i+16]
}

// Hostile 2: a "checked" record does not hide a deletion made before it
// afterwards.
func TestCheckedRecordPinsWhatCameBefore(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	var ins []wrapper.OpportunityInput
	for i := range 4 {
		ins = append(ins, base().WithCustom(map[string]any{"row": i}))
	}
	path := filepath.Join(t.TempDir(), "j")
	sum, _, err := fileRun(t, c, path, rowsOf(ins...))
	require.NoError(t, err)
	require.True(t, sum.OK())

	// Damage, settled by a resume that checks every row.
	editJournal(t, path, func(l []string) []string { return append(l[:2:2], l[3:]...) })
	sum, _, err = fileRun(t, c, path, rowsOf(ins...))
	require.NoError(t, err)
	require.NotEmpty(t, sum.Damage)
	require.True(t, sum.OK())
	require.Contains(t, lines(t, path)[len(lines(t, path))-2], `"state":"checked"`)
	sum, _, err = fileRun(t, c, path, rowsOf(ins...))
	require.NoError(t, err)
	require.Empty(t, sum.Damage)

	// Now line 3's records are deleted, before the check record.
	editJournal(t, path, func(l []string) []string {
		var out []string
		for _, x := range l {
			if !strings.Contains(x, `"line":3,`) {
				out = append(out, x)
			}
		}
		return out
	})
	sum, _, err = fileRun(t, c, path, rowsOf(ins...))
	require.NoError(t, err)
	require.Contains(t, sum.Damage, "changed after the check")
	require.True(t, sum.OK(), "%+v", sum)
	require.Equal(t, 4, srv.Applied(chartmogultest.OpCreate), "line 3 not created again")
	requireEachOnce(t, c, ins...)
}

// Hostile 4: on a damaged journal, a created record edited to name another
// row's opportunity is not trusted: both rows are looked up.
func TestEditedCreatedRecordIsNotTrusted(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	a, b := base(), base().WithCustom(map[string]any{"seats": 3})
	path := filepath.Join(t.TempDir(), "j")
	_, outs, err := fileRun(t, c, path, rowsOf(a, b))
	require.NoError(t, err)
	uuidA, uuidB := outs[0].UUID, outs[1].UUID
	// Line 1's records deleted; line 2's created record made to claim A's
	// opportunity.
	editJournal(t, path, func(l []string) []string {
		out := []string{l[0]}
		for _, x := range l[1:] {
			if strings.Contains(x, `"line":1,`) {
				continue
			}
			out = append(out, strings.Replace(x, uuidB, uuidA, 1))
		}
		return out
	})
	sum, outs, err := fileRun(t, c, path, rowsOf(a, b))
	require.NoError(t, err)
	require.NotEmpty(t, sum.Damage)
	require.True(t, sum.OK(), "%+v", sum)
	require.Equal(t, 2, sum.Reconciled)
	require.Equal(t, uuidA, outs[0].UUID)
	require.Equal(t, uuidB, outs[1].UUID)
	require.Equal(t, 2, srv.Applied(chartmogultest.OpCreate))
	requireEachOnce(t, c, a, b)
}

// A journal that reports damage but does not mark the records it cannot
// vouch for: no created record is trusted.
type unvouchedJournal struct{ bulk.MemoryJournal }

func (u *unvouchedJournal) Replay(fn func(bulk.Record)) (bulk.Integrity, error) {
	integ, err := u.MemoryJournal.Replay(fn)
	integ.Damage = "lost lines"
	return integ, err
}

func TestDamagedUnvouchedJournalTrustsNoCreatedRecord(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	a, b := base(), base().WithCustom(map[string]any{"seats": 3})
	oa, err := c.Create(context.Background(), a)
	require.NoError(t, err)
	j := &unvouchedJournal{}
	// Line 2's record names line 1's opportunity; line 1 has none.
	require.NoError(t, j.Append(bulk.Record{Line: 2, State: bulk.StateCreated, UUID: oa.UUID}))
	sum, err := bulk.Run(context.Background(), c, rowsOf(a, b), bulk.Options{Journal: j})
	require.NoError(t, err)
	require.True(t, sum.OK(), "%+v", sum)
	require.Equal(t, 1, sum.Reconciled)
	require.Equal(t, 1, sum.Created)
	requireEachOnce(t, c, a, b)
}

// A version 2 journal (no last_hash) is read and continued; its last
// record is not vouched for.
func TestJournalVersion2IsRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.journal")
	v2 := `{"journal":"mogulkit-opportunities-import","version":2,"source":"deals.jsonl","started":"2024-03-21T06:46:23.137912Z","last_seq":"00000000000000000002"}
`
	head := strings.TrimSuffix(strings.Replace(v2, "00000000000000000002", "00000000000000000000", 1), "\n")
	r1 := `{"seq":1,"prev":"` + hashOf(head) + `","line":1,"state":"sending","at":"2024-03-21T06:46:24Z","row_sha256":"9f2c4e01a7b3d5c8"}`
	r2 := `{"seq":2,"prev":"` + hashOf(r1) + `","line":1,"state":"created","at":"2024-03-21T06:46:25Z","uuid":"bb544336-e74e-11ee-800c-effc264f19ed"}`
	require.NoError(t, os.WriteFile(path, []byte(v2+r1+"\n"+r2+"\n"), 0o644))
	recs, integ := replay(t, path)
	require.Empty(t, integ.Damage)
	require.Len(t, recs, 2)
	require.False(t, recs[0].Unverified)
	require.True(t, recs[1].Unverified, "nothing vouches for a version 2 journal's last record")

	// Continued as version 2: still whole after an Append.
	j, err := bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.jsonl", Resume: true})
	require.NoError(t, err)
	require.NoError(t, j.Append(bulk.Record{Line: 2, State: bulk.StateSending}))
	require.NoError(t, j.Close())
	recs, integ = replay(t, path)
	require.Empty(t, integ.Damage)
	require.Len(t, recs, 3)
	require.False(t, recs[1].Unverified)
	require.Contains(t, lines(t, path)[0], `"version":2`)
	require.Contains(t, lines(t, path)[0], `"last_seq":"00000000000000000003"`)
}

// Hostile 5: removing a blank line moves the rows after it; the journal's
// recorded lines no longer hold their rows, so the resume refuses to send
// anything.
func TestRemovedBlankLineIsAChange(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	dir := t.TempDir()
	in := filepath.Join(dir, "deals.jsonl")
	body := func(amount int) string {
		return `{"customer_uuid":"` + customer + `","owner":"test1@example.org","pipeline":"P","pipeline_stage":"S",` +
			`"estimated_close_date":"2024-04-21","currency":"USD","amount_in_cents":` + strings.Repeat("1", amount) + `}`
	}
	require.NoError(t, os.WriteFile(in, []byte("\n"+body(1)+"\n\n"+body(2)+"\n"), 0o644))
	path := filepath.Join(dir, "j")
	sum, _, err := fileRun(t, c, path, bulk.File(in, bulk.FormatJSONL))
	require.NoError(t, err)
	require.Equal(t, 2, sum.Created)

	require.NoError(t, os.WriteFile(in, []byte("\n"+body(1)+"\n"+body(2)+"\n"), 0o644))
	_, _, err = fileRun(t, c, path, bulk.File(in, bulk.FormatJSONL))
	var ce *bulk.ChangedError
	require.ErrorAs(t, err, &ce)
	require.Len(t, ce.Rows, 1)
	require.Contains(t, ce.Rows[0], "line 4 was created as")
	require.Contains(t, ce.Rows[0], "no longer holds a row")
	require.Equal(t, 2, srv.Requests(chartmogultest.OpCreate), "nothing sent")
}

// Hostile 3: rows that differ only in sending win_likelihood. With one
// opportunity each that only one assignment fits, both are claimed; with
// one opportunity for the two, which row is still to create cannot be
// told, and the message says so.
func TestWinLikelihoodRowsAreMatchedWhenOnlyOneWayFits(t *testing.T) {
	withWin, without := base().WithWinLikelihood(40), base()
	t.Run("a full matching", func(t *testing.T) {
		srv := chartmogultest.NewServer(t)
		c := newClient(t, srv)
		o1, err := c.Create(context.Background(), withWin)
		require.NoError(t, err)
		o2, err := c.Create(context.Background(), without)
		require.NoError(t, err)
		require.Nil(t, o2.WinLikelihood)
		j := &bulk.MemoryJournal{}
		require.NoError(t, j.Append(sendingRecord(1)))
		require.NoError(t, j.Append(sendingRecord(2)))
		var outs []bulk.Outcome
		sum, err := bulk.Run(context.Background(), c, rowsOf(withWin, without), bulk.Options{Journal: j, Concurrency: 1,
			OnOutcome: func(o bulk.Outcome) { outs = append(outs, o) }})
		require.NoError(t, err)
		require.True(t, sum.OK(), "%+v", sum)
		require.Equal(t, []bulk.Outcome{{Line: 1, State: bulk.Reconciled, UUID: o1.UUID}, {Line: 2, State: bulk.Reconciled, UUID: o2.UUID}}, outs)
		require.Equal(t, 2, srv.Applied(chartmogultest.OpCreate))
	})
	t.Run("one candidate for both", func(t *testing.T) {
		srv := chartmogultest.NewServer(t)
		c := newClient(t, srv)
		o1, err := c.Create(context.Background(), withWin)
		require.NoError(t, err)
		j := &bulk.MemoryJournal{}
		require.NoError(t, j.Append(sendingRecord(1)))
		require.NoError(t, j.Append(sendingRecord(2)))
		var outs []bulk.Outcome
		sum, err := bulk.Run(context.Background(), c, rowsOf(withWin, without), bulk.Options{Journal: j, Concurrency: 1,
			OnOutcome: func(o bulk.Outcome) { outs = append(outs, o) }})
		require.NoError(t, err)
		require.Equal(t, 2, sum.NeedsReview)
		for _, o := range outs {
			require.Equal(t, []string{o1.UUID}, o.Candidates)
			require.Contains(t, o.Error, "could belong to the rows of lines 1, 2 in more than one way")
			require.NotContains(t, o.Error, "more matching opportunities")
		}
		require.Equal(t, 1, srv.Applied(chartmogultest.OpCreate), "neither sent")
	})
	t.Run("one candidate only one row can own", func(t *testing.T) {
		// A row sending 40 and a row sending 50: the opportunity with 40 is
		// the first's; the second was not created and is sent.
		srv := chartmogultest.NewServer(t)
		c := newClient(t, srv)
		fifty := base().WithWinLikelihood(50)
		o1, err := c.Create(context.Background(), withWin)
		require.NoError(t, err)
		j := &bulk.MemoryJournal{}
		require.NoError(t, j.Append(sendingRecord(1)))
		require.NoError(t, j.Append(sendingRecord(2)))
		var outs []bulk.Outcome
		sum, err := bulk.Run(context.Background(), c, rowsOf(withWin, fifty), bulk.Options{Journal: j, Concurrency: 1,
			OnOutcome: func(o bulk.Outcome) { outs = append(outs, o) }})
		require.NoError(t, err)
		require.True(t, sum.OK(), "%+v", sum)
		require.Contains(t, outs, bulk.Outcome{Line: 1, State: bulk.Reconciled, UUID: o1.UUID})
		require.Equal(t, 2, srv.Applied(chartmogultest.OpCreate))
		requireEachOnce(t, c, withWin, fifty)
	})
}

// Hostile 8: a source that yields other rows on its second pass is caught
// before a row the check did not see is sent, and every row the check saw
// gets an outcome.
func TestSourceThatChangesBetweenPasses(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv)
	row := func(line, n int) bulk.Row {
		return bulk.Row{Line: line, Input: base().WithCustom(map[string]any{"n": n})}
	}
	invalid := base()
	invalid.Currency = "usd"
	passes := [][]bulk.Row{
		{row(1, 1), row(3, 3)},
		{{Line: 1, Input: invalid}, row(2, 2), row(3, 3)}, // row 1 invalidated, row 2 added
	}
	pass := 0
	src := func(yield func(bulk.Row, error) bool) {
		rows := passes[min(pass, 1)]
		pass++
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}
	got := map[int]bulk.State{}
	sum, err := bulk.Run(context.Background(), c, src, bulk.Options{Journal: &bulk.MemoryJournal{}, Concurrency: 1,
		OnOutcome: func(o bulk.Outcome) { got[o.Line] = o.State }})
	var se *bulk.SourceError
	require.ErrorAs(t, err, &se)
	require.ErrorContains(t, err, "other rows when read again")
	require.False(t, sum.OK())
	require.True(t, sum.SourceFailed)
	require.Equal(t, map[int]bulk.State{1: bulk.NotSent, 3: bulk.NotSent}, got)
	require.Zero(t, srv.Requests(chartmogultest.OpCreate), "nothing the check did not see was sent")

	// Reordered: the second pass yields 1, 3, 2.
	passes = [][]bulk.Row{{row(1, 1), row(2, 2), row(3, 3)}, {row(1, 1), row(3, 3), row(2, 2)}}
	pass = 0
	got = map[int]bulk.State{}
	sum, err = bulk.Run(context.Background(), c, src, bulk.Options{Journal: &bulk.MemoryJournal{}, Concurrency: 1,
		OnOutcome: func(o bulk.Outcome) { got[o.Line] = o.State }})
	require.ErrorAs(t, err, &se)
	require.False(t, sum.OK())
	require.Equal(t, map[int]bulk.State{1: bulk.Created, 2: bulk.NotSent, 3: bulk.NotSent}, got)
	require.Equal(t, 1, srv.Applied(chartmogultest.OpCreate))

	// Fewer rows the second time.
	passes = [][]bulk.Row{{row(1, 1), row(2, 2)}, {row(1, 1)}}
	pass = 0
	got = map[int]bulk.State{}
	sum, err = bulk.Run(context.Background(), c, src, bulk.Options{Journal: &bulk.MemoryJournal{}, Concurrency: 1,
		OnOutcome: func(o bulk.Outcome) { got[o.Line] = o.State }})
	require.ErrorAs(t, err, &se)
	require.False(t, sum.OK())
	require.Equal(t, bulk.NotSent, got[2])

	// Line 0: a plain message, and not OK.
	zero := func(yield func(bulk.Row, error) bool) { yield(bulk.Row{Line: 0, Input: base()}, nil) }
	sum, err = bulk.Run(context.Background(), c, zero, bulk.Options{Journal: &bulk.MemoryJournal{}})
	require.ErrorContains(t, err, "row identities must be positive: got line 0")
	require.False(t, sum.OK())
}

// When listing fails during reconciliation, every row still gets an
// outcome.
func TestListFailureGivesEveryRowAnOutcome(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	c := newClient(t, srv, wrapper.WithoutRetries())
	srv.Inject(chartmogultest.OpList, chartmogultest.Fault{Status: 500, Times: 10})
	j := &bulk.MemoryJournal{}
	require.NoError(t, j.Append(sendingRecord(1)))
	require.NoError(t, j.Append(bulk.Record{Line: 2, State: bulk.StateCreated, UUID: "bb544336-e74e-11ee-800c-effc264f19ed"}))
	got := map[int]bulk.State{}
	sum, err := bulk.Run(context.Background(), c, rowsOf(base(), base(), base()), bulk.Options{Journal: j,
		OnOutcome: func(o bulk.Outcome) { got[o.Line] = o.State }})
	require.ErrorContains(t, err, "checking whether earlier attempts created their rows")
	require.False(t, sum.OK())
	require.Equal(t, map[int]bulk.State{1: bulk.NotSent, 2: bulk.Skipped, 3: bulk.NotSent}, got)
	require.Zero(t, srv.Requests(chartmogultest.OpCreate))
}

// Hostile 7: a 429 asking for an hour (or a date in 2099) is honoured for
// the retry policy's MaxBackoff at most, and said so.
func TestLongRetryAfterIsCapped(t *testing.T) {
	for _, ra := range []string{"3600", "Thu, 01 Jan 2099 00:00:00 GMT"} {
		t.Run(ra, func(t *testing.T) {
			srv := chartmogultest.NewServer(t)
			srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 429, Header: http.Header{"Retry-After": {ra}}, Times: 1})
			b, err := wrapper.NewRateBudget(40)
			require.NoError(t, err)
			c := newClient(t, srv, wrapper.WithRateBudget(b),
				wrapper.WithRetryPolicy(wrapper.RetryPolicy{InitialBackoff: 50 * time.Millisecond, MaxBackoff: 300 * time.Millisecond}))
			var notes []string
			var mu sync.Mutex
			start := time.Now()
			sum, err := bulk.Run(context.Background(), c, rowsOf(base()), bulk.Options{Journal: &bulk.MemoryJournal{},
				Notef: func(f string, a ...any) { mu.Lock(); notes = append(notes, fmt.Sprintf(f, a...)); mu.Unlock() }})
			require.NoError(t, err)
			require.True(t, sum.OK(), "%+v", sum)
			require.Less(t, time.Since(start), 5*time.Second)
			require.Equal(t, 1, srv.Applied(chartmogultest.OpCreate))
			require.Contains(t, strings.Join(notes, "\n"), "answered 429 asking to wait")
			require.Contains(t, strings.Join(notes, "\n"), "waiting 300ms at most")
		})
	}
}

// Hostile 7: stopping the import stops rows waiting after a 429 at once
// (requests in flight would still finish), and they are not sent, not
// failed; a resume then sends each exactly once.
func TestStopDuringALongRetryAfter(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 429, Header: http.Header{"Retry-After": {"3600"}}, Times: 1000})
	b, err := wrapper.NewRateBudget(40)
	require.NoError(t, err)
	c := newClient(t, srv, wrapper.WithRateBudget(b))
	var ins []wrapper.OpportunityInput
	for i := range 5 {
		ins = append(ins, base().WithCustom(map[string]any{"row": i}))
	}
	j := &bulk.MemoryJournal{}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	got := map[int]bulk.State{}
	start := time.Now()
	inFlight, abort := context.WithTimeout(context.Background(), 10*time.Second) // bounds the test
	defer abort()
	sum, err := bulk.Run(ctx, c, rowsOf(ins...), bulk.Options{Journal: j, Concurrency: 2, InFlight: inFlight,
		OnOutcome: func(o bulk.Outcome) { got[o.Line] = o.State }})
	require.NoError(t, err)
	require.Less(t, time.Since(start), 3*time.Second, "stopped at once")
	require.True(t, sum.Interrupted)
	require.Zero(t, sum.Failed)
	require.Equal(t, 5, sum.NotSent)
	require.Len(t, got, 5)
	require.Positive(t, srv.Requests(chartmogultest.OpCreate))

	srv.ClearFaults()
	c = newClient(t, srv) // the budget above is paused for 30 s
	sum, err = bulk.Run(context.Background(), c, rowsOf(ins...), bulk.Options{Journal: j})
	require.NoError(t, err)
	require.True(t, sum.OK(), "%+v", sum)
	require.Equal(t, 5, srv.Applied(chartmogultest.OpCreate))
	// A 429 is never processed: the rows that met one are known not to be
	// created, so the resume does not look them up.
	require.Zero(t, srv.Requests(chartmogultest.OpList), "no lookup")
	require.Zero(t, sum.Reconciled)
	requireEachOnce(t, c, ins...)
}

// Under a policy that retries creates on server errors, a 500 the API applied
// may be followed by a 429: a row stopped while it waited after that 429 may
// exist, so it is journalled as such and a resume looks it up instead of
// creating it again. (Under the default policy a create is sent again only
// after answers that were not processed; see TestStopDuringALongRetryAfter.)
func TestStopAfterAnAppliedServerErrorThenA429LooksTheRowUp(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 500, Apply: true})
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 429, Header: http.Header{"Retry-After": {"3600"}}, Times: 1000})
	b, err := wrapper.NewRateBudget(40)
	require.NoError(t, err)
	c := newClient(t, srv, wrapper.WithRateBudget(b), wrapper.WithRetryPolicy(wrapper.RetryPolicy{
		MaxAttempts: 3, RetryCreateOnServerError: true, InitialBackoff: time.Millisecond, MaxBackoff: 30 * time.Second}))
	j := &bulk.MemoryJournal{}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	var outs []bulk.Outcome
	start := time.Now()
	_, err = bulk.Run(ctx, c, rowsOf(base()), bulk.Options{Journal: j, OnOutcome: func(o bulk.Outcome) { outs = append(outs, o) }})
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond, "it waited after the 429 until stopped")
	require.Len(t, outs, 1)
	require.True(t, outs[0].MayExist, "%+v", outs[0])

	srv.ClearFaults()
	sum, err := bulk.Run(context.Background(), newClient(t, srv), rowsOf(base()), bulk.Options{Journal: j})
	require.NoError(t, err)
	require.Equal(t, 1, sum.Reconciled, "%+v", sum)
	require.Equal(t, 1, srv.Applied(chartmogultest.OpCreate), "no duplicate")
}

// The same policy with no stop: a 500 the API applied, then a 422 — the row
// may exist, and says so.
func TestAnAppliedServerErrorBeforeARefusalMayExist(t *testing.T) {
	srv := chartmogultest.NewServer(t)
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 500, Apply: true})
	srv.Inject(chartmogultest.OpCreate, chartmogultest.Fault{Status: 422})
	c := newClient(t, srv, wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: 3, RetryCreateOnServerError: true, InitialBackoff: time.Millisecond}))
	var outs []bulk.Outcome
	_, err := bulk.Run(context.Background(), c, rowsOf(base()), bulk.Options{Journal: &bulk.MemoryJournal{}, OnOutcome: func(o bulk.Outcome) { outs = append(outs, o) }})
	require.NoError(t, err)
	require.Len(t, outs, 1)
	require.Equal(t, bulk.Failed, outs[0].State)
	require.True(t, outs[0].MayExist, "the first attempt created it")
}
