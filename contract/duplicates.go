package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
)

// Repeated names are ambiguous on the wire: JSON decoders disagree on which
// of two equal keys counts (Go's takes the last, others the first or refuse
// the body), and a server reading one query value may take either. The spec
// cannot say so, so these checks add it: a JSON object with a key twice, and
// a query parameter that is not an array given more than once, are
// violations with the rule "duplicate".

// duplicateKeys returns the paths of the keys that appear more than once in
// one object of body, a JSON document: "owner" at the top, "custom[0].key"
// deeper. A body that is not JSON has none (the schema checks report it).
func duplicateKeys(body []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var dups []string
	var walk func(path string) bool
	walk = func(path string) bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				key, ok := k.(string)
				if err != nil || !ok {
					return false
				}
				at := key
				if path != "" {
					at = path + "." + key
				}
				if seen[key] {
					dups = append(dups, at)
				}
				seen[key] = true
				if !walk(at) {
					return false
				}
			}
			_, err = dec.Token()
			return err == nil
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if !walk(path + "[" + strconv.Itoa(i) + "]") {
					return false
				}
			}
			_, err = dec.Token()
			return err == nil
		}
		return true
	}
	walk("")
	return dups
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
		e.add(Violation{Part: part, Field: field, Rule: "duplicate",
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
