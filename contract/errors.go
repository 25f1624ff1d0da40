package contract

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Part says where in an exchange a violation is.
type Part string

// The parts of an exchange.
const (
	PartRoute          Part = "route"           // no operation matches the method and path
	PartSecurity       Part = "security"        // the request's authentication
	PartPath           Part = "path"            // a path parameter
	PartQuery          Part = "query"           // a query parameter
	PartHeader         Part = "header"          // a request header
	PartRequestBody    Part = "request body"    // the request body
	PartStatus         Part = "status"          // the response status
	PartResponseHeader Part = "response header" // a response header
	PartResponseBody   Part = "response body"   // the response body
)

// Violation is one way an exchange breaks the contract.
type Violation struct {
	// Part is where the violation is.
	Part Part
	// Field names the value at fault: a parameter or header name, or a
	// path into a JSON body such as "win_likelihood", "custom[0].value" or
	// "entries[1].created_at" (the missing property itself, for "required").
	// It is empty when the violation concerns the whole part.
	Field string
	// Rule is the schema keyword that failed ("required", "type", "maximum",
	// "pattern", "format", "enum", "oneOf", ...) or one of "route",
	// "security", "status", "content-type", "body" (a body that cannot be
	// read as its media type or is missing) and "duplicate" (a JSON key twice
	// in one object, or a query parameter given twice).
	Rule string
	// Message says what is wrong, without echoing the value.
	Message string
}

// String formats the violation as "PART FIELD: RULE: MESSAGE".
func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(string(v.Part))
	if v.Field != "" {
		b.WriteString(" " + v.Field)
	}
	b.WriteString(": ")
	if v.Rule != "" && v.Rule != string(v.Part) && !strings.HasPrefix(v.Message, v.Rule) {
		b.WriteString(v.Rule + ": ")
	}
	b.WriteString(v.Message)
	return b.String()
}

// Error is returned by the Validate methods, and by Transport and Middleware
// in strict mode, when an exchange violates the contract. It lists every
// violation found.
type Error struct {
	// Operation is the operationId matched, or "" when none matches.
	Operation string
	// Method and URL identify the request; the URL carries no password.
	Method, URL string
	// Status is the response status, or 0 when only a request was checked.
	Status int
	// Violations lists every violation, request ones first.
	Violations []Violation
}

// Error lists every violation on one line.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "contract: %s %s", e.Method, e.URL)
	if e.Operation != "" {
		fmt.Fprintf(&b, " (%s)", e.Operation)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, " -> %d", e.Status)
	}
	n := len(e.Violations)
	if n == 1 {
		b.WriteString(": 1 violation of openapi.yaml: ")
	} else {
		fmt.Fprintf(&b, ": %d violations of openapi.yaml: ", n)
	}
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.String())
	}
	return b.String()
}

// InRequest reports whether some violation is in the request.
func (e *Error) InRequest() bool {
	for _, v := range e.Violations {
		if v.Part.inRequest() {
			return true
		}
	}
	return false
}

func (p Part) inRequest() bool {
	switch p {
	case PartStatus, PartResponseHeader, PartResponseBody:
		return false
	}
	return true
}

