package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/bulk"
	"github.com/mogulkit/opportunities/internal/cmdutil"
	"github.com/mogulkit/opportunities/internal/iostreams"
	"github.com/mogulkit/opportunities/internal/progress"
	"github.com/mogulkit/opportunities/wrapper"
)

// validImportOptions are import's flags at their defaults.
func validImportOptions() importOptions {
	return importOptions{concurrency: 4, rate: wrapper.ChartMogulRequestsPerSecond, interval: 2 * time.Second}
}

// importOptions.check: which problem is reported first when there are
// several, and the journal, format and budget it settles.
func TestImportOptionsCheck(t *testing.T) {
	dir := t.TempDir()
	deals := filepath.Join(dir, "deals.csv")
	require.NoError(t, os.WriteFile(deals, []byte("customer_uuid\n"), 0o644))
	for _, tt := range []struct {
		name                  string
		set                   func(o *importOptions)
		pos                   []string
		want                  string // the error; "" for none
		file, format, journal string
	}{
		{name: "defaults", pos: []string{"a.csv"}, file: "a.csv", format: "csv", journal: "a.csv.journal"},
		{name: "jsonl by default", pos: []string{"a.txt"}, file: "a.txt", format: "jsonl", journal: "a.txt.journal"},
		{name: "format given", set: func(o *importOptions) { o.format = "jsonl" }, pos: []string{"a.csv"}, file: "a.csv", format: "jsonl", journal: "a.csv.journal"},
		{name: "journal given", set: func(o *importOptions) { o.journal = "j" }, pos: []string{"a.csv"}, file: "a.csv", format: "csv", journal: "j"},
		{name: "resume names it", set: func(o *importOptions) { o.resume = cmdutil.Optional{On: true, Value: "r.journal"} }, pos: []string{"a.csv"}, file: "a.csv", format: "csv", journal: "r.journal"},
		{name: "resume and journal agree", set: func(o *importOptions) { o.resume, o.journal = cmdutil.Optional{On: true, Value: "r"}, "r" }, pos: []string{"a"}, file: "a", format: "jsonl", journal: "r"},
		{name: "resume alone", set: func(o *importOptions) { o.resume, o.journal = cmdutil.Optional{On: true, Value: ""}, "j" }, pos: []string{"a"}, file: "a", format: "jsonl", journal: "j"},
		{name: "FILE from the journal's name", set: func(o *importOptions) { o.resume = cmdutil.Optional{On: true, Value: deals + ".journal"} }, file: deals, format: "csv", journal: deals + ".journal"},
		{name: "no FILE from a missing one", set: func(o *importOptions) {
			o.resume = cmdutil.Optional{On: true, Value: filepath.Join(dir, "gone.csv.journal")}
		}, want: "missing the FILE to import"},
		{name: "no FILE from a directory", set: func(o *importOptions) { o.resume = cmdutil.Optional{On: true, Value: dir + ".journal"} }, want: "missing the FILE to import"},
		{name: "stdin under --check", set: func(o *importOptions) { o.checkOnly = true }, pos: []string{"-"}, file: "-", format: "jsonl", journal: "-.journal"},
		{name: "stdin with a journal", set: func(o *importOptions) { o.journal = "j" }, pos: []string{"-"}, file: "-", format: "jsonl", journal: "j"},
		{name: "stdin resumed", set: func(o *importOptions) { o.resume = cmdutil.Optional{On: true, Value: "j"} }, pos: []string{"-"}, file: "-", format: "jsonl", journal: "j"},
		{name: "stdin alone", pos: []string{"-"}, want: "reading stdin (-) needs --journal"},

		{name: "no FILE first", set: func(o *importOptions) { o.concurrency = 0 }, want: "missing the FILE to import"},
		{name: "two FILEs", set: func(o *importOptions) { o.concurrency = 0 }, pos: []string{"a", "b"}, want: `unexpected argument "b" (one FILE expected)`},
		{name: "concurrency before rate", set: func(o *importOptions) { o.concurrency, o.rate = 1001, 0 }, pos: []string{"a"}, want: "--concurrency must be between 1 and 1000, got 1001"},
		{name: "rate NaN", set: func(o *importOptions) { o.rate = math.NaN() }, pos: []string{"a"}, want: "--rate must be a number above 0, at least one request an hour (0.0002777777777777778), and at most 1e+06, got NaN"},
		{name: "rate +Inf", set: func(o *importOptions) { o.rate = math.Inf(1) }, pos: []string{"a"}, want: "--rate must be"},
		{name: "rate too high", set: func(o *importOptions) { o.rate = 1e6 + 1 }, pos: []string{"a"}, want: "--rate must be"},
		{name: "rate before interval", set: func(o *importOptions) { o.rate, o.interval = -1, -1 }, pos: []string{"a"}, want: "--rate must be"},
		{name: "interval before format", set: func(o *importOptions) { o.interval, o.format = -time.Second, "xml" }, pos: []string{"a"}, want: "--progress-interval must not be negative, got -1s"},
		{name: "empty FILE", pos: []string{""}, want: "the FILE to import is empty: name a file, or - for stdin"},
		{name: "format before journals", set: func(o *importOptions) {
			o.format, o.journal, o.resume = "CSV", "a", cmdutil.Optional{On: true, Value: "b"}
		}, pos: []string{"a"}, want: `--format must be csv or jsonl, got "CSV"`},
		{name: "two journals before stdin", set: func(o *importOptions) { o.journal, o.resume = "a", cmdutil.Optional{On: true, Value: "b"} }, pos: []string{"-"}, want: "--journal a and --resume=b name different journals"},
	} {
		o := validImportOptions()
		if tt.set != nil {
			tt.set(&o)
		}
		file, err := o.check(tt.pos)
		if tt.want != "" {
			require.ErrorContains(t, err, tt.want, tt.name)
			var ue *cmdutil.UsageError
			require.ErrorAs(t, err, &ue, tt.name)
			continue
		}
		require.NoError(t, err, tt.name)
		require.Equal(t, []string{tt.file, tt.format, tt.journal}, []string{file, o.format, o.journal}, tt.name)
		require.NotNil(t, o.budget, tt.name)
	}
	o := validImportOptions()
	o.rate = wrapper.MinRateLimit // the bounds themselves are allowed
	_, err := o.check([]string{"a"})
	require.NoError(t, err)
	o.rate = wrapper.MaxRateLimit
	_, err = o.check([]string{"a"})
	require.NoError(t, err)
}

