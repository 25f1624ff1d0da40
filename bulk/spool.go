package bulk

import (
	"context"
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
// directory), from which Rows reads the rows in format, as File does.
//
// If reading r fails, the error is a *[SourceError] holding the reader's
// error; an error creating, writing or closing the file is returned as it is.
// If ctx ends first (the user pressed Ctrl-C while a pipe was still being
// read), Spool returns ctx's error at once; a Read of r already under way is
// left to return on its own, and its data is dropped. In every failure no
// file is left.
func Spool(ctx context.Context, r io.Reader, format string) (*Spooled, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp("", "opportunities-import-*")
	if err != nil {
		return nil, err
	}
	if err := spoolInto(ctx, f, r); err != nil {
		return nil, err
	}
	return &Spooled{path: f.Name(), format: format}, nil
}

// spoolInto copies r into f and closes f; on a failure it removes f too.
func spoolInto(ctx context.Context, f *os.File, r io.Reader) error {
	w := &recordingWriter{w: f}
	copied := make(chan error, 1)
	go func() {
		_, err := io.Copy(w, r)
		copied <- err
	}()
	var err error
	select {
	case <-ctx.Done():
		f.Close() // a write still under way then fails
		os.Remove(f.Name())
		return ctx.Err()
	case err = <-copied:
	}
	if ctx.Err() != nil { // ended as the copy did: the context wins
		f.Close()
		os.Remove(f.Name())
		return ctx.Err()
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		if w.err != nil {
			return err // the file's: a full disk, say
		}
		return &SourceError{Err: err}
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// recordingWriter notes the file's write errors, so that a failed copy tells
// the reader's fault from the disk's. It hides the file's ReadFrom, so io.Copy
// reads and writes in turn and each error comes from one side.
type recordingWriter struct {
	w   io.Writer
	err error
}

func (r *recordingWriter) Write(p []byte) (int, error) {
	n, err := r.w.Write(p)
	if err != nil && r.err == nil {
		r.err = err
	}
	return n, err
}

// Rows returns the rows of the copy, read anew each time the sequence is
// ranged over, as [File] reads them.
func (s *Spooled) Rows() Source { return File(s.path, s.format) }

// Close removes the temporary file.
func (s *Spooled) Close() error { return os.Remove(s.path) }
