package chartmogultest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/mogulkit/opportunities/generated"
)

// contract is the embedded openapi.yaml, loaded once per Server or transport,
// with a router that matches paths relative to the base path ("/opportunities",
// "/opportunities/{uuid}").
type contract struct {
	doc    *openapi3.T
	router routers.Router
	// schemaOpts carries the document-scoped "email" format validator, so that
	// no process-wide kin-openapi state is changed, and short error messages.
	schemaOpts []openapi3.SchemaValidationOption
}

func loadContract() (*contract, error) {
	doc, err := openapi3.NewLoader().LoadFromData(generated.OpenAPISpec())
	if err != nil {
		return nil, fmt.Errorf("chartmogultest: loading openapi.yaml: %w", err)
	}
	// Match paths without the server's base path: callers strip it first.
	doc.Servers = nil
	// kin-openapi knows date and date-time; e-mail is switched on for this
	// document only (the global openapi3.DefineStringFormat is not needed).
	doc.SetStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail))
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("chartmogultest: routing openapi.yaml: %w", err)
	}
	// Messages name the JSON pointer and the reason, without dumping the
	// schema and the value.
	opts := append(doc.GetSchemaValidationOptions(), openapi3.DisableSchemaErrorDetails())
	return &contract{doc: doc, router: router, schemaOpts: opts}, nil
}

// exchange is one request matched to an operation of the contract.
type exchange struct {
	op         Operation
	route      *routers.Route
	pathParams map[string]string
	req        *http.Request // a clone whose URL path is relative to the base path
	body       []byte
}

// match finds the operation for method and rel (a path relative to the base
// path). It returns a routers.RouteError when no operation matches.
func (c *contract) match(r *http.Request, rel string, body []byte) (*exchange, error) {
	req := r.Clone(r.Context())
	req.URL.Path, req.URL.RawPath = rel, ""
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return nil, err
	}
	return &exchange{op: Operation(route.Operation.OperationID), route: route, pathParams: params, req: req, body: body}, nil
}

func (c *contract) options(auth openapi3filter.AuthenticationFunc) *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc:      auth,
		SkipSettingDefaults:     true,
		IncludeResponseStatus:   true,
		SchemaValidationOptions: c.schemaOpts,
	}
}

func (c *contract) requestInput(ex *exchange, auth openapi3filter.AuthenticationFunc) *openapi3filter.RequestValidationInput {
	req := ex.req.Clone(ex.req.Context())
	req.Body = io.NopCloser(bytes.NewReader(ex.body))
	req.ContentLength = int64(len(ex.body))
	if len(ex.body) == 0 {
		req.Body = http.NoBody
	}
	return &openapi3filter.RequestValidationInput{
		Request: req, PathParams: ex.pathParams, Route: ex.route, Options: c.options(auth),
	}
}

// validateRequest checks the request (parameters and body) against the contract.
func (c *contract) validateRequest(ctx context.Context, ex *exchange, auth openapi3filter.AuthenticationFunc) error {
	return openapi3filter.ValidateRequest(ctx, c.requestInput(ex, auth))
}

// validateResponse checks a response (status, headers, body) against the contract.
func (c *contract) validateResponse(ctx context.Context, ex *exchange, status int, header http.Header, body []byte) error {
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: c.requestInput(ex, openapi3filter.NoopAuthenticationFunc),
		Status:                 status,
		Header:                 header,
		Options:                c.options(openapi3filter.NoopAuthenticationFunc),
	}
	in.SetBodyBytes(body)
	// kin-openapi cannot decode text/html (a proxy's error page). Its schema in
	// openapi.yaml is a plain string, so checking that the status declares
	// text/html is all there is to do for the body.
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt == "text/html" {
		in.Options.ExcludeResponseBody = true
		resp := ex.route.Operation.Responses.Status(status)
		if resp == nil {
			resp = ex.route.Operation.Responses.Default()
		}
		if resp == nil || resp.Value == nil || resp.Value.Content.Get(mt) == nil {
			return fmt.Errorf("response header Content-Type has unexpected value: %q", mt)
		}
	}
	return openapi3filter.ValidateResponse(ctx, in)
}

var unsupportedProperty = regexp.MustCompile(`^property "(.*)" is unsupported$`)

// describeRequestError turns a validation error into ChartMogul's 400 shape:
// a message and, when it can be told, the parameter at fault, with JSON
// pointers written the Rails way ("custom/0/value" becomes "custom[0][value]").
func describeRequestError(err error) (message, param string) {
	var reqErr *openapi3filter.RequestError
	if !errors.As(err, &reqErr) {
		return firstLine(err.Error()), ""
	}
	if reqErr.Parameter != nil {
		param = reqErr.Parameter.Name
	}
	reason := reqErr.Reason
	var schemaErr *openapi3.SchemaError
	switch {
	case errors.As(reqErr.Err, &schemaErr):
		if param == "" {
			path := schemaErr.JSONPointer()
			if m := unsupportedProperty.FindStringSubmatch(schemaErr.Reason); m != nil {
				path = append(path, m[1])
			}
			param = railsParam(path)
		}
		reason = schemaErr.Reason
		if reason == "" {
			reason = fmt.Sprintf("it does not match the schema's %q", schemaErr.SchemaField)
		}
	case reqErr.Err != nil && param != "":
		reason = reqErr.Err.Error()
	}
	if param == "" {
		if schemaErr != nil {
			return "The request body does not have a valid value: " + firstLine(reason), ""
		}
		return firstLine(reqErr.Error()), ""
	}
	return fmt.Sprintf("Parameter %q does not have a valid value: %s", param, firstLine(reason)), param
}

func railsParam(path []string) string {
	if len(path) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(path[0])
	for _, p := range path[1:] {
		b.WriteString("[" + p + "]")
	}
	return b.String()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
