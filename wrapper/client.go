package wrapper

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/mogulkit/opportunities/generated"
	"github.com/mogulkit/opportunities/internal/safetext"
)

// DefaultBaseURL is ChartMogul's API, version 1.
const DefaultBaseURL = "https://api.chartmogul.com/v1"

// DefaultTimeout bounds each request (connect, send, read the whole body)
// unless [WithTimeout] says otherwise. The caller's context can always cut it
// shorter.
const DefaultTimeout = 30 * time.Second

// DefaultMaxResponseBytes caps how much of a response body is read (success
// and error alike). A 200-entry list page is about 100 KiB.
const DefaultMaxResponseBytes = 8 << 20

// MaxResponseBytesLimit is the largest cap [WithMaxResponseBytes] accepts
// (1 GiB): a larger one could not be honoured, as the body is held in memory.
const MaxResponseBytesLimit = 1 << 30

// preallocLimit is the most of a declared Content-Length that is trusted to
// size the read buffer up front; beyond it the buffer grows only as bytes
// actually arrive, so a server declaring 2^38 bytes and sending none costs
// nothing.
const preallocLimit = 64 << 10

// Version is this library's version, sent in the default User-Agent.
const Version = "0.1.0"

// DefaultUserAgent is the User-Agent header sent unless [WithUserAgent] says
// otherwise.
const DefaultUserAgent = "mogulkit-opportunities-go/" + Version

// Client calls the Opportunities API. It is safe for concurrent use; create one
// per API key and reuse it. The API key is held only inside the request
// signer: it appears in no error, log line or printed form of the client.
type Client struct {
	gen       *generated.Client
	baseURL   string
	basePath  string
	userAgent string
	timeout   time.Duration
	maxBody   int64
	retry     RetryPolicy
	limiter   *rate.Limiter
	budget    *RateBudget
	slots     chan struct{}
	logger    *slog.Logger
	red       *safetext.Redactor // every form of the key, for what the server sends back
}

type options struct {
	baseURL       string
	httpClient    *http.Client
	userAgent     string
	timeout       time.Duration
	maxBody       int64
	allowInsecure bool
	retry         RetryPolicy
	limiter       *rate.Limiter
	budget        *RateBudget
	slots         chan struct{}
	logger        *slog.Logger
}

// Option configures a [Client]. Options are checked by [NewClient], which
// reports the first bad one.
type Option func(*options) error

// WithBaseURL sets the API's base URL, including the version path (default
// [DefaultBaseURL]). Plain http is refused unless the host is a loopback
// address or [WithInsecureHTTP] is given.
func WithBaseURL(u string) Option {
	return func(o *options) error {
		if u == "" {
			return errors.New("base URL is empty")
		}
		o.baseURL = u
		return nil
	}
}

// WithHTTPClient sets the HTTP client. The client is copied, never modified:
// the copy refuses redirects that would send the API key to another host or
// over plain http.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) error {
		if hc == nil {
			return errors.New("HTTP client is nil")
		}
		o.httpClient = hc
		return nil
	}
}

// WithUserAgent sets the User-Agent header (default [DefaultUserAgent]).
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		if strings.TrimSpace(ua) == "" {
			return errors.New("user agent is empty")
		}
		if hasControl(ua) {
			return errors.New("WithUserAgent: user agent contains a control character")
		}
		o.userAgent = ua
		return nil
	}
}

// hasControl reports a byte no HTTP header value may hold: an ASCII control
// character (tab aside) or DEL.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return true
		}
	}
	return false
}

// WithTimeout bounds each attempt of a request, body included (default
// [DefaultTimeout]); an attempt that times out may be retried (see
// [RetryPolicy]). Zero means no bound but the caller's context.
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("timeout %v is negative", d)
		}
		o.timeout = d
		return nil
	}
}

// WithMaxResponseBytes caps how much of any response body is read (default
// [DefaultMaxResponseBytes], at most [MaxResponseBytesLimit]). A larger body
// fails with [ErrBodyTooLarge] without being read further.
func WithMaxResponseBytes(n int64) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("WithMaxResponseBytes: response cap %d is not positive", n)
		}
		if n > MaxResponseBytesLimit {
			return fmt.Errorf("WithMaxResponseBytes: response cap %d is above the limit of %d (1 GiB)", n, MaxResponseBytesLimit)
		}
		o.maxBody = n
		return nil
	}
}

