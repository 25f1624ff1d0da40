// Package apikey finds the API key the command-line tool runs with: given
// with --api-key, else the first line of the file --api-key-file names (or
// of stdin), else the environment's. Its errors name those flags, as the
// tool prints them.
package apikey

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// MaxLine bounds the line read as a key: a longer first line is not a key.
const MaxLine = 4 << 10

// Sources are the places a key may come from, in the order they are tried.
type Sources struct {
	Flag  string    // --api-key: the key as it is
	File  string    // --api-key-file: a file whose first line is the key; "-" is Stdin
	Env   string    // the environment variable's value
	Stdin io.Reader // read, up to the first line break only, when File is "-"
	// Warn, if set, is told when File can be read by other users.
	Warn func(msg string)
}

// Resolve returns the key of the first source that is set: Flag, else File,
// else Env; "" when none is. Flag and File both set is an error, returned
// with Flag all the same, so that the caller can still redact it from what
// it prints.
func (s Sources) Resolve() (string, error) {
	switch {
	case s.Flag != "" && s.File != "":
		return s.Flag, errors.New("--api-key and --api-key-file cannot be combined")
	case s.Flag != "":
		return s.Flag, nil
	case s.File != "":
		return s.readFile()
	}
	return s.Env, nil
}

// readFile reads the first line of s.File, trimmed of white space. Stdin is
// read one byte at a time, so that what follows the line is left for the
// next reader (the tool's --file -).
func (s Sources) readFile() (string, error) {
	name, r := s.File, s.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", fmt.Errorf("--api-key-file: %w", err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			return "", fmt.Errorf("--api-key-file %s: is a directory", name)
		} else if err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o044 != 0 && s.Warn != nil {
			s.Warn(fmt.Sprintf("the key file %s can be read by other users (mode %04o); chmod 600 %s", name, fi.Mode().Perm(), name))
		}
		r = f
	}
	line, err := firstLine(r)
	switch {
	case err != nil:
		return "", fmt.Errorf("--api-key-file %s: %w", name, err)
	case len(line) > MaxLine:
		return "", fmt.Errorf("--api-key-file %s: the first line is longer than %d bytes: not a key", name, MaxLine)
	}
	key := strings.TrimSpace(strings.TrimPrefix(string(line), "\ufeff")) // the BOM some editors write first
	if key == "" {
		return "", fmt.Errorf("--api-key-file %s: the first line is empty", name)
	}
	return key, nil
}

// firstLine reads r one byte at a time up to the first line break (not
// returned), the end, or one byte past MaxLine.
func firstLine(r io.Reader) ([]byte, error) {
	var line []byte
	var b [1]byte
	for len(line) <= MaxLine {
		n, err := r.Read(b[:])
		if n == 1 && b[0] == '\n' {
			break
		}
		if n == 1 {
			line = append(line, b[0])
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return line, nil
}
