package chartmogultest

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/routers"

	"github.com/mogulkit/opportunities/generated"
)

// maxBodyBytes bounds a request body; a larger one is answered 413.
const maxBodyBytes = 1 << 20

// Server is a running fake of the ChartMogul Opportunities API. All its
// methods are safe for concurrent use.
type Server struct {
	cfg      config
	spec     *contract
	api      *http.ServeMux // the generated std-http routes over the strict handler
	hs       *http.Server
	url      string        // http://HOST:PORT
	served   chan struct{} // closed when Serve returned
	closing  chan struct{}
	connMu   sync.Mutex
	newConns map[net.Conn]bool // connections that have not sent a request yet
	closed   sync.Once
	handlers sync.WaitGroup

	mu          sync.Mutex
	store       store
	seeded      []generated.Opportunity // WithSeed's opportunities as stored at the start, for Reset
	requests    map[Operation]int
	applied     map[Operation]int
	faults      map[Operation][]Fault
	inFlight    int
	windowStart time.Time
	windowCount int
}

// NewServer starts a fake on 127.0.0.1 for the test t and closes it when the
// test ends. It calls t.Fatal if the server cannot start.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("chartmogultest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake on 127.0.0.1 outside a test (a demo program, a CLI).
// The caller must call Close.
func Start(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	spec, err := loadContract()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, spec: spec, closing: make(chan struct{}),
		requests: map[Operation]int{}, applied: map[Operation]int{}, faults: map[Operation][]Fault{},
	}
	s.seeded = s.Seed(cfg.seed...)
	s.api = s.apiMux()
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("chartmogultest: %w", err)
	}
	s.newConns = map[net.Conn]bool{}
	s.served = make(chan struct{})
	s.hs = &http.Server{
		Handler: s.handler(),
		// A client that stalls while sending its request must not hold a
		// handler (and Close) for ever.
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		IdleTimeout:       2 * time.Minute,
		ConnState:         s.connState,
		// Dropped and truncated responses are on purpose: keep the log quiet.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	s.url = "http://" + dialable(ln.Addr())
	go func() {
		defer close(s.served)
		_ = s.hs.Serve(ln)
	}()
	return s, nil
}

// apiMux routes the API's operations, under the base path, to the handler
// through the generated std-http routes and strict handler; a request they
// cannot decode is answered 400 in ChartMogul's shape.
func (s *Server) apiMux() *http.ServeMux {
	strict := generated.NewStrictHandlerWithOptions(&handler{s: s}, nil, generated.StrictHTTPServerOptions{
		RequestErrorHandlerFunc: func(w http.ResponseWriter, _ *http.Request, err error) {
			writeError(w, http.StatusBadRequest, err.Error(), "")
		},
		ResponseErrorHandlerFunc: func(w http.ResponseWriter, _ *http.Request, err error) {
			writeError(w, http.StatusInternalServerError, "chartmogultest: "+err.Error(), "")
		},
	})
	mux := http.NewServeMux()
	generated.HandlerWithOptions(strict, generated.StdHTTPServerOptions{
		BaseURL:    s.cfg.basePath,
		BaseRouter: mux,
		ErrorHandlerFunc: func(w http.ResponseWriter, _ *http.Request, err error) {
			var pe *generated.InvalidParamFormatError
			param := ""
			if errors.As(err, &pe) {
				param = pe.ParamName
			}
			writeError(w, http.StatusBadRequest, err.Error(), param)
		},
	})
	return mux
}

// The server's read timeouts: a request's header must arrive within
// ReadHeaderTimeout and the whole request within ReadTimeout. Fault delays
// are not bounded by them.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
)

// connState tracks the connections that have not sent a request yet, which
// Shutdown closes at once (http.Server would wait 5 s for them). Once the
// server is closing, a new connection is closed as soon as it is accepted.
func (s *Server) connState(c net.Conn, st http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if st != http.StateNew {
		delete(s.newConns, c)
		return
	}
	select {
	case <-s.closing:
		_ = c.Close()
	default:
		s.newConns[c] = true
	}
}

