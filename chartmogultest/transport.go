package chartmogultest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// NewValidatingTransport returns an http.RoundTripper for contract tests: it
// sends every request through base (http.DefaultTransport when nil) and checks
// the exchange against openapi.yaml, calling t.Errorf with a clear message for
// each violation:
//
//   - the request: an operation must match its method and path, its parameters
//     and body must satisfy the schemas, and it must carry HTTP basic auth with
//     a non-empty user name (the spec's security requirement);
//   - the response: its status must be declared, and its headers and body must
//     satisfy the schemas of that status.
//
// The operation is found from the path relative to the API's base path:
// everything before the first "/opportunities" segment is ignored, so the
// transport works against the real API, a Server or any other fake.
//
// Bodies are read and restored: base receives the whole request body, and the
// caller reads the whole response body. When base fails, its error is returned
// as is; when the response body cannot be read in full (a truncated response),
// the caller gets what was read followed by the same error, and the response
// is not validated.
func NewValidatingTransport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	t.Helper()
	spec, err := loadContract()
	if err != nil {
		t.Fatalf("%v", err)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &validatingTransport{t: t, base: base, spec: spec}
}

type validatingTransport struct {
	t    testing.TB
	base http.RoundTripper
	spec *contract
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	out := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}

	where := req.Method + " " + req.URL.Redacted()
	ex := v.checkRequest(req, body, where)

	resp, err := v.base.RoundTrip(out)
	if err != nil || ex == nil {
		return resp, err
	}
	data, readErr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if readErr != nil {
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(data), errReader{readErr}))
		return resp, nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if err := v.spec.validateResponse(context.WithoutCancel(req.Context()), ex, resp.StatusCode, resp.Header, data); err != nil {
		v.t.Errorf("chartmogultest: %s: the %d response violates openapi.yaml (%s): %v", where, resp.StatusCode, ex.op, err)
	}
	return resp, nil
}

// checkRequest reports request violations and returns the matched operation,
// or nil when none matches.
func (v *validatingTransport) checkRequest(req *http.Request, body []byte, where string) *exchange {
	rel, ok := relativePath(req.URL.Path)
	if !ok {
		v.t.Errorf("chartmogultest: %s: the path has no /opportunities segment: no operation of openapi.yaml matches", where)
		return nil
	}
	ex, err := v.spec.match(req, rel, body)
	if err != nil {
		v.t.Errorf("chartmogultest: %s: no operation of openapi.yaml matches %s %s: %v", where, req.Method, rel, err)
		return nil
	}
	if err := v.spec.validateRequest(context.WithoutCancel(req.Context()), ex, requireBasicAuth); err != nil {
		v.t.Errorf("chartmogultest: %s: the request violates openapi.yaml (%s): %v", where, ex.op, err)
	}
	return ex
}

// relativePath returns path from its first "/opportunities" segment on.
func relativePath(path string) (string, bool) {
	for i := 0; i < len(path); {
		j := strings.Index(path[i:], "/opportunities")
		if j < 0 {
			return "", false
		}
		rel := path[i+j:]
		if rest := rel[len("/opportunities"):]; rest == "" || rest[0] == '/' {
			return rel, true
		}
		i += j + 1
	}
	return "", false
}

func requireBasicAuth(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if user, _, ok := in.RequestValidationInput.Request.BasicAuth(); !ok || user == "" {
		return errors.New("no HTTP basic auth with the API key as user name")
	}
	return nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
