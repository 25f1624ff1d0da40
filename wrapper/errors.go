package wrapper

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mogulkit/opportunities/internal/safetext"
)

// ErrBodyTooLarge is the cause (see [APIError.Unwrap]) when a response body is
// larger than the client's cap (see [WithMaxResponseBytes]). The body beyond
// the cap is never read.
var ErrBodyTooLarge = errors.New("response body exceeds the size cap")

// maxErrorBody is how much of a response body an [APIError] keeps.
const maxErrorBody = 8 << 10

// APIError is the error for every response that is not a usable success: a
// non-2xx status, or a 2xx whose body does not decode. It keeps what the server
// said in whatever shape it said it.
type APIError struct {
	// StatusCode is the HTTP status, e.g. 404.
	StatusCode int
	// Method and Path name the request, e.g. "GET" and "/v1/opportunities/…".
	Method string
	Path   string
	// Message is the server's main message, if the body had one.
	Message string
	// Code is the body's "code" (e.g. "400" or "blank"), if any.
	Code string
	// Param is the request parameter the server blamed, if any.
	Param string
	// Fields lists messages per field from `{"errors": {...}}`, Rails-style
	// bodies and "error_details".
	Fields map[string][]string
	// RequestID is the request id response header, when present.
	RequestID string
	// Body is the raw response body, cut to 8 KiB.
	Body []byte
	// ContentType is the response's Content-Type header.
	ContentType string
	// Attempts is how many times the request was sent (1 without retries).
	Attempts int
	// Err is the underlying cause, when the problem is the body itself (it
	// did not decode, or exceeded the cap); nil for a plain error status.
	Err error

	// earlierMayHaveApplied records that an earlier attempt of the same call
	// may have been acted on (see MayHaveBeenApplied).
	earlierMayHaveApplied bool
	// red redacts the client's key from every printed form of the error.
	red *safetext.Redactor
}

// Limits on what [APIError.Error] prints of the server's text, in bytes. A
// longer text is cut and marked "…[cut]"; the fields keep more (see
// maxErrorBody).
const (
	maxErrorMessage = 1 << 10 // the message, the per-field messages together, the cause
	maxErrorToken   = 128     // code, param, request id
	maxErrorPath    = 256
)

// Error returns a one-line description: method, path, status and message. It
// never includes an HTML page or anything from the request's headers. What
// the server sent is made inert: control characters and escape sequences are
// escaped (\x1b), and the message is cut at about 1 KiB.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("chartmogul: ")
	b.WriteString(safetext.Escape(e.Method, maxErrorToken))
	b.WriteByte(' ')
	b.WriteString(safetext.Escape(e.Path, maxErrorPath))
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(safetext.Escape(e.Message, maxErrorMessage))
	}
	if e.Param != "" && !strings.Contains(e.Message, e.Param) {
		b.WriteString(" (param ")
		b.WriteString(safetext.Escape(e.Param, maxErrorToken))
		b.WriteByte(')')
	}
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var f strings.Builder
		for i, k := range keys {
			if i > 0 {
				f.WriteString("; ")
			}
			f.WriteString(k)
			f.WriteString(": ")
			f.WriteString(strings.Join(e.Fields[k], ", "))
			if f.Len() > maxErrorMessage {
				break
			}
		}
		b.WriteString(": ")
		b.WriteString(safetext.Escape(f.String(), maxErrorMessage))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(safetext.Escape(e.Err.Error(), maxErrorMessage))
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if e.RequestID != "" {
		b.WriteString(" [request id ")
		b.WriteString(safetext.Escape(e.RequestID, maxErrorToken))
		b.WriteByte(']')
	}
	// The fields hold no form of the key already; this also covers a form
	// that only appears once the parts are joined.
	return e.red.String(b.String())
}

// GoString is the %#v form, with the client's key redacted like Error.
func (e *APIError) GoString() string {
	type apiError APIError // the same fields, without the methods
	return e.red.String("&wrapper.APIError" + strings.TrimPrefix(fmt.Sprintf("%#v", (*apiError)(e)), "&wrapper.apiError"))
}

