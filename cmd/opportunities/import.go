package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mogulkit/opportunities/internal/safetext"
	"github.com/mogulkit/opportunities/wrapper"
)

const importAbout = `Creates one opportunity per row of FILE, which holds JSON Lines (one create
body per line, exactly as the create command's --file takes it) or CSV (by the
.csv extension, or --format). A CSV header names API fields: customer_uuid,
owner, pipeline, pipeline_stage, estimated_close_date, currency,
amount_in_cents, type, forecast_category, win_likelihood, and custom.KEY for a
custom attribute. Cells of custom.KEY are typed like --custom values (true/false,
a JSON number, else a string); a header custom.KEY: (trailing colon) keeps them
as strings. An empty cell is a field or attribute not given.

Every row is checked before anything is sent. Bad rows are reported by line
number ("line 7: win_likelihood: must be between 0 and 100, got 101") and
nothing is sent (exit status 2), unless --skip-invalid: then they are reported,
journalled as failed, skipped and counted as failures.

Rows are sent with at most --concurrency requests in flight and at most --rate
requests per second. Progress goes to stderr: on a terminal a bar redrawn in
place ("[#####.....] 30/60 50% 12.3 rows/s ETA 3s failures 0"), else a line
every --progress-interval. A summary ends the run. The exit status is 0 only if
every row ended created (now or by an earlier run).

The journal (--journal, default FILE.journal) records every row as it goes,
each line synced to disk: {"line":N,"state":"sending","at":...} when its
request leaves (after waiting for --rate and --concurrency, just before it is
sent), then {"line":N,"state":"created","uuid":...} or
{"line":N,"state":"failed","error":...} after it; a row skipped by
--skip-invalid gets {"line":N,"state":"failed","invalid":true,"problems":[...]}.
Rerun with --resume (or --resume JOURNAL) to continue: rows already created
are skipped; the others (failed, invalid or never sent) are checked again and
sent. A row whose request was cut short (the process was killed, or the outcome
is unknown after a 5xx, a dropped connection or a timeout) may have been
created, and ChartMogul has no idempotency key: before resending such a row the
import lists its customer's opportunities and, if one matches every field sent
and was created after the attempt began (less 5 minutes of clock skew), records
it as created instead of sending it again. So an import that is killed and
rerun with --resume ends with every row created exactly once. (An identical
opportunity created by someone else in that window would be taken for the
row's.)

On SIGINT or SIGTERM no new request is sent: rows still waiting for the rate
limit or a free slot are not sent (nothing is journalled for them; --resume
sends them). Requests already sent finish (a second signal, or --timeout, cuts
them short), the journal is complete and the summary is printed; the exit status
is 1. Without --resume an existing journal is refused, so an import cannot be
run twice by mistake.`

// resumeFlag is --resume (use the journal named by --journal or the default),
// or --resume=JOURNAL, or --resume JOURNAL (see resumeArgs).
type resumeFlag struct {
	set  bool
	path string
}

func (r *resumeFlag) String() string { return "" }

func (r *resumeFlag) IsBoolFlag() bool { return true }

func (r *resumeFlag) Set(v string) error {
	switch v {
	case "true":
		r.set, r.path = true, ""
	case "false":
		r.set, r.path = false, ""
	case "":
		return errors.New("empty journal name")
	default:
		r.set, r.path = true, v
	}
	return nil
}

// importOptions are import's flags.
type importOptions struct {
	format      string
	journal     string
	resume      resumeFlag
	skipInvalid bool
	concurrency int
	rate        float64
	interval    time.Duration
}

// importTask is a row to send, or to check for an earlier attempt.
type importTask struct {
	line int
	hash string
	in   wrapper.OpportunityInput
}

// importCounts are the summary's numbers.
type importCounts struct {
	total, created, skipped, reconciled, failed, invalid, notSent int
}

