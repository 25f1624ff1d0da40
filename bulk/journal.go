package bulk

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
)

// The states a Record gives a row.
const (
	// StateSending: the row's request is leaving (written just before it is
	// sent, after the wait for the rate budget and a worker).
	StateSending = "sending"
	// StateCreated: the row's opportunity exists, with UUID.
	StateCreated = "created"
	// StateFailed: the attempt failed; OutcomeUnknown says whether the
	// opportunity may exist all the same, Invalid that the row was skipped
	// as invalid (never sent).
	StateFailed = "failed"
	// StateChecked is not about a row (Line 0): every row without a created
	// record was checked against the API after the journal was found
	// damaged, so damage before it is settled.
	StateChecked = "checked"
)

// Record is one entry of a journal.
type Record struct {
	// Line is the row's identity (0 for StateChecked).
	Line int `json:"line"`
	// State is one of the State constants above.
	State string `json:"state"`
	// At is when it happened (Run stamps it).
	At time.Time `json:"at"`
	// Fingerprint identifies the row's content when it was sent, so that a
	// resumed import notices a row that changed since.
	Fingerprint string `json:"row_sha256,omitempty"`
	UUID        string `json:"uuid,omitempty"`
	Error       string `json:"error,omitempty"`
	// OutcomeUnknown marks a failure after which the opportunity may exist
	// (a 5xx, a dropped connection, a timeout).
	OutcomeUnknown bool `json:"outcome_unknown,omitempty"`
	// Reconciled marks a created record found by a check against the API.
	Reconciled bool `json:"reconciled,omitempty"`
	// Invalid marks a row skipped as invalid, never sent; Problems says why.
	Invalid  bool     `json:"invalid,omitempty"`
	Problems []string `json:"problems,omitempty"`
	// Unverified is set by Replay on a record the journal cannot vouch for:
	// the chain does not confirm it (it was edited, or lines next to it were
	// deleted or moved), or it was written just before a crash and the
	// header does not cover it yet. Run does not trust such a record: a
	// created one is checked against the API, a failed one settles nothing.
	// It is never written.
	Unverified bool `json:"-"`
}

// Integrity is what a journal can tell of itself when it is replayed.
type Integrity struct {
	// Started is when the journal was begun (zero if unknown): no
	// opportunity created earlier can be one of its rows.
	Started time.Time
	// Damage says why records may be missing ("" when none can be): lines
	// deleted or cut, the journal emptied, or a format that cannot tell.
	// An import then checks every row without a created record against the
	// API before sending it.
	Damage string
	// Notes are things worth telling the user that are not damage (a line
	// cut short by a crash and healed).
	Notes []string
	// Vouched says that the journal marks every record it cannot vouch for
	// (Record.Unverified), so that the others can be trusted even when
	// Damage is set. Without it, a damaged journal's records are all
	// distrusted: every row is checked against the API.
	Vouched bool
}

// Journal is where an import records what happened to each row, so that a
// later run neither loses nor duplicates one. Append must make the record
// durable before it returns. [FileJournal] is the one to use; [MemoryJournal]
// serves tests and one-shot imports.
type Journal interface {
	// Replay calls fn for each record of earlier runs, in order, and says
	// what it knows of the journal's integrity. An error means the journal
	// cannot be used (nothing is sent).
	Replay(fn func(Record)) (Integrity, error)
	// Append records r durably.
	Append(r Record) error
}

// MemoryJournal is a Journal held in memory: an import that is lost with the
// process. The zero value is ready to use; it is safe for concurrent use.
type MemoryJournal struct {
	mu      sync.Mutex
	records []Record
}

// Replay calls fn for every record appended so far.
func (m *MemoryJournal) Replay(fn func(Record)) (Integrity, error) {
	m.mu.Lock()
	recs := append([]Record(nil), m.records...)
	m.mu.Unlock()
	for _, r := range recs {
		fn(r)
	}
	return Integrity{}, nil
}

// Append keeps r.
func (m *MemoryJournal) Append(r Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records = append(m.records, r)
	return nil
}

// Records returns a copy of the records appended so far.
func (m *MemoryJournal) Records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Record(nil), m.records...)
}

