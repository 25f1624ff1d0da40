package chartmogultest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// This file holds what the fake needs to run as a standalone server, like
// stripe-mock, for clients in any language: a listen address, a request log
// and an admin endpoint that reaches the limits and faults over HTTP.

// Standalone is a fake run as a standalone server, as "opportunities
// fake-server" runs it; Run runs it, Options turns it into the options for
// Start.
type Standalone struct {
	Addr          string        // see WithAddr; "" for a free port on loopback
	APIKey        string        // see WithAPIKey; "" for DefaultAPIKey
	BasePath      string        // see WithBasePath; "" serves the API at the root (ChartMogul's is DefaultBasePath)
	Seed          bool          // start with DocumentationSeed's opportunities, stored again by a reset (see WithSeed)
	RateLimit     int           // see WithRateLimit; 0 for none
	RetryAfter    bool          // see WithRateLimit
	MaxConcurrent int           // see WithMaxConcurrent; 0 for none
	Log           *slog.Logger  // see WithRequestLog; nil for none
	Grace         time.Duration // see Run; 0 for DefaultGrace
}

// Options are the options that run the fake as s says, with the admin
// endpoint (WithAdmin) at DefaultAdminPath.
func (s Standalone) Options() []Option {
	opts := []Option{WithBasePath(s.BasePath), WithRateLimit(s.RateLimit, s.RetryAfter), WithMaxConcurrent(s.MaxConcurrent),
		WithAdmin(DefaultAdminPath)}
	if s.Addr != "" {
		opts = append(opts, WithAddr(s.Addr))
	}
	if s.APIKey != "" {
		opts = append(opts, WithAPIKey(s.APIKey))
	}
	if s.Seed {
		opts = append(opts, WithSeed(DocumentationSeed()...))
	}
	if s.Log != nil { // after WithAdmin, so that admin requests are logged too
		opts = append(opts, WithRequestLog(s.Log))
	}
	return opts
}

// DefaultGrace is how long Standalone.Run waits by default, once told to
// stop, for the requests being served.
const DefaultGrace = 5 * time.Second

// StandaloneError is Check's error: the field of a Standalone at fault
// ("Addr", "BasePath", "RateLimit" or "MaxConcurrent") and what is wrong with it,
// worded without the field's name so that a caller can name it its own way
// (a command-line flag, say).
type StandaloneError struct {
	Field   string
	Problem string
}

// Error names the field and the problem.
func (e *StandaloneError) Error() string {
	return "chartmogultest: Standalone." + e.Field + ": " + e.Problem
}

// Check reports the first problem with s that Start would refuse, in field
// order, as a *StandaloneError: an address CheckAddr refuses (its Problem is
// CheckAddr's error, without the address), a BasePath that is not
// /segment[/segment...] or is under the admin endpoint, a negative RateLimit
// or MaxConcurrent.
func (s Standalone) Check() error {
	if s.Addr != "" {
		if err := CheckAddr(s.Addr); err != nil {
			return &StandaloneError{Field: "Addr", Problem: err.Error()}
		}
	}
	switch {
	case !validBasePath(s.BasePath):
		return &StandaloneError{Field: "BasePath",
			Problem: fmt.Sprintf("must be empty or /segment[/segment...], no . or .. segment, got %q", s.BasePath)}
	case s.BasePath == DefaultAdminPath || strings.HasPrefix(s.BasePath, DefaultAdminPath+"/"):
		return &StandaloneError{Field: "BasePath", // Start's rule too: the admin endpoint would answer every request
			Problem: fmt.Sprintf("%q is under the admin endpoint %s; choose another", s.BasePath, DefaultAdminPath)}
	case s.RateLimit < 0:
		return &StandaloneError{Field: "RateLimit", Problem: fmt.Sprintf("must not be negative, got %d", s.RateLimit)}
	case s.MaxConcurrent < 0:
		return &StandaloneError{Field: "MaxConcurrent", Problem: fmt.Sprintf("must not be negative, got %d", s.MaxConcurrent)}
	}
	return nil
}