func runImport(e *env, c *command, args []string) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	var o importOptions
	fs.StringVar(&o.format, "format", "", "input `format`: csv or jsonl (default: csv for a .csv FILE, else jsonl)")
	fs.StringVar(&o.journal, "journal", "", "the journal `file` (default FILE.journal)")
	fs.Var(&o.resume, "resume", "continue an import from its journal: `[JOURNAL]` if given (--resume JOURNAL, or\n"+
		"--resume=JOURNAL), else --journal or FILE.journal. The argument after --resume is the journal when\n"+
		"it ends in .journal or is a journal file; FILE may then be left out if it is JOURNAL without .journal.\n"+
		"Rows already created are skipped, the others sent (after a check when an earlier attempt may have worked)")
	fs.BoolVar(&o.skipInvalid, "skip-invalid", false, "report invalid rows and send the others (invalid rows count as failures)")
	fs.IntVar(&o.concurrency, "concurrency", wrapper.ChartMogulMaxConcurrent, "at most `n` requests in flight")
	fs.Float64Var(&o.rate, "rate", wrapper.ChartMogulRequestsPerSecond, "at most `n` requests per second")
	fs.DurationVar(&o.interval, "progress-interval", 2*time.Second, "when stderr is not a terminal, print progress this often (0: only at the end)")
	pos, err := e.parseFlags(c, fs, resumeArgs(fs, args))
	if err != nil {
		return e.fail(err, nil)
	}
	file, err := o.check(pos)
	if err != nil {
		return e.fail(err, nil)
	}
	return e.importFile(file, o)
}

// resumeArgs lets --resume take the next argument as its value, the journal,
// when that argument ends in ".journal" or names a file that holds a journal:
// "--resume J" becomes "--resume=J". Otherwise "--resume" stays alone (it is
// a boolean flag), so that "--resume FILE" keeps meaning the default journal
// of FILE. The values of other flags are stepped over; "--" ends the flags.
func resumeArgs(fs *flag.FlagSet, args []string) []string {
	globalFlags := flag.NewFlagSet("", flag.ContinueOnError)
	var g globals
	g.register(globalFlags)
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		out = append(out, a)
		if a == "--" {
			return append(out, args[i+1:]...)
		}
		name, ok := strings.CutPrefix(a, "-")
		if !ok || name == "" {
			continue // a positional argument, or "-" (stdin)
		}
		name = strings.TrimPrefix(name, "-")
		if strings.Contains(name, "=") || i+1 == len(args) {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			f = globalFlags.Lookup(name)
		}
		switch {
		case f == nil:
			// Unknown: the parser reports it.
		case name == "resume":
			if next := args[i+1]; isJournalName(next) {
				out[len(out)-1] = a + "=" + next
				i++
			}
		case isBoolFlag(f):
		default:
			out = append(out, args[i+1]) // the flag's value
			i++
		}
	}
	return out
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// isJournalName reports whether the argument after --resume is a journal:
// its name ends in ".journal", or it is a file whose first line is a journal
// entry.
func isJournalName(name string) bool {
	if strings.HasSuffix(name, ".journal") {
		return true
	}
	if name == "" || strings.HasPrefix(name, "-") {
		return false
	}
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e journalEntry
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields() // a create body is no journal entry
		if dec.Decode(&e) != nil || e.Line < 1 {
			return false
		}
		switch e.State {
		case stateSending, stateCreated, stateFailed:
			return true
		}
		return false
	}
	return false
}

// check validates the flags, settles the journal's name and the format, and
// returns the FILE to import.
func (o *importOptions) check(pos []string) (string, error) {
	if len(pos) == 0 && o.resume.path != "" {
		// --resume deals.csv.journal: the file is deals.csv.
		if file, ok := strings.CutSuffix(o.resume.path, ".journal"); ok {
			if fi, err := os.Stat(file); err == nil && fi.Mode().IsRegular() {
				pos = []string{file}
			}
		}
	}
	switch {
	case len(pos) == 0:
		return "", usagef("missing the FILE to import")
	case len(pos) > 1:
		return "", usagef("unexpected argument %q (one FILE expected)", pos[1])
	case o.concurrency < 1:
		return "", usagef("--concurrency must be at least 1, got %d", o.concurrency)
	case o.rate <= 0:
		return "", usagef("--rate must be positive, got %v", o.rate)
	case o.interval < 0:
		return "", usagef("--progress-interval must not be negative, got %v", o.interval)
	}
	file := pos[0]
	switch o.format {
	case "":
		o.format = "jsonl"
		if strings.EqualFold(filepath.Ext(file), ".csv") {
			o.format = "csv"
		}
	case "csv", "jsonl":
	default:
		return "", usagef("--format must be csv or jsonl, got %q", o.format)
	}
	if o.resume.path != "" {
		if o.journal != "" && o.journal != o.resume.path {
			return "", usagef("--journal %s and --resume=%s name different journals", o.journal, o.resume.path)
		}
		o.journal = o.resume.path
	}
	if o.journal == "" {
		if file == "-" {
			return "", usagef("reading stdin (-) needs --journal")
		}
		o.journal = file + ".journal"
	}
	return file, nil
}

