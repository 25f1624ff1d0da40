package chartmogultest

import (
	"fmt"
	"net/http"
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
}

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
		resp = faultResponse(f)
	}
	for k, v := range f.Header {
		resp.header[k] = v
	}
	deliver(w, resp, f.TruncateBody)
}

func faultResponse(f Fault) *recorder {
	rec := newRecorder()
	if f.EmptyBody {
		rec.WriteHeader(f.Status)
		return rec
	}
	if f.Body == "" {
		writeError(rec, f.Status, http.StatusText(f.Status), "")
		return rec
	}
	ct := "text/plain; charset=utf-8"
	if b := strings.TrimSpace(f.Body); strings.HasPrefix(b, "{") || strings.HasPrefix(b, "[") {
		ct = "application/json"
	}
	rec.header.Set("Content-Type", ct)
	rec.WriteHeader(f.Status)
	rec.body.WriteString(f.Body)
	return rec
}

// deliver sends a recorded response, or with truncate only the first half of
// its body after a Content-Length for all of it, then closes the connection.
func deliver(w http.ResponseWriter, resp *recorder, truncate bool) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	body := resp.body.Bytes()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	status := resp.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	if !truncate {
		_, _ = w.Write(body)
		return
	}
	_, _ = w.Write(body[:len(body)/2])
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