// WithInsecureHTTP allows a plain-http base URL on a host that is not a
// loopback address. The API key then travels in clear text: use it only on a
// trusted network, for example with a local proxy.
func WithInsecureHTTP() Option {
	return func(o *options) error { o.allowInsecure = true; return nil }
}

// WithLogger logs each retry (method, path, attempt, wait and the error) at
// level Warn, and each request sent (method, path, the status or the
// transport's error, and how long the answer took, to the millisecond) at
// level Debug. Nothing is logged by default. Log lines never contain the API
// key or request headers.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("logger is nil")
		}
		o.logger = l
		return nil
	}
}

// CheckAPIKey is NewClient's check of a key: not empty, and printable ASCII
// only (no white space, control or invisible character, such as the byte
// order mark an editor writes first). ChartMogul's keys are; any other
// character could not be sent as it is, or would come back from a server
// in a form the redaction does not know. The error never contains the key.
func CheckAPIKey(apiKey string) error {
	if strings.TrimSpace(apiKey) == "" {
		return errors.New("chartmogul: API key is empty")
	}
	for i := 0; i < len(apiKey); i++ {
		if c := apiKey[i]; c <= ' ' || c > '~' {
			return errors.New("chartmogul: API key has white space, a control character or a character that is not printable ASCII (such as a byte order mark)")
		}
	}
	return nil
}

// NewClient returns a client that authenticates with apiKey (HTTP basic, the
// key as user name). It fails on an empty key or a bad option; errors never
// contain the key.
func NewClient(apiKey string, opts ...Option) (*Client, error) {
	if err := CheckAPIKey(apiKey); err != nil {
		return nil, err
	}
	o := options{baseURL: DefaultBaseURL, userAgent: DefaultUserAgent, timeout: DefaultTimeout,
		maxBody: DefaultMaxResponseBytes, retry: DefaultRetryPolicy()}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("chartmogul: nil option")
		}
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("chartmogul: %w", err)
		}
	}
	base, err := checkBaseURL(o.baseURL, o.allowInsecure)
	if err != nil {
		var be *baseURLError
		if errors.As(err, &be) { // the host it names could hold the key, pasted by mistake
			be.msg = safetext.NewRedactor(apiKey).String(be.msg)
		}
		return nil, fmt.Errorf("chartmogul: %w", err)
	}
	hc := &http.Client{}
	if o.httpClient != nil {
		copied := *o.httpClient
		hc = &copied
	}
	hc.CheckRedirect = safeRedirects(hc.CheckRedirect)

	// The header values are computed once and shared by every request (no
	// request changes them); the key lives only inside this closure.
	auth := []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(apiKey+":"))}
	ua := []string{o.userAgent}
	sign := func(_ context.Context, req *http.Request) error {
		req.Header["Authorization"] = auth
		req.Header["User-Agent"] = ua
		return nil
	}
	gen, err := generated.NewClient(base.String(), generated.WithHTTPClient(hc), generated.WithRequestEditorFn(sign))
	if err != nil {
		return nil, fmt.Errorf("chartmogul: %w", err)
	}
	return &Client{
		gen:       gen,
		baseURL:   base.String(),
		basePath:  strings.TrimSuffix(base.Path, "/"),
		userAgent: o.userAgent,
		timeout:   o.timeout,
		maxBody:   o.maxBody,
		retry:     o.retry,
		limiter:   o.limiter,
		budget:    o.budget,
		slots:     o.slots,
		logger:    o.logger,
		red:       safetext.NewRedactor(apiKey),
	}, nil
}

// String describes the client without its API key.
func (c *Client) String() string {
	return fmt.Sprintf("wrapper.Client{BaseURL: %q, UserAgent: %q, Timeout: %v}", c.baseURL, c.userAgent, c.timeout)
}

// GoString describes the client for %#v, without its API key.
func (c *Client) GoString() string { return c.String() }

// BaseURL returns the base URL requests are sent to.
func (c *Client) BaseURL() string { return c.baseURL }

