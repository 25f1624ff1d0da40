package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// customProperty is the one property whose friendly form differs from the
// wire: a map in Go, a list of {key, value} in requests and an object in
// responses. Package wrapper converts it by hand (convert.go).
const customProperty = "custom"

// friendlyField is one field of a wrapper type and its wire counterpart.
type friendlyField struct {
	Prop     property
	Name     string // Go name, the same as oapi-codegen's
	Type     string // the friendly type, without pointer, e.g. "string", "generated.OpportunityType"
	Ptr      bool   // the friendly field is a pointer
	WireType string // the wire field's base type, qualified, e.g. "generated.OpportunityType", "int64"
	WirePtr  bool
}

type wrapperGen struct {
	gc *goCode
	b  bytes.Buffer
	// enumTypes maps a property name to the generated enum type a request
	// schema gives it, so that a response's plain string is typed alike.
	enumTypes map[string]string
}

func (g *wrapperGen) p(format string, args ...any) { fmt.Fprintf(&g.b, format+"\n", args...) }

var builtin = map[string]bool{"string": true, "int": true, "int32": true, "int64": true, "float32": true, "float64": true, "bool": true, "time.Time": true}

// qualify names a type of package generated from package wrapper.
func (g *wrapperGen) qualify(t string) (string, error) {
	if builtin[t] {
		return t, nil
	}
	if _, ok := g.gc.named[t]; ok {
		return "generated." + t, nil
	}
	return "", fmt.Errorf("specgen: no friendly type for Go type %s", t)
}

func isStringLike(t string, gc *goCode) bool {
	if t == "string" {
		return true
	}
	return gc.named[strings.TrimPrefix(t, "generated.")] == "string"
}

// fields pairs each property of schema with its wire field and decides the
// friendly type. kind is "input", "update" or "output".
func (g *wrapperGen) fields(props []property, structName, kind string) ([]friendlyField, error) {
	var out []friendlyField
	for _, p := range props {
		if p.Name == customProperty {
			continue
		}
		gf, err := g.gc.field(structName, p.Name)
		if err != nil {
			return nil, err
		}
		wire := g.gc.resolve(gf.Type)
		wirePtr := strings.HasPrefix(wire, "*")
		wire = strings.TrimPrefix(wire, "*")
		wq, err := g.qualify(wire)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", structName, p.Name, err)
		}
		ft := wq
		if kind == "input" && g.gc.named[wire] != "" {
			g.enumTypes[p.Name] = wq
		}
		if e, ok := g.enumTypes[p.Name]; ok && kind == "output" && wire == "string" {
			ft = e
		}
		var ptr bool
		switch kind {
		case "update":
			ptr = true
		default:
			ptr = !p.Required && !isStringLike(ft, g.gc)
		}
		out = append(out, friendlyField{Prop: p, Name: gf.Name, Type: ft, Ptr: ptr, WireType: wq, WirePtr: wirePtr})
	}
	return out, nil
}

// doc writes a field's doc comment from the spec's description.
func (g *wrapperGen) doc(f friendlyField, kind string) {
	desc := strings.TrimSpace(f.Prop.Schema.Description)
	g.p("// %s is %s.", f.Name, f.Prop.Name)
	if desc != "" {
		for _, line := range strings.Split(desc, "\n") {
			g.p("// %s", line)
		}
	}
	switch {
	case kind == "input" && f.Prop.Required:
		g.p("// Required.")
	case kind == "input" && f.Ptr:
		g.p("// Optional: nil is not sent.")
	case kind == "input":
		g.p("// Optional: empty is not sent.")
	case kind == "update":
		g.p("// Nil leaves it unchanged.")
	case kind == "output" && !f.Prop.Required && f.Ptr:
		g.p("// Nil when the API returned none.")
	case kind == "output" && !f.Prop.Required:
		g.p("// Empty when the API returned none.")
	}
}

func (g *wrapperGen) structType(name, about string, fields []friendlyField, kind, customDoc string) {
	g.p("%s", about)
	g.p("type %s struct {", name)
	for _, f := range fields {
		g.doc(f, kind)
		t := f.Type
		if f.Ptr {
			t = "*" + t
		}
		g.p("%s %s", f.Name, t)
	}
	g.p("%s", customDoc)
	g.p("Custom map[string]any")
	if kind == "output" {
		// nothing else
	}
	g.p("}")
	g.p("")
}

