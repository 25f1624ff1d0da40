package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// encodedBodies are the structs that get an AppendJSON method: the request
// bodies, encoded on every create and update, and what they hold.
var encodedBodies = []string{"CreateOpportunity", "UpdateOpportunity", "CustomAttribute"}

// encodeGen writes AppendJSON methods: the bytes encoding/json's Marshal
// writes for the same value, without reflection. Strings that need escaping,
// and values of any type it does not spell out (a union with its own
// MarshalJSON, a float), are encoded by encoding/json itself, so the output
// is identical by construction; a test compares the two on fuzzed values.
type encodeGen struct {
	gc *goCode
	b  bytes.Buffer
	// some is true once a field that is always written has been: every
	// later field then starts with a comma, with no check at run time.
	some bool
	// first is true for the first field when it is always written: no
	// comma and no check.
	first bool
}

func (g *encodeGen) p(format string, args ...any) { fmt.Fprintf(&g.b, format+"\n", args...) }

// plainKey is a JSON name encoding/json writes as it is.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)

func encodeFile(gc *goCode) ([]byte, error) {
	g := &encodeGen{gc: gc}
	for _, name := range encodedBodies {
		if err := g.method(name); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("package generated\n\nimport (\n\"encoding/json\"\n\"strconv\"\n)\n\n")
	b.WriteString("var _ = strconv.AppendInt\n")
	b.WriteString(encodeSupport)
	b.Write(g.b.Bytes())
	return b.Bytes(), nil
}

func (g *encodeGen) method(name string) error {
	fields, ok := g.gc.ordered[name]
	if !ok {
		return fmt.Errorf("oapi-codegen wrote no struct %s", name)
	}
	g.p("// AppendJSON appends b's JSON encoding to dst: the bytes json.Marshal(b)")
	g.p("// writes, without reflection (a request body is encoded on every call).")
	g.p("func (b *%s) AppendJSON(dst []byte) ([]byte, error) {", name)
	g.some = false
	if !g.alwaysFirst(fields) {
		g.p("start := len(dst)")
	}
	g.p("dst = append(dst, '{')")
	for _, f := range fields {
		if !plainKey.MatchString(f.JSON) {
			return fmt.Errorf("%s.%s: JSON name %q needs escaping", name, f.Name, f.JSON)
		}
		if err := g.field(name, f); err != nil {
			return err
		}
	}
	g.p("return append(dst, '}'), nil")
	g.p("}")
	g.p("")
	return nil
}

// field writes one field: skipped when its omit option says so, else its key
// and value.
func (g *encodeGen) field(structName string, f taggedField) error {
	x := "b." + f.Name
	t := f.Type
	var cond string
	switch {
	case strings.HasPrefix(t, "*") && f.Omit != "":
		cond = x + " != nil"
	case strings.HasPrefix(t, "[]") && f.Omit == "omitempty":
		cond = "len(" + x + ") > 0"
	case strings.HasPrefix(t, "[]") && f.Omit == "omitzero":
		cond = x + " != nil"
	case f.Omit != "":
		kind := g.kind(t)
		switch {
		case kind == "string" && !g.gc.marshalers[t]:
			cond = x + ` != ""`
		case (kind == "int" || kind == "uint") && !g.gc.marshalers[t]:
			cond = x + " != 0"
		case kind == "bool" && !g.gc.marshalers[t]:
			cond = x
		default:
			return fmt.Errorf("%s.%s: %s on type %s is not supported", structName, f.Name, f.Omit, t)
		}
	}
	if cond != "" {
		g.p("if %s {", cond)
	}
	switch {
	case g.some:
		g.p("dst = append(dst, %q...)", `,"`+f.JSON+`":`)
	default:
		g.p("if len(dst) > start+1 { dst = append(dst, ',') }")
		fallthrough
	case g.first:
		g.p("dst = append(dst, %q...)", `"`+f.JSON+`":`)
	}
	g.first = false
	switch {
	case cond != "" && strings.HasPrefix(t, "*"):
		g.value("(*"+x+")", t[1:], false) // not nil: cond says so
	default:
		g.value(x, t, cond == "")
	}
	if cond != "" {
		g.p("}")
	} else {
		g.some = true
	}
	return nil
}

// alwaysFirst reports whether the first field is always written (it has no
// omit option), so that no field needs to look whether one came before it.
// It also primes the state method's fields rely on.
func (g *encodeGen) alwaysFirst(fields []taggedField) bool {
	g.first = len(fields) > 0 && fields[0].Omit == ""
	return g.first
}

// value writes the encoding of x, of Go type t; mayBeNil is false when a
// pointer or slice x is known not to be nil.
func (g *encodeGen) value(x, t string, mayBeNil bool) {
	if strings.HasPrefix(t, "*") {
		g.p("if %s == nil { dst = append(dst, \"null\"...) } else {", x)
		g.value("(*"+x+")", t[1:], true)
		g.p("}")
		return
	}
	if elem, ok := strings.CutPrefix(t, "[]"); ok && contains(encodedBodies, elem) {
		if mayBeNil {
			g.p("if %s == nil { dst = append(dst, \"null\"...) } else {", x)
		} else {
			g.p("{")
		}
		g.p("dst = append(dst, '[')")
		g.p("for i := range %s {", x)
		g.p("if i > 0 { dst = append(dst, ',') }")
		g.p("var err error")
		g.p("if dst, err = %s[i].AppendJSON(dst); err != nil { return nil, err }", x)
		g.p("}")
		g.p("dst = append(dst, ']')")
		g.p("}")
		return
	}
	if !g.gc.marshalers[t] {
		switch g.kind(t) {
		case "string":
			g.p("dst = appendString(dst, string(%s))", x)
			return
		case "int":
			g.p("dst = strconv.AppendInt(dst, int64(%s), 10)", x)
			return
		case "uint":
			g.p("dst = strconv.AppendUint(dst, uint64(%s), 10)", x)
			return
		case "bool":
			g.p("dst = strconv.AppendBool(dst, bool(%s))", x)
			return
		}
	}
	if g.gc.marshalers[t] {
		g.p("if raw, err := %s.MarshalJSON(); err != nil { return nil, err } else if dst, err = appendRaw(dst, raw, &%s); err != nil { return nil, err }", x, x)
		return
	}
	// By pointer: no copy of the value into an interface.
	g.p("if raw, err := json.Marshal(&%s); err != nil { return nil, err } else { dst = append(dst, raw...) }", x)
}

// kind is the basic kind of a Go type expression after aliases and named
// types: "string", "int", "uint", "bool", or "" for anything else.
func (g *encodeGen) kind(t string) string {
	for range 10 {
		t = g.gc.resolve(t)
		u, ok := g.gc.named[t]
		if !ok {
			break
		}
		if g.gc.marshalers[t] {
			return ""
		}
		t = u
	}
	switch t {
	case "string", "bool":
		return t
	case "int", "int8", "int16", "int32", "int64":
		return "int"
	case "uint", "uint8", "uint16", "uint32", "uint64":
		return "uint"
	}
	return ""
}

const encodeSupport = `
// appendString appends s as a JSON string, as encoding/json writes it: plain
// printable ASCII as it is, anything else (quotes, backslashes, control and
// HTML characters, non-ASCII) by encoding/json itself.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			raw, _ := json.Marshal(s) // a string always encodes
			return append(dst, raw...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendRaw appends raw, what v's MarshalJSON returned, as encoding/json
// does: as it is when it is valid JSON with nothing to compact or escape
// (no white space, no HTML character, printable ASCII only, like 3 or
// "seats"), else by encoding/json itself.
func appendRaw(dst, raw []byte, v any) ([]byte, error) {
	for _, c := range raw {
		if c <= ' ' || c > 0x7e || c == '<' || c == '>' || c == '&' {
			enc, err := json.Marshal(v)
			return append(dst, enc...), err
		}
	}
	if !json.Valid(raw) {
		_, err := json.Marshal(v)
		return nil, err
	}
	return append(dst, raw...), nil
}

`