// importFile runs the import; it returns the exit status.
func (e *env) importFile(file string, o importOptions) int {
	stderr := e.errOut() // a key pasted into a cell is not printed (parseFlags noted the key)
	data, err := e.readInput(file)
	if err != nil {
		return e.fail(err, nil)
	}
	rows, err := readRows(bytes.NewReader(data), o.format)
	if err != nil {
		return e.fail(usagef("%s: %v", file, err), nil)
	}

	// What an earlier run did.
	var j *journal
	states := map[int]*rowState{}
	if o.resume.set {
		var content []byte
		if j, content, err = openJournal(o.journal, true); err != nil {
			return e.fail(err, nil)
		}
		defer j.close()
		var torn int
		if states, torn, err = parseJournal(content); err != nil {
			return e.fail(usagef("%s: %v", o.journal, err), nil)
		}
		if torn > 0 {
			fmt.Fprintf(stderr, "journal %s: ignoring %d line(s) cut short by a crash\n", o.journal, torn)
		}
	} else if fi, err := os.Stat(o.journal); err == nil && fi.Size() > 0 {
		return e.fail(usagef("journal %s already exists: pass --resume to continue that import, or --journal to start a new one", o.journal), nil)
	}

	plan := planImport(rows, states)
	if len(plan.changed) > 0 {
		for _, m := range plan.changed {
			fmt.Fprintln(stderr, m)
		}
		return e.fail(usagef("%s changed since the journal %s was written; restore those rows, or start a new import with another --journal", file, o.journal), nil)
	}
	for _, r := range plan.invalid {
		for _, m := range r.problems {
			fmt.Fprintf(stderr, "line %d: %s\n", r.line, m)
		}
	}
	if n := plan.n.invalid; n > 0 && !o.skipInvalid {
		fmt.Fprintf(stderr, "opportunities import: %d of %d rows are invalid; nothing was sent (fix them, or pass --skip-invalid)\n", n, plan.n.total)
		return exitUsage
	} else if n > 0 {
		fmt.Fprintf(stderr, "opportunities import: skipping %d invalid rows\n", n)
	}

	// Each row's request passes its gate on the way out (see rowGate).
	hc := &http.Client{Transport: gatedTransport{base: http.DefaultTransport}}
	client, done, err := e.client(wrapper.WithHTTPClient(hc), wrapper.WithMaxConcurrent(o.concurrency), wrapper.WithRateLimit(o.rate, 1))
	if err != nil {
		return e.fail(err, nil)
	}
	defer done()
	if j == nil {
		if j, _, err = openJournal(o.journal, false); err != nil {
			return e.fail(err, nil)
		}
		defer j.close()
	}
	// The rows skipped as invalid: failed, and why.
	for _, r := range plan.invalid {
		problems := make([]string, len(r.problems))
		for i, p := range r.problems {
			problems[i] = e.redact(p)
		}
		if err := j.write(journalEntry{Line: r.line, State: stateFailed, Invalid: true, Problems: problems, Hash: r.hash}); err != nil {
			return e.fail(err, nil)
		}
	}

	imp := &importer{e: e, stderr: stderr, client: client, j: j, tasks: plan.tasks, claimed: plan.claimed}
	return imp.run(plan.checks, plan.toSend, plan.n, o)
}

// importPlan sorts the rows of an import by what the journal says of them.
type importPlan struct {
	n       importCounts
	checks  []pendingCheck     // an earlier attempt may have created these
	toSend  []importTask       // valid rows not created yet
	tasks   map[int]importTask // every row to check or send, by line
	claimed map[string]bool    // the UUIDs the journal gives to rows
	changed []string           // rows that changed since they were sent
	invalid []invalidRow       // the invalid rows, in order
}

// invalidRow is a row that cannot be sent, and why.
type invalidRow struct {
	line     int
	hash     string
	problems []string // "field: problem", or the problem with the whole row
}

