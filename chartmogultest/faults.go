package chartmogultest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Operation names one of the five operations by its operationId in openapi.yaml.
type Operation string

// The operations of the Opportunities API.
const (
	OpCreate   Operation = "createOpportunity"
	OpList     Operation = "listOpportunities"
	OpRetrieve Operation = "retrieveOpportunity"
	OpUpdate   Operation = "updateOpportunity"
	OpDelete   Operation = "deleteOpportunity"
)

func (op Operation) valid() bool {
	switch op {
	case OpCreate, OpList, OpRetrieve, OpUpdate, OpDelete:
		return true
	}
	return false
}

// Fault scripts how the server misbehaves on the next requests to an
// operation. Faults apply after the concurrency limit, authentication and the
// rate limit (a request rejected by those does not consume a fault) and before
// request validation.
//
// In order: Delay waits; then DropConnection, else Status, else the real
// response decides what is sent; Header is added to it and TruncateBody cuts it.
type Fault struct {
	// Times is how many of the next requests to the operation the fault
	// applies to; 0 means 1.
	Times int
	// Status, when set, replaces the response: Status with Header and Body.
	Status int
	// Header is added to the response sent, the fault's or the real one.
	Header http.Header
	// Body is the body sent with Status. When empty it is ChartMogul's
	// {"code":Status,"message":"<status text>"}. Its Content-Type is
	// application/json when it starts with '{' or '[', else text/plain,
	// unless Header sets one.
	Body string
	// EmptyBody sends Status with no body at all (and no Content-Type unless
	// Header sets one), as proxies and overloaded servers sometimes do.
	EmptyBody bool
	// Delay is waited before anything else. It ends early, closing the
	// connection without a response, when the client gives up or the server
	// is closed.
	Delay time.Duration
	// DropConnection closes the connection without sending a response.
	//
	// Go's http.Transport silently retries an idempotent request (GET,
	// DELETE...) that fails this way on a reused keep-alive connection, and the
	// retry is a new request that consumes the next fault: use Times >= 2, a
	// POST or PATCH, or disable keep-alives to make such a client see the error.
	DropConnection bool
	// TruncateBody sends a Content-Length for the whole body but only its
	// first half, then closes the connection. The request is processed
	// normally, so a create or update is applied.
	TruncateBody bool
	// Apply makes Status and DropConnection happen after the request was
	// processed and applied to the store, modelling "the server did it but the
	// response was lost". By default the request is not processed.
	Apply bool

	// The misbehaviours of a hostile or broken server or proxy, to check that
	// nothing it sends gets out of your code.

	// EchoAuthorization makes the error message sent with Status (Body empty)
	// repeat the request's credentials, as a careless server or proxy does: the
	// Authorization header ("Basic " and the base64 of "key:"), the key
	// itself and the key URL-encoded. In a Body, "{{authorization}}" and
	// "{{api_key}}" are replaced by the header and the key.
	EchoAuthorization bool
	// MessageBytes pads the error message sent with Status (Body empty) to at
	// least this many bytes.
	MessageBytes int
	// EscapeSequences puts terminal escape sequences in the error message
	// sent with Status (Body empty): clear the screen, set the window title,
	// ring the bell, an 8-bit CSI and a forged log line.
	EscapeSequences bool
	// OmitFields removes these fields from the JSON object sent, the real
	// response or the fault's: "uuid" from an opportunity, "entries" or
	// "has_more" from a list page, "entries.uuid" from each entry of a page.
	// With no Status the request is processed normally, so a create is
	// applied although its response lacks the field.
	OmitFields []string
	// DeclaredLength sends this Content-Length (when it is larger than the
	// body), then the body, then closes the connection: a client that sizes
	// its buffer from the declared length can be made to allocate it.
	DeclaredLength int64
}

// EscapeSequences is what Fault.EscapeSequences puts in a message.
const EscapeSequences = "\x1b[2J\x1b[H\x1b]0;pwned\x07\u009b31m\r\nlevel=INFO msg=forged"

// Inject queues f for the next requests to op. Faults of one operation are
// consumed first in, first out. Inject panics if op is not one of the five
// operations.
func (s *Server) Inject(op Operation, f Fault) {
	if !op.valid() {
		panic(fmt.Sprintf("chartmogultest: Inject: unknown operation %q", op))
	}
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = append(s.faults[op], f)
}

