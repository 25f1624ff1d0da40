package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// The journal of an import is a JSON Lines file, one entry per event, each
// written and fsync'd as it happens:
//
//	{"line":7,"state":"sending","at":"2024-03-21T06:46:23.137912Z","row_sha256":"9f2c…"}
//	{"line":7,"state":"created","at":"…","uuid":"bb544336-e74e-11ee-800c-effc264f19ed"}
//	{"line":8,"state":"failed","at":"…","error":"chartmogul: POST …: 422 …"}
//	{"line":9,"state":"failed","at":"…","error":"…: 502 Bad Gateway","outcome_unknown":true}
//	{"line":9,"state":"created","at":"…","uuid":"…","reconciled":true}
//	{"line":4,"state":"failed","at":"…","invalid":true,"problems":["win_likelihood: must be between 0 and 100, got 101"]}
//
// "sending" is written as the request leaves (after the wait for the rate
// limit and a concurrency slot, before it is sent); "created" or "failed"
// after it. A row skipped by --skip-invalid is "failed" with "invalid" and
// its problems; it was never sent.
// A "sending" with no outcome after it (the process died mid-request) and a
// failure with outcome_unknown (a 5xx, a dropped connection, a timeout: the
// create may have been applied) are reconciled before anything is resent.
// "reconciled" marks a row found already created by such a check.
const (
	stateSending = "sending"
	stateCreated = "created"
	stateFailed  = "failed"
)

// journalEntry is one line of the journal.
type journalEntry struct {
	Line  int    `json:"line"`
	State string `json:"state"`
	At    string `json:"at,omitempty"`
	// Hash fingerprints the row's content (on "sending" and reconciled
	// "created" entries).
	Hash  string `json:"row_sha256,omitempty"`
	UUID  string `json:"uuid,omitempty"`
	Error string `json:"error,omitempty"`
	// OutcomeUnknown marks a failure after which the opportunity may exist.
	OutcomeUnknown bool `json:"outcome_unknown,omitempty"`
	Reconciled     bool `json:"reconciled,omitempty"`
	// Invalid marks a row skipped by --skip-invalid, not sent; Problems
	// says why ("field: problem").
	Invalid  bool     `json:"invalid,omitempty"`
	Problems []string `json:"problems,omitempty"`
}

// rowState is what the journal says about one row.
type rowState struct {
	created bool
	uuid    string
	// unresolved: an attempt may have created the row but no outcome says
	// so; since is when the earliest such attempt started.
	unresolved bool
	since      time.Time
	// hash is the content fingerprint of the last attempt.
	hash string
	// lastError is the last failure, if the row is not created.
	lastError string
}

// parseJournal reads a journal into the state of each row. A line cut short
// by a crash (it does not end with "}") is ignored and counted in torn: its
// write had not returned, so its request was not sent, or its row has a
// "sending" entry and is checked before anything is resent. Any other bad
// line is an error.
func parseJournal(data []byte) (states map[int]*rowState, torn int, err error) {
	states = map[int]*rowState{}
	for i, raw := range bytes.Split(data, []byte("\n")) {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		var e journalEntry
		if err := json.Unmarshal(raw, &e); err != nil || e.Line < 1 {
			if !bytes.HasSuffix(raw, []byte("}")) {
				torn++
				continue
			}
			return nil, 0, fmt.Errorf("journal line %d does not parse: %q", i+1, clip(raw))
		}
		st := states[e.Line]
		if st == nil {
			st = &rowState{}
			states[e.Line] = st
		}
		at, _ := time.Parse(time.RFC3339Nano, e.At)
		switch e.State {
		case stateSending:
			if st.created {
				continue
			}
			if !st.unresolved || st.since.IsZero() {
				st.since = at
			}
			st.unresolved = true
			st.hash = e.Hash
		case stateCreated:
			st.created, st.uuid, st.unresolved = true, e.UUID, false
			if e.Hash != "" {
				st.hash = e.Hash
			}
		case stateFailed:
			if st.created {
				continue
			}
			if e.Invalid {
				// Not sent: it says nothing of earlier attempts.
				st.lastError = strings.Join(e.Problems, "; ")
				continue
			}
			st.lastError = e.Error
			// A definite failure settles every earlier attempt: the check that
			// preceded this attempt found none of them applied.
			st.unresolved = e.OutcomeUnknown
			if !e.OutcomeUnknown {
				st.since = time.Time{}
			}
		default:
			return nil, 0, fmt.Errorf("journal line %d: unknown state %q", i+1, e.State)
		}
	}
	return states, torn, nil
}

// errJournalLocked is returned when another import holds the journal.
var errJournalLocked = errors.New("another import is using this journal")

// journal appends entries to the journal file, one fsync'd line at a time.
// It is safe for concurrent use. After a write fails every later write fails
// too, so the caller stops sending.
type journal struct {
	mu  sync.Mutex
	f   *os.File
	err error
}

// openJournal opens (creating it unless resume) and locks the journal.
// It returns the existing content. Without resume an existing non-empty
// journal is refused, so that an import is never run twice by mistake.
func openJournal(path string, resume bool) (*journal, []byte, error) {
	flags := os.O_RDWR | os.O_APPEND
	if !resume {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		if resume && errors.Is(err, os.ErrNotExist) {
			return nil, nil, usagef("no journal %s to resume (run without --resume to start)", path)
		}
		return nil, nil, usagef("journal: %v", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errJournalLocked) {
			return nil, nil, usagef("journal %s: %v", path, err)
		}
		return nil, nil, fmt.Errorf("journal %s: locking: %w", path, err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("journal %s: %w", path, err)
	}
	if !resume && len(bytes.TrimSpace(data)) > 0 {
		f.Close()
		return nil, nil, usagef("journal %s already exists: pass --resume to continue that import, or --journal to start a new one", path)
	}
	j := &journal{f: f}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		// A torn last line: start the next entry on a line of its own.
		if _, err := f.Write([]byte("\n")); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("journal %s: %w", path, err)
		}
	}
	return j, data, nil
}

// write appends e, stamped with the time unless it has one, and syncs it to
// disk before returning.
func (j *journal) write(e journalEntry) error {
	if e.At == "" {
		e.At = time.Now().UTC().Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	if _, err := j.f.Write(b); err != nil {
		j.err = fmt.Errorf("writing the journal: %w", err)
		return j.err
	}
	if err := j.f.Sync(); err != nil {
		j.err = fmt.Errorf("syncing the journal: %w", err)
		return j.err
	}
	return nil
}

// failure returns the error of the write that failed, if one did.
func (j *journal) failure() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// close closes the journal file (releasing its lock).
func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.f.Close()
}