// Warning is the warning for a fake listening on s.Addr where other
// machines reach it (see Exposed), without the address itself: where, and
// that without TLS the API key crosses the network in clear text. It is ""
// on loopback, and for an empty Addr (a free port on loopback).
func (s Standalone) Warning() string {
	where := Exposed(s.Addr)
	if s.Addr == "" || where == "" {
		return ""
	}
	return "listens on " + where + ": the fake is reachable from other machines, " +
		"and without TLS the API key crosses the network in clear text; use 127.0.0.1 unless it runs in a container"
}

// Run runs the fake as a standalone server, as "opportunities fake-server"
// does: it checks s (Check), starts it (Start with Options), calls started,
// when not nil, once it listens, and serves until ctx is done. It then stops
// as Server.ShutdownGrace does with s.Grace (DefaultGrace when 0): the
// requests being served get that long to finish, and cut being done (a
// second signal, say) closes their connections at once. It installs no
// signal handler: telling a signal is the caller's part.
//
// Its error is Check's or Start's, and then started was not called; or
// ShutdownGrace's: nil when every request finished in time, ErrCutOff when
// the grace ran out, cut's cause (see context.Cause) when cut ended the wait.
func (s Standalone) Run(ctx, cut context.Context, started func(*Server)) error {
	if err := s.Check(); err != nil {
		return err
	}
	srv, err := Start(s.Options()...)
	if err != nil {
		return err
	}
	if started != nil {
		started(srv)
	}
	<-ctx.Done()
	return srv.ShutdownGrace(cut, cmp.Or(s.Grace, DefaultGrace))
}

// WithAddr sets the TCP address the server listens on, such as
// "127.0.0.1:12111" (default "127.0.0.1:0": a free port on loopback); Start
// refuses one CheckAddr refuses. The fake has no TLS; keep it on loopback
// unless it runs in a container (see Exposed).
func WithAddr(addr string) Option {
	return func(c *config) { c.addr = addr }
}

// WithRequestLog logs one line per request at Info: method, path, status
// (0 when the connection was closed without a response) and duration. It
// never logs headers, so the API key never appears.
func WithRequestLog(l *slog.Logger) Option {
	return func(c *config) {
		c.wrappers = append(c.wrappers, func(_ *Server, next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				start := time.Now()
				sw := &statusWriter{ResponseWriter: w}
				next.ServeHTTP(sw, r)
				l.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
					"duration", time.Since(start).Round(time.Microsecond))
			})
		})
	}
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach Flush and Hijack (faults use them).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// DefaultAdminPath is where WithAdmin serves the admin endpoint by default.
const DefaultAdminPath = "/_fake"

// WithAdmin serves a small admin API under prefix (DefaultAdminPath when
// empty), outside the API's base path, so that a client in any language can
// script the fake. Every admin request needs the API key, as the API does.
// JSON in and out:
//
//	GET    PREFIX/state   {"opportunities": N, "requests": {op: n}, "applied": {op: n}, "limits": {...}}
//	POST   PREFIX/faults  queue a fault (AdminFault): {"operation": "createOpportunity", "status": 500}
//	DELETE PREFIX/faults  drop every pending fault
//	PUT    PREFIX/limits  set the limits (AdminLimits): {"rate_per_second": 40, "max_concurrent": 20}
//	POST   PREFIX/reset   empty the store (back to the WithSeed opportunities, if any), clear counters and faults (Reset)
//
// A mistake is answered 400 {"code":400,"message":...,"param":...} naming the
// field.
func WithAdmin(prefix string) Option {
	if prefix == "" {
		prefix = DefaultAdminPath
	}
	prefix = "/" + strings.Trim(prefix, "/")
	return func(c *config) {
		c.adminPrefix = prefix
		c.wrappers = append(c.wrappers, func(s *Server, next http.Handler) http.Handler {
			admin := s.adminMux(prefix)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != prefix && !strings.HasPrefix(r.URL.Path, prefix+"/") {
					next.ServeHTTP(w, r)
					return
				}
				if user, _, ok := r.BasicAuth(); !ok || subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.apiKey)) != 1 {
					writeError(w, http.StatusUnauthorized, "No valid API key provided", "")
					return
				}
				admin.ServeHTTP(w, r)
			})
		})
	}
}

