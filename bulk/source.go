package bulk

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/wrapper"
)

// The formats File reads.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
)

// FormatOf returns the format File reads path in by default: CSV for a .csv
// file, else JSON Lines.
func FormatOf(path string) string {
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return FormatCSV
	}
	return FormatJSONL
}

// File returns the rows of a JSON Lines or CSV file, read anew each time the
// sequence is ranged over (Run reads it twice: to check every row, then to
// send them), one row in memory at a time. A row's Line is its line number
// (a CSV record's first line).
//
// JSON Lines: one create body per line, exactly as the API takes it
// (custom as a list of {"key", "value"} entries, with an optional "type");
// blank lines are skipped but counted. CSV: a header of API field names and
// custom.KEY columns (custom.KEY: keeps the values as strings; otherwise a
// cell is typed as JSON reads it: true/false, a number, else a string); an
// empty cell is a field not given. Either may start with a UTF-8 byte order
// mark. A line or cell that is not valid UTF-8 makes its row invalid, naming
// the byte.
//
// A problem with the file as a whole (it cannot be opened, a CSV header
// names an unknown column) is yielded as an error, which stops the import
// before anything is sent.
func File(path, format string) Source {
	return func(yield func(Row, error) bool) {
		f, err := os.Open(path)
		if err != nil {
			yield(Row{}, err)
			return
		}
		defer f.Close()
		Reader(f, format)(yield)
	}
}

// Reader returns the rows read from r, as File does; it can be ranged over
// only once.
func Reader(r io.Reader, format string) Source {
	return func(yield func(Row, error) bool) {
		br := bufio.NewReaderSize(r, 64<<10)
		if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\ufeff")) {
			_, _ = br.Discard(3) // a spreadsheet's byte order mark
		}
		switch format {
		case FormatCSV:
			readCSV(br, yield)
		case FormatJSONL, "":
			readJSONL(br, yield)
		default:
			yield(Row{}, fmt.Errorf("unknown format %q (csv or jsonl)", format))
		}
	}
}

// fingerprint is the first 8 bytes of b's SHA-256, in hex.
func fingerprint(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func readJSONL(br *bufio.Reader, yield func(Row, error) bool) {
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A long line: gather it whole.
			long := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			rw := Row{Line: n, Fingerprint: fingerprint(trimmed)}
			if i := invalidUTF8(trimmed); i >= 0 {
				rw.Problems = []wrapper.FieldError{{Problem: fmt.Sprintf("is not valid UTF-8 (byte %d of the line); save the file as UTF-8", i+1)}}
			} else if in, read, perr := wrapper.DecodeOpportunityInput(trimmed); perr != nil {
				rw.Problems = []wrapper.FieldError{{Problem: perr.Error()}}
			} else {
				rw.Input, rw.Problems = in, read
			}
			if !yield(rw, nil) {
				return
			}
		}
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			yield(Row{}, fmt.Errorf("reading line %d: %w", n, err))
			return
		}
	}
}

// invalidUTF8 returns the offset of the first byte of b that is not valid
// UTF-8, or -1.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// CSVFields are the API fields a CSV header may name, in the schema's
// order: every create field but custom, whose attributes are columns of
// their own (custom.KEY).
func CSVFields() []string {
	var names []string
	for _, p := range generated.CreateOpportunityProperties() {
		if p.Name != "custom" {
			names = append(names, p.Name)
		}
	}
	return names
}

// csvColumn is what one CSV column holds: an API field, or a custom
// attribute (asString: take the value as a string, as written).
type csvColumn struct {
	field     string
	customKey string
	asString  bool
}

func readCSV(r io.Reader, yield func(Row, error) bool) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return
	}
	if err != nil {
		yield(Row{}, fmt.Errorf("reading the CSV header: %w", err))
		return
	}
	header = slices.Clone(header)
	props, fields := generated.CreateOpportunityProperties(), CSVFields()
	cols := make([]csvColumn, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		if !utf8.ValidString(h) {
			yield(Row{}, fmt.Errorf("CSV header: column %d is not valid UTF-8; save the file as UTF-8", i+1))
			return
		}
		h = strings.TrimSpace(h)
		var c csvColumn
		switch {
		case strings.HasPrefix(h, "custom."):
			c.customKey, c.asString = wrapper.CustomKey(strings.TrimPrefix(h, "custom."))
			if c.customKey == "" {
				yield(Row{}, fmt.Errorf("CSV header: column %d (%q) has no custom attribute name", i+1, h))
				return
			}
			c.field = "custom." + c.customKey
		case slices.Contains(fields, h):
			c.field = h
		default:
			yield(Row{}, fmt.Errorf("CSV header: unknown column %q (want API field names such as customer_uuid, or custom.KEY)", h))
			return
		}
		if seen[c.field] {
			yield(Row{}, fmt.Errorf("CSV header: column %q appears twice", c.field))
			return
		}
		seen[c.field] = true
		cols[i] = c
	}
	for _, p := range props {
		if p.Required && !seen[p.Name] {
			yield(Row{}, fmt.Errorf("CSV header: missing the required column %q", p.Name))
			return
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			yield(Row{}, fmt.Errorf("CSV: %w", err))
			return
		}
		line, _ := cr.FieldPos(0)
		fp, _ := json.Marshal([][]string{header, rec})
		rw := Row{Line: line, Fingerprint: fingerprint(fp)}
		switch {
		case len(rec) != len(cols):
			rw.Problems = []wrapper.FieldError{{Problem: fmt.Sprintf("has %d fields, the header has %d", len(rec), len(cols))}}
		default:
			for i, v := range rec {
				if !utf8.ValidString(v) {
					rw.Problems = append(rw.Problems, wrapper.FieldError{Field: cols[i].field,
						Problem: fmt.Sprintf("is not valid UTF-8 (byte %d of the cell); save the file as UTF-8", invalidUTF8([]byte(v))+1)})
				}
			}
			in, read := csvInput(cols, rec, props)
			rw.Input, rw.Problems = in, append(rw.Problems, read...)
		}
		if !yield(rw, nil) {
			return
		}
	}
}

// csvInput reads one CSV record; each cell is typed by its field's schema.
func csvInput(cols []csvColumn, rec []string, props []generated.Property) (wrapper.OpportunityInput, []wrapper.FieldError) {
	text := map[string]string{}
	var custom map[string]any
	var p []wrapper.FieldError
	for i, c := range cols {
		v := rec[i]
		if v == "" {
			continue
		}
		if c.customKey == "" {
			text[c.field] = v
			continue
		}
		var val any = v
		if !c.asString {
			var err error
			if val, err = wrapper.TypedCustomValue(v); err != nil {
				p = append(p, wrapper.FieldError{Field: c.field, Problem: err.Error()})
				continue
			}
		}
		if custom == nil {
			custom = map[string]any{}
		}
		custom[c.customKey] = val
	}
	in, read, err := wrapper.DecodeOpportunityInput(wrapper.BodyFromText(props, text, custom))
	if err != nil { // cannot happen: the body is built as an object
		return in, append(p, wrapper.FieldError{Problem: err.Error()})
	}
	return in, append(p, read...)
}
