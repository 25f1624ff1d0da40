package main

import (
	"bytes"
	"fmt"
	"regexp/syntax"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// ruleGen writes the checks openapi.yaml states as Go that runs on the wire
// structs oapi-codegen wrote.
type ruleGen struct {
	gc       *goCode
	order    map[string][]string // property order by schema name
	b        bytes.Buffer
	patterns []string // pattern i is matched by matchPattern<i>
	tmp      int
}

func (g *ruleGen) p(format string, args ...any) { fmt.Fprintf(&g.b, format+"\n", args...) }

func (g *ruleGen) newVar(prefix string) string {
	g.tmp++
	return fmt.Sprintf("%s%d", prefix, g.tmp)
}

// checkUnsupported fails on a keyword the generator does not implement, so
// that a rule added to the spec can never be silently left unchecked.
func checkUnsupported(where string, s *openapi3.Schema) error {
	var bad []string
	if s.MultipleOf != nil {
		bad = append(bad, "multipleOf")
	}
	if s.UniqueItems {
		bad = append(bad, "uniqueItems")
	}
	if len(s.AllOf) > 0 {
		bad = append(bad, "allOf")
	}
	if len(s.AnyOf) > 0 {
		bad = append(bad, "anyOf")
	}
	if s.Not != nil {
		bad = append(bad, "not")
	}
	if s.MinProps != 0 || s.MaxProps != nil {
		bad = append(bad, "minProperties/maxProperties")
	}
	if s.ExclusiveMin.Value != nil || s.ExclusiveMax.Value != nil {
		bad = append(bad, "numeric exclusiveMinimum/exclusiveMaximum (OpenAPI 3.1)")
	}
	// nullable only loosens: JSON null decodes to a nil pointer or a zero
	// value, which the checks below treat as absent.
	if len(bad) > 0 {
		return fmt.Errorf("%s: specgen does not implement %s; add it to internal/specgen", where, strings.Join(bad, ", "))
	}
	return nil
}

// value writes the checks of schema s on the Go value x (never a pointer)
// of Go type goType; field is a Go expression for the API field's name.
func (g *ruleGen) value(where, field, x, goType string, s *openapi3.Schema) error {
	if err := checkUnsupported(where, s); err != nil {
		return err
	}
	if len(s.OneOf) > 0 {
		return g.oneOf(where, field, x, s)
	}
	switch jsonType(s) {
	case "string":
		return g.str(where, field, x, s)
	case "integer":
		return g.num(field, "int64("+x+")", s, "%d", true)
	case "number":
		return g.num(field, "float64("+x+")", s, "%v", false)
	case "boolean":
		return nil
	case "array":
		return g.array(where, field, x, goType, s)
	case "object":
		return g.object(where, field, x, goType, s)
	}
	return fmt.Errorf("%s: specgen cannot check a schema of type %v", where, s.Type)
}

func (g *ruleGen) str(where, field, x string, s *openapi3.Schema) error {
	if !hasStringRules(s) {
		return nil
	}
	v := g.newVar("s")
	g.p("%s := string(%s)", v, x)
	if s.MinLength > 0 || s.MaxLength != nil {
		n := g.newVar("n")
		g.p("%s := utf8.RuneCountInString(%s)", n, v)
		if s.MinLength == 1 {
			g.p("if %s < 1 { v.add(%s, \"must not be empty (minLength 1)\") }", n, field)
		} else if s.MinLength > 1 {
			g.p("if %s < %d { v.add(%s, \"must be at least %d characters long (minLength), got %%q\", %s) }", n, s.MinLength, field, s.MinLength, v)
		}
		if s.MaxLength != nil {
			g.p("if %s > %d { v.add(%s, \"must be at most %d characters long (maxLength), got %%d\", %s) }", n, *s.MaxLength, field, *s.MaxLength, n)
		}
	}
	if s.Pattern != "" {
		i, err := g.pattern(where, s.Pattern)
		if err != nil {
			return err
		}
		g.p("if !matchPattern%d(%s) { v.add(%s, %q, %s) }", i, v, field, "must match the pattern "+s.Pattern+", got %q", v)
	}
	switch s.Format {
	case "":
	case "email":
		g.p("if !isEmail(%s) { v.add(%s, \"must be an e-mail address (format email), got %%q\", %s) }", v, field, v)
	case "date":
		g.p("if !isDate(%s) { v.add(%s, \"must be a date as YYYY-MM-DD (format date), got %%q\", %s) }", v, field, v)
	case "date-time":
		g.p("if !isDateTime(%s) { v.add(%s, \"must be an RFC 3339 date-time (format date-time), got %%q\", %s) }", v, field, v)
	case "uuid":
		g.p("if !isUUID(%s) { v.add(%s, \"must be a UUID (format uuid), got %%q\", %s) }", v, field, v)
	default:
		return fmt.Errorf("%s: specgen does not implement format %q", where, s.Format)
	}
	if len(s.Enum) > 0 {
		var cases, names []string
		for _, e := range s.Enum {
			str, ok := e.(string)
			if !ok {
				return fmt.Errorf("%s: enum value %v is not a string", where, e)
			}
			cases = append(cases, strconv.Quote(str))
			names = append(names, str)
		}
		g.p("switch %s { case %s: default: v.add(%s, %q, %s) }", v, strings.Join(cases, ", "), field,
			"must be one of "+strings.Join(names, ", ")+" (enum), got %q", v)
	}
	return nil
}

func (g *ruleGen) num(field, x string, s *openapi3.Schema, verb string, integer bool) error {
	lit := func(f float64) string {
		if integer {
			return strconv.FormatInt(int64(f), 10)
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	if s.Min == nil && s.Max == nil {
		return nil
	}
	n := g.newVar("n")
	g.p("%s := %s", n, x)
	var conds, rules []string
	var what []string
	if s.Min != nil {
		op, word := "<", "at least "+lit(*s.Min)
		if excl(s.ExclusiveMin) {
			op, word = "<=", "greater than "+lit(*s.Min)
		}
		conds = append(conds, fmt.Sprintf("%s %s %s", n, op, lit(*s.Min)))
		rules = append(rules, "minimum")
		what = append(what, word)
	}
	if s.Max != nil {
		op, word := ">", "at most "+lit(*s.Max)
		if excl(s.ExclusiveMax) {
			op, word = ">=", "less than "+lit(*s.Max)
		}
		conds = append(conds, fmt.Sprintf("%s %s %s", n, op, lit(*s.Max)))
		rules = append(rules, "maximum")
		what = append(what, word)
	}
	msg := "must be " + strings.Join(what, " and ") + " (" + strings.Join(rules, ", ") + "), got " + verb
	if s.Min != nil && s.Max != nil && !excl(s.ExclusiveMin) && !excl(s.ExclusiveMax) {
		msg = "must be between " + lit(*s.Min) + " and " + lit(*s.Max) + " (minimum, maximum), got " + verb
	}
	g.p("if %s { v.add(%s, %q, %s) }", strings.Join(conds, " || "), field, msg, n)
	return nil
}

func (g *ruleGen) array(where, field, x, goType string, s *openapi3.Schema) error {
	if s.MinItems > 0 {
		g.p("if len(%s) < %d { v.add(%s, \"must have at least %d items (minItems), got %%d\", len(%s)) }", x, s.MinItems, field, s.MinItems, x)
	}
	if s.MaxItems != nil {
		g.p("if len(%s) > %d { v.add(%s, \"must have at most %d items (maxItems), got %%d\", len(%s)) }", x, *s.MaxItems, field, *s.MaxItems, x)
	}
	if s.Items == nil || s.Items.Value == nil {
		return nil
	}
	elem := strings.TrimPrefix(goType, "[]")
	i := g.newVar("i")
	g.p("for %s := range %s {", i, x)
	itemField := fmt.Sprintf("%s + \"[\" + strconv.Itoa(%s) + \"]\"", field, i)
	f := g.newVar("f")
	g.p("%s := %s", f, itemField)
	g.p("_ = %s", f)
	if err := g.value(where+"[]", f, fmt.Sprintf("%s[%s]", x, i), elem, s.Items.Value); err != nil {
		return err
	}
	g.p("}")
	return nil
}

func (g *ruleGen) object(where, field, x, goType string, s *openapi3.Schema) error {
	if strings.HasPrefix(goType, "map[") {
		// A map: free-form keys. Only an unconstrained value schema is
		// supported (the response's custom object).
		ap := s.AdditionalProperties.Schema
		if len(s.Properties) > 0 || (ap != nil && ap.Value != nil && !ap.Value.IsEmpty() && !onlyDocs(ap.Value)) {
			return fmt.Errorf("%s: specgen cannot check the values of a free-form object", where)
		}
		return nil
	}
	fields, ok := g.gc.structs[goType]
	if !ok {
		return fmt.Errorf("%s: specgen needs a named struct for this object schema (make it a component schema)", where)
	}
	names := g.order[goType]
	if len(names) != len(s.Properties) {
		names = names[:0]
		for n := range s.Properties {
			names = append(names, n)
		}
		sortStrings(names)
	}
	for _, n := range names {
		gf, ok := fields[n]
		if !ok {
			return fmt.Errorf("%s: struct %s has no field for %q", where, goType, n)
		}
		pf := fmt.Sprintf("%s + %q", field, "."+n)
		if field == `""` {
			pf = fmt.Sprintf("%q", n)
		}
		if err := g.member(where+"."+n, pf, x+"."+gf.Name, gf.Type, s.Properties[n].Value, contains(s.Required, n)); err != nil {
			return err
		}
	}
	return nil
}

// member writes the checks of one property: presence where Go can tell it,
// then the value's rules when it is there.
func (g *ruleGen) member(where, field, x, goType string, s *openapi3.Schema, required bool) error {
	resolved := g.gc.resolve(goType)
	g.p("{")
	defer g.p("}")
	switch {
	case strings.HasPrefix(resolved, "*"):
		g.p("if %s != nil {", x)
		if err := g.value(where, field, "(*"+x+")", resolved[1:], s); err != nil {
			return err
		}
		g.p("}")
		if required {
			g.p("if %s == nil { v.add(%s, \"is required\") }", x, field)
		}
	case strings.HasPrefix(resolved, "map["):
		// A free-form object decodes JSON null and absence alike to nil;
		// both read as empty.
		return g.value(where, field, x, resolved, s)
	case strings.HasPrefix(resolved, "[]"):
		if required {
			g.p("if %s == nil { v.add(%s, \"is required\") }", x, field)
		}
		return g.value(where, field, x, resolved, s)
	case resolved == "time.Time":
		// Decoding a time.Time already checked the date-time format.
		if required {
			g.p("if %s.IsZero() { v.add(%s, \"is required\") }", x, field)
		}
	case jsonType(s) == "string" && !required && !hasStringRules(s):
		// Nothing to check.
	case jsonType(s) == "string":
		// The zero value is "not set" for a string that is not a pointer.
		g.p("if %s == \"\" {", x)
		if required {
			g.p("v.add(%s, \"is required\")", field)
		}
		g.p("} else {")
		if err := g.value(where, field, x, resolved, s); err != nil {
			return err
		}
		g.p("}")
	default:
		// An integer, number, boolean or union that is not a pointer: Go
		// cannot tell absent from zero, so only the value is checked.
		return g.value(where, field, x, resolved, s)
	}
	return nil
}

func (g *ruleGen) oneOf(where, field, x string, s *openapi3.Schema) error {
	var types []string
	for _, alt := range s.OneOf {
		a := alt.Value
		t := jsonType(a)
		plain := *a
		plain.Type, plain.Description, plain.Example, plain.Extensions = nil, "", nil, nil
		if (t != "string" && t != "number" && t != "boolean") || !isEmptySchema(&plain) {
			return fmt.Errorf("%s: specgen only checks a oneOf of plain string, number and boolean schemas", where)
		}
		types = append(types, t)
	}
	var conds []string
	for _, t := range types {
		conds = append(conds, fmt.Sprintf("t != %q", t))
	}
	t := g.newVar("t")
	list := "a " + strings.Join(types, ", a ")
	if i := strings.LastIndex(list, ", "); i >= 0 {
		list = list[:i] + " or" + list[i+1:]
	}
	g.p("if t := jsonTypeOf(%s.union); %s { v.add(%s, %q, t) }", x, strings.Join(conds, " && "), field,
		"must be "+list+" (oneOf), got %s")
	_ = t
	return nil
}

func isEmptySchema(s *openapi3.Schema) bool {
	return s.IsEmpty()
}

// pattern registers a pattern and returns its index.
func (g *ruleGen) pattern(where, p string) (int, error) {
	for i, q := range g.patterns {
		if q == p {
			return i, nil
		}
	}
	if _, err := syntax.Parse(p, syntax.Perl); err != nil {
		return 0, fmt.Errorf("%s: pattern %q: %w", where, p, err)
	}
	g.patterns = append(g.patterns, p)
	return len(g.patterns) - 1, nil
}

// patternFuncs writes matchPattern<i> for every pattern: a table-driven byte
// matcher when the pattern is a fixed-length sequence of ASCII classes
// (UUIDs, currency codes), regexp otherwise. Both are exact: a fuzz test
// compares them with regexp.
func (g *ruleGen) patternFuncs() {
	for i, p := range g.patterns {
		g.p("// matchPattern%d reports whether s matches %s.", i, p)
		if classes, pos, ok := fixedClasses(p); ok {
			var cl []string
			for _, c := range classes {
				cl = append(cl, fmt.Sprintf("{%#x, %#x, %#x, %#x}", c[0], c[1], c[2], c[3]))
			}
			g.p("func matchPattern%d(s string) bool { return matchFixed(s, pattern%dClasses, %q) }", i, i, string(pos))
			g.p("var pattern%dClasses = [][4]uint64{%s}", i, strings.Join(cl, ", "))
		} else {
			g.p("func matchPattern%d(s string) bool { return pattern%dRegexp.MatchString(s) }", i, i)
			g.p("var pattern%dRegexp = regexp.MustCompile(%q)", i, p)
		}
	}
	g.p("// Patterns lists every pattern openapi.yaml states, with the function")
	g.p("// the rules use to match it (for tests that compare them with regexp).")
	g.p("var Patterns = []struct{ Pattern string; Match func(string) bool }{")
	for i, p := range g.patterns {
		g.p("{%q, matchPattern%d},", p, i)
	}
	g.p("}")
}

// fixedClasses compiles ^(class|literal)*$ with ASCII-only classes into one
// byte class per position.
func fixedClasses(p string) (classes [][4]uint64, pos []byte, ok bool) {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return nil, nil, false
	}
	re = re.Simplify()
	var flat []*syntax.Regexp
	var flatten func(r *syntax.Regexp)
	flatten = func(r *syntax.Regexp) {
		if r.Op == syntax.OpConcat {
			for _, s := range r.Sub {
				flatten(s)
			}
			return
		}
		flat = append(flat, r)
	}
	flatten(re)
	if len(flat) < 2 || flat[0].Op != syntax.OpBeginText || flat[len(flat)-1].Op != syntax.OpEndText {
		return nil, nil, false
	}
	add := func(c [4]uint64) {
		for i, x := range classes {
			if x == c {
				pos = append(pos, byte(i))
				return
			}
		}
		classes = append(classes, c)
		pos = append(pos, byte(len(classes)-1))
	}
	for _, r := range flat[1 : len(flat)-1] {
		switch {
		case r.Op == syntax.OpLiteral && r.Flags&syntax.FoldCase == 0:
			for _, c := range r.Rune {
				if c >= 128 {
					return nil, nil, false
				}
				var set [4]uint64
				set[c>>6] |= 1 << (c & 63)
				add(set)
			}
		case r.Op == syntax.OpCharClass:
			var set [4]uint64
			for i := 0; i+1 < len(r.Rune); i += 2 {
				lo, hi := r.Rune[i], r.Rune[i+1]
				if hi >= 128 {
					return nil, nil, false
				}
				for c := lo; c <= hi; c++ {
					set[c>>6] |= 1 << (c & 63)
				}
			}
			add(set)
		default:
			return nil, nil, false
		}
	}
	return classes, pos, len(classes) < 256
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// excl reports an OpenAPI 3.0 exclusiveMinimum/exclusiveMaximum: true.
func excl(b openapi3.ExclusiveBound) bool { return b.Bool != nil && *b.Bool }

// onlyDocs reports whether s says nothing but a description or example.
func onlyDocs(s *openapi3.Schema) bool {
	c := *s
	c.Description, c.Example, c.Extensions = "", nil, nil
	return c.IsEmpty()
}

func hasStringRules(s *openapi3.Schema) bool {
	return s.MinLength > 0 || s.MaxLength != nil || s.Pattern != "" || s.Format != "" || len(s.Enum) > 0
}
