package wrapper

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/mogulkit/opportunities/generated"
)

// A success body is held to the spec: every property the schema requires is
// present and not null. encoding/json cannot tell an absent field from a zero
// one (a 201 without "uuid" would decode to UUID ""), so:
//   - after the body has decoded, a required field holding a non-zero value
//     was present: the common case costs one look at each required field;
//   - only when one holds its zero value (amount_in_cents 0, has_more false)
//     is the body's text scanned, keys only, with no value decoded and no
//     allocation, to tell "absent or null" from "present".
//
// The names are data, taken from the generated types (see requiredNames),
// never written here by hand.

// requiredNames returns the JSON names and field indexes of the required
// properties of the generated struct type of v: those without omitempty,
// which is how oapi-codegen marks a property the schema requires (an optional
// one always has it). A test checks the names against openapi.yaml.
func requiredNames(v any) (names []string, index []int) {
	t := reflect.TypeOf(v)
	for i := range t.NumField() {
		name, opts, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" || strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,") {
			continue
		}
		names = append(names, name)
		index = append(index, i)
	}
	return names, index
}

// required lists the required properties of one generated type.
type required struct {
	names []string
	index []int // of the struct field of each name
}

// requiredFields are the required properties of an opportunity and of a
// list page, from the generated types.
var requiredFields = sync.OnceValue(func() (r struct{ opportunity, page required }) {
	r.opportunity.names, r.opportunity.index = requiredNames(generated.Opportunity{})
	r.page.names, r.page.index = requiredNames(generated.OpportunityList{})
	return r
})

// allSet reports whether every required field of *v holds a non-zero value,
// which proves it was present in the body.
func (r required) allSet(v any) bool {
	rv := reflect.ValueOf(v).Elem()
	for _, i := range r.index {
		if rv.Field(i).IsZero() {
			return false
		}
	}
	return true
}

// checkRequiredOpportunity returns an error naming the first required field
// that body, the valid JSON object w decoded from, lacks (or has as null).
func checkRequiredOpportunity(body []byte, w *generated.Opportunity) error {
	req := requiredFields().opportunity
	if req.allSet(w) {
		return nil
	}
	if name, ok := missingRequired(body, req.names); !ok {
		return fmt.Errorf("required field %q is missing", name)
	}
	return nil
}

// checkRequiredPage is checkRequiredOpportunity for a list page, and each of
// its entries.
func checkRequiredPage(body []byte, w *generated.OpportunityList) error {
	req := requiredFields()
	if !req.page.allSet(w) {
		if name, ok := missingRequired(body, req.page.names); !ok {
			return fmt.Errorf("required field %q is missing", name)
		}
	}
	for i := range w.Entries {
		if req.opportunity.allSet(&w.Entries[i]) {
			continue
		}
		// Rare: find this entry's text and look at its keys.
		var entries []byte
		scanRequired(body, nil, func(key, value []byte) {
			if string(key) == "entries" {
				entries = value
			}
		})
		var err error
		n := 0
		eachElement(entries, func(entry []byte) bool {
			if n == i {
				if name, ok := missingRequired(entry, req.opportunity.names); !ok {
					err = fmt.Errorf("required field \"entries[%d].%s\" is missing", i, name)
				}
				return false
			}
			n++
			return true
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// checkReturnedUUID refuses an opportunity UUID the client could not use in
// a path (an empty one above all): nothing is taken as created without one.
func checkReturnedUUID(uuid string) error {
	if vs := generated.ValidateUUIDPathParameter(uuid); len(vs) > 0 {
		return fmt.Errorf("uuid %q is not a UUID the API's paths take: %s", uuid, vs[0].Problem)
	}
	return nil
}

// missingRequired returns the first name of required that the object lacks,
// and false; or "", true when it has them all.
func missingRequired(obj []byte, required []string) (string, bool) {
	return scanRequired(obj, required, nil)
}

// scanRequired walks the keys of obj, a valid JSON object, marking which of
// required (at most 64) have a value other than null; visit, if set, sees
// every key and its raw value. It returns the first name not marked.
func scanRequired(obj []byte, required []string, visit func(key []byte, value []byte)) (string, bool) {
	var seen uint64
	eachMember(obj, func(key []byte, escaped bool, value []byte) {
		if escaped { // rare: a key written with escapes is compared unescaped
			var s string
			if json.Unmarshal(append(append([]byte{'"'}, key...), '"'), &s) == nil {
				key = []byte(s)
			}
		}
		if visit != nil {
			visit(key, value)
		}
		if string(value) == "null" {
			return
		}
		for i, name := range required {
			if string(key) == name {
				seen |= 1 << i
				break
			}
		}
	})
	for i, name := range required {
		if seen&(1<<i) == 0 {
			return name, false
		}
	}
	return "", true
}

// The scanner below reads JSON already known to be valid (it decoded), so it
// only finds boundaries and never reports errors; on anything unexpected it
// stops.

// eachMember calls fn with each key (without quotes, still escaped if escaped
// is true) and raw value of the object b.
func eachMember(b []byte, fn func(key []byte, escaped bool, value []byte)) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return // '}' or the unexpected
		}
		end, escaped := scanString(b, i)
		key := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return
		}
		i = skipSpace(b, i+1)
		vend := skipValue(b, i)
		fn(key, escaped, b[i:vend])
		i = skipSpace(b, vend)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i++
	}
}

// eachElement calls fn with each raw element of the array b until fn returns
// false.
func eachElement(b []byte, fn func(elem []byte) bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return
	}
	for i < len(b) {
		end := skipValue(b, i)
		if !fn(b[i:end]) {
			return
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i = skipSpace(b, i+1)
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString returns the index after the string starting at b[i] == '"'.
func scanString(b []byte, i int) (end int, escaped bool) {
	j := i + 1
	for {
		q := bytes.IndexByte(b[j:], '"')
		if q < 0 {
			return len(b), escaped
		}
		bs := bytes.IndexByte(b[j:j+q], '\\')
		if bs < 0 {
			return j + q + 1, escaped
		}
		escaped = true
		j += bs + 2 // past the backslash and the character it escapes
		if j > len(b) {
			return len(b), escaped
		}
	}
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		end, _ := scanString(b, i)
		return end
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, _ := scanString(b, j)
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j
}
