package wrapper

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/mogulkit/opportunities/generated"
)

// DecodeOpportunityInput reads a create request body in the API's JSON shape
// (custom as a list of {"key", "value"}), as a file or a queue message would
// hold it, into an input. Every property openapi.yaml gives CreateOpportunity
// is read, with no hand-written list: a property added to the spec is read
// after `make generate`.
//
// It returns, by field, what cannot be read: a property the spec does not
// have, a value of the wrong JSON type, a required property missing, a
// malformed custom list. The rules on values (patterns, bounds, enums) are
// left to [OpportunityInput.Validate]. The error is about the body as a whole
// (it is not one JSON object).
func DecodeOpportunityInput(data []byte) (OpportunityInput, []FieldError, error) {
	var w generated.CreateOpportunity
	custom, _, problems, err := decodeBody(data, &w, generated.CreateOpportunityProperties(), false)
	if err != nil {
		return OpportunityInput{}, nil, err
	}
	in := inputFromWire(&w)
	in.Custom = custom
	return in, problems, nil
}

// DecodeOpportunityUpdate reads an update request body in the API's JSON
// shape, like [DecodeOpportunityInput]. A null is refused (leave a field out
// to keep it); "custom": [] sends an empty list.
func DecodeOpportunityUpdate(data []byte) (OpportunityUpdate, []FieldError, error) {
	var w generated.UpdateOpportunity
	custom, given, problems, err := decodeBody(data, &w, generated.UpdateOpportunityProperties(), true)
	if err != nil {
		return OpportunityUpdate{}, nil, err
	}
	u := updateFromWire(&w)
	if given {
		u.Custom = custom
		if u.Custom == nil {
			u.Custom = map[string]any{}
		}
	}
	return u, problems, nil
}

// decodeBody decodes a JSON object into the wire struct dst property by
// property, so that every problem is reported, each once.
func decodeBody(data []byte, dst any, props []generated.Property, update bool) (custom map[string]any, customGiven bool, p problems, err error) {
	obj, err := jsonObject(data)
	if err != nil {
		return nil, false, nil, err
	}
	for _, k := range duplicateKeys(data) {
		p.add(k, "is given more than once (a JSON object must not repeat a name)")
	}
	fields := jsonFields(reflect.TypeOf(dst).Elem())
	v := reflect.ValueOf(dst).Elem()
	for _, prop := range props {
		raw, ok := obj[prop.Name]
		switch {
		case ok && isNull(raw) && update:
			p.add(prop.Name, "null is not supported; leave the field out to keep it")
			continue
		case !ok || isNull(raw):
			if prop.Required {
				p.add(prop.Name, "is required")
			}
			continue
		}
		if prop.Name == customProperty {
			custom, customGiven = decodeCustomList(raw, &p), true
			continue
		}
		idx, ok := fields[prop.Name]
		if !ok {
			return nil, false, nil, fmt.Errorf("wrapper: no Go field for %q (regenerate)", prop.Name)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(v.FieldByIndex(idx).Addr().Interface()); err != nil {
			p.add(prop.Name, "must be %s, got %s", article(prop.Type), clip(raw))
		}
	}
	var unknown []string
	for k := range obj {
		if !slices.ContainsFunc(props, func(pr generated.Property) bool { return pr.Name == k }) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		p.add(k, "unknown field (openapi.yaml has no such property)")
	}
	return custom, customGiven, p, nil
}

// customProperty is the property whose friendly form is a map.
const customProperty = "custom"

// jsonObject decodes exactly one JSON object, numbers kept as written.
func jsonObject(data []byte) (map[string]json.RawMessage, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // the BOM some editors write first
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			// encoding/json would send U+FFFD in its place, silently.
			return nil, fmt.Errorf("the body is not valid UTF-8 (byte %d)", i+1)
		}
		i += n
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			return nil, fmt.Errorf("the body must be a JSON object, got %s", te.Value)
		case errors.Is(err, io.EOF):
			return nil, errors.New("the body is empty")
		}
		return nil, fmt.Errorf("invalid JSON: %v", err)
	}
	if obj == nil {
		return nil, errors.New("the body must be a JSON object, got null")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON: more data after the object")
	}
	return obj, nil
}

// duplicateKeys lists the names that a JSON object gives more than once
// (encoding/json would silently keep the last).
func duplicateKeys(obj []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	var dups []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return dups
		}
		k, _ := t.(string)
		if seen[k] && !slices.Contains(dups, k) {
			dups = append(dups, k)
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return dups
		}
	}
	return dups
}

// jsonFields maps the JSON names of a struct's fields to their indexes.
func jsonFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = f.Index
		}
	}
	return out
}

// decodeCustomList reads [{"key": ..., "value": ...}] into a map. Scalars
// become string, bool, int64 or float64; any other value is kept as its JSON
// so that Validate reports it against the spec's CustomValue schema. Members
// of an entry are those the spec's CustomAttribute schema has.
func decodeCustomList(raw json.RawMessage, p *problems) map[string]any {
	var rawList []json.RawMessage
	var list []map[string]json.RawMessage
	err := json.Unmarshal(raw, &rawList)
	if err == nil {
		err = json.Unmarshal(raw, &list)
	}
	if err != nil {
		p.add("custom", `must be a list of {"key": ..., "value": ...} objects`)
		return nil
	}
	members := generated.CustomAttributeProperties()
	out := make(map[string]any, len(list))
	for i, item := range list {
		var key string
		if err := json.Unmarshal(item["key"], &key); err != nil || key == "" {
			p.add("custom", "entry %d has no key (a non-empty string)", i)
			continue
		}
		field := "custom." + key
		if dups := duplicateKeys(rawList[i]); len(dups) > 0 {
			p.add(field, "repeats %q in the entry (a JSON object must not repeat a name)", dups[0])
			continue
		}
		if _, dup := out[key]; dup {
			p.add(field, "is given twice")
			continue
		}
		var unknown []string
		for k := range item {
			if !slices.ContainsFunc(members, func(m generated.Property) bool { return m.Name == k }) {
				unknown = append(unknown, k)
			}
		}
		sort.Strings(unknown)
		for _, k := range unknown {
			p.add(field, "unknown member %q in the entry", k)
		}
		rawVal, ok := item["value"]
		if !ok {
			p.add(field, "has no value")
			continue
		}
		v, err := decodeCustomValue(rawVal)
		if err != nil {
			p.add(field, "%v", err)
			continue
		}
		switch v.(type) {
		case map[string]any, []any, nil:
			v = json.RawMessage(bytes.TrimSpace(rawVal)) // Validate names the rule it breaks
		}
		out[key] = v
	}
	return out
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// clip shortens raw JSON for a message.
func clip(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}

// article names a JSON Schema type for a message: "an integer", "a string".
func article(t string) string {
	switch t {
	case "":
		return "a valid value"
	case "integer", "array", "object":
		return "an " + t
	}
	return "a " + t
}
