package bulk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"
)

// ErrSourceIsDir is returned by OpenSource, in a *[SourceError] whose text
// is "PATH is a directory", when the path names a directory.
var ErrSourceIsDir = errors.New("is a directory")

// OpenSource returns the rows of the file at path, read as [File] reads
// them, or with path "-" the rows of stdin, first copied to a temporary file
// ([Spool]) since [Run] reads its source twice. A path that is not a regular
// file (a FIFO, a pipe such as the shell's <(...) or /dev/fd/N, a device)
// is copied likewise: it can be read only once, and opening a FIFO again
// would wait for another writer. format "" is [FormatOf](path). done
// releases the copy (for a regular file it does nothing); call it once the
// import is over.
//
// A file is looked at at once, so that an import is told before it opens
// its journal or sends anything: one that cannot be found, or a directory
// ([ErrSourceIsDir]), is a *[SourceError]. A copy's errors are Spool's: a
// *SourceError when opening or reading the input fails, the temporary
// file's own error when the copy cannot be kept. If ctx is done by the time
// the copy is kept (the user pressed Ctrl-C while a pipe was being read, or
// just as it ended; or while a FIFO waited for its writer), the error is
// ctx's and no copy is left. A nil stdin is an error for "-".
func OpenSource(ctx context.Context, path, format string, stdin io.Reader) (rows Source, done func() error, err error) {
	if format == "" {
		format = FormatOf(path)
	}
	r := stdin
	if path != "-" {
		fi, err := os.Stat(path)
		switch {
		case err != nil:
			return nil, nil, &SourceError{Err: err}
		case fi.IsDir():
			return nil, nil, &SourceError{Err: fmt.Errorf("%s %w", path, ErrSourceIsDir)}
		case fi.Mode().IsRegular():
			return File(path, format), func() error { return nil }, nil
		}
		r = &pathReader{path: path, fifo: fi.Mode()&os.ModeNamedPipe != 0, opened: make(chan struct{})}
	}
	spooled, err := Spool(ctx, r, format)
	if stopped := ctx.Err(); stopped != nil { // the stop wins, even as the copy ends
		if err == nil {
			spooled.Close()
		}
		return nil, nil, stopped
	}
	if err != nil {
		return nil, nil, err
	}
	return spooled.Rows(), spooled.Close, nil
}

// errNilReader is Spool's error for a nil reader (OpenSource's for "-"
// with a nil stdin).
var errNilReader = errors.New("bulk: no input to read (the reader is nil)")

// pathReader reads the file at path, opened by the first Read: in the
// goroutine that copies it, as opening a FIFO waits until a writer comes.
type pathReader struct {
	path   string
	fifo   bool
	opened chan struct{} // closed once the open returned
	once   sync.Once
	f      *os.File
	err    error
}

func (r *pathReader) Read(p []byte) (int, error) {
	r.once.Do(func() {
		r.f, r.err = os.Open(r.path)
		close(r.opened)
	})
	if r.err != nil {
		return 0, r.err
	}
	return r.f.Read(p)
}

// close closes the file, if it was opened; it is called by the goroutine
// that read it, once the copy is over.
func (r *pathReader) close() {
	if r.f != nil {
		r.f.Close()
	}
}

// abandon is called when the copy is given up: a FIFO's open still waiting
// for a writer is released (by opening it for writing, which gives the
// reader an end of file), so that the goroutine waiting there ends.
func (r *pathReader) abandon() {
	if !r.fifo {
		return
	}
	go func() {
		// The reader may not be in its open yet: try until it returned,
		// for a while.
		for range 200 {
			select {
			case <-r.opened:
				return
			case <-time.After(10 * time.Millisecond):
			}
			wakeFIFO(r.path)
		}
	}()
}

// Spooled is the content of a reader kept in a temporary file, so that its
// rows can be read more than once: Run reads a [Source] twice (to check
// every row, then to send them), which a pipe or stdin cannot give. Get one
// from Spool; Close releases the file. Where the system allows it (not on
// Windows) the file has no name from the start, so that nothing is left
// behind even if the process is killed.
type Spooled struct {
	f      *os.File
	size   int64
	path   string // the file's name while it has one (Windows), else ""
	format string
}

// Spool copies r to its end into a new temporary file (os.CreateTemp's
// directory), from which Rows reads the rows in format, as File does.
//
// If reading r fails, the error is a *[SourceError] holding the reader's
// error; an error creating or writing the file is returned as it is. If ctx
// ends first (the user pressed Ctrl-C while a pipe was still being read),
// Spool returns ctx's error at once; a Read of r already under way is left
// to return on its own, and its data is dropped. In every failure no file
// is left. A nil r is an error.
func Spool(ctx context.Context, r io.Reader, format string) (*Spooled, error) {
	if r == nil {
		return nil, errNilReader
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp("", "opportunities-import-*")
	if err != nil {
		return nil, err
	}
	path := f.Name()
	if runtime.GOOS != "windows" && os.Remove(path) == nil { // open files keep their content
		path = ""
	}
	s := &Spooled{f: f, path: path, format: format}
	if s.size, err = spoolInto(ctx, f, r); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// spoolInto copies r into f and returns the number of bytes copied.
func spoolInto(ctx context.Context, f *os.File, r io.Reader) (int64, error) {
	w := &recordingWriter{w: f}
	type result struct {
		n   int64
		err error
	}
	copied := make(chan result, 1)
	pr, _ := r.(*pathReader)
	go func() {
		n, err := io.Copy(w, r)
		if pr != nil {
			pr.close()
		}
		copied <- result{n, err}
	}()
	var res result
	select {
	case <-ctx.Done():
		f.Close() // a write still under way then fails
		if pr != nil {
			pr.abandon()
		}
		return 0, ctx.Err()
	case res = <-copied:
	}
	switch {
	case ctx.Err() != nil: // ended as the copy did: the context wins
		return 0, ctx.Err()
	case res.err != nil && w.err != nil:
		return 0, res.err // the file's: a full disk, say
	case res.err != nil:
		return 0, &SourceError{Err: res.err}
	}
	return res.n, nil
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
func (s *Spooled) Rows() Source {
	return func(yield func(Row, error) bool) {
		Reader(io.NewSectionReader(s.f, 0, s.size), s.format)(yield)
	}
}

// Close releases the copy: the file is closed, and removed if it still has a
// name.
func (s *Spooled) Close() error {
	err := s.f.Close()
	if s.path != "" {
		if rmErr := os.Remove(s.path); err == nil {
			err = rmErr
		}
	}
	return err
}