// toWire writes the conversion of every field but custom from a friendly
// value x to the wire struct b; it counts the fields set in n.
func (g *wrapperGen) toWire(fields []friendlyField, x string) {
	for _, f := range fields {
		src := x + "." + f.Name
		dst := "b." + f.Name
		switch {
		case !f.Ptr && !f.WirePtr:
			g.p("%s = %s(%s)", dst, f.WireType, src)
			if x == "u" {
				g.p("n++")
			}
		case !f.Ptr && f.WirePtr:
			g.p("if %s != \"\" { v := %s(%s); %s = &v }", src, f.WireType, src, dst)
		case f.Ptr && f.WirePtr && f.Type == f.WireType:
			// The same type: share the pointer (the wire body is only read
			// while it is encoded), saving an allocation per call.
			g.p("if %s != nil { %s = %s; %s }", src, dst, src, count(x))
		case f.Ptr && f.WirePtr:
			g.p("if %s != nil { v := %s(*%s); %s = &v; %s }", src, f.WireType, src, dst, count(x))
		case f.Ptr && !f.WirePtr:
			g.p("if %s != nil { %s = %s(*%s); %s }", src, dst, f.WireType, src, count(x))
		}
	}
}

// fromWire writes the conversion of every field but custom from the wire
// struct w to the friendly value o.
func (g *wrapperGen) fromWire(fields []friendlyField) error {
	for _, f := range fields {
		src := "w." + f.Name
		dst := "o." + f.Name
		switch {
		case !f.Ptr && !f.WirePtr:
			g.p("%s = %s(%s)", dst, f.Type, src)
		case f.Ptr && f.WirePtr && f.Type == f.WireType:
			// The same type: take the pointer the decoder made (w is never
			// used again), saving an allocation per call.
			g.p("%s = %s", dst, src)
		case f.Ptr && f.WirePtr:
			g.p("if %s != nil { v := %s(*%s); %s = &v }", src, f.Type, src, dst)
		case !f.Ptr && f.WirePtr:
			g.p("if %s != nil { %s = %s(*%s) }", src, dst, f.Type, src)
		case f.Ptr && !f.WirePtr:
			if !isStringLike(f.WireType, g.gc) {
				return fmt.Errorf("%s: a wire %s that is not a pointer cannot be told absent", f.Prop.Name, f.WireType)
			}
			g.p("if %s != \"\" { v := %s(%s); %s = &v }", src, f.Type, src, dst)
		}
	}
	return nil
}