// Why a base URL is refused: an error from [CheckBaseURL], or from
// [NewClient] for the URL [WithBaseURL] gave, matches one of these with
// errors.Is. Its text says more, naming the URL's scheme and host at most: a
// mistyped URL can hold a key.
var (
	// ErrBaseURLNotAbsolute: the URL does not parse, or has no host.
	ErrBaseURLNotAbsolute = errors.New("base URL is not absolute")
	// ErrBaseURLCredentials: the URL holds a user name or a password; the API
	// key goes to NewClient.
	ErrBaseURLCredentials = errors.New("base URL carries credentials")
	// ErrBaseURLScheme: the scheme is neither https nor http.
	ErrBaseURLScheme = errors.New("base URL is not http(s)")
	// ErrBaseURLQuery: the URL has a query or a fragment.
	ErrBaseURLQuery = errors.New("base URL has a query or fragment")
	// ErrBaseURLInsecure: plain http on a host that is not a loopback
	// address, without [WithInsecureHTTP].
	ErrBaseURLInsecure = errors.New("base URL is plain http on a non-loopback host")
)

// baseURLError is a refusal of a base URL: its message, and the ErrBaseURL
// error that says why.
type baseURLError struct {
	msg  string
	kind error
}

func (e *baseURLError) Error() string { return e.msg }
func (e *baseURLError) Unwrap() error { return e.kind }

// CheckBaseURL returns the error [NewClient] would return for raw as its base
// URL without [WithInsecureHTTP], or nil if it would take it: an absolute
// https URL, or http on a loopback address (localhost, 127.0.0.0/8, ::1),
// with no credentials, query or fragment. An error matches one of the
// ErrBaseURL errors above, so that a program can say it in its own terms.
func CheckBaseURL(raw string) error {
	if _, err := checkBaseURL(raw, false); err != nil {
		return fmt.Errorf("chartmogul: %w", err)
	}
	return nil
}

func checkBaseURL(raw string, allowInsecure bool) (*url.URL, error) {
	// Errors name the scheme and host at most: a mistyped URL can hold a key.
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, &baseURLError{"base URL does not parse", ErrBaseURLNotAbsolute}
	case u.Host == "":
		return nil, &baseURLError{"base URL must be an absolute http(s) URL, such as " + DefaultBaseURL, ErrBaseURLNotAbsolute}
	case u.User != nil:
		return nil, &baseURLError{"base URL must not carry credentials; pass the API key to NewClient", ErrBaseURLCredentials}
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, &baseURLError{"base URL must be an absolute http(s) URL, such as " + DefaultBaseURL, ErrBaseURLScheme}
	}
	where := u.Scheme + "://" + u.Host
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.HasSuffix(raw, "#") {
		return nil, &baseURLError{"base URL " + where + "...: must not have a query or fragment", ErrBaseURLQuery}
	}
	if u.Scheme == "http" && !allowInsecure && !isLoopback(u.Hostname()) {
		return nil, &baseURLError{"base URL " + where + " is plain http on a non-loopback host; use https (or WithInsecureHTTP)", ErrBaseURLInsecure}
	}
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// safeRedirects refuses a redirect to another host or from https to http, so
// the API key is never sent anywhere but the configured host.
func safeRedirects(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		if !strings.EqualFold(req.URL.Host, first.Host) || (first.Scheme == "https" && req.URL.Scheme != "https") {
			return fmt.Errorf("refusing redirect from %s to another host or scheme (%s://%s)", first.Host, req.URL.Scheme, req.URL.Host)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

var errNoClient = errors.New("chartmogul: the client was not made by NewClient")

// result is a successful response, read in full.
type result struct {
	status int
	header http.Header
	body   []byte
	path   string
	red    *safetext.Redactor // the client's, for errors about the body
}

// path is the request path of an operation, for error messages: the list
// path, or with uuid that opportunity's. It is built only when needed.
func (c *Client) path(uuid string) string {
	if uuid == "" {
		return c.basePath + "/opportunities"
	}
	return c.basePath + "/opportunities/" + uuid
}

// do sends a request through call, retrying under the client's policy, and
// returns the last outcome: a 2xx read in full, or an error (an *APIError for
// any response that is not a usable success) that says how many attempts
// were made. uuid names the opportunity in the path, if any.
func (c *Client) do(ctx context.Context, method, uuid string, call func(context.Context) (*http.Response, error)) (result, error) {
	if c == nil || c.gen == nil {
		return result{}, errNoClient
	}
	if c.logger != nil {
		call = c.logRequests(method, uuid, call)
	}
	mayHaveApplied := false // by an earlier attempt
	limited := 0            // 429s under a budget: they use up no attempt
	for attempt := 1; ; attempt++ {
		res, retryAfter, err := c.attempt(ctx, method, uuid, call)
		if err == nil {
			return res, nil
		}
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			apiErr.earlierMayHaveApplied = mayHaveApplied
		}
		if c.budget != nil && apiErr != nil && apiErr.StatusCode == http.StatusTooManyRequests && apiErr.Err == nil {
			// Not processed: the budget slowed down (and honours
			// Retry-After); send it again when the budget allows.
			if limited++; limited < MaxRateLimitedAttempts && ctx.Err() == nil {
				attempt--
				continue
			}
			return result{}, finalError(err, attempt+limited-1, mayHaveApplied)
		}
		if attempt >= c.retry.MaxAttempts || ctx.Err() != nil || !c.retry.retryable(method, err) {
			return result{}, finalError(err, attempt, mayHaveApplied)
		}
		mayHaveApplied = mayHaveApplied || MayHaveBeenApplied(err)
		wait := c.retry.backoff(attempt, retryAfter)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
			return result{}, finalError(err, attempt, mayHaveApplied) // the wait would outlive the caller
		}
		if c.logger != nil {
			c.logger.LogAttrs(ctx, slog.LevelWarn, "chartmogul: retrying", slog.String("method", method),
				slog.String("path", c.red.String(c.path(uuid))), slog.Int("attempt", attempt), slog.Duration("wait", wait.Round(time.Millisecond)),
				slog.String("error", err.Error()))
		}
		if !sleep(ctx, wait) {
			return result{}, finalError(err, attempt, mayHaveApplied)
		}
	}
}

