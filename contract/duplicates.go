package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/mogulkit/opportunities/internal/safetext"
)

// Repeated names are ambiguous on the wire: JSON decoders disagree on which
// of two equal keys counts (Go's takes the last, others the first or refuse
// the body), and a server reading one query value may take either. The spec
// cannot say so, so these checks add it: a JSON object with a key twice, and
// a query parameter that is not an array given more than once, are
// violations with the rule "duplicate".

// maxDepth bounds how deep duplicateKeys follows nested objects and arrays,
// as encoding/json bounds its own nesting: deeper bodies are not scanned.
const maxDepth = 10000

// maxDuplicates and maxPath bound what duplicateKeys reports.
const (
	maxDuplicates = 20
	maxPath       = 200
)

// duplicateKeys returns the paths of the keys that appear more than once in
// one object of body, a JSON document: "owner" at the top, "custom[0].key"
// deeper. Keys are compared exactly (custom attribute names are
// case-sensitive: "Tier" and "tier" are two). A body that is not JSON, or
// nested deeper than maxDepth, is scanned as far as it goes (the schema
// checks report it). At most maxDuplicates are returned, each path spelled
// to at most maxPath bytes, so a hostile body costs one token walk.
func duplicateKeys(body []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var dups []string
	var path []string // the segments to the current value: "key", or "[i]"
	spell := func(key string) string {
		var b strings.Builder
		for _, seg := range append(path[:len(path):len(path)], key) {
			if b.Len() >= maxPath {
				b.WriteString("…")
				break
			}
			if b.Len() > 0 && !strings.HasPrefix(seg, "[") {
				b.WriteByte('.')
			}
			b.WriteString(seg)
		}
		return b.String()
	}
	var walk func() bool
	walk = func() bool {
		if len(path) > maxDepth {
			return false
		}
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			var seen keySet
			for dec.More() {
				k, err := dec.Token()
				key, ok := k.(string)
				if err != nil || !ok {
					return false
				}
				if !seen.add(key) && len(dups) < maxDuplicates {
					dups = append(dups, spell(key))
				}
				path = append(path, key)
				ok = walk()
				path = path[:len(path)-1]
				if !ok {
					return false
				}
			}
			_, err = dec.Token()
			return err == nil
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				path = append(path, "["+strconv.Itoa(i)+"]")
				ok := walk()
				path = path[:len(path)-1]
				if !ok {
					return false
				}
			}
			_, err = dec.Token()
			return err == nil
		}
		return true
	}
	walk()
	return dups
}

// keySet is the keys of one object seen so far: a short list while there
// are few (most objects), a map beyond, so that an object of a million keys
// costs a million looks, not a million squared.
type keySet struct {
	few  []string
	many map[string]bool
}

// add adds key and reports whether it was new.
func (k *keySet) add(key string) bool {
	if k.many == nil {
		if slices.Contains(k.few, key) {
			return false
		}
		if len(k.few) < 16 {
			k.few = append(k.few, key)
			return true
		}
		k.many = make(map[string]bool, 64)
		for _, f := range k.few {
			k.many[f] = true
		}
	}
	if k.many[key] {
		return false
	}
	k.many[key] = true
	return true
}

// isJSON reports whether a Content-Type is JSON's.
func isJSON(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "application/json" || (len(mt) > 5 && mt[len(mt)-5:] == "+json")
}

// duplicateBodyKeys adds a violation in part for each repeated key of a JSON
// body.
func duplicateBodyKeys(e *Error, part Part, contentType string, body []byte) {
	if len(body) == 0 || !isJSON(contentType) {
		return
	}
	for _, field := range duplicateKeys(body) {
		// The names come from the body (a server's, for a response): escaped,
		// like any text that may end up on a terminal.
		e.add(Violation{Part: part, Field: safetext.Escape(field, 200), Rule: "duplicate",
			Message: "the key appears more than once in its object; readers disagree on which value counts"})
	}
}

// duplicateQuery adds a violation for each query parameter of the operation
// that is not an array and is given more than once.
func (rt *route) duplicateQuery(e *Error) {
	query := rt.req.URL.Query()
	for _, p := range rt.route.Operation.Parameters {
		if p.Value == nil || p.Value.In != openapi3.ParameterInQuery {
			continue
		}
		if s := p.Value.Schema; s != nil && s.Value != nil && s.Value.Type.Is(openapi3.TypeArray) {
			continue
		}
		if n := len(query[p.Value.Name]); n > 1 {
			e.add(Violation{Part: PartQuery, Field: p.Value.Name, Rule: "duplicate",
				Message: fmt.Sprintf("given %d times; the spec defines one value", n)})
		}
	}
}