// Close stops the server. It aborts pending Fault delays, waits for the
// requests being served and is safe to call more than once. A request whose
// client stalls is bounded by ReadTimeout; use Shutdown to bound the wait.
func (s *Server) Close() { _ = s.Shutdown(context.Background()) }

// Shutdown stops the server like Close, but waits for the requests being
// served only until ctx is done: then it closes every connection, which ends
// their handlers, and returns ctx's error. It is safe to call more than once,
// and with Close: a later call waits for the first to finish and returns an
// error.
func (s *Server) Shutdown(ctx context.Context) error {
	err := errors.New("chartmogultest: the server is already closed")
	s.closed.Do(func() {
		close(s.closing)
		s.connMu.Lock()
		for c := range s.newConns {
			_ = c.Close()
		}
		s.newConns = map[net.Conn]bool{}
		s.connMu.Unlock()
		err = s.hs.Shutdown(ctx)
		if err != nil {
			_ = s.hs.Close() // the grace period is over: cut the connections left
		}
		<-s.served
		s.handlers.Wait()
	})
	return err
}

// ErrCutOff is ShutdownGrace's error when requests were still being served
// at the end of the grace period.
var ErrCutOff = errors.New("chartmogultest: requests still being served after the grace period were cut off")

// ShutdownGrace stops the server as a standalone server stops on a signal:
// the requests being served get grace to finish; then, or as soon as ctx is
// done (a second signal, say), their connections are closed. It returns nil
// when every request finished in time, ErrCutOff when grace ran out, and
// ctx's cause (see context.Cause) when ctx ended the wait; in every case the
// server is stopped and its handlers have returned. It installs no signal handler: telling a
// signal is the caller's part.
func (s *Server) ShutdownGrace(ctx context.Context, grace time.Duration) error {
	ctx, cancel := context.WithTimeoutCause(ctx, grace, ErrCutOff)
	defer cancel()
	err := s.Shutdown(ctx)
	if err != nil && ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

// URL returns the API's base URL including the base path, such as
// "http://127.0.0.1:41234/v1"; the list endpoint is URL()+"/opportunities".
func (s *Server) URL() string { return s.url + s.cfg.basePath }

// APIKey returns the API key the server accepts.
func (s *Server) APIKey() string { return s.cfg.apiKey }

// Requests returns how many requests were routed to op since the start or the
// last Reset, including those answered 401, 429, 503, 400 or by a Fault.
func (s *Server) Requests(op Operation) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[op]
}

// Applied returns how many times op succeeded against the store since the
// start or the last Reset: an opportunity was created, listed, found, updated
// or deleted. Requests rejected before the handler, or answered 404, do not
// count; a Fault with Apply or TruncateBody does.
func (s *Server) Applied(op Operation) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied[op]
}

// Reset brings the store back to the server's start: empty, or holding only
// the WithSeed opportunities as they were first stored. It clears the
// counters, the pending faults and the rate-limit window. Options are kept.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store = store{}
	s.seedLocked(s.seeded)
	s.requests, s.applied, s.faults = map[Operation]int{}, map[Operation]int{}, map[Operation][]Fault{}
	s.windowStart, s.windowCount = time.Time{}, 0
}

// serve answers one request. In order: routing (by path relative to the
// base path), the concurrency limit (503), basic auth (401), the rate limit
// (429), 404/405 for paths and methods outside the API, the next Fault of the
// operation, request validation against openapi.yaml (400), the operation,
// and response validation (500).
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	ex, routeErr := s.route(r)
	if ex != nil {
		s.mu.Lock()
		s.requests[ex.op]++
		s.mu.Unlock()
	}
	if !s.acquire() {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "Service Unavailable")
		return
	}
	defer s.release()
	if user, _, ok := r.BasicAuth(); !ok || subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.apiKey)) != 1 {
		writeError(w, http.StatusUnauthorized, "No valid API key provided", "")
		return
	}
	if limited, retryAfter := s.rateLimited(); limited {
		if retryAfter {
			w.Header().Set("Retry-After", "1")
		}
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "Your request rate has exceeded our rate limit."}) // ChartMogul's documented message
		return
	}
	if ex == nil {
		var re *routers.RouteError
		if errors.As(routeErr, &re) && re.Reason == routers.ErrMethodNotAllowed.Error() {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "Method Not Allowed"})
			return
		}
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Not Found"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "Request body too large", "")
		}
		return // otherwise the client went away
	}
	ex.body = body
	s.serveOperation(w, r, ex)
}