// The file journal's format (version 3). The first line is a header; its
// last_seq and last_hash are rewritten in place after each record, so that
// cutting lines off the end, and editing the last line, are seen:
//
//	{"journal":"mogulkit-opportunities-import","version":3,"source":"deals.csv","target":"https://api.chartmogul.com/v1","started":"2024-03-21T06:46:23.137912Z","last_seq":"00000000000000000003","last_hash":"5b0e4f9a1c2d3e4f"}
//	{"seq":1,"prev":"9f2c4e01a7b3d5c8","line":7,"state":"sending","at":"…","row_sha256":"…"}
//	{"seq":2,"prev":"…","line":7,"state":"created","at":"…","uuid":"bb544336-…"}
//	{"seq":3,"prev":"…","line":8,"state":"failed","at":"…","error":"…: 422 …"}
//
// target (JournalOptions.Target) is left out when none was given. seq
// numbers the records from 1 with no gap; prev is the first 8 bytes, in
// hex, of the SHA-256 of the previous line (the header's with last_seq and
// last_hash all zeros); last_hash is that of the record numbered last_seq.
// Each record is thus vouched for by the one after it, and the last one by
// the header. A "checked" record carries pin, the first 16 bytes (hex) of
// the SHA-256 of every byte between the header and itself, so that a line
// changed or deleted before it after the check is seen too. A line cut short
// by a crash may be followed only by the record that continues the chain
// from the last whole line.
//
// Version 2 journals (no last_hash, no pin) are read and continued as they
// are: their last record is never vouched for (Run checks it against the
// API), and their "checked" records settle what came before as they did.
// Version 1 journals (no header, no seq) are converted on resume; see
// OpenJournal.
const (
	journalKind    = "mogulkit-opportunities-import"
	journalVersion = 3
	seqDigits      = 20
	hashDigits     = 16
)

// ErrJournalExists is returned by OpenJournal when a journal that already
// holds records is opened without Resume.
var ErrJournalExists = errors.New("the journal already exists")

// ErrJournalLocked is returned by OpenJournal when another import holds the
// journal.
var ErrJournalLocked = errors.New("another import is using this journal")

// ErrNoJournal is returned by OpenJournal with Resume when there is no
// journal to resume.
var ErrNoJournal = errors.New("no journal to resume")

// ErrNotAJournal is returned by OpenJournal, wrapped with the path, when the
// file to resume is clearly not a journal: not a regular file, or one of
// which no line is a journal's header or record (an input file, say, or a
// key). The file is left as it was. A journal that is merely damaged (lines
// deleted, cut or edited, its header gone, emptied) is still resumed.
var ErrNotAJournal = errors.New("not a journal")

// JournalOptions say how OpenJournal opens a journal.
type JournalOptions struct {
	// Source names the input the journal belongs to (for a file, its base
	// name). A journal begun for another source is refused on resume.
	Source string
	// Target names the API the rows are sent to (its base URL, say). A new
	// journal records it in its header; a resumed one keeps the one it was
	// begun with, which FileJournal.Target returns: the rows a journal
	// records as created were created there. A resume against another
	// target is refused when Ephemeral says either is one ([TargetError]);
	// otherwise it is left to the caller to compare (another address may be
	// the same API, through a proxy).
	Target string
	// Ephemeral reports whether a target's opportunities vanish with it (an
	// in-process fake, say): a journal begun for one is never resumed
	// against another target, nor the other way round. Nil: none is.
	Ephemeral func(target string) bool
	// Resume continues an existing journal; without it the journal must not
	// exist or be empty.
	Resume bool
}

// FileJournal is a journal file: JSON Lines, each record written and
// fsync'd before Append returns, chained so that damage is seen (see the
// format above). It holds an exclusive lock on the file while open (on
// Unix). It is safe for concurrent use.
type FileJournal struct {
	mu       sync.Mutex
	f        *os.File
	path     string
	target   string // the header's target (see JournalOptions.Target)
	end      int64  // where the next record goes
	seqAt    int64  // offset of last_seq's digits in the header
	withHash bool   // the header has last_hash (version 3)
	seq      int64
	prev     string
	sum      hash.Hash // SHA-256 of every byte after the header
	err      error
	replay   []byte // the content read at open, replayed once
	integ    Integrity
	replayed bool
	// The records of replay that are not vouched for: those starting
	// before unvBefore, and those at the offsets in unv.
	unvBefore int64
	unv       map[int64]bool
}

