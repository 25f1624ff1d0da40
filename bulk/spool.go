package bulk

import (
	"io"
	"os"
)

// Spooled is the content of a reader kept in a temporary file, so that its
// rows can be read more than once: Run reads a [Source] twice (to check
// every row, then to send them), which a pipe or stdin cannot give. Get one
// from Spool; Close removes the file.
type Spooled struct {
	path   string
	format string
}

// Spool copies r to its end into a new temporary file (os.CreateTemp's
// directory), from which Rows reads the rows in format, as File does. If
// copying fails (reading r, or writing the copy), the error is a
// *[SourceError] holding io.Copy's error, and no file is left; an error
// creating or closing the file is returned as it is.
func Spool(r io.Reader, format string) (*Spooled, error) {
	f, err := os.CreateTemp("", "opportunities-import-*")
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, &SourceError{Err: err}
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return nil, err
	}
	return &Spooled{path: f.Name(), format: format}, nil
}

// Rows returns the rows of the copy, read anew each time the sequence is
// ranged over, as [File] reads them.
func (s *Spooled) Rows() Source { return File(s.path, s.format) }

// Close removes the temporary file.
func (s *Spooled) Close() error { return os.Remove(s.path) }