// planImport skips the rows the journal says were created, validates the
// others, and sets apart those whose earlier attempt may have worked.
func planImport(rows []row, states map[int]*rowState) *importPlan {
	p := &importPlan{tasks: map[int]importTask{}, claimed: map[string]bool{}}
	p.n.total = len(rows)
	for _, st := range states {
		if st.created {
			p.claimed[st.uuid] = true
		}
	}
	for i := range rows {
		r := &rows[i]
		st := states[r.line]
		if st == nil {
			st = &rowState{}
		}
		if (st.created || st.unresolved) && st.hash != "" && st.hash != r.hash {
			what := "was created as " + st.uuid
			if !st.created {
				what = "may have been created"
			}
			p.changed = append(p.changed, fmt.Sprintf("line %d changed since it %s", r.line, what))
			continue
		}
		if st.created {
			p.n.skipped++
			continue
		}
		if probs := r.check(); len(probs) > 0 {
			p.n.invalid++
			bad := invalidRow{line: r.line, hash: r.hash}
			for _, pr := range probs {
				if pr.Field == "" {
					bad.problems = append(bad.problems, pr.Problem)
				} else {
					bad.problems = append(bad.problems, pr.Field+": "+pr.Problem)
				}
			}
			p.invalid = append(p.invalid, bad)
			continue
		}
		t := importTask{line: r.line, hash: r.hash, in: r.in}
		p.tasks[r.line] = t
		if st.unresolved {
			p.checks = append(p.checks, pendingCheck{line: r.line, in: t.in, since: st.since})
		} else {
			p.toSend = append(p.toSend, t)
		}
	}
	return p
}

// importer sends the rows of one import run.
type importer struct {
	e      *env
	stderr io.Writer // e.stderr with the API key redacted
	client *wrapper.Client
	j      *journal
	tasks  map[int]importTask
	prog   *progress
	// claimed holds the UUIDs the journal already gives to a row.
	claimed map[string]bool

	created, failed, unknown atomic.Int64
}

func (imp *importer) run(checks []pendingCheck, toSend []importTask, n importCounts, o importOptions) int {
	e := imp.e
	start := time.Now()
	stderr := imp.stderr
	imp.prog = newProgress(stderr, e.stderrTTY, o.interval, len(checks)+len(toSend))

	// The first signal stops new rows, and the rows whose request has not
	// left yet (and the check); requests sent get until --timeout, or a second
	// signal, to finish.
	stopCtx, stop := context.WithCancel(context.Background())
	defer stop()
	sendCtx, abort := context.WithCancel(context.Background())
	defer abort()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	finished := make(chan struct{})
	var interrupted atomic.Bool
	var watch sync.WaitGroup
	watch.Add(1)
	go func() {
		defer watch.Done()
		select {
		case s := <-sigs:
			interrupted.Store(true)
			stop() // first: once the message is out, no request leaves
			imp.prog.printf("%v: sending no new row (rows waiting for the rate limit or a slot are not sent; --resume sends them); waiting for the requests in flight (again to abort them)", s)
		case <-finished:
			return
		}
		var grace <-chan time.Time
		if t := e.g.timeout; t > 0 {
			timer := time.NewTimer(t)
			defer timer.Stop()
			grace = timer.C
		}
		select {
		case <-sigs:
			abort()
		case <-grace:
			abort()
		case <-finished:
		}
	}()
	defer func() {
		close(finished)
		watch.Wait()
	}()

	imp.prog.run()
	exit := exitOK
	if len(checks) > 0 {
		resend, err := imp.reconcile(stopCtx, checks, &n)
		if err != nil {
			// Without the check a resend could duplicate: send nothing.
			imp.prog.printf("opportunities import: checking whether interrupted attempts created their rows: %v; nothing was sent", err)
			n.notSent = len(checks) - n.reconciled + len(toSend)
			toSend, exit = nil, exitError
		} else {
			toSend = append(resend, toSend...)
		}
	}
	imp.send(stopCtx, sendCtx, toSend, o.concurrency)
	imp.prog.finish()

	n.created = int(imp.created.Load())
	n.failed = int(imp.failed.Load())
	n.notSent += len(toSend) - n.created - n.failed
	elapsed := time.Since(start)
	handled := n.created + n.failed + n.reconciled
	fmt.Fprintf(stderr, "summary: total %d, created %d, skipped %d, reconciled %d, failed %d, invalid %d, not sent %d, elapsed %s, rate %.1f rows/s\n",
		n.total, n.created, n.skipped, n.reconciled, n.failed, n.invalid, n.notSent, roundDuration(elapsed), float64(handled)/max(elapsed.Seconds(), 1e-9))
	if err := imp.j.failure(); err != nil {
		fmt.Fprintf(stderr, "opportunities import: %v; stopped sending\n", err)
		exit = exitError
	}
	if u := imp.unknown.Load(); u > 0 {
		fmt.Fprintf(stderr, "opportunities import: %d failed rows may have been created anyway (5xx, dropped connection or timeout); --resume checks before resending them\n", u)
	}
	if interrupted.Load() {
		exit = exitError
		fmt.Fprintf(stderr, "opportunities import: interrupted; rerun with --resume to continue\n")
	}
	if n.failed > 0 || n.invalid > 0 || n.notSent > 0 {
		exit = exitError
	}
	if exit != exitOK && !interrupted.Load() && (n.failed > 0 || n.notSent > 0) {
		fmt.Fprintf(stderr, "opportunities import: rerun with --resume to retry the rows not created\n")
	}
	return exit
}

