package main

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
	"slices"
	"strings"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/wrapper"
)

// row is one opportunity of an import file.
type row struct {
	line int                      // 1-based line number in the file (a CSV record's first line)
	in   wrapper.OpportunityInput // the create input read
	// read holds the problems found while reading (a Field of "" is about the
	// whole row, e.g. malformed JSON).
	read []wrapper.FieldError
	// hash fingerprints the row's content, so that a resumed import notices a
	// row that changed since it was sent.
	hash string
}

// check validates the row as Client.Create would, without sending it, and
// returns every problem (reading included) in field order.
func (r *row) check() []wrapper.FieldError {
	if len(r.read) > 0 && r.read[0].Field == "" {
		return r.read // not even an object
	}
	err := combine(r.read, r.in.Validate())
	var ve *wrapper.ValidationError
	if errors.As(err, &ve) {
		return ve.Problems
	}
	if err != nil {
		return []wrapper.FieldError{{Problem: err.Error()}}
	}
	return nil
}

func fingerprint(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// readRows reads an import file: JSON Lines of create bodies, or CSV.
// An error is about the file as a whole (a usage error); problems with single
// rows are kept in the rows.
func readRows(r io.Reader, format string) ([]row, error) {
	if format == "csv" {
		return readCSV(r)
	}
	return readJSONL(r)
}

// readJSONL reads one create body per line; blank lines are skipped but
// counted.
func readJSONL(r io.Reader) ([]row, error) {
	br := bufio.NewReader(r)
	var rows []row
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
				rw := row{line: n, hash: fingerprint(trimmed)}
				in, read, perr := wrapper.DecodeOpportunityInput(trimmed)
				if perr != nil {
					rw.read = []wrapper.FieldError{{Problem: perr.Error()}}
				} else {
					rw.in, rw.read = in, read
				}
				rows = append(rows, rw)
			}
		}
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading line %d: %w", n, err)
		}
	}
}

// csvColumn is what one CSV column holds: an API field, or a custom
// attribute (asString: take the value as a string, as written).
type csvColumn struct {
	field     string
	customKey string
	asString  bool
}

// readCSV reads a CSV file whose header names API fields and custom.KEY
// columns (custom.KEY: for string values).
func readCSV(r io.Reader) ([]row, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the CSV header: %w", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // a spreadsheet's byte order mark
	}
	cols := make([]csvColumn, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		var c csvColumn
		switch {
		case strings.HasPrefix(h, "custom."):
			c.customKey, c.asString = customKey(strings.TrimPrefix(h, "custom."))
			if c.customKey == "" {
				return nil, fmt.Errorf("CSV header: column %d (%q) has no custom attribute name", i+1, h)
			}
			c.field = "custom." + c.customKey
		case h != "custom" && slices.ContainsFunc(createProperties, func(p generated.Property) bool { return p.Name == h }):
			c.field = h
		default:
			return nil, fmt.Errorf("CSV header: unknown column %q (want API field names such as customer_uuid, or custom.KEY)", h)
		}
		if seen[c.field] {
			return nil, fmt.Errorf("CSV header: column %q appears twice", c.field)
		}
		seen[c.field] = true
		cols[i] = c
	}
	for _, p := range createProperties {
		if p.Required && !seen[p.Name] {
			return nil, fmt.Errorf("CSV header: missing the required column %q", p.Name)
		}
	}

	var rows []row
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		rw := row{line: line, hash: csvFingerprint(header, rec)}
		if len(rec) != len(cols) {
			rw.read = []wrapper.FieldError{{Problem: fmt.Sprintf("has %d fields, the header has %d", len(rec), len(cols))}}
		} else {
			rw.in, rw.read = csvInput(cols, rec)
		}
		rows = append(rows, rw)
	}
}

func csvFingerprint(header, rec []string) string {
	b, _ := json.Marshal([][]string{header, rec})
	return fingerprint(b)
}

// csvInput reads one CSV record; each cell is typed by its field's schema.
// An empty cell is a field not given.
func csvInput(cols []csvColumn, rec []string) (wrapper.OpportunityInput, []wrapper.FieldError) {
	var f fields
	var p problems
	for i, c := range cols {
		v := rec[i]
		if v == "" {
			continue
		}
		if c.customKey == "" {
			f.set(c.field, v)
			continue
		}
		var val any = v
		if !c.asString {
			var err error
			if val, err = typedValue(v); err != nil {
				p.add(c.field, "%v", err)
				continue
			}
		}
		if f.custom == nil {
			f.custom = map[string]any{}
		}
		f.custom[c.customKey] = val
	}
	in, read, err := wrapper.DecodeOpportunityInput(f.body(createProperties))
	if err != nil { // cannot happen: the body is built as an object
		return in, append(p, wrapper.FieldError{Problem: err.Error()})
	}
	return in, append(p, read...)
}