// Unwrap returns the underlying cause, if any.
func (e *APIError) Unwrap() error { return e.Err }

// newAPIError builds the error for a response, parsing the body in any of the
// shapes ChartMogul uses.
func newAPIError(method, path string, status int, header http.Header, body []byte, cause error) *APIError {
	return buildAPIError(nil, method, path, status, header, body, cause)
}

// buildAPIError is newAPIError with every form of the key red knows
// replaced, in the body and in everything taken from it or from the headers,
// before anything is cut: nothing the server echoes of the key is kept.
func buildAPIError(red *safetext.Redactor, method, path string, status int, header http.Header, body []byte, cause error) *APIError {
	e := &APIError{
		StatusCode:  status,
		Method:      method,
		Path:        path,
		ContentType: red.String(header.Get("Content-Type")),
		RequestID:   red.String(firstHeader(header, "X-Request-Id", "Request-Id", "X-Chartmogul-Request-Id")),
		Err:         redactCause(red, cause),
		Attempts:    1,
		red:         red,
	}
	if red.Active() {
		body = red.Bytes(body)
		if cause != nil { // cut at the cap or by a dropped connection: maybe mid-key
			body = red.TrimPartial(body)
		}
	}
	if len(body) > maxErrorBody {
		e.Body = bytes.Clone(body[:maxErrorBody])
	} else {
		e.Body = bytes.Clone(body)
	}
	if cause == nil || status < 200 || status > 299 {
		parseErrorBody(e, body)
	}
	// What the body held escaped (a key written with \u escapes, say) is
	// redacted once decoded; and no text is kept whole beyond the body's cap.
	e.Message = truncate(red.String(e.Message), maxErrorBody)
	e.Code = truncate(red.String(e.Code), maxErrorBody)
	e.Param = truncate(red.String(e.Param), maxErrorBody)
	if red.Active() && len(e.Fields) > 0 {
		fields := make(map[string][]string, len(e.Fields))
		for k, msgs := range e.Fields {
			k = red.String(k)
			for _, m := range msgs {
				fields[k] = append(fields[k], truncate(red.String(m), maxErrorBody))
			}
		}
		e.Fields = fields
	}
	return e
}

// redactCause returns cause, or when its text carries a form of the key, an
// error with the same text redacted that still unwraps to what errors.Is
// looks for in the client's own causes.
func redactCause(red *safetext.Redactor, cause error) error {
	if cause == nil || !red.Active() {
		return cause
	}
	msg := cause.Error()
	if clean := red.String(msg); clean != msg {
		return &redactedError{msg: clean, sentinel: causeSentinel(cause)}
	}
	return cause
}

// causeSentinel returns the client's own marker in err, for errors.Is and
// errors.As to keep working once err's text is replaced.
func causeSentinel(err error) error {
	var readErr *bodyReadError
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return ErrBodyTooLarge
	case errors.As(err, &readErr):
		return &bodyReadError{errors.New("the connection failed")}
	}
	return nil
}

// redactedError is an error whose text had the API key in it: the text is
// kept redacted, the error it came from is dropped (its text, reachable by
// unwrapping, would still hold the key).
type redactedError struct {
	msg      string
	sentinel error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.sentinel }

func firstHeader(h http.Header, names ...string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// parseErrorBody fills Message, Code, Param and Fields from a body in any
// known shape; a body that is not JSON gives at most a short plain-text line.
func parseErrorBody(e *APIError, body []byte) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return
	}
	mt, _, _ := mime.ParseMediaType(e.ContentType)
	if body[0] == '{' {
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) == nil {
			parseErrorObject(e, m)
			return
		}
	}
	if mt == "text/html" || bytes.HasPrefix(body, []byte("<")) {
		return // an HTML page is kept in Body, never in Message
	}
	if mt == "text/plain" || mt == "" {
		line, _, _ := strings.Cut(string(body), "\n")
		e.Message = truncate(strings.TrimSpace(line), 200)
	}
}

