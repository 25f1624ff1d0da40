package contract

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
)

// maxCapture bounds the response body a Middleware keeps to check in report
// mode; a larger body is passed on but its check is skipped.
const maxCapture = 8 << 20

// Middleware is an http.Handler that checks every exchange with Next against
// the contract, on the provider side: in front of a real implementation of
// the API, or of a fake.
//
// In strict mode (Report nil) a request that violates the contract is
// answered 400 in ChartMogul's shape, {"code":400,"message":"...","param":"..."}
// with param naming the field at fault, and never reaches Next; a response
// from Next that violates the contract is replaced by a 500 naming the
// violation, so the provider cannot drift unnoticed. Responses are buffered
// in full to be checked before anything is sent.
//
// In report mode every request reaches Next, every response is passed on as
// it is written (Flush and Hijack work), and Report receives the violations
// of each exchange that has any. A request no operation matches, such as a
// health check, goes to Next unchecked in both modes; in report mode it is
// reported.
type Middleware struct {
	// Contract is the contract to check against; required.
	Contract *Contract
	// Next serves the requests; required.
	Next http.Handler
	// Report, when set, selects report mode and receives the violations of
	// each exchange. It may be called from several goroutines at once.
	Report func(*Error)
}

// ServeHTTP implements http.Handler.
func (m *Middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m.Contract == nil || m.Next == nil {
		writeProblem(w, http.StatusInternalServerError, "contract: Middleware needs a Contract and a Next handler", "")
		return
	}
	in, err := ReadRequest(r)
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "the request body cannot be read", "")
		return
	}
	ctx := context.WithoutCancel(r.Context())
	var reqErr *Error
	if err := m.Contract.ValidateRequest(ctx, in); err != nil && !errors.As(err, &reqErr) {
		writeProblem(w, http.StatusInternalServerError, "contract: "+err.Error(), "")
		return
	}
	if reqErr != nil && reqErr.Operation == "" { // no operation matches: not the API's
		if m.Report != nil {
			m.Report(reqErr)
		}
		m.Next.ServeHTTP(w, r)
		return
	}
	if m.Report == nil {
		m.strict(w, r, in, reqErr)
		return
	}
	rec := &teeWriter{w: w}
	m.Next.ServeHTTP(rec, r)
	if rec.status == 0 && !rec.hijacked {
		rec.WriteHeader(http.StatusOK)
	}
	var respErr *Error
	if !rec.hijacked && !rec.overflow {
		resp := Response{Status: rec.status, Header: w.Header(), Body: rec.body.Bytes()}
		if err := m.Contract.ValidateResponse(ctx, in, resp); err != nil {
			_ = errors.As(err, &respErr)
		}
	}
	switch {
	case reqErr != nil && respErr != nil:
		reqErr.Status = respErr.Status
		reqErr.add(respErr.Violations...)
		m.Report(reqErr)
	case reqErr != nil:
		reqErr.Status = rec.status
		m.Report(reqErr)
	case respErr != nil:
		m.Report(respErr)
	}
}

func (m *Middleware) strict(w http.ResponseWriter, r *http.Request, in Request, reqErr *Error) {
	if reqErr != nil {
		v := reqErr.Violations[0]
		status := http.StatusBadRequest
		if v.Part == PartSecurity {
			status = http.StatusUnauthorized
		}
		writeProblem(w, status, reqErr.Error(), v.Param())
		return
	}
	rec := &bufferWriter{header: http.Header{}}
	m.Next.ServeHTTP(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	resp := Response{Status: rec.status, Header: rec.header, Body: rec.body.Bytes()}
	if err := m.Contract.ValidateResponse(context.WithoutCancel(r.Context()), in, resp); err != nil {
		writeProblem(w, http.StatusInternalServerError, "the response violates the contract: "+err.Error(), "")
		return
	}
	h := w.Header()
	for k, v := range rec.header {
		h[k] = v
	}
	h.Set("Content-Length", strconv.Itoa(rec.body.Len()))
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
}

// writeProblem writes ChartMogul's {"code":...,"message":...,"param":...} shape.
func writeProblem(w http.ResponseWriter, status int, message, param string) {
	body, _ := json.Marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Param   string `json:"param,omitempty"`
	}{status, message, param})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// bufferWriter holds a whole response (strict mode).
type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header { return b.header }

func (b *bufferWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferWriter) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// teeWriter passes a response on and keeps a copy of its body (report mode).
type teeWriter struct {
	w        http.ResponseWriter
	status   int
	body     bytes.Buffer
	overflow bool
	hijacked bool
}

func (t *teeWriter) Header() http.Header { return t.w.Header() }

func (t *teeWriter) WriteHeader(status int) {
	if t.status == 0 {
		t.status = status
		t.w.WriteHeader(status)
	}
}

func (t *teeWriter) Write(p []byte) (int, error) {
	t.WriteHeader(http.StatusOK)
	if !t.overflow {
		if t.body.Len()+len(p) > maxCapture {
			t.overflow = true
			t.body.Reset()
		} else {
			t.body.Write(p)
		}
	}
	return t.w.Write(p)
}

// FlushError flushes the response written so far (http.ResponseController
// and http.Flusher callers reach it).
func (t *teeWriter) FlushError() error {
	t.WriteHeader(http.StatusOK)
	return http.NewResponseController(t.w).Flush()
}

// Flush implements http.Flusher.
func (t *teeWriter) Flush() { _ = t.FlushError() }

// Hijack hands the connection to the handler; the exchange is then not checked.
func (t *teeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	t.hijacked = true
	return http.NewResponseController(t.w).Hijack()
}

// Unwrap lets http.ResponseController reach the deadlines underneath.
func (t *teeWriter) Unwrap() http.ResponseWriter { return t.w }