// Param returns Field the way ChartMogul's error bodies name a parameter
// ({"param": "custom[0][value]"}): a body field "custom[0].value" becomes
// "custom[0][value]"; parameter and header names are kept as they are.
func (v Violation) Param() string {
	if v.Part != PartRequestBody && v.Part != PartResponseBody {
		return v.Field
	}
	segs := strings.FieldsFunc(v.Field, func(r rune) bool { return r == '.' || r == '[' || r == ']' })
	if len(segs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(segs[0])
	for _, s := range segs[1:] {
		b.WriteString("[" + s + "]")
	}
	return b.String()
}

func (e *Error) add(v ...Violation) { e.Violations = append(e.Violations, v...) }

func (e *Error) orNil() error {
	if len(e.Violations) == 0 {
		return nil
	}
	return e
}

var (
	missingProperty     = regexp.MustCompile(`^property "(.*)" is missing$`)
	unsupportedProperty = regexp.MustCompile(`^property "(.*)" is unsupported$`)
)

// collect turns kin-openapi's errors into violations.
func collect(err error, request bool) []Violation {
	var out []Violation
	var walk func(err error, part Part, field string)
	walk = func(err error, part Part, field string) {
		var me openapi3.MultiError
		var reqErr *openapi3filter.RequestError
		var respErr *openapi3filter.ResponseError
		var secErr *openapi3filter.SecurityRequirementsError
		var schemaErr *openapi3.SchemaError
		var routeErr *routers.RouteError
		switch {
		case errors.As(err, &me) && isMulti(err):
			for _, e := range me {
				walk(e, part, field)
			}
		case errors.As(err, &secErr):
			msg := "the security requirement is not met"
			if len(secErr.Errors) > 0 {
				msg = secErr.Errors[0].Error()
			}
			out = append(out, Violation{Part: PartSecurity, Rule: "security", Message: msg})
		case errors.As(err, &reqErr):
			p, f := PartRequestBody, ""
			if prm := reqErr.Parameter; prm != nil {
				p, f = paramPart(prm.In), prm.Name
			}
			if reqErr.Err == nil {
				out = append(out, leaf(p, f, reqErr.Reason))
				return
			}
			if !hasSchemaError(reqErr.Err) && reqErr.Reason != "" {
				out = append(out, leaf(p, f, reqErr.Reason+": "+reqErr.Err.Error()))
				return
			}
			walk(reqErr.Err, p, f)
		case errors.As(err, &respErr):
			if respErr.Reason == "status is not supported" {
				out = append(out, Violation{Part: PartStatus, Rule: "status", Message: "the status is not documented for this operation"})
				return
			}
			p, f := PartResponseBody, ""
			if strings.HasPrefix(respErr.Reason, "response header") {
				p = PartResponseHeader
				if name, ok := quoted(respErr.Reason); ok {
					f = name
				} else if strings.Contains(respErr.Reason, "Content-Type") {
					f = "Content-Type"
				}
			}
			if respErr.Err == nil || !hasSchemaError(respErr.Err) {
				msg := respErr.Reason
				if respErr.Err != nil {
					msg = strings.TrimPrefix(msg+": "+respErr.Err.Error(), ": ")
				}
				out = append(out, leaf(p, f, msg))
				return
			}
			walk(respErr.Err, p, f)
		case errors.As(err, &schemaErr):
			out = append(out, schemaViolation(schemaErr, part, field))
		case errors.As(err, &routeErr):
			out = append(out, Violation{Part: PartRoute, Rule: "route", Message: routeErr.Reason})
		default:
			if part == "" {
				part = PartRequestBody
				if !request {
					part = PartResponseBody
				}
			}
			out = append(out, leaf(part, field, firstLine(err.Error())))
		}
	}
	walk(err, "", "")
	return out
}

// isMulti reports whether err itself is a MultiError (errors.As would also
// find one deeper down, under a RequestError).
func isMulti(err error) bool {
	_, ok := err.(openapi3.MultiError)
	return ok
}

func hasSchemaError(err error) bool {
	var se *openapi3.SchemaError
	return errors.As(err, &se)
}

// leaf is a violation that is not a schema error: a missing or undecodable
// body, a wrong Content-Type.
func leaf(p Part, field, msg string) Violation {
	rule := "body"
	switch {
	case (p == PartRequestBody || p == PartResponseBody) && strings.Contains(msg, "is required"):
		rule = "required"
	case strings.Contains(msg, "Content-Type"):
		rule, field = "content-type", "Content-Type"
		if p == PartRequestBody {
			p = PartHeader
		}
	case p != PartRequestBody && p != PartResponseBody:
		rule = "value"
		if strings.Contains(msg, "required") {
			rule = "required"
		}
	}
	return Violation{Part: p, Field: field, Rule: rule, Message: firstLine(msg)}
}

func schemaViolation(se *openapi3.SchemaError, part Part, field string) Violation {
	path := se.JSONPointer()
	reason := se.Reason
	// kin-openapi points a "required" error at the missing property and an
	// "unsupported" one at its object: name the property in both.
	for _, re := range []*regexp.Regexp{missingProperty, unsupportedProperty} {
		if m := re.FindStringSubmatch(reason); m != nil && (len(path) == 0 || path[len(path)-1] != m[1]) {
			path = append(path, m[1])
		}
	}
	if field == "" {
		field = jsonPath(path)
	} else if len(path) > 0 {
		field += "." + jsonPath(path)
	}
	if reason == "" {
		reason = fmt.Sprintf("does not satisfy %q", se.SchemaField)
	}
	return Violation{Part: part, Field: field, Rule: se.SchemaField, Message: firstLine(reason)}
}

// jsonPath writes a JSON pointer's segments as "a.b[0].c".
func jsonPath(segs []string) string {
	var b strings.Builder
	for _, s := range segs {
		if _, err := strconv.Atoi(s); err == nil && b.Len() > 0 {
			b.WriteString("[" + s + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

func paramPart(in string) Part {
	switch in {
	case openapi3.ParameterInPath:
		return PartPath
	case openapi3.ParameterInQuery:
		return PartQuery
	}
	return PartHeader
}

func quoted(s string) (string, bool) {
	i := strings.IndexByte(s, '"')
	if i < 0 {
		return "", false
	}
	j := strings.IndexByte(s[i+1:], '"')
	if j < 0 {
		return "", false
	}
	return s[i+1 : i+1+j], true
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