// fieldList: every property but custom, in order, comma-separated, on
// lines of at most 78 columns indented by two spaces.
func TestFieldList(t *testing.T) {
	list := fieldList()
	var names []string
	for _, line := range strings.Split(list, "\n") {
		require.LessOrEqual(t, len(line), 78, line)
		require.True(t, strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   "), "%q", line)
		names = append(names, strings.Fields(line)...)
	}
	var want []string
	for _, p := range createProperties {
		if p.Name != "custom" {
			want = append(want, p.Name+",")
		}
	}
	want[len(want)-1] = strings.TrimSuffix(want[len(want)-1], ",")
	require.Equal(t, want, names)
	require.Greater(t, strings.Count(list, "\n"), 0, "wrapped")
}

// outcome: every outcome on stdout; problems and errors on stderr; created,
// reconciled, failed and needs-review rows counted done (the last two as
// failures too), skipped, not sent and invalid ones not at all.
func TestImportOutcomeCounts(t *testing.T) {
	var stdout, stderr strings.Builder
	r := &importRun{stdout: &stdout, stderr: &stderr}
	r.outcome(bulk.Outcome{Line: 2, State: bulk.Invalid, Problems: []string{"owner: is required", "currency: is required"}})
	require.Equal(t, "line 2: owner: is required\nline 2: currency: is required\n", stderr.String(), "before the bar")
	stderr.Reset()
	prog := progress.New(&stderr, false, 0, 9)
	r.prog.Store(prog)
	for _, o := range []bulk.Outcome{
		{Line: 3, State: bulk.Created, UUID: "u3"},
		{Line: 4, State: bulk.Reconciled, UUID: "u4"},
		{Line: 5, State: bulk.Failed, Error: "422 bad"},
		{Line: 6, State: bulk.NeedsReview, Error: "two candidates"},
		{Line: 7, State: bulk.Skipped, UUID: "u7"},
		{Line: 8, State: bulk.NotSent},
		{Line: 9, State: bulk.Invalid, Problems: []string{"pipeline: is required"}},
	} {
		r.outcome(o)
	}
	prog.Finish()
	require.Equal(t, 8, strings.Count(stdout.String(), "\n"), stdout.String())
	require.Contains(t, stdout.String(), `{"line":5,"state":"failed","error":"422 bad"}`)
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	require.Len(t, lines, 3, stderr.String())
	require.Equal(t, "line 5: 422 bad", lines[0])
	require.Equal(t, "line 9: pipeline: is required", lines[1])
	require.Regexp(t, `^progress: 4/9 rows \(44%\), .* 2 failed$`, lines[2])
}

// report and explain: what each ending prints on stdout and stderr, and its
// exit status.
func TestImportReport(t *testing.T) {
	const head = "opportunities import: "
	changed := &bulk.ChangedError{Rows: []string{"line 3 changed since it was created as u3"}}
	for _, tt := range []struct {
		name        string
		check, stop bool
		sum         bulk.Summary
		err         error
		code        int
		stdout      bool // the summary is printed
		stderr      string
	}{
		{name: "changed", sum: bulk.Summary{Total: 3}, err: changed, code: exitUsage, stderr: "line 3 changed since it was created as u3\n" +
			head + "d.csv changed since the journal d.journal was written; restore those rows, or start a new import with another --journal\n" +
			"Run 'opportunities import --help' for usage.\n"},
		{name: "invalid", sum: bulk.Summary{Total: 3, Invalid: 2}, err: fmt.Errorf("x: %w", bulk.ErrInvalidRows), code: exitUsage, stdout: true,
			stderr: head + "2 of 3 rows are invalid; nothing was sent (fix them, or pass --skip-invalid)\n"},
		{name: "source before any row", sum: bulk.Summary{Total: 1, Skipped: 1}, err: &bulk.SourceError{Err: errors.New("bad header")}, code: exitUsage,
			stderr: head + "d.csv: bad header\nRun 'opportunities import --help' for usage.\n"},
		{name: "source after a row", sum: bulk.Summary{Total: 2, Created: 1, SourceFailed: true}, err: &bulk.SourceError{Err: errors.New("line 2 out of order")}, code: exitError, stdout: true,
			stderr: "summary: total 2, created 1, skipped 0, reconciled 0, failed 0, invalid 0, not sent 0, elapsed 0s, rate 0.0 rows/s\n" +
				head + "line 2 out of order\n"},
		{name: "checked", check: true, sum: bulk.Summary{Total: 3}, code: exitOK, stdout: true, stderr: head + "3 rows checked, 0 invalid; nothing was sent\n"},
		{name: "checked, invalid", check: true, sum: bulk.Summary{Total: 3, Invalid: 1}, code: exitUsage, stdout: true, stderr: head + "3 rows checked, 1 invalid; nothing was sent\n"},
		{name: "check interrupted", check: true, stop: true, sum: bulk.Summary{Total: 256, NotSent: 0, Interrupted: true}, code: exitError, stdout: true,
			stderr: head + "interrupted after 256 rows checked, 0 invalid; nothing was sent\n"},
		{name: "interrupted before the first record", stop: true, sum: bulk.Summary{Total: 512, NotSent: 512, Interrupted: true}, code: exitError, stdout: true,
			stderr: "summary: total 512, created 0, skipped 0, reconciled 0, failed 0, invalid 0, not sent 512, elapsed 0s, rate 0.0 rows/s\n" +
				head + "interrupted before anything was sent (no journal was written); run it again to start\n"},
		{name: "created", sum: bulk.Summary{Total: 2, Created: 1, Skipped: 1}, code: exitOK, stdout: true,
			stderr: "summary: total 2, created 1, skipped 1, reconciled 0, failed 0, invalid 0, not sent 0, elapsed 0s, rate 0.0 rows/s\n"},
		{name: "interrupted after all", stop: true, sum: bulk.Summary{Total: 1, Created: 1}, code: exitError, stdout: true,
			stderr: "summary: total 1, created 1, skipped 0, reconciled 0, failed 0, invalid 0, not sent 0, elapsed 0s, rate 0.0 rows/s\n" +
				head + "interrupted; rerun with --resume to continue\n"},
		{name: "interrupted", stop: true, sum: bulk.Summary{Total: 3, Created: 1, Failed: 1, NotSent: 1, MayExist: 1, Interrupted: true}, code: exitError, stdout: true,
			stderr: "summary: total 3, created 1, skipped 0, reconciled 0, failed 1, invalid 0, not sent 1, elapsed 0s, rate 0.0 rows/s\n" +
				head + "1 row that failed may have been created anyway (5xx, dropped connection or timeout); --resume checks before resending them\n" +
				head + "interrupted; rerun with --resume to continue\n"},
		{name: "everything", sum: bulk.Summary{Total: 9, Created: 2, Invalid: 3, Failed: 3, NeedsReview: 1, MayExist: 2}, err: errors.New("journal: disk full"), code: exitError, stdout: true,
			stderr: head + "left out 3 invalid rows\n" +
				"summary: total 9, created 2, skipped 0, reconciled 0, failed 3, invalid 3, not sent 0, elapsed 0s, rate 0.0 rows/s, needs review 1\n" +
				head + "journal: disk full\n" +
				head + "1 row(s) need review: which matching opportunity is whose cannot be told (see the error and candidates on stdout); they were neither sent nor claimed\n" +
				head + "2 rows that failed may have been created anyway (5xx, dropped connection or timeout); --resume checks before resending them\n" +
				head + "rerun with --resume to retry the rows not created\n"},
		{name: "needs review only", sum: bulk.Summary{Total: 1, NeedsReview: 1}, code: exitError, stdout: true,
			stderr: "summary: total 1, created 0, skipped 0, reconciled 0, failed 0, invalid 0, not sent 0, elapsed 0s, rate 0.0 rows/s, needs review 1\n" +
				head + "1 row(s) need review: which matching opportunity is whose cannot be told (see the error and candidates on stdout); they were neither sent nor claimed\n"},
	} {
		var stdout, stderr strings.Builder
		e := &env{ios: &iostreams.IO{Err: &stderr}, cmd: "import"}
		r := &importRun{e: e, o: importOptions{journal: "d.journal", checkOnly: tt.check}, stdout: &stdout, stderr: e.ios.Stderr(), stop: bulk.NewStopper(0)}
		t.Cleanup(r.stop.Close)
		if tt.stop {
			r.stop.Stop()
		}
		require.Equal(t, tt.code, r.report("d.csv", tt.sum, tt.err), tt.name)
		require.Equal(t, tt.stderr, stderr.String(), tt.name)
		if !tt.stdout {
			require.Empty(t, stdout.String(), tt.name)
			continue
		}
		var got struct{ Summary bulk.Summary }
		require.NoError(t, json.Unmarshal([]byte(stdout.String()), &got), tt.name)
		tt.sum.Elapsed = 0
		require.Equal(t, tt.sum, got.Summary, tt.name)
	}
}
