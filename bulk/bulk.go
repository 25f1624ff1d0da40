package bulk

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/internal/progress"
	"github.com/mogulkit/opportunities/internal/safetext"
	"github.com/mogulkit/opportunities/wrapper"
)

// Row is one opportunity to create.
type Row struct {
	// Line is the row's identity: positive, the same on every run, and
	// strictly increasing along the source (a file's line number; a
	// service's own numeric ID in ascending order). The journal is keyed by
	// it.
	Line int
	// Input is the opportunity to create.
	Input wrapper.OpportunityInput
	// Problems are the problems found while reading the row (Field "" for
	// the row as a whole); Run adds Input.Validate's.
	Problems []wrapper.FieldError
	// Fingerprint identifies the row's content, so that a resumed import
	// refuses a row that changed since it was sent. Empty: Run uses a hash
	// of the create body.
	Fingerprint string
}

// Source yields the rows of an import. Run ranges over it twice (to check
// every row, then to send), so it must yield the same rows each time, and
// it should hold one row at a time ([File] does). An error stops the import;
// if it comes before anything was sent, nothing is.
type Source = iter.Seq2[Row, error]

// State is what became of a row.
type State string

// The states of an Outcome.
const (
	Created     State = "created"      // created by this run
	Skipped     State = "skipped"      // created by an earlier run (the journal says so)
	Reconciled  State = "reconciled"   // an earlier attempt had created it: found by a check, not sent again
	Failed      State = "failed"       // the create failed; MayExist says whether it may have been applied
	Invalid     State = "invalid"      // not valid: never sent
	NotSent     State = "not_sent"     // the import stopped (or failed) before its turn
	NeedsReview State = "needs_review" // which matching opportunity is whose cannot be told (Outcome.Error says why): neither sent nor claimed
)

// Outcome is what became of one row. Its JSON form is one line of the
// command's output.
type Outcome struct {
	// Line is the row's identity.
	Line int `json:"line"`
	// State is what became of it.
	State State `json:"state"`
	// UUID is the opportunity's, when the row is created, skipped or
	// reconciled.
	UUID string `json:"uuid,omitempty"`
	// Error is why it failed, safe to print (escaped, capped at 2 KiB).
	Error string `json:"error,omitempty"`
	// MayExist: a failed create that may have been applied (5xx, dropped
	// connection, timeout); a resumed import checks before resending it.
	MayExist bool `json:"may_exist,omitempty"`
	// Problems are an invalid row's problems, "field: problem".
	Problems []string `json:"problems,omitempty"`
	// Candidates are the opportunities that match a row needing review;
	// Error then says why they cannot be assigned.
	Candidates []string `json:"candidates,omitempty"`
}

// Summary counts the outcomes of a run.
type Summary struct {
	Total       int `json:"total"`
	Created     int `json:"created"`
	Skipped     int `json:"skipped"`
	Reconciled  int `json:"reconciled"`
	Failed      int `json:"failed"`
	Invalid     int `json:"invalid"`
	NotSent     int `json:"not_sent"`
	NeedsReview int `json:"needs_review"`
	// MayExist counts the failed rows that may have been created anyway.
	MayExist int `json:"may_exist"`
	// Elapsed is the run's duration.
	Elapsed time.Duration `json:"-"`
	// Damage is the journal damage found, if any; every row without a
	// created record was then checked against the API before sending.
	Damage string `json:"journal_damage,omitempty"`
	// Interrupted: ctx was cancelled.
	Interrupted bool `json:"interrupted,omitempty"`
	// SourceFailed: the source yielded an error, rows out of order, or
	// other rows on its second pass than on its first (see SourceError).
	SourceFailed bool `json:"source_failed,omitempty"`
}

// OK reports whether every row ended created (now or earlier), and the
// whole source was read.
func (s Summary) OK() bool {
	return !s.Interrupted && !s.SourceFailed && s.Created+s.Skipped+s.Reconciled == s.Total
}

// String is the summary as one line for people: the counts, the elapsed time
// and the rate of rows handled (created, reconciled or failed) per second,
// then the rows that need review when there are any: "total 3, created 2,
// skipped 0, reconciled 0, failed 1, invalid 0, not sent 0, elapsed 1.5s,
// rate 2.0 rows/s" (", needs review 1").
func (s Summary) String() string {
	rate := 0.0 // no time elapsed (a zero Summary, say): no rate to speak of
	if s.Elapsed > 0 {
		rate = float64(s.Created+s.Failed+s.Reconciled) / s.Elapsed.Seconds()
	}
	line := fmt.Sprintf("total %d, created %d, skipped %d, reconciled %d, failed %d, invalid %d, not sent %d, elapsed %s, rate %.1f rows/s",
		s.Total, s.Created, s.Skipped, s.Reconciled, s.Failed, s.Invalid, s.NotSent,
		progress.RoundDuration(s.Elapsed), rate)
	if s.NeedsReview > 0 { // last, so that the line reads as before when there are none
		line += fmt.Sprintf(", needs review %d", s.NeedsReview)
	}
	return line
}

// DefaultConcurrency is the number of requests Run keeps in flight unless
// Options.Concurrency says otherwise: ChartMogul's documented limit.
const DefaultConcurrency = wrapper.ChartMogulMaxConcurrent

