package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/mogulkit/opportunities/generated"
)

// The operations of openapi.yaml, by operationId.
const (
	OpCreate   = "createOpportunity"
	OpList     = "listOpportunities"
	OpRetrieve = "retrieveOpportunity"
	OpUpdate   = "updateOpportunity"
	OpDelete   = "deleteOpportunity"
)

// Contract is openapi.yaml loaded for validation. It is immutable once loaded
// and safe for concurrent use; load it once and share it.
type Contract struct {
	doc        *openapi3.T
	router     routers.Router
	schemaOpts []openapi3.SchemaValidationOption
	basePath   string
	exact      bool // basePath was given: paths must start with it
	noAuth     bool
}

// Option configures a Contract; pass options to Load or LoadData.
type Option func(*Contract)

// WithBasePath makes the contract match only paths under p, such as "/v1";
// "" means the paths are exactly the spec's ("/opportunities"). Without this
// option any base URL is accepted: a request is matched from its first
// "/opportunities" path segment that names an operation, so
// https://api.chartmogul.com/v1/opportunities, http://127.0.0.1:12111/v1/opportunities
// and http://proxy/chartmogul/api/opportunities all match the list operation.
func WithBasePath(p string) Option {
	return func(c *Contract) {
		c.basePath, c.exact = strings.TrimRight(p, "/"), true
	}
}

// WithoutAuth skips the spec's security requirement (HTTP basic auth with the
// API key as the user name). Use it for traffic whose Authorization header was
// removed before it was logged, or behind a server that checks the key itself.
func WithoutAuth() Option {
	return func(c *Contract) { c.noAuth = true }
}

// Load loads the openapi.yaml this module was generated from
// (generated.OpenAPISpec).
func Load(opts ...Option) (*Contract, error) {
	return LoadData(generated.OpenAPISpec(), opts...)
}

// LoadData loads an OpenAPI 3.0 document, such as another revision of
// openapi.yaml. The string formats email, date, date-time and uuid are checked
// for this document only: no process-wide kin-openapi state is changed. The
// document's servers are ignored (see WithBasePath).
func LoadData(spec []byte, opts ...Option) (*Contract, error) {
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("contract: loading the spec: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("contract: the spec is not valid OpenAPI: %w", err)
	}
	doc.Servers = nil // routes match paths relative to the base path
	doc.SetStringFormatValidators(formats())
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("contract: routing the spec: %w", err)
	}
	c := &Contract{doc: doc, router: router}
	for _, o := range opts {
		o(c)
	}
	// MultiErrors: every violation, not the first. DisableSchemaErrorDetails:
	// messages name the field and the rule without dumping schema and value.
	c.schemaOpts = append(doc.GetSchemaValidationOptions(), openapi3.MultiErrors(), openapi3.DisableSchemaErrorDetails())
	return c, nil
}

var (
	emailPattern = regexp.MustCompile(openapi3.FormatOfStringForEmail)
	uuidPattern  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// formats are the document-scoped string formats.
func formats() map[string]openapi3.StringFormatValidator {
	return map[string]openapi3.StringFormatValidator{
		"email": openapi3.NewCallbackValidator(func(s string) error {
			if !emailPattern.MatchString(s) {
				return errors.New("not an e-mail address")
			}
			return nil
		}),
		"uuid": openapi3.NewCallbackValidator(func(s string) error {
			if !uuidPattern.MatchString(s) {
				return errors.New("not a UUID")
			}
			return nil
		}),
		"date": openapi3.NewCallbackValidator(func(s string) error {
			if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != len(time.DateOnly) {
				return errors.New("not a YYYY-MM-DD calendar date")
			}
			return nil
		}),
		"date-time": openapi3.NewCallbackValidator(func(s string) error {
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				return errors.New("not an RFC 3339 date-time")
			}
			return nil
		}),
	}
}

// Request is an HTTP request to check, as sent or as logged.
type Request struct {
	// Method is the HTTP method, such as "POST".
	Method string
	// URL is an absolute URL or a path with its query, under any base URL
	// (see WithBasePath).
	URL string
	// Header holds the request headers; Authorization is checked for basic
	// auth unless WithoutAuth, Content-Type for the body's media type.
	Header http.Header
	// Body is the whole request body; nil or empty for none.
	Body []byte
}