// route matches r to an operation; a nil exchange means no operation matches.
func (s *Server) route(r *http.Request) (*exchange, error) {
	rel, ok := strings.CutPrefix(r.URL.Path, s.cfg.basePath)
	if !ok || !strings.HasPrefix(rel, "/") {
		return nil, &routers.RouteError{Reason: routers.ErrPathNotFound.Error()}
	}
	ex, err := s.spec.match(r, rel, nil)
	if err == nil {
		// The legacy router is lenient with trailing slashes; ServeMux is not.
		if _, pattern := s.api.Handler(r); pattern == "" {
			return nil, &routers.RouteError{Reason: routers.ErrPathNotFound.Error()}
		}
		return ex, nil
	}
	// The legacy router tells "method not allowed" only for literal paths.
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, perr := s.spec.match(probe, rel, nil); perr == nil {
			return nil, &routers.RouteError{Reason: routers.ErrMethodNotAllowed.Error()}
		}
	}
	return nil, err
}

// process validates the request, runs the operation and validates the
// response, all into a recorder.
func (s *Server) process(r *http.Request, ex *exchange) *recorder {
	rec := newRecorder()
	if err := s.spec.validateRequest(r.Context(), ex); err != nil {
		msg, param := describeRequestError(err)
		writeError(rec, http.StatusBadRequest, msg, param)
	} else {
		req := r.Clone(r.Context())
		req.Body = io.NopCloser(bytes.NewReader(ex.body))
		req.ContentLength = int64(len(ex.body))
		s.api.ServeHTTP(rec, req)
	}
	if s.cfg.validateResponses {
		if err := s.spec.validateResponse(r.Context(), ex, rec.status, rec.header, rec.body.Bytes()); err != nil {
			rec = newRecorder()
			writeError(rec, http.StatusInternalServerError,
				fmt.Sprintf("chartmogultest: the fake's %s response violates openapi.yaml: %v", ex.op, err), "")
		}
	}
	return rec
}

func (s *Server) acquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.maxConcurrent > 0 && s.inFlight >= s.cfg.maxConcurrent {
		return false
	}
	s.inFlight++
	return true
}

func (s *Server) release() {
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
}

// rateLimited counts a request against the rate limit and reports whether
// it is over, and whether a 429 carries Retry-After. The limits are read under
// s.mu: SetRateLimit may change them while requests are served.
func (s *Server) rateLimited() (limited, retryAfter bool) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.rateLimit <= 0 {
		return false, false
	}
	if now.Sub(s.windowStart) >= time.Second {
		s.windowStart, s.windowCount = now, 0
	}
	s.windowCount++
	return s.windowCount > s.cfg.rateLimit, s.cfg.retryAfter
}

// now is the injected clock in UTC, truncated to milliseconds. Callers hold
// s.mu, so the clock is never called concurrently.
func (s *Server) now() time.Time {
	return s.cfg.clock().UTC().Truncate(time.Millisecond)
}

// recorder buffers a response so that it can be validated, replaced by a
// fault or truncated before anything reaches the client.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // cannot happen with the values used here
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"code":500,"message":"chartmogultest: encoding failed"}`)
	}
	data := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// writeError writes ChartMogul's {"code":...,"message":...,"param":...} shape.
func writeError(w http.ResponseWriter, status int, message, param string) {
	writeJSON(w, status, struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Param   string `json:"param,omitempty"`
	}{status, message, param})
}

// dialable is a listener's address as a client can dial it: an unspecified
// host (0.0.0.0, or [::] for --addr :PORT) listens on loopback too, and is
// given as 127.0.0.1, so URL is one a client (and the CLI, which allows plain
// http only on loopback) can use.
func dialable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}