// Options configure Run.
type Options struct {
	// Journal records every row durably; required. Use [OpenJournal] (a
	// file), [CreateJournal] (a new file, created with its first record)
	// or a *[MemoryJournal].
	Journal Journal
	// Concurrency is how many rows are sent at once (default
	// DefaultConcurrency, at most wrapper.MaxConcurrentLimit).
	Concurrency int
	// SkipInvalid sends the valid rows when some are invalid (they are
	// journalled as failed); otherwise one invalid row means nothing is sent.
	SkipInvalid bool
	// CheckOnly checks every row and stops: nothing is sent or journalled.
	CheckOnly bool
	// InFlight is the context of requests already sent. When the ctx given
	// to Run is cancelled no new request leaves, and the ones in flight
	// finish unless InFlight is done too. Nil: ctx (cancelling it aborts
	// them).
	InFlight context.Context
	// OnOutcome receives each row's outcome (never two calls at once).
	OnOutcome func(Outcome)
	// OnChecked is called after every row was checked, with the numbers of
	// rows in all and of rows left to send or check.
	OnChecked func(total, todo int)
	// Notef receives notes for people (a row found already created, journal
	// damage); may be nil.
	Notef func(format string, args ...any)
	// Redact is applied to every error text kept in the journal or an
	// Outcome (the command removes its API key); may be nil.
	Redact func(string) string
	// Settle is how long after an earlier attempt was sent Run waits before
	// looking it up among the customer's opportunities. A request sent just
	// before a crash can still be on its way (in the network, at the server)
	// and land after a quick resume has looked and found nothing; the row
	// would then be sent twice. Set it to the client's per-attempt timeout
	// (the command uses --timeout); zero does not wait.
	Settle time.Duration
}

// ErrInvalidRows is returned (wrapped) by Run when rows are invalid and
// Options.SkipInvalid is not set: nothing was sent.
var ErrInvalidRows = errors.New("rows are invalid; nothing was sent")

// ChangedError is returned by Run when rows changed since the journal
// recorded sending them: nothing was sent.
type ChangedError struct {
	// Rows says, per row, what changed ("line 3 changed since it was
	// created as UUID").
	Rows []string
}

// Error lists the first few rows that changed.
func (e *ChangedError) Error() string {
	return fmt.Sprintf("%d row(s) changed since the journal recorded them: %s", len(e.Rows), strings.Join(e.Rows[:min(len(e.Rows), 5)], "; "))
}

// SourceError is a problem with the source as a whole (a file that cannot
// be read, a bad CSV header, row identities out of order).
type SourceError struct{ Err error }

// Error is the source's error.
func (e *SourceError) Error() string { return e.Err.Error() }

// Unwrap returns the source's error.
func (e *SourceError) Unwrap() error { return e.Err }

// clockSkew is how much earlier than the journal's "sending" time an
// opportunity's created_at may be and still count as made by that attempt.
const clockSkew = 5 * time.Minute

// maxErrorText bounds an error kept in the journal or an Outcome.
const maxErrorText = 2 << 10

