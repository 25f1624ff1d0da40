package chartmogultest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/routers"

	oas "github.com/mogulkit/opportunities/contract"
)

// contract is package contract's view of openapi.yaml as the fake uses it:
// paths relative to the base path (the server strips it first), and no
// authentication check (the server checks the key itself, before validation).
type contract struct{ c *oas.Contract }

func loadContract() (*contract, error) {
	c, err := oas.Load(oas.WithBasePath(""), oas.WithoutAuth())
	if err != nil {
		return nil, fmt.Errorf("chartmogultest: %w", err)
	}
	return &contract{c: c}, nil
}

// exchange is one request matched to an operation of the contract.
type exchange struct {
	op   Operation
	req  oas.Request // URL relative to the base path
	body []byte
}

// match finds the operation for r at rel (its path relative to the base
// path). It returns a routers.RouteError when no operation matches.
func (c *contract) match(r *http.Request, rel string, body []byte) (*exchange, error) {
	u := *r.URL
	u.Path, u.RawPath = rel, ""
	op, err := c.c.Operation(r.Method, u.String())
	if err != nil {
		return nil, &routers.RouteError{Reason: routers.ErrPathNotFound.Error()}
	}
	return &exchange{op: Operation(op), req: oas.Request{Method: r.Method, URL: u.String(), Header: r.Header}, body: body}, nil
}

func (ex *exchange) request() oas.Request {
	req := ex.req
	req.Body = ex.body
	return req
}

// validateRequest checks the request (parameters and body) against the
// contract; its error is an *oas.Error.
func (c *contract) validateRequest(ctx context.Context, ex *exchange) error {
	return c.c.ValidateRequest(ctx, ex.request())
}

// validateResponse checks a response (status, headers, body) against the contract.
func (c *contract) validateResponse(ctx context.Context, ex *exchange, status int, header http.Header, body []byte) error {
	return c.c.ValidateResponse(ctx, ex.request(), oas.Response{Status: status, Header: header, Body: body})
}

// describeRequestError turns a validation error into ChartMogul's 400 shape:
// a message and, when it can be told, the parameter at fault, written the
// Rails way ("custom[0][value]"). Further violations follow in the message.
func describeRequestError(err error) (message, param string) {
	var ce *oas.Error
	if !errors.As(err, &ce) || len(ce.Violations) == 0 {
		return firstLine(err.Error()), ""
	}
	v := ce.Violations[0]
	param = v.Param()
	if param == "" {
		message = "The request body does not have a valid value: " + v.Message
	} else {
		message = fmt.Sprintf("Parameter %q does not have a valid value: %s: %s", param, v.Rule, v.Message)
	}
	if more := ce.Violations[1:]; len(more) > 0 {
		var b strings.Builder
		for _, m := range more {
			b.WriteString("; " + m.String())
		}
		message += fmt.Sprintf(" (and %d more%s)", len(more), b.String())
	}
	return message, param
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
