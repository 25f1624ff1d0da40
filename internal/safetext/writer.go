package safetext

import "io"

// NewWriter returns a writer to w that replaces every form of red's key in
// what it writes and, unless keep is empty, escapes control characters other
// than those in keep (see [EscapeKeeping]); with keep empty nothing is
// escaped, for text that escapes its own (JSON, a table of escaped cells).
// A nil red redacts nothing.
//
// Each write must hold whole messages: a key split across two writes is
// found in neither. A write reports all of p written, or an error from w.
func NewWriter(w io.Writer, red *Redactor, keep string) io.Writer {
	return &writer{w: w, red: red, keep: keep}
}

type writer struct {
	w    io.Writer
	red  *Redactor
	keep string
}

func (r *writer) Write(p []byte) (int, error) {
	s := r.red.String(string(p))
	if r.keep != "" {
		s = EscapeKeeping(s, r.keep)
	}
	if _, err := io.WriteString(r.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}