// OpenJournal opens the journal at path: a new one (writing its header and
// syncing the file and its directory), or with o.Resume an existing one,
// which Replay then reads. A version 1 journal (written before the header
// existed) is converted: the old file is kept as path+".v1", and the import
// treats it as damaged, since version 1 could not tell whether lines were
// lost. A file that is clearly not a journal (ErrNotAJournal) is refused
// and left as it was.
func OpenJournal(path string, o JournalOptions) (*FileJournal, error) {
	if err := notRegular(path); err != nil {
		return nil, err
	}
	flags := os.O_RDWR
	if !o.Resume {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		if o.Resume && errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", path, ErrNoJournal)
		}
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	j := &FileJournal{f: f, path: path, target: o.Target}
	if !o.Resume {
		if len(bytes.TrimSpace(data)) > 0 {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, ErrJournalExists)
		}
		if err := j.begin(o.Source, time.Now(), 0, ""); err != nil {
			f.Close()
			return nil, err
		}
		return j, nil
	}
	if err := j.load(data, o.Source); err != nil {
		j.f.Close()
		return nil, err
	}
	if err := j.checkTarget(o); err != nil {
		j.f.Close()
		return nil, err
	}
	return j, nil
}

// notRegular refuses a path that exists and is neither a regular file nor a
// directory (whose error is left to the caller): reading a FIFO or a device
// could block, or never end, and writing one is no journal.
func notRegular(path string) error {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().IsRegular() || fi.IsDir() {
		return nil
	}
	return fmt.Errorf("%s: %w: it is not a regular file (nothing was changed)", path, ErrNotAJournal)
}

// TargetError is returned by OpenJournal when a journal is resumed against
// another target than the one it was begun for, and either is ephemeral
// (JournalOptions.Ephemeral): the rows it records as created do not exist
// where the rows would now be sent.
type TargetError struct {
	// Path is the journal's.
	Path string
	// Journal is the target the journal records, Target the one given.
	Journal, Target string
}

// Error says which targets differ.
func (e *TargetError) Error() string {
	return fmt.Sprintf("%s: the journal records an import to %s, not to %s: the rows it records as created do not exist there",
		e.Path, e.Journal, e.Target)
}

// checkTarget refuses a resumed journal whose target is not o.Target when
// either is ephemeral. A journal or a resume that names no target is not
// compared.
func (j *FileJournal) checkTarget(o JournalOptions) error {
	if j.target == "" || o.Target == "" || j.target == o.Target || o.Ephemeral == nil {
		return nil
	}
	if o.Ephemeral(j.target) || o.Ephemeral(o.Target) {
		return &TargetError{Path: j.path, Journal: j.target, Target: o.Target}
	}
	return nil
}

// Target is the API the journal's rows were sent to, as its header records
// it: JournalOptions.Target when it was begun ("" for a journal written
// before targets were recorded, or without one).
func (j *FileJournal) Target() string { return j.target }

// ErrJournalIsDir is returned by CreateJournal when the journal's path is a
// directory.
var ErrJournalIsDir = errors.New("the journal is a directory")

// LazyJournal is a new journal that is created with its first record: an
// import that records nothing (all its rows invalid, say) leaves no file.
// Get one from CreateJournal. It is safe for concurrent use.
type LazyJournal struct {
	// OpenError, when set before the first Append, turns the error of
	// creating the file (OpenJournal's) into the one Append returns, in the
	// caller's words.
	OpenError func(error) error

	path string
	o    JournalOptions
	mu   sync.Mutex
	j    *FileJournal
}

