package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/mogulkit/opportunities/bulk"
	"github.com/mogulkit/opportunities/internal/cmdutil"
	"github.com/mogulkit/opportunities/internal/progress"
	"github.com/mogulkit/opportunities/internal/safetext"
	"github.com/mogulkit/opportunities/wrapper"
)

// importOptions are import's flags.
type importOptions struct {
	format        string
	formatGuessed bool // no --format: from FILE's name
	journal       string
	resume        cmdutil.Optional // --resume [JOURNAL] (see normalizeArgs)
	skipInvalid   bool
	checkOnly     bool
	concurrency   int
	rate          float64
	budget        *wrapper.RateBudget // for rate, made by check
	interval      time.Duration
}

// importCommand is "opportunities import".
func importCommand(e *env) *cobra.Command {
	o := importOptions{resume: cmdutil.Optional{What: "journal name"}}
	cmd := command("import [flags] FILE", "create many opportunities from a JSON Lines or CSV file, resumably",
		cobra.ArbitraryArgs, func(cmd *cobra.Command, args []string) int {
			if o.journal == "" && cmd.Flags().Changed("journal") {
				return e.fail(cmdutil.Usagef("--journal needs a path"), false)
			}
			file, err := o.check(args)
			if err = cmp.Or(err, e.g.check()); err != nil { // the global flags too, under --check
				return e.fail(err, false)
			}
			return e.importFile(file, o)
		})
	cmd.Long = strings.Replace(cmd.Long, "$FIELDS", fieldList(), 1)
	fs := cmd.Flags()
	fs.StringVar(&o.format, "format", "", "input `format`: csv or jsonl (default: csv for a .csv FILE, else jsonl)")
	fs.StringVar(&o.journal, "journal", "", "the journal `file` (default FILE.journal)")
	cmdutil.OptionalVar(fs, &o.resume, "resume", "continue an import from its journal: `[JOURNAL]` if given (--resume JOURNAL, or\n"+
		"--resume=JOURNAL), else --journal or FILE.journal. The argument after --resume is the journal when\n"+
		"it ends in .journal or is a journal file; FILE may then be left out if it is JOURNAL without .journal.\n"+
		"Rows already created are skipped, the others sent (after a check when an earlier attempt may have worked)")
	fs.BoolVar(&o.skipInvalid, "skip-invalid", false, "report invalid rows and send the others (invalid rows count as failures)")
	fs.BoolVar(&o.checkOnly, "check", false, "check every row and stop: nothing is sent and no journal is written")
	fs.IntVar(&o.concurrency, "concurrency", bulk.DefaultConcurrency, fmt.Sprintf("at most `n` requests in flight (1 to %d)", maxImportConcurrency))
	fs.Float64Var(&o.rate, "rate", wrapper.ChartMogulRequestsPerSecond, "at most `n` requests per second (more than 0, at most 1000000); the import\n"+
		"slows down by itself when the API answers 429, and speeds up again to this")
	fs.DurationVar(&o.interval, "progress-interval", 2*time.Second, "when stderr is not a terminal, print progress this often (0: only at the end)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"csv", "jsonl"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// fieldList is bulk.CSVFields, indented and wrapped for the help.
func fieldList() string {
	return "  " + strings.ReplaceAll(cmdutil.WrapWords(strings.Join(bulk.CSVFields(), ", "), 76), "\n", "\n  ")
}

// maxImportConcurrency bounds --concurrency: ChartMogul answers 503 beyond
// 20 parallel connections, so more only helps against another server.
const maxImportConcurrency = 1000

// isJournalName reports whether the argument after --resume is a journal:
// its name ends in ".journal", or it is a file holding one (not a flag).
func isJournalName(name string) bool {
	return strings.HasSuffix(name, ".journal") || !strings.HasPrefix(name, "-") && bulk.IsJournalFile(name)
}

// check validates the flags, settles the journal, the format and the rate
// budget, and returns the FILE to import.
func (o *importOptions) check(pos []string) (string, error) {
	if file, ok := strings.CutSuffix(o.resume.Value, ".journal"); ok && len(pos) == 0 {
		if fi, err := os.Stat(file); err == nil && fi.Mode().IsRegular() {
			pos = []string{file} // --resume deals.csv.journal: the file is deals.csv
		}
	}
	budget, rateErr := wrapper.NewRateBudget(o.rate) // it checks the rate, under --check too
	switch {
	case len(pos) == 0:
		return "", cmdutil.Usagef("missing the FILE to import")
	case len(pos) > 1:
		return "", cmdutil.Usagef("unexpected argument %q (one FILE expected)", pos[1])
	case pos[0] == "":
		return "", cmdutil.Usagef("the FILE to import is empty: name a file, or - for stdin")
	case o.concurrency < 1 || o.concurrency > maxImportConcurrency:
		return "", cmdutil.Usagef("--concurrency must be between 1 and %d, got %d", maxImportConcurrency, o.concurrency)
	case rateErr != nil:
		return "", cmdutil.Usagef("--rate must be a number above 0, at least one request an hour (%g), and at most %g, got %v",
			wrapper.MinRateLimit, wrapper.MaxRateLimit, o.rate)
	case o.interval < 0:
		return "", cmdutil.Usagef("--progress-interval must not be negative, got %v", o.interval)
	case o.format != "" && o.format != bulk.FormatCSV && o.format != bulk.FormatJSONL:
		return "", cmdutil.Usagef("--format must be csv or jsonl, got %q", o.format)
	case o.resume.Value != "" && o.journal != "" && o.journal != o.resume.Value:
		return "", cmdutil.Usagef("--journal %s and --resume=%s name different journals", o.journal, o.resume.Value)
	case pos[0] == "-" && o.resume.Value == "" && o.journal == "" && !o.checkOnly: // --check writes no journal
		return "", cmdutil.Usagef("reading stdin (-) needs --journal")
	}
	file := pos[0]
	o.budget = budget
	o.formatGuessed = o.format == ""
	o.format = cmp.Or(o.format, bulk.FormatOf(file))
	o.journal = cmp.Or(o.resume.Value, o.journal, file+".journal")
	return file, nil
}

// importFile runs the import and returns the exit status. A first signal
// sends no new row, a second one (or --timeout after the first, see
// bulk.Stopper) aborts the requests in flight; one before the rows are
// checked ends the import with nothing sent (stdin's copy removed).
func (e *env) importFile(file string, o importOptions) int {
	r := &importRun{e: e, o: o, stderr: e.ios.Stderr(), stdout: e.ios.Stdout(), stop: bulk.NewStopper(e.g.timeout)}
	defer r.stop.Close()
	defer cmdutil.OnSignal(func(_ int, s os.Signal) {
		e.noteSignal(s)
		switch first := r.stop.Stop(); { // the first: once the message is out, no request leaves
		case !first || !r.started.Load():
		case o.checkOnly:
			r.say("%v: stopping the check", s)
		default:
			r.say("%v: sending no new row (rows waiting for the rate limit or a slot are not sent; --resume sends them); "+
				"waiting for the requests in flight (again to abort them)", s)
		}
	})()
	rows, closeRows, err := bulk.OpenSource(r.stop.Context(), file, o.format, e.ios.In) // stdin is copied: Run reads rows twice
	if err != nil {
		return e.fail(sourceError(file, err), false)
	}
	defer closeRows()
	var client *wrapper.Client // none under --check, which sends nothing
	if !o.checkOnly {
		var closeClient func()
		if client, closeClient, err = e.client(wrapper.WithRateBudget(o.budget), wrapper.WithMaxConcurrent(o.concurrency)); err != nil {
			return e.fail(err, false)
		}
		defer closeClient()
	}
	journal, err := e.openJournal(o, file, client)
	if err != nil {
		return e.fail(err, false)
	}
	if c, ok := journal.(io.Closer); ok {
		defer c.Close()
	}
	if r.started.Store(true); r.stop.Stopped() {
		return e.fail(fmt.Errorf("interrupted before the first row was checked; nothing was sent (rerun with --resume)"), false)
	}
	sum, err := bulk.Run(r.stop.Context(), client, rows, r.options(journal))
	if prog := r.prog.Load(); prog != nil {
		prog.Finish()
	}
	return r.report(file, sum, err)
}

// sourceError turns OpenSource's errors into messages.
func sourceError(file string, err error) error {
	name := file
	if file == "-" {
		name = "stdin"
	}
	var srcErr *bulk.SourceError
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("reading %s (nothing was sent): %w", name, err)
	case errors.As(err, &srcErr) && file == "-":
		return cmdutil.Usagef("reading stdin: %v", srcErr.Err)
	case errors.As(err, &srcErr):
		return cmdutil.Usagef("%v", srcErr.Err)
	}
	return fmt.Errorf("keeping a copy of %s: %w", name, err)
}

// fakeTarget is the target a journal records under --fake, whose port changes each time.
const fakeTarget = "the embedded fake (--fake)"

// openJournal opens the journal --resume names, or prepares a new one (created with its first
// record), for the API c sends to; under --check (c nil), a memory one. A resumed journal written
// for another address gets a warning: it may be the same API (through a proxy, say), or not.
func (e *env) openJournal(o importOptions, file string, c *wrapper.Client) (bulk.Journal, error) {
	if c == nil {
		return &bulk.MemoryJournal{}, nil
	}
	target := strings.TrimRight(c.BaseURL(), "/")
	if e.g.fake {
		target = fakeTarget
	}
	jo := bulk.JournalOptions{Source: filepath.Base(file), Target: target, Resume: o.resume.On,
		Ephemeral: func(t string) bool { return t == fakeTarget }}
	if !o.resume.On {
		j, err := bulk.CreateJournal(o.journal, jo)
		if err != nil {
			return nil, journalError(o.journal, err)
		}
		j.OpenError = func(err error) error { return journalError(o.journal, err) }
		return j, nil
	}
	j, err := bulk.OpenJournal(o.journal, jo) // it refuses to mix the fake's journals and the others
	if err != nil {
		return nil, journalError(o.journal, err)
	}
	if j.Target() != "" && j.Target() != target {
		fmt.Fprintf(e.ios.Stderr(), "opportunities import: warning: journal %s records an import to %s, and this one sends to %s; "+
			"the rows it records as created are skipped: if that is another account, import them with a new --journal\n",
			o.journal, j.Target(), target)
	}
	return j, nil
}

// journalError turns OpenJournal's errors into messages.
func journalError(path string, err error) error {
	var other *bulk.TargetError
	switch {
	case errors.As(err, &other):
		return cmdutil.Usagef("journal %s records an import to %s, not to %s: the rows it records as created do not exist there; "+
			"start a new import with another --journal", path, other.Journal, other.Target)
	case errors.Is(err, bulk.ErrNoJournal):
		return cmdutil.Usagef("no journal %s to resume (run without --resume to start)", path)
	case errors.Is(err, bulk.ErrJournalLocked):
		return cmdutil.Usagef("journal %s: %v", path, bulk.ErrJournalLocked)
	case errors.Is(err, bulk.ErrJournalIsDir):
		return cmdutil.Usagef("journal %s is a directory: pass --journal FILE", path)
	case errors.Is(err, bulk.ErrJournalExists) && !bulk.IsJournalFile(path):
		return cmdutil.Usagef("%s exists and is not a journal: name a new one with --journal", path)
	case errors.Is(err, bulk.ErrJournalExists):
		return cmdutil.Usagef("journal %s already exists: pass --resume to continue that import, or --journal to start a new one", path)
	}
	return cmdutil.Usagef("journal: %v", err)
}

// importRun is one import under way: its output, its progress and how it is stopped.
type importRun struct {
	e              *env
	o              importOptions
	stdout, stderr io.Writer
	prog           atomic.Pointer[progress.Bar] // set once every row was checked
	stop           *bulk.Stopper
	started        atomic.Bool // the rows are being checked
	writeErr       error       // the first failure to write on stdout
}

// say prints a message on stderr, above the progress bar once there is one.
func (r *importRun) say(format string, args ...any) {
	if prog := r.prog.Load(); prog != nil {
		prog.Printf(format, args...)
		return
	}
	fmt.Fprintf(r.stderr, format+"\n", args...)
}

// options are bulk.Run's options for this import.
func (r *importRun) options(journal bulk.Journal) bulk.Options {
	return bulk.Options{
		Journal:     journal,
		Concurrency: r.o.concurrency,
		SkipInvalid: r.o.skipInvalid,
		CheckOnly:   r.o.checkOnly,
		InFlight:    r.stop.InFlight(),
		Redact:      r.e.ios.Redact,
		Settle:      cmp.Or(r.e.g.timeout, wrapper.DefaultTimeout), // by then a request in flight has landed or timed out (--timeout 0: no bound)
		Notef:       r.say,
		OnChecked: func(total, todo int) {
			if r.o.checkOnly || todo == 0 { // nothing to send: no progress to show
				return
			}
			prog := progress.New(r.stderr, r.e.ios.ErrTTY, r.o.interval, todo)
			prog.Width = r.e.ios.Width
			r.prog.Store(prog)
			prog.Run()
		},
		OnOutcome: r.outcome,
	}
}

// outcome prints one row's outcome on stdout, its error or problems on stderr, and counts a row dealt
// with as progress (Run makes one call at a time, and none once it has returned).
func (r *importRun) outcome(out bulk.Outcome) {
	prog := r.prog.Load()
	r.write(out)
	if out.State == bulk.Failed {
		r.say("line %d: %s", out.Line, out.Error)
	}
	for _, p := range out.Problems { // only an invalid row has some
		r.say("line %d: %s", out.Line, p)
	}
	if prog == nil || out.State == bulk.Skipped || out.State == bulk.Invalid || out.State == bulk.NotSent {
		return
	}
	if out.State == bulk.Failed || out.State == bulk.NeedsReview {
		prog.AddFailed()
	}
	prog.AddDone()
}

// report prints how the import ended (the summary on stdout, what it means
// and what to do next on stderr) and returns the exit status.
func (r *importRun) report(file string, sum bulk.Summary, err error) int {
	if changed, ok := errors.AsType[*bulk.ChangedError](err); ok { // refused before sending: no summary
		fmt.Fprintln(r.stderr, strings.Join(changed.Rows, "\n"))
		return r.e.fail(cmdutil.Usagef("%s changed since the journal %s was written; restore those rows, "+
			"or start a new import with another --journal", file, r.o.journal), false)
	}
	if srcErr, ok := errors.AsType[*bulk.SourceError](err); ok && sum.Created+sum.Failed == 0 { // never with ErrInvalidRows
		return r.e.fail(cmdutil.Usagef("%s: %v", file, srcErr.Err), false)
	}
	r.write(map[string]bulk.Summary{"summary": sum})
	note := func(format string, args ...any) { fmt.Fprintf(r.stderr, "opportunities import: "+format+"\n", args...) }
	if r.writeErr != nil {
		note("writing the outcomes on stdout: %v", r.writeErr)
	}
	switch {
	case errors.Is(err, bulk.ErrInvalidRows):
		note("%d of %d rows are invalid; nothing was sent (fix them, or pass --skip-invalid)", sum.Invalid, sum.Total)
		if file == "-" && r.o.formatGuessed {
			note("stdin is read as %s unless --format says otherwise (--format csv for CSV)", r.o.format)
		}
		return exitUsage
	case r.o.checkOnly && r.stop.Stopped():
		note("interrupted after %d rows checked, %d invalid; nothing was sent", sum.Total, sum.Invalid)
		return exitError // 130, 143 or 129: see run
	case r.o.checkOnly && err == nil:
		note("%d rows checked, %d invalid; nothing was sent", sum.Total, sum.Invalid)
		if sum.Invalid > 0 {
			return exitUsage
		}
		return r.status(nil, true)
	case sum.Invalid > 0: // under --skip-invalid
		note("left out %s", count(sum.Invalid, "invalid row"))
	}
	r.advise(sum, err, note)
	return r.status(err, sum.OK() && !r.stop.Stopped())
}

// status is 0 for an import that went well (ok, no error) and whose
// outcomes were all written, else 1.
func (r *importRun) status(err error, ok bool) int {
	if err != nil || !ok || r.writeErr != nil {
		return exitError
	}
	return exitOK
}

// advise prints the summary line of rows that were sent, and what to do next.
func (r *importRun) advise(sum bulk.Summary, err error, note func(string, ...any)) {
	fmt.Fprintf(r.stderr, "summary: %v\n", sum)
	if err != nil {
		note("%v", r.e.ios.Redact(err.Error()))
	}
	if sum.NeedsReview > 0 {
		note("%d row(s) need review: which matching opportunity is whose cannot be told (see the error and candidates on stdout); "+
			"they were neither sent nor claimed", sum.NeedsReview)
	}
	if sum.MayExist > 0 {
		note("%s that failed may have been created anyway (5xx, dropped connection or timeout); --resume checks before resending them",
			count(sum.MayExist, "row"))
	}
	switch _, statErr := os.Stat(r.o.journal); {
	case r.stop.Stopped() && sum.Created+sum.Failed+sum.Reconciled == 0 && statErr != nil: // no journal
		note("interrupted before anything was sent (no journal was written); run it again to start")
	case r.stop.Stopped():
		note("interrupted; rerun with --resume to continue")
	case sum.Failed > 0 || sum.NotSent > 0:
		note("rerun with --resume to retry the rows not created")
	}
}

// write prints v on stdout as a JSON line, and keeps the first failure.
func (r *importRun) write(v any) {
	if err := safetext.WriteJSON(r.stdout, v); err != nil && r.writeErr == nil {
		r.writeErr = err
	}
}

// count is "1 row" or "3 rows".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