// Run creates one opportunity per row of rows with client, recording each
// in opts.Journal, and returns the summary. It checks every row first (one
// row in memory at a time); an invalid row stops it before anything is sent
// unless opts.SkipInvalid. Rows the journal records as created are skipped;
// rows whose earlier attempt may have created them (the journal recorded
// the request leaving but no outcome, or a failure after which it may
// exist) are looked up among their customer's opportunities and claimed
// when exactly matched (see [Matches]); when the journal is damaged, every
// row without a vouched created record is. An opportunity is claimed by at
// most one row; rows whose candidates cannot be told apart (see the package
// documentation) are reported as NeedsReview and neither sent nor claimed.
// A line the journal records as created or possibly created must still
// hold its row (a [ChangedError] otherwise), and the send pass must yield
// the rows the check saw (a [SourceError] otherwise, before any other row
// is sent).
//
// Cancelling ctx stops new requests (see Options.InFlight); the summary says
// Interrupted. Give client a [wrapper.RateBudget] (WithRateBudget) so that
// 429s slow the whole import down instead of failing rows; without one a
// row answered 429 is sent again when its retries are spent, never failed
// for it. The error is nil unless the import could not be run as a whole
// (invalid rows, changed rows, a source, journal or reconciliation failure).
func Run(ctx context.Context, client *wrapper.Client, rows Source, opts Options) (Summary, error) {
	start := time.Now()
	if opts.Journal == nil {
		return Summary{}, errors.New("bulk: Options.Journal is nil")
	}
	if client == nil && !opts.CheckOnly {
		return Summary{}, errors.New("bulk: the client is nil")
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Concurrency < 0 || opts.Concurrency > wrapper.MaxConcurrentLimit {
		return Summary{}, fmt.Errorf("bulk: Concurrency %d must be between 1 and %d", opts.Concurrency, wrapper.MaxConcurrentLimit)
	}
	if opts.InFlight == nil {
		opts.InFlight = ctx
	}
	r := &runner{client: client, opts: opts, stop: ctx, start: start, states: map[int]rowState{}, claimed: uuidSet{}}
	if err := r.replay(); err != nil {
		return r.finish(), err
	}
	if err := r.check(rows); errors.Is(err, errStoppedChecking) {
		r.drain(0) // the rows read so far: not sent
		return r.finish(), nil
	} else if err != nil {
		return r.finish(), err
	}
	if opts.CheckOnly {
		return r.finish(), nil
	}
	if err := r.reconcile(ctx); err != nil {
		r.drain(0)
		return r.finish(), err
	}
	err := r.send(rows)
	return r.finish(), err
}

// rowState is what the journal says about one row, kept small (a resumed
// import holds one per row the journal names).
type rowState struct {
	created    bool
	unresolved bool  // an attempt may have created it
	since      int64 // Unix nanoseconds: when the earliest unresolved attempt began; 0 if unknown
	uuid       uuidKey
	hash       uint64 // the fingerprint (fpKey); 0 if none
	seen       bool   // the check pass met a row with this line
	hint       bool   // uuid is from a created record nothing vouches for
}

// uuidKey holds a UUID in 16 bytes; one that does not parse as a UUID is
// kept in the runner's odd map, and its key is its hash.
type uuidKey [16]byte

// uuidSet is a set of opportunity UUIDs.
type uuidSet map[uuidKey]struct{}

func parseUUID(s string) (uuidKey, bool) {
	var k uuidKey
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return k, false
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(k[:], []byte(h)); err != nil {
		return k, false
	}
	return k, strings.ToLower(s) == s
}

// key returns u's key, remembering u in odd when it is not a plain UUID.
func (r *runner) key(u string) uuidKey {
	if k, ok := parseUUID(u); ok {
		return k
	}
	sum := sha256.Sum256([]byte(u))
	var k uuidKey
	copy(k[:], sum[:]) // a hash: it cannot be expected to meet a real UUID's bytes
	if r.odd == nil {
		r.odd = map[uuidKey]string{}
	}
	r.odd[k] = u
	return k
}

// uuidOf returns the UUID k stands for.
func (r *runner) uuidOf(k uuidKey) string {
	if u, ok := r.odd[k]; ok {
		return u
	}
	b := hex.EncodeToString(k[:])
	return b[0:8] + "-" + b[8:12] + "-" + b[12:16] + "-" + b[16:20] + "-" + b[20:32]
}

// fpKey reduces a fingerprint to 8 bytes: the 16 hex digits File writes,
// or a hash of any other text; 0 for none.
func fpKey(fp string) uint64 {
	if fp == "" {
		return 0
	}
	if len(fp) == 16 {
		if n, err := strconv.ParseUint(fp, 16, 64); err == nil && n != 0 {
			return n
		}
	}
	sum := sha256.Sum256([]byte(fp))
	return binary.BigEndian.Uint64(sum[:8]) | 1
}

// pending is a row to look for among its customer's opportunities.
type pending struct {
	line     int
	fp       string // the row's fingerprint
	customer string
	key      matchKey
	mask     uint8
	since    time.Time
}

// decision is what reconciliation made of a pending row.
type decision struct {
	uuid       string   // claimed
	candidates []string // needs review
	reason     string   // why it needs review
	confirmed  bool     // uuid is the one an unvouched created record named
}

type runner struct {
	client *wrapper.Client
	opts   Options
	// lastSent is when the journal's most recent request left: settle
	// waits for it to land before anything is looked up.
	lastSent time.Time
	stop     context.Context
	start    time.Time
	states   map[int]rowState
	claimed  uuidSet
	odd      map[uuidKey]string // UUIDs that are not plain UUIDs
	integ    Integrity
	pend     []pending
	seen     rowLog // the rows the check saw
	decided  map[int]decision
	sum      Summary
	outMu    sync.Mutex
	jerr     atomic.Pointer[error]
	// cappedAt is when a Retry-After cut short was last noted.
	cappedAt atomic.Int64
}

func (r *runner) notef(format string, args ...any) {
	if r.opts.Notef != nil {
		r.opts.Notef(format, args...)
	}
}

func (r *runner) emit(o Outcome) {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	switch o.State {
	case Created:
		r.sum.Created++
	case Skipped:
		r.sum.Skipped++
	case Reconciled:
		r.sum.Reconciled++
	case Failed:
		r.sum.Failed++
		if o.MayExist {
			r.sum.MayExist++
		}
	case Invalid:
		r.sum.Invalid++
	case NotSent:
		r.sum.NotSent++
	case NeedsReview:
		r.sum.NeedsReview++
	}
	if r.opts.OnOutcome != nil {
		r.opts.OnOutcome(o)
	}
}

func (r *runner) finish() Summary {
	r.outMu.Lock()
	defer r.outMu.Unlock()
	r.sum.Interrupted = r.stop.Err() != nil
	r.sum.Elapsed = time.Since(r.start)
	return r.sum
}

func (r *runner) safe(s string) string {
	if r.opts.Redact != nil {
		s = r.opts.Redact(s)
	}
	return safetext.Escape(s, maxErrorText)
}

// apply adds one journal record to its row's state. A record the journal
// does not vouch for (Unverified) is not trusted: whatever it says, its row
// is treated as one whose attempt may have created it, and checked against
// the API.
func (r *runner) apply(e Record) {
	if e.Line < 1 {
		return
	}
	if e.State == StateSending && e.At.After(r.lastSent) {
		r.lastSent = e.At
	}
	st := r.states[e.Line]
	defer func() { r.states[e.Line] = st }()
	if e.Unverified {
		if st.created {
			return // a vouched created record settled the row already
		}
		if e.State == StateCreated {
			st.uuid, st.hint = r.key(e.UUID), true
		}
		if !st.unresolved || st.since == 0 {
			st.since = unixNano(e.At)
		}
		st.unresolved = true
		return
	}
	switch e.State {
	case StateSending:
		if st.created {
			return
		}
		if !st.unresolved || st.since == 0 {
			st.since = unixNano(e.At)
		}
		st.unresolved = true
		st.hash = fpKey(e.Fingerprint)
	case StateCreated:
		st.created, st.unresolved = true, false
		st.uuid = r.key(e.UUID)
		if e.Fingerprint != "" {
			st.hash = fpKey(e.Fingerprint)
		}
		r.claimed[st.uuid] = struct{}{}
	case StateFailed:
		if st.created || e.Invalid {
			return // an invalid row was not sent: it settles nothing
		}
		// A definite failure settles every earlier attempt: the check
		// that preceded this attempt found none of them applied.
		st.unresolved = e.OutcomeUnknown
		if !e.OutcomeUnknown {
			st.since = 0
		}
	}
}

// replay reads the journal into per-row states.
func (r *runner) replay() error {
	integ, err := r.opts.Journal.Replay(r.apply)
	if err != nil {
		return err
	}
	if integ.Damage != "" && !integ.Vouched {
		// The journal cannot say which records the damage touched: none
		// is trusted, every row is checked against the API.
		for line, st := range r.states {
			if st.created {
				st.created, st.unresolved = false, true
				r.states[line] = st
			}
		}
		clear(r.claimed)
	}
	r.integ = integ
	r.sum.Damage = integ.Damage
	for _, n := range integ.Notes {
		r.notef("journal: %s", n)
	}
	if integ.Damage != "" {
		r.notef("journal damaged: %s; every row not recorded as created is checked against the API before it is sent", integ.Damage)
	}
	return nil
}

// problems returns every problem of a row, reading and validation, in the
// spec's field order; a field is reported once.
func problems(row Row) []string {
	if len(row.Problems) > 0 && row.Problems[0].Field == "" {
		return texts(row.Problems) // not even an object: nothing else to say
	}
	read := append(slices.Clone(row.Problems), utf8Problems(row.Input)...)
	err := row.Input.Validate()
	var ve *wrapper.ValidationError
	if err != nil && !errors.As(err, &ve) {
		read, err = append(read, wrapper.FieldError{Problem: err.Error()}), nil // ranks last
	}
	if errors.As(wrapper.MergeProblems(read, err), &ve) {
		return texts(ve.Problems)
	}
	return nil
}

func texts(ps []wrapper.FieldError) []string {
	if len(ps) == 0 {
		return nil
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		if p.Field == "" {
			out[i] = p.Problem
		} else {
			out[i] = p.Field + ": " + p.Problem
		}
	}
	return out
}

var createProps = generated.CreateOpportunityProperties()

// utf8Problems names the fields of in that are not valid UTF-8 (JSON would
// silently send U+FFFD instead). Fields are found by reflection and named
// by the spec's property of the same name, so a new property is covered.
func utf8Problems(in wrapper.OpportunityInput) []wrapper.FieldError {
	var out []wrapper.FieldError
	v := reflect.ValueOf(in)
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.String && !utf8.ValidString(f.String()) {
			name := v.Type().Field(i).Name // CustomerUUID: customer_uuid
			for _, p := range createProps {
				if strings.EqualFold(strings.ReplaceAll(p.Name, "_", ""), name) {
					name = p.Name
				}
			}
			out = append(out, wrapper.FieldError{Field: name, Problem: "is not valid UTF-8"})
		}
	}
	for k, val := range in.Custom {
		s, isString := val.(string)
		if !utf8.ValidString(k) || (isString && !utf8.ValidString(s)) {
			out = append(out, wrapper.FieldError{Field: "custom." + strings.ToValidUTF8(k, "\ufffd"), Problem: "is not valid UTF-8"})
		}
	}
	return out
}