// CreateJournal prepares a new journal at path, which its first Append
// creates as OpenJournal does (o.Resume is ignored). So that an import is
// told before it sends anything, it refuses at once a path that is a
// directory (ErrJournalIsDir), a file that is not empty (ErrJournalExists),
// a FIFO or a device (ErrNotAJournal), or one in a directory where no file
// can be created (missing, not writable: the system's error, found with a
// probe file removed at once). The journal is neither created nor locked
// until the first Append, which refuses a journal that another import began
// since.
func CreateJournal(path string, o JournalOptions) (*LazyJournal, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s: %w", path, ErrJournalIsDir)
	} else if err := notRegular(path); err != nil {
		return nil, err
	} else if fi != nil && fi.Size() > 0 {
		return nil, fmt.Errorf("%s: %w", path, ErrJournalExists)
	}
	dir := filepath.Dir(path)
	probe, err := os.CreateTemp(dir, "."+filepath.Base(path)+".probe-*")
	if err != nil {
		if pe, ok := errors.AsType[*os.PathError](err); ok {
			err = pe.Err // the probe's name means nothing to the caller
		}
		return nil, fmt.Errorf("%s: no journal can be created in %s: %w", path, dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	o.Resume = false
	return &LazyJournal{path: path, o: o}, nil
}

// Replay calls nothing: a new journal holds no records.
func (l *LazyJournal) Replay(func(Record)) (Integrity, error) { return Integrity{}, nil }

// Append creates the journal if r is its first record, then records r as
// FileJournal.Append does.
func (l *LazyJournal) Append(r Record) error {
	l.mu.Lock()
	if l.j == nil {
		j, err := OpenJournal(l.path, l.o)
		if err != nil {
			l.mu.Unlock()
			if l.OpenError != nil {
				return l.OpenError(err)
			}
			return err
		}
		l.j = j
	}
	j := l.j
	l.mu.Unlock()
	return j.Append(r)
}

// Close closes the journal if it was created.
func (l *LazyJournal) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.j == nil {
		return nil
	}
	return l.j.Close()
}

type journalHeader struct {
	Journal   string `json:"journal"`
	Version   int    `json:"version"`
	Source    string `json:"source"`
	Target    string `json:"target,omitempty"`
	Started   string `json:"started"`
	Converted int    `json:"converted_from,omitempty"`
	// Unverified says why records may be missing from before this header
	// (the journal was rebuilt after damage, or converted); it holds until
	// a StateChecked record.
	Unverified string `json:"unverified,omitempty"`
	LastSeq    string `json:"last_seq"`
	LastHash   string `json:"last_hash,omitempty"` // version 3
}

// begin writes the header of an empty file and syncs it and its directory.
func (j *FileJournal) begin(source string, started time.Time, converted int, unverified string) error {
	h := journalHeader{Journal: journalKind, Version: journalVersion, Source: source, Target: j.target,
		Started: started.UTC().Format(time.RFC3339Nano), Converted: converted, Unverified: unverified, LastSeq: zeros, LastHash: zeroHash}
	line, err := json.Marshal(h)
	if err != nil {
		return err
	}
	j.seqAt = int64(bytes.LastIndex(line, []byte(seqTag))) + int64(len(seqTag))
	j.withHash = true
	j.sum = sha256.New()
	if err := j.f.Truncate(0); err != nil {
		return err
	}
	if _, err := j.f.WriteAt(append(line, '\n'), 0); err != nil {
		return err
	}
	j.end = int64(len(line) + 1)
	j.prev = lineHash(line)
	j.integ = Integrity{Started: started, Damage: unverified}
	if err := j.f.Sync(); err != nil {
		return err
	}
	return syncDir(filepath.Dir(j.path))
}

var (
	zeros    = string(bytes.Repeat([]byte("0"), seqDigits))
	zeroHash = string(bytes.Repeat([]byte("0"), hashDigits))
)

// The header's in-place fields, as they are marshalled (last_hash follows
// last_seq directly).
const (
	seqTag  = `"last_seq":"`
	hashTag = `","last_hash":"`
)

func lineHash(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:8])
}

// chained is a record line as written: the chain's fields, then the record.
type chained struct {
	Seq  int64  `json:"seq"`
	Prev string `json:"prev"`
	// Pin is a checked record's hash of every byte before it (version 3).
	Pin string `json:"pin,omitempty"`
	Record
}