// ClearFaults removes every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[Operation][]Fault{}
}

// takeFault consumes one use of the next fault of op.
func (s *Server) takeFault(op Operation) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[op]
	if len(q) == 0 {
		return Fault{}, false
	}
	f := q[0]
	if q[0].Times--; q[0].Times == 0 {
		s.faults[op] = q[1:]
	}
	return f, true
}

// serveOperation applies the next fault, if any, around process.
func (s *Server) serveOperation(w http.ResponseWriter, r *http.Request, ex *exchange) {
	f, _ := s.takeFault(ex.op)
	if f.Delay > 0 {
		timer := time.NewTimer(f.Delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			hijackAndClose(w)
			return
		case <-s.closing:
			hijackAndClose(w) // returning would send an empty 200
			return
		}
	}
	var resp *recorder
	if f.Apply || (f.Status == 0 && !f.DropConnection) {
		resp = s.process(r, ex)
	}
	switch {
	case f.DropConnection:
		hijackAndClose(w)
		return
	case f.Status != 0:
		resp = faultResponse(f, r)
	}
	for k, v := range f.Header {
		resp.header[k] = v
	}
	if len(f.OmitFields) > 0 {
		omitFields(resp, f.OmitFields)
	}
	deliver(w, resp, f)
}

func faultResponse(f Fault, r *http.Request) *recorder {
	rec := newRecorder()
	if f.EmptyBody {
		rec.WriteHeader(f.Status)
		return rec
	}
	auth := r.Header.Get("Authorization")
	user, _, _ := r.BasicAuth()
	if f.Body == "" {
		msg := http.StatusText(f.Status)
		if f.EscapeSequences {
			msg += " " + EscapeSequences
		}
		if f.EchoAuthorization {
			msg += fmt.Sprintf(" (Authorization: %s; user %s; user URL-encoded %s)", auth, user, url.QueryEscape(user))
		}
		if n := f.MessageBytes - len(msg); n > 0 {
			msg += " " + strings.Repeat("x", n-1)
		}
		writeError(rec, f.Status, msg, "")
		return rec
	}
	body := f.Body
	if f.EchoAuthorization {
		body = strings.NewReplacer("{{authorization}}", auth, "{{api_key}}", user).Replace(body)
	}
	ct := "text/plain; charset=utf-8"
	if b := strings.TrimSpace(body); strings.HasPrefix(b, "{") || strings.HasPrefix(b, "[") {
		ct = "application/json"
	}
	rec.header.Set("Content-Type", ct)
	rec.WriteHeader(f.Status)
	rec.body.WriteString(body)
	return rec
}

// omitFields removes fields from a JSON object response: "name" at the top,
// "entries.name" from each entry of a list page. A body that is not an
// object is left alone.
func omitFields(resp *recorder, fields []string) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(resp.body.Bytes(), &obj) != nil || obj == nil {
		return
	}
	for _, f := range fields {
		name, ok := strings.CutPrefix(f, "entries.")
		if !ok {
			delete(obj, f)
			continue
		}
		var entries []map[string]json.RawMessage
		if json.Unmarshal(obj["entries"], &entries) != nil {
			continue
		}
		for _, e := range entries {
			delete(e, name)
		}
		obj["entries"], _ = json.Marshal(entries)
	}
	body, _ := json.Marshal(obj)
	resp.body.Reset()
	resp.body.Write(body)
}

// deliver sends a recorded response. With f.TruncateBody it sends only the
// first half of the body after a Content-Length for all of it, and with
// f.DeclaredLength the whole body after a larger Content-Length; either way
// it then closes the connection.
func deliver(w http.ResponseWriter, resp *recorder, f Fault) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	body := resp.body.Bytes()
	declared := int64(len(body))
	if f.DeclaredLength > declared {
		declared = f.DeclaredLength
	}
	h.Set("Content-Length", strconv.FormatInt(declared, 10))
	status := resp.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	switch {
	case f.TruncateBody:
		body = body[:len(body)/2]
	case declared == int64(len(body)):
		_, _ = w.Write(body)
		return
	}
	_, _ = w.Write(body)
	_ = http.NewResponseController(w).Flush()
	hijackAndClose(w)
}

// hijackAndClose closes the connection under the response. Where hijacking
// is not supported it aborts the handler, which resets the stream.
func hijackAndClose(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