// AdminURL returns the admin endpoint's URL, outside the API's base path,
// such as "http://127.0.0.1:41234/_fake"; "" without WithAdmin.
func (s *Server) AdminURL() string {
	if s.cfg.adminPrefix == "" {
		return ""
	}
	return s.url + s.cfg.adminPrefix
}

// handler is the fake's handler with the wrappers of the options around it,
// counted as a whole (Shutdown waits for it): a request's log line is written
// before Shutdown returns.
func (s *Server) handler() http.Handler {
	var h http.Handler = http.HandlerFunc(s.serve)
	for _, wrap := range s.cfg.wrappers {
		h = wrap(s, h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.handlers.Add(1)
		defer s.handlers.Done()
		h.ServeHTTP(w, r)
	})
}

// SetRateLimit changes the rate limit while the server runs; see
// WithRateLimit. It returns an error for a negative limit.
func (s *Server) SetRateLimit(perSecond int, retryAfter bool) error {
	if perSecond < 0 {
		return errors.New("chartmogultest: the rate limit must not be negative")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.rateLimit, s.cfg.retryAfter = perSecond, retryAfter
	s.windowStart, s.windowCount = time.Time{}, 0
	return nil
}

// SetMaxConcurrent changes the concurrency limit while the server runs; see
// WithMaxConcurrent. It returns an error for a negative limit.
func (s *Server) SetMaxConcurrent(n int) error {
	if n < 0 {
		return errors.New("chartmogultest: the concurrency limit must not be negative")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.maxConcurrent = n
	return nil
}

// AdminLimits is the body of PUT /_fake/limits and part of GET /_fake/state.
// Zero means no limit.
type AdminLimits struct {
	RatePerSecond int  `json:"rate_per_second"`
	RetryAfter    bool `json:"retry_after"`
	MaxConcurrent int  `json:"max_concurrent"`
}

// AdminFault is the body of POST /_fake/faults: a Fault for the next
// requests to Operation (an operationId, such as "createOpportunity").
// Delay is a Go duration string such as "2s".
type AdminFault struct {
	Operation      Operation         `json:"operation"`
	Times          int               `json:"times,omitempty"`
	Status         int               `json:"status,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	Body           string            `json:"body,omitempty"`
	EmptyBody      bool              `json:"empty_body,omitempty"`
	Delay          string            `json:"delay,omitempty"`
	DropConnection bool              `json:"drop_connection,omitempty"`
	TruncateBody   bool              `json:"truncate_body,omitempty"`
	Apply          bool              `json:"apply,omitempty"`
}

// The bounds of a fault queued over HTTP: more is a mistake, not a test.
const (
	MaxAdminTimes = 10000
	MaxAdminDelay = time.Minute
)

// validHeaderName reports whether k is an HTTP token (RFC 9110), so that
// no CR, LF or other separator can end up in a response's header block.
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// fault checks f and returns it as a Fault; its error names the field.
func (f AdminFault) fault() (Fault, string, error) {
	out := Fault{Times: f.Times, Status: f.Status, Body: f.Body, EmptyBody: f.EmptyBody,
		DropConnection: f.DropConnection, TruncateBody: f.TruncateBody, Apply: f.Apply}
	switch {
	case !f.Operation.valid():
		return out, "operation", fmt.Errorf("operation must be one of %s, %s, %s, %s, %s", OpCreate, OpList, OpRetrieve, OpUpdate, OpDelete)
	case f.Times < 0:
		return out, "times", errors.New("times must not be negative")
	case f.Status != 0 && (f.Status < 100 || f.Status > 599):
		return out, "status", errors.New("status must be an HTTP status, 100 to 599")
	case f.Status == 0 && !f.DropConnection && !f.TruncateBody && f.Delay == "" && len(f.Headers) == 0:
		return out, "status", errors.New("a fault needs a status, drop_connection, truncate_body, a delay or headers")
	}
	if f.Times > MaxAdminTimes {
		return out, "times", fmt.Errorf("times must be at most %d", MaxAdminTimes)
	}
	if f.Delay != "" {
		d, err := time.ParseDuration(f.Delay)
		if err != nil || d < 0 {
			return out, "delay", errors.New(`delay must be a non-negative duration such as "2s"`)
		}
		if d > MaxAdminDelay {
			return out, "delay", fmt.Errorf("delay must be at most %v", MaxAdminDelay)
		}
		out.Delay = d
	}
	if len(f.Headers) > 0 {
		out.Header = http.Header{}
		for k, v := range f.Headers {
			if !validHeaderName(k) {
				return out, "headers", fmt.Errorf("headers: %q is not a valid header name", k)
			}
			if strings.ContainsAny(v, "\r\n\x00") {
				return out, "headers", fmt.Errorf("headers: the value of %q must not contain CR, LF or NUL", k)
			}
			out.Header.Set(k, v)
		}
	}
	return out, "", nil
}

func (s *Server) adminMux(prefix string) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"/state", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.adminState())
	})
	mux.HandleFunc("POST "+prefix+"/faults", func(w http.ResponseWriter, r *http.Request) {
		var f AdminFault
		if param, err := decodeAdmin(r, &f); err != nil {
			writeError(w, http.StatusBadRequest, err.Error(), param)
			return
		}
		fault, param, err := f.fault()
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error(), param)
			return
		}
		s.Inject(f.Operation, fault)
		writeJSON(w, http.StatusOK, map[string]any{"queued": f.Operation})
	})
	mux.HandleFunc("DELETE "+prefix+"/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		writeJSON(w, http.StatusOK, struct{}{})
	})
	mux.HandleFunc("PUT "+prefix+"/limits", func(w http.ResponseWriter, r *http.Request) {
		var l AdminLimits
		if param, err := decodeAdmin(r, &l); err != nil {
			writeError(w, http.StatusBadRequest, err.Error(), param)
			return
		}
		if err := s.SetRateLimit(l.RatePerSecond, l.RetryAfter); err != nil {
			writeError(w, http.StatusBadRequest, "rate_per_second must not be negative", "rate_per_second")
			return
		}
		if err := s.SetMaxConcurrent(l.MaxConcurrent); err != nil {
			writeError(w, http.StatusBadRequest, "max_concurrent must not be negative", "max_concurrent")
			return
		}
		writeJSON(w, http.StatusOK, l)
	})
	mux.HandleFunc("POST "+prefix+"/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.Reset()
		writeJSON(w, http.StatusOK, struct{}{})
	})
	allowed := map[string]string{prefix + "/state": "GET, HEAD", prefix + "/faults": "POST, DELETE", prefix + "/limits": "PUT", prefix + "/reset": "POST"}
	mux.HandleFunc(prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		if allow, ok := allowed[r.URL.Path]; ok {
			w.Header().Set("Allow", allow)
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "Method Not Allowed: use " + allow})
			return
		}
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Not Found: see the admin endpoints in the fake-server help"})
	})
	return mux
}

type adminState struct {
	Opportunities int               `json:"opportunities"`
	Requests      map[Operation]int `json:"requests"`
	Applied       map[Operation]int `json:"applied"`
	Limits        AdminLimits       `json:"limits"`
}

func (s *Server) adminState() adminState {
	n := len(s.Opportunities())
	s.mu.Lock()
	defer s.mu.Unlock()
	st := adminState{Opportunities: n, Requests: map[Operation]int{}, Applied: map[Operation]int{},
		Limits: AdminLimits{RatePerSecond: s.cfg.rateLimit, RetryAfter: s.cfg.retryAfter, MaxConcurrent: s.cfg.maxConcurrent}}
	for k, v := range s.requests {
		st.Requests[k] = v
	}
	for k, v := range s.applied {
		st.Applied[k] = v
	}
	return st
}

// decodeAdmin reads one JSON object, refusing unknown fields; on a mistake
// it returns the field at fault, when known.
func decodeAdmin(r *http.Request, v any) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return "", errors.New("the body cannot be read")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return "", fmt.Errorf("the body must be a JSON object, got a JSON %s", te.Value)
			}
			return te.Field, fmt.Errorf("%s must be a JSON %s, got a JSON %s", te.Field, jsonKind(te.Type.Kind()), te.Value)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			f = strings.Trim(f, `"`)
			return f, fmt.Errorf("unknown field %q", f)
		}
		return "", fmt.Errorf("the body is not a JSON object: %v", err)
	}
	return "", nil
}

// jsonKind names a Go kind as JSON does.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16,
		reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	}
	return k.String()
}