// v1Entry is a version 1 line: what a record holds, with the time as text.
type v1Entry struct {
	Record
	At string `json:"at"`
}

// load reads an existing journal, checking its chain, and keeps the records
// for Replay.
func (j *FileJournal) load(data []byte, source string) error {
	if len(bytes.TrimSpace(data)) == 0 {
		j.integ.Damage = "the journal is empty (emptied, or cut before its header)"
		return j.restart(source, nil, time.Time{}, 0)
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	var h journalHeader
	if json.Unmarshal(first, &h) != nil || h.Journal != journalKind {
		if LooksLikeJournal(first) {
			return j.convert(data, source) // version 1: records without seq
		}
		if !holdsJournalLine(data) {
			// Rewriting it would destroy whatever it is (the input
			// itself, say, named by mistake).
			return fmt.Errorf("%s: %w: no line of it is a journal's header or record (nothing was changed)", j.path, ErrNotAJournal)
		}
		j.integ.Damage = "the journal's first line is not its header (lines deleted or the file replaced)"
		return j.restartKeeping(data, source)
	}
	if h.Version != journalVersion && h.Version != 2 {
		return fmt.Errorf("%s: journal format %d is not known to this version (it reads formats 1 to %d)", j.path, h.Version, journalVersion)
	}
	if source != "" && h.Source != "" && h.Source != source {
		return fmt.Errorf("%s: the journal belongs to the input %q, not %q: pass the journal of this input, or start a new one", j.path, h.Source, source)
	}
	j.target = h.Target
	started, _ := time.Parse(time.RFC3339Nano, h.Started)
	j.integ.Started = started
	j.integ.Damage = h.Unverified
	damaged := fmt.Errorf("%s: the journal's header is damaged (last_seq %q, last_hash %q): start a new journal", j.path, h.LastSeq, h.LastHash)
	lastSeq, err := strconv.ParseInt(h.LastSeq, 10, 64)
	if err != nil || len(h.LastSeq) != seqDigits {
		return damaged
	}
	seqAt := bytes.LastIndex(first, []byte(seqTag+h.LastSeq))
	if seqAt < 0 {
		return damaged
	}
	seqAt += len(seqTag)
	blank := slices.Clone(first)
	copy(blank[seqAt:], zeros)
	j.withHash = h.Version >= 3
	if j.withHash {
		if _, err := hex.DecodeString(h.LastHash); err != nil || len(h.LastHash) != hashDigits ||
			!bytes.HasPrefix(first[seqAt+seqDigits:], []byte(hashTag+h.LastHash)) {
			return damaged
		}
		copy(blank[seqAt+seqDigits+len(hashTag):], zeroHash)
	}
	j.seqAt = int64(seqAt)
	j.prev = lineHash(blank)
	j.end = int64(len(first) + 1)
	j.replay = data[min(j.end, int64(len(data))):]
	j.sum = sha256.New()
	if h.Unverified != "" {
		j.unvBefore = int64(len(j.replay)) // until a check settles it
	}
	if damage := j.check(lastSeq, h.LastHash); damage != "" {
		j.integ.Damage = damage
	}
	// Continue after the highest number the journal ever reached: lines cut
	// off its end stay a visible gap until an import settles the damage.
	j.seq = max(j.seq, lastSeq)
	j.end = int64(len(data))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		// A torn last line: the next record starts on a line of its own.
		if _, err := j.f.WriteAt([]byte("\n"), j.end); err != nil {
			return err
		}
		j.sum.Write([]byte("\n"))
		j.end++
	}
	return nil
}

// holdsJournalLine reports whether any line of data is a journal's: a
// header or a record of any version. A file without one is no journal, however
// damaged.
func holdsJournalLine(data []byte) bool {
	found := false
	forEachLine(data, func(line []byte) {
		found = found || isJournalLine(line)
	})
	return found
}

// headerStart is how every header line begins.
var headerStart = []byte(`{"journal":"` + journalKind + `"`)

