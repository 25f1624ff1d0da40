// Package iostreams is cmd/opportunities' standard streams, as gh's
// pkg/iostreams is gh's: whether stdout and stderr are terminals, stderr's
// width, and the API key redacted from everything written through them (a
// server can echo the key in any field or message).
package iostreams

import (
	"io"
	"os"

	"golang.org/x/term"

	"github.com/mogulkit/opportunities/internal/safetext"
)

// IO is the streams of one command. Write through Stdout and Stderr, not
// Out and Err, once Key is set.
type IO struct {
	In             io.Reader
	Out, Err       io.Writer // the streams as they are
	OutTTY, ErrTTY bool
	Width          func() int // stderr's width in columns, 80 when unknown (see System)

	// Key is the API key to redact, set once it is known.
	Key string
	// KeyUnseen says no server saw Key (an embedded fake): data on stdout
	// is then printed as it is.
	KeyUnseen bool

	red    *safetext.Redactor
	redFor string // the key red was made for
}

// System is the process's streams.
func System() *IO {
	return &IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())), ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		Width: func() int {
			if w, _, err := term.GetSize(int(os.Stderr.Fd())); err == nil && w > 0 {
				return w
			}
			return 80
		}}
}

// MinDataKey is the shortest key redacted from data on stdout: a shorter one
// would match ordinary text a server returned ("USD", a cursor) and corrupt
// it. Messages on stderr are redacted whatever the key's length.
const MinDataKey = 8

// redactor redacts Key from messages.
func (s *IO) redactor() *safetext.Redactor {
	if s.red == nil || s.redFor != s.Key {
		s.red, s.redFor = safetext.NewRedactor(s.Key), s.Key
	}
	return s.red
}

// dataRedactor redacts Key from data, if a server saw it and it is at
// least MinDataKey long; else nil.
func (s *IO) dataRedactor() *safetext.Redactor {
	if s.KeyUnseen || len(s.Key) < MinDataKey {
		return nil
	}
	return s.redactor()
}

// Stdout is Out with the key redacted from data. What is written must escape
// its own control characters (JSON, escaped table cells: see RedactData).
func (s *IO) Stdout() io.Writer {
	if r := s.dataRedactor(); r.Active() {
		return safetext.NewWriter(s.Out, r, "")
	}
	return s.Out
}

// Stderr is Err with the key redacted in every form, and control characters
// but line breaks and tabs escaped. Each write must hold whole messages.
func (s *IO) Stderr() io.Writer {
	return safetext.NewWriter(s.Err, s.redactor(), "\n\t\r")
}

// Redact is a message as Stderr writes it, with every control character
// escaped.
func (s *IO) Redact(msg string) string {
	return safetext.Escape(s.redactor().String(msg), 0)
}

// RedactData is a value as Stdout prints data: redacted, control characters
// escaped.
func (s *IO) RedactData(v string) string {
	return safetext.Escape(s.dataRedactor().String(v), 0)
}