// unixNano is t in Unix nanoseconds, 0 for the zero time.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fingerprintOf is row's fingerprint: its own, or a hash of its create body.
func fingerprintOf(row Row) string {
	if row.Fingerprint != "" {
		return row.Fingerprint
	}
	body, err := wrapper.EncodeOpportunityInput(row.Input)
	if err != nil {
		return ""
	}
	return fingerprint(body)
}

// check is the first pass: every row is checked, nothing is kept but the
// rows to reconcile (a few bytes each).
// errStoppedChecking is check's answer to a stop: Run ends there.
var errStoppedChecking = errors.New("stopped while checking the rows")

func (r *runner) check(rows Source) error {
	var changed []string
	last := 0
	todo := 0
	customers := map[string]string{} // interned
	damaged := r.integ.Damage != ""
	for row, err := range rows {
		if r.sum.Total > 0 && r.sum.Total%256 == 0 && r.stop.Err() != nil {
			return errStoppedChecking // a large file takes a while: the rest is not read
		}
		if err == nil {
			err = order(row.Line, last)
		}
		if err != nil {
			r.sum.SourceFailed = true
			return &SourceError{Err: err}
		}
		last = row.Line
		r.sum.Total++
		if !r.opts.CheckOnly {
			r.seen.add(row.Line, fpKey(fingerprintOf(row)))
		}
		st := r.states[row.Line]
		if st.created || st.unresolved {
			st.seen = true
			r.states[row.Line] = st
			if fp := fpKey(fingerprintOf(row)); st.hash != 0 && fp != st.hash {
				what := "was created as " + r.uuidOf(st.uuid)
				if !st.created {
					what = "may have been created"
				}
				changed = append(changed, fmt.Sprintf("line %d changed since it %s", row.Line, what))
				continue
			}
		}
		if st.created {
			continue
		}
		if probs := problems(row); len(probs) > 0 {
			r.emit(Outcome{Line: row.Line, State: Invalid, Problems: probs})
			if !r.opts.CheckOnly {
				r.seen.markInvalid()
			}
			continue
		}
		todo++
		if !st.unresolved && !damaged {
			continue
		}
		key, mask, err := rowKey(row.Input)
		if err != nil {
			continue // cannot happen: the row is valid
		}
		cus, ok := customers[row.Input.CustomerUUID]
		if !ok {
			cus = strings.Clone(row.Input.CustomerUUID)
			customers[cus] = cus
		}
		since := time.Time{}
		if st.unresolved && st.since != 0 {
			since = time.Unix(0, st.since)
		} else if !r.integ.Started.IsZero() {
			since = r.integ.Started
		}
		r.pend = append(r.pend, pending{line: row.Line, fp: fingerprintOf(row), customer: cus, key: key, mask: mask, since: since})
	}
	// A line the journal says may hold an opportunity must still hold that
	// row: a row removed (or a blank line, in JSON Lines) moves the rows
	// after it onto lines the journal recorded for others.
	var gone []int
	for line, st := range r.states {
		if (st.created || st.unresolved) && !st.seen {
			gone = append(gone, line)
		}
	}
	slices.Sort(gone)
	for _, line := range gone {
		st := r.states[line]
		what := "was created as " + r.uuidOf(st.uuid)
		if !st.created {
			what = "may have been created"
		}
		changed = append(changed, fmt.Sprintf("line %d %s, but no longer holds a row (rows removed or moved?)", line, what))
	}
	if len(changed) > 0 {
		return &ChangedError{Rows: changed}
	}
	if r.opts.OnChecked != nil {
		r.opts.OnChecked(r.sum.Total, todo)
	}
	if r.sum.Invalid > 0 && !r.opts.SkipInvalid {
		return fmt.Errorf("%d of %d %w", r.sum.Invalid, r.sum.Total, ErrInvalidRows)
	}
	return nil
}