// isJournalLine reports whether line (trimmed, not blank) is a journal
// header (or begins as one), or a record: only a record's fields, a known
// state, and a seq (versions 2 and 3) or a line (version 1).
func isJournalLine(line []byte) bool {
	if bytes.HasPrefix(line, headerStart) {
		return true // cut short by a crash as it was written
	}
	var h journalHeader
	if json.Unmarshal(line, &h) == nil && h.Journal == journalKind {
		return true
	}
	var c struct {
		Seq  int64  `json:"seq"`
		Prev string `json:"prev"`
		Pin  string `json:"pin"`
		v1Entry
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields() // a create body is no journal record
	if dec.Decode(&c) != nil || c.Seq < 1 && c.Line < 1 {
		return false
	}
	switch c.State {
	case StateSending, StateCreated, StateFailed, StateChecked:
		return true
	}
	return false
}

// eachLine calls fn with each line of data (without its newline) and its
// offset; the last line may lack its newline.
func eachLine(data []byte, fn func(line []byte, off int64)) {
	off := 0
	for off < len(data) {
		n := bytes.IndexByte(data[off:], '\n')
		if n < 0 {
			n = len(data) - off
		}
		fn(data[off:off+n], int64(off))
		off += n + 1
	}
}

// pinOf is what a checked record pins: the first 16 bytes of the SHA-256 of
// every byte after the header so far.
func pinOf(sum hash.Hash) string {
	return hex.EncodeToString(sum.Sum(nil)[:16])
}

// check walks the records after the header, setting seq and prev to the
// last whole record, sum to the hash of every byte after the header, and
// the records not vouched for (unv, unvBefore); it returns the damage it
// finds ("" for none) that no check settled since. lastSeq and lastHash are
// the header's (lastHash "" in version 2).
func (j *FileJournal) check(lastSeq int64, lastHash string) string {
	var damage []string
	note := func(format string, args ...any) {
		if len(damage) < 3 {
			damage = append(damage, fmt.Sprintf(format, args...))
		}
	}
	j.unv = map[int64]bool{}
	torn := false
	lineNo := 1
	lastOff := int64(-1) // the last whole record
	headerEdited := false
	hashes := map[int64]string{} // seq -> line hash, for the last two records
	eachLine(j.replay, func(raw []byte, off int64) {
		lineNo++
		defer func() {
			j.sum.Write(raw)
			if off+int64(len(raw)) < int64(len(j.replay)) {
				j.sum.Write([]byte("\n"))
			}
		}()
		if len(bytes.TrimSpace(raw)) == 0 {
			note("line %d is blank", lineNo)
			return
		}
		var c chained
		if err := json.Unmarshal(raw, &c); err != nil || c.Seq < 1 {
			if torn {
				note("line %d is cut short (not by a crash: another followed it)", lineNo-1)
			}
			torn = true
			return
		}
		linked := c.Seq == j.seq+1 && c.Prev == j.prev
		if lastOff < 0 && c.Prev != j.prev {
			headerEdited = true // the first record does not follow the header
		}
		switch {
		case torn && !linked:
			note("line %d is cut short (not by a crash: the records around it do not join)", lineNo-1)
		case torn:
			j.integ.Notes = append(j.integ.Notes, fmt.Sprintf("line %d was cut short by a crash and is ignored", lineNo-1))
		case c.Seq == j.seq+2:
			note("record %d is missing (before line %d)", j.seq+1, lineNo)
		case c.Seq > j.seq+2:
			note("records %d to %d are missing (before line %d)", j.seq+1, c.Seq-1, lineNo)
		case c.Seq <= j.seq:
			note("line %d is record %d again, after record %d (copied or moved)", lineNo, c.Seq, j.seq)
		case c.Prev != j.prev:
			note("line %d does not follow the line before it (edited or moved)", lineNo)
		}
		torn = false
		if !linked && lastOff >= 0 {
			j.unv[lastOff] = true // nothing vouches for the record before
		}
		if c.State == StateChecked {
			switch {
			case c.Pin == pinOf(j.sum):
				// Every byte before it is as it was when the rows were
				// checked against the API: its damage is settled.
				damage = damage[:0]
				j.integ.Damage = ""
				j.unvBefore = 0
				clear(j.unv)
			case c.Pin != "":
				note("lines before line %d were changed after the check recorded there", lineNo)
				j.unvBefore = off
			case j.withHash:
				note("line %d is a check without its pin (edited)", lineNo)
				j.unvBefore = off
			default: // version 2: a check settles what came before
				damage = damage[:0]
				j.integ.Damage = ""
				j.unvBefore = 0
				clear(j.unv)
			}
		}
		j.seq, j.prev = max(j.seq, c.Seq), lineHash(raw)
		hashes[c.Seq] = j.prev
		delete(hashes, c.Seq-2)
		lastOff = off
	})
	if torn {
		j.integ.Notes = append(j.integ.Notes, "its last line was cut short by a crash and is ignored")
	}
	switch {
	case j.seq < lastSeq:
		note("it ends at record %d but had %d: lines were cut from its end", j.seq, lastSeq)
	case lastOff < 0:
	case lastHash == "":
		j.unv[lastOff] = true // version 2: nothing vouches for the last record
	case j.seq == lastSeq && lastHash != j.prev:
		note("its last record (record %d) was edited, or lines after it deleted", j.seq)
		j.unv[lastOff] = true
	case j.seq == lastSeq+1 && (lastSeq == 0 && lastHash == zeroHash || hashes[lastSeq] == lastHash):
		// A crash between writing the last record and the header: the
		// header does not cover it yet, so nothing vouches for it.
		j.unv[lastOff] = true
	case j.seq != lastSeq:
		note("its header (last_seq %d) does not match its last record (record %d)", lastSeq, j.seq)
		j.unv[lastOff] = true
	}
	if headerEdited {
		// What the header says (its target, its source) is not vouched
		// for, so neither is any record: every row is checked against the
		// API, whatever check a record claims.
		j.unvBefore, j.target = int64(len(j.replay)), ""
	}
	if len(damage) == 0 {
		return ""
	}
	return joinDamage(damage)
}

func joinDamage(d []string) string {
	s := d[0]
	for _, x := range d[1:] {
		s += "; " + x
	}
	return s
}

// restartKeeping handles a journal whose header is gone: the records that
// still parse are kept for Replay, and a new header is written in front of
// them.
func (j *FileJournal) restartKeeping(data []byte, source string) error {
	return j.restart(source, data, time.Time{}, 0)
}

// restart rewrites the journal with a new header followed by the records of
// old that parse, renumbered, so that the file is whole again; the damage
// stays reported (integ.Damage) until an import settles it.
func (j *FileJournal) restart(source string, old []byte, started time.Time, converted int) error {
	var recs []Record
	forEachLine(old, func(raw []byte) {
		var e v1Entry
		if json.Unmarshal(raw, &e) == nil && e.Line >= 0 && e.State != "" && e.State != StateChecked {
			r := e.Record
			r.At, _ = time.Parse(time.RFC3339Nano, e.At)
			recs = append(recs, r)
		}
	})
	notes := j.integ.Notes
	if err := j.begin(source, started, converted, j.integ.Damage); err != nil {
		return err
	}
	j.integ.Notes = notes
	var buf bytes.Buffer
	for _, r := range recs {
		line, err := j.encode(r)
		if err != nil {
			return err
		}
		buf.Write(line)
	}
	if err := j.writeRecords(buf.Bytes()); err != nil {
		return err
	}
	j.replay = buf.Bytes()
	j.unvBefore = int64(buf.Len()) // nothing vouches for them until a check
	return nil
}

// convert turns a version 1 journal into a version 2 one; the old file is
// kept beside it as path+".v1".
func (j *FileJournal) convert(data []byte, source string) error {
	j.integ.Damage = "the journal was written by an older version (format 1), which could not tell whether lines were lost"
	if err := writeSynced(j.path+".v1", data); err != nil {
		return fmt.Errorf("keeping the version 1 journal: %w", err)
	}
	var started time.Time
	forEachLine(data, func(raw []byte) {
		var e v1Entry
		if started.IsZero() && json.Unmarshal(raw, &e) == nil {
			started, _ = time.Parse(time.RFC3339Nano, e.At)
		}
	})
	if !started.IsZero() {
		started = started.Add(-time.Hour) // version 1 did not record when it began
	}
	return j.restart(source, data, started, 1)
}

func forEachLine(data []byte, fn func([]byte)) {
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		if l := bytes.TrimSpace(line); len(l) > 0 {
			fn(l)
		}
		data = rest
	}
}