// logRequests wraps call to log each request it sends at level Debug (see
// [WithLogger]), when the logger is enabled for it. A transport's error is
// logged without the URL (the line names the path) and with the key
// redacted, should a malformed response have echoed it.
func (c *Client) logRequests(method, uuid string, call func(context.Context) (*http.Response, error)) func(context.Context) (*http.Response, error) {
	return func(ctx context.Context) (*http.Response, error) {
		if !c.logger.Enabled(ctx, slog.LevelDebug) {
			return call(ctx)
		}
		start := time.Now()
		resp, err := call(ctx)
		took := slog.Duration("took", time.Since(start).Round(time.Millisecond))
		path := c.red.String(c.path(uuid)) // the base URL's path could hold the key
		if err != nil {
			cause := err
			var ue *url.Error
			if errors.As(err, &ue) && ue.Err != nil {
				cause = ue.Err
			}
			c.logger.LogAttrs(ctx, slog.LevelDebug, "request", slog.String("method", method), slog.String("path", path),
				slog.String("error", safetext.Escape(c.red.String(cause.Error()), 2*maxErrorMessage)), took)
			return resp, err
		}
		if resp.Request != nil && resp.Request.URL != nil {
			// Where a redirect led: the server chose it, so it is redacted
			// and escaped like any text a server sends.
			path = safetext.Escape(c.red.String(resp.Request.URL.Path), 2*maxErrorMessage)
		}
		c.logger.LogAttrs(ctx, slog.LevelDebug, "request", slog.String("method", method), slog.String("path", path),
			slog.Int("status", resp.StatusCode), took)
		return resp, nil
	}
}

