package chartmogultest

import (
	"fmt"
	"net/http"
	"testing"

	oas "github.com/mogulkit/opportunities/contract"
)

// NewValidatingTransport returns an http.RoundTripper for contract tests: it
// sends every request through base (http.DefaultTransport when nil) and checks
// the exchange against openapi.yaml, calling t.Errorf with a clear message for
// each exchange that violates it, listing every violation:
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
// It is a contract.Transport in report mode; use package contract directly
// outside tests, or to fail the call instead (strict mode).
//
// Bodies are read and restored: base receives the whole request body, and the
// caller reads the whole response body. When base fails, its error is returned
// as is; when the response body cannot be read in full (a truncated response),
// the caller gets what was read followed by the same error, and the response
// is not validated.
func NewValidatingTransport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	t.Helper()
	c, err := oas.Load()
	if err != nil {
		t.Fatalf("chartmogultest: %v", err)
	}
	return &oas.Transport{Contract: c, Base: base, Report: func(e *oas.Error) {
		t.Errorf("chartmogultest: %s: %s", describeExchange(e), e.Error())
	}}
}

// describeExchange says which side of an exchange broke the contract.
func describeExchange(e *oas.Error) string {
	switch {
	case e.Operation == "":
		return "no operation of openapi.yaml matches the request"
	case e.InRequest():
		return "the request violates openapi.yaml"
	default:
		return fmt.Sprintf("the %d response violates openapi.yaml", e.Status)
	}
}