// encode chains r after the last record and returns its line.
func (j *FileJournal) encode(r Record) ([]byte, error) {
	if r.At.IsZero() {
		r.At = time.Now()
	}
	r.At = r.At.UTC()
	c := chained{Seq: j.seq + 1, Prev: j.prev, Record: r}
	if r.State == StateChecked {
		c.Pin = pinOf(j.sum)
	}
	line, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	j.seq++
	j.prev = lineHash(line)
	return append(line, '\n'), nil
}

// writeRecords writes lines at the end, syncs them, then records the new
// last seq in the header.
func (j *FileJournal) writeRecords(lines []byte) error {
	if len(lines) > 0 {
		if _, err := j.f.WriteAt(lines, j.end); err != nil {
			return err
		}
		j.end += int64(len(lines))
		j.sum.Write(lines)
	}
	if err := j.f.Sync(); err != nil {
		return err
	}
	// Not synced by itself: after a crash it may lag one record behind (the
	// next record's sync writes it), never run ahead.
	field := fmt.Appendf(nil, "%0*d", seqDigits, j.seq)
	if j.withHash {
		last := zeroHash
		if j.seq > 0 {
			last = j.prev
		}
		field = fmt.Appendf(field, "%s%s", hashTag, last)
	}
	_, err := j.f.WriteAt(field, j.seqAt)
	return err
}