// reconcile checks the rows an earlier run may have created; it journals
// the ones found and returns the others, to send.
func (imp *importer) reconcile(ctx context.Context, checks []pendingCheck, n *importCounts) ([]importTask, error) {
	found, err := reconcile(ctx, imp.client, checks, imp.claimed)
	if err != nil {
		return nil, err
	}
	var send []importTask
	for _, c := range checks {
		t := imp.tasks[c.line]
		uuid, ok := found[c.line]
		if !ok {
			imp.prog.printf("line %d: an earlier attempt did not create it; sending it again", c.line)
			send = append(send, t)
			continue
		}
		if err := imp.j.write(journalEntry{Line: c.line, State: stateCreated, UUID: uuid, Hash: t.hash, Reconciled: true}); err != nil {
			return nil, err
		}
		imp.prog.printf("line %d: already created as %s by an earlier attempt; not sent again", c.line, uuid)
		n.reconciled++
		imp.prog.done.Add(1)
	}
	return send, nil
}

// send creates the rows with a pool of workers until done or stopped.
func (imp *importer) send(stopCtx, sendCtx context.Context, tasks []importTask, workers int) {
	jobs := make(chan importTask)
	var wg sync.WaitGroup
	for range min(workers, max(len(tasks), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range jobs {
				imp.sendOne(stopCtx, sendCtx, t)
			}
		}()
	}
	for _, t := range tasks {
		if stopCtx.Err() != nil || imp.j.failure() != nil {
			break
		}
		select {
		case jobs <- t:
		case <-stopCtx.Done():
		}
	}
	close(jobs)
	wg.Wait()
}

// sendOne sends one row and journals it: "sending" as its request leaves
// (see rowGate), then the outcome. A row stopped before its request left
// (stopCtx is done) is not sent and nothing is journalled for it: it stays
// not started, for --resume. sendCtx cuts short the requests sent.
func (imp *importer) sendOne(stopCtx, sendCtx context.Context, t importTask) {
	if stopCtx.Err() != nil || imp.j.failure() != nil {
		return // not started
	}
	g := &rowGate{stop: stopCtx, onSend: func() error {
		return imp.j.write(journalEntry{Line: t.line, State: stateSending, Hash: t.hash})
	}}
	ctx, cancel := context.WithCancel(withRowGate(sendCtx, g))
	defer cancel()
	// On the first signal a row still waiting for the limiter or a slot is
	// stopped and stops waiting.
	unwatch := context.AfterFunc(stopCtx, func() {
		if g.stopWaiting() {
			cancel()
		}
	})
	defer unwatch()
	o, err := imp.client.Create(ctx, t.in)
	if !g.sent() {
		return // its request never left (stopped, or the journal failed): not started
	}
	if err == nil && o.UUID == "" { // the wrapper refuses this; never journal a creation without a UUID
		err = errors.New("the API answered without the opportunity's UUID")
	}
	if err == nil {
		imp.created.Add(1)
		imp.prog.done.Add(1)
		_ = imp.j.write(journalEntry{Line: t.line, State: stateCreated, UUID: o.UUID})
		return
	}
	unknown := outcomeUnknown(err)
	imp.failed.Add(1)
	imp.prog.failed.Add(1)
	imp.prog.done.Add(1)
	if unknown {
		imp.unknown.Add(1)
	}
	// The wrapper's message is capped already; this caps any other error too.
	_ = imp.j.write(journalEntry{Line: t.line, State: stateFailed, Error: safetext.Escape(imp.e.redact(err.Error()), maxJournalError), OutcomeUnknown: unknown})
	imp.prog.printf("line %d: %v", t.line, err) // through the redacting stderr
}

// maxJournalError bounds the error kept in a journal entry: a server's 5 MB
// message is not copied into every failed row's line.
const maxJournalError = 2 << 10

// outcomeUnknown reports whether a create that returned err may have been
// applied all the same (see wrapper.MayHaveBeenApplied).
func outcomeUnknown(err error) bool { return wrapper.MayHaveBeenApplied(err) }