// attempt sends the request once, within the limits and the per-attempt
// timeout, and reads the body through the size cap. retryAfter is the
// response's Retry-After, negative when there is none.
func (c *Client) attempt(ctx context.Context, method, uuid string, call func(context.Context) (*http.Response, error)) (res result, retryAfter time.Duration, err error) {
	retryAfter = -1
	if err := c.acquire(ctx); err != nil {
		return result{}, retryAfter, fmt.Errorf("chartmogul: %s %s: %w while waiting for the client-side limit: %w", method, c.path(uuid), errNotSent, err)
	}
	defer c.release()
	if c.budget != nil {
		if err := c.budget.Wait(ctx); err != nil {
			return result{}, retryAfter, fmt.Errorf("chartmogul: %s %s: %w while waiting for the rate budget: %w", method, c.path(uuid), errNotSent, err)
		}
	}
	if hook, ok := ctx.Value(beforeSendKey{}).(func() error); ok {
		if err := hook(); err != nil {
			return result{}, retryAfter, fmt.Errorf("chartmogul: %s %s: %w: %w", method, c.path(uuid), errNotSent, err)
		}
	}
	if deadline, ok := ctx.Deadline(); c.timeout > 0 && (!ok || time.Until(deadline) > c.timeout) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	resp, err := call(ctx)
	if err != nil {
		return result{}, retryAfter, c.transportError(method, c.path(uuid), err)
	}
	defer resp.Body.Close()
	var path string
	if resp.Request != nil && resp.Request.URL != nil {
		path = resp.Request.URL.Path
	} else {
		path = c.path(uuid)
	}
	retryAfter = parseRetryAfter(resp.Header, time.Now)
	if resp.StatusCode == http.StatusTooManyRequests {
		honoured := c.retryAfterHonoured(retryAfter)
		if c.budget != nil {
			c.budget.rateLimited(honoured)
		}
		if hook, ok := ctx.Value(rateLimitedKey{}).(func(time.Duration, time.Duration)); ok {
			hook(retryAfter, honoured)
		}
	} else if c.budget != nil {
		c.budget.succeeded()
	}
	body, err := readCapped(resp.Body, resp.ContentLength, c.maxBody)
	if err != nil {
		return result{}, retryAfter, buildAPIError(c.red, method, path, resp.StatusCode, resp.Header, body, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return result{}, retryAfter, buildAPIError(c.red, method, path, resp.StatusCode, resp.Header, body, nil)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: body, path: path, red: c.red}, retryAfter, nil
}

// retryAfterHonoured is how much of a Retry-After the client honours: at
// most the retry policy's MaxBackoff (30 s by default, also when the policy
// retries nothing), so that a server asking for an hour, or a date years
// ahead, cannot stall a caller; negative when there is none.
func (c *Client) retryAfterHonoured(retryAfter time.Duration) time.Duration {
	if retryAfter < 0 {
		return retryAfter
	}
	limit := c.retry.MaxBackoff
	if limit <= 0 {
		limit = DefaultRetryPolicy().MaxBackoff
	}
	return min(retryAfter, limit)
}

// transportError is the error of an exchange that failed before a response
// was read: its text names the request and is safe to print (no form of the
// key, no control character, bounded), and it unwraps to the cause for
// errors.Is and errors.As. A cause whose text carried the key (a malformed
// response echoing it, say) is dropped, as its text would still hold it.
type transportError struct {
	msg string
	err error
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.err }

// GoString is the %#v form: the message only.
func (e *transportError) GoString() string { return e.msg }

func (c *Client) transportError(method, path string, err error) error {
	text := err.Error()
	clean := c.red.String(text)
	if clean != text {
		err = nil
	}
	return &transportError{msg: c.red.String(safetext.Escape("chartmogul: "+method+" "+path+": "+clean, 2*maxErrorMessage)), err: err}
}

// withAttempts records how many attempts led to err.
func withAttempts(err error, n int) error {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		apiErr.Attempts = n
		return err
	}
	if n > 1 {
		return fmt.Errorf("%w (after %d attempts)", err, n)
	}
	return err
}

// earlierApplied marks the error of a call an earlier attempt of which may
// have been applied (a 5xx before a retry, say), whatever ended the last one
// (a 429, or the caller stopping while the call waited): MayHaveBeenApplied
// is then true. An *APIError carries the same in earlierMayHaveApplied.
type earlierApplied struct{ err error }

func (e *earlierApplied) Error() string { return e.err.Error() }
func (e *earlierApplied) Unwrap() error { return e.err }

// finalError is the error do returns: with its attempts, and marked when an
// earlier attempt may have been applied.
func finalError(err error, attempts int, earlier bool) error {
	err = withAttempts(err, attempts)
	var apiErr *APIError
	if earlier && !errors.As(err, &apiErr) {
		err = &earlierApplied{err}
	}
	return err
}

// readCapped reads at most max bytes; a longer body is an ErrBodyTooLarge
// and the rest is never read. size is the announced length (-1 if unknown),
// used only to size the buffer, and only up to preallocLimit: the buffer
// beyond that grows with what arrives.
func readCapped(r io.Reader, size, max int64) ([]byte, error) {
	max = min(max, MaxResponseBytesLimit) // a Client not made by NewClient has none
	if size < 0 || size > max {
		size = 512
	}
	size = min(size, preallocLimit)
	body := make([]byte, 0, size+1)
	var err error
	for int64(len(body)) <= max {
		if len(body) == cap(body) {
			body = append(body, 0)[:len(body)] // grow
		}
		var n int
		n, err = r.Read(body[len(body):min(cap(body), int(max+1))])
		body = body[:len(body)+n]
		if err == io.EOF {
			err = nil
			break
		}
		if err != nil {
			break
		}
	}
	if err != nil {
		return body, &bodyReadError{err}
	}
	if int64(len(body)) > max {
		return body[:max], fmt.Errorf("%w (%d bytes)", ErrBodyTooLarge, max)
	}
	return body, nil
}