// reconcile looks for the opportunities the pending rows may have created,
// one customer at a time, and journals the ones it claims.
func (r *runner) reconcile(ctx context.Context) error {
	r.decided = map[int]decision{}
	if err := r.settle(ctx); err != nil {
		return err
	}
	slices.SortStableFunc(r.pend, func(a, b pending) int { return cmp.Compare(a.customer, b.customer) })
	for i := 0; i < len(r.pend); {
		j := i
		for j < len(r.pend) && r.pend[j].customer == r.pend[i].customer {
			j++
		}
		if err := r.reconcileCustomer(ctx, r.pend[i:j]); err != nil {
			return fmt.Errorf("checking whether earlier attempts created their rows: %w; nothing was sent", err)
		}
		i = j
	}
	if r.integ.Damage != "" {
		if err := r.append(Record{State: StateChecked}); err != nil {
			return err
		}
	}
	r.pend = nil
	return nil
}

// settle waits until the most recent earlier attempt is Settle old, so that
// a request still in flight has landed before it is looked up.
func (r *runner) settle(ctx context.Context) error {
	latest := r.lastSent
	wait := time.Until(latest.Add(r.opts.Settle))
	if r.opts.Settle <= 0 || len(r.pend) == 0 || latest.IsZero() || wait <= 0 {
		return nil
	}
	r.notef("waiting %v for requests an earlier run may still have in flight, before checking whether they created their rows", wait.Round(100*time.Millisecond))
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type candidate struct {
	o    wrapper.Opportunity
	keys *opportunityKeys
}

func (r *runner) reconcileCustomer(ctx context.Context, rows []pending) error {
	earliest := rows[0].since
	for _, p := range rows {
		if p.since.Before(earliest) {
			earliest = p.since
		}
	}
	earliest = earliest.Add(-clockSkew) // nothing older can be an attempt's
	var cands []candidate
	for o, err := range r.client.All(ctx, wrapper.ListParams{CustomerUUID: rows[0].customer}) {
		if err != nil {
			return err
		}
		if _, claimed := r.claimed[r.key(o.UUID)]; claimed || o.CreatedAt.Before(earliest) {
			continue
		}
		k, err := newOpportunityKeys(o)
		if err != nil {
			return err
		}
		cands = append(cands, candidate{o: o, keys: k})
	}
	// The bipartite graph rows - candidates, and its connected components.
	n := len(rows)
	parent := make([]int, n+len(cands))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	edges := make([][]int, n)
	for i, p := range rows {
		for c, cand := range cands {
			if cand.o.CreatedAt.Before(p.since.Add(-clockSkew)) || cand.keys.key(p.mask) != p.key {
				continue
			}
			edges[i] = append(edges[i], c)
			parent[find(i)] = find(n + c)
		}
	}
	comps := map[int][]int{}
	for i := range rows {
		root := find(i)
		comps[root] = append(comps[root], i)
	}
	roots := make([]int, 0, len(comps))
	for root := range comps {
		roots = append(roots, root)
	}
	slices.Sort(roots)
	for _, root := range roots {
		members := comps[root]
		var cs []int
		for c := range cands {
			if find(n+c) == root {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 {
			continue // none created: send them
		}
		claims, why := decide(rows, members, cs, edges)
		if why == "" {
			for c, m := range claims {
				p := rows[m]
				uuid := cands[c].o.UUID
				r.claimed[r.key(uuid)] = struct{}{}
				if st := r.states[p.line]; st.hint && st.uuid == r.key(uuid) {
					// What its unvouched created record said: confirmed, and
					// vouched for by the next record the journal writes.
					r.decided[p.line] = decision{uuid: uuid, confirmed: true}
					continue
				}
				r.decided[p.line] = decision{uuid: uuid}
				if err := r.append(Record{Line: p.line, State: StateCreated, UUID: uuid, Reconciled: true, Fingerprint: p.fp}); err != nil {
					return err
				}
			}
			continue // the rows left over were not created: send them
		}
		uuids := make([]string, len(cs))
		for i, c := range cs {
			uuids[i] = cands[c].o.UUID
		}
		slices.Sort(uuids)
		lines := make([]string, len(members))
		for i, m := range members {
			lines[i] = strconv.Itoa(rows[m].line)
		}
		reason := fmt.Sprintf(why, len(uuids), strings.Join(lines, ", "))
		for _, m := range members {
			p := rows[m]
			r.decided[p.line] = decision{candidates: uuids, reason: reason}
			// Recorded as possibly created, so that no later run sends it
			// unchecked.
			if err := r.append(Record{Line: p.line, State: StateFailed, OutcomeUnknown: true,
				Error: "needs review: " + reason + ": " + strings.Join(uuids, ", ")}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Why a group of rows needs review (formatted with the number of
// candidates and the rows' lines).
const (
	tooManyCandidates = "%d matching opportunities are more than the rows that could own them (lines %s) can account for"
	whoseIsUnclear    = "%d matching opportunities could belong to the rows of lines %s in more than one way, and those rows differ: which row created which cannot be told"
)

// decide settles one connected group of pending rows (members) and the
// candidates they match (cs): every candidate must be given to a different
// row that matches it (a matching that covers every candidate), and which
// kind of row each candidate goes to must be the only possible one: rows
// that send the same and match the same candidates are interchangeable, any
// others are not. Then it returns the claims (candidate -> row) and the
// rows left over were not created; otherwise it returns why the rows need
// review.
func decide(rows []pending, members, cs []int, edges [][]int) (map[int]int, string) {
	class := make(map[int]int, len(members)) // row -> its first interchangeable row
	for _, m := range members {
		class[m] = m
		for _, k := range members {
			if k == m {
				break
			}
			if rows[k].key == rows[m].key && rows[k].mask == rows[m].mask && slices.Equal(edges[k], edges[m]) {
				class[m] = class[k]
				break
			}
		}
	}
	owner := map[int]int{}
	if matchAll(members, edges, owner, -1, -1, nil) < len(cs) {
		return nil, tooManyCandidates
	}
	for _, c := range cs {
		classes := map[int]bool{}
		for _, m := range members {
			if slices.Contains(edges[m], c) {
				classes[class[m]] = true
			}
		}
		if len(classes) < 2 {
			continue // only one kind of row can own it
		}
		// Could another kind of row own it, every candidate still owned?
		if matchAll(members, edges, map[int]int{}, c, class[owner[c]], class) == len(cs) {
			return nil, whoseIsUnclear
		}
	}
	return owner, ""
}

// matchAll finds a maximum matching of candidates to rows (Kuhn's
// algorithm; the sets are small), filling owner (candidate -> row), and
// returns its size. Candidate ban may not go to a row of class banClass.
func matchAll(members []int, edges [][]int, owner map[int]int, ban, banClass int, class map[int]int) int {
	size := 0
	for _, m := range members {
		seen := map[int]bool{}
		var try func(int) bool
		try = func(row int) bool {
			for _, c := range edges[row] {
				if seen[c] || (c == ban && class[row] == banClass) {
					continue
				}
				seen[c] = true
				if prev, taken := owner[c]; !taken || try(prev) {
					owner[c] = row
					return true
				}
			}
			return false
		}
		if try(m) {
			size++
		}
	}
	return size
}

// Gate states of a row's request (see sendOne).
const (
	rowWaiting        int32 = iota // not sent yet: waiting for the budget or a slot
	rowSent                        // a request of it is in flight (or answered, not 429)
	rowLimited                     // answered 429: not processed, waiting to be sent again
	rowStopped                     // stopped before its first request left: not sent
	rowStoppedLimited              // stopped while waiting to be sent again after a 429
)

var errStopped = errors.New("not sent: the import is stopping")

// send is the second pass: rows not created yet are sent by a pool of
// workers, in order.
func (r *runner) send(rows Source) error {
	jobs := make(chan Row)
	var wg sync.WaitGroup
	for range r.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for row := range jobs {
				r.sendOne(row)
			}
		}()
	}
	var srcErr error
	last, i := 0, 0
	for row, err := range rows {
		if err == nil {
			err = order(row.Line, last)
		}
		if err == nil {
			err = r.seen.same(i, row)
		}
		if err != nil {
			srcErr = &SourceError{Err: err}
			break
		}
		last = row.Line
		i++
		if o, ok := r.settled(row.Line); ok {
			if o.State == Reconciled {
				r.notef("line %d: already created as %s by an earlier attempt; not sent again", row.Line, o.UUID)
			} else if o.State == NeedsReview {
				r.notef("line %d: needs review: %s (%s); not sent, not claimed", row.Line, o.Error, strings.Join(o.Candidates, ", "))
			}
			r.emit(o)
			continue
		}
		if probs := problems(row); len(probs) > 0 {
			if _, valid := r.seen.at(i - 1); valid {
				i--
				srcErr = &SourceError{Err: fmt.Errorf("line %d was valid when checked, and is not when read again", row.Line)}
				break
			}
			// Reported by the check; journalled now, as it is skipped.
			problems := make([]string, len(probs))
			for i, p := range probs {
				problems[i] = r.safe(p)
			}
			if err := r.append(Record{Line: row.Line, State: StateFailed, Invalid: true, Problems: problems, Fingerprint: row.Fingerprint}); err != nil {
				r.journalFailed(err)
			}
			continue
		}
		if st := r.states[row.Line]; st.unresolved {
			r.notef("line %d: an earlier attempt did not create it; sending it again", row.Line)
		}
		if r.stop.Err() != nil || r.jerr.Load() != nil {
			r.emit(Outcome{Line: row.Line, State: NotSent})
			continue
		}
		select {
		case jobs <- row:
		case <-r.stop.Done():
			r.emit(Outcome{Line: row.Line, State: NotSent})
		}
	}
	if srcErr == nil && i < r.seen.n {
		srcErr = &SourceError{Err: fmt.Errorf("the source yielded %d rows when read again, %d when checked", i, r.seen.n)}
	}
	close(jobs)
	wg.Wait()
	if srcErr != nil {
		r.sum.SourceFailed = true
		r.drain(i)
	}
	if e := r.jerr.Load(); e != nil {
		return *e
	}
	return srcErr
}

// order checks that line may follow last.
func order(line, last int) error {
	switch {
	case line < 1:
		return fmt.Errorf("row identities must be positive: got line %d", line)
	case line <= last:
		return fmt.Errorf("row identities must increase: line %d comes after line %d", line, last)
	}
	return nil
}

// settled returns the outcome of a row that needs no request: created by an
// earlier run, or decided by reconciliation.
func (r *runner) settled(line int) (Outcome, bool) {
	if st, ok := r.states[line]; ok && st.created {
		return Outcome{Line: line, State: Skipped, UUID: r.uuidOf(st.uuid)}, true
	}
	if d, ok := r.decided[line]; ok {
		if d.confirmed {
			return Outcome{Line: line, State: Skipped, UUID: d.uuid}, true
		}
		if d.uuid != "" {
			return Outcome{Line: line, State: Reconciled, UUID: d.uuid}, true
		}
		return Outcome{Line: line, State: NeedsReview, Candidates: d.candidates, Error: d.reason}, true
	}
	return Outcome{}, false
}

// drain gives every valid row the check saw, from the i-th on, its outcome
// when the import stops before sending it: settled, or not sent.
func (r *runner) drain(i int) {
	for ; i < r.seen.n; i++ {
		line, valid := r.seen.at(i)
		if !valid {
			continue // reported as invalid by the check
		}
		o, ok := r.settled(line)
		if !ok {
			o = Outcome{Line: line, State: NotSent}
		}
		r.emit(o)
	}
}

// rowLog keeps, for each row the check saw, its line, a hash of its
// fingerprint and whether it was valid: 16 bytes a row, in blocks, so that
// the second pass can be held to the same rows.
type rowLog struct {
	blocks [][]rowEntry
	n      int
}

type rowEntry struct {
	line int
	fp   uint64 // fpKey of the fingerprint, its lowest bit replaced by "not invalid"
}

const rowBlock = 4096

func (l *rowLog) add(line int, fp uint64) {
	if l.n%rowBlock == 0 {
		l.blocks = append(l.blocks, make([]rowEntry, 0, rowBlock))
	}
	b := &l.blocks[len(l.blocks)-1]
	*b = append(*b, rowEntry{line: line, fp: fp | 1})
	l.n++
}

// markInvalid marks the last row added invalid.
func (l *rowLog) markInvalid() {
	b := l.blocks[len(l.blocks)-1]
	b[len(b)-1].fp &^= 1
}

func (l *rowLog) at(i int) (line int, valid bool) {
	e := l.blocks[i/rowBlock][i%rowBlock]
	return e.line, e.fp&1 == 1
}

// same checks that row, the i-th of the second pass, is the i-th row the
// check saw.
func (l *rowLog) same(i int, row Row) error {
	if i >= l.n {
		return fmt.Errorf("the source yielded more rows when read again than when checked (line %d is new)", row.Line)
	}
	e := l.blocks[i/rowBlock][i%rowBlock]
	if e.line != row.Line || e.fp != fpKey(fingerprintOf(row))&^1|e.fp&1 {
		return fmt.Errorf("the source yielded other rows when read again than when checked: line %d where the check saw line %d as it was", row.Line, e.line)
	}
	return nil
}

// append journals rec, stamped with the time.
func (r *runner) append(rec Record) error {
	if rec.At.IsZero() {
		rec.At = time.Now()
	}
	return r.opts.Journal.Append(rec)
}

// noteCapped says, at most once a minute, that the API asked for a longer
// wait than the client honours.
func (r *runner) noteCapped(retryAfter, honoured time.Duration) {
	now := time.Now().UnixNano()
	last := r.cappedAt.Load()
	if last != 0 && now-last < int64(time.Minute) || !r.cappedAt.CompareAndSwap(last, now) {
		return
	}
	r.notef("the API answered 429 asking to wait %s (Retry-After); waiting %s at most (the retry policy's MaxBackoff) before sending again", retryAfter.Round(time.Second), honoured)
}

func (r *runner) journalFailed(err error) {
	r.jerr.CompareAndSwap(nil, &err)
}

// sendOne creates one row and journals it: "sending" as its request leaves,
// then the outcome. A row stopped before its request left is not sent and
// nothing is journalled for it.
// notSentAfter429 reports a row the API answered 429 (not processed) and the
// import stopped before sending it again. No attempt of it can have created
// it: the client sends a create again only after a 429, a 503 or a refused
// connection, none of which the API processed. So its "sending" record is
// settled with a failure that is known not to have created it, and a resume
// sends it with no lookup and no wait.
func (r *runner) notSentAfter429(row Row) {
	if err := r.append(Record{Line: row.Line, State: StateFailed,
		Error: "not sent: the import stopped while the row waited after a 429 (not processed)"}); err != nil {
		r.journalFailed(err)
	}
	r.emit(Outcome{Line: row.Line, State: NotSent})
}

func (r *runner) sendOne(row Row) {
	if r.stop.Err() != nil || r.jerr.Load() != nil {
		r.emit(Outcome{Line: row.Line, State: NotSent})
		return
	}
	fp := fingerprintOf(row)
	var state atomic.Int32
	hook := func() error {
		for {
			switch st := state.Load(); st {
			case rowSent:
				return nil // a retry after an answer other than 429
			case rowWaiting, rowLimited:
				if r.stop.Err() != nil {
					stopped := rowStopped
					if st == rowLimited {
						stopped = rowStoppedLimited
					}
					if state.CompareAndSwap(st, stopped) {
						return errStopped
					}
					continue
				}
				if !state.CompareAndSwap(st, rowSent) {
					continue
				}
				if st == rowLimited {
					return nil // sent again; its "sending" record stands
				}
				if err := r.append(Record{Line: row.Line, State: StateSending, Fingerprint: fp}); err != nil {
					state.Store(rowStopped)
					r.journalFailed(err)
					return err
				}
				return nil
			default:
				return errStopped
			}
		}
	}
	ctx, cancel := context.WithCancel(wrapper.WithBeforeSend(r.opts.InFlight, hook))
	defer cancel()
	// stopWaiting stops the row if no request of it is in flight: waiting
	// for its turn, or to be sent again after a 429.
	stopWaiting := func() {
		if state.CompareAndSwap(rowWaiting, rowStopped) || state.CompareAndSwap(rowLimited, rowStoppedLimited) {
			cancel()
		}
	}
	ctx = wrapper.WithRateLimitedHook(ctx, func(retryAfter, honoured time.Duration) {
		state.CompareAndSwap(rowSent, rowLimited)
		if retryAfter > honoured {
			r.noteCapped(retryAfter, honoured)
		}
		if r.stop.Err() != nil {
			stopWaiting()
		}
	})
	// When the import stops, a row waiting stops waiting at once.
	unwatch := context.AfterFunc(r.stop, stopWaiting)
	defer unwatch()
	limited := 0
	for {
		o, err := r.client.Create(ctx, row.Input)
		switch state.Load() {
		case rowWaiting, rowStopped:
			r.emit(Outcome{Line: row.Line, State: NotSent}) // it never left
			return
		case rowStoppedLimited:
			if err != nil && !wrapper.MayHaveBeenApplied(err) {
				r.notSentAfter429(row) // stopped before it was sent again
				return
			}
		}
		if err == nil && o.UUID == "" {
			err = errors.New("the API answered without the opportunity's UUID")
		}
		if err == nil {
			if jerr := r.append(Record{Line: row.Line, State: StateCreated, UUID: o.UUID, Fingerprint: fp}); jerr != nil {
				r.journalFailed(jerr)
			}
			r.emit(Outcome{Line: row.Line, State: Created, UUID: o.UUID})
			return
		}
		if wrapper.IsRateLimited(err) && !wrapper.MayHaveBeenApplied(err) && r.stop.Err() == nil && ctx.Err() == nil {
			// A 429 means not processed: never a failure. (Under a
			// RateBudget the client waits already; without one, back off.)
			limited++
			wait := min(100*time.Millisecond<<min(limited, 6), 5*time.Second)
			wait = wait/2 + rand.N(wait/2+1)
			select {
			case <-time.After(wait):
			case <-r.stop.Done():
			}
			if r.stop.Err() != nil {
				r.notSentAfter429(row)
				return
			}
			continue
		}
		mayExist := wrapper.MayHaveBeenApplied(err)
		msg := r.safe(err.Error())
		if jerr := r.append(Record{Line: row.Line, State: StateFailed, Error: msg, OutcomeUnknown: mayExist}); jerr != nil {
			r.journalFailed(jerr)
		}
		r.emit(Outcome{Line: row.Line, State: Failed, Error: msg, MayExist: mayExist})
		return
	}
}