// Response is an HTTP response to check.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers (Content-Type above all).
	Header http.Header
	// Body is the whole response body.
	Body []byte
}

// ReadRequest returns r as a Request, reading its body and giving r a new
// body with the same bytes, so that r can still be sent or served.
func ReadRequest(r *http.Request) (Request, error) {
	out := Request{Method: r.Method, URL: r.URL.String(), Header: r.Header}
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			return out, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		out.Body = body
	}
	return out, nil
}

// ReadResponse returns resp as a Response, reading its body and giving resp
// a new body with the same bytes. When the body cannot be read in full, resp
// gets what was read followed by the same error, and the error is returned.
func ReadResponse(resp *http.Response) (Response, error) {
	out := Response{Status: resp.StatusCode, Header: resp.Header}
	if resp.Body == nil {
		return out, nil
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		return out, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	out.Body = body
	return out, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// route is a request matched to an operation.
type route struct {
	route  *routers.Route
	params map[string]string
	req    *http.Request // relative to the base path, with the request's headers and body
	path   string        // the URL's path, for messages
}

// Operation returns the operationId of the operation that method and
// rawURL (see Request.URL) match, or an *Error whose violation has the
// rule "route".
func (c *Contract) Operation(method, rawURL string) (string, error) {
	rt, err := c.match(Request{Method: method, URL: rawURL})
	if err != nil {
		return "", err
	}
	return rt.route.Operation.OperationID, nil
}

// match routes req; its error is an *Error.
func (c *Contract) match(req Request) (*route, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, &Error{Method: req.Method, URL: "(unparsable URL)", Violations: []Violation{{
			Part: PartRoute, Rule: "route", Message: "the URL cannot be parsed",
		}}}
	}
	fail := func(msg string) error {
		return &Error{Method: req.Method, URL: u.Redacted(), Violations: []Violation{{Part: PartRoute, Rule: "route", Message: msg}}}
	}
	var candidates []string
	if c.exact {
		rel, ok := strings.CutPrefix(u.Path, c.basePath)
		if !ok || !strings.HasPrefix(rel, "/") {
			return nil, fail(fmt.Sprintf("the path is not under the base path %q", c.basePath))
		}
		candidates = []string{rel}
	} else {
		candidates = relativePaths(u.Path)
		if len(candidates) == 0 {
			return nil, fail("the path has no /opportunities segment: no operation of openapi.yaml matches")
		}
	}
	var firstErr error
	for _, rel := range candidates {
		r := &http.Request{Method: req.Method, URL: &url.URL{Path: rel, RawQuery: u.RawQuery}, Header: req.Header, Host: u.Host}
		if r.Header == nil {
			r.Header = http.Header{}
		}
		rt, params, err := c.router.FindRoute(r)
		if err == nil {
			return &route{route: rt, params: params, req: r, path: u.Path}, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	var re *routers.RouteError
	if errors.As(firstErr, &re) && re.Reason == routers.ErrMethodNotAllowed.Error() {
		return nil, fail(fmt.Sprintf("no operation of openapi.yaml matches %s %s: method not allowed", req.Method, candidates[0]))
	}
	return nil, fail(fmt.Sprintf("no operation of openapi.yaml matches %s %s", req.Method, candidates[0]))
}

// relativePaths returns path from each of its "/opportunities" segments on,
// first one first.
func relativePaths(path string) []string {
	var out []string
	for i := 0; i < len(path); {
		j := strings.Index(path[i:], "/opportunities")
		if j < 0 {
			break
		}
		rel := path[i+j:]
		if rest := rel[len("/opportunities"):]; rest == "" || rest[0] == '/' {
			out = append(out, rel)
		}
		i += j + 1
	}
	return out
}

func (c *Contract) options() *openapi3filter.Options {
	auth := requireBasicAuth
	if c.noAuth {
		auth = openapi3filter.NoopAuthenticationFunc
	}
	return &openapi3filter.Options{
		AuthenticationFunc:      auth,
		SkipSettingDefaults:     true,
		IncludeResponseStatus:   true,
		MultiError:              true,
		SchemaValidationOptions: c.schemaOpts,
	}
}

func requireBasicAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if user, _, ok := in.RequestValidationInput.Request.BasicAuth(); !ok || user == "" {
		return errors.New("no HTTP basic auth with the API key as user name")
	}
	return nil
}

func (rt *route) input(c *Contract, body []byte) *openapi3filter.RequestValidationInput {
	req := rt.req.Clone(context.Background())
	req.Body, req.ContentLength = http.NoBody, 0
	if len(body) > 0 {
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	}
	return &openapi3filter.RequestValidationInput{Request: req, PathParams: rt.params, Route: rt.route, Options: c.options()}
}

func (rt *route) newError(req Request) *Error {
	return &Error{Operation: rt.route.Operation.OperationID, Method: req.Method, URL: redactedPath(req.URL)}
}

func redactedPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// ValidateRequest checks req against the contract: an operation must match
// its method and path, its parameters and body must satisfy the schemas, and
// it must carry HTTP basic auth with a non-empty user name (unless
// WithoutAuth). It returns nil or an *Error listing every violation.
func (c *Contract) ValidateRequest(ctx context.Context, req Request) error {
	rt, err := c.match(req)
	if err != nil {
		return err
	}
	e := rt.newError(req)
	c.checkRequest(ctx, rt, req, e)
	return e.orNil()
}

func (c *Contract) checkRequest(ctx context.Context, rt *route, req Request, e *Error) {
	if err := openapi3filter.ValidateRequest(ctx, rt.input(c, req.Body)); err != nil {
		e.add(collect(err, true)...)
	}
	rt.duplicateQuery(e)
	duplicateBodyKeys(e, PartRequestBody, req.Header.Get("Content-Type"), req.Body)
}

// ValidateResponse checks resp, the answer to req, against the contract: its
// status must be declared by the operation (a 1xx or 2xx status that only
// the spec's default error response covers is undeclared too), and its
// headers and body must satisfy that status's schemas. A 3xx redirect is not
// checked. req is only routed,
// not validated. It returns nil or an *Error listing every violation.
func (c *Contract) ValidateResponse(ctx context.Context, req Request, resp Response) error {
	rt, err := c.match(req)
	if err != nil {
		return err
	}
	e := rt.newError(req)
	e.Status = resp.Status
	c.checkResponse(ctx, rt, req, resp, e)
	return e.orNil()
}

// ValidateExchange checks a request and its response (see ValidateRequest and
// ValidateResponse) and returns nil or one *Error listing every violation of
// both.
func (c *Contract) ValidateExchange(ctx context.Context, req Request, resp Response) error {
	rt, err := c.match(req)
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			ce.Status = resp.Status
		}
		return err
	}
	e := rt.newError(req)
	e.Status = resp.Status
	c.checkRequest(ctx, rt, req, e)
	c.checkResponse(ctx, rt, req, resp, e)
	return e.orNil()
}