func wrapperFile(doc *openapi3.T, order map[string][]string, gc *goCode) ([]byte, error) {
	g := &wrapperGen{gc: gc, enumTypes: map[string]string{}}
	create, err := properties(doc, order, "CreateOpportunity")
	if err != nil {
		return nil, err
	}
	update, err := properties(doc, order, "UpdateOpportunity")
	if err != nil {
		return nil, err
	}
	output, err := properties(doc, order, "Opportunity")
	if err != nil {
		return nil, err
	}
	in, err := g.fields(create, "CreateOpportunity", "input")
	if err != nil {
		return nil, err
	}
	up, err := g.fields(update, "UpdateOpportunity", "update")
	if err != nil {
		return nil, err
	}
	out, err := g.fields(output, "Opportunity", "output")
	if err != nil {
		return nil, err
	}

	g.structType("Opportunity", `// Opportunity is an opportunity as the API returns it (schema Opportunity).
// Its JSON form (MarshalJSON) is the API's.`, out, "output", `// Custom holds the custom attributes. Integral JSON numbers are int64,
// other numbers float64; strings, booleans and nil as JSON has them. It is
// never nil.`)
	g.structType("OpportunityInput", `// OpportunityInput is a new opportunity to create (schema CreateOpportunity).
// Build it with [NewOpportunity] and the With methods, or fill the fields
// directly.`, in, "input", `// Custom attributes: string, bool, integer or float values. Sent as a
// list of {key, value} in sorted key order.`)
	g.structType("OpportunityUpdate", `// OpportunityUpdate is a change to an opportunity (schema UpdateOpportunity).
// Only the fields that were set are sent; everything else is left alone on
// the server. Build it with [NewUpdate] and the Set methods, or set the
// pointer fields directly.`, up, "update", `// Custom is sent when non-nil; an empty, non-nil map sends an empty list.
// Whether ChartMogul merges or replaces custom attributes is not
// documented.`)

	// NewOpportunity takes the required fields in the spec's order.
	var params, assigns []string
	for _, req := range doc.Components.Schemas["CreateOpportunity"].Value.Required {
		for _, f := range in {
			if f.Prop.Name == req {
				params = append(params, lowerName(req)+" "+f.Type)
				assigns = append(assigns, f.Name+": "+lowerName(req)+",")
			}
		}
	}
	g.p("// NewOpportunity returns an input with the fields the API requires, in the")
	g.p("// order openapi.yaml lists them. Add optional fields with the With methods.")
	g.p("func NewOpportunity(%s) OpportunityInput {", strings.Join(params, ", "))
	g.p("return OpportunityInput{%s}", strings.Join(assigns, "\n"))
	g.p("}")
	g.p("")
	for _, f := range in {
		if f.Prop.Required {
			continue
		}
		g.p("// With%s returns a copy of in with %s set.", f.Name, f.Prop.Name)
		if f.Ptr {
			g.p("func (in OpportunityInput) With%s(v %s) OpportunityInput { in.%s = &v; return in }", f.Name, f.Type, f.Name)
		} else {
			g.p("func (in OpportunityInput) With%s(v %s) OpportunityInput { in.%s = v; return in }", f.Name, f.Type, f.Name)
		}
	}
	for _, f := range up {
		g.p("// Set%s returns a copy of u that changes %s.", f.Name, f.Prop.Name)
		g.p("func (u OpportunityUpdate) Set%s(v %s) OpportunityUpdate { u.%s = &v; return u }", f.Name, f.Type, f.Name)
	}

	g.p("// wire converts every field but custom to the create body.")
	g.p("func (in *OpportunityInput) wire() (b generated.CreateOpportunity) {")
	g.toWire(in, "in")
	g.p("return b")
	g.p("}")
	g.p("// wire converts every field but custom to the update body; n counts the fields set.")
	g.p("func (u *OpportunityUpdate) wire() (b generated.UpdateOpportunity, n int) {")
	g.toWire(up, "u")
	g.p("return b, n")
	g.p("}")
	for _, c := range []struct {
		fn, typ, wire string
		fields        []friendlyField
	}{
		{"inputFromWire", "OpportunityInput", "CreateOpportunity", in},
		{"updateFromWire", "OpportunityUpdate", "UpdateOpportunity", up},
		{"opportunityFromWire", "Opportunity", "Opportunity", out},
	} {
		g.p("// %s converts every field but custom from the wire.", c.fn)
		g.p("func %s(w *generated.%s) (o %s) {", c.fn, c.wire, c.typ)
		if err := g.fromWire(c.fields); err != nil {
			return nil, err
		}
		g.p("return o")
		g.p("}")
	}

	// The API's JSON shape of an opportunity, in the document's order.
	g.p("// opportunityJSON is an opportunity in the API's JSON shape and field")
	g.p("// order; an optional field the API returned none for is null.")
	g.p("type opportunityJSON struct {")
	for _, p := range output {
		if p.Name == customProperty {
			g.p("Custom map[string]any `json:\"custom\"`")
			continue
		}
		for _, f := range out {
			if f.Prop.Name != p.Name {
				continue
			}
			t := f.Type
			if t == "time.Time" {
				t = "string"
			}
			if !f.Prop.Required {
				t = "*" + t
			}
			g.p("%s %s `json:%q`", f.Name, t, f.Prop.Name)
		}
	}
	g.p("}")
	g.p("// MarshalJSON writes o as the API does: its field names, nulls for the")
	g.p("// optional fields it has none for, timestamps in UTC with milliseconds.")
	g.p("func (o Opportunity) MarshalJSON() ([]byte, error) {")
	g.p("var j opportunityJSON")
	for _, f := range out {
		val := "o." + f.Name
		if f.Type == "time.Time" {
			val = "formatTime(" + val + ")"
		}
		switch {
		case f.Prop.Required:
			g.p("j.%s = %s", f.Name, val)
		case f.Ptr:
			g.p("j.%s = o.%s", f.Name, f.Name)
		default:
			g.p("if o.%s != \"\" { v := %s; j.%s = &v }", f.Name, val, f.Name)
		}
	}
	g.p("j.Custom = o.Custom")
	g.p("if j.Custom == nil { j.Custom = map[string]any{} }")
	g.p("return marshalJSON(j)")
	g.p("}")

	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("package wrapper\n\nimport (\n\"time\"\n\n\"github.com/mogulkit/opportunities/generated\"\n)\n\n")
	b.WriteString("var _ time.Time\n\n")
	b.Write(g.b.Bytes())
	return b.Bytes(), nil
}

// count is the statement that counts a field set, in the update's conversion.
func count(x string) string {
	if x == "u" {
		return "n++"
	}
	return ""
}