// Replay calls fn for each record read when the journal was opened. It can
// be called once.
func (j *FileJournal) Replay(fn func(Record)) (Integrity, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.replayed {
		return j.integ, errors.New("the journal was replayed already")
	}
	j.replayed = true
	j.integ.Vouched = true
	eachLine(j.replay, func(raw []byte, off int64) {
		var c chained
		if json.Unmarshal(raw, &c) == nil && c.State != "" {
			c.Record.Unverified = off < j.unvBefore || j.unv[off]
			fn(c.Record)
		}
	})
	j.replay, j.unv = nil, nil
	return j.integ, nil
}

// Append writes r, syncs it and then updates the header. After a write
// fails every later Append fails too.
func (j *FileJournal) Append(r Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	line, err := j.encode(r)
	if err != nil {
		return err
	}
	if err := j.writeRecords(line); err != nil {
		j.err = fmt.Errorf("writing the journal %s: %w", j.path, err)
		return j.err
	}
	return nil
}

// Close closes the file, releasing its lock.
func (j *FileJournal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.f.Close()
}

// syncDir syncs a directory, so that a file just created in it survives a
// crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("syncing the directory %s: %w", dir, err)
	}
	return nil
}

// LooksLikeJournal reports whether line, the first line of a file, is the
// start of a journal: a header, or a record of a version 1 journal.
func LooksLikeJournal(line []byte) bool {
	line = bytes.TrimSpace(line)
	var h journalHeader
	if json.Unmarshal(line, &h) == nil && h.Journal == journalKind {
		return true
	}
	var e v1Entry
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields() // a create body is no journal record
	if dec.Decode(&e) != nil || e.Line < 1 {
		return false
	}
	switch e.State {
	case StateSending, StateCreated, StateFailed:
		return true
	}
	return false
}

// IsJournalFile reports whether the file at path holds a journal: its first
// line that is not blank is one LooksLikeJournal accepts. A file that cannot
// be read is not one, nor anything but a regular file (a FIFO or a terminal
// is not opened: that could block, or take input meant for another reader).
func IsJournalFile(path string) bool {
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			return LooksLikeJournal(line)
		}
	}
	return false
}

// writeSynced writes a file and syncs it and its directory: the copy must be
// on disk before the journal is rewritten.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}