func (c *Contract) checkResponse(ctx context.Context, rt *route, req Request, resp Response, e *Error) {
	if resp.Status >= 300 && resp.Status < 400 {
		return // a redirect is HTTP's business, not the API's (http.Client follows it)
	}
	responses := rt.route.Operation.Responses
	declared := responses.Status(resp.Status)
	if declared == nil && resp.Status < 300 {
		e.add(Violation{Part: PartStatus, Rule: "status", Message: fmt.Sprintf("status %d is not documented for %s", resp.Status, rt.route.Operation.OperationID)})
		return
	}
	if declared == nil {
		declared = responses.Default()
	}
	header := resp.Header
	if header == nil {
		header = http.Header{}
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: rt.input(c, nil),
		Status:                 resp.Status,
		Header:                 header,
		Options:                c.options(),
	}
	in.SetBodyBytes(resp.Body)
	// kin-openapi cannot decode text/html (a proxy's error page): checking
	// that the status declares text/html is all there is to do.
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt == "text/html" {
		in.Options.ExcludeResponseBody = true
		if declared == nil || declared.Value == nil || declared.Value.Content.Get(mt) == nil {
			e.add(Violation{Part: PartResponseHeader, Field: "Content-Type", Rule: "content-type",
				Message: fmt.Sprintf("%q is not a documented media type of status %d", mt, resp.Status)})
		}
	}
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		e.add(collect(err, false)...)
	}
	duplicateBodyKeys(e, PartResponseBody, header.Get("Content-Type"), resp.Body)
}