func parseErrorObject(e *APIError, m map[string]json.RawMessage) {
	// Known keys in a fixed order: "message" wins over "error", which wins
	// over a flat "errors" string.
	if raw, ok := m["errors"]; ok {
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) == nil {
			for f, v := range fields {
				e.addField(f, messages(v)...)
			}
		} else if msgs := messages(raw); len(msgs) > 0 {
			e.Message = strings.Join(msgs, "; ")
		}
	}
	for _, k := range []string{"error", "message"} {
		if s := jsonString(m[k]); s != "" {
			e.Message = s
		}
	}
	e.Code = jsonString(m["code"])
	e.Param = jsonString(m["param"])
	if raw, ok := m["error_details"]; ok {
		var details []struct {
			Param   string `json:"param"`
			Message string `json:"message"`
		}
		if json.Unmarshal(raw, &details) == nil {
			for _, d := range details {
				if d.Param != "" && d.Message != "" {
					e.addField(d.Param, d.Message)
				}
			}
		}
	}
	// Rails style: {"name": ["Name can't be blank"]}.
	for k, raw := range m {
		switch k {
		case "error", "errors", "message", "code", "param", "error_details":
			continue
		}
		if len(raw) > 0 && raw[0] == '[' {
			e.addField(k, messages(raw)...)
		}
	}
}

// addField records messages for a field, once each (Rails bodies repeat
// their messages in error_details).
func (e *APIError) addField(field string, msgs ...string) {
	for _, m := range msgs {
		if slices.Contains(e.Fields[field], m) {
			continue
		}
		if e.Fields == nil {
			e.Fields = map[string][]string{}
		}
		e.Fields[field] = append(e.Fields[field], m)
	}
}

// jsonString renders a JSON scalar as text: strings unquoted, numbers as written.
func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return string(raw)
	}
	return ""
}

// messages reads a string or a list of strings.
func messages(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// FieldError is one problem with one field of the input.
type FieldError struct {
	// Field is the API's name for the field, e.g. "win_likelihood" or
	// "custom.seats".
	Field string
	// Problem says what is wrong, e.g. "must be between 0 and 100, got 101".
	Problem string
}

// ValidationError lists every problem found in the input before any request
// was sent. Nothing was sent.
type ValidationError struct {
	// Problems holds one entry per problem, in field order.
	Problems []FieldError
}

// Error lists every problem: "invalid input: field: problem; field: problem".
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("chartmogul: invalid input (nothing was sent): ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Field)
		b.WriteString(": ")
		b.WriteString(p.Problem)
	}
	return b.String()
}

// Field returns the problem reported for the named field, if any.
func (e *ValidationError) Field(name string) (string, bool) {
	for _, p := range e.Problems {
		if p.Field == name {
			return p.Problem, true
		}
	}
	return "", false
}

func statusOf(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is an API error with status 404.
func IsNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// IsUnauthorized reports whether err is an API error with status 401 (a
// missing or wrong API key).
func IsUnauthorized(err error) bool { return statusOf(err) == http.StatusUnauthorized }

// IsForbidden reports whether err is an API error with status 403 (for
// example, the key's user has no CRM seat).
func IsForbidden(err error) bool { return statusOf(err) == http.StatusForbidden }

// IsRateLimited reports whether err is an API error with status 429.
func IsRateLimited(err error) bool { return statusOf(err) == http.StatusTooManyRequests }

// IsValidation reports whether err says the input was invalid: a
// [*ValidationError] found before sending, or an API error with status 400 or
// 422.
func IsValidation(err error) bool {
	var v *ValidationError
	if errors.As(err, &v) {
		return true
	}
	s := statusOf(err)
	return s == http.StatusBadRequest || s == http.StatusUnprocessableEntity
}

// IsServerError reports whether err is an API error with a 5xx status.
func IsServerError(err error) bool { s := statusOf(err); return s >= 500 && s <= 599 }
